// The resampler's WebAssembly SIMD kernel against its JS loop (the reference: float32 products summed in
// float64), for the rate pairs the analysis meets, awkward lengths, and a resampler reused across inputs;
// and the one-pass stereo downmix against the general one.
import { describe, expect, it } from 'vitest';
import { createResampler, type Resampler } from '../../src/core/audio/resample.js';
import { firModuleBytes } from '../../src/core/audio/resample-kernel.js';
import { downmix } from '../../src/core/audio/seek.js';

/** Deterministic uniform noise in [-amp, amp). */
function noise(n: number, seed: number, amp = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * amp;
  }
  return a;
}

function sine(freq: number, rate: number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin((2 * Math.PI * freq * i) / rate);
  return a;
}

/** Something like music near full scale: a few partials with a beat, a decaying envelope and noise. */
function musicLike(rate: number, n: number): Float32Array {
  const a = new Float32Array(n);
  const hiss = noise(n, 99, 0.05);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    const env = 0.6 + 0.35 * Math.exp(-((t * 4) % 1) * 5);
    const v = 0.5 * Math.sin(2 * Math.PI * 110 * t) + 0.3 * Math.sin(2 * Math.PI * 440.7 * t) + 0.15 * Math.sin(2 * Math.PI * 3520.3 * t);
    a[i] = Math.max(-1, Math.min(1, env * v + (hiss[i] as number)));
  }
  return a;
}

function compare(
  simd: Resampler,
  js: Resampler,
  x: Float32Array,
  outputLength?: number,
): { maxDiff: number; differing: number; length: number } {
  const a = simd.process(x, outputLength);
  const b = js.process(x, outputLength);
  expect(a.length).toBe(b.length);
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= maxDiff)) maxDiff = d; // NaN counts as a difference
    if (a[i] !== b[i]) differing++;
  }
  return { maxDiff, differing, length: a.length };
}

const PAIRS: [number, number][] = [
  [44100, 48000],
  [44100, 24000],
  [96000, 48000],
  [48000, 24000],
  [22050, 24000],
  [44056, 24000], // more than 4096 phases: the table row is computed from the phase, not equal to it
  [8000, 24000],
];

/** float32 sums against float64 sums: a few float32 roundings of full scale. */
const TOLERANCE = 1e-6;

describe('resampler SIMD kernel', () => {
  it('assembles a module WebAssembly accepts', () => {
    for (const taps of [4, 36, 64, 68, 1024]) expect(WebAssembly.validate(firModuleBytes(taps))).toBe(true);
  });

  it.each(PAIRS)('matches the JS loop from %i to %i Hz on noise, sines and music-like signals', (from, to) => {
    const simd = createResampler(from, to);
    const js = createResampler(from, to, { kernel: 'js' });
    expect(simd.kernel).toBe('simd');
    expect(js.kernel).toBe('js');
    const n = 2 * from + 7; // odd, and more outputs than one kernel call takes
    for (const x of [noise(n, from), sine(997, from, n), musicLike(from, n)]) {
      const { maxDiff, differing, length } = compare(simd, js, x);
      expect(length).toBe(Math.floor((n * to) / from));
      expect(maxDiff).toBeLessThan(TOLERANCE);
      // The kernel really ran: summing in float32 rounds some outputs differently from the JS loop.
      expect(differing).toBeGreaterThan(0);
    }
  });

  it.each(PAIRS)('handles odd lengths, short and long output requests and tiny inputs from %i to %i Hz', (from, to) => {
    const simd = createResampler(from, to);
    const js = createResampler(from, to, { kernel: 'js' });
    const filter = 2 * simd.halfWidth;
    for (const len of [0, 1, 3, filter - 1, filter, filter + 1, 3 * filter + 5, 10_001]) {
      const x = noise(len, len + 17);
      const natural = Math.floor((len * to) / from);
      for (const outputLength of [undefined, Math.floor(natural / 3), natural + 25, 0, 1]) {
        const { maxDiff, length } = compare(simd, js, x, outputLength);
        expect(length).toBe(outputLength ?? natural);
        expect(maxDiff).toBeLessThan(TOLERANCE);
      }
    }
  });

  it('gives outputs past the end of the input exactly as the JS loop does (they are its work)', () => {
    const simd = createResampler(44100, 48000);
    const js = createResampler(44100, 48000, { kernel: 'js' });
    const x = noise(4410, 5);
    const a = simd.process(x, 6000);
    const b = js.process(x, 6000);
    const inside = Math.floor((4410 * 48000 - 1) / 44100) + 1;
    expect([...a.subarray(inside)]).toEqual([...b.subarray(inside)]);
    expect(a.subarray(inside).some((v) => v !== 0)).toBe(true); // the filter's tail reaches past the end
  });

  it('reuses its memory: a short input after a long one reads zeros past its end, not the old samples', () => {
    const from = 96000;
    const to = 48000;
    const reused = createResampler(from, to);
    const long = noise(3 * from, 1);
    const short = noise(1001, 2);
    reused.process(long);
    const again = reused.process(short);
    const fresh = createResampler(from, to).process(short);
    expect([...again]).toEqual([...fresh]);
    const js = createResampler(from, to, { kernel: 'js' }).process(short);
    let maxDiff = 0;
    for (let i = 0; i < js.length; i++) maxDiff = Math.max(maxDiff, Math.abs((again[i] as number) - (js[i] as number)));
    expect(maxDiff).toBeLessThan(TOLERANCE);
    // and growing again after the short one
    const long2 = musicLike(from, 5 * from + 3);
    expect(compare(reused, createResampler(from, to, { kernel: 'js' }), long2).maxDiff).toBeLessThan(TOLERANCE);
  });

  it('keeps a 10 s window of a 44.1 kHz tone exact at 48 kHz (the analysis case)', () => {
    const y = createResampler(44100, 48000).process(sine(1000, 44100, 441_000));
    expect(y.length).toBe(480_000);
    const expected = sine(1000, 48000, 480_000);
    let maxErr = 0;
    for (let j = 1000; j < y.length - 1000; j++) maxErr = Math.max(maxErr, Math.abs((y[j] as number) - (expected[j] as number)));
    expect(maxErr).toBeLessThan(1e-3);
  });

  it('copies for equal rates without a kernel', () => {
    const rs = createResampler(48000, 48000);
    expect(rs.kernel).toBe('js');
    const x = noise(100, 3);
    expect([...rs.process(x, 50)]).toEqual([...x.subarray(0, 50)]);
  });
});

describe('downmix', () => {
  /** The general path's arithmetic: sum in float32, then scale in float32. */
  function reference(channels: Float32Array[]): Float32Array {
    const out = new Float32Array(channels[0]?.length ?? 0);
    for (const ch of channels) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + ((ch[i] ?? 0) as number);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * (1 / channels.length);
    return out;
  }

  it('averages stereo in one pass, bit for bit what summing and halving in float32 gives', () => {
    const l = noise(44_101, 1);
    const r = noise(44_101, 2);
    l[0] = 1;
    r[0] = 1;
    l[1] = -1;
    r[1] = 0.25;
    const m = downmix([l, r]);
    expect(m.length).toBe(l.length);
    expect([...m]).toEqual([...reference([l, r])]);
    expect(m[0]).toBe(1);
    expect(m[1]).toBe(-0.375);
  });

  it('returns mono as is, empty for none, and averages other layouts', () => {
    const mono = noise(10, 4);
    expect(downmix([mono])).toBe(mono);
    expect(downmix([]).length).toBe(0);
    const five = [1, 2, 3, 4, 5].map((s) => noise(1000, s));
    expect([...downmix(five)]).toEqual([...reference(five)]);
    // a shorter second channel counts as silence where it has no samples
    const l = noise(8, 6);
    const r = noise(5, 7);
    expect([...downmix([l, r])]).toEqual([...reference([l, r])]);
  });
});
