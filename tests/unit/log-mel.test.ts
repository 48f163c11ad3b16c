// CLAP's input features computed by src/core/audio/log-mel.ts (the analysis's path, through
// ModelRuntime.clapAudio().features) equal transformers.js's ClapFeatureExtractor's, which
// tests/integration/clap.test.ts checks against the Python feature extractor.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogMel } from '../../src/core/audio/log-mel.js';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { TINY_CLAP, referenceWaveform } from '../support/packs.js';

const runtime = new ModelRuntime({ threads: 1 });
afterAll(() => runtime.dispose());

interface Features {
  dims: number[];
  data: Float32Array;
}

function signals(): Record<string, Float32Array> {
  let seed = 7;
  const noise = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.6;
  return {
    tones: referenceWaveform(48000, 480000),
    noise: Float32Array.from({ length: 480000 }, noise),
    // Silence at the edges: the reflect padding and the 1e-10 floor.
    gated: Float32Array.from({ length: 480000 }, (_, i) => (i < 3000 || i > 470000 ? 0 : noise() * 0.01)),
  };
}

describe('log-mel features for CLAP', () => {
  it.each(Object.entries(signals()))('%s: the feature extractor numbers to float rounding (<= 1e-4 dB)', async (_name, wave) => {
    const clap = await runtime.clapAudio(join(TINY_CLAP, 'clap'));
    const reference = ((await clap.processor(wave)) as { input_features: Features }).input_features;
    const fast = clap.features([wave])?.input_features as unknown as Features | undefined;
    expect(fast).toBeDefined();
    expect(fast?.dims).toEqual(reference.dims);
    let max = 0;
    for (let i = 0; i < reference.data.length; i++)
      max = Math.max(max, Math.abs((fast?.data[i] as number) - (reference.data[i] as number)));
    expect(max).toBeLessThanOrEqual(1e-4);
  });

  it('leaves a segment of another length to the processor (its padding and random crop)', async () => {
    const clap = await runtime.clapAudio(join(TINY_CLAP, 'clap'));
    expect(clap.features([new Float32Array(48000)])).toBeNull();
    expect(clap.features([new Float32Array(480000), new Float32Array(48000)])).toBeNull();
    expect(clap.features([])).toBeNull();
  });

  it('matches a direct DFT on a short frame, and refuses a window of the wrong length', () => {
    const n = 16;
    const window = Float64Array.from({ length: n }, () => 1);
    // One filter per bin: the log of the power spectrum itself.
    const filters = Array.from({ length: n / 2 + 1 }, (_, i) => Array.from({ length: n / 2 + 1 }, (_, k) => (k === i ? 1 : 0)));
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 0.7) + 0.3 * Math.cos(i * 2.1));
    const mel = createLogMel({ filters, window, fftLength: n, hop: 8 })(x);
    expect(mel.frames).toBe(1 + Math.floor(40 / 8));
    const pad = (i: number): number => {
      const j = i - n / 2;
      return (j < 0 ? x[-j] : j >= x.length ? x[2 * (x.length - 1) - j] : x[j]) as number;
    };
    for (let t = 0; t < mel.frames; t++) {
      for (let k = 0; k <= n / 2; k++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < n; j++) {
          re += pad(t * 8 + j) * Math.cos((2 * Math.PI * k * j) / n);
          im -= pad(t * 8 + j) * Math.sin((2 * Math.PI * k * j) / n);
        }
        const db = 10 * Math.log10(Math.max(1e-10, re * re + im * im));
        expect(mel.data[t * mel.mels + k]).toBeCloseTo(db, 3);
      }
    }
    expect(() => createLogMel({ filters, window: new Float64Array(8), fftLength: n, hop: 8 })).toThrow(/window/);
  });
});
