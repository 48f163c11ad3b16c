import type { Db } from '../kernel/database.js';
import type { JobTicket, Jobs } from '../kernel/jobs.js';
import type { Logger } from '../kernel/logger.js';
import { anyText, handler, int, opt, optionalParams, params, text, v } from '../kernel/schema.js';
import type { ModelService } from '../model/service.js';
import { dot } from '../analysis/vectors.js';
import { alignmentSpace, labelVectors } from './embeddings.js';
import { paperVectorsFor, representLabels } from './paper-vectors.js';
import { addUserLabel, allVocabularies, embeddedText, labelEntries, removeUserLabel, updateUserLabel, type LabelEntry } from './store.js';
import { USER_VOCABULARY } from './vocabularies.js';
import { alignVocabularies, computeAlignment, planAlignment, storedAlignment, type LabelAlignment } from './alignment.js';

/**
 * What the label handlers need: the database, the active pack's encoders, the job registry for alignments,
 * a logger, and where the paper's label vectors are (default: found beside the core; tests name a file).
 */
export interface LabelHandlerDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  jobs: Jobs;
  log: Logger;
  paperVectorsFile?: string;
}

/** A label near another one, by cosine of their embeddings. */
export interface SimilarLabel extends LabelEntry {
  cosine: number;
}

/** What adding a label tells people: the nearest labels, near-duplicates and the concept it joins. */
export interface AddedLabel {
  label: LabelEntry;
  similar: SimilarLabel[];
  nearDuplicates: SimilarLabel[];
  cluster: { id: number; members: { vocabulary: string; name: string }[] } | null;
}

/** Cosine at or above which two labels are flagged as near-duplicates. */
export const NEAR_DUPLICATE_COSINE = 0.9;

/**
 * Every label across vocabularies ranked by cosine to `text` (embedded with the active pack's alignment
 * encoder), each label represented as the alignment represents it (the paper's expanded vectors for the
 * built-in labels under the paper's encoder, see paper-vectors.ts).
 */
export async function similarLabels(
  deps: Pick<LabelHandlerDeps, 'db' | 'models' | 'paperVectorsFile'>,
  text: string,
  limit: number,
  exclude?: { vocabulary: string; name: string },
): Promise<SimilarLabel[]> {
  const { pack, manifest } = deps.models.active();
  const entries = labelEntries(allVocabularies(deps.db, manifest)).filter(
    (e) => !(exclude && e.vocabulary === exclude.vocabulary && e.name === exclude.name),
  );
  const space = alignmentSpace(pack.key, deps.models.activeModel());
  const paper = paperVectorsFor(space, deps.paperVectorsFile);
  const [query] = await labelVectors(deps.db, space.key, space.embedder, [text]);
  const refs = entries.map((e) => ({ vocabulary: e.vocabulary, name: e.name, text: embeddedText(e.name, e.description) }));
  const { vectors } = await representLabels(deps.db, space, refs, paper);
  return entries
    .map((e, i) => ({ ...e, cosine: dot(query as Float32Array, Float32Array.from(vectors[i] as Float64Array)) }))
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, limit);
}

/** A vocabulary id. */
const vocabularyId = () => text(200);

/** A list of vocabulary ids. */
function vocabularyIds() {
  return v.pipe(v.array(vocabularyId(), 'must be a list of vocabulary ids'), v.maxLength(100, 'must list at most 100 vocabularies'));
}

/** estimate_bandwidth's quantile: a share of the labels, above 0 and at most 1. */
function quantile() {
  const msg = 'must be a number in (0, 1]';
  return v.pipe(v.number(msg), v.gtValue(0, msg), v.maxValue(1, msg));
}

/** The vocabularies and estimate_bandwidth settings of an alignment; all may be left out. */
const alignSchema = optionalParams({
  vocabularies: opt(vocabularyIds()),
  quantile: opt(quantile()),
  nSamples: opt(int(1, 1_000_000)),
});

/** Handlers for vocabularies and labels. Their definitions (schemas and results) are the API contract. */
export function createLabelHandlers(deps: LabelHandlerDeps) {
  const { db, jobs } = deps;
  const manifest = () => {
    try {
      return deps.models.active().manifest;
    } catch {
      return undefined;
    }
  };
  return {
    /** All labels (built-in, pack and user vocabularies), or one vocabulary's. */
    'labels-list': handler(optionalParams({ vocabulary: opt(vocabularyId()) }), ({ vocabulary }): LabelEntry[] => {
      const entries = labelEntries(allVocabularies(db, manifest()));
      return vocabulary ? entries.filter((e) => e.vocabulary === vocabulary) : entries;
    }),
    /**
     * Adds a user label. With a pack installed it is embedded at once (so scoring it is instant) and the
     * nearest existing labels come back, with near-duplicates flagged.
     */
    'labels-add': handler(
      params({ text: text(), description: opt(text()), vocabulary: opt(vocabularyId()) }),
      async (p): Promise<AddedLabel> => {
        const label = addUserLabel(db, p.text, p.description ?? null, p.vocabulary ?? USER_VOCABULARY, manifest());
        if (!manifest()) return { label, similar: [], nearDuplicates: [], cluster: null };
        const similar = await similarLabels(deps, embeddedText(label.name, label.description), 5, label);
        // The aligned concept the new label falls into, across every vocabulary.
        const aligned = await alignVocabularies(deps);
        const mine = aligned.labels.find((l) => l.vocabulary === label.vocabulary && l.name === label.name);
        const cluster = aligned.clusters.find((c) => c.id === mine?.cluster) ?? null;
        return { label, similar, nearDuplicates: similar.filter((s) => s.cosine >= NEAR_DUPLICATE_COSINE), cluster };
      },
    ),
    /** Removes a user label; the result can be passed back to labels-add to undo. */
    'labels-remove': handler(params({ text: text(), vocabulary: opt(vocabularyId()) }), (p): LabelEntry =>
      removeUserLabel(db, p.text, p.vocabulary ?? USER_VOCABULARY),
    ),
    /**
     * Aligns vocabularies into shared concepts (mean shift over label embeddings, the paper's settings by
     * default) with a 2-D map of the label space; stored and recomputed when inputs change. A job: over a
     * big vocabulary the embedding and the clustering take a while. Bad input (no pack, an unknown
     * vocabulary) fails here, before a job starts; the same work started twice joins one job.
     */
    'labels-align': handler(alignSchema, (options): JobTicket<LabelAlignment> => {
      const plan = planAlignment(deps, options);
      return jobs.start({
        kind: 'labels-align',
        key: plan.hash,
        title: `Aligning ${plan.vocabularies.join(' + ')}`,
        run: async (job) =>
          storedAlignment(db, plan) ?? (await computeAlignment(deps, plan, { signal: job.signal, onStep: (s) => job.progress(s) })),
      });
    }),
    /** Renames a user label and/or changes its description (null clears it); call it back to undo. */
    'labels-update': handler(
      params({ text: text(), vocabulary: opt(vocabularyId()), newText: opt(text()), description: opt(v.nullable(anyText())) }),
      (p): LabelEntry =>
        updateUserLabel(db, p.text, p.vocabulary ?? USER_VOCABULARY, { newName: p.newText, description: p.description }, manifest()),
    ),
    /** The labels nearest to any text, across all vocabularies, with their cosine. */
    'labels-similar': handler(params({ text: text(), limit: opt(int(1, 1000)) }), (p): Promise<SimilarLabel[]> =>
      similarLabels(deps, p.text, p.limit ?? 10),
    ),
  };
}

/** The labels part of the API contract, derived from the implementation. */
export type LabelHandlerDefs = ReturnType<typeof createLabelHandlers>;
