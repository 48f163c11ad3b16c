import { join } from 'node:path';
import type { Tensor } from '@huggingface/transformers';
import { UserError } from '../kernel/errors.js';
import { l2normalize, type JointModel } from './joint-model.js';
import type { PackManifest } from './manifest.js';
import { embedSentences, tensorData } from './sentence-embed.js';
import { onnxFile } from './precision.js';
import type { ModelRuntime, TensorData } from './runtime.js';

function rowsOf({ data, dims }: TensorData, expectDim: number, what: string): Float32Array[] {
  const [n, d] = dims as [number, number];
  if (d !== expectDim) throw new UserError(`${what} has ${d} dimensions, the manifest says ${expectDim}`, 'E_PACK_SHAPE');
  return Array.from({ length: n }, (_, i) => l2normalize(data.subarray(i * d, (i + 1) * d)));
}

/**
 * Segments per run of CLAP's audio tower: the runtime's batch size when one is set, else 4. A run has ~150
 * small operators around a few MatMuls, and a batch shares their overhead (real-size random pack, profiled
 * interleaved on the 2-core machine: 111 ms per segment one at a time, 92 in twos, 91 in fours); the
 * activations of a segment are ~20 MB, so four stay far inside a CLAP analysis's memory.
 */
export function clapAudioBatch(runtime: Pick<ModelRuntime, 'batchSize'>): number {
  return runtime.batchSize > 1 ? runtime.batchSize : 4;
}

/**
 * A CLAP pack (transformers.js layout, e.g. Xenova/larger_clap_music_and_speech): 48 kHz audio becomes
 * log-mel features in transformers.js's ClapFeatureExtractor, the audio tower projects straight into the
 * joint space (identity head), and label text goes through CLAP's text tower with the pack's prompt. Each
 * tower loads in the precision the manifest names (`audio.dtype`, `labelEncoder.dtype`; fp32 by default).
 */
export function loadClapModel(dir: string, manifest: PackManifest, runtime: ModelRuntime): JointModel {
  if (manifest.kind !== 'clap') throw new UserError(`Model pack ${manifest.id} is a ${manifest.kind} pack, not a CLAP pack`, 'E_PACK_KIND');
  const folder = join(dir, manifest.labelEncoder.path);
  const dim = manifest.head.outputDim;
  const template = manifest.labelEncoder.promptTemplate ?? '{}';
  const dtypes = { audio: manifest.audio.dtype ?? 'fp32', text: manifest.labelEncoder.dtype ?? 'fp32' } as const;
  // transformers.js picks the tower file from the dtype; the manifest's encoder must be that file.
  const expected = `${manifest.labelEncoder.path}/${onnxFile('onnx/audio_model', dtypes.audio)}`;
  if (manifest.audio.encoder.startsWith(`${manifest.labelEncoder.path}/onnx/audio_model`) && manifest.audio.encoder !== expected)
    throw new UserError(
      `Model pack ${manifest.id}: audio.encoder is ${manifest.audio.encoder} but audio.dtype ${dtypes.audio} loads ${expected}`,
      'E_PACK_MANIFEST',
    );
  const embedAudio = async (segments: Float32Array[]): Promise<Float32Array[]> => {
    // The audio side only: the inference worker that runs this never needs the text tower.
    const clap = await runtime.clapAudio(folder, dtypes.audio);
    const out: Float32Array[] = [];
    const batch = clapAudioBatch(runtime);
    for (let i = 0; i < segments.length; i += batch) {
      const group = segments.slice(i, i + batch);
      const inputs = clap.features(group);
      if (inputs) {
        const { audio_embeds } = (await clap.audio(inputs)) as { audio_embeds: Tensor };
        out.push(...rowsOf(tensorData(audio_embeds), dim, `${folder}: audio_embeds`));
        continue;
      }
      for (const seg of group) {
        const { audio_embeds } = (await clap.audio((await clap.processor(seg)) as Record<string, Tensor>)) as { audio_embeds: Tensor };
        out.push(...rowsOf(tensorData(audio_embeds), dim, `${folder}: audio_embeds`));
      }
    }
    return out;
  };
  const alignment = manifest.alignmentEncoder;
  const alignFolder = alignment ? join(dir, alignment.path) : null;
  return {
    manifest,
    dim,
    embedAudio,
    embedAlignmentText:
      alignment && alignFolder
        ? async (texts) => {
            if (texts.length === 0) return [];
            const extractor = await runtime.textPipeline(alignFolder, alignment.dtype);
            const t = await embedSentences(extractor, texts, { pooling: alignment.pooling, normalize: true });
            return rowsOf(t, alignment.dim, `${alignFolder}: sentence embeddings`);
          }
        : undefined,
    async encodeFeatures(segments) {
      // CLAP has no intermediate layers to export: its joint embedding is the feature.
      const features = await embedAudio(segments);
      return { layers: 1, hidden: dim, features };
    },
    async embedText(texts) {
      if (texts.length === 0) return [];
      const clap = await runtime.clapText(folder, dtypes.text);
      const inputs = clap.tokenizer(
        texts.map((t) => template.replace('{}', t)),
        { padding: true, truncation: true },
      ) as Record<string, Tensor>;
      const { text_embeds } = (await clap.text(inputs)) as { text_embeds: Tensor };
      return rowsOf(tensorData(text_embeds), dim, `${folder}: text_embeds`);
    },
  };
}
