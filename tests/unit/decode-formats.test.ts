// Every indexed format decodes, and a window late in the file lines up sample for sample with ffmpeg's
// decode of the same file (so a window's start in seconds means the same audio as in any player).
// Files are made with ffmpeg (required: .ci/run installs it) from one 30 s master.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSegments } from '../../src/core/audio/decode.js';
import { ffmpeg } from '../support/ffmpeg.js';

const RATE = 24000;
const START = 20;
const SECONDS = 5;

let dir = '';

/** ffmpeg's mono decode of the whole file at RATE, cut to the window (exact, unlike seeking with -ss). */
function reference(path: string): Float32Array {
  const b = ffmpeg(['-i', path, '-ac', '1', '-ar', String(RATE), '-f', 'f32le', '-']);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice(START * RATE, (START + SECONDS) * RATE);
}

/** Normalised correlation at lag 0, away from the window's edges. */
function correlation(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 1000; i < Math.min(a.length, b.length) - 1000; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** name, ffmpeg output arguments */
const FILES: [string, string[]][] = [
  ['vbr-noxing.mp3', ['-c:a', 'libmp3lame', '-q:a', '4', '-write_xing', '0']],
  ['vorbis.ogg', ['-c:a', 'libvorbis', '-q:a', '3']],
  ['opus-named.ogg', ['-c:a', 'libopus', '-b:a', '64k']],
  ['flac-in-ogg.oga', ['-c:a', 'flac']],
  ['opus.opus', ['-c:a', 'libopus', '-b:a', '64k']],
  ['flac.flac', ['-c:a', 'flac', '-sample_fmt', 's32', '-ar', '96000']],
  ['aac.m4a', ['-c:a', 'aac', '-b:a', '128k']],
  ['alac.m4a', ['-c:a', 'alac']],
  ['wavpack.wv', ['-c:a', 'wavpack']],
  ['wma.wma', ['-c:a', 'wmav2', '-b:a', '128k']],
  ['s24.wav', ['-c:a', 'pcm_s24le']],
  ['f32.wav', ['-c:a', 'pcm_f32le']],
  ['mulaw.wav', ['-c:a', 'pcm_mulaw']],
  ['s16.aiff', ['-c:a', 'pcm_s16be']],
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'moodshelf-decode-'));
  const graph = 'sine=f=330:d=30,volume=0.3[a];anoisesrc=c=pink:a=0.2:d=30:seed=5[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo';
  ffmpeg(['-f', 'lavfi', '-i', graph, '-ar', '44100', '-c:a', 'pcm_s16le', join(dir, 'master.wav')]);
  for (const [name, args] of FILES) ffmpeg(['-i', join(dir, 'master.wav'), ...args, join(dir, name)]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('decoding every format', () => {
  it.each(FILES.map(([name]) => name))('%s: a window at 20 s matches ffmpeg', async (name) => {
    const path = join(dir, name);
    const r = await decodeSegments(path, [{ index: 0, start: START }], { targetRate: RATE, segmentSeconds: SECONDS, duration: 30 });
    const window = r.segments[0]?.samples as Float32Array;
    expect(window.length).toBe(SECONDS * RATE);
    expect(correlation(window, reference(path))).toBeGreaterThan(0.99);
  });
});
