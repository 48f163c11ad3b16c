/**
 * Hand-assembled WebAssembly: the core's SIMD kernels (the row matrix's dot products, the resampler's
 * filter, CLAP's log-mel) are each one function over an imported memory, assembled as bytes at run time
 * (no build step, no .wasm file to ship or find). These are the encodings they share.
 */

/** Unsigned LEB128. */
export const uleb = (x: number): number[] => {
  const out: number[] = [];
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
};

/** Signed LEB128 (i32.const's immediate). */
export const sleb = (x: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = x & 0x7f;
    x >>= 7;
    if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};

/** A name: its length, then its bytes. */
export const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];
/** A section: its id, its size, its body. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** A vector: its count, then its items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** Value types. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** local.get, local.set and local.tee. */
export const get = (x: number): number[] => [0x20, x];
export const set = (x: number): number[] => [0x21, x];
export const tee = (x: number): number[] => [0x22, x];
/** i32.const (signed LEB128, right for any value). */
export const i32 = (x: number): number[] => [0x41, ...sleb(x)];
/** A SIMD instruction (prefix 0xfd), its opcode and immediates. */
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** f64x2.promote_low_f32x4: lanes 0 and 1 of four float32 as two float64. */
export const promoteLow = simd(0x5f);

/** What a one-function kernel module is made of (see {@link kernelModuleBytes}). */
export interface KernelModule {
  /** The exported function's name. */
  name: string;
  /** Its parameter types (it returns nothing). */
  params: number[];
  /** The limits of the memory it imports as env.mem: flags, minimum pages, [maximum pages]. */
  memoryLimits: number[];
  /** Its locals beyond the parameters, as [count, type] groups. */
  locals: [number, number][];
  /** Its body, ending with `end` (0x0b). */
  body: number[];
}

/** The bytes of a module with one function over an imported memory. */
export function kernelModuleBytes(m: KernelModule): Uint8Array<ArrayBuffer> {
  const locals = vec(m.locals.map(([count, type]) => [...uleb(count), type]));
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(m.params.map((p) => [p])), 0]])),
    ...section(2, vec([[...str('env'), ...str('mem'), 0x02, ...m.memoryLimits]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str(m.name), 0x00, 0]])),
    // One code entry: its size, its locals, its body.
    ...section(10, vec([[...uleb(locals.length + m.body.length), ...locals, ...m.body]])),
  ]);
}

/** A compiled module, or null where the host cannot validate or compile it (no WebAssembly SIMD). */
export function compileKernel(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module | null {
  try {
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}
