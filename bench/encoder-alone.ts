// The encoder alone, as bench:analyze's yardstick runs it (analyze-pack.ts, and encoder-lane.ts in each of
// the app's encoder lanes): the pack's audio session as the app's analysis loads it, on input prepared
// beforehand (a test signal; the encoders' cost does not depend on it), a batch at a time.
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@huggingface/transformers';
import { normalizeSegment } from '../src/core/model/joint-model.js';
import { clapAudioBatch } from '../src/core/model/clap-model.js';
import { DEFAULT_POLICY } from '../src/core/audio/segments.js';
import type { PackManifest } from '../src/core/model/manifest.js';
import type { ModelRuntime } from '../src/core/model/runtime.js';

/** A test signal with some structure (the encoders' cost does not depend on it). */
function segment(samples: number, rate: number): Float32Array {
  const x = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    x[i] = 0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 331 * t + 0.5) + 0.05 * Math.sin(i * 12.9898);
  }
  return x;
}

/**
 * The batch the app's analysis runs: the runtime's for a joint pack; for CLAP a track's quick windows go
 * through the tower together, up to clapAudioBatch.
 */
export function encoderBatch(runtime: Pick<ModelRuntime, 'batchSize'>, manifest: PackManifest): number {
  return manifest.kind === 'clap' ? Math.min(clapAudioBatch(runtime), DEFAULT_POLICY.count) : runtime.batchSize;
}

/** One run of the encoder on a prepared batch (the joint pack's encoder session; CLAP's audio tower through ModelRuntime.clapAudio). */
export async function prepareEncoder(
  runtime: ModelRuntime,
  manifest: PackManifest,
  packDir: string,
  batch: number,
): Promise<() => Promise<unknown>> {
  const a = manifest.audio;
  const samples = Math.round(a.sampleRate * a.segmentSeconds);
  const seg = segment(samples, a.sampleRate);
  if (manifest.kind === 'joint') {
    const session = await runtime.session(join(packDir, a.encoder));
    const one = a.normalize === 'zero-mean-unit-var' ? normalizeSegment(seg) : seg;
    const input = new Float32Array(batch * samples);
    for (let b = 0; b < batch; b++) input.set(one, b * samples);
    const feeds = { input_values: new ort.Tensor('float32', input, [batch, samples]) };
    return async () => {
      const out = await session.run(feeds);
      for (const v of Object.values(out)) v.dispose();
    };
  }
  // The CLAP audio tower as the app's analysis loads it: ModelRuntime.clapAudio with the manifest's folder and dtype.
  const clap = await runtime.clapAudio(join(packDir, manifest.labelEncoder.path), a.dtype ?? 'fp32');
  const features = ((await clap.processor(seg)) as { input_features: Tensor }).input_features;
  const one = features.data as Float32Array;
  const data = new Float32Array(batch * one.length);
  for (let b = 0; b < batch; b++) data.set(one, b * one.length);
  const inputs = { input_features: new Tensor('float32', data, [batch, ...(features.dims as number[]).slice(1)]) };
  return () => clap.audio(inputs);
}

/** Seconds of each of `runs` timed runs. */
export async function timeRuns(run: () => Promise<unknown>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await run();
    times.push((performance.now() - t) / 1000);
  }
  return times;
}
