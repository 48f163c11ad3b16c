/**
 * Seeking in MPEG audio (MP3, and MP2/MP1 in .mp3 files) by a frame index: the frame headers are walked
 * from the start (4 bytes each; no decoding), which gives every frame's byte offset and, as frames hold a
 * fixed number of samples, its exact sample position. A Xing TOC would only give an approximate offset.
 *
 * Warm-up: a Layer III frame's main data may start up to 511 bytes before its header (the bit reservoir)
 * and its first granule overlaps the previous one, so decoding starts a few frames (>= 2 KiB, >= 10 frames)
 * before the first sample wanted; from there on mpg123's output equals the full decode's to float
 * rounding (its synthesis ring buffer starts at another phase: differences around 1e-7).
 *
 * Calibration: how the decoder numbers its output (gapless trimming of the encoder delay and the
 * decoder's 529 samples when a LAME/Info tag says so, the Xing frame that yields nothing) is measured, not
 * assumed: the first frames are decoded from the start of the file as a full decode does, and the count of
 * samples they yield fixes the full-decode index of every frame.
 */
import { SeekUnavailable, skipId3v2, type ByteReader } from './byte-reader.js';
import { FEED_BYTES, checkAborted, codecDecoder, feed, type Emit, type Seeker } from './seek.js';

/** kbit/s by [version 1 | 2 (and 2.5)][layer 1..3][index]. */
const BITRATES: Record<string, number[]> = {
  '1-1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** A frame header's fields that must stay the same through a stream, and the frame's length. */
export interface MpegHeader {
  /** 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5 (the header's version bits). */
  version: number;
  /** 1, 2 or 3. */
  layer: number;
  sampleRate: number;
  samples: number;
  length: number;
}

/** Parses the 4-byte frame header at `at`, or null (no sync, reserved values, free format). */
export function mpegHeader(b: Uint8Array, at: number): MpegHeader | null {
  if (at + 4 > b.length || b[at] !== 0xff || ((b[at + 1] as number) & 0xe0) !== 0xe0) return null;
  const b1 = b[at + 1] as number;
  const b2 = b[at + 2] as number;
  const version = (b1 >> 3) & 3;
  const layer = 4 - ((b1 >> 1) & 3);
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (version === 1 || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  if (((b[at + 3] as number) & 3) === 2) return null; // reserved emphasis
  const kbps = BITRATES[`${version === 3 ? 1 : 2}-${layer}`]?.[bitrateIndex] as number;
  const sampleRate = (RATES[version] as number[])[rateIndex] as number;
  const padding = (b2 >> 1) & 1;
  const samples = layer === 1 ? 384 : layer === 3 && version !== 3 ? 576 : 1152;
  const length =
    layer === 1
      ? (Math.floor((12 * kbps * 1000) / sampleRate) + padding) * 4
      : Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + padding;
  return { version, layer, sampleRate, samples, length };
}

const same = (a: MpegHeader, b: MpegHeader): boolean => a.version === b.version && a.layer === b.layer && a.sampleRate === b.sampleRate;

/** Tags that may follow the last frame: ID3v1, APEv2, Lyrics3, an appended ID3v2. */
function isTrailer(b: Uint8Array, at: number): boolean {
  const s = String.fromCharCode(...b.subarray(at, at + 8));
  return s.startsWith('TAG') || s.startsWith('APETAGEX') || s.startsWith('LYRICS') || s.startsWith('ID3');
}

/** The frames of a file, walked lazily as far as asked. */
class FrameIndex {
  /** Byte offset of every frame walked so far. */
  readonly offsets: number[] = [];
  first: MpegHeader | null = null;
  /** True once the walk reached the end (of the file, or of the frames: a trailer tag or junk). */
  done = false;
  /** Where the walk met bytes that are neither a frame nor a trailing tag (null when it did not). */
  junkAt: number | null = null;
  private next = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufAt = 0;

  constructor(private readonly reader: ByteReader) {}

  private async bytes(at: number, n: number): Promise<Uint8Array> {
    if (at < this.bufAt || at + n > this.bufAt + this.buf.length) {
      this.bufAt = at;
      this.buf = await this.reader.read(at, Math.max(n, 1 << 20));
    }
    return this.buf.subarray(at - this.bufAt, at - this.bufAt + n);
  }

  /** Finds the first frame: after any ID3v2 tag, within 64 KiB, followed by a matching frame. */
  async start(): Promise<boolean> {
    const from = await skipId3v2(this.reader);
    const head = await this.reader.read(from, 64 * 1024 + 8192);
    for (let p = 0; p + 4 <= head.length && p < 64 * 1024; p++) {
      const h = mpegHeader(head, p);
      if (!h) continue;
      const h2 = mpegHeader(head, p + h.length);
      if (h2 && same(h, h2)) {
        this.first = h;
        this.next = from + p;
        return true;
      }
    }
    return false;
  }

  /** Walks until `count` frames are known or the frames end. */
  async walkTo(count: number): Promise<void> {
    const first = this.first as MpegHeader;
    while (!this.done && this.offsets.length < count) {
      const at = this.next;
      if (at + 4 > this.reader.size) {
        this.done = true;
        break;
      }
      const b = await this.bytes(at, 8);
      const h = mpegHeader(b, 0);
      if (!h || !same(h, first) || at + h.length > this.reader.size) {
        // A tag, a cut last frame, or junk: mpg123 may resync past junk, where this index cannot follow.
        this.done = true;
        const cutLast = h !== null && same(h, first);
        if (!cutLast && !isTrailer(b, 0) && this.reader.size - at > 128) this.junkAt = at;
        break;
      }
      this.offsets.push(at);
      this.next = at + h.length;
    }
  }
}

/** Frames decoded from the start to calibrate the numbering. */
const CALIBRATION_FRAMES = 8;

/**
 * Opens an MPEG audio file for decoding by seeking, or returns null when it cannot be (no two matching
 * frames near the start, free-format bitrate, too short to gain anything).
 */
export async function openMpegSeeker(reader: ByteReader): Promise<Seeker | null> {
  const index = new FrameIndex(reader);
  if (!(await index.start())) return null;
  const first = index.first as MpegHeader;
  const spf = first.samples;
  await index.walkTo(CALIBRATION_FRAMES + 1);
  if (index.offsets.length <= CALIBRATION_FRAMES) return null;

  // Decode the first frames exactly as a full decode begins (from byte 0: tags, Xing frame and all).
  const dec = await codecDecoder('mp3');
  let produced = 0;
  try {
    produced = (await feed(dec, await reader.read(0, index.offsets[CALIBRATION_FRAMES] as number))).length;
  } finally {
    dec.free();
  }
  /** Full-decode index of frame k's first sample = k * spf + shift. */
  const shift = produced - CALIBRATION_FRAMES * spf;
  if (shift > 0 || shift < -(spf + 4096)) return null;

  return {
    sampleRate: first.sampleRate,
    async decodeSpan(from: number, to: number, emit: Emit, signal?: AbortSignal): Promise<number> {
      const firstFrame = Math.max(0, Math.floor((from - shift) / spf));
      const lastFrame = Math.ceil((to - shift) / spf) + 1;
      await index.walkTo(lastFrame + 1);
      if (index.offsets.length <= firstFrame || (index.junkAt !== null && index.offsets.length < lastFrame)) {
        throw new SeekUnavailable(`${reader.path}: the frames cannot be indexed up to ${Math.round(to / first.sampleRate)} s`);
      }
      // Back off for the reservoir and the overlap: at least 10 frames and 2 KiB.
      let k0 = Math.max(0, firstFrame - 10);
      while (k0 > 0 && (index.offsets[firstFrame] as number) - (index.offsets[k0] as number) < 2048) k0--;
      // Near the start, decoding from byte 0 is the full decode itself.
      const fromStart = k0 <= CALIBRATION_FRAMES + 2;
      let position = fromStart ? 0 : k0 * spf + shift;
      let at = fromStart ? 0 : (index.offsets[k0] as number);
      const endFrame = Math.min(lastFrame, index.offsets.length);
      const end = endFrame < index.offsets.length ? (index.offsets[endFrame] as number) : reader.size;
      const dec = await codecDecoder('mp3');
      let decoded = 0;
      try {
        while (at < end && position < to) {
          checkAborted(signal);
          const chunk = await reader.read(at, Math.min(FEED_BYTES, end - at));
          if (chunk.length === 0) break;
          at += chunk.length;
          const mono = await feed(dec, chunk);
          if (mono.length) emit(position, mono);
          position += mono.length;
          decoded += mono.length;
        }
      } finally {
        dec.free();
      }
      return decoded;
    },
  };
}
