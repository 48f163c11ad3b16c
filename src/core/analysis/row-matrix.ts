import { dot } from './vectors.js';

/**
 * A row-major float32 matrix with one operation: the dot product of every row with a vector. With
 * WebAssembly SIMD (every Node and Electron we ship), the matrix lives in its own WebAssembly memory and
 * a small kernel computes two rows at a time; it gives bit for bit what `dot` gives (float32 products,
 * exact in float64, summed in four float64 lanes in the same order, rounded once to float32), about four
 * times faster. Elsewhere, and for dimensions that are not a multiple of 4, `dot` does it.
 */
export interface RowMatrix {
  /** Capacity rows x dim values; rows beyond those in use are zero. */
  data: Float32Array;
  /** The same memory as bytes (for copying stored BLOBs in). */
  bytes: Uint8Array;
  /** `out[i] = dot(row i, v)` for rows 0 .. n-1. */
  dots(v: Float32Array, n: number): Float32Array;
  /** Which computes `dots`: the WebAssembly SIMD kernel or `dot`. */
  kernel: 'simd' | 'js';
}

// ------------------------------------------------------------------ the kernel, assembled by hand
// dots(t, n, dim, l, o): for each of n rows of dim float32 at byte offset t, the dot product with the
// float64 vector at l, stored as float32 at o. Two rows per pass share the vector loads; the last odd row
// runs paired with itself and stores one result.

const uleb = (x: number): number[] => {
  const out: number[] = [];
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
};
const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f;
const V128 = 0x7b;
// Locals: the parameters (rows at t, n rows, dim, vector at l, scores at o), then scratch: the row length in
// bytes, the byte offset in the row, the vector pointer, the paired row, four float64x2 accumulators
// (lanes 0,1 and 2,3 of each row), the two halves of the vector chunk, the loaded chunk.
const [T, N, DIM, L, O, ROW, I, Q, T2] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
const [A0, B0, A1, B1, LA, LB, V] = [9, 10, 11, 12, 13, 14, 15] as const;
const get = (x: number): number[] => [0x20, x];
const set = (x: number): number[] => [0x21, x];
const tee = (x: number): number[] => [0x22, x];
const i32 = (x: number): number[] => [0x41, ...uleb(x)]; // small non-negative constants only
const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
const v128Load = (offset: number): number[] => simd(0x00, 4, ...uleb(offset));
const promoteLow = simd(0x5f);
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);
const lane = (i: number): number[] => simd(0x21, i);
const highToLow = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;

/** acc += promote(lanes 0,1 or 2,3 of v) * l */
const accumulate = (acc: number, l: number, high: boolean): number[] => [
  ...get(acc),
  ...get(V),
  ...(high ? [...get(V), ...highToLow] : []),
  ...promoteLow,
  ...get(l),
  ...f64x2Mul,
  ...f64x2Add,
  ...set(acc),
];
/** ((a.0 + a.1) + b.0) + b.1, as float32, stored at o + offset. */
const finish = (a: number, b: number, offset: number): number[] => [
  ...get(O),
  ...get(a),
  ...lane(0),
  ...get(a),
  ...lane(1),
  0xa0,
  ...get(b),
  ...lane(0),
  0xa0,
  ...get(b),
  ...lane(1),
  0xa0,
  0xb6, // f32.demote_f64
  0x38,
  2,
  ...uleb(offset), // f32.store
];

const body: number[] = [
  ...get(DIM),
  ...i32(2),
  0x74, // i32.shl
  ...set(ROW),
  0x02,
  0x40, // block $done
  0x03,
  0x40, // loop $rows
  ...get(N),
  0x45, // i32.eqz
  0x0d,
  1, // br_if $done
  // t2 = n >= 2 ? t + row : t
  ...get(T),
  ...get(ROW),
  I32_ADD,
  ...get(T),
  ...get(N),
  ...i32(2),
  0x4f, // i32.ge_u
  0x1b, // select
  ...set(T2),
  ...simd(0x0c, ...new Array<number>(16).fill(0)), // v128.const 0
  ...tee(A0),
  ...tee(B0),
  ...tee(A1),
  ...set(B1),
  ...i32(0),
  ...set(I),
  ...get(L),
  ...set(Q),
  0x03,
  0x40, // loop $cols
  ...get(Q),
  ...v128Load(0),
  ...set(LA),
  ...get(Q),
  ...v128Load(16),
  ...set(LB),
  ...get(T),
  ...get(I),
  I32_ADD,
  ...v128Load(0),
  ...set(V),
  ...accumulate(A0, LA, false),
  ...accumulate(B0, LB, true),
  ...get(T2),
  ...get(I),
  I32_ADD,
  ...v128Load(0),
  ...set(V),
  ...accumulate(A1, LA, false),
  ...accumulate(B1, LB, true),
  ...get(Q),
  ...i32(32),
  I32_ADD,
  ...set(Q),
  ...get(I),
  ...i32(16),
  I32_ADD,
  ...tee(I),
  ...get(ROW),
  0x49, // i32.lt_u
  0x0d,
  0, // br_if $cols
  0x0b, // end $cols
  ...finish(A0, B0, 0),
  ...get(N),
  ...i32(2),
  0x4f,
  0x04,
  0x40, // if n >= 2
  ...finish(A1, B1, 4),
  ...get(O),
  ...i32(8),
  I32_ADD,
  ...set(O),
  ...get(T2),
  ...get(ROW),
  I32_ADD,
  ...set(T),
  ...get(N),
  ...i32(2),
  I32_SUB,
  ...set(N),
  0x05, // else
  ...i32(0),
  ...set(N),
  0x0b, // end if
  0x0c,
  0, // br $rows
  0x0b, // end $rows
  0x0b, // end $done
  0x0b, // end function
];

const moduleBytes = Uint8Array.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])),
  ...section(2, vec([[...str('env'), ...str('mem'), 0x02, 0x00, 0x00]])),
  ...section(3, vec([[0]])),
  ...section(7, vec([[...str('dots'), 0x00, 0]])),
  // One code entry: its size, then its locals (4 x i32, 7 x v128: 5 bytes) and its body.
  ...section(
    10,
    vec([
      [
        ...uleb(body.length + 5),
        ...vec([
          [4, I32],
          [7, V128],
        ]),
        ...body,
      ],
    ]),
  ),
]);

let kernel: WebAssembly.Module | null | undefined;
function kernelModule(): WebAssembly.Module | null {
  if (kernel === undefined) {
    try {
      kernel = WebAssembly.validate(moduleBytes) ? new WebAssembly.Module(moduleBytes) : null;
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

const PAGE = 65_536;
const align16 = (x: number): number => Math.ceil(x / 16) * 16;

/** A matrix in plain memory, rows dotted by `dot`. */
function plainMatrix(capacity: number, dim: number): RowMatrix {
  const data = new Float32Array(capacity * dim);
  return {
    data,
    bytes: new Uint8Array(data.buffer),
    kernel: 'js',
    dots(v, n) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dot(data, v, i * dim);
      return out;
    },
  };
}

/** Allocates a zeroed matrix of `capacity` rows of `dim` values. */
export function rowMatrix(capacity: number, dim: number): RowMatrix {
  const module = dim > 0 && dim % 4 === 0 ? kernelModule() : null;
  // Layout: the vector as float64, the scores, then the rows; 4 GiB is WebAssembly's limit.
  const vOff = 0;
  const oOff = align16(dim * 8);
  const tOff = align16(oOff + capacity * 4);
  const total = tOff + capacity * dim * 4;
  if (!module || total > 2 ** 32 - PAGE) return plainMatrix(capacity, dim);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(total / PAGE)) });
  } catch {
    return plainMatrix(capacity, dim);
  }
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  const run = instance.exports.dots as (t: number, n: number, dim: number, l: number, o: number) => void;
  const buffer = memory.buffer;
  const data = new Float32Array(buffer, tOff, capacity * dim);
  const vector = new Float64Array(buffer, vOff, dim);
  const scores = new Float32Array(buffer, oOff, capacity);
  return {
    data,
    bytes: new Uint8Array(buffer, tOff, capacity * dim * 4),
    kernel: 'simd',
    dots(v, n) {
      if (v.length !== dim) {
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = dot(data, v, i * dim);
        return out;
      }
      vector.set(v);
      run(tOff, n, dim, vOff, oOff);
      return scores.slice(0, n);
    },
  };
}
