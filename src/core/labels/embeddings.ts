import type { Db } from '../kernel/database.js';
import type { JointModel } from '../model/joint-model.js';
import type { LabelEncoderSpec } from '../model/manifest.js';
import { fromBlob, toBlob } from '../analysis/vectors.js';

/** Anything that embeds texts (a pack's scoring encoder, or its alignment encoder). */
export interface TextEmbedder {
  embedText(texts: string[]): Promise<Float32Array[]>;
}

/**
 * One encoder's label space: the key its embeddings are cached under, the embedder, how the manifest
 * describes the encoder, and the hub repository its folder came from when the manifest records one
 * (`upstream[].path` equal to the encoder's `path`).
 */
export interface LabelSpace {
  key: string;
  embedder: TextEmbedder;
  encoder: LabelEncoderSpec;
  upstreamRepo: string | null;
}

function upstreamRepo(model: JointModel, encoder: LabelEncoderSpec): string | null {
  return model.manifest.upstream?.find((u) => u.path === encoder.path)?.repo ?? null;
}

/**
 * The space labels are compared and aligned in: the pack's alignment encoder when it has one (a CLAP
 * pack keeps an all-MiniLM-L6-v2 sentence model for this, as the paper aligns with sentence
 * embeddings), else its label encoder. The key keeps the two caches apart.
 */
export function alignmentSpace(packKey: string, model: JointModel): LabelSpace {
  const align = model.embedAlignmentText;
  const spec = model.manifest.alignmentEncoder;
  if (align && spec)
    return { key: `${packKey}#alignment`, embedder: { embedText: align }, encoder: spec, upstreamRepo: upstreamRepo(model, spec) };
  return scoringSpace(packKey, model);
}

/** The space labels are scored in against audio: the pack's label encoder (the joint space). */
export function scoringSpace(packKey: string, model: JointModel): LabelSpace {
  const spec = model.manifest.labelEncoder;
  return { key: packKey, embedder: model, encoder: spec, upstreamRepo: upstreamRepo(model, spec) };
}

/**
 * Embeds label texts with the pack's label encoder, caching each text's vector per encoder so that a
 * vocabulary is encoded once, and scoring never waits for the text model twice for the same words.
 */
export async function labelVectors(db: Db, encoderKey: string, model: TextEmbedder, texts: string[]): Promise<Float32Array[]> {
  const get = db.prepare('SELECT embedding FROM label_embeddings WHERE encoder_key = ? AND text = ?');
  const found = new Map<string, Float32Array>();
  for (const t of new Set(texts)) {
    const row = get.get(encoderKey, t) as { embedding: Buffer } | undefined;
    if (row) found.set(t, fromBlob(row.embedding));
  }
  const missing = [...new Set(texts)].filter((t) => !found.has(t));
  if (missing.length > 0) {
    const vectors = await model.embedText(missing);
    const put = db.prepare('INSERT OR REPLACE INTO label_embeddings (encoder_key, text, embedding) VALUES (?, ?, ?)');
    db.transaction(() => {
      missing.forEach((t, i) => {
        const v = vectors[i] as Float32Array;
        found.set(t, v);
        put.run(encoderKey, t, toBlob(v));
      });
    })();
  }
  return texts.map((t) => found.get(t) as Float32Array);
}
