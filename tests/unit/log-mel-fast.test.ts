// The WebAssembly SIMD log-mel kernel (src/core/audio/log-mel.ts) against a straightforward reference: numpy's
// reflect padding, a textbook FFT (or a direct DFT), and transformers.js's float32 rounding points and floors
// written out step by step. The plain JavaScript path is checked the same way, and both against each other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClapFeatureExtractor } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { createLogMel, type LogMelConfig } from '../../src/core/audio/log-mel.js';
import { TINY_CLAP } from '../support/packs.js';

/** The CLAP extractor's own Slaney filters and Hann window (1024-point FFT, hop 480, 64 mels, 48 kHz). */
function clapConfig(): LogMelConfig {
  const config = JSON.parse(readFileSync(join(TINY_CLAP, 'clap', 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
  const fe = new ClapFeatureExtractor(config) as unknown as { mel_filters_slaney: number[][]; window: Float64Array };
  return { filters: fe.mel_filters_slaney, window: fe.window, fftLength: 1024, hop: 480 };
}

/** A textbook recursive radix-2 DFT of a real frame; returns the power of bins 0 .. n / 2. */
function fftPower(x: Float64Array): Float64Array {
  const rec = (re: Float64Array, im: Float64Array): [Float64Array, Float64Array] => {
    const n = re.length;
    if (n === 1) return [re, im];
    const half = n / 2;
    const pick = (a: Float64Array, odd: number): Float64Array => Float64Array.from({ length: half }, (_, i) => a[2 * i + odd] as number);
    const [er, ei] = rec(pick(re, 0), pick(im, 0));
    const [or, oi] = rec(pick(re, 1), pick(im, 1));
    const outR = new Float64Array(n);
    const outI = new Float64Array(n);
    for (let k = 0; k < half; k++) {
      const c = Math.cos((2 * Math.PI * k) / n);
      const s = -Math.sin((2 * Math.PI * k) / n);
      const tr = c * (or[k] as number) - s * (oi[k] as number);
      const ti = c * (oi[k] as number) + s * (or[k] as number);
      outR[k] = (er[k] as number) + tr;
      outI[k] = (ei[k] as number) + ti;
      outR[k + half] = (er[k] as number) - tr;
      outI[k + half] = (ei[k] as number) - ti;
    }
    return [outR, outI];
  };
  const [re, im] = rec(x, new Float64Array(x.length));
  return Float64Array.from({ length: x.length / 2 + 1 }, (_, k) => (re[k] as number) ** 2 + (im[k] as number) ** 2);
}

/** The direct O(n^2) DFT's power of bins 0 .. n / 2. */
function dftPower(x: Float64Array): Float64Array {
  const n = x.length;
  return Float64Array.from({ length: n / 2 + 1 }, (_, k) => {
    let re = 0;
    let im = 0;
    for (let j = 0; j < n; j++) {
      re += (x[j] as number) * Math.cos((2 * Math.PI * k * j) / n);
      im -= (x[j] as number) * Math.sin((2 * Math.PI * k * j) / n);
    }
    return re * re + im * im;
  });
}

/**
 * transformers.js's spectrogram() for CLAP, step by step: reflect padding, windowed frames, the power spectrum
 * stored as float32, the mel product (float32 weights), the mel floor stored as float32, power_to_db.
 */
function reference(
  config: LogMelConfig,
  x: Float32Array,
  power = fftPower,
  only?: number[],
): { frames: number; rows: Map<number, Float32Array> } {
  const { fftLength: n, hop } = config;
  const pad = n / 2;
  const padded = Float64Array.from({ length: x.length + n }, (_, i) => {
    const j = i - pad;
    return (j < 0 ? x[-j] : j >= x.length ? x[2 * (x.length - 1) - j] : x[j]) as number;
  });
  const frames = Math.floor(1 + Math.floor((padded.length - n) / hop));
  const rows = new Map<number, Float32Array>();
  for (const t of only ?? Array.from({ length: frames }, (_, i) => i)) {
    const frame = Float64Array.from({ length: n }, (_, j) => (padded[t * hop + j] as number) * (config.window[j] as number));
    const spectrum = Float32Array.from(power(frame));
    rows.set(
      t,
      Float32Array.from(Array.from(config.filters), (f) => {
        let acc = 0;
        for (let k = 0; k < spectrum.length; k++) acc += Math.fround(f[k] as number) * (spectrum[k] as number);
        const floored = Math.fround(Math.max(1e-10, Math.fround(acc)));
        return 10 * Math.log10(Math.max(1e-10, floored));
      }),
    );
  }
  return { frames, rows };
}

/** The largest absolute difference between the computed rows and the reference's. */
function maxDiff(data: Float32Array, mels: number, rows: Map<number, Float32Array>): number {
  let max = 0;
  for (const [t, row] of rows)
    for (let i = 0; i < mels; i++) max = Math.max(max, Math.abs((data[t * mels + i] as number) - (row[i] as number)));
  return max;
}

let seed = 11;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 1.6;

describe('log-mel: the WebAssembly SIMD kernel', () => {
  const config = clapConfig();
  const simd = createLogMel(config);
  const js = createLogMel(config, { kernel: 'js' });
  const inputs: Record<string, Float32Array> = {
    random: Float32Array.from({ length: 480000 }, random),
    // A tone whose frames leak into every band, far below its peak (the FFTs' rounding shows there first).
    sine: Float32Array.from({ length: 480000 }, (_, i) => 0.7 * Math.sin(2 * Math.PI * 1000.3 * (i / 48000))),
    silent: new Float32Array(480000),
  };

  it('is the kernel that runs here (Node has WebAssembly SIMD)', () => {
    expect(simd.kernel).toBe('simd');
    expect(js.kernel).toBe('js');
  });

  it.each(Object.entries(inputs))('%s: equals the reference FFT to float32 rounding, and the JavaScript path', (_name, x) => {
    const a = simd(x);
    const b = js(x);
    // The edges, then every 7th frame (the whole reference takes seconds).
    const frames = [0, 1, 2, ...Array.from({ length: 143 }, (_, i) => 3 + 7 * i), 998, 999, 1000];
    const ref = reference(config, x, fftPower, frames);
    expect(a.frames).toBe(1001);
    expect(a.mels).toBe(64);
    expect(ref.frames).toBe(1001);
    expect(maxDiff(a.data, a.mels, ref.rows)).toBeLessThanOrEqual(1e-4);
    let between = 0;
    for (let i = 0; i < a.data.length; i++) between = Math.max(between, Math.abs((a.data[i] as number) - (b.data[i] as number)));
    expect(between).toBeLessThanOrEqual(1e-5);
  });

  it('silence is the floor everywhere: float32(10 log10(float32(1e-10)))', () => {
    const { data } = simd(inputs.silent as Float32Array);
    const floor = Math.fround(10 * Math.log10(Math.fround(1e-10)));
    expect(new Set(data)).toEqual(new Set([floor]));
  });

  it('equals a direct DFT on the first, a middle and the last frames (reflect-padded edges)', () => {
    const x = inputs.random as Float32Array;
    const a = simd(x);
    const ref = reference(config, x, dftPower, [0, 1, 500, 999, 1000]);
    expect(maxDiff(a.data, a.mels, ref.rows)).toBeLessThanOrEqual(1e-4);
  });

  // n = 8: the radix-4 first pass only; 16: and one radix-2 stage; 32: and one fused pair; 64: both.
  it.each([8, 16, 32, 64])('n = %i: frame counts and edges on short inputs of every length, through memory growth and back', (n) => {
    const bins = n / 2 + 1;
    const hop = 5;
    const small: LogMelConfig = {
      fftLength: n,
      hop,
      window: Float64Array.from({ length: n }, (_, j) => 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / n)),
      // Overlapping triangles over the low bins, an empty filter, one ending on the Nyquist bin.
      filters: [
        Array.from({ length: bins }, (_, k) => (k < 2 ? 1 - k / 2 : 0)),
        Array.from({ length: bins }, (_, k) => Math.max(0, 1 - Math.abs(k - 2) / 2)),
        Array.from({ length: bins }, (_, k) => (k >= 3 && k < bins - 1 ? 0.25 + (k % 3) * 0.25 : 0)),
        new Array<number>(bins).fill(0),
        Array.from({ length: bins }, (_, k) => (k >= bins - 3 ? (k - bins + 4) / 3 : 0)),
      ],
    };
    const a = createLogMel(small);
    const b = createLogMel(small, { kernel: 'js' });
    expect(a.kernel).toBe('simd');
    const pad = n / 2;
    for (const len of [pad + 1, pad + 2, pad + 3, pad + 4, pad + 5, n, n + 1, 41, 100, 5000, pad + 9, pad + 1].filter((l) => l > pad)) {
      const x = Float32Array.from({ length: len }, random);
      const got = a(x);
      const ref = reference(small, x, dftPower);
      expect(got.frames).toBe(1 + Math.floor(len / hop));
      expect(got.frames).toBe(ref.frames);
      expect(got.data.length).toBe(got.frames * 5);
      expect(maxDiff(got.data, 5, ref.rows)).toBeLessThanOrEqual(1e-4);
      expect(maxDiff(b(x).data, 5, ref.rows)).toBeLessThanOrEqual(1e-4);
    }
    expect(() => a(new Float32Array(pad))).toThrow(/too few/);
    expect(() => b(new Float32Array(pad))).toThrow(/too few/);
  });

  it('floors the mel power exactly as transformers.js does: at float32(1e-10), then 10 log10', () => {
    // A 16-point FFT, rectangular window, one filter on the DC bin: a constant c gives mel power (16c)^2 * w.
    const w = 0.75;
    const one: LogMelConfig = { fftLength: 16, hop: 16, window: new Float64Array(16).fill(1), filters: [[w, 0, 0, 0, 0, 0, 0, 0, 0]] };
    const a = createLogMel(one);
    const b = createLogMel(one, { kernel: 'js' });
    expect(a.kernel).toBe('simd');
    // Mel powers around the floor: well below, float32 neighbours of float32(1e-10), well above, zero.
    const f = Math.fround(1e-10);
    const targets = [0, 1e-12, 0.99e-10, f * (1 - 2 ** -22), f, f * (1 + 2 ** -22), 1e-10 * 1.5, 3e-9, 1];
    for (const target of targets) {
      const c = Math.fround(Math.sqrt(target / w) / 16);
      const x = new Float32Array(48).fill(c);
      const acc = Math.fround(w) * Math.fround((16 * c) ** 2);
      const expected = Math.fround(10 * Math.log10(Math.max(1e-10, Math.fround(Math.max(1e-10, Math.fround(acc))))));
      for (const lm of [a, b]) {
        const { data } = lm(x);
        expect(data.length).toBe(4);
        for (const v of data) expect(v).toBe(expected);
      }
    }
    // Below the floor everything is the floor's value; just above it the values rise.
    const floor = Math.fround(10 * Math.log10(f));
    expect(a(new Float32Array(48).fill(Math.fround(Math.sqrt(3e-9 / w) / 16))).data[0]).toBeGreaterThan(floor + 10);
  });

  it('refuses a non power-of-two FFT, a bad hop and a filter of the wrong width', () => {
    const base: LogMelConfig = { fftLength: 16, hop: 4, window: new Float64Array(16), filters: [new Float64Array(9)] };
    expect(() => createLogMel({ ...base, fftLength: 12, window: new Float64Array(12) })).toThrow(/power of two/);
    expect(() => createLogMel({ ...base, hop: 0 })).toThrow(/hop/);
    expect(() => createLogMel({ ...base, filters: [new Float64Array(8)] })).toThrow(/mel filter 0 has 8 bins/);
  });
});
