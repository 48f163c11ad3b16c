import type { CoreContext } from '../api/context.js';
import { asObject, optionalInt, optionalString, requireString } from '../kernel/validate-legacy.js';
import { dot } from '../analysis/vectors.js';
import { alignmentSpace, labelVectors } from './embeddings.js';
import { addUserLabel, allVocabularies, embeddedText, labelEntries, removeUserLabel, updateUserLabel, type LabelEntry } from './store.js';
import { USER_VOCABULARY } from './vocabularies.js';
import { alignVocabularies, type LabelAlignment } from './alignment.js';
import { UserError } from '../kernel/errors.js';

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

/** Every label across vocabularies ranked by cosine to `text` (embedded with the active pack's encoder). */
export async function similarLabels(
  ctx: CoreContext,
  text: string,
  limit: number,
  exclude?: { vocabulary: string; name: string },
): Promise<SimilarLabel[]> {
  const { pack, manifest } = ctx.models.active();
  const model = ctx.models.activeModel();
  const entries = labelEntries(allVocabularies(ctx.db, manifest)).filter(
    (e) => !(exclude && e.vocabulary === exclude.vocabulary && e.name === exclude.name),
  );
  const space = alignmentSpace(pack.key, model);
  const [query, ...vectors] = await labelVectors(ctx.db, space.key, space.embedder, [
    text,
    ...entries.map((e) => embeddedText(e.name, e.description)),
  ]);
  return entries
    .map((e, i) => ({ ...e, cosine: dot(query as Float32Array, vectors[i] as Float32Array) }))
    .sort((a, b) => b.cosine - a.cosine)
    .slice(0, limit);
}

/** Handlers for vocabularies and labels. Their signatures are the API contract. */
export function createLabelHandlers(ctx: CoreContext) {
  const manifest = () => {
    try {
      return ctx.models.active().manifest;
    } catch {
      return undefined;
    }
  };
  return {
    /** All labels (built-in, pack and user vocabularies), or one vocabulary's. */
    'labels-list': (params?: { vocabulary?: string }): LabelEntry[] => {
      const vocabulary = optionalString(asObject(params, 'labels-list'), 'vocabulary', 'labels-list');
      const entries = labelEntries(allVocabularies(ctx.db, manifest()));
      return vocabulary ? entries.filter((e) => e.vocabulary === vocabulary) : entries;
    },
    /**
     * Adds a user label. With a pack installed it is embedded at once (so scoring it is instant) and the
     * nearest existing labels come back, with near-duplicates flagged.
     */
    'labels-add': async (params: { text: string; description?: string; vocabulary?: string }): Promise<AddedLabel> => {
      const o = asObject(params, 'labels-add');
      const label = addUserLabel(
        ctx.db,
        requireString(o, 'text', 'labels-add'),
        optionalString(o, 'description', 'labels-add') ?? null,
        optionalString(o, 'vocabulary', 'labels-add') ?? USER_VOCABULARY,
      );
      if (!manifest()) return { label, similar: [], nearDuplicates: [], cluster: null };
      const similar = await similarLabels(ctx, embeddedText(label.name, label.description), 5, label);
      // The aligned concept the new label falls into, across every vocabulary.
      const aligned = await alignVocabularies(ctx);
      const mine = aligned.labels.find((l) => l.vocabulary === label.vocabulary && l.name === label.name);
      const cluster = aligned.clusters.find((c) => c.id === mine?.cluster) ?? null;
      return { label, similar, nearDuplicates: similar.filter((s) => s.cosine >= NEAR_DUPLICATE_COSINE), cluster };
    },
    /** Removes a user label; the result can be passed back to labels-add to undo. */
    'labels-remove': (params: { text: string; vocabulary?: string }): LabelEntry => {
      const o = asObject(params, 'labels-remove');
      return removeUserLabel(
        ctx.db,
        requireString(o, 'text', 'labels-remove'),
        optionalString(o, 'vocabulary', 'labels-remove') ?? USER_VOCABULARY,
      );
    },
    /**
     * Aligns vocabularies into shared concepts (mean shift over label embeddings, the paper's settings by
     * default) with a 2-D map of the label space; stored and recomputed when inputs change.
     */
    'labels-align': (params?: { vocabularies?: string[]; quantile?: number; nSamples?: number }): Promise<LabelAlignment> => {
      const o = asObject(params, 'labels-align');
      const v = o.vocabularies;
      if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
        throw new UserError('labels-align: "vocabularies" must be a list of vocabulary ids', 'E_INVALID');
      const q = o.quantile;
      if (q !== undefined && (typeof q !== 'number' || !(q > 0 && q <= 1)))
        throw new UserError('labels-align: "quantile" must be a number in (0, 1]', 'E_INVALID');
      return alignVocabularies(ctx, {
        vocabularies: v as string[] | undefined,
        quantile: q as number | undefined,
        nSamples: optionalInt(o, 'nSamples', 'labels-align', 1, 1_000_000),
      });
    },
    /** Renames a user label and/or changes its description (null clears it); call it back to undo. */
    'labels-update': (params: { text: string; vocabulary?: string; newText?: string; description?: string | null }): LabelEntry => {
      const o = asObject(params, 'labels-update');
      const text = requireString(o, 'text', 'labels-update');
      const vocabulary = optionalString(o, 'vocabulary', 'labels-update') ?? USER_VOCABULARY;
      const d = o.description;
      if (d !== undefined && d !== null && typeof d !== 'string')
        throw new UserError('labels-update: "description" must be text or null', 'E_INVALID');
      return updateUserLabel(ctx.db, text, vocabulary, {
        newName: optionalString(o, 'newText', 'labels-update'),
        description: d as string | null | undefined,
      });
    },
    /** The labels nearest to any text, across all vocabularies, with their cosine. */
    'labels-similar': (params: { text: string; limit?: number }): Promise<SimilarLabel[]> => {
      const o = asObject(params, 'labels-similar');
      return similarLabels(ctx, requireString(o, 'text', 'labels-similar'), optionalInt(o, 'limit', 'labels-similar', 1, 1000) ?? 10);
    },
  };
}

/** The labels part of the API contract, derived from the implementation. */
export type LabelHandlers = ReturnType<typeof createLabelHandlers>;
