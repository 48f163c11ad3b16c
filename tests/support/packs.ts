import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed tiny joint pack (made by `python -m moodshelf_train make-tiny-packs`). */
export const TINY_PACK = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'packs', 'tiny-joint');

/** Reference outputs the pack generator computed with PyTorch/ONNX Runtime/sentence-transformers. */
export interface PackReference {
  tolerance: number;
  waveform: { sampleRate: number; samples: number; first: number[] };
  normalizedInput: { first: number[]; last: number[] };
  features: { layers: number[]; values: number[] };
  embedding: { raw: number[]; normalized: number[] };
  labels: Record<string, { inputIds: number[]; embedding: number[]; cosine: number }>;
  vocabularies: Record<string, { cosines: number[]; topK: number; topIndices: number[]; topLabels: string[] }>;
}

/** Loads tests/fixtures/packs/reference.json. */
export function packReference(): PackReference {
  return JSON.parse(readFileSync(join(TINY_PACK, '..', 'reference.json'), 'utf8')) as PackReference;
}

/** The reference waveform (formula in reference.json). */
export function referenceWaveform(rate: number, samples: number): Float32Array {
  const w = new Float32Array(samples);
  for (let n = 0; n < samples; n++) {
    const t = n / rate;
    w[n] = 0.5 * Math.sin(2 * Math.PI * 220 * t) + 0.25 * Math.sin(2 * Math.PI * 554.37 * t + 0.3) + 0.1 * Math.sin(2 * Math.PI * 3 * t);
  }
  return w;
}

/** The tiny CLAP fixture pack (kind clap; its `clap/` folder is a transformers.js CLAP repository). */
export const TINY_CLAP = join(TINY_PACK, '..', 'tiny-clap');

// --- A minimal protobuf reader/writer, enough to rewrite the weights of an ONNX model. ---

interface PbField {
  no: number;
  wire: number;
  value: bigint | Uint8Array;
}

function pbDecode(buf: Uint8Array): PbField[] {
  const out: PbField[] = [];
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++] as number;
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const no = tag >> 3;
    const wire = tag & 7;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ no, wire, value: buf.subarray(i, i + n) });
      i += n;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      out.push({ no, wire, value: buf.subarray(i, i + n) });
      i += n;
    } else throw new Error(`protobuf wire type ${wire} not supported`);
  }
  return out;
}

function pbVarint(v: bigint | number): Buffer {
  let x = BigInt.asUintN(64, BigInt(v));
  const bytes: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    bytes.push(b);
  } while (x > 0n);
  return Buffer.from(bytes);
}

function pbEncode(fields: PbField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(pbVarint((f.no << 3) | f.wire));
    if (f.wire === 0) parts.push(pbVarint(f.value as bigint));
    else if (f.wire === 2) parts.push(pbVarint((f.value as Uint8Array).length), Buffer.from(f.value as Uint8Array));
    else parts.push(Buffer.from(f.value as Uint8Array));
  }
  return Buffer.concat(parts);
}

const str = (no: number, s: string): PbField => ({ no, wire: 2, value: Buffer.from(s) });
const int = (no: number, v: number): PbField => ({ no, wire: 0, value: BigInt(v) });
const msg = (no: number, fields: PbField[]): PbField => ({ no, wire: 2, value: pbEncode(fields) });

/** ONNX TensorProto: dims 1, data_type 2, name 8, raw_data 9. */
function tensor(name: string, dims: number[], dataType: number, raw: Uint8Array): PbField[] {
  return [...dims.map((d) => int(1, d)), int(2, dataType), str(8, name), { no: 9, wire: 2, value: raw }];
}

/** ONNX NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 (name 1, i 3, type 20). */
function node(op: string, inputs: string[], output: string, attrs: Record<string, number> = {}): PbField {
  return msg(1, [
    ...inputs.map((x) => str(1, x)),
    str(2, output),
    str(3, `${op}_${output}`),
    str(4, op),
    ...Object.entries(attrs).map(([k, v]) => msg(5, [str(1, k), int(3, v), int(20, 2)])),
  ]);
}

function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0] as number;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return exp < -10 ? sign : sign | ((mant | 0x800000) >> (1 - exp + 13));
  if (exp >= 31) return sign | 0x7c00;
  const h = sign | (exp << 10) | (mant >> 13);
  return mant & 0x1000 ? h + 1 : h; // round half up on the dropped bits
}

/**
 * A real lower-precision copy of an ONNX model: every float32 weight of 64 or more values is stored as
 * float16 behind a Cast (fp16), or as symmetric per-tensor int8 behind a DequantizeLinear (q8); the graph
 * computes as before in float32 with float32 inputs and outputs (as transformers.js exports keep them).
 */
export function lowerPrecision(model: Uint8Array, precision: 'fp16' | 'q8'): Buffer {
  return pbEncode(
    pbDecode(model).map((top) => {
      if (top.no !== 7) return top;
      const added: PbField[] = [];
      const graph = pbDecode(top.value as Uint8Array).flatMap((g): PbField[] => {
        if (g.no !== 5) return [g];
        const t = pbDecode(g.value as Uint8Array);
        const dims = t.filter((f) => f.no === 1).map((f) => Number(f.value));
        const dataType = Number(t.find((f) => f.no === 2)?.value ?? 0);
        const name = Buffer.from(t.find((f) => f.no === 8)?.value as Uint8Array).toString();
        const raw = t.find((f) => f.no === 9)?.value as Uint8Array | undefined;
        const count = dims.reduce((a, b) => a * b, 1);
        if (dataType !== 1 || !raw || count < 64) return [g];
        const values = new Float32Array(Uint8Array.from(raw).buffer);
        if (precision === 'fp16') {
          const half = Uint16Array.from(values, toHalf);
          added.push(node('Cast', [`${name}__fp16`], name, { to: 1 }));
          return [msg(5, tensor(`${name}__fp16`, dims, 10, new Uint8Array(half.buffer)))];
        }
        const scale = values.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12) / 127;
        const q = Int8Array.from(values, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));
        added.push(node('DequantizeLinear', [`${name}__q`, `${name}__scale`, `${name}__zp`], name));
        return [
          msg(5, tensor(`${name}__q`, dims, 3, new Uint8Array(q.buffer))),
          msg(5, tensor(`${name}__scale`, [], 1, new Uint8Array(Float32Array.of(scale).buffer))),
          msg(5, tensor(`${name}__zp`, [], 3, Uint8Array.of(0))),
        ];
      });
      return { ...top, value: pbEncode([...added, ...graph]) };
    }),
  );
}

/**
 * Writes a transformers.js CLAP repository with every precision's towers, as the Xenova repositories
 * have them: `onnx/{audio,text}_model{,_fp16,_quantized}.onnx` (the fp16 and q8 towers are real
 * lower-precision copies of the tiny CLAP), the configuration files, and files an install must not
 * fetch (a combined `onnx/model*.onnx`, README.md, merges.txt, vocab.json). Returns the folder.
 */
export function writeClapRepo(dir: string): string {
  const src = join(TINY_CLAP, 'clap');
  cpSync(src, dir, { recursive: true });
  for (const tower of ['audio_model', 'text_model']) {
    const fp32 = readFileSync(join(src, 'onnx', `${tower}.onnx`));
    writeFileSync(join(dir, 'onnx', `${tower}_fp16.onnx`), lowerPrecision(fp32, 'fp16'));
    writeFileSync(join(dir, 'onnx', `${tower}_quantized.onnx`), lowerPrecision(fp32, 'q8'));
  }
  cpSync(join(src, 'onnx', 'audio_model.onnx'), join(dir, 'onnx', 'model.onnx'));
  cpSync(join(dir, 'onnx', 'audio_model_quantized.onnx'), join(dir, 'onnx', 'model_quantized.onnx'));
  writeFileSync(join(dir, 'README.md'), '# tiny CLAP\n');
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n');
  writeFileSync(join(dir, 'vocab.json'), '{}\n');
  return dir;
}

/**
 * Writes a transformers.js sentence-embedding repository (the all-MiniLM-L6-v2 layout) from the tiny
 * joint pack's label encoder, with `onnx/model{,_fp16,_quantized}.onnx` and files an install must not
 * fetch. Returns the folder.
 */
export function writeSentenceRepo(dir: string): string {
  const src = join(TINY_PACK, 'label-encoder');
  cpSync(src, dir, { recursive: true });
  const fp32 = readFileSync(join(src, 'onnx', 'model.onnx'));
  writeFileSync(join(dir, 'onnx', 'model_fp16.onnx'), lowerPrecision(fp32, 'fp16'));
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), lowerPrecision(fp32, 'q8'));
  writeFileSync(join(dir, 'vocab.txt'), '[PAD]\n');
  return dir;
}
