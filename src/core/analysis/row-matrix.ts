import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compileKernel, get, i32, I32, kernelModuleBytes, promoteLow, set, simd, tee, uleb, V128 } from '../kernel/wasm-asm.js';
import { dot } from './vectors.js';

/**
 * A row-major float32 matrix with one operation: the dot product of every row with a vector. With
 * WebAssembly SIMD (every Node and Electron we ship), the matrix lives in its own shared WebAssembly memory
 * and a small kernel computes four rows at a time; it gives bit for bit what `dot` gives (float32 products,
 * exact in float64, summed in four float64 lanes in the same order, rounded once to float32), three to four
 * times faster. A large matrix is split in chunks that this thread and one helper thread claim as they go
 * (a scan from main memory is limited by what one core can stream), so a busy helper never delays the
 * result: this thread then does the chunks itself. Elsewhere, and for dimensions that are not a multiple
 * of 4, `dot` does it.
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
// float64 vector at l, stored as float32 at o. ROWS rows per pass share the vector loads and keep several
// memory streams in flight (what a scan from main memory needs); a last pass with fewer rows repeats its
// last row and stores only the results it has.

const ROWS = 4;

// Locals: the parameters (rows at t, n rows, dim, vector at l, scores at o); then i32 scratch: the row length
// in bytes, the byte offset in the row, the vector pointer, the rows in this pass, the pointers of rows
// 1 .. ROWS-1 of the pass; then v128 scratch: per row two float64x2 accumulators (lanes 0,1 and 2,3), the two
// halves of the vector chunk, the loaded chunk.
const [T, N, DIM, L, O, ROW, I, Q, M] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
const P = (k: number): number => (k === 0 ? T : 8 + k);
const I32_LOCALS = 4 + (ROWS - 1);
const A = (k: number): number => 5 + I32_LOCALS + 2 * k;
const B = (k: number): number => 5 + I32_LOCALS + 2 * k + 1;
const LA = 5 + I32_LOCALS + 2 * ROWS;
const LB = LA + 1;
const V = LA + 2;
const V128_LOCALS = 2 * ROWS + 3;

const v128Load = (offset: number): number[] => simd(0x00, 4, ...uleb(offset));
const f64x2Add = simd(0xf0);
const f64x2Mul = simd(0xf2);
const lane = (i: number): number[] => simd(0x21, i);
const highToLow = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
const [I32_ADD, I32_SUB, I32_MUL, I32_LT_U, SELECT] = [0x6a, 0x6b, 0x6c, 0x49, 0x1b] as const;

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
const range = (n: number): number[] => Array.from({ length: n }, (_, k) => k);

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
  // m = n < ROWS ? n : ROWS; row k of the pass at t + k * row while k < m, else the pass's last row
  ...get(N),
  ...i32(ROWS),
  ...get(N),
  ...i32(ROWS),
  I32_LT_U,
  SELECT,
  ...set(M),
  ...range(ROWS - 1).flatMap((j) => {
    const k = j + 1;
    return [...i32(k), ...get(ROW), I32_MUL, ...get(T), I32_ADD, ...get(P(k - 1)), ...i32(k), ...get(M), I32_LT_U, SELECT, ...set(P(k))];
  }),
  ...simd(0x0c, ...new Array<number>(16).fill(0)), // v128.const 0
  ...range(ROWS).flatMap((k) => [...tee(A(k)), ...tee(B(k))]),
  0x1a, // drop
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
  ...range(ROWS).flatMap((k) => [
    ...get(P(k)),
    ...get(I),
    I32_ADD,
    ...v128Load(0),
    ...set(V),
    ...accumulate(A(k), LA, false),
    ...accumulate(B(k), LB, true),
  ]),
  ...get(Q),
  ...i32(32),
  I32_ADD,
  ...set(Q),
  ...get(I),
  ...i32(16),
  I32_ADD,
  ...tee(I),
  ...get(ROW),
  I32_LT_U,
  0x0d,
  0, // br_if $cols
  0x0b, // end $cols
  ...finish(A(0), B(0), 0),
  ...range(ROWS - 1).flatMap((j) => {
    const k = j + 1;
    return [...i32(k), ...get(M), I32_LT_U, 0x04, 0x40, ...finish(A(k), B(k), 4 * k), 0x0b]; // if k < m: store
  }),
  // o += 4m; t += m * row; n -= m
  ...get(O),
  ...get(M),
  ...i32(2),
  0x74,
  I32_ADD,
  ...set(O),
  ...get(T),
  ...get(M),
  ...get(ROW),
  I32_MUL,
  I32_ADD,
  ...set(T),
  ...get(N),
  ...get(M),
  I32_SUB,
  ...set(N),
  0x0c,
  0, // br $rows
  0x0b, // end $rows
  0x0b, // end $done
  0x0b, // end function
];

// The memory: imported, shared, 0 to 65536 pages.
const moduleBytes = kernelModuleBytes({
  name: 'dots',
  params: [I32, I32, I32, I32, I32],
  memoryLimits: [0x03, 0x00, ...uleb(65_536)],
  locals: [
    [I32_LOCALS, I32],
    [V128_LOCALS, V128],
  ],
  body,
});

let kernel: WebAssembly.Module | null | undefined;
function kernelModule(): WebAssembly.Module | null {
  if (kernel === undefined) {
    kernel = compileKernel(moduleBytes);
  }
  return kernel;
}

// ------------------------------------------------------------------ the helper thread
// Control words (shared): the claim counter (job generation << 20 | next chunk), chunks done, then the job:
// chunks, rows, rows per chunk, dim, rows offset, vector offset, scores offset, matrix id.
const [NEXT, DONE, CHUNKS, ROWS_N, CHUNK_ROWS, DIMS, T_OFF, V_OFF, O_OFF, MATRIX] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
const CHUNK_BYTES = 512 * 1024;
/** Below this a second thread costs more (waking it) than it saves. */
const MIN_PARALLEL_BYTES = 2 * 1024 * 1024;
/** A helper that has not finished its chunks by then is given up (this thread recomputes everything). */
const HELPER_PATIENCE_MS = 250;

const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ctl = new Int32Array(workerData.ctl);
const runs = new Map();
function work(gen) {
  for (;;) {
    const v = Atomics.load(ctl, ${NEXT});
    const c = v & 0xfffff;
    if (v >>> 20 !== gen || c >= ctl[${CHUNKS}]) return;
    const run = runs.get(ctl[${MATRIX}]);
    if (!run) return;
    if (Atomics.compareExchange(ctl, ${NEXT}, v, v + 1) !== v) continue;
    const rows = ctl[${CHUNK_ROWS}], dim = ctl[${DIMS}], first = c * rows;
    run(ctl[${T_OFF}] + first * dim * 4, Math.min(rows, ctl[${ROWS_N}] - first), dim, ctl[${V_OFF}], ctl[${O_OFF}] + first * 4);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
parentPort.on('message', (m) => {
  if (m.add !== undefined) runs.set(m.add, new WebAssembly.Instance(workerData.module, { env: { mem: m.memory } }).exports.dots);
  else if (m.drop !== undefined) runs.delete(m.drop);
  else if (m.job !== undefined) work(m.job);
});
`;

interface Helper {
  worker: Worker;
  ctl: Int32Array;
  gen: number;
  broken: boolean;
  nextId: number;
  forget: FinalizationRegistry<number>;
}
let helper: Helper | null | undefined;
let helperChunks = 0;

/** For tests and benchmarks: the helper thread's state and how many chunks it has computed so far. */
export function rowMatrixHelper(): { state: 'none' | 'running' | 'given up'; chunks: number } {
  return { state: !helper ? 'none' : helper.broken ? 'given up' : 'running', chunks: helperChunks };
}

/** The one helper thread (unreferenced: it never keeps the process alive); null on one core. */
function sharedHelper(module: WebAssembly.Module): Helper | null {
  if (helper === undefined) {
    helper = null;
    if (availableParallelism() >= 2) {
      try {
        const ctl = new Int32Array(new SharedArrayBuffer(16 * 4));
        const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { ctl: ctl.buffer, module } });
        worker.unref();
        const h: Helper = {
          worker,
          ctl,
          gen: 0,
          broken: false,
          nextId: 1,
          forget: new FinalizationRegistry((id) => {
            if (!h.broken) h.worker.postMessage({ drop: id });
          }),
        };
        const lose = (): void => {
          h.broken = true;
        };
        worker.on('error', lose);
        worker.on('exit', lose);
        helper = h;
      } catch {
        helper = null;
      }
    }
  }
  return helper && !helper.broken ? helper : null;
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

type Kernel = (t: number, n: number, dim: number, l: number, o: number) => void;

/** Rows 0 .. n-1 through the kernel, in chunks claimed by this thread and the helper. */
function dotsShared(h: Helper, id: number, run: Kernel, job: { n: number; dim: number; t: number; l: number; o: number }): void {
  const { n, dim, t, l, o } = job;
  const rows = Math.max(64, Math.floor(CHUNK_BYTES / (dim * 4)));
  const chunks = Math.ceil(n / rows);
  const ctl = h.ctl;
  const gen = (h.gen = (h.gen + 1) & 0x7ff);
  ctl[CHUNKS] = chunks;
  ctl[ROWS_N] = n;
  ctl[CHUNK_ROWS] = rows;
  ctl[DIMS] = dim;
  ctl[T_OFF] = t;
  ctl[V_OFF] = l;
  ctl[O_OFF] = o;
  ctl[MATRIX] = id;
  Atomics.store(ctl, DONE, 0);
  Atomics.store(ctl, NEXT, gen << 20);
  h.worker.postMessage({ job: gen });
  let mine = 0;
  for (;;) {
    const v = Atomics.load(ctl, NEXT);
    const c = v & 0xfffff;
    if (c >= chunks) break;
    if (Atomics.compareExchange(ctl, NEXT, v, v + 1) !== v) continue;
    const first = c * rows;
    run(t + first * dim * 4, Math.min(rows, n - first), dim, l, o + first * 4);
    Atomics.add(ctl, DONE, 1);
    mine++;
  }
  const since = performance.now();
  for (;;) {
    const done = Atomics.load(ctl, DONE);
    if (done >= chunks) {
      helperChunks += chunks - mine;
      return;
    }
    if (performance.now() - since > HELPER_PATIENCE_MS) {
      // Stuck (or gone without a word yet): stop it for good and do everything here.
      h.broken = true;
      void h.worker.terminate();
      run(t, n, dim, l, o);
      return;
    }
    try {
      Atomics.wait(ctl, DONE, done, 5);
    } catch {
      // A host that forbids blocking this thread: poll instead (the helper's chunk is well under 1 ms).
    }
  }
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
    const pages = Math.max(1, Math.ceil(total / PAGE));
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return plainMatrix(capacity, dim);
  }
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  const run = instance.exports.dots as Kernel;
  const buffer = memory.buffer;
  const data = new Float32Array(buffer, tOff, capacity * dim);
  const vector = new Float64Array(buffer, vOff, dim);
  const scores = new Float32Array(buffer, oOff, capacity);
  const h = capacity * dim * 4 >= MIN_PARALLEL_BYTES ? sharedHelper(module) : null;
  const id = h ? h.nextId++ : 0;
  const matrix: RowMatrix = {
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
      const live = h && !h.broken ? h : null;
      if (live && n * dim * 4 >= MIN_PARALLEL_BYTES) dotsShared(live, id, run, { n, dim, t: tOff, l: vOff, o: oOff });
      else run(tOff, n, dim, vOff, oOff);
      return scores.slice(0, n);
    },
  };
  if (h) {
    h.worker.postMessage({ add: id, memory });
    h.forget.register(matrix, id);
  }
  return matrix;
}
