import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A minimal reader of ONNX model files (the protobuf messages ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto and ValueInfoProto of onnx.proto, and only the fields a graph walk needs).
 * The file is read through a small window, so a 400 MB encoder costs a few MB of memory: tensor payloads
 * above {@link SMALL_TENSOR_BYTES} (the weights) are skipped, their shapes kept.
 */

/** Tensors up to this many payload bytes have their values read (shape arithmetic, scalars, scales). */
export const SMALL_TENSOR_BYTES = 1 << 16;

/** ONNX TensorProto.DataType codes used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** Whether a tensor of this element type holds integers (or booleans): integer arithmetic truncates. */
export function isIntegerType(dataType: number): boolean {
  return dataType !== DataType.FLOAT && dataType !== DataType.DOUBLE && dataType !== DataType.FLOAT16 && dataType !== 16;
}

/** A tensor as read: shape, element type and (for small tensors stored in the file) the values. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Values in row-major order, or undefined when the payload was large, external or of an unread type. */
  values?: number[];
}

/** A node attribute: only the kinds a shape walk reads. */
export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: its name, element type and dimensions (a number, a symbolic name or unknown). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string | null)[] | null;
}

export interface OnnxGraph {
  irVersion: number;
  /** Opset version per domain ('' = the default ONNX domain). */
  opsets: Map<string, number>;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Random access to the bytes of a model (a file through a window, or a buffer). */
interface Bytes {
  readonly size: number;
  byte(pos: number): number;
  slice(pos: number, len: number): Uint8Array;
}

class BufferBytes implements Bytes {
  constructor(private readonly buf: Uint8Array) {}
  get size(): number {
    return this.buf.length;
  }
  byte(pos: number): number {
    return this.buf[pos] as number;
  }
  slice(pos: number, len: number): Uint8Array {
    return this.buf.subarray(pos, pos + len);
  }
}

class FileBytes implements Bytes {
  readonly size: number;
  private window = new Uint8Array(0);
  private start = 0;
  constructor(
    private readonly fd: number,
    private readonly windowBytes = 1 << 18,
  ) {
    this.size = fstatSync(fd).size;
  }
  private load(pos: number, len: number): void {
    const n = Math.min(Math.max(len, this.windowBytes), this.size - pos);
    const buf = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, pos + got);
      if (r === 0) break;
      got += r;
    }
    this.window = buf.subarray(0, got);
    this.start = pos;
  }
  byte(pos: number): number {
    if (pos < this.start || pos >= this.start + this.window.length) this.load(pos, 1);
    return this.window[pos - this.start] as number;
  }
  slice(pos: number, len: number): Uint8Array {
    if (pos < this.start || pos + len > this.start + this.window.length) this.load(pos, len);
    return this.window.slice(pos - this.start, pos - this.start + len);
  }
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** One field of a message: its number, wire type, and the varint value or the payload's position and length. */
interface Field {
  no: number;
  wire: number;
  /** Varint (int64 as a JS number, two's complement decoded) or fixed32/fixed64 raw position for I32/I64. */
  value: number;
  pos: number;
  len: number;
}

function readVarint(b: Bytes, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    if (p >= b.size) throw new Error(`truncated varint at byte ${pos}`);
    const byte = b.byte(p++);
    if (shift < 28) {
      result |= (byte & 0x7f) << shift;
      if (shift === 21) result >>>= 0;
    } else {
      // Beyond 28 bits: continue in BigInt to get int64 two's complement right (negative axes are 10 bytes).
      let big = BigInt(result >>> 0) + (BigInt(byte & 0x7f) << BigInt(shift));
      let s = shift + 7;
      let c = byte;
      while (c & 0x80) {
        if (p >= b.size) throw new Error(`truncated varint at byte ${pos}`);
        c = b.byte(p++);
        big += BigInt(c & 0x7f) << BigInt(s);
        s += 7;
      }
      return [Number(BigInt.asIntN(64, big)), p];
    }
    if (!(byte & 0x80)) return [result >>> 0, p];
    shift += 7;
  }
}

function* fields(b: Bytes, start: number, end: number): Generator<Field> {
  let p = start;
  while (p < end) {
    const [key, afterKey] = readVarint(b, p);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    p = afterKey;
    if (wire === WIRE_VARINT) {
      const [value, next] = readVarint(b, p);
      yield { no, wire, value, pos: p, len: next - p };
      p = next;
    } else if (wire === WIRE_LEN) {
      const [len, next] = readVarint(b, p);
      yield { no, wire, value: 0, pos: next, len };
      p = next + len;
    } else if (wire === WIRE_I32) {
      yield { no, wire, value: 0, pos: p, len: 4 };
      p += 4;
    } else if (wire === WIRE_I64) {
      yield { no, wire, value: 0, pos: p, len: 8 };
      p += 8;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire} at byte ${p}`);
    }
  }
  if (p !== end) throw new Error(`protobuf message overruns its length (${p} > ${end})`);
}

const utf8 = new TextDecoder();
const str = (b: Bytes, f: Field): string => utf8.decode(b.slice(f.pos, f.len));

/** A repeated integer field, packed or not. */
function pushInts(b: Bytes, f: Field, out: number[]): void {
  if (f.wire === WIRE_VARINT) out.push(f.value);
  else if (f.wire === WIRE_LEN) {
    let p = f.pos;
    while (p < f.pos + f.len) {
      const [v, next] = readVarint(b, p);
      out.push(v);
      p = next;
    }
  }
}

/** A repeated float (fixed32) field, packed or not. */
function pushFloats(b: Bytes, f: Field, out: number[]): void {
  const view = new DataView(b.slice(f.pos, f.len).slice().buffer);
  for (let i = 0; i + 4 <= f.len; i += 4) out.push(view.getFloat32(i, true));
}

function pushDoubles(b: Bytes, f: Field, out: number[]): void {
  const view = new DataView(b.slice(f.pos, f.len).slice().buffer);
  for (let i = 0; i + 8 <= f.len; i += 8) out.push(view.getFloat64(i, true));
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function rawValues(raw: Uint8Array, dataType: number): number[] | undefined {
  const view = new DataView(raw.slice().buffer);
  const out: number[] = [];
  const each = (size: number, get: (at: number) => number): number[] => {
    for (let i = 0; i + size <= raw.length; i += size) out.push(get(i));
    return out;
  };
  switch (dataType) {
    case DataType.FLOAT:
      return each(4, (i) => view.getFloat32(i, true));
    case DataType.DOUBLE:
      return each(8, (i) => view.getFloat64(i, true));
    case DataType.INT64:
      return each(8, (i) => Number(view.getBigInt64(i, true)));
    case DataType.UINT64:
      return each(8, (i) => Number(view.getBigUint64(i, true)));
    case DataType.INT32:
      return each(4, (i) => view.getInt32(i, true));
    case DataType.UINT32:
      return each(4, (i) => view.getUint32(i, true));
    case DataType.INT16:
      return each(2, (i) => view.getInt16(i, true));
    case DataType.UINT16:
      return each(2, (i) => view.getUint16(i, true));
    case DataType.FLOAT16:
      return each(2, (i) => half(view.getUint16(i, true)));
    case DataType.INT8:
      return each(1, (i) => view.getInt8(i));
    case DataType.UINT8:
    case DataType.BOOL:
      return each(1, (i) => view.getUint8(i));
    default:
      return undefined;
  }
}

function readTensor(b: Bytes, start: number, len: number): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0 };
  const ints: number[] = [];
  const floats: number[] = [];
  let raw: Field | null = null;
  let external = false;
  for (const f of fields(b, start, start + len)) {
    switch (f.no) {
      case 1:
        pushInts(b, f, t.dims);
        break;
      case 2:
        t.dataType = f.value;
        break;
      case 8:
        t.name = str(b, f);
        break;
      case 9:
        raw = f;
        break;
      case 4:
        if (f.wire === WIRE_I32) floats.push(new DataView(b.slice(f.pos, 4).slice().buffer).getFloat32(0, true));
        else pushFloats(b, f, floats);
        break;
      case 10:
        if (f.wire === WIRE_I64) floats.push(new DataView(b.slice(f.pos, 8).slice().buffer).getFloat64(0, true));
        else pushDoubles(b, f, floats);
        break;
      case 5: // int32_data (also carries bool, int8/16, uint8/16 and float16 bits)
      case 7: // int64_data
      case 11: // uint64_data
        pushInts(b, f, ints);
        break;
      case 14:
        external = f.value === 1;
        break;
    }
  }
  if (external) return t;
  if (raw) {
    if (raw.len <= SMALL_TENSOR_BYTES) {
      const values = rawValues(b.slice(raw.pos, raw.len), t.dataType);
      if (values) t.values = values;
    }
  } else if (floats.length) t.values = floats;
  else if (ints.length) t.values = t.dataType === DataType.FLOAT16 ? ints.map(half) : ints;
  else if (t.dims.reduce((a, d) => a * d, 1) === 0) t.values = [];
  return t;
}

function readAttribute(b: Bytes, start: number, len: number): OnnxAttribute {
  const a: OnnxAttribute = { name: '' };
  for (const f of fields(b, start, start + len)) {
    switch (f.no) {
      case 1:
        a.name = str(b, f);
        break;
      case 2:
        a.f = new DataView(b.slice(f.pos, 4).slice().buffer).getFloat32(0, true);
        break;
      case 3:
        a.i = f.value;
        break;
      case 4:
        a.s = str(b, f);
        break;
      case 5:
        a.t = readTensor(b, f.pos, f.len);
        break;
      case 7:
        if (f.wire === WIRE_I32) (a.floats ??= []).push(new DataView(b.slice(f.pos, 4).slice().buffer).getFloat32(0, true));
        else pushFloats(b, f, (a.floats ??= []));
        break;
      case 8:
        pushInts(b, f, (a.ints ??= []));
        break;
      case 9:
        (a.strings ??= []).push(str(b, f));
        break;
    }
  }
  return a;
}

function readNode(b: Bytes, start: number, len: number): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  for (const f of fields(b, start, start + len)) {
    if (f.no === 1) n.inputs.push(str(b, f));
    else if (f.no === 2) n.outputs.push(str(b, f));
    else if (f.no === 3) n.name = str(b, f);
    else if (f.no === 4) n.opType = str(b, f);
    else if (f.no === 7) n.domain = str(b, f);
    else if (f.no === 5) {
      const a = readAttribute(b, f.pos, f.len);
      n.attributes.set(a.name, a);
    }
  }
  return n;
}

function readValueInfo(b: Bytes, start: number, len: number): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0, dims: null };
  for (const f of fields(b, start, start + len)) {
    if (f.no === 1) v.name = str(b, f);
    else if (f.no === 2) {
      for (const t of fields(b, f.pos, f.pos + f.len)) {
        if (t.no !== 1) continue; // tensor_type
        for (const tt of fields(b, t.pos, t.pos + t.len)) {
          if (tt.no === 1) v.elemType = tt.value;
          else if (tt.no === 2) {
            v.dims = [];
            for (const d of fields(b, tt.pos, tt.pos + tt.len)) {
              if (d.no !== 1) continue;
              let dim: number | string | null = null;
              for (const x of fields(b, d.pos, d.pos + d.len)) {
                if (x.no === 1) dim = x.value;
                else if (x.no === 2) dim = str(b, x);
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

function readModel(b: Bytes): OnnxGraph {
  const g: OnnxGraph = { irVersion: 0, opsets: new Map(), nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  let graph: Field | null = null;
  for (const f of fields(b, 0, b.size)) {
    if (f.no === 1) g.irVersion = f.value;
    else if (f.no === 7) graph = f;
    else if (f.no === 8) {
      let domain = '';
      let version = 0;
      for (const x of fields(b, f.pos, f.pos + f.len)) {
        if (x.no === 1) domain = str(b, x);
        else if (x.no === 2) version = x.value;
      }
      g.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    }
  }
  if (!graph) throw new Error('not an ONNX model: no graph');
  for (const f of fields(b, graph.pos, graph.pos + graph.len)) {
    if (f.no === 1) g.nodes.push(readNode(b, f.pos, f.len));
    else if (f.no === 5) {
      const t = readTensor(b, f.pos, f.len);
      g.initializers.set(t.name, t);
    } else if (f.no === 11) g.inputs.push(readValueInfo(b, f.pos, f.len));
    else if (f.no === 12) g.outputs.push(readValueInfo(b, f.pos, f.len));
  }
  return g;
}

/** Reads an ONNX model from a buffer. */
export function parseOnnx(bytes: Uint8Array): OnnxGraph {
  return readModel(new BufferBytes(bytes));
}

/** Reads an ONNX model file (the weights' payloads are skipped, never loaded). */
export function readOnnxFile(file: string): OnnxGraph {
  const fd = openSync(file, 'r');
  try {
    return readModel(new FileBytes(fd));
  } finally {
    closeSync(fd);
  }
}
