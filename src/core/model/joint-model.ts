import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';
import type { PackManifest } from './manifest.js';
import { embedSentences } from './sentence-embed.js';
import type { ModelRuntime, TensorData } from './runtime.js';

/** A loaded pack: audio segments and label texts into one normalised joint space. */
export interface JointModel {
  manifest: PackManifest;
  dim: number;
  /** Segments (mono, at the pack's rate, segment length) -> L2-normalised joint embeddings. */
  embedAudio(segments: Float32Array[]): Promise<Float32Array[]>;
  /**
   * Segments -> every hidden state pooled as the pack pools ([layers+1, hidden] per segment, flattened):
   * the features the training pipeline reads, from the same encoder the app runs.
   */
  encodeFeatures(segments: Float32Array[]): Promise<{ layers: number; hidden: number; features: Float32Array[] }>;
  /** Label texts -> L2-normalised joint embeddings (the prompt template applied). */
  embedText(texts: string[]): Promise<Float32Array[]>;
  /** Label texts -> sentence embeddings for alignment, when the pack has a separate alignment encoder. */
  embedAlignmentText?: (texts: string[]) => Promise<Float32Array[]>;
}

/** Wav2Vec2FeatureExtractor's normalisation: zero mean, unit variance per segment (eps 1e-7). */
export function normalizeSegment(x: Float32Array): Float32Array {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i] as number;
  mean /= x.length || 1;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += ((x[i] as number) - mean) ** 2;
  const inv = 1 / Math.sqrt(v / (x.length || 1) + 1e-7);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = ((x[i] as number) - mean) * inv;
  return out;
}

/** Scales a vector to unit length (a zero vector stays zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) * inv;
  return out;
}

/**
 * Pools hidden states [batch, layers+1, frames, hidden] into head input [batch, len(layers) * hidden]:
 * per layer the first frame (the paper's code) or the mean over frames, layers concatenated in order.
 */
export function poolHiddenStates(h: TensorData, layers: number[], pooling: 'first-frame' | 'mean'): TensorData {
  const [batch, nLayers, frames, hidden] = h.dims as [number, number, number, number];
  const out = new Float32Array(batch * layers.length * hidden);
  for (let b = 0; b < batch; b++) {
    layers.forEach((layer, li) => {
      const base = (b * nLayers + layer) * frames * hidden;
      const dst = (b * layers.length + li) * hidden;
      if (pooling === 'first-frame') {
        out.set(h.data.subarray(base, base + hidden), dst);
      } else {
        for (let t = 0; t < frames; t++)
          for (let k = 0; k < hidden; k++) out[dst + k] = (out[dst + k] as number) + (h.data[base + t * hidden + k] as number);
        for (let k = 0; k < hidden; k++) out[dst + k] = (out[dst + k] as number) / frames;
      }
    });
  }
  return { data: out, dims: [batch, layers.length * hidden] };
}

function rows(t: TensorData): Float32Array[] {
  const [n, d] = t.dims as [number, number];
  return Array.from({ length: n }, (_, i) => t.data.slice(i * d, (i + 1) * d));
}

function checkHidden(h: TensorData, m: PackManifest, file: string): void {
  const a = m.audio;
  if (h.dims.length !== 4)
    throw new UserError(
      `${file}: hidden_states has shape [${h.dims.join(', ')}], expected [batch, layers+1, frames, ${a.hiddenSize}]`,
      'E_PACK_SHAPE',
    );
  const [, nLayers, , hidden] = h.dims as [number, number, number, number];
  if (hidden !== a.hiddenSize) throw new UserError(`${file}: hidden size is ${hidden}, the manifest says ${a.hiddenSize}`, 'E_PACK_SHAPE');
  const maxLayer = Math.max(...a.layers);
  if (maxLayer >= nLayers)
    throw new UserError(`${file}: has ${nLayers} hidden states, the manifest reads layer ${maxLayer}`, 'E_PACK_SHAPE');
}

/** Loads a joint pack (audio encoder + head + label encoder) on a runtime. */
export function loadJointModel(dir: string, manifest: PackManifest, runtime: ModelRuntime): JointModel {
  if (manifest.kind !== 'joint')
    throw new UserError(`Model pack ${manifest.id} is a ${manifest.kind} pack, not a joint pack`, 'E_PACK_KIND');
  const encoderFile = join(dir, manifest.audio.encoder);
  const head = manifest.head;
  const headFile = head.type === 'onnx' ? join(dir, head.file) : null;
  const textFolder = join(dir, manifest.labelEncoder.path);
  const template = manifest.labelEncoder.promptTemplate ?? '{}';

  const encode = async (batch: Float32Array[]): Promise<TensorData> => {
    const len = batch[0]?.length ?? 0;
    const input = new Float32Array(batch.length * len);
    batch.forEach((seg, i) => input.set(manifest.audio.normalize === 'zero-mean-unit-var' ? normalizeSegment(seg) : seg, i * len));
    const hidden = await runtime.run(encoderFile, 'input_values', { data: input, dims: [batch.length, len] }, 'hidden_states');
    checkHidden(hidden, manifest, encoderFile);
    return hidden;
  };

  const embedBatch = async (batch: Float32Array[]): Promise<Float32Array[]> => {
    const hidden = await encode(batch);
    const features = poolHiddenStates(hidden, manifest.audio.layers, manifest.audio.pooling);
    const projected = headFile ? await runtime.run(headFile, 'features', features, 'embedding') : features;
    if (projected.dims[1] !== head.outputDim)
      throw new UserError(
        `${headFile ?? encoderFile}: output has ${projected.dims[1]} dimensions, the manifest says ${head.outputDim}`,
        'E_PACK_SHAPE',
      );
    return rows(projected).map(l2normalize);
  };

  return {
    manifest,
    dim: head.outputDim,
    async embedAudio(segments) {
      const out: Float32Array[] = [];
      for (let i = 0; i < segments.length; i += runtime.batchSize)
        out.push(...(await embedBatch(segments.slice(i, i + runtime.batchSize))));
      return out;
    },
    async encodeFeatures(segments) {
      const features: Float32Array[] = [];
      let layers = 0;
      let hidden = 0;
      for (let i = 0; i < segments.length; i += runtime.batchSize) {
        const h = await encode(segments.slice(i, i + runtime.batchSize));
        layers = h.dims[1] as number;
        hidden = h.dims[3] as number;
        const all = Array.from({ length: layers }, (_, l) => l);
        features.push(...rows(poolHiddenStates(h, all, manifest.audio.pooling)));
      }
      return { layers, hidden, features };
    },
    async embedText(texts) {
      if (texts.length === 0) return [];
      const extractor = await runtime.textPipeline(textFolder, manifest.labelEncoder.dtype);
      const prompts = texts.map((t) => template.replace('{}', t));
      const t = await embedSentences(extractor, prompts, manifest.labelEncoder);
      const d = t.dims[1];
      if (d !== manifest.labelEncoder.dim)
        throw new UserError(
          `${textFolder}: label embeddings have ${d} dimensions, the manifest says ${manifest.labelEncoder.dim}`,
          'E_PACK_SHAPE',
        );
      const vectors = rows(t);
      return manifest.labelEncoder.normalize ? vectors : vectors.map(l2normalize);
    },
  };
}

/**
 * Loads the staged pack and pushes one short silent segment and one label through it, so a pack with
 * wrong tensor shapes or a broken label encoder is refused at install time, not at analysis time.
 */
export async function checkPack(
  dir: string,
  manifest: PackManifest,
  runtime: ModelRuntime,
  load: (dir: string, manifest: PackManifest, runtime: ModelRuntime) => JointModel = loadJointModel,
): Promise<void> {
  const model = load(dir, manifest, runtime);
  const probe = new Float32Array(Math.round(manifest.audio.sampleRate));
  for (let i = 0; i < probe.length; i++) probe[i] = Math.sin(i / 7) * 0.1;
  const [audio] = await model.embedAudio([probe]);
  const [text] = await model.embedText(['calm']);
  if (audio?.length !== model.dim || text?.length !== model.dim)
    throw new UserError(`Model pack ${manifest.id}: audio and label embeddings do not share ${model.dim} dimensions`, 'E_PACK_SHAPE');
}
