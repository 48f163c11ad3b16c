/**
 * Band-limited sample-rate conversion: a Kaiser-windowed sinc low-pass evaluated as a polyphase filter
 * bank. Unlike linear interpolation it removes content above the new Nyquist frequency instead of
 * folding it back as aliasing, which matters for an encoder trained on clean 24 kHz audio.
 */

import { firModule, type FirKernel } from './resample-kernel.js';

/** Quality knobs; the defaults give about 80 dB stopband attenuation. */
export interface ResampleOptions {
  /** Zero crossings of the sinc on each side (filter length, in units of the narrower Nyquist). */
  zeroCrossings?: number;
  /** Cutoff as a fraction of the narrower Nyquist frequency (transition band below it). */
  rolloff?: number;
  /** Kaiser window shape. */
  beta?: number;
  /**
   * 'js' forces the plain JS filter loop (float64 sums: the reference the SIMD kernel is tested and
   * benchmarked against); by default the WebAssembly SIMD kernel runs wherever the host has it.
   */
  kernel?: 'simd' | 'js';
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/** A polyphase filter bank for one rate pair; build once and reuse for every segment. */
export interface Resampler {
  fromRate: number;
  toRate: number;
  /** Input samples the filter reads on each side of an output position (context a caller must supply). */
  halfWidth: number;
  /** Resamples `input`; output sample j sits at input position j * fromRate / toRate. */
  process(input: Float32Array, outputLength?: number): Float32Array;
  /**
   * Which computes `process`: the WebAssembly SIMD kernel (float32 sums; outputs past the input's end,
   * when a caller asks for more than it holds, and inputs over 1 GiB of kernel memory still go through the
   * JS loop) or the JS loop alone.
   */
  readonly kernel: 'simd' | 'js';
}

const MAX_PHASES = 4096;

/** The filter bank of one rate pair and quality: the table and how output positions step through it. */
interface Bank {
  up: number;
  down: number;
  phases: number;
  halfWidth: number;
  taps: number;
  /** table[p * taps + k] weights input sample (n - halfWidth + 1 + k) for fractional position p / phases. */
  table: Float32Array;
}

/** Recent banks: a file's decode builds a resampler, and building the table costs up to ~8 ms (odd rates). */
const banks = new Map<string, Bank>();
const MAX_BANKS = 8;

function filterBank(fromRate: number, toRate: number, zeroCrossings: number, rolloff: number, beta: number): Bank {
  const key = `${fromRate}:${toRate}:${zeroCrossings}:${rolloff}:${beta}`;
  const cached = banks.get(key);
  if (cached) return cached;
  const g = gcd(fromRate, toRate);
  const up = toRate / g;
  const down = fromRate / g;
  const phases = Math.min(up, MAX_PHASES);
  const scale = Math.min(1, toRate / fromRate) * rolloff;
  const halfWidth = Math.ceil(zeroCrossings / scale);
  const taps = 2 * halfWidth;
  const i0beta = besselI0(beta);
  const table = new Float32Array(phases * taps);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const d = frac - (k - halfWidth + 1);
      const x = scale * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = d / halfWidth;
      const w = Math.abs(r) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - r * r)) / i0beta;
      const v = scale * sinc * w;
      table[p * taps + k] = v;
      sum += v;
    }
    for (let k = 0; k < taps; k++) table[p * taps + k] = (table[p * taps + k] as number) / sum;
  }
  const bank: Bank = { up, down, phases, halfWidth, taps, table };
  if (banks.size >= MAX_BANKS) banks.delete(banks.keys().next().value as string);
  banks.set(key, bank);
  return bank;
}

/**
 * Outputs [from, to) of `input` by the JS loop (float32 products summed in float64). Output j sits at input
 * position j * down / up: sample n = floor(j * down / up), phase (j * down) % up. Both advance by whole steps
 * per output sample, so they are carried rather than divided out. Unrolled by four.
 */
function firJs(bank: Bank, input: Float32Array, out: Float32Array, from: number, to: number): void {
  const { up, down, phases, halfWidth, taps, table } = bank;
  const last = input.length - 1;
  const stepN = Math.floor(down / up);
  const stepR = down % up;
  let n = Math.floor((from * down) / up);
  let r = (from * down) % up;
  const exactPhases = phases === up;
  for (let j = from; j < to; j++) {
    const p = exactPhases ? r : Math.floor((r / up) * phases);
    const base = p * taps;
    const start = n - halfWidth + 1;
    let acc = 0;
    if (start >= 0 && start + taps - 1 <= last) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let k = 0;
      for (; k + 3 < taps; k += 4) {
        a0 += (input[start + k] as number) * (table[base + k] as number);
        a1 += (input[start + k + 1] as number) * (table[base + k + 1] as number);
        a2 += (input[start + k + 2] as number) * (table[base + k + 2] as number);
        a3 += (input[start + k + 3] as number) * (table[base + k + 3] as number);
      }
      for (; k < taps; k++) a0 += (input[start + k] as number) * (table[base + k] as number);
      acc = a0 + a1 + (a2 + a3);
    } else {
      for (let k = 0; k < taps; k++) {
        const i = start + k;
        if (i >= 0 && i <= last) acc += (input[i] as number) * (table[base + k] as number);
      }
    }
    out[j] = acc;
    n += stepN;
    r += stepR;
    if (r >= up) {
      r -= up;
      n += 1;
    }
  }
}

const PAGE = 65_536;
/** Inputs needing more kernel memory than this go through the JS loop instead of growing it further. */
const MAX_KERNEL_BYTES = 1024 * 1024 * 1024;
/**
 * Outputs per kernel call. V8 first runs WebAssembly from its baseline compiler and swaps in optimised code
 * between calls, never during one; short calls let the first window of a process get the fast code early.
 */
const KERNEL_CHUNK = 16_384;
const align16 = (x: number): number => Math.ceil(x / 16) * 16;

/** Computes outputs [0, count) of `input` into `out`; false when the memory for it cannot be had. */
type FirRun = (input: Float32Array, out: Float32Array, count: number) => boolean;

/**
 * The SIMD kernel bound to one resampler's own memory: the table (rows padded with zero weights to a
 * multiple of 4 taps) at 0, then the input with zeros on both sides (halfWidth - 1 before, so that the
 * filter's first tap for output 0 is its first word; enough after for the padded taps of the last output
 * that sits inside the input), then the outputs. The memory grows with the largest input and is reused.
 */
function simdFir(bank: Bank): FirRun | null {
  const { up, down, phases, halfWidth, taps, table } = bank;
  const tapsPadded = Math.ceil(taps / 4) * 4;
  const module = firModule(tapsPadded);
  if (!module) return null;
  const rowBytes = tapsPadded * 4;
  const inOff = align16(phases * rowBytes);
  let memory: WebAssembly.Memory;
  let run: FirKernel;
  try {
    memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(inOff / PAGE)), maximum: 65_536 });
    run = new WebAssembly.Instance(module, { env: { mem: memory } }).exports.fir as FirKernel;
  } catch {
    return null;
  }
  const padded = new Float32Array(memory.buffer, 0, phases * tapsPadded);
  for (let p = 0; p < phases; p++) padded.set(table.subarray(p * taps, (p + 1) * taps), p * tapsPadded);
  let words = new Float32Array(memory.buffer);
  const padBefore = halfWidth - 1;
  const padAfter = tapsPadded - halfWidth;
  const stepBytes = Math.floor(down / up) * 4;
  const stepR = down % up;
  const exact = phases === up ? 1 : 0;
  return (input, out, count) => {
    const inLen = padBefore + input.length + padAfter;
    const outOff = align16(inOff + inLen * 4);
    const need = outOff + count * 4;
    if (need > MAX_KERNEL_BYTES) return false;
    if (need > memory.buffer.byteLength) {
      try {
        memory.grow(Math.ceil((need - memory.buffer.byteLength) / PAGE));
      } catch {
        return false;
      }
    }
    if (words.buffer !== memory.buffer) words = new Float32Array(memory.buffer);
    const x = inOff / 4;
    words.fill(0, x, x + padBefore);
    words.set(input, x + padBefore);
    words.fill(0, x + padBefore + input.length, x + inLen);
    for (let j = 0; j < count; j += KERNEL_CHUNK) {
      const n = Math.floor((j * down) / up);
      const r = (j * down) % up;
      run(inOff + 4 * n, 0, outOff + 4 * j, Math.min(KERNEL_CHUNK, count - j), r, stepBytes, stepR, up, phases, rowBytes, exact);
    }
    out.set(words.subarray(outOff / 4, outOff / 4 + count));
    return true;
  };
}

/** Creates a resampler from `fromRate` to `toRate` (integer Hz). */
export function createResampler(fromRate: number, toRate: number, options: ResampleOptions = {}): Resampler {
  if (!(Number.isInteger(fromRate) && fromRate > 0 && Number.isInteger(toRate) && toRate > 0)) {
    throw new Error(`Sample rates must be positive integers (got ${fromRate} -> ${toRate})`);
  }
  const { zeroCrossings = 16, rolloff = 0.945, beta = 8.6 } = options;
  const identity = fromRate === toRate;
  const bank = filterBank(fromRate, toRate, zeroCrossings, rolloff, beta);
  const { up, down } = bank;
  const simd = identity || options.kernel === 'js' ? null : simdFir(bank);
  return {
    fromRate,
    toRate,
    halfWidth: identity ? 0 : bank.halfWidth,
    kernel: simd ? 'simd' : 'js',
    process(input, outputLength) {
      const outLen = outputLength ?? Math.floor((input.length * up) / down);
      const out = new Float32Array(outLen);
      if (identity) {
        out.set(input.subarray(0, outLen));
        return out;
      }
      // The kernel takes the outputs whose position lies inside the input (n <= length - 1); any beyond,
      // and all of them where it cannot run, come from the JS loop.
      const inside = input.length > 0 ? Math.min(outLen, Math.floor((input.length * up - 1) / down) + 1) : 0;
      const done = simd && inside > 0 && simd(input, out, inside) ? inside : 0;
      if (done < outLen) firJs(bank, input, out, done, outLen);
      return out;
    },
  };
}

/**
 * Filter context to read around a window so that it maps to a whole number of output samples:
 * at least `halfWidth` source samples, rounded up to a multiple of fromRate / gcd.
 */
export function exactContext(rs: Resampler): { source: number; output: number } {
  if (rs.halfWidth === 0) return { source: 0, output: 0 };
  const g = gcd(rs.fromRate, rs.toRate);
  const down = rs.fromRate / g;
  const source = Math.ceil(rs.halfWidth / down) * down;
  return { source, output: (source / down) * (rs.toRate / g) };
}

/** One-shot convenience: resample a whole buffer (zero context beyond its ends). */
export function resample(input: Float32Array, fromRate: number, toRate: number, options?: ResampleOptions): Float32Array {
  return createResampler(fromRate, toRate, options).process(input);
}
