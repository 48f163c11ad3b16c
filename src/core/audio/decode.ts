import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeChunked } from 'audio-decode';
import { openByteReader } from './byte-reader.js';
import { openFlacSeeker } from './flac-seek.js';
import { openMp4Aac, openMp4AacSeeker } from './mp4-aac.js';
import { openMpegSeeker } from './mpeg-seek.js';
import { openOggSeeker } from './ogg-seek.js';
import { openPcmFile } from './pcm-file.js';
import { createResampler, exactContext, type Resampler } from './resample.js';
import { downmix, type SeekCodec, type Seeker } from './seek.js';
import type { SegmentSpec } from './segments.js';

export { downmix };

type DecoderFormat = 'mp3' | 'flac' | 'opus' | 'oga' | 'm4a' | 'wav' | 'aiff' | 'wv' | 'wma';
/** The format names audio-decode's types list; its runtime also registers 'wv' (WavPack), which they omit. */
type StreamFormat = Parameters<typeof decodeChunked>[1];

const FORMAT_BY_EXTENSION: Record<string, DecoderFormat> = {
  '.mp3': 'mp3',
  '.flac': 'flac',
  '.ogg': 'oga',
  '.oga': 'oga',
  '.opus': 'opus',
  '.m4a': 'm4a',
  '.wav': 'wav',
  '.wave': 'wav',
  '.aif': 'aiff',
  '.aiff': 'aiff',
  '.aifc': 'aiff',
  '.wv': 'wv',
  '.wma': 'wma',
};

/** How a file's windows were read: by byte offset (PCM), by seeking in the compressed stream, or decoding from the start. */
export type DecodeMethod = 'pcm' | 'seek' | 'stream';

/** Mono segments at the model's rate, each exactly `segmentSeconds` long (zero-padded at the end). */
export interface DecodedSegments {
  sampleRate: number;
  sourceRate: number;
  segments: { spec: SegmentSpec; samples: Float32Array }[];
  method: DecodeMethod;
  /** Source samples read or decoded (per channel): what the windows cost. */
  decodedSamples: number;
}

/** Options for {@link decodeSegments}. */
export interface DecodeSegmentsOptions {
  targetRate: number;
  segmentSeconds: number;
  /** Known duration in seconds (from the index): decoding stops there, guarding against trailing junk. */
  duration?: number;
  signal?: AbortSignal;
  /**
   * Read only the windows where the format allows (default true): WAV/AIFF by byte offset, MP3, FLAC,
   * Ogg and MP4/M4A AAC by seeking. False decodes them from the start of the file with the streaming
   * decoder (the reference the direct and seeking reads are tested against; AAC's seeked windows differ
   * from it in noise-substituted bands only, see mp4-aac.ts).
   */
  seek?: boolean;
}

/** The decoder format for a path, or an error naming the file when the extension is unsupported. */
export function decoderFormat(path: string): DecoderFormat {
  const f = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!f) throw new Error(`${path}: unsupported audio format "${extname(path)}"`);
  return f;
}

interface Window {
  spec: SegmentSpec;
  /** First and one-past-last source sample kept (segment plus filter context). */
  from: number;
  to: number;
  buf: Float32Array;
}

/**
 * The decoder for an Ogg file by its first packet rather than its name: ".ogg" holds Opus or FLAC as
 * often as Vorbis, and each needs its own decoder.
 */
async function oggDecoder(path: string, byName: DecoderFormat): Promise<DecoderFormat> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(40);
    const { bytesRead } = await handle.read(head, 0, 40, 0);
    if (bytesRead < 28 || head.toString('latin1', 0, 4) !== 'OggS') return byName;
    const body = head.subarray(27 + (head[26] as number));
    if (body.toString('latin1', 0, 8) === 'OpusHead') return 'opus';
    if (body.toString('latin1', 0, 7) === '\x01vorbis') return 'oga';
    if (body.toString('latin1', 0, 5) === '\x7fFLAC') return 'flac';
    if (body.toString('latin1', 0, 5) === 'Speex') throw new Error(`${path}: Ogg Speex audio cannot be decoded (no Speex decoder)`);
    return byName;
  } finally {
    await handle.close();
  }
}

/** Formats a seeking decoder handles (see mpeg-seek.ts, flac-seek.ts, ogg-seek.ts, mp4-aac.ts). */
const SEEKABLE = new Set<DecoderFormat>(['mp3', 'flac', 'opus', 'oga', 'm4a']);

/** What decodeSeeking opens: an audio-decode codec, or MP4 with AAC (by its sample tables). */
type SeekFormat = SeekCodec | 'm4a';

/**
 * Decodes the windows asked for, as mono segments at the model's rate. Uncompressed WAV/AIFF are read
 * straight from each window's byte offset; MP3, FLAC, Ogg Opus, Ogg Vorbis and MP4/M4A AAC are decoded
 * only around the windows, found by seeking (decodeSeeking); everything else, and any file a seek cannot
 * handle, is decoded as a stream from the start (decodeMp4Aac for AAC, else decodeStreamed). Each window
 * is then resampled to the model's rate with a band-limited filter.
 */
export async function decodeSegments(path: string, specs: SegmentSpec[], options: DecodeSegmentsOptions): Promise<DecodedSegments> {
  const format = decoderFormat(path);
  if ((format === 'wav' || format === 'aiff') && options.seek !== false) {
    const direct = await decodePcmSegments(path, specs, options);
    if (direct) return direct;
  }
  const codec = format === 'oga' || format === 'opus' ? await oggDecoder(path, format) : format;
  if (options.seek !== false && SEEKABLE.has(codec)) {
    const seeked = await decodeSeeking(path, codec as SeekFormat, specs, options);
    if (seeked) return seeked;
  }
  if (codec === 'm4a' && options.seek !== false) {
    const aac = await decodeMp4Aac(path, specs, options);
    if (aac) return aac;
  }
  return decodeStreamed(path, codec, specs, options);
}

/**
 * An MP4/M4A file with AAC, decoded from the start by its sample tables (mp4-aac.ts): the streaming
 * decode's samples without holding the whole track when its moov sits at the end, for a file the seeking
 * read gave up on. Null when the file is not one mp4-aac reads (the streaming demuxer then decodes it,
 * and reports its real problem).
 */
async function decodeMp4Aac(path: string, specs: SegmentSpec[], options: DecodeSegmentsOptions): Promise<DecodedSegments | null> {
  const reader = await openByteReader(path);
  try {
    const track = await openMp4Aac(reader).catch(() => null);
    if (!track) return null;
    let windows: Window[] | null = null;
    let resampler: Resampler | null = null;
    let sourceRate = 0;
    let limit = Number.POSITIVE_INFINITY;
    let position = 0;
    await track.decode((start, mono, rate) => {
      if (!windows) {
        sourceRate = rate;
        resampler = createResampler(sourceRate, options.targetRate);
        if (options.duration) limit = Math.ceil(options.duration * sourceRate);
        windows = makeWindows(specs, sourceRate, options.segmentSeconds, exactContext(resampler).source);
      }
      copyIntoWindows(windows, mono.subarray(0, Math.max(0, Math.min(mono.length, limit - start))), start);
      position = start + mono.length;
      return !(position >= limit || windows.every((w) => w.to <= position));
    }, options.signal);
    if (!windows || !resampler) return null;
    return { ...finish(resampler, windows, sourceRate, options), method: 'stream', decodedSamples: position };
  } finally {
    await reader.close();
  }
}

/** Windows closer than this are decoded in one span rather than by two seeks (seconds). */
const MERGE_GAP_SECONDS = 2;
/** The longest span decoded after one seek (seconds): an Ogg span is held until its end is reached. */
const MAX_SPAN_SECONDS = 120;

/** A stretch of source samples decoded after one seek, and the windows it fills. */
interface Span {
  from: number;
  to: number;
  windows: Window[];
}

/** Groups windows (in time order) into spans: neighbours within MERGE_GAP share one. */
function planSpans(windows: Window[], rate: number): Span[] {
  const spans: Span[] = [];
  const sorted = [...windows].sort((a, b) => a.from - b.from);
  for (const w of sorted) {
    const last = spans.at(-1);
    if (last && w.from - last.to <= MERGE_GAP_SECONDS * rate && w.to - last.from <= MAX_SPAN_SECONDS * rate) {
      last.to = Math.max(last.to, w.to);
      last.windows.push(w);
    } else spans.push({ from: w.from, to: w.to, windows: [w] });
  }
  return spans;
}

async function openSeeker(codec: SeekFormat, reader: Awaited<ReturnType<typeof openByteReader>>): Promise<Seeker | null> {
  if (codec === 'mp3') return openMpegSeeker(reader);
  if (codec === 'm4a') return openMp4AacSeeker(reader);
  if (codec === 'flac') return openFlacSeeker(reader);
  return openOggSeeker(reader, codec);
}

/**
 * Decodes each window's stretch of a compressed file after a seek, or returns null when the file cannot be
 * decoded that way (the caller then decodes it from the start). Any failure other than cancellation or a
 * file that cannot be opened also returns null: the decode from the start then reports the file's real
 * problem, as before seeking existed.
 */
async function decodeSeeking(
  path: string,
  codec: SeekFormat,
  specs: SegmentSpec[],
  options: DecodeSegmentsOptions,
): Promise<DecodedSegments | null> {
  const reader = await openByteReader(path);
  try {
    const seeker = await openSeeker(codec, reader);
    if (!seeker) return null;
    const sourceRate = seeker.sampleRate;
    if (!Number.isInteger(sourceRate) || sourceRate <= 0) return null;
    const resampler = createResampler(sourceRate, options.targetRate);
    const windows = makeWindows(specs, sourceRate, options.segmentSeconds, exactContext(resampler).source);
    const limit = options.duration ? Math.ceil(options.duration * sourceRate) : Number.POSITIVE_INFINITY;
    let decoded = 0;
    for (const span of planSpans(windows, sourceRate)) {
      if (options.signal?.aborted) throw new Error('cancelled');
      const to = Math.min(span.to, limit);
      if (span.from >= to) continue;
      decoded += await seeker.decodeSpan(
        Math.max(0, span.from),
        to,
        (start, mono) => copyIntoWindows(span.windows, mono.subarray(0, Math.max(0, Math.min(mono.length, limit - start))), start),
        options.signal,
      );
    }
    return { ...finish(resampler, windows, sourceRate, options), method: 'seek', decodedSamples: decoded };
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return null;
  } finally {
    await reader.close();
  }
}

/** Reads each window of a plain PCM file by offset; null when the file is not plain PCM. */
async function decodePcmSegments(path: string, specs: SegmentSpec[], options: DecodeSegmentsOptions): Promise<DecodedSegments | null> {
  const pcm = await openPcmFile(path);
  if (!pcm) return null;
  try {
    const sourceRate = pcm.layout.sampleRate;
    const resampler = createResampler(sourceRate, options.targetRate);
    const windows = makeWindows(specs, sourceRate, options.segmentSeconds, exactContext(resampler).source);
    const limit = options.duration ? Math.min(pcm.layout.frames, Math.ceil(options.duration * sourceRate)) : pcm.layout.frames;
    if (limit <= 0) throw new Error(`${path}: no audio could be decoded`);
    let read = 0;
    for (const w of windows) {
      if (options.signal?.aborted) throw new Error('cancelled');
      const from = Math.max(0, w.from);
      const mono = await pcm.readMono(from, Math.min(w.to, limit));
      w.buf.set(mono, from - w.from);
      read += mono.length;
    }
    return { ...finish(resampler, windows, sourceRate, options), method: 'pcm', decodedSamples: read };
  } finally {
    await pcm.close();
  }
}

function finish(
  rs: Resampler,
  windows: Window[],
  sourceRate: number,
  options: DecodeSegmentsOptions,
): Omit<DecodedSegments, 'method' | 'decodedSamples'> {
  const outLen = Math.round(options.segmentSeconds * options.targetRate);
  return {
    sampleRate: options.targetRate,
    sourceRate,
    segments: windows.map((w) => ({ spec: w.spec, samples: trimResampled(rs, w, outLen) })),
  };
}

/**
 * Decodes a file as a stream and keeps only the windows asked for: chunks are downmixed, copied into
 * the windows they overlap (with the resampler's context on both sides), and decoding stops once the
 * last window is filled, so a 3-hour file analysed with the quick policy never sits in memory whole.
 */
async function decodeStreamed(
  path: string,
  format: DecoderFormat,
  specs: SegmentSpec[],
  options: DecodeSegmentsOptions,
): Promise<DecodedSegments> {
  let windows: Window[] | null = null;
  let resampler: Resampler | null = null;
  let sourceRate = 0;
  let position = 0;
  let limit = Number.POSITIVE_INFINITY;
  // Open first: a missing or unreadable file rejects here. A stream opened lazily would emit its error
  // while decodeChunked is still loading the codec, with no listener yet: an uncaught exception.
  const stream = (await open(path, 'r')).createReadStream({ highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of decodeChunked(stream, format as StreamFormat)) {
      if (options.signal?.aborted) throw new Error('cancelled');
      if (!chunk.sampleRate || chunk.channelData.length === 0) continue;
      if (!windows) {
        sourceRate = chunk.sampleRate;
        resampler = createResampler(sourceRate, options.targetRate);
        if (options.duration) limit = Math.ceil(options.duration * sourceRate);
        windows = makeWindows(specs, sourceRate, options.segmentSeconds, exactContext(resampler).source);
      }
      const mono = downmix(chunk.channelData);
      const usable = Math.max(0, Math.min(mono.length, limit - position));
      copyIntoWindows(windows, mono.subarray(0, usable), position);
      position += mono.length;
      if (position >= limit || windows.every((w) => w.to <= position)) break;
    }
  } finally {
    stream.destroy();
  }
  if (!windows || !resampler) throw new Error(`${path}: no audio could be decoded`);
  return { ...finish(resampler, windows, sourceRate, options), method: 'stream', decodedSamples: position };
}

function makeWindows(specs: SegmentSpec[], rate: number, seconds: number, context: number): Window[] {
  return specs.map((spec) => {
    const start = Math.round(spec.start * rate);
    const from = start - context;
    const to = start + Math.round(seconds * rate) + context;
    return { spec, from, to, buf: new Float32Array(to - from) };
  });
}

function copyIntoWindows(windows: Window[], mono: Float32Array, offset: number): void {
  const end = offset + mono.length;
  for (const w of windows) {
    const a = Math.max(w.from, offset);
    const b = Math.min(w.to, end);
    if (a < b) w.buf.set(mono.subarray(a - offset, b - offset), a - w.from);
  }
}

function trimResampled(rs: Resampler, w: Window, outLen: number): Float32Array {
  const context = exactContext(rs);
  return rs.process(w.buf, context.output + outLen).slice(context.output);
}
