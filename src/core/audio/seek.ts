/**
 * What the seeking decoders share: the codec decoders (audio-decode's streaming decoders, fed with the
 * bytes a seek picked), the mono downmix, and the contract each format's seeker keeps.
 *
 * Positions are "full-decode indexes": sample n is the n-th sample that decoding the whole file from its
 * start with the same decoder yields (after the decoder's own start trimming: MP3 gapless delay, Opus
 * pre-skip). A window decoded by seeking is therefore the window decoding from the start would give,
 * whatever the codec's priming.
 */
import decode from 'audio-decode';
import { pooledMp3Decoder } from './mp3-pool.js';

/** The codecs a seeker drives (names of audio-decode's decoders). */
export type SeekCodec = 'mp3' | 'flac' | 'opus' | 'oga';

/** One of audio-decode's streaming decoders: feed chunks; call with no chunk to flush and free. */
export interface CodecDecoder {
  (chunk?: Uint8Array): Promise<{ channelData: Float32Array[]; sampleRate: number }>;
  free(): void;
}

/** A streaming decoder for `codec` in its initial state (MP3's from this thread's pool: mp3-pool.ts). */
export function codecDecoder(codec: SeekCodec): Promise<CodecDecoder> {
  return codec === 'mp3' ? pooledMp3Decoder() : decode[codec]();
}

/**
 * Averages channels to mono (the paper's downmix); mono comes back as is. Stereo, nearly every file, takes
 * one pass: (l + r) * 0.5 is exact in float64 and rounded once, the value summing and then halving in
 * float32 gives (outside subnormals), at a fraction of the three passes the general case makes.
 */
export function downmix(channels: Float32Array[]): Float32Array {
  const first = channels[0];
  if (!first) return new Float32Array(0);
  if (channels.length === 1) return first;
  const second = channels[1];
  if (channels.length === 2 && second && second.length >= first.length) {
    const out = new Float32Array(first.length);
    for (let i = 0; i < out.length; i++) out[i] = ((first[i] as number) + (second[i] as number)) * 0.5;
    return out;
  }
  const out = new Float32Array(first.length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + ((ch[i] ?? 0) as number);
  const k = 1 / channels.length;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * k;
  return out;
}

/** Receives decoded mono samples; `start` is the full-decode index of mono[0]. Calls come in order. */
export type Emit = (start: number, mono: Float32Array) => void;

/** Decodes spans of one file by seeking (see the formats' open*Seeker functions). */
export interface Seeker {
  readonly sampleRate: number;
  /**
   * Decodes at least the samples [from, to) (full-decode indexes; `to` may lie past the end), calling
   * `emit` with every run of samples it decodes (some before `from` too: the codec's warm-up). Returns the
   * number of samples decoded. Throws SeekUnavailable when the file turns out not to allow it.
   */
  decodeSpan(from: number, to: number, emit: Emit, signal?: AbortSignal): Promise<number>;
}

/** Bytes fed to a decoder per call when streaming a file region. */
export const FEED_BYTES = 256 * 1024;

/** Throws the cancellation the analysis expects when `signal` has fired. */
export function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new Error('cancelled');
}

/** Feeds `chunk` and returns the mono samples it produced (possibly none). */
export async function feed(dec: CodecDecoder, chunk: Uint8Array | undefined): Promise<Float32Array> {
  const r = await dec(chunk);
  return r.channelData.length ? downmix(r.channelData) : new Float32Array(0);
}
