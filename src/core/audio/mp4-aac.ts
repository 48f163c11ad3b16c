/**
 * MP4/M4A files carrying AAC, decoded from the start in bounded memory. audio-decode's streaming MP4
 * demuxer yields nothing until it has the `moov` box, and ffmpeg (and many other tools) write that box at
 * the END of the file: the whole file was then decoded in one call, the PCM of the whole track held at once
 * (measured on bench:analyze's 234 s stereo AAC file: ~200 MB more resident memory in the decode worker,
 * and 1.1-1.9 s per track for the quick policy's three windows).
 *
 * Here the moov is read first (by the top-level box walk, wherever it sits), the track's sample tables
 * give every access unit's byte offset, and the units are fed in order, a batch at a time, to the same
 * FAAD2 decoder with the same configuration and gapless window the streaming demuxer gives it (decode-aac's
 * `decoder({ asc, gapless })`): the output is the streaming decode's, sample for sample, and decoding stops
 * after the last sample wanted. It does not seek: AAC's noise substitution (PNS) draws from a random
 * generator whose state runs through every earlier frame, so a window decoded after a seek is not the full
 * decode's (measured: differences up to 3.6e-2 at a peak of 0.65). Files this reader does not handle
 * (fragmented, no moov, not AAC) return null and are decoded by the streaming demuxer as before.
 */
import type * as DecodeAac from '@audio/decode-aac';
import type { ByteReader } from './byte-reader.js';
import { checkAborted, downmix } from './seek.js';

/** decode-aac, the streaming decode's own AAC decoder (a dependency of audio-decode), loaded on first use. */
const DECODE_AAC = '@audio/decode-aac';
const loadDecodeAac = (): Promise<typeof DecodeAac> => import(/* @vite-ignore */ DECODE_AAC) as Promise<typeof DecodeAac>;

/** The largest moov read (the sample tables of a long track are a few MB at most). */
const MAX_MOOV = 64 * 1024 * 1024;
/** Access units read and fed to the decoder per call (~64 KB of a 128 kbit/s stream). */
const FEED_FRAMES = 64;

const r32 = (b: Uint8Array, o: number): number =>
  (((b[o] as number) << 24) | ((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number)) >>> 0;
const str4 = (b: Uint8Array, o: number): string => String.fromCharCode(b[o] ?? 0, b[o + 1] ?? 0, b[o + 2] ?? 0, b[o + 3] ?? 0);

/** Boxes descended into while looking for the audio track's tables. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'udta']);

interface Track {
  handler?: string;
  boxes: Record<string, Uint8Array>;
}

/** Calls `leaf` for every box under [start, end) of `b` that is not a container, with the trak it is in. */
function walk(b: Uint8Array, start: number, end: number, track: Track | null, tracks: Track[], movie: Record<string, Uint8Array>): void {
  let off = start;
  while (off + 8 <= end) {
    let size = r32(b, off);
    const type = str4(b, off + 4);
    let head = 8;
    if (size === 1) {
      if (off + 16 > end) return;
      size = r32(b, off + 8) * 2 ** 32 + r32(b, off + 12);
      head = 16;
    } else if (size === 0) size = end - off;
    if (size < head || off + size > end) return;
    const bodyStart = off + head;
    const body = b.subarray(bodyStart, off + size);
    if (type === 'trak') {
      const t: Track = { boxes: {} };
      tracks.push(t);
      walk(b, bodyStart, off + size, t, tracks, movie);
    } else if (CONTAINERS.has(type)) walk(b, bodyStart, off + size, track, tracks, movie);
    else if (type === 'meta') walk(b, bodyStart + 4, off + size, track, tracks, movie);
    else if (type === 'ilst' || type === 'mvhd') {
      if (track) track.boxes[type] ??= body;
      else movie[type] ??= body;
    } else if (track) {
      if (type === 'hdlr') track.handler = str4(body, 8);
      track.boxes[type] ??= body;
    }
    off += size;
  }
}

/** The AudioSpecificConfig of an mp4a sample entry's esds (AAC only), or null. */
function aacConfig(stsd: Uint8Array): Uint8Array | null {
  if (r32(stsd, 4) < 1 || stsd.length < 16) return null;
  const entryStart = 8;
  const entrySize = r32(stsd, entryStart);
  if (str4(stsd, entryStart + 4) !== 'mp4a' || entrySize < 36) return null;
  const version = ((stsd[entryStart + 16] as number) << 8) | (stsd[entryStart + 17] as number);
  if (version !== 0 && version !== 1) return null;
  const childStart = entryStart + (version === 1 ? 52 : 36);
  const entryEnd = Math.min(stsd.length, entryStart + entrySize);
  for (let off = childStart; off + 8 <= entryEnd;) {
    const size = r32(stsd, off);
    if (size < 8) return null;
    if (str4(stsd, off + 4) === 'esds') return esdsConfig(stsd.subarray(off + 8, Math.min(entryEnd, off + size)));
    off += size;
  }
  return null;
}

/** esds: the DecoderSpecificInfo of an MPEG-4 audio (AAC) stream, or null for any other object type. */
function esdsConfig(d: Uint8Array): Uint8Array | null {
  let off = 4;
  let oti = 0;
  while (off < d.length - 2) {
    const tag = d[off++] as number;
    let len = 0;
    let byte: number;
    do {
      byte = d[off++] as number;
      len = (len << 7) | (byte & 0x7f);
    } while (byte & 0x80 && off < d.length);
    if (tag === 0x03) off += 3;
    else if (tag === 0x04) {
      oti = d[off] as number;
      off += 13;
    } else if (tag === 0x05) return oti === 0x40 || oti === 0x66 || oti === 0x67 || oti === 0x68 ? d.slice(off, off + len) : null;
    else off += len;
  }
  return null;
}

/** Every access unit's byte offset (stco/co64 and stsc), with its size (stsz). */
function sampleOffsets(boxes: Record<string, Uint8Array>): { offsets: Float64Array; sizes: Uint32Array } | null {
  const stsz = boxes.stsz;
  const stco = boxes.stco ?? boxes.co64;
  const stsc = boxes.stsc;
  if (!stsz || !stco || !stsc) return null;
  const fixed = r32(stsz, 4);
  const count = r32(stsz, 8);
  const sizes = new Uint32Array(count);
  for (let i = 0; i < count; i++) sizes[i] = fixed || r32(stsz, 12 + i * 4);
  const wide = !boxes.stco;
  const chunks = r32(stco, 4);
  const chunkOffset = (c: number): number => (wide ? r32(stco, 8 + c * 8) * 2 ** 32 + r32(stco, 12 + c * 8) : r32(stco, 8 + c * 4));
  const runs = r32(stsc, 4);
  const offsets = new Float64Array(count);
  let sample = 0;
  for (let r = 0; r < runs && sample < count; r++) {
    const first = r32(stsc, 8 + r * 12) - 1;
    const perChunk = r32(stsc, 12 + r * 12);
    const last = r + 1 < runs ? r32(stsc, 8 + (r + 1) * 12) - 1 : chunks;
    for (let c = first; c < last && sample < count; c++) {
      let off = chunkOffset(c);
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        offsets[sample] = off;
        off += sizes[sample] as number;
      }
    }
  }
  return sample === count ? { offsets, sizes } : null;
}

/** Finds the moov box by walking the top-level boxes (it may sit after a multi-GB mdat). */
async function readMoov(reader: ByteReader): Promise<Uint8Array | null> {
  let off = 0;
  while (off + 8 <= reader.size) {
    const head = await reader.read(off, 16);
    if (head.length < 8) return null;
    let size = r32(head, 0);
    const type = str4(head, 4);
    if (size === 1) size = r32(head, 8) * 2 ** 32 + r32(head, 12);
    else if (size === 0) size = reader.size - off;
    if (size < 8) return null;
    if (type === 'moof') return null;
    if (type === 'moov') {
      if (size > MAX_MOOV) return null;
      const moov = await reader.read(off, size);
      return moov.length === size ? moov : null;
    }
    off += size;
  }
  return null;
}

/**
 * Receives the decoded mono samples in order (`start`: the index of mono[0] in the full decode) at the
 * decoder's output rate; returns false once it needs no more.
 */
export type Mp4AacSink = (start: number, mono: Float32Array, sampleRate: number) => boolean;

/** An MP4 AAC track read from its sample tables. */
export interface Mp4AacStream {
  /** Decodes from the start until the sink has enough or the track ends; returns the samples decoded. */
  decode(sink: Mp4AacSink, signal?: AbortSignal): Promise<number>;
}

/**
 * Opens the first audio track of an MP4/M4A file when it carries AAC and can be read by its sample
 * tables; null when not (the caller then uses the streaming demuxer).
 */
export async function openMp4Aac(reader: ByteReader): Promise<Mp4AacStream | null> {
  const moov = await readMoov(reader);
  if (!moov) return null;
  const tracks: Track[] = [];
  const movie: Record<string, Uint8Array> = {};
  walk(moov, 0, moov.length, null, tracks, movie);
  // The streaming demuxer's choice: the first sound track with a sample entry.
  const b = tracks.find((t) => t.handler === 'soun' && t.boxes.stsd)?.boxes;
  if (!b?.stsd) return null;
  const asc = aacConfig(b.stsd);
  const table = sampleOffsets(b);
  if (!asc || !table || table.sizes.length === 0) return null;
  const aac = await loadDecodeAac();
  // The window decode-mp4 passes (its ilst: the movie's, else the track's).
  const window = aac.gapless({ elst: b.elst, mdhd: b.mdhd, stts: b.stts, mvhd: movie.mvhd, ilst: movie.ilst ?? b.ilst, asc }) ?? undefined;
  const { offsets, sizes } = table;
  return {
    async decode(sink, signal) {
      const dec = await aac.decoder({ asc, gapless: window });
      let position = 0;
      try {
        let more = true;
        for (let k = 0; k < sizes.length && more; k += FEED_FRAMES) {
          checkAborted(signal);
          const last = Math.min(sizes.length, k + FEED_FRAMES);
          const lo = offsets[k] as number;
          const hi = (offsets[last - 1] as number) + (sizes[last - 1] as number);
          let total = 0;
          for (let i = k; i < last; i++) total += sizes[i] as number;
          const units: Uint8Array[] = [];
          if (hi - lo === total) {
            // The usual layout: the batch's units lie back to back.
            const bytes = await reader.read(lo, total);
            let at = 0;
            for (let i = k; i < last && at + (sizes[i] as number) <= bytes.length; i++) {
              units.push(bytes.subarray(at, at + (sizes[i] as number)));
              at += sizes[i] as number;
            }
          } else {
            for (let i = k; i < last; i++) units.push(await reader.read(offsets[i] as number, sizes[i] as number));
          }
          const out = dec.decode(units);
          if (out.channelData.length === 0) continue;
          const mono = downmix(out.channelData);
          if (mono.length > 0) more = sink(position, mono, out.sampleRate);
          position += mono.length;
          if (units.length < last - k) break;
        }
      } finally {
        dec.free();
      }
      return position;
    },
  };
}
