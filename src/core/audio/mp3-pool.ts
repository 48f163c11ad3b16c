/**
 * One MP3 decoder per thread, reset between uses instead of created anew. Why: audio-decode's MP3 decoder
 * (mpg123 in WebAssembly) instantiates its module with a 17 MB memory each time (~3-4 ms of CPU), and a seek
 * decodes every window with a fresh decoder: those memories, released to the garbage collector window after
 * window, made V8 collect the whole heap more than once per window in the decode workers. Decoding the
 * benchmark library's windows in a loop took 63-65 instead of 73-74 ms of process CPU per window with the
 * pool (interleaved runs; MP3 is 5 of its 9 files).
 *
 * A reset closes mpg123's handle and opens a new one in the same instance, as a fresh decoder's start does
 * (gapless on): same bytes in, same samples out (tests/integration/mp3-pool.test.ts). It reaches into
 * mpg123-decoder's object (its `_common.wasm` exports and `_decoder` handle, as @audio/decode-flac does for
 * FLAC); where they are not there (another version), each use gets a fresh decoder, as before.
 */
import type { CodecDecoder } from './seek.js';

/** mpg123-decoder's MPEGDecoder, as much of it as a reset touches. */
interface Mpg123 {
  decode(chunk: Uint8Array): { channelData: Float32Array[]; samplesDecoded: number; sampleRate: number };
  free(): void;
  _decoder: number;
  _inputBytes: number;
  _outputSamples: number;
  _frameNumber: number;
  _common: {
    wasm: {
      mpeg_frame_decoder_create(cell: number, gapless: number): number;
      mpeg_frame_decoder_destroy(decoder: number): void;
      malloc(bytes: number): number;
      free(ptr: number): void;
      HEAP: ArrayBuffer;
    };
  };
}

const DECODE_MP3 = '@audio/decode-mp3';
/** decode-mp3, audio-decode's own MP3 decoder (a dependency of it), loaded on first use. */
const loadDecodeMp3 = (): Promise<{ decoder(): Promise<unknown> }> =>
  import(/* @vite-ignore */ DECODE_MP3) as Promise<{ decoder(): Promise<unknown> }>;

function resettable(d: unknown): d is Mpg123 {
  const m = d as Partial<Mpg123> | null;
  const w = m?._common?.wasm;
  return (
    typeof m?.decode === 'function' &&
    typeof m.free === 'function' &&
    typeof m._decoder === 'number' &&
    typeof w?.mpeg_frame_decoder_create === 'function' &&
    typeof w.mpeg_frame_decoder_destroy === 'function' &&
    typeof w.malloc === 'function' &&
    typeof w.free === 'function' &&
    w.HEAP instanceof ArrayBuffer
  );
}

/**
 * Closes the handle (mpg123's destroy frees it) and opens a fresh one; false when mpg123 refused or the
 * instance's memory has grown (the decoder's views of it would be stale: it is then dropped).
 */
function reset(d: Mpg123): boolean {
  const w = d._common.wasm;
  w.mpeg_frame_decoder_destroy(d._decoder);
  d._decoder = 0;
  const cell = w.malloc(4);
  const error = w.mpeg_frame_decoder_create(cell, 1);
  const handle = w.HEAP.byteLength > 0 ? (new Uint32Array(w.HEAP, cell, 1)[0] as number) : 0;
  w.free(cell);
  if (error || !handle) return false;
  d._decoder = handle;
  d._inputBytes = 0;
  d._outputSamples = 0;
  d._frameNumber = 0;
  return true;
}

const EMPTY = { channelData: [] as Float32Array[], sampleRate: 0 };

/** This thread's idle decoder (at most one: a second one given back is freed). */
let idle: Mpg123 | null = null;

async function take(): Promise<unknown> {
  const d = idle;
  idle = null;
  if (d && reset(d)) return d;
  if (d) d.free();
  return (await loadDecodeMp3()).decoder();
}

/**
 * An MP3 decoder in its initial state, with audio-decode's streaming interface, taken from this thread's pool;
 * `free()` (or a call with no chunk) gives it back.
 */
export async function pooledMp3Decoder(): Promise<CodecDecoder> {
  const d = await take();
  if (!resettable(d)) {
    const once = d as Pick<Mpg123, 'decode' | 'free'>;
    return streaming(once, () => once.free()); // a decoder this module cannot reset: used once, as audio-decode's
  }
  return streaming(d, () => {
    if (idle) d.free();
    else idle = d;
  });
}

/** audio-decode's streaming interface over `d`; `giveBack` runs once, on free() or at the end of the stream. */
function streaming(d: Pick<Mpg123, 'decode'>, giveBack: () => void): CodecDecoder {
  let done = false;
  const free = (): void => {
    if (done) return;
    done = true;
    giveBack();
  };
  const fn = async (chunk?: Uint8Array): Promise<{ channelData: Float32Array[]; sampleRate: number }> => {
    if (!chunk) {
      free();
      return EMPTY;
    }
    if (done) throw new Error('Decoder already freed');
    return trimmed(d.decode(chunk));
  };
  return Object.assign(fn, { free });
}

/** audio-decode's shape of a result: each channel cut to the samples decoded, nothing when none were. */
function trimmed(r: ReturnType<Mpg123['decode']>): { channelData: Float32Array[]; sampleRate: number } {
  const n = r.samplesDecoded;
  if (!n || !r.channelData.length) return EMPTY;
  return { channelData: r.channelData.map((c) => (c.length > n ? c.subarray(0, n) : c)), sampleRate: r.sampleRate };
}

/** The idle decoder's WebAssembly memory in bytes, or null when none is idle (tests: resets must not grow it). */
export function pooledMp3HeapBytes(): number | null {
  return idle ? idle._common.wasm.HEAP.byteLength : null;
}
