/**
 * The resampler's polyphase FIR as a WebAssembly SIMD kernel, assembled by hand (as row-matrix.ts does: no
 * build step, no .wasm file). Resampling is about half of the CPU a decoded window costs, and decoding runs
 * beside the encoder on the same cores, so every millisecond saved here goes to the encoder.
 *
 * One module per padded filter length: the taps are unrolled (four float32 per v128), so the inner loop has
 * no counter and its loads carry constant offsets. Products are float32 and sums float32 in four lanes
 * (plus a second accumulator); against the JS path's float64 sums that differs by a few float32 roundings
 * of the sum of |products|, about 1e-7 of full scale (tests/unit/resample-kernel.test.ts measures it).
 */
import { compileKernel, get, i32, I32, kernelModuleBytes, set, simd, tee, uleb, V128 } from '../kernel/wasm-asm.js';

/**
 * Runs the FIR for `count` outputs: output j (from 0) reads tapsPadded float32 at byte address
 * `x + j-th input step` against the table row of its phase, and is stored as float32 at `o + 4j`.
 * Phase numerator r advances by stepR per output and wraps at `up` (the input pointer then moves one
 * more sample); the table row is r when `exact` is 1, else floor(r / up * phases) as the JS path computes it.
 */
export type FirKernel = (
  x: number,
  table: number,
  o: number,
  count: number,
  r: number,
  stepBytes: number,
  stepR: number,
  up: number,
  phases: number,
  rowBytes: number,
  exact: number,
) => void;

/** Above this many taps (a very steep filter for an extreme rate ratio) the unrolled body is not built. */
export const MAX_KERNEL_TAPS = 2048;

// Parameters, in FirKernel's order; then the table row pointer and two f32x4 accumulators.
const [X, TBL, O, C, R, SB, SR, UP, PH, RB, EX, WP, A0, A1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13] as const;

const v128Load = (offset: number): number[] => simd(0x00, 0, ...uleb(offset));
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);
const f32Lane = (i: number): number[] => simd(0x1f, i);
// Lanes 2,3 of the first operand moved to lanes 0,1 (lanes 2,3 of the result unused).
const highPairToLow = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
const [I32_ADD, I32_SUB, I32_MUL, I32_GE_U, F32_ADD, F32_STORE] = [0x6a, 0x6b, 0x6c, 0x4f, 0x92, 0x38] as const;
const [F64_CONVERT_I32_U, F64_DIV, F64_MUL, F64_FLOOR, I32_TRUNC_F64_U] = [0xb8, 0xa3, 0xa2, 0x9c, 0xab] as const;

/** The body for `blocks` groups of four taps. */
function kernelBody(blocks: number): number[] {
  /** x[16b..] * w[16b..] */
  const product = (b: number): number[] => [...get(X), ...v128Load(16 * b), ...get(WP), ...v128Load(16 * b), ...f32x4Mul];
  const taps: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const acc = b % 2 === 0 ? A0 : A1;
    if (b < 2) taps.push(...product(b), ...set(acc));
    else taps.push(...get(acc), ...product(b), ...f32x4Add, ...set(acc));
  }
  // sum = (l0 + l2) + (l1 + l3) of (a0 + a1)
  const total = blocks > 1 ? [...get(A0), ...get(A1), ...f32x4Add, ...set(A0)] : [];
  return [
    0x02,
    0x40, // block $done
    0x03,
    0x40, // loop $outs
    ...get(C),
    0x45, // i32.eqz
    0x0d,
    1, // br_if $done
    // wp = table + row * rowBytes, row = exact ? r : floor(r / up * phases)
    ...get(TBL),
    ...get(EX),
    0x04,
    I32, // if (result i32)
    ...get(R),
    0x05, // else
    ...get(R),
    F64_CONVERT_I32_U,
    ...get(UP),
    F64_CONVERT_I32_U,
    F64_DIV,
    ...get(PH),
    F64_CONVERT_I32_U,
    F64_MUL,
    F64_FLOOR,
    I32_TRUNC_F64_U,
    0x0b, // end if
    ...get(RB),
    I32_MUL,
    I32_ADD,
    ...set(WP),
    ...taps,
    ...total,
    ...get(O),
    ...get(A0),
    ...get(A0),
    ...get(A0),
    ...highPairToLow,
    ...f32x4Add,
    ...tee(A0),
    ...f32Lane(0),
    ...get(A0),
    ...f32Lane(1),
    F32_ADD,
    F32_STORE,
    2,
    0, // f32.store align=4 offset=0
    // o += 4; count -= 1; x += stepBytes; r += stepR; if r >= up: r -= up, x += 4
    ...get(O),
    ...i32(4),
    I32_ADD,
    ...set(O),
    ...get(C),
    ...i32(1),
    I32_SUB,
    ...set(C),
    ...get(X),
    ...get(SB),
    I32_ADD,
    ...set(X),
    ...get(R),
    ...get(SR),
    I32_ADD,
    ...tee(R),
    ...get(UP),
    I32_GE_U,
    0x04,
    0x40, // if
    ...get(R),
    ...get(UP),
    I32_SUB,
    ...set(R),
    ...get(X),
    ...i32(4),
    I32_ADD,
    ...set(X),
    0x0b, // end if
    0x0c,
    0, // br $outs
    0x0b, // end $outs
    0x0b, // end $done
    0x0b, // end function
  ];
}

/** The module's bytes for a filter of `tapsPadded` taps (a positive multiple of 4). */
export function firModuleBytes(tapsPadded: number): Uint8Array<ArrayBuffer> {
  // The memory: imported, 1 to 65536 pages (one per resampler, grown as inputs need).
  return kernelModuleBytes({
    name: 'fir',
    params: new Array<number>(11).fill(I32),
    memoryLimits: [0x01, 0x01, ...uleb(65_536)],
    locals: [
      [1, I32],
      [2, V128],
    ],
    body: kernelBody(tapsPadded / 4),
  });
}

const modules = new Map<number, WebAssembly.Module | null>();

/** The compiled kernel for `tapsPadded` taps, or null where WebAssembly SIMD is unavailable. */
export function firModule(tapsPadded: number): WebAssembly.Module | null {
  if (tapsPadded <= 0 || tapsPadded % 4 !== 0 || tapsPadded > MAX_KERNEL_TAPS) return null;
  let m = modules.get(tapsPadded);
  if (m === undefined) {
    m = compileKernel(firModuleBytes(tapsPadded));
    modules.set(tapsPadded, m);
  }
  return m;
}
