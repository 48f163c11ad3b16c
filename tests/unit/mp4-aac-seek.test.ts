// MP4/M4A with AAC: windows decoded after a seek by the sample tables (src/core/audio/mp4-aac.ts,
// openMp4AacSeeker) against the full decode from the start (`seek: false`, audio-decode's streaming
// demuxer: the reference every seeker is held to, see src/core/audio/seek.ts).
//
// - Without perceptual noise substitution (ffmpeg `-aac_pns 0`) the seeked windows are the full decode's
//   bit for bit: the only state an AAC-LC frame carries over is the MDCT overlap, which the access unit
//   FAAD2 decodes and withholds before a span refills.
// - With PNS the noise bands get another noise (the decoder's random generator starts afresh at each
//   seek): the waveform differs there, the spectrum does not. Measured on this file at 48 kHz, 10 s
//   windows: 17-19 dB SNR against the full decode where the encoder leans on PNS (its first ~10 s),
//   40-50 dB or exact elsewhere, yet every third-octave band's energy within 0.04 dB, and the windows
//   sample-aligned (cross-correlation peak at lag 0).
//
// The files are made with ffmpeg's AAC encoder from a tone plus pink noise switched on and off every 4 s.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import decode from 'audio-decode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openByteReader } from '../../src/core/audio/byte-reader.js';
import { decodeSegments, downmix, type DecodedSegments, type DecodeSegmentsOptions } from '../../src/core/audio/decode.js';
import { AAC_PREROLL_UNITS, ascRate, openMp4Aac, openMp4AacSeeker } from '../../src/core/audio/mp4-aac.js';
import { planSegments, type SegmentSpec } from '../../src/core/audio/segments.js';
import { boxOffset } from '../support/mp4-boxes.js';
import { ffmpeg } from '../support/ffmpeg.js';

const DURATION = 60;
const SECONDS = 10;
/** 44.1 kHz sources upsampled: the whole coded band (PNS included) reaches the comparison. */
const RATE = 48000;
/** The lowest SNR a seeked 10 s window may have against the full decode with PNS (measured >= 16.8 dB). */
const PNS_MIN_SNR_DB = 15;
/** The largest difference in a third-octave band's energy with PNS (measured <= 0.035 dB). */
const PNS_MAX_BAND_DB = 0.25;

let dir = '';

const path = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'moodshelf-aac-seek-'));
  const graph =
    `sine=f=330:d=${DURATION},volume=0.3[a];` +
    `anoisesrc=c=pink:a=0.3:d=${DURATION}:seed=5,volume='if(lt(mod(t\\,8)\\,4)\\,1\\,0.05)':eval=frame[b];` +
    '[a][b]amix=inputs=2,aformat=channel_layouts=stereo';
  ffmpeg(['-f', 'lavfi', '-i', graph, '-ar', '44100', '-c:a', 'pcm_s16le', path('master.wav')]);
  const aac = ['-c:a', 'aac', '-b:a', '128k'];
  // ffmpeg writes the moov after the mdat unless asked to move it (+faststart).
  ffmpeg(['-i', path('master.wav'), ...aac, '-aac_pns', '0', path('plain.m4a')]);
  ffmpeg(['-i', path('master.wav'), ...aac, '-aac_pns', '0', '-movflags', '+faststart', path('plain-faststart.m4a')]);
  ffmpeg(['-i', path('master.wav'), ...aac, path('pns.m4a')]);
  ffmpeg(['-i', path('master.wav'), '-t', '12', '-c:a', 'alac', path('alac.m4a')]);
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Signal-to-difference ratio of `x` against the reference `ref`, dB. */
function snrDb(x: Float32Array, ref: Float32Array): number {
  let e = 0;
  let p = 0;
  for (let i = 0; i < ref.length; i++) {
    e += ((x[i] as number) - (ref[i] as number)) ** 2;
    p += (ref[i] as number) ** 2;
  }
  return 10 * Math.log10(p / e);
}

/** The lag in [-maxLag, maxLag] where the normalised cross-correlation of x against y peaks. */
function peakLag(x: Float32Array, y: Float32Array, maxLag: number): number {
  let best = -Infinity;
  let bestLag = NaN;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = maxLag; i < y.length - maxLag; i++) {
      const a = x[i + lag] as number;
      const b = y[i] as number;
      xy += a * b;
      xx += a * a;
      yy += b * b;
    }
    const c = xy / Math.sqrt(xx * yy);
    if (c > best) {
      best = c;
      bestLag = lag;
    }
  }
  return bestLag;
}

/** In-place radix-2 FFT of (re, im). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j] as number, re[i] as number];
      [im[i], im[j]] = [im[j] as number, im[i] as number];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const step = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(step * k);
        const wi = Math.sin(step * k);
        const p = i + k;
        const q = p + len / 2;
        const tr = (re[q] as number) * wr - (im[q] as number) * wi;
        const ti = (re[q] as number) * wi + (im[q] as number) * wr;
        re[q] = (re[p] as number) - tr;
        im[q] = (im[p] as number) - ti;
        re[p] = (re[p] as number) + tr;
        im[p] = (im[p] as number) + ti;
      }
    }
  }
}

/** Energy (dB) of `x` in third-octave bands from 50 Hz to 20 kHz (Hann-windowed, half-overlapping frames). */
function thirdOctaveDb(x: Float32Array, rate: number): number[] {
  const n = 4096;
  const power = new Float64Array(n / 2);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let at = 0; at + n <= x.length; at += n / 2) {
    for (let i = 0; i < n; i++) {
      re[i] = (x[at + i] as number) * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
      im[i] = 0;
    }
    fft(re, im);
    for (let k = 0; k < n / 2; k++) power[k] = (power[k] as number) + (re[k] as number) ** 2 + (im[k] as number) ** 2;
  }
  const bands: number[] = [];
  for (let lo = 50; lo * 2 ** (1 / 3) < 20000; lo *= 2 ** (1 / 3)) {
    let e = 0;
    for (let k = Math.ceil((lo * n) / rate); k < (lo * 2 ** (1 / 3) * n) / rate; k++) e += power[k] as number;
    bands.push(10 * Math.log10(e + 1e-20));
  }
  return bands;
}

async function both(
  file: string,
  specs: SegmentSpec[],
  options: Partial<DecodeSegmentsOptions> = {},
): Promise<{ full: DecodedSegments; seeked: DecodedSegments }> {
  const o = { targetRate: RATE, segmentSeconds: SECONDS, duration: DURATION, ...options };
  const full = await decodeSegments(path(file), specs, { ...o, seek: false });
  const seeked = await decodeSegments(path(file), specs, o);
  expect(full.method).toBe('stream');
  expect(seeked.segments.map((s) => s.spec)).toEqual(full.segments.map((s) => s.spec));
  return { full, seeked };
}

const samples = (r: DecodedSegments, i: number): Float32Array => r.segments[i]?.samples as Float32Array;

/**
 * The very start, lone windows in the middle (each its own seek), a window ending at the track's end,
 * one running past it (zero-padded) and one wholly beyond it (all zeros); the last three share a decode.
 */
const SPREAD: SegmentSpec[] = [
  { index: 0, start: 0 },
  { index: 1, start: 13.7 },
  { index: 2, start: 30 },
  { index: 3, start: DURATION - SECONDS },
  { index: 4, start: DURATION - 4 },
  { index: 5, start: DURATION + 5 },
];

describe('MP4 AAC windows decoded after a seek', () => {
  it('the files have their moov after the mdat (ffmpeg default) and before it (+faststart)', () => {
    const end = readFileSync(path('plain.m4a'));
    const start = readFileSync(path('plain-faststart.m4a'));
    expect(boxOffset(end, 'moov')).toBeGreaterThan(boxOffset(end, 'mdat'));
    expect(boxOffset(start, 'moov')).toBeLessThan(boxOffset(start, 'mdat'));
  });

  it.each(['plain.m4a', 'plain-faststart.m4a'])('%s (no PNS): every window is the full decode, bit for bit', async (file) => {
    const { full, seeked } = await both(file, SPREAD);
    expect(seeked.method).toBe('seek');
    SPREAD.forEach((_s, i) => expect(maxDiff(samples(seeked, i), samples(full, i))).toBe(0));
    // Audio where there is audio, zeros past the end.
    expect(samples(seeked, 3).some((v) => v !== 0)).toBe(true);
    expect(
      samples(seeked, 4)
        .subarray(0, 3 * RATE)
        .some((v) => v !== 0),
    ).toBe(true);
    expect(
      samples(seeked, 4)
        .subarray(5 * RATE)
        .every((v) => v === 0),
    ).toBe(true);
    expect(samples(seeked, 5).every((v) => v === 0)).toBe(true);
  });

  it('without a known duration the track still ends where the full decode ends (the edit list trims the padding)', async () => {
    const { full, seeked } = await both('plain.m4a', SPREAD.slice(3), { duration: undefined });
    expect(seeked.method).toBe('seek');
    [0, 1, 2].forEach((i) => expect(maxDiff(samples(seeked, i), samples(full, i))).toBe(0));
  });

  it('the moov at the start or at the end gives the same windows', async () => {
    const options = { targetRate: RATE, segmentSeconds: SECONDS, duration: DURATION };
    const end = await decodeSegments(path('plain.m4a'), SPREAD, options);
    const start = await decodeSegments(path('plain-faststart.m4a'), SPREAD, options);
    SPREAD.forEach((_s, i) => expect(maxDiff(samples(start, i), samples(end, i))).toBe(0));
  });

  it('decodes about the windows plus pre-roll, not the track; near windows share one decode', async () => {
    const options = { targetRate: RATE, segmentSeconds: SECONDS, duration: DURATION };
    const quick = planSegments(DURATION, { kind: 'quick', count: 3 }, SECONDS);
    expect(quick.map((s) => s.start)).toEqual([10, 30, 50]);
    const full = await decodeSegments(path('plain.m4a'), quick, { ...options, seek: false });
    const seeked = await decodeSegments(path('plain.m4a'), quick, options);
    expect(full.decodedSamples / full.sourceRate).toBeGreaterThan(DURATION - 0.1);
    // Per window: the resampler's context on both sides and a few access units (23 ms each) of pre-roll.
    const seconds = seeked.decodedSamples / seeked.sourceRate;
    expect(seconds).toBeGreaterThanOrEqual(3 * SECONDS);
    expect(seconds).toBeLessThan(3 * (SECONDS + 0.25));
    // Two adjacent windows: one decode run, so one pre-roll.
    const pair = await decodeSegments(
      path('plain.m4a'),
      [
        { index: 2, start: 20 },
        { index: 3, start: 30 },
      ],
      options,
    );
    expect(pair.decodedSamples / pair.sourceRate).toBeLessThan(2 * SECONDS + 0.25);
  });

  it.each(['plain.m4a', 'plain-faststart.m4a'])(
    "%s: the decode from the start (the fallback) is audio-decode's whole-file decode",
    async (file) => {
      const reader = await openByteReader(path(file));
      try {
        const stream = await openMp4Aac(reader);
        const reference = await decode(readFileSync(path(file)));
        const whole = downmix(reference.channelData);
        let next = 0;
        let worst = 0;
        await stream?.decode((start, mono, rate) => {
          expect(rate).toBe(reference.sampleRate);
          expect(start).toBe(next);
          worst = Math.max(worst, maxDiff(mono, whole.subarray(start, start + mono.length)));
          next += mono.length;
          return true;
        });
        expect(next).toBe(whole.length);
        expect(worst).toBe(0);
      } finally {
        await reader.close();
      }
    },
  );

  it('one access unit of pre-roll (the one FAAD2 withholds) already gives the full decode without PNS', async () => {
    const reader = await openByteReader(path('plain.m4a'));
    try {
      const stream = await openMp4Aac(reader);
      const parts: Float32Array[] = [];
      let next = 0;
      await stream?.decode((start, mono) => {
        expect(start).toBe(next);
        next += mono.length;
        parts.push(mono.slice());
        return true;
      });
      const whole = new Float32Array(next);
      let at = 0;
      for (const p of parts) {
        whole.set(p, at);
        at += p.length;
      }
      expect(whole.length).toBe(DURATION * 44100);
      for (const preroll of [0, AAC_PREROLL_UNITS]) {
        const seeker = await openMp4AacSeeker(reader, preroll);
        expect(seeker?.sampleRate).toBe(44100);
        // Starts inside, at and just before an access unit (1024 samples), and the last samples.
        for (const from of [123_456, 1024 * 700, 1024 * 700 - 1, whole.length - 3000]) {
          const to = from + 5000;
          const got = new Float32Array(to - from);
          let covered = 0;
          const decoded = await seeker?.decodeSpan(from, to, (start, mono) => {
            const a = Math.max(start, from);
            const b = Math.min(start + mono.length, to);
            if (a < b) {
              got.set(mono.subarray(a - start, b - start), a - from);
              covered += b - a;
            }
          });
          expect(covered).toBe(Math.min(to, whole.length) - from);
          expect(decoded).toBeLessThan(to - from + (preroll + 3) * 1024);
          expect(maxDiff(got.subarray(0, covered), whole.subarray(from, from + covered))).toBe(0);
        }
      }
    } finally {
      await reader.close();
    }
  });

  it('with PNS: the noise bands differ, their energy and the alignment do not', async () => {
    // Windows far enough apart that each is decoded after its own seek; the first where PNS abounds.
    const specs = [3, 20, 37].map((start, index) => ({ index, start }));
    const { full, seeked } = await both('pns.m4a', specs);
    expect(seeked.method).toBe('seek');
    expect(seeked.decodedSamples / seeked.sourceRate).toBeLessThan(3 * (SECONDS + 0.25));
    // PNS is in play (else this test would show nothing): the seeked noise is not the full decode's.
    expect(maxDiff(samples(seeked, 0), samples(full, 0))).toBeGreaterThan(1e-3);
    specs.forEach((_s, i) => {
      const x = samples(seeked, i);
      const y = samples(full, i);
      expect(snrDb(x, y)).toBeGreaterThan(PNS_MIN_SNR_DB);
      expect(peakLag(x, y, 32)).toBe(0);
      const a = thirdOctaveDb(x, RATE);
      const b = thirdOctaveDb(y, RATE);
      const worst = Math.max(...a.map((v, k) => Math.abs(v - (b[k] as number))));
      expect(worst).toBeLessThan(PNS_MAX_BAND_DB);
    });
  });

  it('leaves ALAC to the decode from the start', async () => {
    const r = await decodeSegments(path('alac.m4a'), [{ index: 0, start: 1 }], { targetRate: RATE, segmentSeconds: SECONDS });
    expect(r.method).toBe('stream');
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      decodeSegments(path('plain.m4a'), [{ index: 3, start: 30 }], {
        targetRate: RATE,
        segmentSeconds: SECONDS,
        signal: controller.signal,
      }),
    ).rejects.toThrow(/cancelled/);
  });
});

describe('AudioSpecificConfig sampling frequency', () => {
  /** An AudioSpecificConfig's first bits, MSB first, padded with zeros to whole bytes. */
  const bits = (...fields: [number, number][]): Uint8Array => {
    const all = fields.map(([v, n]) => v.toString(2).padStart(n, '0')).join('');
    const padded = all.padEnd(Math.ceil(all.length / 8) * 8, '0');
    return Uint8Array.from({ length: padded.length / 8 }, (_, k) => parseInt(padded.slice(8 * k, 8 * k + 8), 2));
  };
  it('reads the index, the explicit 24-bit frequency, and both after an escaped object type', () => {
    expect(ascRate(bits([2, 5], [4, 4], [2, 4]))).toBe(44100); // AAC LC, 44.1 kHz, stereo
    expect(ascRate(bits([2, 5], [15, 4], [44056, 24]))).toBe(44056);
    expect(ascRate(bits([31, 5], [10, 6], [3, 4]))).toBe(48000); // object type 42, escaped
    expect(ascRate(bits([31, 5], [10, 6], [15, 4], [37800, 24]))).toBe(37800);
    expect(ascRate(bits([2, 5], [13, 4]))).toBe(0); // reserved index
    expect(ascRate(new Uint8Array(0))).toBe(0);
  });
});
