import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { countFileFlops, countFlops } from '../../src/core/model/onnx-flops.js';
import { parseOnnx, readOnnxFile } from '../../src/core/model/onnx-proto.js';
import { buildOnnxModel, type ModelSpec } from '../support/onnx-builder.js';

const PACKS = resolve(import.meta.dirname, '..', 'fixtures', 'packs');
const ramp = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i % 7) - 3) / 10);

/**
 * A small graph with every kind the counter knows, shapes flowing through the exporter's usual shape
 * arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), batch and sequence left symbolic:
 *   h = x[B,T,16] @ W1[16,32]                                 2*B*T*16*32 (matmul, weight)
 *   q = transpose(reshape(h, [B,T,4,8]), [0,2,1,3])  [B,4,T,8]
 *   s = q @ transpose(.., [0,2,3,1]) [B,4,8,T]                2*B*4*T*T*8 (attention)
 *   o = softmax(s) @ q                                        2*B*4*T*T*8 (attention)
 *   c = conv1d(a[B,4,50], Wc[8,2,3], group 2, stride 2, pad 1) -> [B,8,25]: 2*B*8*25*(2*3)
 *   g = gemm(mean(h, axis 1)[B,32], G[64,32]^T)               2*B*64*32
 *   m = h[:, 1:-1, :] @ W2[32,5]                              2*B*(T-2)*32*5 (matmul, weight)
 */
function spec(): ModelSpec {
  const i64 = (name: string, values: number[], dims = [values.length]) => ({
    op: 'Constant',
    inputs: [],
    outputs: [name],
    attrs: { value: { tensor: { dims, int64: values } } },
  });
  return {
    initializers: [
      { name: 'W1', dims: [16, 32], float32: ramp(16 * 32) },
      { name: 'W2', dims: [32, 5], float32: ramp(32 * 5) },
      { name: 'Wc', dims: [8, 2, 3], float32: ramp(8 * 2 * 3) },
      { name: 'G', dims: [64, 32], float32: ramp(64 * 32) },
      { name: 'heads', dims: [2], int64: [4, 8] },
    ],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['h'] },
      { op: 'Shape', inputs: ['h'], outputs: ['hs'] },
      i64('zero', [0], []),
      i64('one', [1], []),
      i64('axis0', [0]),
      { op: 'Gather', inputs: ['hs', 'zero'], outputs: ['b'], attrs: { axis: 0 } },
      { op: 'Gather', inputs: ['hs', 'one'], outputs: ['t'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['b', 'axis0'], outputs: ['b1'] },
      { op: 'Unsqueeze', inputs: ['t', 'axis0'], outputs: ['t1'] },
      { op: 'Concat', inputs: ['b1', 't1', 'heads'], outputs: ['shape4'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['h', 'shape4'], outputs: ['h4'] },
      { op: 'Transpose', inputs: ['h4'], outputs: ['q'], attrs: { perm: [0, 2, 1, 3] } },
      { op: 'Transpose', inputs: ['h4'], outputs: ['kT'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'MatMul', inputs: ['q', 'kT'], outputs: ['scores'] },
      { op: 'Softmax', inputs: ['scores'], outputs: ['p'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['p', 'q'], outputs: ['attn'] },
      { op: 'Conv', inputs: ['a', 'Wc'], outputs: ['conv'], attrs: { group: 2, strides: [2], pads: [1, 1], kernel_shape: [3] } },
      { op: 'ReduceMean', inputs: ['h'], outputs: ['pooled'], attrs: { axes: [1], keepdims: 0 } },
      { op: 'Gemm', inputs: ['pooled', 'G'], outputs: ['gemm'], attrs: { transB: 1, alpha: { f: 1 } } },
      i64('starts', [1]),
      i64('ends', [-1]),
      i64('axis1', [1]),
      { op: 'Slice', inputs: ['h', 'starts', 'ends', 'axis1'], outputs: ['mid'] },
      { op: 'MatMul', inputs: ['mid', 'W2'], outputs: ['m'] },
    ],
    inputs: [
      { name: 'x', dims: ['batch', 'sequence', 16] },
      { name: 'a', dims: ['batch', 4, 50] },
    ],
    outputs: [
      { name: 'attn', dims: ['batch', 4, 'sequence', 8] },
      { name: 'conv', dims: ['batch', 8, 25] },
      { name: 'gemm', dims: ['batch', 64] },
      { name: 'm', dims: ['batch', 'sequence_minus_2', 5] },
    ],
  };
}

const work = mkdtempSync(join(tmpdir(), 'moodshelf-flops-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('FLOPs counted from an ONNX graph', () => {
  const model = buildOnnxModel(spec());

  it('counts a hand-computed graph exactly, for any batch and sequence length', () => {
    const graph = parseOnnx(model);
    for (const [B, T] of [
      [2, 10],
      [1, 7],
      [3, 33],
    ] as const) {
      const c = countFlops(graph, { x: [B, T, 16], a: [B, 4, 50] });
      const matmul = 2 * B * T * 16 * 32 + 2 * B * (T - 2) * 32 * 5;
      const attention = 2 * (2 * B * 4 * T * T * 8);
      const conv = 2 * B * 8 * 25 * (2 * 3);
      const gemm = 2 * B * 64 * 32;
      expect(c.byKind).toEqual({ matmul, attention, gemm, conv, einsum: 0, convTranspose: 0 });
      expect(c.total).toBe(matmul + attention + conv + gemm);
      expect(c.nodes).toBe(6);
      expect(c.unknownOps).toEqual([]);
    }
    // B=2, T=10 by hand: 20480 + 5120 (weights) + 25600 (attention) + 4800 (conv) + 8192 (gemm)
    expect(countFlops(graph, { x: [2, 10, 16], a: [2, 4, 50] }).total).toBe(64192);
  });

  it('is a graph ONNX Runtime runs, with the output shapes the walk inferred', async () => {
    const file = join(work, 'hand.onnx');
    writeFileSync(file, model);
    const session = await ort.InferenceSession.create(file);
    try {
      const out = await session.run({
        x: new ort.Tensor('float32', Float32Array.from(ramp(2 * 10 * 16)), [2, 10, 16]),
        a: new ort.Tensor('float32', Float32Array.from(ramp(2 * 4 * 50)), [2, 4, 50]),
      });
      expect(out.attn?.dims).toEqual([2, 4, 10, 8]);
      expect(out.conv?.dims).toEqual([2, 8, 25]);
      expect(out.gemm?.dims).toEqual([2, 64]);
      expect(out.m?.dims).toEqual([2, 8, 5]);
    } finally {
      await session.release();
    }
    // the file reader (windowed) reads the same graph as the buffer parser
    const fromFile = readOnnxFile(file);
    expect(fromFile.nodes.map((n) => n.opType)).toEqual(parseOnnx(model).nodes.map((n) => n.opType));
    expect(fromFile.initializers.get('heads')?.values).toEqual([4, 8]);
    expect(fromFile.inputs[0]).toEqual({ name: 'x', elemType: 1, dims: ['batch', 'sequence', 16] });
  });

  it('refuses to count a FLOP node whose input it cannot size, and rejects missing or wrong input shapes', () => {
    const s = spec();
    const broken = buildOnnxModel({
      ...s,
      nodes: [
        { op: 'NonZero', inputs: ['x'], outputs: ['nz'] },
        { op: 'MatMul', inputs: ['nz', 'W1'], outputs: ['h'] },
      ],
      outputs: [{ name: 'h', dims: ['n', 32] }],
    });
    expect(() => countFlops(parseOnnx(broken), { x: [2, 10, 16], a: [2, 4, 50] })).toThrow(/cannot count FLOPs/);
    const graph = parseOnnx(model);
    expect(() => countFlops(graph, { x: [2, 10, 16] })).toThrow(/no shape given for the graph input "a"/);
    expect(() => countFlops(graph, { x: [2, 10, 17], a: [2, 4, 50] })).toThrow(/dimension 2 is 16/);
  });

  it('reads negative int64 constants and both int64 encodings', () => {
    const m = buildOnnxModel({
      initializers: [{ name: 'shape', dims: [2], int64: [-1, 8] }],
      nodes: [
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'] },
        { op: 'MatMul', inputs: ['y', 'W'], outputs: ['z'] },
      ],
      inputs: [
        { name: 'x', dims: [4, 6] },
        { name: 'W', dims: [8, 3] },
      ],
      outputs: [{ name: 'z', dims: [3, 3] }],
    });
    const g = parseOnnx(m);
    expect(g.initializers.get('shape')?.values).toEqual([-1, 8]);
    // W is a graph input, not a weight: its MatMul counts as activation x activation
    expect(countFlops(g, { x: [4, 6], W: [8, 3] }).byKind.attention).toBe(2 * 3 * 3 * 8);
  });

  it('counts a fused MultiHeadAttention as the Q.K^T and P.V it replaces, and ONNX Runtime runs that graph', async () => {
    // q, k, v = x @ Wq, Wk, Wv [16, 16]; MultiHeadAttention(q, k, v, bias) with 4 heads -> [B, T, 16]
    const m = buildOnnxModel({
      initializers: ['Wq', 'Wk', 'Wv']
        .map((name) => ({ name, dims: [16, 16], float32: ramp(256) }))
        .concat([{ name: 'bias', dims: [48], float32: ramp(48) }]),
      nodes: [
        { op: 'MatMul', inputs: ['x', 'Wq'], outputs: ['q'] },
        { op: 'MatMul', inputs: ['x', 'Wk'], outputs: ['k'] },
        { op: 'MatMul', inputs: ['x', 'Wv'], outputs: ['v'] },
        {
          op: 'MultiHeadAttention',
          domain: 'com.microsoft',
          inputs: ['q', 'k', 'v', 'bias'],
          outputs: ['y'],
          attrs: { num_heads: 4, scale: { f: 0.5 } },
        },
      ],
      inputs: [{ name: 'x', dims: ['batch', 'sequence', 16] }],
      outputs: [{ name: 'y', dims: ['batch', 'sequence', 16] }],
    });
    for (const [B, T] of [
      [1, 9],
      [2, 5],
    ] as const) {
      const c = countFlops(parseOnnx(m), { x: [B, T, 16] });
      expect(c.byKind.matmul).toBe(3 * 2 * B * T * 16 * 16);
      expect(c.byKind.attention).toBe(2 * B * T * T * (16 + 16));
      expect(c.nodes).toBe(4);
    }
    const file = join(work, 'mha.onnx');
    writeFileSync(file, m);
    const session = await ort.InferenceSession.create(file);
    try {
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(ramp(2 * 5 * 16)), [2, 5, 16]) });
      expect(out.y?.dims).toEqual([2, 5, 16]);
    } finally {
      await session.release();
    }
    // a packed query (QKV in one [B, T, heads, 3, head]) is not sized: refused rather than counted short
    const packed = buildOnnxModel({
      nodes: [{ op: 'MultiHeadAttention', domain: 'com.microsoft', inputs: ['qkv'], outputs: ['y'], attrs: { num_heads: 4 } }],
      inputs: [{ name: 'qkv', dims: [1, 5, 4, 3, 4] }],
      outputs: [{ name: 'y', dims: [1, 5, 16] }],
    });
    expect(() => countFlops(parseOnnx(packed), { qkv: [1, 5, 4, 3, 4] })).toThrow(/only separate 3-D query, key and value/);
  });

  it("matches PyTorch's FlopCounterMode on the committed tiny packs", () => {
    // torch.utils.flop_counter.FlopCounterMode over the same PyTorch modules the packs were exported from
    // (training/moodshelf_train: build_tiny_clap_models, tiny_hubert_config + random_hubert).
    expect(countFileFlops(join(PACKS, 'tiny-clap', 'clap', 'onnx', 'audio_model.onnx'), { input_features: [1, 1, 1001, 64] }).total).toBe(
      13_370_880,
    );
    expect(countFileFlops(join(PACKS, 'tiny-joint', 'audio', 'encoder.onnx'), { input_values: [1, 24000] }).total).toBe(13_186_752);
    expect(countFileFlops(join(PACKS, 'tiny-joint', 'audio', 'encoder.onnx'), { input_values: [1, 240000] }).total).toBe(261_845_952);
    expect(countFileFlops(join(PACKS, 'tiny-joint', 'audio', 'encoder.onnx'), { input_values: [3, 240000] }).total).toBe(3 * 261_845_952);
  });
});
