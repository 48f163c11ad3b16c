// The decode pool: the same windows from a worker thread as from the calling thread (samples transferred),
// errors that keep their errno code (so the analysis gives the same reason), cancellation, and decoding
// in the calling thread when no worker can start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDecodePool, defaultDecodeWorkers, type DecodePool } from '../../src/core/audio/decode-pool.js';
import { decodeSegments } from '../../src/core/audio/decode.js';
import { describeAnalysisError } from '../../src/core/analysis/service.js';
import type { Logger } from '../../src/core/kernel/logger.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const warnings: string[] = [];
const log: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (msg: string) => void warnings.push(msg),
  error: (msg: string) => void warnings.push(msg),
  child: () => log,
} as unknown as Logger;

const pools: DecodePool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  warnings.length = 0;
});

function pool(size: number, workerFile?: string): DecodePool {
  const p = createDecodePool(size, log, workerFile ? { workerFile } : {});
  pools.push(p);
  return p;
}

const OPTIONS = { targetRate: 24000, segmentSeconds: 1 };
const SPECS = [
  { index: 0, start: 0 },
  { index: 1, start: 0.5 },
];

describe('decode pool', () => {
  it.each(['mp3.mp3', 'flac.flac', 'opus.opus', 'pcm.wav', 'aac.m4a'])('decodes %s in a worker exactly as in this thread', async (name) => {
    const p = pool(1);
    await p.settled;
    expect(p.workers).toBe(1);
    const path = join(FIXTURES_DIR, name);
    const [fromWorker, here] = await Promise.all([p.decode(path, SPECS, OPTIONS), decodeSegments(path, SPECS, OPTIONS)]);
    expect(fromWorker.segments.map((s) => s.spec)).toEqual(SPECS);
    expect(fromWorker.segments.every((s) => s.samples instanceof Float32Array && s.samples.length === 24000)).toBe(true);
    expect(fromWorker.segments.map((s) => [...s.samples])).toEqual(here.segments.map((s) => [...s.samples]));
    expect(fromWorker.method).toBe(here.method);
    expect(p.stats).toMatchObject({ inWorkers: 1, inThread: 0 });
    // The worker thread's own CPU for the decode (Linux tells it): some, and less than the whole test took.
    if (process.platform === 'linux') expect(p.stats.workerCpuMs).toBeGreaterThan(0);
  });

  it('keeps the errno code of a failure, so the analysis states the same reason', async () => {
    const p = pool(1);
    const err = await p.decode('/nonexistent/gone.mp3', SPECS, OPTIONS).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(describeAnalysisError(err)).toBe('The file is no longer on disk');
    const bad = join(tempDir(), 'noise.mp3');
    writeFileSync(bad, Buffer.alloc(4096, 7));
    const inWorker = await p.decode(bad, SPECS, OPTIONS).catch((e: unknown) => describeAnalysisError(e));
    const inThread = await decodeSegments(bad, SPECS, OPTIONS).catch((e: unknown) => describeAnalysisError(e));
    expect(inWorker).toBe(inThread);
  });

  it('rejects a cancelled decode at once', async () => {
    const p = pool(1);
    await p.settled;
    const abort = new AbortController();
    const pending = p.decode(join(FIXTURES_DIR, 'flac.flac'), SPECS, OPTIONS, abort.signal);
    abort.abort();
    await expect(pending).rejects.toThrow(/cancelled/);
    // The worker is still there for the next one.
    expect((await p.decode(join(FIXTURES_DIR, 'flac.flac'), SPECS, OPTIONS)).segments).toHaveLength(2);
  });

  it('decodes in this thread when no worker can start, and says why', async () => {
    const broken = join(tempDir(), 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("cannot load");\n');
    const p = pool(1, broken);
    await p.settled;
    const r = await p.decode(join(FIXTURES_DIR, 'pcm.wav'), SPECS, OPTIONS);
    expect(r.segments).toHaveLength(2);
    expect(p.stats.inThread).toBe(1);
    expect(warnings.join('\n')).toMatch(/decode worker/);
  });

  it('decodes in this thread with 0 workers, and reads MOODSHELF_DECODE_WORKERS', async () => {
    const p = pool(0);
    expect(p.workers).toBe(0);
    await p.decode(join(FIXTURES_DIR, 'pcm.wav'), SPECS, OPTIONS);
    expect(p.stats).toEqual({ inWorkers: 0, inThread: 1, workerCpuMs: null });
    const before = process.env.MOODSHELF_DECODE_WORKERS;
    try {
      process.env.MOODSHELF_DECODE_WORKERS = '0';
      expect(defaultDecodeWorkers()).toBe(0);
      process.env.MOODSHELF_DECODE_WORKERS = '3';
      expect(defaultDecodeWorkers()).toBe(3);
      delete process.env.MOODSHELF_DECODE_WORKERS;
      expect(defaultDecodeWorkers()).toBeGreaterThanOrEqual(1);
    } finally {
      if (before === undefined) delete process.env.MOODSHELF_DECODE_WORKERS;
      else process.env.MOODSHELF_DECODE_WORKERS = before;
    }
  });
});
