/**
 * A log-mel spectrogram computed the way transformers.js's `spectrogram()` computes CLAP's input features
 * (centred frames with reflect padding, a window, the power spectrum, mel filters, 10 * log10 of the power
 * floored at 1e-10), without its cost: transformers.js runs the mel product as a 64 x 513 x 1001 ONNX
 * MatMul in a session of its own, and that session's threads spin after every call. Measured on the
 * 2-core machine, one 10 s CLAP segment: 39 ms of CPU per call back to back, 75 ms when calls are 30 ms
 * apart (the spinning), as the analysis calls it between encoder runs. Here the mel filters are applied
 * over their non-zero bins only and the FFT is a real FFT through a half-size complex one.
 *
 * That costs 17 ms of CPU per segment in plain JavaScript, serially before each ~120 ms encoder run; the
 * same arithmetic in a small WebAssembly SIMD kernel (float64 pairs, a radix-4 first pass fused with the
 * gather, the other stages two per pass) costs 3 ms, with the same float32 results (measured equal on every
 * value of random, tonal and silent segments). Without WebAssembly SIMD the JavaScript path runs.
 *
 * The filters and window are the feature extractor's own (read from the loaded one), so the features
 * equal transformers.js's to float rounding (its product accumulates in float32).
 */
import { compileKernel, F64, get, i32, I32, kernelModuleBytes, promoteLow, set, simd, tee, uleb, V128 } from '../kernel/wasm-asm.js';

/** What {@link createLogMel} needs from a feature extractor. */
export interface LogMelConfig {
  /** Mel filters, [mels][fftLength / 2 + 1]. */
  filters: ArrayLike<ArrayLike<number>>;
  /** The analysis window, fftLength long. */
  window: ArrayLike<number>;
  fftLength: number;
  hop: number;
}

/** Log-mel features of one waveform: frames x mels, row-major (transformers.js's `transpose: true`). */
export interface LogMel {
  frames: number;
  mels: number;
  data: Float32Array;
}

/** The power spectrum (fftLength / 2 + 1 bins) of a real frame, by a complex FFT of half its length. */
function createPowerSpectrum(n: number): (frame: Float64Array, out: Float64Array) => void {
  if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`log-mel: the FFT length must be a power of two (got ${n})`);
  const m = n / 2;
  const bits = Math.log2(m);
  const reverse = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    reverse[i] = r;
  }
  // Twiddles of the half-size FFT (e^{-2 pi i j / m}) and of the real split (e^{-2 pi i k / n}).
  const cosM = new Float64Array(m / 2);
  const sinM = new Float64Array(m / 2);
  for (let j = 0; j < m / 2; j++) {
    cosM[j] = Math.cos((2 * Math.PI * j) / m);
    sinM[j] = -Math.sin((2 * Math.PI * j) / m);
  }
  const cosN = new Float64Array(m + 1);
  const sinN = new Float64Array(m + 1);
  for (let k = 0; k <= m; k++) {
    cosN[k] = Math.cos((2 * Math.PI * k) / n);
    sinN[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const re = new Float64Array(m);
  const im = new Float64Array(m);
  return (frame, out) => {
    for (let i = 0; i < m; i++) {
      const r = reverse[i] as number;
      re[r] = frame[2 * i] as number;
      im[r] = frame[2 * i + 1] as number;
    }
    for (let size = 2; size <= m; size *= 2) {
      const half = size / 2;
      const step = m / size;
      for (let start = 0; start < m; start += size) {
        for (let j = 0; j < half; j++) {
          const wr = cosM[j * step] as number;
          const wi = sinM[j * step] as number;
          const a = start + j;
          const b = a + half;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[a] = ar + tr;
          im[a] = ai + ti;
          re[b] = ar - tr;
          im[b] = ai - ti;
        }
      }
    }
    // X[k] = E[k] + e^{-2 pi i k / n} O[k], E and O the spectra of the even and odd samples.
    for (let k = 0; k <= m; k++) {
      const a = k % m;
      const c = (m - k) % m;
      const zr = re[a] as number;
      const zi = im[a] as number;
      const cr = re[c] as number;
      const ci = -(im[c] as number);
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      const or = (zi - ci) / 2;
      const oi = -(zr - cr) / 2;
      const wr = cosN[k] as number;
      const wi = sinN[k] as number;
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = xr * xr + xi * xi;
    }
  };
}

// ------------------------------------------------------------------ the WebAssembly SIMD kernel
// The same arithmetic in float64x2 lanes, one complex number per v128 (re, im): a module assembled per
// configuration (its table addresses are constants in the code) computes every frame's log-mel input in
// one call; JavaScript only pads the waveform into its memory and takes the logarithms.

const bytesOf = (a: Float64Array | Float32Array): number[] => [...new Uint8Array(a.buffer)];

const memarg = (align: number, offset: number): number[] => [align, ...uleb(offset)];
const v128Load = (offset = 0): number[] => simd(0x00, ...memarg(4, offset));
const v128Store = (offset = 0): number[] => simd(0x0b, ...memarg(4, offset));
const v128Const = (a: number, b: number): number[] => simd(0x0c, ...bytesOf(Float64Array.of(a, b)));
const load64Zero = (offset = 0): number[] => simd(0x5d, ...memarg(3, offset));
const swap = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7); // (re, im) -> (im, re)
const lane = (i: number): number[] => simd(0x21, i);
const [F64X2_ADD, F64X2_SUB, F64X2_MUL, V128_XOR] = [simd(0xf0), simd(0xf1), simd(0xf2), simd(0x51)];
const [I32_ADD, I32_SUB, I32_NE, I32_EQ] = [0x6a, 0x6b, 0x47, 0x46] as const;
const [F64_ADD, F64_MUL, F32_MAX, F32_DEMOTE, F64_PROMOTE] = [0xa0, 0xa2, 0x97, 0xb6, 0xbb] as const;
const I32_LOAD = (offset = 0): number[] => [0x28, ...memarg(2, offset)];
const F32_LOAD = [0x2a, ...memarg(2, 0)];
const F64_LOAD = [0x2b, ...memarg(3, 0)];
const F32_STORE = [0x38, ...memarg(2, 0)];
const LOOP = [0x03, 0x40];
const BLOCK = [0x02, 0x40];
const END = 0x0b;
const BR_IF = (depth: number): number[] => [0x0d, depth];
/** x += by (i32 local). */
const bump = (x: number, by: number): number[] => [...get(x), ...i32(by), I32_ADD, ...set(x)];

/** Where the kernel's tables live in its memory (byte addresses) and how long they are. */
interface Layout {
  /** The FFT's complex buffer, m + 1 entries (the last repeats entry 0 for the real split). */
  z: number;
  /** Per pass, per j: the twiddle pairs (wr, wr), (-wi, wi) it multiplies by (at most 32 (m - 1) bytes). */
  twiddles: number;
  /** Per bin k: (wr, -wr) / 2, (wi, wi) / 2 with w = e^{-2 pi i k / n}. */
  split: number;
  /** The window as float64 pairs. */
  window: number;
  /** Per complex input i < m / 4: the byte address in z of its bit-reversed slot (those of i + m/4 .. follow). */
  reverse: number;
  /** The power spectrum, float32 per bin. */
  power: number;
  /** Per filter: the byte addresses of its first and past-last bin in power. */
  filters: number;
  /** The filters' weights, float64, one after the other. */
  weights: number;
  /** Where the padded waveform can start (16-aligned); the output follows it. */
  end: number;
}

/** The log-mel kernel for one configuration: its module, memory layout and the tables to write into it. */
function assembleKernel(
  n: number,
  hop: number,
  window: Float64Array,
  ranges: readonly { lo: number; weights: Float64Array }[],
): { module: WebAssembly.Module; layout: Layout; fill: (memory: ArrayBuffer) => void } | null {
  const m = n / 2;
  if (m < 4) return null; // the first pass is radix 4
  const bins = m + 1;
  const align = (x: number): number => Math.ceil(x / 16) * 16;
  const nonzero = ranges.reduce((s, r) => s + r.weights.length, 0);
  const used = ranges.filter((r) => r.weights.length > 0);
  const kLo = used.length ? Math.min(...used.map((r) => r.lo)) : 0;
  const kHi = used.length ? Math.max(...used.map((r) => r.lo + r.weights.length)) : 1;
  const layout = {} as Layout;
  let at = 0;
  for (const [key, size] of [
    ['z', 16 * (m + 1)],
    ['twiddles', 32 * (m - 1)],
    ['split', 32 * (m + 1)],
    ['window', 16 * m],
    ['reverse', m],
    ['power', 4 * bins],
    ['filters', 8 * ranges.length],
    ['weights', 8 * nonzero],
    ['end', 0],
  ] as const) {
    layout[key] = at;
    at = align(at + size);
  }
  const L = layout;

  // run(frames, src, out): locals after the 3 parameters.
  const [FRAMES, P, OUT] = [0, 1, 2];
  const [R, W, TW, , S, A, E, Q, C, F, K, KEND, WQ, PP] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [VA, VB, T, Z, D] = [17, 18, 19, 20, 21];
  const X = [22, 23, 24, 25] as const;
  const [X0, X1, X2, X3] = X;
  const [Y0, Y1, Y2, Y3] = [26, 27, 28, 29];
  const ACC = 30;
  /** a op b, optionally into a local. */
  const combine = (a: number, b: number, op: number[], into?: number): number[] => [
    ...get(a),
    ...get(b),
    ...op,
    ...(into === undefined ? [] : set(into)),
  ];
  // The remaining stages (halves h = 4 .. m/2) two at a time (radix 2 squared: one pass over the buffer does
  // stages h and 2h, the second's odd twiddles being -i times its even ones), a last one alone if odd.
  /** x * (the twiddle pair at Q + offset), complex. */
  const cmul = (x: number[], offset: number): number[] => [
    ...x,
    ...get(Q),
    ...v128Load(offset),
    ...F64X2_MUL,
    ...x,
    ...x,
    ...swap,
    ...get(Q),
    ...v128Load(offset + 16),
    ...F64X2_MUL,
    ...F64X2_ADD,
  ];
  /** Loops over the blocks of 4h (or 2h) and their j; `step` is the butterfly code, `bytes` the twiddle stride. */
  const pass = (h: number, width: number, bytes: number, step: number[]): number[] => [
    ...i32(L.z),
    ...set(S),
    ...LOOP, // $block
    ...get(S),
    ...set(A),
    ...get(S),
    ...i32(16 * h),
    I32_ADD,
    ...set(E),
    ...get(TW),
    ...set(Q),
    ...LOOP, // $j
    ...step,
    ...bump(Q, bytes),
    ...get(A),
    ...i32(16),
    I32_ADD,
    ...tee(A),
    ...get(E),
    I32_NE,
    ...BR_IF(0),
    END, // $j
    ...get(S),
    ...i32(16 * h * width),
    I32_ADD,
    ...tee(S),
    ...i32(L.z + 16 * m),
    I32_NE,
    ...BR_IF(0),
    END, // $block
    ...bump(TW, bytes * h),
  ];
  const loadAt = (x: number, offset: number): number[] => [...get(x), ...v128Load(offset)];
  const store = (offset: number, value: number[]): number[] => [...get(A), ...value, ...v128Store(offset)];
  const stages: number[] = [...i32(L.twiddles), ...set(TW)];
  let h = 4;
  for (; 2 * h < m; h *= 4) {
    const H = 16 * h;
    stages.push(
      ...pass(h, 4, 64, [
        // b' = a - w1 b, a' = a + w1 b; d' = c - w1 d, c' = c + w1 d
        ...cmul([...get(A), ...v128Load(H)], 0),
        ...set(T),
        ...loadAt(A, 0),
        ...set(VA),
        ...combine(VA, T, F64X2_SUB, Y1),
        ...combine(VA, T, F64X2_ADD, Y0),
        ...cmul([...get(A), ...v128Load(3 * H)], 0),
        ...set(T),
        ...loadAt(A, 2 * H),
        ...set(VA),
        ...combine(VA, T, F64X2_SUB, Y3),
        ...combine(VA, T, F64X2_ADD, Y2),
        // a'' = a' +- w2 c'; b'' = b' +- (-i w2) d'
        ...cmul(get(Y2), 32),
        ...set(T),
        ...store(0, combine(Y0, T, F64X2_ADD)),
        ...store(2 * H, combine(Y0, T, F64X2_SUB)),
        ...cmul(get(Y3), 32),
        ...set(T),
        ...get(T),
        ...get(T),
        ...swap,
        ...v128Const(0, -0),
        ...V128_XOR,
        ...set(T),
        ...store(H, combine(Y1, T, F64X2_ADD)),
        ...store(3 * H, combine(Y1, T, F64X2_SUB)),
      ]),
    );
  }
  if (h < m) {
    const H = 16 * h;
    stages.push(
      ...pass(h, 2, 32, [
        ...cmul([...get(A), ...v128Load(H)], 0),
        ...set(T),
        ...loadAt(A, 0),
        ...set(VA),
        ...store(0, combine(VA, T, F64X2_ADD)),
        ...store(H, combine(VA, T, F64X2_SUB)),
      ]),
    );
  }
  const body: number[] = [
    ...LOOP, // $frames
    // Gather and the first two radix-2 stages (twiddles 1 and -i, no products): the complex inputs i, i + m/4,
    // i + m/2, i + 3m/4 (sample pairs times window pairs) land in the 4 slots from reverse(i).
    ...get(P),
    ...set(PP),
    ...i32(L.reverse),
    ...set(R),
    ...i32(L.window),
    ...set(W),
    ...LOOP,
    ...[0, 1, 2, 3].flatMap((q) => [
      ...get(PP),
      ...load64Zero(2 * m * q),
      ...promoteLow,
      ...get(W),
      ...v128Load(4 * m * q),
      ...F64X2_MUL,
      ...set(X[q] as number),
    ]),
    ...combine(X0, X2, F64X2_ADD, Y0),
    ...combine(X0, X2, F64X2_SUB, Y1),
    ...combine(X1, X3, F64X2_ADD, Y2),
    ...get(X1),
    ...get(X3),
    ...F64X2_SUB,
    ...tee(Y3),
    ...get(Y3),
    ...swap,
    ...v128Const(0, -0),
    ...V128_XOR,
    ...set(Y3), // -i (x1 - x3)
    ...get(R),
    ...I32_LOAD(),
    ...tee(A),
    ...combine(Y0, Y2, F64X2_ADD),
    ...v128Store(0),
    ...get(A),
    ...combine(Y0, Y2, F64X2_SUB),
    ...v128Store(32),
    ...get(A),
    ...combine(Y1, Y3, F64X2_ADD),
    ...v128Store(16),
    ...get(A),
    ...combine(Y1, Y3, F64X2_SUB),
    ...v128Store(48),
    ...bump(PP, 8),
    ...bump(W, 16),
    ...get(R),
    ...i32(4),
    I32_ADD,
    ...tee(R),
    ...i32(L.reverse + m),
    I32_NE,
    ...BR_IF(0),
    END,
    // The other radix-2 stages, half-size hb (bytes) from 64 to 8m.
    ...(m < 8 ? [] : stages),

    // The real split: X[k] = E[k] + w^k O[k] from z[k] and conj(z[m - k]); power as float32.
    ...i32(L.z + 16 * m),
    ...i32(L.z),
    ...v128Load(),
    ...v128Store(),
    ...i32(L.z + 16 * kLo),
    ...set(A),
    ...i32(L.z + 16 * (m - kLo)),
    ...set(C),
    ...i32(L.split + 32 * kLo),
    ...set(Q),
    ...i32(L.power + 4 * kLo),
    ...set(K),
    ...LOOP,
    ...get(A),
    ...v128Load(),
    ...set(Z),
    ...get(C),
    ...v128Load(),
    ...v128Const(0, -0),
    ...V128_XOR,
    ...set(VB),
    ...get(Z),
    ...get(VB),
    ...F64X2_SUB,
    ...set(D),
    ...get(K),
    ...get(Z),
    ...get(VB),
    ...F64X2_ADD,
    ...v128Const(0.5, 0.5),
    ...F64X2_MUL,
    ...get(D),
    ...get(D),
    ...swap,
    ...get(Q),
    ...v128Load(),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...get(D),
    ...get(Q),
    ...v128Load(16),
    ...F64X2_MUL,
    ...F64X2_ADD,
    ...tee(T),
    ...get(T),
    ...F64X2_MUL,
    ...tee(T),
    ...lane(0),
    ...get(T),
    ...lane(1),
    F64_ADD,
    F32_DEMOTE,
    ...F32_STORE,
    ...bump(A, 16),
    ...get(C),
    ...i32(16),
    I32_SUB,
    ...set(C),
    ...bump(Q, 32),
    ...get(K),
    ...i32(4),
    I32_ADD,
    ...tee(K),
    ...i32(L.power + 4 * kHi),
    I32_NE,
    ...BR_IF(0),
    END,
    // Mel: each filter over its bins, float32 products summed in float64, rounded, floored.
    ...i32(L.filters),
    ...set(F),
    ...i32(L.weights),
    ...set(WQ),
    ...LOOP, // $filters
    0x44,
    ...bytesOf(Float64Array.of(0)),
    ...set(ACC),
    ...get(F),
    ...I32_LOAD(),
    ...set(K),
    ...get(F),
    ...I32_LOAD(4),
    ...set(KEND),
    ...BLOCK,
    ...get(K),
    ...get(KEND),
    I32_EQ,
    ...BR_IF(0),
    ...LOOP, // $bins
    ...get(ACC),
    ...get(WQ),
    ...F64_LOAD,
    ...get(K),
    ...F32_LOAD,
    F64_PROMOTE,
    F64_MUL,
    F64_ADD,
    ...set(ACC),
    ...bump(WQ, 8),
    ...get(K),
    ...i32(4),
    I32_ADD,
    ...tee(K),
    ...get(KEND),
    I32_NE,
    ...BR_IF(0),
    END, // $bins
    END, // block
    ...get(OUT),
    ...get(ACC),
    F32_DEMOTE,
    0x43,
    ...bytesOf(Float32Array.of(MEL_FLOOR)),
    F32_MAX,
    ...F32_STORE,
    ...bump(OUT, 4),
    ...get(F),
    ...i32(8),
    I32_ADD,
    ...tee(F),
    ...i32(L.filters + 8 * ranges.length),
    I32_NE,
    ...BR_IF(0),
    END, // $filters
    ...bump(P, 4 * hop),
    ...get(FRAMES),
    ...i32(1),
    I32_SUB,
    ...tee(FRAMES),
    ...BR_IF(0),
    END, // $frames
    END, // function
  ];
  const module = compileKernel(
    kernelModuleBytes({
      name: 'run',
      params: [I32, I32, I32],
      memoryLimits: [0x00, 0x01],
      locals: [
        [14, I32],
        [13, V128],
        [1, F64],
      ],
      body,
    }),
  );
  if (!module) return null;

  const fill = (memory: ArrayBuffer): void => {
    const f64 = new Float64Array(memory);
    const u32 = new Uint32Array(memory);
    const bits = Math.log2(m);
    f64.set(window, L.window / 8);
    for (let i = 0; i < m / 4; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      u32[L.reverse / 4 + i] = L.z + 16 * r;
    }
    // e^{-2 pi i j / (2h)} as (wr, wr), (-wi, wi): what `cmul` multiplies by.
    const twiddle = (j: number, h: number): number[] => {
      const x = (Math.PI * j) / h;
      return [Math.cos(x), Math.cos(x), Math.sin(x), -Math.sin(x)];
    };
    let t = L.twiddles / 8;
    let h = 4;
    for (; 2 * h < m; h *= 4) {
      for (let j = 0; j < h; j++) {
        f64.set([...twiddle(j, h), ...twiddle(j, 2 * h)], t);
        t += 8;
      }
    }
    for (let j = 0; h < m && j < h; j++) {
      f64.set(twiddle(j, h), t);
      t += 4;
    }
    for (let k = 0; k <= m; k++) {
      const wr = Math.cos((2 * Math.PI * k) / n);
      const wi = -Math.sin((2 * Math.PI * k) / n);
      f64.set([wr / 2, -wr / 2, wi / 2, wi / 2], L.split / 8 + 4 * k);
    }
    let w = L.weights / 8;
    ranges.forEach((r, i) => {
      u32[L.filters / 4 + 2 * i] = L.power + 4 * r.lo;
      u32[L.filters / 4 + 2 * i + 1] = L.power + 4 * (r.lo + r.weights.length);
      f64.set(r.weights, w);
      w += r.weights.length;
    });
  };
  return { module, layout, fill };
}

/** The log-mel function of one configuration, and which code computes it. */
export interface LogMelFunction {
  (waveform: Float32Array): LogMel;
  /** 'simd': the WebAssembly SIMD kernel; 'js': plain JavaScript (no WebAssembly SIMD, or asked for). */
  readonly kernel: 'simd' | 'js';
}

/**
 * transformers.js floors the mel power at mel_floor 1e-10 in a Float32Array (so at float32(1e-10)), then
 * power_to_db floors at min_value 1e-10 again (a no-op by then) and takes 10 * log10 (reference 1, no
 * top_db: ClapFeatureExtractor passes no db_range). Flooring at float32(1e-10) gives the same numbers.
 */
const MEL_FLOOR = Math.fround(1e-10);
/**
 * 10 * log10(x) as DB * ln(x): V8's Math.log takes half the time of Math.log10, and the two differ in the
 * last bits of a float64 only (the float32 results are equal but for a rare rounding tie, by one float32 step).
 */
const DB = 10 / Math.LN10;

/**
 * Returns the log-mel function for one configuration (tables built once). `kernel: 'js'` forces the plain
 * JavaScript path (tests compare the two); by default the WebAssembly SIMD kernel runs where it validates.
 */
export function createLogMel(config: LogMelConfig, options: { kernel?: 'auto' | 'js' } = {}): LogMelFunction {
  const { fftLength: n, hop } = config;
  const bins = n / 2 + 1;
  const mels = config.filters.length;
  if (n < 4 || (n & (n - 1)) !== 0) throw new Error(`log-mel: the FFT length must be a power of two (got ${n})`);
  if (!Number.isInteger(hop) || hop < 1) throw new Error(`log-mel: the hop must be a positive integer (got ${hop})`);
  if (config.window.length !== n) throw new Error(`log-mel: the window has ${config.window.length} samples, the FFT ${n}`);
  // Each filter's non-zero bins, its weights rounded to float32 as transformers.js's product takes them.
  const ranges = Array.from({ length: mels }, (_, i) => {
    const f = config.filters[i] as ArrayLike<number>;
    if (f.length !== bins) throw new Error(`log-mel: mel filter ${i} has ${f.length} bins, expected ${bins}`);
    let lo = 0;
    while (lo < bins && f[lo] === 0) lo++;
    let hi = bins;
    while (hi > lo && f[hi - 1] === 0) hi--;
    return { lo, weights: Float64Array.from({ length: hi - lo }, (_, k) => Math.fround(f[lo + k] as number)) };
  });
  const window = Float64Array.from(config.window);
  const pad = n / 2;
  const frameCount = (len: number): number => {
    if (len <= pad) throw new Error(`log-mel: ${len} samples are too few for reflect padding of ${pad}`);
    // Centred frames over the waveform reflect-padded by n / 2 on each side (numpy's "reflect").
    return Math.floor(1 + Math.floor((len + 2 * pad - n) / hop));
  };
  const power = createPowerSpectrum(n);
  const frame = new Float64Array(n);
  const spectrum = new Float64Array(bins);
  const jsLogMel = (waveform: Float32Array): LogMel => {
    const len = waveform.length;
    const frames = frameCount(len);
    const at = (i: number): number => {
      const j = i - pad;
      return (j < 0 ? waveform[-j] : j >= len ? waveform[2 * (len - 1) - j] : waveform[j]) as number;
    };
    const data = new Float32Array(frames * mels);
    for (let t = 0; t < frames; t++) {
      const offset = t * hop;
      const inside = offset >= pad && offset + n - pad <= len;
      for (let j = 0; j < n; j++) frame[j] = (inside ? (waveform[offset - pad + j] as number) : at(offset + j)) * (window[j] as number);
      power(frame, spectrum);
      const row = t * mels;
      for (let i = 0; i < mels; i++) {
        const { lo, weights } = ranges[i] as { lo: number; weights: Float64Array };
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += (weights[k] as number) * Math.fround(spectrum[lo + k] as number);
        data[row + i] = DB * Math.log(Math.max(MEL_FLOOR, Math.fround(acc)));
      }
    }
    return { frames, mels, data };
  };
  const kernel = options.kernel !== 'js' && mels > 0 ? assembleKernel(n, hop, window, ranges) : null;
  // The kernel's memory: where it cannot be had (or grown, below), the plain path computes the same numbers.
  let memory: WebAssembly.Memory | null = null;
  try {
    if (kernel) memory = new WebAssembly.Memory({ initial: Math.ceil(kernel.layout.end / 65536) + 1 });
  } catch {
    memory = null;
  }
  if (kernel && memory) {
    const { layout } = kernel;
    const mem = memory;
    kernel.fill(mem.buffer);
    const run = (
      new WebAssembly.Instance(kernel.module, { env: { mem } }).exports as {
        run: (frames: number, src: number, out: number) => void;
      }
    ).run;
    const simdLogMel = (waveform: Float32Array): LogMel => {
      const len = waveform.length;
      const frames = frameCount(len);
      const out = Math.ceil((layout.end + 4 * (len + n)) / 16) * 16;
      const need = out + 4 * frames * mels;
      if (mem.buffer.byteLength < need) {
        try {
          mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
        } catch {
          return jsLogMel(waveform);
        }
      }
      const f32 = new Float32Array(mem.buffer);
      const s = layout.end / 4;
      f32.set(waveform, s + pad);
      for (let j = 1; j <= pad; j++) {
        f32[s + pad - j] = waveform[j] as number;
        f32[s + pad + len - 1 + j] = waveform[len - 1 - j] as number;
      }
      run(frames, layout.end, out);
      const data = new Float32Array(frames * mels);
      const o = out / 4;
      for (let i = 0; i < data.length; i++) data[i] = DB * Math.log(f32[o + i] as number);
      return { frames, mels, data };
    };
    return Object.assign(simdLogMel, { kernel: 'simd' as const });
  }
  return Object.assign(jsLogMel, { kernel: 'js' as const });
}
