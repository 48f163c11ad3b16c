/**
 * Seeking in native FLAC: a frame is found through the SEEKTABLE when the file has one, else by bisection
 * over the byte range with a frame-sync search (a sync code, a header whose CRC-8 holds and whose fields
 * match the stream, confirmed by the next frame's header carrying the next number). Each frame header
 * carries its frame or sample number, so the position is exact, and FLAC frames decode independently:
 * a window decoded from a seek point is bit-identical to the same window of a full decode.
 *
 * From the seek point on, the frames are split here (a frame ends where the header carrying the next number
 * begins) and handed to libFLAC one by one (flac-frames.ts), only those a window needs. Where they cannot be
 * split, audio-decode's streaming decoder takes over from the frame in hand, fed a minimal stream: "fLaC",
 * the STREAMINFO block (marked last), then the frames.
 */
import { crc8 } from '../kernel/checksums.js';
import { SeekUnavailable, concatBytes, skipId3v2, type ByteReader } from './byte-reader.js';
import { MAX_FRAME_BYTES, flacFrameDecoder, type FlacFrameDecoder } from './flac-frames.js';
import { FEED_BYTES, checkAborted, codecDecoder, downmix, feed, type Emit, type Seeker } from './seek.js';

/** A parsed frame header. */
export interface FlacFrame {
  /** Byte offset in the file. */
  pos: number;
  /** The header's frame number (fixed blocking) or first sample number (variable blocking). */
  number: number;
  blockSize: number;
  /** Header bytes 1-3 minus the block-size code: what every frame of a stream shares. */
  signature: number;
  variable: boolean;
}

/** Parses and checks (CRC-8) the frame header at `at` of `b`; `pos` is `b`'s offset in the file. */
export function flacFrameHeader(b: Uint8Array, at: number, pos = 0): FlacFrame | null {
  if (at + 6 > b.length || b[at] !== 0xff || ((b[at + 1] as number) & 0xfe) !== 0xf8) return null;
  const b2 = b[at + 2] as number;
  const b3 = b[at + 3] as number;
  const bsCode = b2 >> 4;
  const srCode = b2 & 15;
  if (bsCode === 0 || srCode === 15 || b3 >> 4 > 10 || ((b3 >> 1) & 7) === 3 || b3 & 1) return null;
  let p = at + 4;
  const lead = b[p] as number;
  let extra: number;
  let value: number;
  if (lead < 0x80) [extra, value] = [0, lead];
  else if (lead >= 0xc0 && lead < 0xe0) [extra, value] = [1, lead & 0x1f];
  else if (lead >= 0xe0 && lead < 0xf0) [extra, value] = [2, lead & 0x0f];
  else if (lead >= 0xf0 && lead < 0xf8) [extra, value] = [3, lead & 0x07];
  else if (lead >= 0xf8 && lead < 0xfc) [extra, value] = [4, lead & 0x03];
  else if (lead >= 0xfc && lead < 0xfe) [extra, value] = [5, lead & 0x01];
  else if (lead === 0xfe) [extra, value] = [6, 0];
  else return null;
  p++;
  for (let i = 0; i < extra; i++, p++) {
    const c = b[p];
    if (c === undefined || (c & 0xc0) !== 0x80) return null;
    value = value * 64 + (c & 0x3f);
  }
  let blockSize: number;
  if (bsCode === 1) blockSize = 192;
  else if (bsCode <= 5) blockSize = 576 << (bsCode - 2);
  else if (bsCode === 6) blockSize = (b[p++] ?? 0) + 1;
  else if (bsCode === 7) blockSize = (((b[p] ?? 0) << 8) | (b[p + 1] ?? 0)) + 1;
  else blockSize = 256 << (bsCode - 8);
  if (bsCode === 7) p += 2;
  if (srCode === 12) p += 1;
  else if (srCode === 13 || srCode === 14) p += 2;
  if (p >= b.length) return null;
  if (crc8(b, at, p) !== b[p]) return null;
  const variable = ((b[at + 1] as number) & 1) === 1;
  return {
    pos: pos + at,
    number: value,
    blockSize,
    signature: (((b[at + 1] as number) << 16) | ((b2 & 15) << 8) | (b3 & 0x0e)) >>> 0,
    variable,
  };
}

interface StreamInfo {
  /** The STREAMINFO block as a last metadata block (for the synthetic stream head). */
  block: Uint8Array;
  sampleRate: number;
  minBlock: number;
  maxBlock: number;
  maxFrame: number;
  total: number;
}

/** Reads the metadata blocks: STREAMINFO, the SEEKTABLE's points and where the frames begin. */
async function readMetadata(
  reader: ByteReader,
): Promise<{ start: number; info: StreamInfo; points: { sample: number; offset: number }[] } | null> {
  let at = await skipId3v2(reader);
  const magic = await reader.read(at, 4);
  if (String.fromCharCode(...magic) !== 'fLaC') return null;
  at += 4;
  let info: StreamInfo | null = null;
  let points: { sample: number; offset: number }[] = [];
  for (;;) {
    const h = await reader.read(at, 4);
    if (h.length < 4) return null;
    const last = ((h[0] as number) & 0x80) !== 0;
    const type = (h[0] as number) & 0x7f;
    const len = ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number);
    if (type === 0) {
      const s = await reader.read(at + 4, 34);
      if (len < 34 || s.length < 34) return null;
      const block = new Uint8Array(38);
      block.set([0x80, 0, 0, 34]);
      block.set(s, 4);
      const total =
        ((s[13] as number) & 0x0f) * 2 ** 32 +
        (((s[14] as number) << 24) >>> 0) +
        (((s[15] as number) << 16) | ((s[16] as number) << 8) | (s[17] as number));
      if (total === 0) {
        // An unknown total would make audio-decode take the first chunk for a whole stream: claim the most.
        block[4 + 13] = (block[4 + 13] as number) | 0x0f;
        block.fill(0xff, 4 + 14, 4 + 18);
      }
      info = {
        block,
        sampleRate: ((s[10] as number) << 12) | ((s[11] as number) << 4) | ((s[12] as number) >> 4),
        minBlock: ((s[0] as number) << 8) | (s[1] as number),
        maxBlock: ((s[2] as number) << 8) | (s[3] as number),
        maxFrame: ((s[7] as number) << 16) | ((s[8] as number) << 8) | (s[9] as number),
        total,
      };
    } else if (type === 3) {
      const t = await reader.read(at + 4, len);
      const view = new DataView(t.buffer, t.byteOffset, t.byteLength);
      points = [];
      for (let i = 0; i + 18 <= t.length; i += 18) {
        const hi = view.getUint32(i);
        if (hi === 0xffffffff) continue; // placeholder
        points.push({ sample: hi * 2 ** 32 + view.getUint32(i + 4), offset: view.getUint32(i + 8) * 2 ** 32 + view.getUint32(i + 12) });
      }
    }
    at += 4 + len;
    if (last) break;
  }
  return info ? { start: at, info, points } : null;
}

/** Opens a native FLAC file for decoding by seeking, or null (Ogg FLAC, damaged metadata, no frames). */
export async function openFlacSeeker(reader: ByteReader): Promise<Seeker | null> {
  const meta = await readMetadata(reader);
  if (!meta || meta.info.sampleRate === 0) return null;
  const { start, info, points } = meta;
  const head = await reader.read(start, 64 * 1024);
  const first = flacFrameHeader(head, 0, start);
  if (!first) return null;
  // Fixed blocking numbers frames; the nominal block size turns a frame number into a sample.
  const nominal = first.variable ? 0 : info.minBlock === info.maxBlock ? info.maxBlock : first.blockSize;
  const sampleOf = (f: FlacFrame): number => (f.variable ? f.number : f.number * nominal);
  const origin = sampleOf(first);
  const scanBytes = Math.max(64 * 1024, 2 * info.maxFrame + 1024);

  /** The first frame at or after `pos` that the next frame's header confirms, or null. */
  const frameFrom = async (pos: number): Promise<FlacFrame | null> => {
    const b = await reader.read(pos, scanBytes * 2);
    for (let p = 0; p + 6 < b.length; p++) {
      if (b[p] !== 0xff) continue;
      const f = flacFrameHeader(b, p, pos);
      if (!f || f.signature !== first.signature || f.variable !== first.variable) continue;
      const nextNumber = f.variable ? f.number + f.blockSize : f.number + 1;
      for (let q = p + 6; q + 6 < b.length && q - p <= scanBytes; q++) {
        if (b[q] !== 0xff) continue;
        const g = flacFrameHeader(b, q, pos);
        if (g && g.signature === first.signature && g.number === nextNumber) return f;
      }
      // The last frame has no successor: accept it when the rest of the file is shorter than a frame.
      if (pos + b.length >= reader.size && reader.size - f.pos <= scanBytes) return f;
    }
    return null;
  };

  /** The frame to start decoding at for sample `target`: at or before it, as close as a cheap search gets. */
  const seek = async (target: number): Promise<FlacFrame> => {
    let best = first;
    let hi = reader.size;
    // A SEEKTABLE narrows the search to the stretch between two points.
    const point = points.filter((pt) => pt.sample + origin <= target).at(-1);
    if (point) {
      const f = await frameFrom(start + point.offset);
      if (f && f.pos === start + point.offset && sampleOf(f) <= target) best = f;
    }
    const after = points.find((pt) => pt.sample + origin > target);
    if (after && start + after.offset > best.pos) hi = Math.min(hi, start + after.offset + 1);
    let lo = best.pos + 1;
    while (hi - lo > scanBytes) {
      const mid = Math.floor((lo + hi) / 2);
      const f = await frameFrom(mid);
      if (!f || sampleOf(f) > target) hi = mid;
      else {
        best = f;
        lo = f.pos + 1;
      }
    }
    return best;
  };

  /** The header of the frame after `f` in `b` (file offset `base`), searched from `b[from]` on, or null. */
  const nextFrame = (b: Uint8Array, base: number, f: FlacFrame, from: number): FlacFrame | null => {
    const expect = f.variable ? f.number + f.blockSize : f.number + 1;
    for (let q = b.indexOf(0xff, from); q >= 0; q = b.indexOf(0xff, q + 1)) {
      if (((b[q + 1] ?? 0) & 0xfe) !== 0xf8) continue;
      const g = flacFrameHeader(b, q, base);
      if (g && g.number === expect && g.signature === first.signature && g.variable === first.variable) return g;
    }
    return null;
  };

  /**
   * Whether `f`, with no frame header after it, is the stream's last frame: its samples end the stream
   * (STREAMINFO's total, where known), else the file ends within a frame's length of it.
   */
  const isLast = (f: FlacFrame): boolean =>
    info.total > 0 ? sampleOf(f) - origin + f.blockSize === info.total : reader.size - f.pos <= scanBytes;

  /**
   * Decodes the frames from `frame` on until the one holding sample `to - 1`, split here (a frame ends where a
   * header carrying the next number begins) and decoded by libFLAC, which checks each frame's CRC-16. A frame
   * libFLAC reports, or a count it disagrees with, throws SeekUnavailable (the file is then decoded from its
   * start). Where no split can be made (no next header within a frame's length, a frame too long for the
   * frame interface), it stops and hands the frame in hand back (`rest`): the caller streams from there.
   * `reusable` is false once the decoder was given the file's tail (the last frame and whatever follows it).
   */
  const decodeFrames = async (
    dec: FlacFrameDecoder,
    frame: FlacFrame,
    to: number,
    emit: Emit,
    signal?: AbortSignal,
  ): Promise<{ decoded: number; rest: FlacFrame | null; reusable: boolean }> => {
    let base = frame.pos;
    let b = await reader.read(base, FEED_BYTES);
    let cur = 0;
    let f = frame;
    let scan = 2;
    const start = sampleOf(frame) - origin;
    let position = start;
    let batch: Uint8Array[] = [];
    let batchSamples = 0;
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const r = await dec.decode(batch);
      if (r.errors > 0 || r.samplesDecoded !== batchSamples)
        throw new SeekUnavailable(
          `${reader.path}: libFLAC decoded ${r.samplesDecoded} of ${batchSamples} samples (${r.errors} frame errors) before byte ${base + cur}`,
        );
      emit(position, downmix(r.channelData));
      position += batchSamples;
      batch = [];
      batchSamples = 0;
    };
    const add = (bytes: Uint8Array): boolean => {
      if (bytes.length > MAX_FRAME_BYTES) return false;
      batch.push(bytes);
      batchSamples += f.blockSize;
      return true;
    };
    while (position + batchSamples < to) {
      checkAborted(signal);
      const g = nextFrame(b, base, f, scan);
      if (g) {
        if (!add(b.subarray(cur, g.pos - base))) break;
        cur = g.pos - base;
        scan = cur + 2;
        f = g;
        continue;
      }
      if (base + b.length >= reader.size && isLast(f)) {
        // The last frame: it runs to the end of the file (with any tag after it, which libFLAC leaves unread).
        if (!add(b.subarray(cur))) break;
        await flush();
        return { decoded: position - start, rest: null, reusable: false };
      }
      if (b.length - cur > scanBytes || base + b.length >= reader.size) break;
      await flush();
      const rest = b.length - cur;
      b = concatBytes([b.subarray(cur), await reader.read(base + b.length, FEED_BYTES)]);
      base += cur;
      cur = 0;
      // A header cut by the end of the buffer is looked at again.
      scan = Math.max(2, rest - 16);
    }
    await flush();
    return { decoded: position - start, rest: position < to ? f : null, reusable: true };
  };

  /**
   * The span from `frame` on through audio-decode's streaming decoder: where libFLAC's frame interface is not
   * there, or from the frame decodeFrames could not split off (its `rest`).
   */
  const decodeStreaming = async (frame: FlacFrame, to: number, emit: Emit, signal?: AbortSignal): Promise<number> => {
    const fromStart = frame.pos === first.pos;
    let position = sampleOf(frame) - origin;
    let at = fromStart ? 0 : frame.pos;
    const dec = await codecDecoder('flac');
    let decoded = 0;
    const take = (mono: Float32Array): void => {
      if (mono.length) emit(position, mono);
      position += mono.length;
      decoded += mono.length;
    };
    try {
      while (position < to) {
        checkAborted(signal);
        const chunk = await reader.read(at, FEED_BYTES);
        if (chunk.length === 0) {
          take(await feed(dec, undefined));
          break;
        }
        at += chunk.length;
        take(await feed(dec, fromStart || at - chunk.length !== frame.pos ? chunk : withHead(info.block, chunk)));
      }
    } finally {
      dec.free();
    }
    return decoded;
  };

  return {
    sampleRate: info.sampleRate,
    async decodeSpan(from: number, to: number, emit: Emit, signal?: AbortSignal): Promise<number> {
      const frame = from <= 0 ? first : await seek(from + origin);
      const frames = await flacFrameDecoder();
      let decoded = 0;
      let rest: FlacFrame | null = frame;
      if (frames) {
        let reusable = false;
        try {
          ({ decoded, rest, reusable } = await decodeFrames(frames, frame, to, emit, signal));
        } finally {
          frames.free(reusable);
        }
      }
      if (rest) decoded += await decodeStreaming(rest, to, emit, signal);
      if (frame.pos !== first.pos && decoded === 0) throw new SeekUnavailable(`${reader.path}: no audio decoded after a seek`);
      return decoded;
    },
  };
}

/** "fLaC" + the STREAMINFO block + the first bytes after the seek point, as one chunk. */
function withHead(block: Uint8Array, chunk: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(0x66, 0x4c, 0x61, 0x43), block, chunk]);
}
