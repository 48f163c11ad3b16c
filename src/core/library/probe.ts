import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import type { IAudioMetadata } from 'music-metadata';
import { errnoCode, errorMessage } from '../kernel/errors.js';
import { describeFsError } from './walk.js';
import { noStreamReason, tagsOnlyReason } from './reasons.js';
import { AUDIO_EXTENSIONS } from './formats.js';
import { moodsFromMetadata } from '../filetags/mood-fields.js';
import { fileRange } from './file-range.js';
import { explainMissingMpeg, measureStream, type Measured, type MeasuredStream } from './duration.js';
import { readMetadata } from './metadata.js';

/** Technical facts and tags of one audio file, as stored in the tracks table. */
export interface TrackInfo {
  duration: number;
  sampleRate: number;
  channels: number | null;
  bitsPerSample: number | null;
  bitrate: number | null;
  container: string | null;
  codec: string | null;
  lossless: boolean | null;
  title: string | null;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  trackNo: number | null;
  discNo: number | null;
  year: number | null;
  genre: string | null;
}

/** What probing a file found: its facts, or a reason a person understands. */
export type ProbeResult =
  | { status: 'ok'; fingerprint: string; info: TrackInfo; moods?: string[] }
  | { status: 'failed'; fingerprint: string | null; reason: string }
  | { status: 'vanished' };

const CHUNK = 64 * 1024;

/**
 * A content fingerprint that survives moves and renames: sha1 over the size and three 64 KiB windows
 * (start, middle, end). Reading 192 KiB instead of the whole file keeps a first scan fast on big files.
 */
export async function fingerprintFile(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    return await fingerprintHandle(handle, size);
  } finally {
    await handle.close();
  }
}

async function fingerprintHandle(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha1');
  const sizeBytes = Buffer.alloc(8);
  sizeBytes.writeBigUInt64LE(BigInt(size));
  hash.update(sizeBytes);
  const offsets = size <= 3 * CHUNK ? [0] : [0, Math.floor(size / 2) - CHUNK / 2, size - CHUNK];
  const length = size <= 3 * CHUNK ? size : CHUNK;
  const buf = Buffer.alloc(Math.max(length, 1));
  for (const offset of offsets) {
    const { bytesRead } = await handle.read(buf, 0, length, offset);
    hash.update(buf.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}

function formatName(path: string): string {
  return AUDIO_EXTENSIONS[extname(path).toLowerCase()] ?? 'audio';
}

function firstText(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value.find((s) => s.trim() !== '') : value;
  return v && v.trim() !== '' ? v.trim() : null;
}

function finite(value: number | undefined | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Builds the stored record from music-metadata's result and the facts measured from the stream itself
 * (duration.ts), or explains why the file is not usable.
 */
export function interpretMetadata(path: string, size: number, meta: IAudioMetadata, measured?: MeasuredStream | null): TrackInfo | string {
  const f = meta.format;
  const kind = formatName(path);
  const duration = measured?.duration ?? finite(f.duration);
  const sampleRate = measured?.sampleRate ?? finite(f.sampleRate);
  if (!f.container || !sampleRate || duration === null) {
    return noStreamReason(kind);
  }
  const warnings = meta.quality.warnings.map((w) => w.message);
  if (warnings.some((w) => /data chunk length exceeding file length/i.test(w))) {
    return `The ${kind} file is truncated: it holds less audio than its header declares`;
  }
  const bitrate = measured ? measured.bitrate : finite(f.bitrate);
  // Only MPEG audio states a bitrate that the stream's size must match (frame headers or the Xing
  // frame count); Vorbis/Opus nominal rates can be far above what quiet music actually uses.
  if (f.container === 'MPEG' && duration > 0 && bitrate !== null && bitrate > 0) {
    const expected = (bitrate * duration) / 8;
    if (size < expected * 0.5) {
      return `The ${kind} file is truncated: it is ${size} bytes but its header declares about ${Math.round(expected)} bytes of audio`;
    }
  }
  if (duration > 0 && bitrate === 0) {
    return tagsOnlyReason(kind);
  }
  const c = meta.common;
  return {
    duration,
    sampleRate,
    channels: finite(f.numberOfChannels) ?? measured?.channels ?? null,
    bitsPerSample: finite(f.bitsPerSample),
    bitrate: bitrate === null ? null : Math.round(bitrate),
    container: f.container ?? null,
    codec: measured?.codec ?? f.codec ?? null,
    lossless: typeof f.lossless === 'boolean' ? f.lossless : null,
    title: firstText(c.title),
    artist: firstText(c.artist) ?? firstText(c.artists),
    album: firstText(c.album),
    albumArtist: firstText(c.albumartist),
    trackNo: finite(c.track.no),
    discNo: finite(c.disk.no),
    year: finite(c.year),
    genre: firstText(c.genre),
  };
}

/** Turns a parser exception into a reason a person understands. */
export function describeParseError(path: string, err: unknown): string {
  const kind = formatName(path);
  const code = errnoCode(err);
  if (code) return describeFsError(err);
  const msg = errorMessage(err);
  if (/end-of-stream|exceeds remaining|outside the bounds|unexpected end/i.test(msg)) {
    return `The ${kind} file is truncated or damaged: it ends before its structure does (${msg})`;
  }
  return `Not a readable ${kind} file: the contents are not valid ${kind} data (${msg})`;
}

/** Reads tags with music-metadata, then measures what it leaves unknown (see duration.ts). */
async function readStream(path: string, handle: FileHandle, size: number): Promise<{ meta: IAudioMetadata; measured: Measured }> {
  const file = fileRange(handle, size);
  const kind = formatName(path);
  const meta = await readMetadata(path, file);
  if (meta.format.container) return { meta, measured: await measureStream(file, meta.format, kind) };
  const isMp3 = extname(path).toLowerCase() === '.mp3';
  return { meta, measured: isMp3 ? await explainMissingMpeg(file, kind) : null };
}

/**
 * Fingerprints a file and reads its tags and stream facts. Never throws: every problem becomes a
 * `failed` result with a reason, and a file deleted meanwhile becomes `vanished`.
 */
export async function probeFile(path: string, size: number): Promise<ProbeResult> {
  let fingerprint: string | null = null;
  try {
    if (size === 0) return { status: 'failed', fingerprint: null, reason: 'The file is empty (0 bytes)' };
    const handle = await open(path, 'r');
    let read: Awaited<ReturnType<typeof readStream>>;
    try {
      fingerprint = await fingerprintHandle(handle, size);
      read = await readStream(path, handle, size);
    } finally {
      await handle.close();
    }
    const { meta, measured } = read;
    if (typeof measured === 'string') return { status: 'failed', fingerprint, reason: measured };
    const info = interpretMetadata(path, size, meta, measured);
    if (typeof info === 'string') return { status: 'failed', fingerprint, reason: info };
    // Mood tags other players wrote (TMOO, TXXX:MOOD, Vorbis MOOD, iTunes MOOD, WM/Mood): imported as tags.
    return { status: 'ok', fingerprint, info, moods: moodsFromMetadata(meta) };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { status: 'vanished' };
    return { status: 'failed', fingerprint, reason: describeParseError(path, err) };
  }
}
