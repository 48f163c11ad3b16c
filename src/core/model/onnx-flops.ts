import { DataType, isIntegerType, readOnnxFile, type OnnxAttribute, type OnnxGraph, type OnnxNode, type OnnxTensor } from './onnx-proto.js';

/**
 * FLOPs of one run of an ONNX graph, counted from the graph itself: every node's output shape is inferred
 * from the concrete input shapes given (with the small integer tensors that shape arithmetic computes, as
 * exporters emit Shape -> Gather -> Concat -> Reshape chains, folded on the way), then the multiply-adds
 * of the nodes that do the arithmetic are counted, 2 FLOPs each:
 * - MatMul [.., M, K] x [.., K, N]: 2 * prod(output) * K; a MatMul whose operands are both computed (no
 *   weight: attention's Q.K^T and P.V) is reported as `attention`, one with a weight as `matmul`;
 * - Gemm: 2 * M * N * K; Conv: 2 * prod(output) * prod(weight dims after the first) (= Cin / group * kernel);
 * - Einsum: 2 * the product of every index's size; ConvTranspose: 2 * prod(input) * prod(weight dims after the first);
 * - com.microsoft MultiHeadAttention: its Q.K^T and P.V, as the MatMuls it fuses (reported as `attention`).
 * Normalisation, activations, softmax and other elementwise work are not counted (conventional, and
 * memory-bound). A node the walk cannot size leaves its outputs unknown; counting a FLOP node with an
 * unknown input throws, so a count is never silently short.
 */

/** What {@link countFlops} reports. */
export interface FlopCount {
  /** All counted FLOPs. */
  total: number;
  /** By kind: MatMul with a weight, attention MatMul (both operands computed), Gemm, Conv, Einsum, ConvTranspose. */
  byKind: Record<'matmul' | 'attention' | 'gemm' | 'conv' | 'einsum' | 'convTranspose', number>;
  /** Nodes counted. */
  nodes: number;
  /** Op types the walk does not know (their outputs stay unsized; none of them fed a counted node). */
  unknownOps: string[];
}

/** Shape inference state for one value: dims (null = unknown), element type, values of small tensors. */
interface Value {
  dims: number[] | null;
  int: boolean;
  data?: number[];
  /** Constant: an initializer or computed only from constants (a MatMul operand that is a weight). */
  constant: boolean;
}

/** Values are kept for tensors up to this many elements (shape arithmetic, positions, masks of short inputs). */
const MAX_DATA = 1 << 16;

const prod = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

class ShapeError extends Error {}

function attrInt(n: OnnxNode, name: string, dflt: number): number {
  return n.attributes.get(name)?.i ?? dflt;
}
function attrInts(n: OnnxNode, name: string): number[] | undefined {
  return n.attributes.get(name)?.ints;
}

function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ShapeError(`cannot broadcast [${a.join(',')}] with [${b.join(',')}]`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = (s[i + 1] as number) * (dims[i + 1] as number);
  return s;
}

/** Elementwise with multidirectional broadcasting over any number of operands that all have values. */
function mapBroadcast(vals: Value[], outDims: number[], fn: (xs: number[]) => number): number[] | undefined {
  const n = prod(outDims);
  if (n > MAX_DATA || vals.some((v) => !v.data || !v.dims)) return undefined;
  const outStrides = strides(outDims);
  const ins = vals.map((v) => {
    const dims = v.dims as number[];
    const st = strides(dims);
    const off = outDims.length - dims.length;
    // per output axis: the stride in this operand (0 where broadcast)
    return { data: v.data as number[], st: outDims.map((_, k) => (k < off || dims[k - off] === 1 ? 0 : (st[k - off] as number))) };
  });
  const out = new Array<number>(n);
  const xs = new Array<number>(vals.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < ins.length; j++) {
      const op = ins[j] as { data: number[]; st: number[] };
      let at = 0;
      let rem = i;
      for (let k = 0; k < outDims.length; k++) {
        const q = Math.floor(rem / (outStrides[k] as number));
        rem -= q * (outStrides[k] as number);
        at += q * (op.st[k] as number);
      }
      xs[j] = op.data[at] as number;
    }
    out[i] = fn(xs);
  }
  return out;
}

const BINARY: Record<string, (a: number, b: number, int: boolean) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, int) => (int ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Mod: (a, b) => a - Math.floor(a / b) * b,
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  LessOrEqual: (a, b) => Number(a <= b),
  Greater: (a, b) => Number(a > b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(Boolean(a) && Boolean(b)),
  Or: (a, b) => Number(Boolean(a) || Boolean(b)),
  Xor: (a, b) => Number(Boolean(a) !== Boolean(b)),
  BitShift: (a) => a,
  PRelu: (a, b) => (a < 0 ? a * b : a),
};
const COMPARISONS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor']);
const VARIADIC: Record<string, (xs: number[]) => number> = {
  Max: (xs) => Math.max(...xs),
  Min: (xs) => Math.min(...xs),
  Sum: (xs) => xs.reduce((a, b) => a + b, 0),
  Mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
};
const UNARY: Record<string, ((x: number) => number) | null> = {
  Identity: (x) => x,
  Neg: (x) => -x,
  Abs: Math.abs,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  Sqrt: Math.sqrt,
  Reciprocal: (x) => 1 / x,
  Exp: Math.exp,
  Log: Math.log,
  Sign: Math.sign,
  Not: (x) => Number(!x),
  Relu: (x) => Math.max(0, x),
  IsNaN: (x) => Number(Number.isNaN(x)),
  // shape-preserving ops whose values never feed a shape
  Sigmoid: null,
  Tanh: null,
  Erf: null,
  Sin: null,
  Cos: null,
  Softmax: null,
  LogSoftmax: null,
  Gelu: null,
  FastGelu: null,
  BiasGelu: null,
  LeakyRelu: null,
  Elu: null,
  Selu: null,
  HardSigmoid: null,
  HardSwish: null,
  Softplus: null,
  Softsign: null,
  Clip: null,
  Dropout: null,
  LayerNormalization: null,
  SimplifiedLayerNormalization: null,
  SkipLayerNormalization: null,
  BatchNormalization: null,
  InstanceNormalization: null,
  GroupNormalization: null,
  LpNormalization: null,
  MeanVarianceNormalization: null,
  QuickGelu: null,
  Mish: null,
  Celu: null,
  ThresholdedRelu: null,
  Trilu: null,
  CumSum: null,
};

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

function permute(data: number[], dims: number[], perm: number[]): number[] {
  const outDims = perm.map((p) => dims[p] as number);
  const inSt = strides(dims);
  const outSt = strides(outDims);
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) {
    let rem = i;
    let at = 0;
    for (let k = 0; k < outDims.length; k++) {
      const q = Math.floor(rem / (outSt[k] as number));
      rem -= q * (outSt[k] as number);
      at += q * (inSt[perm[k] as number] as number);
    }
    out[i] = data[at] as number;
  }
  return out;
}

/** The FLOP counter's walk over one graph. */
class Walk {
  readonly values = new Map<string, Value>();
  readonly count: FlopCount = {
    total: 0,
    byKind: { matmul: 0, attention: 0, gemm: 0, conv: 0, einsum: 0, convTranspose: 0 },
    nodes: 0,
    unknownOps: [],
  };
  private readonly unknown = new Set<string>();

  constructor(private readonly graph: OnnxGraph) {
    for (const t of graph.initializers.values()) this.values.set(t.name, tensorValue(t));
  }

  private get(name: string | undefined): Value | undefined {
    if (!name) return undefined;
    return this.values.get(name);
  }
  private dims(n: OnnxNode, i: number): number[] {
    const v = this.get(n.inputs[i]);
    if (!v?.dims) throw new ShapeError(`${n.opType} ${n.name}: input ${i} (${n.inputs[i] ?? '-'}) has no known shape`);
    return v.dims;
  }
  private data(n: OnnxNode, i: number): number[] {
    const v = this.get(n.inputs[i]);
    if (!v?.data) throw new ShapeError(`${n.opType} ${n.name}: input ${i} (${n.inputs[i] ?? '-'}) has no known values`);
    return v.data;
  }
  private optData(n: OnnxNode, i: number): number[] | undefined {
    if (!n.inputs[i]) return undefined;
    return this.data(n, i);
  }
  private set(n: OnnxNode, i: number, v: Omit<Value, 'constant'> & { constant?: boolean }): void {
    const name = n.outputs[i];
    if (!name) return;
    const constant = v.constant ?? n.inputs.every((x) => !x || this.get(x)?.constant === true);
    const value: Value = { dims: v.dims, int: v.int, constant };
    if (v.data && v.data.length <= MAX_DATA) value.data = v.data;
    this.values.set(name, value);
  }
  private add(kind: keyof FlopCount['byKind'], flops: number): void {
    this.count.byKind[kind] += flops;
    this.count.total += flops;
    this.count.nodes += 1;
  }

  run(inputs: Record<string, readonly number[]>, inputValues: Record<string, readonly number[]> = {}): FlopCount {
    for (const i of this.graph.inputs) {
      if (this.graph.initializers.has(i.name)) continue;
      const given = inputs[i.name];
      if (!given) throw new Error(`no shape given for the graph input "${i.name}"`);
      if (i.dims && i.dims.length !== given.length)
        throw new Error(`input "${i.name}" has rank ${i.dims.length} in the graph, ${given.length} given`);
      i.dims?.forEach((d, k) => {
        if (typeof d === 'number' && d > 0 && d !== given[k])
          throw new Error(`input "${i.name}" dimension ${k} is ${d} in the graph, ${given[k]} given`);
      });
      const v: Value = { dims: [...given], int: isIntegerType(i.elemType), constant: false };
      const vals = inputValues[i.name];
      if (vals) v.data = [...vals];
      this.values.set(i.name, v);
    }
    for (const n of this.graph.nodes) {
      try {
        this.node(n);
      } catch (err) {
        if (err instanceof ShapeError) {
          if (COUNTED.has(n.opType)) throw new Error(`cannot count FLOPs: ${err.message}`);
          // an unsized value: only an error if a counted node reads it
          for (const o of n.outputs) this.values.set(o, { dims: null, int: false, constant: false });
        } else throw err;
      }
    }
    this.count.unknownOps = [...this.unknown].sort();
    return this.count;
  }

  private node(n: OnnxNode): void {
    const op = n.domain === '' || n.domain === 'ai.onnx' || n.domain === 'com.microsoft' ? n.opType : `${n.domain}.${n.opType}`;
    const opset = this.graph.opsets.get('') ?? 17;
    if (op in BINARY) {
      const a = this.get(n.inputs[0]);
      const b = this.get(n.inputs[1]);
      const dims = broadcast(this.dims(n, 0), this.dims(n, 1));
      const int = COMPARISONS.has(op) || Boolean(a?.int);
      const fn = BINARY[op] as (a: number, b: number, int: boolean) => number;
      const data = a && b ? mapBroadcast([a, b], dims, ([x, y]) => fn(x as number, y as number, Boolean(a.int))) : undefined;
      this.set(n, 0, { dims, int, data });
      return;
    }
    if (op in VARIADIC) {
      const vals = n.inputs.map((x) => this.get(x) as Value);
      let dims: number[] = [];
      n.inputs.forEach((_, i) => (dims = broadcast(dims, this.dims(n, i))));
      this.set(n, 0, { dims, int: Boolean(vals[0]?.int), data: mapBroadcast(vals, dims, VARIADIC[op] as (xs: number[]) => number) });
      return;
    }
    if (op in UNARY) {
      const v = this.get(n.inputs[0]);
      const fn = UNARY[op];
      const dims = this.dims(n, 0);
      const int = op === 'Not' || op === 'IsNaN' ? true : Boolean(v?.int);
      this.set(n, 0, { dims, int, data: fn && v?.data ? v.data.map(fn) : undefined });
      if (op === 'Dropout' && n.outputs[1]) this.set(n, 1, { dims, int: true });
      return;
    }
    switch (op) {
      case 'Constant': {
        const a = [...n.attributes.values()][0] as OnnxAttribute;
        let t: OnnxTensor;
        if (a.t) t = a.t;
        else if (a.name === 'value_float') t = { name: '', dims: [], dataType: DataType.FLOAT, values: [a.f ?? 0] };
        else if (a.name === 'value_floats')
          t = { name: '', dims: [a.floats?.length ?? 0], dataType: DataType.FLOAT, values: a.floats ?? [] };
        else if (a.name === 'value_int') t = { name: '', dims: [], dataType: DataType.INT64, values: [a.i ?? 0] };
        else if (a.name === 'value_ints') t = { name: '', dims: [a.ints?.length ?? 0], dataType: DataType.INT64, values: a.ints ?? [] };
        else throw new ShapeError(`Constant ${n.name}: unsupported attribute ${a.name}`);
        this.values.set(n.outputs[0] as string, tensorValue(t));
        return;
      }
      case 'Cast':
      case 'CastLike': {
        const v = this.get(n.inputs[0]);
        const to = op === 'Cast' ? attrInt(n, 'to', DataType.FLOAT) : this.get(n.inputs[1])?.int ? DataType.INT64 : DataType.FLOAT;
        const int = isIntegerType(to);
        const data = v?.data ? (int ? v.data.map((x) => (to === DataType.BOOL ? Number(x !== 0) : Math.trunc(x))) : v.data) : undefined;
        this.set(n, 0, { dims: this.dims(n, 0), int, data });
        return;
      }
      case 'Shape': {
        const d = this.dims(n, 0);
        const r = d.length;
        const clamp = (x: number): number => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
        const out = d.slice(clamp(attrInt(n, 'start', 0)), clamp(attrInt(n, 'end', r)));
        this.set(n, 0, { dims: [out.length], int: true, data: out, constant: true });
        return;
      }
      case 'Size':
        this.set(n, 0, { dims: [], int: true, data: [prod(this.dims(n, 0))], constant: true });
        return;
      case 'Gather': {
        const d = this.dims(n, 0);
        const idx = this.dims(n, 1);
        const axis = normAxis(attrInt(n, 'axis', 0), d.length);
        const dims = [...d.slice(0, axis), ...idx, ...d.slice(axis + 1)];
        const v = this.get(n.inputs[0]);
        const iv = this.get(n.inputs[1]);
        let data: number[] | undefined;
        if (v?.data && iv?.data && prod(dims) <= MAX_DATA) {
          const outer = prod(d.slice(0, axis));
          const inner = prod(d.slice(axis + 1));
          const ax = d[axis] as number;
          data = [];
          for (let o = 0; o < outer; o++)
            for (const raw of iv.data) {
              const i = raw < 0 ? raw + ax : raw;
              for (let k = 0; k < inner; k++) data.push(v.data[(o * ax + i) * inner + k] as number);
            }
        }
        this.set(n, 0, { dims, int: Boolean(v?.int), data });
        return;
      }
      case 'GatherElements':
      case 'GatherND':
        if (op === 'GatherND') throw new ShapeError('GatherND is not sized');
        this.set(n, 0, { dims: this.dims(n, 1), int: Boolean(this.get(n.inputs[0])?.int) });
        return;
      case 'Unsqueeze': {
        const d = this.dims(n, 0);
        const axesRaw = opset >= 13 ? this.optData(n, 1) : attrInts(n, 'axes');
        if (!axesRaw) throw new ShapeError(`Unsqueeze ${n.name}: no axes`);
        const r = d.length + axesRaw.length;
        const axes = new Set(axesRaw.map((a) => normAxis(a, r)));
        const dims: number[] = [];
        let k = 0;
        for (let i = 0; i < r; i++) dims.push(axes.has(i) ? 1 : (d[k++] as number));
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int), data: this.get(n.inputs[0])?.data });
        return;
      }
      case 'Squeeze': {
        const d = this.dims(n, 0);
        const axesRaw = opset >= 13 ? this.optData(n, 1) : attrInts(n, 'axes');
        const axes = axesRaw ? new Set(axesRaw.map((a) => normAxis(a, d.length))) : null;
        const dims = d.filter((x, i) => (axes ? !axes.has(i) : x !== 1));
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int), data: this.get(n.inputs[0])?.data });
        return;
      }
      case 'Concat': {
        const all = n.inputs.map((_, i) => this.dims(n, i));
        const first = all[0] as number[];
        const axis = normAxis(attrInt(n, 'axis', 0), first.length);
        const dims = [...first];
        dims[axis] = all.reduce((s, d) => s + (d[axis] as number), 0);
        const vals = n.inputs.map((x) => this.get(x));
        let data: number[] | undefined;
        if (vals.every((v) => v?.data) && prod(dims) <= MAX_DATA) {
          const outer = prod(first.slice(0, axis));
          data = [];
          for (let o = 0; o < outer; o++)
            vals.forEach((v, i) => {
              const block = prod((all[i] as number[]).slice(axis));
              for (let k = 0; k < block; k++) (data as number[]).push((v?.data as number[])[o * block + k] as number);
            });
        }
        this.set(n, 0, { dims, int: Boolean(vals[0]?.int), data });
        return;
      }
      case 'Reshape': {
        const d = this.dims(n, 0);
        const target = opset >= 5 ? this.data(n, 1) : (attrInts(n, 'shape') ?? []);
        const allowZero = attrInt(n, 'allowzero', 0) === 1;
        const dims = target.map((t, i) => (t === 0 && !allowZero ? (d[i] as number) : t));
        const neg = dims.indexOf(-1);
        if (neg >= 0) {
          const known = prod(dims.filter((_, i) => i !== neg));
          dims[neg] = known === 0 ? 0 : prod(d) / known;
        }
        if (prod(dims) !== prod(d) || !dims.every(Number.isInteger))
          throw new ShapeError(`Reshape ${n.name}: [${d.join(',')}] cannot become [${target.join(',')}]`);
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int), data: this.get(n.inputs[0])?.data });
        return;
      }
      case 'Flatten': {
        const d = this.dims(n, 0);
        const axis = attrInt(n, 'axis', 1);
        const a = axis < 0 ? axis + d.length : axis;
        this.set(n, 0, {
          dims: [prod(d.slice(0, a)), prod(d.slice(a))],
          int: Boolean(this.get(n.inputs[0])?.int),
          data: this.get(n.inputs[0])?.data,
        });
        return;
      }
      case 'Transpose': {
        const d = this.dims(n, 0);
        const perm = attrInts(n, 'perm') ?? d.map((_, i) => d.length - 1 - i);
        const v = this.get(n.inputs[0]);
        const dims = perm.map((p) => d[p] as number);
        this.set(n, 0, { dims, int: Boolean(v?.int), data: v?.data ? permute(v.data, d, perm) : undefined });
        return;
      }
      case 'Slice':
        this.slice(n, opset);
        return;
      case 'Split': {
        const d = this.dims(n, 0);
        const axis = normAxis(attrInt(n, 'axis', 0), d.length);
        const given = (opset >= 13 ? this.optData(n, 1) : undefined) ?? attrInts(n, 'split');
        const parts = n.outputs.length;
        const len = d[axis] as number;
        const sizes =
          given ?? Array.from({ length: parts }, (_, i) => Math.min(Math.ceil(len / parts), Math.max(0, len - i * Math.ceil(len / parts))));
        sizes.forEach((s, i) => {
          const dims = [...d];
          dims[axis] = s;
          this.set(n, i, { dims, int: Boolean(this.get(n.inputs[0])?.int) });
        });
        return;
      }
      case 'Where': {
        const vals = [0, 1, 2].map((i) => this.get(n.inputs[i]) as Value);
        const dims = broadcast(broadcast(this.dims(n, 0), this.dims(n, 1)), this.dims(n, 2));
        this.set(n, 0, {
          dims,
          int: Boolean(vals[1]?.int),
          data: mapBroadcast(vals, dims, ([c, x, y]) => (c ? (x as number) : (y as number))),
        });
        return;
      }
      case 'ConstantOfShape': {
        const dims = this.data(n, 0);
        const t = n.attributes.get('value')?.t;
        const fill = t?.values?.[0] ?? 0;
        const int = t ? isIntegerType(t.dataType) : false;
        this.set(n, 0, { dims, int, data: prod(dims) <= MAX_DATA ? new Array<number>(prod(dims)).fill(fill) : undefined, constant: true });
        return;
      }
      case 'Expand': {
        const shape = this.data(n, 1);
        const v = this.get(n.inputs[0]) as Value;
        const dims = broadcast(this.dims(n, 0), shape);
        this.set(n, 0, { dims, int: v.int, data: mapBroadcast([v], dims, ([x]) => x as number) });
        return;
      }
      case 'Tile': {
        const d = this.dims(n, 0);
        const reps = this.data(n, 1);
        this.set(n, 0, { dims: d.map((x, i) => x * (reps[i] as number)), int: Boolean(this.get(n.inputs[0])?.int) });
        return;
      }
      case 'Range': {
        const [start, limit, delta] = [0, 1, 2].map((i) => this.data(n, i)[0] as number) as [number, number, number];
        const len = Math.max(Math.ceil((limit - start) / delta), 0);
        const data = len <= MAX_DATA ? Array.from({ length: len }, (_, i) => start + i * delta) : undefined;
        this.set(n, 0, { dims: [len], int: Boolean(this.get(n.inputs[0])?.int), data });
        return;
      }
      case 'Pad': {
        const d = this.dims(n, 0);
        const pads = opset >= 11 ? this.data(n, 1) : (attrInts(n, 'pads') ?? []);
        const axesRaw = this.optData(n, 3);
        const axes = axesRaw ? axesRaw.map((a) => normAxis(a, d.length)) : d.map((_, i) => i);
        const dims = [...d];
        axes.forEach((ax, i) => {
          dims[ax] = (dims[ax] as number) + (pads[i] as number) + (pads[i + axes.length] as number);
        });
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int) });
        return;
      }
      case 'Resize':
      case 'Upsample': {
        const d = this.dims(n, 0);
        const sizes = op === 'Resize' ? this.optData(n, 3) : undefined;
        const scales = op === 'Resize' ? (opset >= 11 ? this.optData(n, 2) : this.optData(n, 1)) : this.data(n, 1);
        const axesAttr = attrInts(n, 'axes');
        const axes = axesAttr ? axesAttr.map((a) => normAxis(a, d.length)) : d.map((_, i) => i);
        const dims = [...d];
        if (sizes && sizes.length) axes.forEach((ax, i) => (dims[ax] = sizes[i] as number));
        else if (scales && scales.length) axes.forEach((ax, i) => (dims[ax] = Math.floor((d[ax] as number) * (scales[i] as number))));
        else throw new ShapeError(`${op} ${n.name}: neither sizes nor scales known`);
        this.set(n, 0, { dims, int: false });
        return;
      }
      case 'GlobalAveragePool':
      case 'GlobalMaxPool': {
        const d = this.dims(n, 0);
        this.set(n, 0, { dims: d.map((x, i) => (i < 2 ? x : 1)), int: false });
        return;
      }
      case 'MaxPool':
      case 'AveragePool':
      case 'LpPool': {
        const d = this.dims(n, 0);
        const kernel = attrInts(n, 'kernel_shape') ?? [];
        this.set(n, 0, { dims: [d[0] as number, d[1] as number, ...this.spatial(n, d.slice(2), kernel)], int: false });
        if (n.outputs[1]) this.set(n, 1, { dims: null, int: true });
        return;
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin':
      case 'ReduceProd':
      case 'ReduceL2':
      case 'ReduceL1':
      case 'ReduceSumSquare':
      case 'ReduceLogSumExp': {
        const d = this.dims(n, 0);
        const fromInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
        const axesRaw = fromInput ? this.optData(n, 1) : attrInts(n, 'axes');
        const noop = attrInt(n, 'noop_with_empty_axes', 0) === 1;
        const axes = new Set((axesRaw && axesRaw.length ? axesRaw : noop ? [] : d.map((_, i) => i)).map((a) => normAxis(a, d.length)));
        const keep = attrInt(n, 'keepdims', 1) === 1;
        const dims = keep ? d.map((x, i) => (axes.has(i) ? 1 : x)) : d.filter((_, i) => !axes.has(i));
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int) });
        return;
      }
      case 'ArgMax':
      case 'ArgMin': {
        const d = this.dims(n, 0);
        const axis = normAxis(attrInt(n, 'axis', 0), d.length);
        const keep = attrInt(n, 'keepdims', 1) === 1;
        this.set(n, 0, { dims: keep ? d.map((x, i) => (i === axis ? 1 : x)) : d.filter((_, i) => i !== axis), int: true });
        return;
      }
      case 'TopK': {
        const d = this.dims(n, 0);
        const k = opset >= 10 ? (this.data(n, 1)[0] as number) : attrInt(n, 'k', 1);
        const axis = normAxis(attrInt(n, 'axis', -1), d.length);
        const dims = d.map((x, i) => (i === axis ? k : x));
        this.set(n, 0, { dims, int: Boolean(this.get(n.inputs[0])?.int) });
        this.set(n, 1, { dims, int: true });
        return;
      }
      case 'MatMul':
      case 'FusedMatMul':
        this.matmul(n);
        return;
      case 'Gemm': {
        const a = this.dims(n, 0);
        const b = this.dims(n, 1);
        const ta = attrInt(n, 'transA', 0) === 1;
        const tb = attrInt(n, 'transB', 0) === 1;
        const [m, k] = ta ? [a[1] as number, a[0] as number] : [a[0] as number, a[1] as number];
        const nn = tb ? (b[0] as number) : (b[1] as number);
        this.add('gemm', 2 * m * nn * k);
        this.set(n, 0, { dims: [m, nn], int: false, constant: false });
        return;
      }
      case 'Conv': {
        const x = this.dims(n, 0);
        const w = this.dims(n, 1);
        const kernel = attrInts(n, 'kernel_shape') ?? w.slice(2);
        const dims = [x[0] as number, w[0] as number, ...this.spatial(n, x.slice(2), kernel)];
        this.add('conv', 2 * prod(dims) * prod(w.slice(1)));
        this.set(n, 0, { dims, int: false, constant: false });
        return;
      }
      case 'ConvTranspose': {
        const x = this.dims(n, 0);
        const w = this.dims(n, 1);
        const kernel = attrInts(n, 'kernel_shape') ?? w.slice(2);
        const st = attrInts(n, 'strides') ?? kernel.map(() => 1);
        const dil = attrInts(n, 'dilations') ?? kernel.map(() => 1);
        const pads = attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]);
        const outPad = attrInts(n, 'output_padding') ?? kernel.map(() => 0);
        const group = attrInt(n, 'group', 1);
        const given = attrInts(n, 'output_shape');
        const spatial =
          given ??
          x
            .slice(2)
            .map(
              (s, i) =>
                (st[i] as number) * (s - 1) +
                (outPad[i] as number) +
                ((kernel[i] as number) - 1) * (dil[i] as number) +
                1 -
                (pads[i] as number) -
                (pads[i + kernel.length] as number),
            );
        const dims = [x[0] as number, (w[1] as number) * group, ...spatial];
        this.add('convTranspose', 2 * prod(x) * prod(w.slice(1)));
        this.set(n, 0, { dims, int: false, constant: false });
        return;
      }
      case 'Einsum':
        this.einsum(n);
        return;
      case 'MultiHeadAttention':
        this.multiHeadAttention(n);
        return;
      default:
        this.unknown.add(op);
        throw new ShapeError(`${op} ${n.name}: unknown op`);
    }
  }

  private spatial(n: OnnxNode, inDims: number[], kernel: number[]): number[] {
    const st = attrInts(n, 'strides') ?? kernel.map(() => 1);
    const dil = attrInts(n, 'dilations') ?? kernel.map(() => 1);
    const autoPad = n.attributes.get('auto_pad')?.s ?? 'NOTSET';
    const ceil = attrInt(n, 'ceil_mode', 0) === 1;
    const pads = attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]);
    return inDims.map((s, i) => {
      const k = ((kernel[i] as number) - 1) * (dil[i] as number) + 1;
      const stride = st[i] as number;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(s / stride);
      const padded = autoPad === 'VALID' ? s : s + (pads[i] as number) + (pads[i + kernel.length] as number);
      const r = (padded - k) / stride;
      return (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
    });
  }

  private slice(n: OnnxNode, opset: number): void {
    const d = this.dims(n, 0);
    const starts = opset >= 10 ? this.data(n, 1) : (attrInts(n, 'starts') ?? []);
    const ends = opset >= 10 ? this.data(n, 2) : (attrInts(n, 'ends') ?? []);
    const axesRaw = opset >= 10 ? this.optData(n, 3) : attrInts(n, 'axes');
    const steps = (opset >= 10 ? this.optData(n, 4) : undefined) ?? starts.map(() => 1);
    const axes = (axesRaw ?? starts.map((_, i) => i)).map((a) => normAxis(a, d.length));
    const from = d.map(() => 0);
    const step = d.map(() => 1);
    const dims = [...d];
    axes.forEach((ax, i) => {
      const len = d[ax] as number;
      const s = steps[i] as number;
      let b = starts[i] as number;
      let e = ends[i] as number;
      if (b < 0) b += len;
      if (e < 0) e += len;
      if (s > 0) {
        b = Math.min(Math.max(b, 0), len);
        e = Math.min(Math.max(e, 0), len);
        dims[ax] = Math.max(0, Math.ceil((e - b) / s));
      } else {
        b = Math.min(Math.max(b, -1), len - 1);
        e = Math.min(Math.max(e, -1), len - 1);
        dims[ax] = Math.max(0, Math.ceil((e - b) / s));
      }
      from[ax] = b;
      step[ax] = s;
    });
    const v = this.get(n.inputs[0]);
    let data: number[] | undefined;
    if (v?.data && prod(dims) <= MAX_DATA) {
      const inSt = strides(d);
      const outSt = strides(dims);
      data = new Array<number>(prod(dims));
      for (let i = 0; i < data.length; i++) {
        let rem = i;
        let at = 0;
        for (let k = 0; k < dims.length; k++) {
          const q = Math.floor(rem / (outSt[k] as number));
          rem -= q * (outSt[k] as number);
          at += ((from[k] as number) + q * (step[k] as number)) * (inSt[k] as number);
        }
        data[i] = v.data[at] as number;
      }
    }
    this.set(n, 0, { dims, int: Boolean(v?.int), data });
  }

  private matmul(n: OnnxNode): void {
    const a0 = this.dims(n, 0);
    const b0 = this.dims(n, 1);
    const a = a0.length === 1 ? [1, a0[0] as number] : a0;
    const b = b0.length === 1 ? [b0[0] as number, 1] : b0;
    const k = a[a.length - 1] as number;
    if (k !== b[b.length - 2]) throw new ShapeError(`MatMul ${n.name}: [${a0.join(',')}] x [${b0.join(',')}]`);
    const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
    const dims = [...batch, a[a.length - 2] as number, b[b.length - 1] as number];
    this.add(this.get(n.inputs[0])?.constant || this.get(n.inputs[1])?.constant ? 'matmul' : 'attention', 2 * prod(dims) * k);
    const out = [...batch];
    if (a0.length !== 1) out.push(a[a.length - 2] as number);
    if (b0.length !== 1) out.push(b[b.length - 1] as number);
    this.set(n, 0, { dims: out, int: false, constant: false });
  }

  /**
   * com.microsoft MultiHeadAttention with separate query [B, S, D], key [B, L, D] and value [B, L, Dv] (what
   * training/moodshelf_train/onnx_fuse.py writes): Q.K^T and P.V, 2 * B * S * L * (D + Dv), as the MatMuls it
   * replaces counted. Packed or cached layouts are not sized (a count is never silently short).
   */
  private multiHeadAttention(n: OnnxNode): void {
    if (!n.inputs[1] || !n.inputs[2])
      throw new ShapeError(`MultiHeadAttention ${n.name}: only separate 3-D query, key and value are sized`);
    const q = this.dims(n, 0);
    const k = this.dims(n, 1);
    const v = this.dims(n, 2);
    if (q.length !== 3 || k.length !== 3 || v.length !== 3 || q[2] !== k[2] || k[1] !== v[1]) {
      throw new ShapeError(`MultiHeadAttention ${n.name}: only separate 3-D query, key and value are sized`);
    }
    const [b, s, d] = q as [number, number, number];
    const l = k[1] as number;
    const dv = v[2] as number;
    this.add('attention', 2 * b * s * l * (d + dv));
    this.set(n, 0, { dims: [b, s, dv], int: false, constant: false });
  }

  private einsum(n: OnnxNode): void {
    const eq = (n.attributes.get('equation')?.s ?? '').replace(/\s/g, '');
    if (eq.includes('.')) throw new ShapeError(`Einsum ${n.name}: ellipsis is not supported`);
    const [lhs, rhs] = eq.split('->') as [string, string | undefined];
    const terms = lhs.split(',');
    const size = new Map<string, number>();
    const seen = new Map<string, number>();
    terms.forEach((t, i) => {
      const d = this.dims(n, i);
      [...t].forEach((c, k) => {
        size.set(c, Math.max(size.get(c) ?? 1, d[k] as number));
        seen.set(c, (seen.get(c) ?? 0) + 1);
      });
    });
    const outLetters =
      rhs ??
      [...seen.keys()]
        .filter((c) => seen.get(c) === 1)
        .sort()
        .join('');
    this.add('einsum', 2 * prod([...size.values()]));
    this.set(n, 0, { dims: [...outLetters].map((c) => size.get(c) as number), int: false, constant: false });
  }
}

const COUNTED = new Set(['MatMul', 'FusedMatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Einsum', 'MultiHeadAttention']);

function tensorValue(t: OnnxTensor): Value {
  const v: Value = { dims: [...t.dims], int: isIntegerType(t.dataType), constant: true };
  if (t.values && t.values.length <= MAX_DATA) v.data = t.values;
  return v;
}

/**
 * Counts the FLOPs of one run of `graph` with the given input shapes (every graph input that is not an
 * initializer needs one). `inputValues` gives the values of integer inputs a shape depends on (rarely needed).
 */
export function countFlops(
  graph: OnnxGraph,
  inputs: Record<string, readonly number[]>,
  inputValues?: Record<string, readonly number[]>,
): FlopCount {
  return new Walk(graph).run(inputs, inputValues);
}

/** {@link countFlops} over an ONNX file, read without loading its weights. */
export function countFileFlops(
  file: string,
  inputs: Record<string, readonly number[]>,
  inputValues?: Record<string, readonly number[]>,
): FlopCount {
  return countFlops(readOnnxFile(file), inputs, inputValues);
}
