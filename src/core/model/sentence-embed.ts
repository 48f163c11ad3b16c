import type { FeatureExtractionPipeline, Tensor } from '@huggingface/transformers';
import type { TensorData } from './runtime.js';

/** A transformers.js tensor's values as float32 (a half-precision export answers in float16) and its shape. */
export function tensorData(t: Tensor): TensorData {
  return { data: (t.type === 'float32' ? t.data : t.to('float32').data) as Float32Array, dims: t.dims };
}

/** How token states become one sentence vector (the manifest's label and alignment encoders). */
export interface SentencePooling {
  pooling: 'mean' | 'cls';
  normalize: boolean;
}

/**
 * Sentence embeddings from a transformers.js feature-extraction pipeline's tokenizer and model, pooled here:
 * the values `extractor(texts, { pooling, normalize })` gives, bit for bit (its mean sums in float64 and
 * divides once; its norm sums squares in float32 steps), without its generic pooling, which converted every
 * attention-mask BigInt once per hidden unit: ~0.3 ms of a new label's ~4 ms encoding at 384-d (profiled),
 * on the path a user waits on when typing a mood. One row per text: `dims` [texts, hidden].
 */
export async function embedSentences(
  extractor: FeatureExtractionPipeline,
  texts: string[],
  { pooling, normalize }: SentencePooling,
): Promise<TensorData> {
  const inputs = extractor.tokenizer(texts, { padding: true, truncation: true }) as unknown as Record<string, Tensor>;
  const outputs = (await extractor.model(inputs)) as Record<string, Tensor | undefined>;
  const states = outputs.last_hidden_state ?? outputs.logits ?? outputs.token_embeddings;
  if (!states || states.dims.length !== 3) throw new Error('the label encoder gave no token states');
  const [batch, tokens, hidden] = states.dims as [number, number, number];
  const h = tensorData(states).data;
  const out = new Float32Array(batch * hidden);
  if (pooling === 'cls') {
    for (let b = 0; b < batch; b++) out.set(h.subarray(b * tokens * hidden, b * tokens * hidden + hidden), b * hidden);
  } else {
    const mask = (inputs.attention_mask as Tensor).data as BigInt64Array;
    for (let b = 0; b < batch; b++) {
      const kept: number[] = [];
      for (let t = 0; t < tokens; t++) if (mask[b * tokens + t] !== 0n) kept.push(t);
      const base = b * tokens * hidden;
      for (let k = 0; k < hidden; k++) {
        let sum = 0;
        for (const t of kept) sum += h[base + t * hidden + k] as number;
        out[b * hidden + k] = sum / kept.length;
      }
    }
  }
  if (normalize) {
    for (let b = 0; b < batch; b++) {
      const row = out.subarray(b * hidden, (b + 1) * hidden);
      const squares = new Float32Array(1);
      for (let k = 0; k < hidden; k++) squares[0] = (squares[0] as number) + (row[k] as number) ** 2;
      const norm = Math.fround((squares[0] as number) ** (1 / 2));
      for (let k = 0; k < hidden; k++) row[k] = (row[k] as number) / norm;
    }
  }
  return { data: out, dims: [batch, hidden] };
}
