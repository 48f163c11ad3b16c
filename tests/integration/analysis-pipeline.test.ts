// The analysis as a pipeline: while full-length files are decoded in a decode worker thread and embedded
// in the inference worker, the core answers a trivial request (analysis-status, every 20 ms) promptly, and
// the stored results are those of decoding and embedding in the core's own thread
// (MOODSHELF_DECODE_WORKERS=0, MOODSHELF_INFERENCE_WORKER=0).
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { analyseProbed, libraryOf } from '../support/analysis-latency.js';
import { ensureRealCorpus, requireFfmpeg } from '../support/real-corpus.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
/** One file per path through the decoder: MP3 frame index, FLAC bisection, Opus and Vorbis granules, AAC sample tables. */
const FORMATS = ['mp3-vbr-xing', 'flac-cover', 'opus', 'vorbis', 'aac'];
let files: string[] = [];

beforeAll(async () => {
  requireFfmpeg();
  const corpus = await ensureRealCorpus();
  files = FORMATS.map((f) => corpus.files.find((c) => c.format === f)?.path as string);
}, 240_000);

/** Runs `f` with MOODSHELF_DECODE_WORKERS and MOODSHELF_INFERENCE_WORKER set to `workers`. */
async function withWorkers<T>(workers: '0' | '1', f: () => Promise<T>): Promise<T> {
  const names = ['MOODSHELF_DECODE_WORKERS', 'MOODSHELF_INFERENCE_WORKER'];
  const before = names.map((n) => process.env[n]);
  for (const n of names) process.env[n] = workers;
  try {
    return await f();
  } finally {
    names.forEach((n, i) => {
      if (before[i] === undefined) delete process.env[n];
      else process.env[n] = before[i];
    });
  }
}

/** Every stored segment embedding, by file name and segment index. */
function embeddings(core: Core): Record<string, number[]> {
  const rows = core.context.db
    .prepare(
      `SELECT t.path AS path, s.segment_index AS i, s.embedding AS e FROM segment_embeddings s JOIN tracks t ON t.id = s.track_id
       ORDER BY t.path, s.segment_index`,
    )
    .all() as { path: string; i: number; e: Buffer }[];
  return Object.fromEntries(
    rows.map((r) => [`${basename(r.path)}#${r.i}`, [...new Float32Array(r.e.buffer, r.e.byteOffset, r.e.length / 4)]]),
  );
}

describe('analysis pipeline', () => {
  it('stays responsive while decoding and embedding full-length files in workers, with the results of this thread', async () => {
    const root = tempDir();
    const lib = libraryOf(files, root);

    const inWorkers = await withWorkers('1', async () => {
      const core = await createCore({ dataDir: join(root, 'workers'), threads: 1 });
      try {
        const report = await analyseProbed(core, lib);
        return { report, stored: embeddings(core) };
      } finally {
        await core.close();
      }
    });
    expect(inWorkers.report).toMatchObject({
      analyzed: FORMATS.length,
      failed: 0,
      pipeline: { decodeWorkers: 1, decodedInWorkers: FORMATS.length, decodedInThread: 0, encoderInWorker: true },
    });
    expect(inWorkers.report.requests).toBeGreaterThan(20);
    // The core's thread is busy only a few per cent of the time (measured 0.05; decoding and embedding in
    // it: 0.99). This share hardly moves when other work loads the machine; latency does.
    expect(inWorkers.report.eventLoopUtilization).toBeLessThan(0.3);
    // Generous, so a loaded machine cannot fail it: measured 8-38 ms, 208 ms once with the whole suite and
    // other jobs on the 2 cores; in this thread, decoding the AAC file held the loop for 0.7-3 s when it was decoded from its start.
    expect(inWorkers.report.p99Ms).toBeLessThan(400);

    const inThread = await withWorkers('0', async () => {
      mkdirSync(join(root, 'thread'));
      const core = await createCore({ dataDir: join(root, 'thread'), threads: 1 });
      try {
        const report = await analyseProbed(core, lib);
        return { report, stored: embeddings(core) };
      } finally {
        await core.close();
      }
    });
    expect(inThread.report).toMatchObject({
      analyzed: FORMATS.length,
      failed: 0,
      pipeline: { decodeWorkers: 0, decodedInWorkers: 0, encoderInWorker: false },
    });
    expect(Object.keys(inWorkers.stored)).toHaveLength(3 * FORMATS.length);
    expect(inWorkers.stored).toEqual(inThread.stored);
  }, 180_000);
});
