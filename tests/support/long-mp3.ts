/**
 * Long MP3 files without an encoder: the MPEG audio frames of the short fixture (tests/fixtures/audio/mp3.mp3,
 * 64 kbit/s CBR, 44.1 kHz) repeated until the wanted length, behind the fixture's own ID3v2 tag. CI has no
 * ffmpeg; the player, the waveform peaks and bench:ui still need a real-format track minutes long. The
 * fixture's first frame is its LAME "Info" header (it states the short frame count), so it is dropped:
 * readers then count frames, which is what a stream without a Xing header makes them do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './library-gen.js';

const BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const RATES = [44100, 48000, 32000];
/** Samples per MPEG-1 Layer III frame. */
const FRAME_SAMPLES = 1152;

/** The fixture's audio frames (without tags and the Info frame) and its sample rate. */
function fixtureFrames(): { frames: Buffer[]; sampleRate: number } {
  const d = readFileSync(join(FIXTURES_DIR, 'mp3.mp3'));
  let i =
    d.toString('latin1', 0, 3) === 'ID3'
      ? 10 + (((d[6] as number) << 21) | ((d[7] as number) << 14) | ((d[8] as number) << 7) | (d[9] as number))
      : 0;
  const frames: Buffer[] = [];
  let sampleRate = 44100;
  while (i + 4 <= d.length && d[i] === 0xff && ((d[i + 1] as number) & 0xe0) === 0xe0) {
    const b2 = d[i + 2] as number;
    sampleRate = RATES[(b2 >> 2) & 3] as number;
    const length = Math.floor((144000 * (BITRATES[b2 >> 4] as number)) / sampleRate) + ((b2 >> 1) & 1);
    frames.push(d.subarray(i, i + length));
    i += length;
  }
  const first = frames[0];
  if (first && (first.includes('Info', 0, 'latin1') || first.includes('Xing', 0, 'latin1'))) frames.shift();
  return { frames, sampleRate };
}

/** Writes an MP3 of about `seconds` (whole frames) with an ID3v2.4 title; returns its exact duration in seconds. */
export function writeLongMp3(path: string, seconds: number, title = 'Long track'): number {
  const { frames, sampleRate } = fixtureFrames();
  const frameSeconds = FRAME_SAMPLES / sampleRate;
  const count = Math.ceil(seconds / frameSeconds);
  const parts: Buffer[] = [id3Title(title)];
  for (let k = 0; k < count; k++) parts.push(frames[k % frames.length] as Buffer);
  writeFileSync(path, Buffer.concat(parts));
  return count * frameSeconds;
}

/** A minimal ID3v2.4 tag with one TIT2 frame. */
function id3Title(title: string): Buffer {
  const text = Buffer.concat([Buffer.from([3]), Buffer.from(title, 'utf8')]);
  const frame = Buffer.concat([Buffer.from('TIT2', 'latin1'), syncsafe(text.length), Buffer.from([0, 0]), text]);
  return Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 4, 0, 0]), syncsafe(frame.length), frame]);
}

function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}
