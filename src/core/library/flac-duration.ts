import { crc8 } from '../kernel/checksums.js';
import { id3v2Length } from './mpeg-duration.js';
import type { FileRange } from './file-range.js';

/** The STREAMINFO facts that locate a frame in time. */
export interface FlacStreamInfo {
  /** Offset of the "fLaC" marker (after any ID3v2 tag). */
  offset: number;
  maxBlockSize: number;
  sampleRate: number;
  /** 0 when the encoder did not know it (a stream written without seeking back). */
  totalSamples: number;
}

/** Reads STREAMINFO, which the format requires as the first metadata block. */
export function readStreamInfo(head: Buffer): FlacStreamInfo | null {
  const offset = id3v2Length(head, 0);
  if (offset + 42 > head.length || head.toString('latin1', offset, offset + 4) !== 'fLaC') return null;
  if (((head[offset + 4] as number) & 0x7f) !== 0) return null;
  const si = offset + 8;
  const sampleRate = head.readUInt32BE(si + 10) >>> 12;
  const totalSamples = ((head[si + 13] as number) & 0x0f) * 2 ** 32 + head.readUInt32BE(si + 14);
  return { offset, maxBlockSize: head.readUInt16BE(si + 2), sampleRate, totalSamples };
}

/** The frame/sample number in FLAC's UTF-8-like coding: its value and byte length, or null. */
function readCodedNumber(b: Uint8Array, at: number): { value: number; length: number } | null {
  const first = b[at];
  if (first === undefined) return null;
  let extra = 0;
  while (extra < 8 && first & (0x80 >> extra)) extra++;
  if (extra === 1 || extra === 8 || at + extra > b.length) return null;
  const length = extra === 0 ? 1 : extra;
  let value = extra === 0 ? first : first & (0xff >> (extra + 1));
  for (let i = 1; i < length; i++) {
    const c = b[at + i] as number;
    if ((c & 0xc0) !== 0x80) return null;
    value = value * 64 + (c & 0x3f);
  }
  return { value, length };
}

function blockSize(code: number, b: Uint8Array, at: number): { size: number; length: number } | null {
  if (code === 0) return null;
  if (code === 1) return { size: 192, length: 0 };
  if (code <= 5) return { size: 576 << (code - 2), length: 0 };
  if (code === 6) return at < b.length ? { size: (b[at] as number) + 1, length: 1 } : null;
  if (code === 7) return at + 2 <= b.length ? { size: (((b[at] as number) << 8) | (b[at + 1] as number)) + 1, length: 2 } : null;
  return { size: 256 << (code - 8), length: 0 };
}

/**
 * The sample just past the frame whose header starts at `at`, or null unless a valid header (reserved
 * bits clear, CRC-8 matching) is there.
 */
export function frameEnd(b: Uint8Array, at: number, info: FlacStreamInfo): number | null {
  if (at + 6 > b.length || b[at] !== 0xff || ((b[at + 1] as number) & 0xfe) !== 0xf8) return null;
  const variable = ((b[at + 1] as number) & 1) === 1;
  const b2 = b[at + 2] as number;
  const b3 = b[at + 3] as number;
  if ((b2 & 0x0f) === 0x0f || b3 >> 4 > 10 || (b3 & 1) !== 0) return null;
  const n = readCodedNumber(b, at + 4);
  if (!n) return null;
  let p = at + 4 + n.length;
  const bs = blockSize(b2 >> 4, b, p);
  if (!bs) return null;
  p += bs.length;
  const rateCode = b2 & 0x0f;
  p += rateCode === 12 ? 1 : rateCode === 13 || rateCode === 14 ? 2 : 0;
  if (p >= b.length || crc8(b, at, p) !== b[p]) return null;
  return (variable ? n.value : n.value * info.maxBlockSize) + bs.size;
}

/**
 * Where the audio really ends: the furthest frame end among valid headers in the file's last 128 KiB.
 * Taking the furthest (not the last found) keeps a sync pattern inside compressed data that happens to
 * pass the CRC from passing for the end. Null when no frame is found there.
 */
export async function lastFrameEnd(file: FileRange, info: FlacStreamInfo): Promise<number | null> {
  const tail = await file.read(Math.max(0, file.size - 128 * 1024), 128 * 1024);
  const limit = info.totalSamples > 0 ? info.totalSamples + 65536 : Number.POSITIVE_INFINITY;
  let best: number | null = null;
  for (let at = tail.indexOf(0xff); at >= 0; at = tail.indexOf(0xff, at + 1)) {
    const end = frameEnd(tail, at, info);
    if (end !== null && end <= limit && (best === null || end > best)) best = end;
  }
  return best;
}
