/**
 * MP4/M4A files carrying AAC, read by their sample tables: the moov is found by the top-level box walk
 * (ffmpeg and many other tools write it after the mdat, where audio-decode's streaming demuxer, which
 * yields nothing before it has the moov, decoded the whole track in one call), and the stbl's tables
 * (stsz sizes, stsc/stco|co64 chunk offsets) give every access unit's byte offset. Units are fed to the
 * streaming decode's own FAAD2 decoder with the same configuration (decode-aac's `decoder({ asc })`).
 *
 * Windows are decoded after a seek (openMp4AacSeeker): a fresh decoder starts AAC_PREROLL_UNITS units
 * before the unit holding a span's first sample, plus the one FAAD2 decodes and withholds (the MDCT overlap
 * comes from it), and stops after the span. Unit j >= 1 decodes to output samples [(j-1)F, jF) (F, read
 * from the first two units: 1024, 2048 with SBR); decode-aac's gapless trim (the edit list's or iTunSMPB's priming and length, less the
 * decoder's own delay) is applied here by index, so positions are the full decode's (see seek.ts).
 * openMp4Aac decodes from the start, with the gapless window given to the decoder: the streaming decode's
 * samples, sample for sample, in bounded memory (the fallback when seeking turns out not to work).
 *
 * What differs from the full decode: perceptual noise substitution (PNS) bands only. PNS codes a band as
 * "noise of this energy" and the decoder draws it from a random generator whose state runs through every
 * earlier frame, so a window decoded after a seek gets another noise there (as any other decoder,
 * ffmpeg's or Apple's, would). It was decoded from the start for that reason; seeking is the product's
 * choice now, since for mood analysis another draw of the same noise is immaterial while decoding from
 * the start cost several times the CPU. Measured (tests/unit/mp4-aac-seek.test.ts, ffmpeg's encoder, 10 s windows at
 * 48 kHz): without PNS the seeked windows equal the full decode bit for bit, with any pre-roll (0 extra
 * units included); with PNS, 17-19 dB SNR against the full decode where the encoder leans on PNS (a
 * gated pink noise), 40 dB to exact elsewhere, while every third-octave band's energy stays within
 * 0.04 dB and the samples stay aligned (cross-correlation peak at lag 0). On the bench library's 234 s
 * file the quick policy's three windows are 70-87 dB from the full decode's (at most 3e-3 apart, peak
 * 0.64) and cost 30.3 s of decoded audio instead of 200.6 s (CPU per window, resampling included:
 * ~150 -> ~25 ms). Not measured: HE-AAC (SBR/PS; ffmpeg here has no encoder for it), whose state the
 * extra pre-roll units are meant to settle. Files this reader does not handle (fragmented, no moov, not
 * AAC) return null and are decoded by the streaming demuxer as before; a span whose units do not decode
 * to whole frames (a damaged unit) gives up seeking, and the file is decoded from the start.
 */
import type * as DecodeAac from '@audio/decode-aac';
import { SeekUnavailable, type ByteReader } from './byte-reader.js';
import { checkAborted, downmix, type Seeker } from './seek.js';

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

/** What both readers need: the decoder, its configuration and the track's access units. */
interface AacTrack {
  aac: typeof DecodeAac;
  asc: Uint8Array;
  /** The gapless window decode-mp4 passes the decoder (undefined: no trimming). */
  window: DecodeAac.GaplessWindow | undefined;
  offsets: Float64Array;
  sizes: Uint32Array;
}

/** Reads the moov and the first audio track's tables; null when this reader does not handle the file. */
async function openTrack(reader: ByteReader): Promise<AacTrack | null> {
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
  return { aac, asc, window, offsets: table.offsets, sizes: table.sizes };
}

/** Reads access units [k, last) (as many as the file holds), in one read when they lie back to back. */
async function readUnits(reader: ByteReader, t: AacTrack, k: number, last: number): Promise<Uint8Array[]> {
  const { offsets, sizes } = t;
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
    for (let i = k; i < last; i++) {
      const unit = await reader.read(offsets[i] as number, sizes[i] as number);
      if (unit.length < (sizes[i] as number)) break;
      units.push(unit);
    }
  }
  return units;
}

/**
 * Opens the first audio track of an MP4/M4A file when it carries AAC and can be read by its sample
 * tables; null when not (the caller then uses the streaming demuxer).
 */
export async function openMp4Aac(reader: ByteReader): Promise<Mp4AacStream | null> {
  const t = await openTrack(reader);
  if (!t) return null;
  const { aac, asc, window, sizes } = t;
  return {
    async decode(sink, signal) {
      const dec = await aac.decoder({ asc, gapless: window });
      let position = 0;
      try {
        let more = true;
        for (let k = 0; k < sizes.length && more; k += FEED_FRAMES) {
          checkAborted(signal);
          const last = Math.min(sizes.length, k + FEED_FRAMES);
          const units = await readUnits(reader, t, k, last);
          const out = dec.decode(units);
          if (out.channelData.length > 0) {
            const mono = downmix(out.channelData);
            if (mono.length > 0) more = sink(position, mono, out.sampleRate);
            position += mono.length;
          }
          if (units.length < last - k) break;
        }
      } finally {
        dec.free();
      }
      return position;
    },
  };
}

/**
 * Access units decoded before the one holding a span's first sample, beyond the one FAAD2 withholds.
 * The MDCT overlap needs only that one (its second half is all the next output takes from it), and
 * without PNS the output after it is the full decode's bit for bit (measured, tests/unit/mp4-aac-seek);
 * the extra units cost 0.7% of a 10 s window and let SBR's (HE-AAC) envelope and QMF state settle.
 */
export const AAC_PREROLL_UNITS = 3;

/** SBR's QMF delay, as decode-aac's gapless window counts it (samples at the output rate). */
const SBR_DELAY = 962;
/** Sampling frequencies by an AudioSpecificConfig's index (ISO/IEC 14496-3, 1.6.3.4). */
const ASC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * The AudioSpecificConfig's own sampling frequency (the core's: half the output's with SBR), 0 if unknown:
 * a 5-bit object type (31: 6 more bits follow), a 4-bit frequency index, and after index 15 the frequency
 * itself in 24 bits. Exported for its tests.
 */
export function ascRate(asc: Uint8Array): number {
  if (asc.length < 2) return 0;
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) v = v * 2 + ((((asc[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) as number);
    return v;
  };
  if (read(5) === 31) read(6);
  const i = read(4);
  return i === 15 ? read(24) : (ASC_RATES[i] ?? 0);
}

/**
 * Opens the first audio track of an MP4/M4A file with AAC for decoding windows after a seek: each span
 * starts a fresh decoder a few access units before it (found by the sample tables) and places the output
 * at its full-decode index. Null when this reader does not handle the file. See the file's comment for
 * what differs from the full decode (PNS bands only).
 */
export async function openMp4AacSeeker(reader: ByteReader, preroll = AAC_PREROLL_UNITS): Promise<Seeker | null> {
  const t = await openTrack(reader);
  if (!t || t.sizes.length < 2) return null;
  const { aac, asc, window } = t;
  const count = t.sizes.length;
  // The output rate and samples per access unit, from the first two units (FAAD2 withholds the first).
  const probe = await aac.decoder({ asc });
  let frame: number;
  let sampleRate: number;
  try {
    const units = await readUnits(reader, t, 0, 2);
    const out = units.length === 2 ? probe.decode(units) : null;
    frame = out?.channelData[0]?.length ?? 0;
    sampleRate = out?.sampleRate ?? 0;
  } finally {
    probe.free();
  }
  if (frame <= 0 || !Number.isInteger(sampleRate) || sampleRate <= 0) return null;
  // decode-aac's trim of the full decode (its _window): `skip` output samples of priming and decoder
  // delay, then `length` samples (undecided: to the end).
  const core = ascRate(asc) || sampleRate;
  const sbr = sampleRate > core * 1.5 ? 2 : 1;
  const delay = 1024 * sbr - (sbr > 1 ? SBR_DELAY : 0);
  const skip = window ? Math.max(0, Math.round(window.start * sampleRate) - delay) : 0;
  const length = window?.duration === undefined ? Number.POSITIVE_INFINITY : Math.round(window.duration * sampleRate);
  return {
    sampleRate,
    async decodeSpan(from, to, emit, signal) {
      // Untrimmed output positions: unit j >= 1 decodes to [(j - 1) * frame, j * frame).
      const a = Math.max(0, from) + skip;
      const b = Math.min(to, length) + skip;
      if (a >= b) return 0;
      const first = Math.max(0, Math.floor(a / frame) - preroll);
      const end = Math.min(count, Math.ceil(b / frame) + 1);
      if (first >= end) return 0;
      const dec = await aac.decoder({ asc });
      let position = first * frame;
      let decoded = 0;
      try {
        for (let k = first; k < end; k += FEED_FRAMES) {
          checkAborted(signal);
          const last = Math.min(end, k + FEED_FRAMES);
          const units = await readUnits(reader, t, k, last);
          const out = dec.decode(units);
          const n = out.channelData[0]?.length ?? 0;
          if (n !== Math.max(0, units.length - (k === first ? 1 : 0)) * frame) {
            throw new SeekUnavailable(
              `${reader.path}: AAC units near ${Math.round(position / sampleRate)} s did not decode to whole frames`,
            );
          }
          if (n > 0) {
            const mono = downmix(out.channelData);
            decoded += n;
            // Keep the part inside the presentation (the full decode's indexes).
            const lo = Math.max(position, skip);
            const hi = Math.min(position + n, skip + length);
            if (lo < hi) emit(lo - skip, mono.subarray(lo - position, hi - position));
            position += n;
          }
          if (units.length < last - k) break;
        }
      } finally {
        dec.free();
      }
      return decoded;
    },
  };
}
