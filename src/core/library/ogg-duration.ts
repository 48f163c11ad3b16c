import { oggCrc } from '../kernel/checksums.js';
import type { FileRange } from './file-range.js';

/** The audio stream of an Ogg file, from its first (beginning-of-stream) page. */
export interface OggAudioStream {
  serial: number;
  codec: 'Vorbis' | 'Opus' | 'FLAC' | 'Speex';
  /** Granule positions count samples at this rate (48 kHz for Opus, whatever the input rate was). */
  granuleRate: number;
  /** Samples at the start that decoders drop (Opus pre-skip). */
  preSkip: number;
}

/** One Ogg page header, as far as duration needs it. */
export interface OggPage {
  offset: number;
  serial: number;
  granule: bigint;
  flags: number;
  /** Header plus body bytes. */
  length: number;
  bodyOffset: number;
}

/** Reads the page header at `at` in `b`, or null unless a whole page with a valid checksum is there. */
export function readPage(b: Buffer, at: number, verify = true): OggPage | null {
  if (at + 27 > b.length || b.toString('latin1', at, at + 4) !== 'OggS' || b[at + 4] !== 0) return null;
  const segments = b[at + 26] as number;
  if (at + 27 + segments > b.length) return null;
  let body = 0;
  for (let i = 0; i < segments; i++) body += b[at + 27 + i] as number;
  const length = 27 + segments + body;
  if (at + length > b.length) return null;
  if (verify && oggCrc(b.subarray(at, at + length)) !== b.readUInt32LE(at + 22)) return null;
  return {
    offset: at,
    serial: b.readUInt32LE(at + 14),
    granule: b.readBigInt64LE(at + 6),
    flags: b[at + 5] as number,
    length,
    bodyOffset: at + 27 + segments,
  };
}

/** Recognises the codec from the first packet of a logical stream. */
function identify(page: OggPage, b: Buffer): OggAudioStream | null {
  const p = page.bodyOffset;
  const serial = page.serial;
  if (b.toString('latin1', p, p + 7) === '\x01vorbis' && p + 16 <= b.length) {
    return { serial, codec: 'Vorbis', granuleRate: b.readUInt32LE(p + 12), preSkip: 0 };
  }
  if (b.toString('latin1', p, p + 8) === 'OpusHead' && p + 12 <= b.length) {
    return { serial, codec: 'Opus', granuleRate: 48000, preSkip: b.readUInt16LE(p + 10) };
  }
  if (b.toString('latin1', p, p + 5) === '\x7fFLAC' && p + 30 <= b.length) {
    // Mapping header (9 bytes), "fLaC", a metadata block header (4), then STREAMINFO: rate in bits 80-99.
    return { serial, codec: 'FLAC', granuleRate: b.readUInt32BE(p + 27) >>> 12, preSkip: 0 };
  }
  if (b.toString('latin1', p, p + 8) === 'Speex   ' && p + 40 <= b.length) {
    return { serial, codec: 'Speex', granuleRate: b.readUInt32LE(p + 36), preSkip: 0 };
  }
  return null;
}

/**
 * Finds the first audio stream among the beginning-of-stream pages at the head of the file (a Skeleton
 * or video stream may come first). Null when the head holds no Ogg audio stream this code knows.
 */
export function findAudioStream(head: Buffer): OggAudioStream | null {
  for (let at = 0; ;) {
    const page = readPage(head, at, false);
    if (!page || !(page.flags & 0x02)) return null;
    const stream = identify(page, head);
    if (stream && stream.granuleRate > 0) return stream;
    at += page.length;
  }
}

/**
 * The last page of `serial` in `tail` that carries a granule position, searched backwards. Each candidate
 * must have a valid checksum, so "OggS" bytes inside compressed audio are never taken for a page.
 */
function lastPage(tail: Buffer, serial: number): OggPage | null {
  for (let at = tail.lastIndexOf('OggS'); at >= 0; at = at === 0 ? -1 : tail.lastIndexOf('OggS', at - 1)) {
    const page = readPage(tail, at);
    if (page && page.serial === serial && page.granule >= 0n) return page;
  }
  return null;
}

/** How long an Ogg audio stream is, and whether its last page carries the end-of-stream mark. */
export interface OggDuration {
  duration: number;
  stream: OggAudioStream;
  /** False when the file stops before the stream's last page: it was cut short. */
  complete: boolean;
}

const HEAD = 64 * 1024;
/** An Ogg page is at most 65 307 bytes; two of them are enough unless junk follows the last page. */
const TAILS = [140 * 1024, 1024 * 1024];

/**
 * The duration of an Ogg Vorbis/Opus/FLAC/Speex file from the granule position of its last page
 * (Vorbis, FLAC, Speex: samples at the stream's rate; Opus: 48 kHz samples minus the pre-skip), which
 * costs two small reads however long the file is. Null when the head or tail cannot be read as Ogg;
 * a duration of 0 when no page of the stream carries audio (the file holds only its headers).
 */
export async function oggDuration(file: FileRange): Promise<OggDuration | null> {
  const stream = findAudioStream(await file.read(0, HEAD));
  if (!stream) return null;
  for (const length of TAILS) {
    const page = lastPage(await file.read(Math.max(0, file.size - length), length), stream.serial);
    if (page) {
      const samples = Number(page.granule) - stream.preSkip;
      return { duration: Math.max(0, samples) / stream.granuleRate, stream, complete: (page.flags & 0x04) !== 0 };
    }
    if (length >= file.size) break;
  }
  return null;
}
