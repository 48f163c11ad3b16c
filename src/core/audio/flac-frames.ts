/**
 * libFLAC (WebAssembly) driven frame by frame, for the FLAC seeker (flac-seek.ts). Why: audio-decode's
 * streaming FLAC decoder finds frame boundaries in JavaScript by running a CRC-16 over every byte, and
 * parses its first chunk twice; that was a quarter of the CPU of decoding a FLAC window (the benchmark
 * library's 16-bit FLAC: ~48 ms of CPU per 10 s window). The seeker already parses frame headers (it seeks
 * by them), so it splits the frames itself and hands them to libFLAC through @wasm-audio-decoders/flac's
 * `decodeFrames`, which libFLAC checks (CRC-16 included) as it decodes. Measured (the benchmark library's quick
 * windows at 48 kHz, CPU of a process doing only that): 48.6 -> 23.8 ms per 16-bit window and 85.3 -> 46.7 ms
 * per 24-bit/96 kHz one, with the pooled decoder below (26.0 and 59.0 with a new decoder per window).
 */

/** The decoded samples of some frames, and how many of those frames libFLAC reported an error for. */
export interface DecodedFrames {
  channelData: Float32Array[];
  samplesDecoded: number;
  errors: number;
}

/**
 * A libFLAC decoder fed whole frames, no stream header (as audio-decode's own decoder feeds it: its parser drops
 * the metadata blocks). `free(false)` drops it rather than giving it back, for a decoder left in a state a
 * reset may not clear (input it did not consume, a frame it did not decode).
 */
export interface FlacFrameDecoder {
  decode(frames: Uint8Array[]): Promise<DecodedFrames>;
  free(reuse?: boolean): void;
}

/**
 * The largest frame handed to libFLAC in one piece (the wrapper's input buffer): a longer one would be fed in
 * parts, and a part that decodes no frame makes the wrapper free its last output buffer a second time.
 */
export const MAX_FRAME_BYTES = 65535 * 8;

/** A cell libFLAC's wrapper writes an output to (a pointer into the WebAssembly memory and a view of it). */
interface Cell {
  ptr: number;
  buf: Uint32Array;
}

/** @wasm-audio-decoders/flac's FLACDecoder, as much of it as this module uses. */
interface Upstream {
  decodeFrames(frames: Uint8Array[]): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors?: unknown[] }>;
  free(): void;
  /** The WebAssembly side: libFLAC's handle, its output cells and the counters decodeFrames keeps. */
  _decoder: {
    _decoder: number;
    _inputBytes: number;
    _outputSamples: number;
    _frameNumber: number;
    _common: { wasm: { create_decoder(...cells: number[]): number; destroy_decoder(handle: number): void } };
  } & Record<(typeof CELLS)[number], Cell>;
}

/** The output cells, in create_decoder's order (as @audio/decode-flac's own reset passes them). */
const CELLS = [
  '_channels',
  '_sampleRate',
  '_bitsPerSample',
  '_samplesDecoded',
  '_outputBufferPtr',
  '_outputBufferLen',
  '_errorStringPtr',
  '_stateStringPtr',
] as const;

const DECODE_FLAC = '@audio/decode-flac';
/** decode-flac, audio-decode's own FLAC decoder, loaded on first use. */
const loadDecodeFlac = (): Promise<{ decoder(): Promise<unknown> }> =>
  import(/* @vite-ignore */ DECODE_FLAC) as Promise<{ decoder(): Promise<unknown> }>;

function resettable(u: Upstream): boolean {
  const d = u._decoder as Partial<Upstream['_decoder']> | undefined;
  const w = d?._common?.wasm;
  return (
    typeof d?._decoder === 'number' &&
    typeof w?.create_decoder === 'function' &&
    typeof w.destroy_decoder === 'function' &&
    CELLS.every((c) => d[c]?.buf instanceof Uint32Array && typeof d[c]?.ptr === 'number')
  );
}

/**
 * Closes libFLAC's handle and opens a fresh one in the same WebAssembly instance, as @audio/decode-flac resets
 * its own between streams; false when it cannot (the memory has grown under the cells' views, or libFLAC
 * refused): the decoder is then dropped.
 */
function reset(u: Upstream): boolean {
  const d = u._decoder;
  if (CELLS.some((c) => d[c].buf.byteLength === 0)) return false;
  d._common.wasm.destroy_decoder(d._decoder);
  d._inputBytes = d._outputSamples = d._frameNumber = 0;
  for (const c of CELLS) d[c].buf.fill(0);
  d._decoder = d._common.wasm.create_decoder(...CELLS.map((c) => d[c].ptr));
  return d._decoder !== 0;
}

/** Whether this version exposes decodeFrames (null: not known yet; the seeker streams where not). */
let available: boolean | null = null;
/**
 * This thread's idle decoder, reset between uses: a new one instantiates libFLAC with a 16 MB memory (~1.4 ms
 * of CPU, and garbage for the collector) for every window decoded.
 */
let idle: Upstream | null = null;
/** Decoders instantiated in this thread (tests: the pool must serve window after window with one). */
let created = 0;

/** This thread's idle decoder, reset, else a new one; null where this version has no frame interface. */
async function take(): Promise<Upstream | null> {
  const pooled = idle;
  idle = null;
  // One that cannot be reset is dropped whole (its handle may be gone: freeing it would call into libFLAC).
  if (pooled && reset(pooled)) return pooled;
  const d = (await (await loadDecodeFlac()).decoder()) as Partial<Upstream> & { free(): void };
  created += 1;
  available = typeof d.decodeFrames === 'function';
  if (available) return d as Upstream;
  d.free();
  return null;
}

/**
 * A frame-level decoder in its initial state (this thread's pooled one when there is one), or null where
 * @audio/decode-flac's decoder does not offer one (the caller then streams the bytes through audio-decode's
 * decoder, as before). `free()` gives it back.
 */
export async function flacFrameDecoder(): Promise<FlacFrameDecoder | null> {
  if (available === false) return null;
  const u = await take();
  if (!u) return null;
  let done = false;
  /**
   * libFLAC reported an error, or a call threw: dropped, never reset. Its wrapper frees the last output buffer
   * after every call and keeps the pointer, so a call that writes no frame frees it twice (a reset then met a
   * corrupted heap: "memory access out of bounds" on the next window).
   */
  let tainted = false;
  return {
    async decode(frames) {
      if (done) throw new Error('Decoder already freed');
      if (frames.length === 0) return { channelData: [], samplesDecoded: 0, errors: 0 };
      if (frames.some((f) => f.length > MAX_FRAME_BYTES)) throw new Error(`a FLAC frame over ${MAX_FRAME_BYTES} bytes`);
      const before = tainted;
      tainted = true;
      const r = await u.decodeFrames(frames);
      const n = r.samplesDecoded;
      const errors = r.errors?.length ?? 0;
      tainted = before || errors > 0;
      return { channelData: r.channelData.map((c) => (c.length > n ? c.subarray(0, n) : c)), samplesDecoded: n, errors };
    },
    free(reuse = true) {
      if (done) return;
      done = true;
      // Dropped, not freed: its instance and memory go to the garbage collector whole.
      if (tainted || !reuse) return;
      if (!idle && resettable(u)) idle = u;
      else u.free();
    },
  };
}

/** How many frame decoders this thread has instantiated (tests: a pooled one serves window after window). */
export function flacFrameDecodersCreated(): number {
  return created;
}
