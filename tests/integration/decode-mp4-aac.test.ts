// MP4/M4A with AAC decoded from the start by its sample tables (src/core/audio/mp4-aac.ts): the samples
// equal audio-decode's streaming decode (the reference, `seek: false`) exactly, and the decode stops after
// the last window wanted, where the streaming demuxer of a file with its moov at the end decoded the whole
// track in one call (ffmpeg writes the moov last, as the corpus file has it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSegments, type DecodedSegments } from '../../src/core/audio/decode.js';
import { fullGrid, planSegments, type SegmentSpec } from '../../src/core/audio/segments.js';
import { ensureRealCorpus, requireFfmpeg, type CorpusFile } from '../support/real-corpus.js';
import { FIXTURES_DIR } from '../support/library-gen.js';

let aac: CorpusFile;

beforeAll(async () => {
  requireFfmpeg();
  const f = (await ensureRealCorpus()).files.find((c) => c.format === 'aac');
  if (!f) throw new Error('the real corpus has no aac file');
  aac = f;
}, 240_000);

function maxDiff(a: DecodedSegments, b: DecodedSegments): number {
  expect(a.segments.map((s) => s.spec)).toEqual(b.segments.map((s) => s.spec));
  let m = 0;
  a.segments.forEach((s, i) => {
    const y = b.segments[i]?.samples as Float32Array;
    expect(s.samples.length).toBe(y.length);
    for (let k = 0; k < y.length; k++) m = Math.max(m, Math.abs((s.samples[k] as number) - (y[k] as number)));
  });
  return m;
}

/** The first byte offset of the top-level box `type`, or -1. */
function boxOffset(file: Buffer, type: string): number {
  for (let off = 0; off + 8 <= file.length;) {
    const size = file.readUInt32BE(off);
    if (file.toString('latin1', off + 4, off + 8) === type) return off;
    if (size < 8) return -1;
    off += size;
  }
  return -1;
}

describe('MP4 AAC decoded by its sample tables', () => {
  it('the corpus file has its moov after the mdat (the case the streaming demuxer decodes whole)', () => {
    const file = readFileSync(aac.path);
    expect(boxOffset(file, 'moov')).toBeGreaterThan(boxOffset(file, 'mdat'));
  });

  it.each([
    ['the quick policy', (d: number): SegmentSpec[] => planSegments(d, { kind: 'quick', count: 3 }, 10)],
    ['every window of the full grid', (d: number): SegmentSpec[] => fullGrid(d, 10)],
    ['the first window', (): SegmentSpec[] => [{ index: 0, start: 0 }]],
  ])(
    '%s: sample for sample the streaming decode, at 24 and 48 kHz',
    async (_name, plan) => {
      const specs = plan(aac.reference.duration);
      for (const targetRate of [24000, 48000]) {
        const options = { targetRate, segmentSeconds: 10, duration: aac.reference.duration };
        const reference = await decodeSegments(aac.path, specs, { ...options, seek: false });
        const tables = await decodeSegments(aac.path, specs, options);
        expect(tables.method).toBe('stream');
        expect(maxDiff(tables, reference)).toBe(0);
      }
    },
    120_000,
  );

  it('stops decoding after the last window wanted', async () => {
    const options = { targetRate: 24000, segmentSeconds: 10, duration: aac.reference.duration };
    const first = await decodeSegments(aac.path, [{ index: 0, start: 0 }], options);
    const reference = await decodeSegments(aac.path, [{ index: 0, start: 0 }], { ...options, seek: false });
    // The streaming demuxer yields the whole track at once when the moov comes last.
    expect(reference.decodedSamples / reference.sourceRate).toBeGreaterThan(0.9 * aac.reference.duration);
    expect(first.decodedSamples / first.sourceRate).toBeLessThan(15);
  }, 60_000);

  it('decodes the short AAC fixture (moov first) as the streaming decode does', async () => {
    const path = join(FIXTURES_DIR, 'aac.m4a');
    const specs = [{ index: 0, start: 0 }];
    const options = { targetRate: 24000, segmentSeconds: 10 };
    expect(maxDiff(await decodeSegments(path, specs, options), await decodeSegments(path, specs, { ...options, seek: false }))).toBe(0);
  });
});
