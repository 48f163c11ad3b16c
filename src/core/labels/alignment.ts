import { createHash } from 'node:crypto';
import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { ModelService } from '../model/service.js';
import { alignmentSpace } from './embeddings.js';
import { alignLabels, pca2d } from './mean-shift.js';
import { paperVectorsFor, representLabels, type BuiltinLabelVectors, type PaperVectors, type RepresentedLabels } from './paper-vectors.js';
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
  /**
   * How the built-in labels were represented: the paper's expanded vectors (the active encoder is the
   * paper's all-MiniLM-L6-v2, see paper-vectors.ts) or the encoder's embeddings of their text.
   */
  builtinVectors: BuiltinLabelVectors;
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

/**
 * What an alignment needs: the database (vocabularies, cached embeddings, stored alignments), the active
 * pack and its model (the encoder), a logger for a collapsed bandwidth or an encoder that fails the
 * paper's probe, and where the paper's label vectors are (default: found beside the core, see
 * paper-vectors.ts; tests name another file). Nothing else of the core.
 */
export interface AlignmentDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  log: Logger;
  paperVectorsFile?: string;
}

/** Which vocabularies to align (default: every one with labels) and the estimate_bandwidth settings. */
export interface AlignmentOptions {
  vocabularies?: string[];
  quantile?: number;
  nSamples?: number;
}

/** How far a computed alignment is (embedding, clustering, drawing the map). */
export interface AlignmentStep {
  done: number;
  total: number;
  message: string;
}

/** Hooks of a computed alignment: progress per step, and a signal checked between steps. */
export interface AlignmentHooks {
  onStep?: (step: AlignmentStep) => void;
  signal?: AbortSignal;
}

/**
 * Everything an alignment run is decided by, resolved up front (cheap: no embedding yet), so bad input fails
 * before any work and `hash` names the work exactly (same hash, same result).
 */
export interface AlignmentPlan {
  encoderKey: string;
  vocabularies: string[];
  entries: { vocabulary: string; name: string; text: string }[];
  quantile: number;
  nSamples: number;
  /**
   * The paper's label vectors when the alignment encoder is described like the paper's (whether it is,
   * the probe decides when the alignment is computed), else null.
   */
  paper: PaperVectors | null;
  /** Hash of the encoder, the embedded texts, the paper's data (when it may be used) and the settings. */
  hash: string;
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

/** The columns a stored alignment is found by. */
function storeKey(plan: AlignmentPlan): [string, string, number, number] {
  return [plan.encoderKey, JSON.stringify(plan.vocabularies), plan.quantile, plan.nSamples];
}

/**
 * Resolves the vocabularies, labels and settings of an alignment under the active pack (dataset order
 * preserved: the first vocabulary's labels first, as the paper concatenates them). Each label's text is
 * store.ts embeddedText: a description when it has one (a user label's description is its expanded form),
 * else the bare name. Throws a UserError when there is no pack, a vocabulary is unknown, there are fewer
 * than two labels, or the encoder may be the paper's and its data file is missing or broken.
 */
export function planAlignment(
  deps: Pick<AlignmentDeps, 'db' | 'models' | 'paperVectorsFile'>,
  options: AlignmentOptions = {},
): AlignmentPlan {
  const { pack, manifest } = deps.models.active();
  const vocabs = chooseVocabularies(allVocabularies(deps.db, manifest), options.vocabularies);
  const entries = vocabs.flatMap((v) =>
    v.labels.map((name) => ({ vocabulary: v.id, name, text: embeddedText(name, v.descriptions?.[name]) })),
  );
  if (entries.length < 2) throw new UserError('Alignment needs at least two labels', 'E_INVALID');
  const ids = vocabs.map((v) => v.id);
  const defaults = defaultAlignmentSettings(ids, entries.length);
  const quantile = options.quantile ?? defaults.quantile;
  const nSamples = Math.min(options.nSamples ?? defaults.nSamples, entries.length);
  const paper = paperVectorsFor(alignmentSpace(pack.key, deps.models.activeModel()), deps.paperVectorsFile);
  const hash = createHash('sha256')
    .update(JSON.stringify([pack.key, entries, paper?.digest ?? null, quantile, nSamples]))
    .digest('hex');
  return { encoderKey: pack.key, vocabularies: ids, entries, quantile, nSamples, paper, hash };
}

function planBase(plan: AlignmentPlan): Pick<LabelAlignment, 'encoderKey' | 'vocabularies' | 'quantile' | 'nSamples'> {
  return { encoderKey: plan.encoderKey, vocabularies: plan.vocabularies, quantile: plan.quantile, nSamples: plan.nSamples };
}

/** The stored result of exactly this plan, or null when there is none or its inputs changed since. */
export function storedAlignment(db: Db, plan: AlignmentPlan): LabelAlignment | null {
  const row = db
    .prepare('SELECT * FROM label_alignments WHERE encoder_key = ? AND vocabularies = ? AND quantile = ? AND n_samples = ?')
    .get(...storeKey(plan)) as Row | undefined;
  if (!row || row.input_hash !== plan.hash) return null;
  const stored = JSON.parse(row.result) as Pick<LabelAlignment, 'clusters' | 'labels' | 'builtinVectors'>;
  return {
    ...planBase(plan),
    bandwidth: row.bandwidth,
    estimatedBandwidth: row.estimated_bandwidth,
    fallback: row.fallback === 1,
    reason: row.reason,
    builtinVectors: stored.builtinVectors,
    cached: true,
    clusters: stored.clusters,
    labels: stored.labels,
  };
}

function storeAlignment(db: Db, plan: AlignmentPlan, result: LabelAlignment): void {
  db.prepare(
    `INSERT OR REPLACE INTO label_alignments (encoder_key, vocabularies, quantile, n_samples, input_hash, bandwidth, estimated_bandwidth, fallback, reason, result)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    ...storeKey(plan),
    plan.hash,
    result.bandwidth,
    result.estimatedBandwidth,
    result.fallback ? 1 : 0,
    result.reason,
    JSON.stringify({ clusters: result.clusters, labels: result.labels, builtinVectors: result.builtinVectors }),
  );
}

/** The steps of a computed alignment, for progress. */
const STEPS = 3;

/**
 * The vectors a plan's labels are clustered and mapped from, in the plan's order, in the active pack's
 * alignment space: the paper's expanded vectors for the built-in labels when the encoder is the paper's
 * (see paper-vectors.ts representLabels), else embeddings of each label's text. An encoder described like
 * the paper's that fails the probe is logged.
 */
export async function alignmentVectors(
  deps: Pick<AlignmentDeps, 'db' | 'models' | 'log'>,
  plan: AlignmentPlan,
): Promise<RepresentedLabels> {
  const space = alignmentSpace(plan.encoderKey, deps.models.activeModel());
  const represented = await representLabels(deps.db, space, plan.entries, plan.paper);
  if (represented.check && !represented.check.matches)
    deps.log.warn(
      `${space.key}: described like all-MiniLM-L6-v2 but does not reproduce the paper's plain label vectors (worst cosine ${represented.check.minCosine.toFixed(4)}); built-in labels are embedded from their text`,
    );
  return represented;
}

/**
 * Computes the alignment a plan describes (mean shift over the label vectors of alignmentVectors, and a
 * 2-D map), stores it and returns it. Reports each step through `hooks`.
 */
export async function computeAlignment(deps: AlignmentDeps, plan: AlignmentPlan, hooks: AlignmentHooks = {}): Promise<LabelAlignment> {
  const step = (done: number, message: string): void => {
    // Mean shift itself cannot stop midway; a cancel takes effect at the next step.
    if (done < STEPS) hooks.signal?.throwIfAborted();
    hooks.onStep?.({ done, total: STEPS, message });
  };
  const count = plan.entries.length;
  step(0, `Embedding ${count} labels`);
  const { vectors, builtinVectors } = await alignmentVectors(deps, plan);
  step(1, `Clustering ${count} labels`);
  const aligned = alignLabels(vectors, { quantile: plan.quantile, nSamples: plan.nSamples, logger: deps.log });
  step(2, 'Drawing the label map');
  const map = pca2d(vectors);
  const labels = plan.entries.map((e, i) => {
    const [x, y] = map.coordinates[i] as [number, number];
    return { vocabulary: e.vocabulary, name: e.name, cluster: aligned.labels[i] as number, x, y };
  });
  const clusters = aligned.clusters.map((c) => ({
    id: c.id,
    members: c.members.map((i) => ({ vocabulary: plan.entries[i]?.vocabulary ?? '', name: plan.entries[i]?.name ?? '' })),
  }));
  const result: LabelAlignment = {
    ...planBase(plan),
    bandwidth: aligned.bandwidth,
    estimatedBandwidth: aligned.estimatedBandwidth,
    fallback: aligned.fallback,
    reason: aligned.reason ?? null,
    builtinVectors,
    cached: false,
    clusters,
    labels,
  };
  storeAlignment(deps.db, plan, result);
  step(STEPS, `Aligned ${count} labels`);
  return result;
}

/**
 * Aligns the labels of several vocabularies (default: all) with mean shift over their vectors in the
 * active pack's alignment space (see alignmentVectors). The result is stored, and served from the database
 * until a vocabulary, a description, the encoder or the paper's data changes.
 */
export async function alignVocabularies(
  deps: AlignmentDeps,
  options: AlignmentOptions = {},
  hooks: AlignmentHooks = {},
): Promise<LabelAlignment> {
  const plan = planAlignment(deps, options);
  return storedAlignment(deps.db, plan) ?? (await computeAlignment(deps, plan, hooks));
}
