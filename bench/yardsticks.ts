// Yardsticks for bench:analyze, measured in the same run as the figures they judge:
// - the roofline: the best MatMul GFLOP/s over a few large shapes, the weight a CONSTANT (an ONNX initializer,
//   so ONNX Runtime can pre-pack it, as it does an encoder's weights), the output preallocated, best of N runs,
//   on sessions made with the app's own settings (the caller passes ModelRuntime.session);
// - the latency of a trivial request issued every ~20 ms while the analysis runs.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel } from '../tests/support/onnx-builder.js';
import { round1 } from './stats.mjs';

/** [M, K, N]: an encoder's FFN up and down projections at 750 frames (MERT), square 1024 and 2048. */
export const ROOFLINE_SHAPES: readonly (readonly [number, number, number])[] = [
  [750, 768, 3072],
  [750, 3072, 768],
  [1024, 1024, 1024],
  [2048, 2048, 2048],
];

export interface RooflineModel {
  file: string;
  m: number;
  k: number;
  n: number;
}

/** Writes one MatMul model per shape (C[M,N] = A[M,K] x W[K,N], W an initializer) into `dir`, once. */
export function writeRooflineModels(dir: string): RooflineModel[] {
  mkdirSync(dir, { recursive: true });
  return ROOFLINE_SHAPES.map(([m, k, n]) => {
    const file = join(dir, `matmul-const-${m}x${k}x${n}.onnx`);
    if (!existsSync(file)) {
      const w = new Float32Array(k * n);
      for (let i = 0; i < w.length; i++) w[i] = Math.cos(i) / Math.sqrt(k);
      writeFileSync(
        file,
        buildOnnxModel({
          initializers: [{ name: 'w', dims: [k, n], float32: w }],
          nodes: [{ op: 'MatMul', inputs: ['a', 'w'], outputs: ['c'] }],
          inputs: [{ name: 'a', dims: [m, k] }],
          outputs: [{ name: 'c', dims: [m, n] }],
        }),
      );
    }
    return { file, m, k, n };
  });
}

export interface RooflineResult {
  gflops: number;
  shapes: { shape: string; gflops: number; bestMs: number }[];
}

/** Best GFLOP/s over the shapes, each the best of `runs` timed runs after two warm-ups, output preallocated. */
export async function measureRoofline(
  session: (file: string) => Promise<ort.InferenceSession>,
  models: RooflineModel[],
  runs = 10,
): Promise<RooflineResult> {
  const shapes: RooflineResult['shapes'] = [];
  for (const { file, m, k, n } of models) {
    const s = await session(file);
    const a = new Float32Array(m * k);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i);
    const feeds = { a: new ort.Tensor('float32', a, [m, k]) };
    const fetches = { c: new ort.Tensor('float32', new Float32Array(m * n), [m, n]) };
    for (let i = 0; i < 2; i++) await s.run(feeds, fetches);
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await s.run(feeds, fetches);
      best = Math.min(best, performance.now() - t);
    }
    shapes.push({ shape: `${m}x${k}x${n}`, gflops: round1((2 * m * k * n) / (best / 1000) / 1e9), bestMs: round1(best) });
  }
  return { gflops: Math.max(...shapes.map((s) => s.gflops)), shapes };
}
