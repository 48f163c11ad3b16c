// The pooled MP3 decoder (src/core/audio/mp3-pool.ts) against audio-decode's own, created fresh for each
// stretch: on full-length files from real encoders, fed from arbitrary byte offsets (mid-frame, as a seek's
// back-off never is, so the decoder's resynchronisation is exercised too), the samples must be identical.
import { readFileSync } from 'node:fs';
import decode from 'audio-decode';
import { beforeAll, describe, expect, it } from 'vitest';
import { pooledMp3Decoder, pooledMp3HeapBytes } from '../../src/core/audio/mp3-pool.js';
import { downmix } from '../../src/core/audio/seek.js';
import { ensureRealCorpus, requireFfmpeg, type CorpusFile } from '../support/real-corpus.js';

let mp3s: CorpusFile[] = [];

beforeAll(async () => {
  requireFfmpeg();
  mp3s = (await ensureRealCorpus()).files.filter((f) => f.format.startsWith('mp3-'));
}, 240_000);

/** What a fresh audio-decode decoder yields for `bytes` (mono, as the seekers use it). */
async function fresh(bytes: Uint8Array): Promise<Float32Array> {
  const d = await decode.mp3();
  try {
    const r = await d(bytes);
    return r.channelData.length ? downmix(r.channelData) : new Float32Array(0);
  } finally {
    d.free();
  }
}

function expectSame(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  expect(diff).toBe(0);
}

describe('the pooled MP3 decoder', () => {
  it('decodes any stretch of real files exactly as a fresh decoder, reset after reset, in one memory', async () => {
    expect(mp3s.length).toBeGreaterThanOrEqual(4);
    let heap: number | null = null;
    let stretches = 0;
    for (const f of mp3s) {
      const bytes = new Uint8Array(readFileSync(f.path));
      for (let k = 0; k < 6; k++) {
        // from the very start (tags, Xing frame) and from odd offsets through the file
        const from = k === 0 ? 0 : Math.floor(((k * 0.161 + 0.05) % 1) * (bytes.length - 65_536)) | 1;
        const stretch = bytes.subarray(from, from + 48_000 + k * 7_001);
        const d = await pooledMp3Decoder();
        const r = await d(stretch);
        d.free();
        expectSame(r.channelData.length ? downmix(r.channelData) : new Float32Array(0), await fresh(stretch));
        heap ??= pooledMp3HeapBytes();
        expect(pooledMp3HeapBytes()).toBe(heap);
        stretches++;
      }
    }
    expect(stretches).toBe(6 * mp3s.length);
    expect(heap).toBeGreaterThan(0);
  }, 120_000);

  it('gives two decoders in use at once their own state, keeps one idle, and refuses a freed one', async () => {
    const a = new Uint8Array(readFileSync((mp3s[0] as CorpusFile).path));
    const b = new Uint8Array(readFileSync((mp3s[1] as CorpusFile).path));
    const d1 = await pooledMp3Decoder();
    const d2 = await pooledMp3Decoder();
    const out1: Float32Array[] = [];
    const out2: Float32Array[] = [];
    // interleaved feeding: each decoder keeps its own partial frame between calls
    for (let at = 0; at < 200_000; at += 33_333) {
      const r1 = await d1(a.subarray(at, at + 33_333));
      const r2 = await d2(b.subarray(at, at + 33_333));
      if (r1.channelData.length) out1.push(downmix(r1.channelData));
      if (r2.channelData.length) out2.push(downmix(r2.channelData));
    }
    const join = (parts: Float32Array[]): Float32Array => {
      const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      return all;
    };
    const fed = Math.ceil(200_000 / 33_333) * 33_333;
    const want1 = await fresh(a.subarray(0, fed));
    const want2 = await fresh(b.subarray(0, fed));
    // a fresh decoder given the same bytes at once yields the same samples as the pooled one fed in pieces
    expectSame(join(out1), want1);
    expectSame(join(out2), want2);
    d1.free();
    d2.free();
    expect(pooledMp3HeapBytes()).toBeGreaterThan(0);
    await expect(d1(a.subarray(0, 1000))).rejects.toThrow(/already freed/);
    expect((await d2()).channelData).toEqual([]);
  }, 60_000);
});
