// MP4/M4A with AAC decoded by its sample tables (src/core/audio/mp4-aac.ts), windows after a seek: the
// samples equal audio-decode's streaming decode (the reference, `seek: false`) but for the noise bands
// (PNS) of windows decoded after a seek (measured on the corpus file: >= 51 dB SNR per 10 s window; the
// first window, decoded from the start, exactly), and the decode stops after the last window wanted, where
// the streaming demuxer of a file with its moov at the end decoded the whole track in one call (ffmpeg
// writes the moov last, as the corpus file has it). tests/unit/mp4-aac-seek.test.ts has the exact checks
// (files without PNS) and the decode from the start.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSegments, type DecodedSegments } from '../../src/core/audio/decode.js';
import { fullGrid, planSegments, type SegmentSpec } from '../../src/core/audio/segments.js';
import { ensureRealCorpus, requireFfmpeg, type CorpusFile } from '../support/real-corpus.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { boxOffset } from '../support/mp4-boxes.js';

let aac: CorpusFile;

beforeAll(async () => {
  requireFfmpeg();
  const f = (await ensureRealCorpus()).files.find((c) => c.format === 'aac');
  if (!f) throw new Error('the real corpus has no aac file');
  aac = f;
}, 240_000);

/** The lowest signal-to-difference ratio (dB) of a's windows against b's (Infinity when equal). */
function minSnrDb(a: DecodedSegments, b: DecodedSegments): number {
  let worst = Infinity;
  a.segments.forEach((s, i) => {
    const y = b.segments[i]?.samples as Float32Array;
    let e = 0;
    let p = 0;
    for (let k = 0; k < y.length; k++) {
      e += ((s.samples[k] as number) - (y[k] as number)) ** 2;
      p += (y[k] as number) ** 2;
    }
    worst = Math.min(worst, 10 * Math.log10(p / e));
  });
  return worst;
}

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

describe('MP4 AAC decoded by its sample tables', () => {
  it('the corpus file has its moov after the mdat (the case the streaming demuxer decodes whole)', () => {
    const file = readFileSync(aac.path);
    expect(boxOffset(file, 'moov')).toBeGreaterThan(boxOffset(file, 'mdat'));
  });

  it.each([
    ['the quick policy', 45, (d: number): SegmentSpec[] => planSegments(d, { kind: 'quick', count: 3 }, 10)],
    ['every window of the full grid', 45, (d: number): SegmentSpec[] => fullGrid(d, 10)],
    ['the first window', Infinity, (): SegmentSpec[] => [{ index: 0, start: 0 }]],
  ])(
    '%s: the streaming decode but for PNS noise (SNR >= %s dB), at 24 and 48 kHz',
    async (_name, snr, plan) => {
      const specs = plan(aac.reference.duration);
      for (const targetRate of [24000, 48000]) {
        const options = { targetRate, segmentSeconds: 10, duration: aac.reference.duration };
        const reference = await decodeSegments(aac.path, specs, { ...options, seek: false });
        const tables = await decodeSegments(aac.path, specs, options);
        expect(tables.method).toBe('seek');
        if (snr === Infinity) expect(maxDiff(tables, reference)).toBe(0);
        else expect(minSnrDb(tables, reference)).toBeGreaterThanOrEqual(snr);
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
