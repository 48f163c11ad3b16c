// The calling thread's CPU clock (Linux): it advances with work on this thread, not while the thread sleeps
// (a wall clock would), and not with another thread's work (process.cpuUsage would).
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuMs } from '../../src/core/kernel/thread-cpu.js';

const linux = process.platform === 'linux';

describe('thread CPU clock', () => {
  it.runIf(linux)('counts this thread on the CPU, not its sleep nor another thread busy meanwhile', async () => {
    const t0 = threadCpuMs() as number;
    expect(t0).toBeGreaterThan(0);
    // Busy here for 60 ms of wall time.
    const until = performance.now() + 60;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const t1 = threadCpuMs() as number;
    expect(x).toBeGreaterThan(0);
    // On a loaded machine this thread may have had less than the whole 60 ms.
    expect(t1 - t0).toBeGreaterThan(10);
    expect(t1 - t0).toBeLessThan(1000);

    // Asleep for 150 ms while another thread spins for 300 ms.
    const spinner = new Worker('const end = Date.now() + 300; let y = 0; while (Date.now() < end) y += Math.sqrt(y + 1);', { eval: true });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150);
    const t2 = threadCpuMs() as number;
    await new Promise((resolve) => spinner.once('exit', resolve));
    expect(t2 - t1).toBeLessThan(40);
  });

  it.skipIf(linux)('is null where the platform does not tell', () => {
    expect(threadCpuMs()).toBeNull();
  });
});
