import { createHash } from 'node:crypto';
import type { CoreContext } from '../api/context.js';
import { UserError } from '../kernel/errors.js';
import { alignmentSpace, labelVectors } from './embeddings.js';
import { alignLabels, pca2d } from './mean-shift.js';
import { allVocabularies, embeddedText } from './store.js';
import type { Vocabulary } from './vocabularies.js';

/** A label as placed by the alignment: its cluster and its point on the 2-D map. */
export interface AlignedLabel {
  vocabulary: string;
  name: string;
  cluster: number;
  x: number;
  y: number;
}

/** The aligned concepts across vocabularies, with the settings and bandwidth that produced them. */
export interface LabelAlignment {
  encoderKey: string;
  vocabularies: string[];
  quantile: number;
  nSamples: number;
  bandwidth: number;
  estimatedBandwidth: number;
  fallback: boolean;
  reason: string | null;
  /** Served from the database (true) or computed now. */
  cached: boolean;
  clusters: { id: number; members: { vocabulary: string; name: string }[] }[];
  labels: AlignedLabel[];
}

/**
 * The paper's settings per pair of training vocabularies (estimate_bandwidth quantile and n_samples); any
 * other combination uses quantile 0.03 over all its labels.
 */
export const PAPER_ALIGNMENT_SETTINGS: Readonly<Record<string, { quantile: number; nSamples: number }>> = {
  'cal500+mtg-jamendo': { quantile: 0.03, nSamples: 73 },
  'emotify+mtg-jamendo': { quantile: 0.025, nSamples: 65 },
  'cal500+emotify': { quantile: 0.04, nSamples: 26 },
  'cal500+emotify+mtg-jamendo': { quantile: 0.03, nSamples: 82 },
};

/** Default settings for a set of vocabularies (the paper's where it has them). */
export function defaultAlignmentSettings(ids: string[], labelCount: number): { quantile: number; nSamples: number } {
  return PAPER_ALIGNMENT_SETTINGS[[...ids].sort().join('+')] ?? { quantile: 0.03, nSamples: labelCount };
}

interface Options {
  vocabularies?: string[];
  quantile?: number;
  nSamples?: number;
}

function chooseVocabularies(all: Vocabulary[], ids?: string[]): Vocabulary[] {
  if (!ids || ids.length === 0) return all.filter((v) => v.labels.length > 0);
  return ids.map((id) => {
    const v = all.find((x) => x.id === id);
    if (!v) throw new UserError(`No vocabulary "${id}" (there are: ${all.map((x) => x.id).join(', ')})`, 'E_NOT_FOUND');
    return v;
  });
}

type Row = { input_hash: string; bandwidth: number; estimated_bandwidth: number; fallback: number; reason: string | null; result: string };

/**
 * Aligns the labels of several vocabularies (default: all) with mean shift over their embeddings from the
 * active pack's label encoder, dataset order preserved (the first vocabulary's labels first, as the paper
 * concatenates them). The result is stored, and served from the database until a vocabulary, a
 * description or the encoder changes.
 */
export async function alignVocabularies(ctx: CoreContext, options: Options = {}): Promise<LabelAlignment> {
  const { pack, manifest } = ctx.models.active();
  const vocabs = chooseVocabularies(allVocabularies(ctx.db, manifest), options.vocabularies);
  const entries = vocabs.flatMap((v) =>
    v.labels.map((name) => ({ vocabulary: v.id, name, text: embeddedText(name, v.descriptions?.[name]) })),
  );
  if (entries.length < 2) throw new UserError('Alignment needs at least two labels', 'E_INVALID');
  const ids = vocabs.map((v) => v.id);
  const defaults = defaultAlignmentSettings(ids, entries.length);
  const quantile = options.quantile ?? defaults.quantile;
  const nSamples = Math.min(options.nSamples ?? defaults.nSamples, entries.length);
  const hash = createHash('sha256')
    .update(JSON.stringify([pack.key, entries, quantile, nSamples]))
    .digest('hex');
  const key = [pack.key, JSON.stringify(ids), quantile, nSamples] as const;
  const row = ctx.db
    .prepare('SELECT * FROM label_alignments WHERE encoder_key = ? AND vocabularies = ? AND quantile = ? AND n_samples = ?')
    .get(...key) as Row | undefined;
  const base = { encoderKey: pack.key, vocabularies: ids, quantile, nSamples };
  if (row && row.input_hash === hash) {
    const stored = JSON.parse(row.result) as Pick<LabelAlignment, 'clusters' | 'labels'>;
    return {
      ...base,
      bandwidth: row.bandwidth,
      estimatedBandwidth: row.estimated_bandwidth,
      fallback: row.fallback === 1,
      reason: row.reason,
      cached: true,
      ...stored,
    };
  }
  const space = alignmentSpace(pack.key, ctx.models.activeModel());
  const vectors = (
    await labelVectors(
      ctx.db,
      space.key,
      space.embedder,
      entries.map((e) => e.text),
    )
  ).map((v) => Float64Array.from(v));
  const aligned = alignLabels(vectors, { quantile, nSamples, logger: ctx.log });
  const map = pca2d(vectors);
  const labels = entries.map((e, i) => {
    const [x, y] = map.coordinates[i] as [number, number];
    return { vocabulary: e.vocabulary, name: e.name, cluster: aligned.labels[i] as number, x, y };
  });
  const clusters = aligned.clusters.map((c) => ({
    id: c.id,
    members: c.members.map((i) => ({ vocabulary: entries[i]?.vocabulary ?? '', name: entries[i]?.name ?? '' })),
  }));
  ctx.db
    .prepare(
      `INSERT OR REPLACE INTO label_alignments (encoder_key, vocabularies, quantile, n_samples, input_hash, bandwidth, estimated_bandwidth, fallback, reason, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      ...key,
      hash,
      aligned.bandwidth,
      aligned.estimatedBandwidth,
      aligned.fallback ? 1 : 0,
      aligned.reason ?? null,
      JSON.stringify({ clusters, labels }),
    );
  return {
    ...base,
    bandwidth: aligned.bandwidth,
    estimatedBandwidth: aligned.estimatedBandwidth,
    fallback: aligned.fallback,
    reason: aligned.reason ?? null,
    cached: false,
    clusters,
    labels,
  };
}
