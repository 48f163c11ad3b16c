import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { decodeChunked } from 'audio-decode';
import { createResampler, exactContext, type Resampler } from './resample.js';
import type { SegmentSpec } from './segments.js';

type DecoderFormat = 'mp3' | 'flac' | 'opus' | 'oga' | 'm4a' | 'wav' | 'aiff';

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
};

/** Mono segments at the model's rate, each exactly `segmentSeconds` long (zero-padded at the end). */
export interface DecodedSegments {
  sampleRate: number;
  sourceRate: number;
  segments: { spec: SegmentSpec; samples: Float32Array }[];
}

/** Options for {@link decodeSegments}. */
export interface DecodeSegmentsOptions {
  targetRate: number;
  segmentSeconds: number;
  /** Known duration in seconds (from the index): decoding stops there, guarding against trailing junk. */
  duration?: number;
  signal?: AbortSignal;
}

/** The decoder format for a path, or an error naming the file when the extension is unsupported. */
export function decoderFormat(path: string): DecoderFormat {
  const f = FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (!f) throw new Error(`${path}: unsupported audio format "${extname(path)}"`);
  return f;
}

/** Averages channels to mono (the paper's downmix). */
export function downmix(channels: Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) return new Float32Array(0);
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + ((ch[i] ?? 0) as number);
  const k = 1 / channels.length;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * k;
  return out;
}

interface Window {
  spec: SegmentSpec;
  /** First and one-past-last source sample kept (segment plus filter context). */
  from: number;
  to: number;
  buf: Float32Array;
}

/**
 * Decodes a file as a stream and keeps only the windows asked for: chunks are downmixed, copied into
 * the windows they overlap (with the resampler's context on both sides), and decoding stops once the
 * last window is filled, so a 3-hour file analysed with the quick policy never sits in memory whole.
 * Each window is then resampled to the model's rate with a band-limited filter.
 */
export async function decodeSegments(path: string, specs: SegmentSpec[], options: DecodeSegmentsOptions): Promise<DecodedSegments> {
  const format = decoderFormat(path);
  let windows: Window[] | null = null;
  let resampler: Resampler | null = null;
  let sourceRate = 0;
  let position = 0;
  let limit = Number.POSITIVE_INFINITY;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of decodeChunked(stream, format)) {
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
  const rs = resampler;
  const outLen = Math.round(options.segmentSeconds * options.targetRate);
  return {
    sampleRate: options.targetRate,
    sourceRate,
    segments: windows.map((w) => ({ spec: w.spec, samples: trimResampled(rs, w, outLen) })),
  };
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
