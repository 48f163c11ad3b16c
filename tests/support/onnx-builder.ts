/**
 * Writes small ONNX models (ModelProto with one graph) without Python: enough of onnx.proto for the FLOP
 * counter's tests and bench:analyze's MatMul roofline models (nodes with int, ints, float, string and tensor
 * attributes; float32 and int64 initializers as raw_data; graph inputs and outputs with symbolic or fixed dims).
 */

/** ONNX element types used here. */
export const FLOAT = 1;
export const INT64 = 7;

export interface TensorSpec {
  name?: string;
  dims: number[];
  /** float32 values (FLOAT) or int64 values (INT64). */
  float32?: Float32Array | number[];
  int64?: number[];
}

/** An attribute value: an integer, a list of integers, { f } for a float, a string, or a tensor. */
export type AttrValue = number | number[] | { f: number } | { floats: number[] } | string | { tensor: TensorSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** An operator set other than the default one (e.g. 'com.microsoft'); imported at version 1. */
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ValueSpec {
  name: string;
  elemType?: number;
  /** Fixed sizes or symbolic names. */
  dims: (number | string)[];
}

export interface ModelSpec {
  nodes: NodeSpec[];
  initializers?: (TensorSpec & { name: string })[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset?: number;
}

class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      out.push(byte);
    } while (x > 0n);
    this.push(Uint8Array.from(out));
  }
  key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  int(field: number, v: number): void {
    this.key(field, 0);
    this.varint(v);
  }
  bytes(field: number, b: Uint8Array): void {
    this.key(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, build: (w: Writer) => void): void {
    const w = new Writer();
    build(w);
    this.bytes(field, w.finish());
  }
  float(field: number, v: number): void {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function tensor(w: Writer, t: TensorSpec): void {
  for (const d of t.dims) w.int(1, d);
  if (t.int64) {
    w.int(2, INT64);
    if (t.name) w.string(8, t.name);
    const b = new Uint8Array(t.int64.length * 8);
    const view = new DataView(b.buffer);
    t.int64.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    w.bytes(9, b);
  } else {
    w.int(2, FLOAT);
    if (t.name) w.string(8, t.name);
    const f = Float32Array.from(t.float32 ?? []);
    w.bytes(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }
}

function attribute(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    w.int(3, v);
    w.int(20, 2);
  } else if (typeof v === 'string') {
    w.string(4, v);
    w.int(20, 3);
  } else if (Array.isArray(v)) {
    for (const x of v) w.int(8, x);
    w.int(20, 7);
  } else if ('f' in v) {
    w.float(2, v.f);
    w.int(20, 1);
  } else if ('floats' in v) {
    for (const x of v.floats) w.float(7, x);
    w.int(20, 6);
  } else {
    w.message(5, (t) => tensor(t, v.tensor));
    w.int(20, 4);
  }
}

function valueInfo(w: Writer, v: ValueSpec): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.elemType ?? FLOAT);
      tt.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}

/** The serialised ModelProto (IR version 8, the default domain at `opset`, 17 unless given; other domains at 1). */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8);
  w.string(2, 'moodshelf-tests');
  w.message(7, (g) => {
    spec.nodes.forEach((n, i) =>
      g.message(1, (nw) => {
        for (const x of n.inputs) nw.string(1, x);
        for (const x of n.outputs) nw.string(2, x);
        nw.string(3, n.name ?? `${n.op}_${i}`);
        nw.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs ?? {})) nw.message(5, (a) => attribute(a, k, v));
        if (n.domain) nw.string(7, n.domain);
      }),
    );
    g.string(2, 'graph');
    for (const t of spec.initializers ?? []) g.message(5, (tw) => tensor(tw, t));
    for (const v of spec.inputs) g.message(11, (vw) => valueInfo(vw, v));
    for (const v of spec.outputs) g.message(12, (vw) => valueInfo(vw, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, spec.opset ?? 17);
  });
  for (const domain of new Set(spec.nodes.flatMap((n) => (n.domain ? [n.domain] : [])))) {
    w.message(8, (o) => {
      o.string(1, domain);
      o.int(2, 1);
    });
  }
  return w.finish();
}
