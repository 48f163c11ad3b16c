// Direct WAV/AIFF reads by byte offset: every plain sample format, both byte orders, the chunk layouts
// encoders write, and the fallback (null) for what is not plain PCM.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPcmFile, readExtended } from '../../src/core/audio/pcm-file.js';
import { decodeSegments } from '../../src/core/audio/decode.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/** Frames with different left and right samples, so the mono mean checks both channels' decoding. */
const FRAMES = 1000;
const left = (i: number) => (i % 100) / 200;
const right = (i: number) => -(i % 100) / 400;
const mono = (i: number) => (left(i) + right(i)) / 2;

type Encoding = { bytes: number; float: boolean; be: boolean; unsigned?: boolean };

function sampleBytes(v: number, e: Encoding): Buffer {
  const b = Buffer.alloc(e.bytes);
  if (e.float) {
    if (e.bytes === 4) (e.be ? b.writeFloatBE : b.writeFloatLE).call(b, v, 0);
    else (e.be ? b.writeDoubleBE : b.writeDoubleLE).call(b, v, 0);
    return b;
  }
  const full = 2 ** (8 * e.bytes - 1);
  const int = Math.round(v * full);
  if (e.unsigned) b.writeUInt8(int + 128, 0);
  else if (e.be) b.writeIntBE(int, 0, e.bytes);
  else b.writeIntLE(int, 0, e.bytes);
  return b;
}

function interleaved(e: Encoding): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < FRAMES; i++) parts.push(sampleBytes(left(i), e), sampleBytes(right(i), e));
  return Buffer.concat(parts);
}

function chunk(id: string, body: Buffer, be: boolean): Buffer {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1');
  if (be) h.writeUInt32BE(body.length, 4);
  else h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function wav(e: Encoding, extensible = false, rate = 44100): Buffer {
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : e.float ? 3 : 1, 0);
  fmt.writeUInt16LE(2, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * 2 * e.bytes, 8);
  fmt.writeUInt16LE(2 * e.bytes, 12);
  fmt.writeUInt16LE(8 * e.bytes, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(e.float ? 3 : 1, 24);
  }
  // A LIST chunk before the data, as taggers write it.
  const body = Buffer.concat([
    Buffer.from('WAVE', 'latin1'),
    chunk('fmt ', fmt, false),
    chunk('LIST', Buffer.alloc(33, 7), false),
    chunk('data', interleaved(e), false),
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body]);
}

/** 44100 as an 80-bit extended float. */
const RATE_44100 = Buffer.from([0x40, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]);

function aiff(e: Encoding, compression?: string): Buffer {
  const comm = Buffer.alloc(compression ? 22 : 18);
  comm.writeUInt16BE(2, 0);
  comm.writeUInt32BE(FRAMES, 2);
  comm.writeUInt16BE(8 * e.bytes, 6);
  RATE_44100.copy(comm, 8);
  if (compression) comm.write(compression, 18, 'latin1');
  const ssnd = Buffer.concat([Buffer.alloc(8), interleaved(e)]);
  const body = Buffer.concat([
    Buffer.from(compression ? 'AIFC' : 'AIFF', 'latin1'),
    chunk('COMM', comm, true),
    chunk('ID3 ', Buffer.alloc(11, 1), true),
    chunk('SSND', ssnd, true),
  ]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(body.length);
  return Buffer.concat([Buffer.from('FORM', 'latin1'), size, body]);
}

async function readAll(bytes: Buffer, name: string): Promise<{ frames: number; samples: Float32Array; rate: number } | null> {
  const path = join(tempDir(), name);
  writeFileSync(path, bytes);
  const pcm = await openPcmFile(path);
  if (!pcm) return null;
  try {
    return { frames: pcm.layout.frames, rate: pcm.layout.sampleRate, samples: await pcm.readMono(0, FRAMES + 10) };
  } finally {
    await pcm.close();
  }
}

const CASES: [string, Buffer, number][] = [
  ['wav u8', wav({ bytes: 1, float: false, be: false, unsigned: true }), 1 / 128],
  ['wav s16', wav({ bytes: 2, float: false, be: false }), 1e-4],
  ['wav s24 extensible', wav({ bytes: 3, float: false, be: false }, true), 1e-6],
  ['wav s32', wav({ bytes: 4, float: false, be: false }), 1e-8],
  ['wav f32 extensible', wav({ bytes: 4, float: true, be: false }, true), 1e-7],
  ['wav f64', wav({ bytes: 8, float: true, be: false }), 1e-7],
  ['aiff s16', aiff({ bytes: 2, float: false, be: true }), 1e-4],
  ['aiff s24', aiff({ bytes: 3, float: false, be: true }), 1e-6],
  ['aifc sowt', aiff({ bytes: 2, float: false, be: false }, 'sowt'), 1e-4],
  ['aifc fl32', aiff({ bytes: 4, float: true, be: true }, 'fl32'), 1e-7],
];

describe('direct PCM reads', () => {
  it.each(CASES)('%s: reads every frame as the mean of its channels', async (name, bytes, tolerance) => {
    const r = await readAll(bytes, `${name.replace(/ /g, '-')}.bin`);
    expect(r).not.toBeNull();
    expect(r?.frames).toBe(FRAMES);
    expect(r?.rate).toBe(44100);
    expect(r?.samples.length).toBe(FRAMES);
    let maxErr = 0;
    for (let i = 0; i < FRAMES; i++) maxErr = Math.max(maxErr, Math.abs((r?.samples[i] as number) - mono(i)));
    expect(maxErr).toBeLessThanOrEqual(tolerance);
  });

  it('reads a span from the middle by offset', async () => {
    const path = join(tempDir(), 'mid.wav');
    writeFileSync(path, wav({ bytes: 2, float: false, be: false }));
    const pcm = await openPcmFile(path);
    const part = await pcm?.readMono(250, 260);
    await pcm?.close();
    expect(Array.from(part ?? []).map((v) => Math.round(v * 4000))).toEqual(
      Array.from({ length: 10 }, (_, k) => Math.round(mono(250 + k) * 4000)),
    );
  });

  it('counts only the frames a cut file still holds', async () => {
    const full = wav({ bytes: 2, float: false, be: false });
    expect((await readAll(full.subarray(0, full.length - 1000), 'cut.wav'))?.frames).toBe(FRAMES - 250);
  });

  it('leaves compressed or unknown layouts to the streaming decoder', async () => {
    const ulaw = wav({ bytes: 1, float: false, be: false, unsigned: true });
    ulaw.writeUInt16LE(7, 20); // WAVE_FORMAT_MULAW
    expect(await readAll(ulaw, 'ulaw.wav')).toBeNull();
    expect(await readAll(aiff({ bytes: 2, float: false, be: true }, 'ima4'), 'ima4.aiff')).toBeNull();
    expect(await readAll(Buffer.from('this is text, not audio\n'), 'text.wav')).toBeNull();
  });

  it('decodes the same windows as before: zero outside the audio, the audio inside', async () => {
    const path = join(tempDir(), 'seg.wav');
    writeFileSync(path, wav({ bytes: 2, float: false, be: false }, false, 8000));
    const r = await decodeSegments(path, [{ index: 0, start: 0 }], { targetRate: 8000, segmentSeconds: 1 });
    const s = r.segments[0]?.samples as Float32Array;
    expect(s.length).toBe(8000);
    expect(Math.abs((s[500] as number) - mono(500))).toBeLessThan(0.01);
    expect(Math.max(...Array.from(s.subarray(1100)).map(Math.abs))).toBeLessThan(1e-3);
  });
});

describe('80-bit extended float', () => {
  it('reads common sample rates', () => {
    expect(readExtended(RATE_44100, 0)).toBe(44100);
    expect(readExtended(Buffer.from([0x40, 0x0e, 0xbb, 0x80, 0, 0, 0, 0, 0, 0]), 0)).toBe(48000);
    expect(readExtended(Buffer.alloc(10), 0)).toBe(0);
  });
});
