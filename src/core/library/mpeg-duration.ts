import type { FileRange } from './file-range.js';
import { COMPLETE_SHARE, noStreamReason, tagsOnlyReason, truncatedReason } from './reasons.js';

/** The facts of one MPEG audio (Layer I/II/III) frame header. */
export interface MpegFrame {
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5 (MPEG-2.5). */
  version: number;
  layer: number;
  bitrate: number;
  sampleRate: number;
  channels: number;
  samplesPerFrame: number;
  /** Bytes from this header to the next one. */
  size: number;
  crc: boolean;
}

/** What an MPEG stream's own structure says about its length; `reason` when it has no audio. */
export type MpegDuration =
  | { duration: number; bitrate: number; sampleRate: number; channels: number; method: 'xing' | 'vbri' | 'cbr' | 'frames' }
  | { reason: string };

const V1 = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
];
const V2 = [
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];
/** By the header's 2-bit version field: MPEG-2.5, reserved, MPEG-2, MPEG-1. */
const VERSIONS = [2.5, 0, 2, 1];
const RATES = [[11025, 12000, 8000], [], [22050, 24000, 16000], [44100, 48000, 32000]];

/** Bytes of a frame: Layer I counts 4-byte slots, Layer II/III bytes; padding adds one slot. */
function frameSize(layer: number, samplesPerFrame: number, bitrate: number, sampleRate: number, padding: number): number {
  if (layer === 1) return (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  return Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
}

/**
 * Parses the 4-byte frame header at `at`, or null when those bytes cannot start a frame (no sync, a
 * reserved field, or free-format bitrate, which no encoder in use writes and which has no frame size).
 */
export function parseFrameHeader(b: Uint8Array, at: number): MpegFrame | null {
  if (at + 4 > b.length || b[at] !== 0xff) return null;
  const b1 = b[at + 1] as number;
  const b2 = b[at + 2] as number;
  const b3 = b[at + 3] as number;
  if ((b1 & 0xe0) !== 0xe0) return null;
  const version = VERSIONS[(b1 >> 3) & 3] as number;
  const layer = 4 - ((b1 >> 1) & 3);
  if (version === 0 || layer === 4 || (b3 & 3) === 2) return null;
  const kbps = (version === 1 ? V1 : V2)[layer - 1]?.[b2 >> 4];
  const sampleRate = RATES[(b1 >> 3) & 3]?.[(b2 >> 2) & 3];
  if (!kbps || !sampleRate) return null;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  const bitrate = kbps * 1000;
  const size = frameSize(layer, samplesPerFrame, bitrate, sampleRate, (b2 >> 1) & 1);
  return { version, layer, bitrate, sampleRate, channels: b3 >> 6 === 3 ? 1 : 2, samplesPerFrame, size, crc: (b1 & 1) === 0 };
}

/**
 * Frame sizes of one stream by (bitrate index << 1 | padding), 0 where the index is invalid: hopping
 * through a whole file then costs a table lookup per frame instead of a full header parse.
 */
function sizeTable(first: MpegFrame): Int32Array {
  const kbps = (first.version === 1 ? V1 : V2)[first.layer - 1] as number[];
  const table = new Int32Array(32);
  for (let i = 1; i < 15; i++) {
    for (const pad of [0, 1])
      table[(i << 1) | pad] = frameSize(first.layer, first.samplesPerFrame, (kbps[i] as number) * 1000, first.sampleRate, pad);
  }
  return table;
}

function sameStream(a: MpegFrame, b: MpegFrame): boolean {
  return a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;
}

/**
 * True when `need` frames follow each other from `at` (or the chain runs exactly into the end of the
 * buffer): one lone 0xFFE sync pattern is common in tags and random bytes, a chain of them is not.
 */
function startsRun(b: Uint8Array, at: number, need: number, end = b.length): boolean {
  const first = parseFrameHeader(b, at);
  if (!first) return false;
  let pos = at;
  for (let i = 0; i < need; i++) {
    const f = i === 0 ? first : parseFrameHeader(b, pos);
    if (!f || !sameStream(f, first)) return false;
    pos += f.size;
    if (pos === end) return true;
    if (pos > end) return i > 0;
  }
  return true;
}

/** Offset of the first frame at or after `from` that starts a run of `need` frames, or -1. */
export function findFrameRun(b: Uint8Array, from: number, need = 3): number {
  for (let at = b.indexOf(0xff, from); at >= 0 && at + 4 <= b.length; at = b.indexOf(0xff, at + 1)) {
    if (startsRun(b, at, need)) return at;
  }
  return -1;
}

/** A Xing/Info or VBRI header: the encoder's own count of frames and bytes. */
export interface VbrHeader {
  kind: 'xing' | 'info' | 'vbri';
  frames: number | null;
  bytes: number | null;
}

/** Where the side information ends: Xing/Info headers follow it (with or without the CRC word). */
function sideInfoLength(f: MpegFrame): number {
  if (f.layer !== 3) return 0;
  if (f.version === 1) return f.channels === 1 ? 17 : 32;
  return f.channels === 1 ? 9 : 17;
}

function readXing(b: Uint8Array, at: number): VbrHeader | null {
  const tag = Buffer.from(b.buffer, b.byteOffset + at, 4).toString('latin1');
  if (tag !== 'Xing' && tag !== 'Info') return null;
  const view = new DataView(b.buffer, b.byteOffset);
  if (at + 16 > b.length) return null;
  const flags = view.getUint32(at + 4);
  let p = at + 8;
  const frames = flags & 1 ? view.getUint32(p) : null;
  if (flags & 1) p += 4;
  const bytes = flags & 2 ? view.getUint32(p) : null;
  return { kind: tag === 'Xing' ? 'xing' : 'info', frames, bytes };
}

/** Reads the Xing/Info header (after the side information) or the VBRI header (at byte 36) of a first frame. */
function readVbrHeader(b: Uint8Array, at: number, f: MpegFrame): VbrHeader | null {
  const side = at + 4 + sideInfoLength(f);
  for (const p of [side, side + 2]) {
    if (p + 16 <= b.length && p + 16 <= at + f.size) {
      const x = readXing(b, p);
      if (x) return x;
    }
  }
  const v = at + 36;
  if (v + 18 <= b.length && Buffer.from(b.buffer, b.byteOffset + v, 4).toString('latin1') === 'VBRI') {
    const view = new DataView(b.buffer, b.byteOffset);
    return { kind: 'vbri', bytes: view.getUint32(v + 10), frames: view.getUint32(v + 14) };
  }
  return null;
}

/** Bytes of the ID3v2 tag starting at `at` (header, body and footer), or 0 where there is none. */
export function id3v2Length(b: Uint8Array, at: number): number {
  if (at + 10 > b.length || b[at] !== 0x49 || b[at + 1] !== 0x44 || b[at + 2] !== 0x33) return 0;
  const syncsafe = (((b[at + 6] as number) & 0x7f) << 21) | (((b[at + 7] as number) & 0x7f) << 14);
  const size = syncsafe | (((b[at + 8] as number) & 0x7f) << 7) | ((b[at + 9] as number) & 0x7f);
  return 10 + size + ((b[at + 5] as number) & 0x10 ? 10 : 0);
}

/** Byte offset after the ID3v2 tags at the start of the file (files sometimes carry more than one). */
async function audioStart(file: FileRange): Promise<number> {
  let offset = 0;
  for (;;) {
    const len = id3v2Length(await file.read(offset, 10), 0);
    if (len === 0) return offset;
    offset += len;
  }
}

/** Bytes of the APEv2 tag whose 32-byte footer starts at `footerAt` (the optional header included). */
export function apeTagSize(b: Buffer, footerAt: number): number {
  return b.readUInt32LE(footerAt + 12) + (b.readUInt32LE(footerAt + 20) & 0x80000000 ? 32 : 0);
}

/** Byte offset where trailing tags (ID3v1, Lyrics3v2, APEv2, in any order) begin. */
async function audioEnd(file: FileRange, start: number): Promise<number> {
  let end = file.size;
  for (;;) {
    const tail = await file.read(Math.max(start, end - 160), Math.min(160, end - start));
    const at = (s: string, fromEnd: number) =>
      tail.length >= fromEnd && tail.toString('latin1', tail.length - fromEnd, tail.length - fromEnd + s.length) === s;
    if (at('TAG', 128)) end -= 128;
    else if (at('APETAGEX', 32)) {
      end -= apeTagSize(tail, tail.length - 32);
    } else if (at('LYRICS200', 9) && /^\d{6}$/.test(tail.toString('latin1', tail.length - 15, tail.length - 9))) {
      end -= Number(tail.toString('latin1', tail.length - 15, tail.length - 9)) + 15;
    } else return end;
    if (end <= start) return start;
  }
}

const HEAD = 64 * 1024;
/** Windows overlap by more than the largest frame (2 881 bytes), so a run across two windows is found. */
const OVERLAP = 4096;
const SEARCH_LIMIT = 1024 * 1024;
const SAMPLE = 16 * 1024;

/** Finds the first frame of a run after `start`, reading forward in windows (junk or padding may precede it). */
async function firstFrame(file: FileRange, start: number, end: number): Promise<{ at: number; head: Buffer } | null> {
  for (let offset = start; offset < end && offset - start < SEARCH_LIMIT; offset += HEAD - OVERLAP) {
    const head = await file.read(offset, Math.min(HEAD, end - offset));
    const at = findFrameRun(head, 0);
    if (at >= 0) {
      // Re-read from the frame, so the VBR header and the sampled run are in one buffer.
      return { at: offset + at, head: at === 0 ? head : await file.read(offset + at, Math.min(HEAD, end - offset - at)) };
    }
  }
  return null;
}

/** Bitrates of the frames in a run found inside `b`, or null when no run is there. */
function runBitrates(b: Uint8Array, first: MpegFrame): number[] | null {
  const at = findFrameRun(b, 0);
  if (at < 0) return null;
  const rates: number[] = [];
  for (let pos = at; ;) {
    const f = parseFrameHeader(b, pos);
    if (!f || !sameStream(f, first)) break;
    rates.push(f.bitrate);
    pos += f.size;
  }
  return rates;
}

/**
 * True when frames sampled at the start, middle and end all share the first frame's bitrate: then the
 * stream is constant-bitrate and its length follows from its size. VBR music changes rate within a few
 * frames, so sampling three windows tells the two apart without reading the file.
 */
async function looksConstant(file: FileRange, head: Buffer, first: MpegFrame, start: number, end: number): Promise<boolean> {
  const windows = [head.subarray(0, SAMPLE)];
  if (end - start > 4 * SAMPLE) {
    windows.push(await file.read(Math.floor((start + end) / 2), SAMPLE), await file.read(end - SAMPLE, SAMPLE));
  }
  for (const w of windows) {
    const rates = runBitrates(w, first);
    if (rates && rates.some((r) => r !== first.bitrate)) return false;
  }
  return true;
}

const CHUNK = 1024 * 1024;

/** Where hopping through one buffer stopped, how many frames it passed, and whether sync was lost. */
interface Hop {
  at: number;
  frames: number;
  lost: boolean;
}

/**
 * Hops from header to header inside `b` (up to `limit`) as long as each belongs to the stream whose first
 * header is `key`: one table lookup per frame. Stops at a header that does not fit (lost sync) or at one
 * that does not lie wholly before `limit` (read on from there).
 */
function hopWithin(b: Uint8Array, at: number, limit: number, key: Uint8Array, sizes: Int32Array): Hop {
  const k1 = (key[1] as number) & 0xfe;
  const k2 = (key[2] as number) & 0x0c;
  let frames = 0;
  while (at + 4 <= limit) {
    const b2 = b[at + 2] as number;
    if (b[at] !== 0xff || ((b[at + 1] as number) & 0xfe) !== k1 || (b2 & 0x0c) !== k2) return { at, frames, lost: true };
    const size = sizes[((b2 >> 4) << 1) | ((b2 >> 1) & 1)] as number;
    if (size === 0) return { at, frames, lost: true };
    frames++;
    at += size;
  }
  return { at, frames, lost: false };
}

/**
 * Counts the samples between `start` and `end` by hopping from header to header, reading 1 MiB at a
 * time; only 4 bytes of every frame are looked at. On lost sync (junk in the middle) it searches on
 * for the next run of frames. A last frame cut short by the end of the file is not counted.
 */
export async function countFrames(file: FileRange, start: number, end: number, first: MpegFrame, key: Uint8Array): Promise<number> {
  const sizes = sizeTable(first);
  const buf = Buffer.allocUnsafe(CHUNK);
  let frames = 0;
  let pos = start;
  while (pos + 4 <= end) {
    const len = await file.readInto(buf, pos, Math.min(CHUNK, end - pos));
    if (len < 4) break;
    const hop = hopWithin(buf, 0, len, key, sizes);
    frames += hop.frames;
    if (!hop.lost) {
      pos += hop.at;
      continue;
    }
    const next = findFrameRun(buf.subarray(0, len), hop.at + 1, 2);
    // Nothing more in this chunk: continue from its last bytes (a header may straddle the boundary).
    pos += next >= 0 ? next : Math.max(hop.at + 1, len - 8);
    if (next < 0 && pos + 8 >= end) break;
  }
  // The hop passed the end when the last frame was cut short.
  return pos > end ? (frames - 1) * first.samplesPerFrame : frames * first.samplesPerFrame;
}

function framesToSeconds(frames: number, f: MpegFrame): number {
  return (frames * f.samplesPerFrame) / f.sampleRate;
}

/** Duration from a Xing/Info or VBRI frame count, checked against the bytes the file really holds. */
async function fromVbrHeader(file: FileRange, kind: string, run: FirstFrame, vbr: VbrHeader & { frames: number }): Promise<MpegDuration> {
  const { at, end, first } = run;
  const bytes = end - at;
  const declared = framesToSeconds(vbr.frames, first);
  const facts = { sampleRate: first.sampleRate, channels: first.channels, method: vbr.kind === 'vbri' ? 'vbri' : 'xing' } as const;
  const declaredBytes = vbr.bytes ?? (declared * first.bitrate) / 8;
  if (bytes >= declaredBytes * COMPLETE_SHARE) {
    return { ...facts, duration: declared, bitrate: vbr.kind === 'info' ? first.bitrate : (bytes * 8) / declared };
  }
  // Fewer bytes than declared: count the frames that are there (a wrong byte count is not a cut).
  const present = (await countFrames(file, at + first.size, end, first, run.key)) / first.sampleRate;
  if (present < declared * COMPLETE_SHARE) return { reason: truncatedReason(kind, present, declared) };
  return { ...facts, duration: present, bitrate: (bytes * 8) / present };
}

/** The first frame of the stream, where it ends, and the bytes read from it. */
interface FirstFrame {
  at: number;
  end: number;
  first: MpegFrame;
  head: Buffer;
  /** The first header's bytes: later frames of the stream match them in version, layer and rate. */
  key: Uint8Array;
}

/**
 * The duration of an MPEG audio file from its structure, without decoding: the Xing/Info or VBRI frame
 * count when the encoder wrote one, size / bitrate when sampled frames show a constant bitrate, and
 * otherwise the number of frames counted by hopping from header to header (VBR without a header).
 * A header declaring clearly more audio than the file holds means the file was cut short.
 */
export async function mpegDuration(file: FileRange, kind: string): Promise<MpegDuration> {
  const start = await audioStart(file);
  const end = await audioEnd(file, start);
  const found = await firstFrame(file, start, end);
  if (!found) return { reason: start > 0 || end < file.size ? tagsOnlyReason(kind) : noStreamReason(kind) };
  const first = parseFrameHeader(found.head, 0) as MpegFrame;
  const run: FirstFrame = { at: found.at, end, first, head: found.head, key: found.head.subarray(0, 4) };
  const vbr = readVbrHeader(found.head, 0, first);
  if (vbr?.frames) return fromVbrHeader(file, kind, run, { ...vbr, frames: vbr.frames });
  const bytes = end - found.at;
  const facts = { sampleRate: first.sampleRate, channels: first.channels };
  if (!vbr && (await looksConstant(file, found.head, first, found.at, end))) {
    return { ...facts, duration: (bytes * 8) / first.bitrate, bitrate: first.bitrate, method: 'cbr' };
  }
  const duration = (await countFrames(file, vbr ? found.at + first.size : found.at, end, first, run.key)) / first.sampleRate;
  if (duration <= 0) return { reason: tagsOnlyReason(kind) };
  return { ...facts, duration, bitrate: (bytes * 8) / duration, method: 'frames' };
}
