// Statistics the benches share, in plain JavaScript: bench/analyze-app.mjs runs in a process without tsx
// (the app's path on the built core), and the TypeScript benches import the same functions (stats.d.mts).
import { loadavg } from 'node:os';

/**
 * The load averages (1, 5, 15 minutes) to two decimals: every bench records them, so a figure measured on a busy
 * machine says so.
 * @returns {number[]}
 */
export function loadAverage() {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

/**
 * Issues `request` every `periodMs` (one at a time, as a page polling the core does) until stopped and
 * records each one's latency from the moment it was DUE: when the event loop is blocked, the timer fires
 * late and that wait counts, and every 20 ms slot that passed during one request counts as a request
 * that would have waited for it (so a 500 ms stall is 25 slow requests, not one).
 * @param {() => Promise<unknown>} request
 * @param {number} [periodMs]
 * @returns {{ stop: () => Promise<number[]> }}
 */
export function startLatencyProbe(request, periodMs = 20) {
  /** @type {number[]} */
  const latencies = [];
  let stopped = false;
  const loop = (async () => {
    let due = performance.now();
    while (!stopped) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      await request();
      const done = performance.now();
      latencies.push(done - due);
      due += periodMs;
      while (due < done) {
        latencies.push(done - due);
        due += periodMs;
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return latencies;
    },
  };
}

/**
 * The p-th percentile (nearest rank) of `xs`.
 * @param {readonly number[]} xs
 * @param {number} p
 */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]);
}

/** @param {readonly number[]} xs */
export function median(xs) {
  return percentile(xs, 50);
}

/** @param {number} x */
export const round1 = (x) => Math.round(x * 10) / 10;
/** @param {number} x */
export const round3 = (x) => Math.round(x * 1000) / 1000;

/**
 * CPU seconds of this process (every thread) since `start`, a process.cpuUsage() reading.
 * @param {NodeJS.CpuUsage} start
 */
export function cpuSecondsSince(start) {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}
