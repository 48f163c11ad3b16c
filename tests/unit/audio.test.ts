import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createResampler, exactContext, resample } from '../../src/core/audio/resample.js';
import { fullGrid, planSegments } from '../../src/core/audio/segments.js';
import { decodeSegments, downmix } from '../../src/core/audio/decode.js';
import { FIXTURES_DIR } from '../support/library-gen.js';

function sine(freq: number, rate: number, seconds: number, phase = 0): Float32Array {
  const a = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < a.length; i++) a[i] = Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return a;
}

function rms(a: Float32Array, from = 0, to = a.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s / (to - from));
}

describe('band-limited resampler', () => {
  it.each([
    [44100, 24000],
    [48000, 24000],
    [22050, 24000],
    [8000, 24000],
    [192000, 24000],
    [44056, 24000],
  ])('keeps a 1 kHz tone exact from %i to %i Hz', (from, to) => {
    const y = resample(sine(1000, from, 2), from, to);
    expect(y.length).toBe(2 * to);
    const expected = sine(1000, to, 2);
    let maxErr = 0;
    for (let j = 1000; j < y.length - 1000; j++) maxErr = Math.max(maxErr, Math.abs((y[j] as number) - (expected[j] as number)));
    expect(maxErr).toBeLessThan(1e-3);
  });

  it('removes content above the new Nyquist frequency instead of aliasing it (>= 60 dB)', () => {
    for (const freq of [14000, 16000, 20000]) {
      const y = resample(sine(freq, 44100, 1), 44100, 24000);
      expect(rms(y, 500, y.length - 500) / Math.SQRT1_2).toBeLessThan(1e-3);
    }
  });

  it('is not linear interpolation: linear interpolation would alias a 15 kHz tone loudly', () => {
    const x = sine(15000, 44100, 1);
    const lin = new Float32Array(24000);
    for (let j = 0; j < lin.length; j++) {
      const p = (j * 44100) / 24000;
      const i = Math.floor(p);
      lin[j] = (x[i] as number) * (1 - (p - i)) + ((x[i + 1] ?? 0) as number) * (p - i);
    }
    expect(rms(lin, 500, 23500)).toBeGreaterThan(0.1);
  });

  it('maps its context to whole output samples', () => {
    const c = exactContext(createResampler(44100, 24000));
    expect((c.source * 24000) / 44100).toBe(c.output);
    expect(c.source).toBeGreaterThanOrEqual(createResampler(44100, 24000).halfWidth);
  });
});

describe('segment plans', () => {
  it('follows the paper: floor(duration / 10) windows from 0, remainder dropped, short tracks padded', () => {
    expect(fullGrid(35.9, 10).map((s) => s.start)).toEqual([0, 10, 20]);
    expect(fullGrid(10, 10).map((s) => s.start)).toEqual([0]);
    expect(fullGrid(4, 10)).toEqual([{ index: 0, start: 0 }]);
  });

  it('quick picks evenly spaced windows from the full grid', () => {
    expect(planSegments(300, { kind: 'quick', count: 3 }, 10).map((s) => s.index)).toEqual([5, 15, 25]);
    expect(planSegments(25, { kind: 'quick', count: 3 }, 10).map((s) => s.index)).toEqual([0, 1]);
    expect(planSegments(3 * 3600, { kind: 'full' }, 10)).toHaveLength(1080);
  });
});

describe('decoding', () => {
  it('averages channels to mono', () => {
    expect([...downmix([Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([-1, 1])])]).toEqual(
      [0, 2 / 3].map(Math.fround),
    );
  });

  it.each([
    'mp3.mp3',
    'flac.flac',
    'vorbis.ogg',
    'opus.opus',
    'aac.m4a',
    'alac.m4a',
    'pcm.wav',
    'pcm.aiff',
    'mono-8k.wav',
    'hires-192k.flac',
    'surround-6ch.flac',
  ])('decodes %s to zero-padded 24 kHz mono windows', async (name) => {
    const r = await decodeSegments(join(FIXTURES_DIR, name), [{ index: 0, start: 0 }], { targetRate: 24000, segmentSeconds: 10 });
    const s = r.segments[0]?.samples as Float32Array;
    expect(s.length).toBe(240000);
    // The fixtures hold 0.5-1.5 s of a sine: audio at the start, silence (padding) after 2 s.
    expect(rms(s, 2400, 9600)).toBeGreaterThan(0.01);
    expect(rms(s, 48000, 240000)).toBe(0);
  });

  it('reads a window from the middle of a file and stops after the last one', async () => {
    const r = await decodeSegments(join(FIXTURES_DIR, 'flac.flac'), [{ index: 0, start: 1 }], { targetRate: 24000, segmentSeconds: 0.25 });
    expect(r.segments[0]?.samples.length).toBe(6000);
    expect(rms(r.segments[0]?.samples as Float32Array)).toBeGreaterThan(0.01);
  });

  it('names the file when it cannot decode anything', async () => {
    await expect(
      decodeSegments('/nonexistent/x.flac', [{ index: 0, start: 0 }], { targetRate: 24000, segmentSeconds: 1 }),
    ).rejects.toThrow();
    await expect(decodeSegments('/tmp/x.xyz', [{ index: 0, start: 0 }], { targetRate: 24000, segmentSeconds: 1 })).rejects.toThrow(
      /x\.xyz: unsupported/,
    );
  });
});
