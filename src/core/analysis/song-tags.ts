import { scoringLabelVectors } from '../labels/paper-vectors.js';
import { allVocabularies, embeddedText, findVocabulary } from '../labels/store.js';
import type { Vocabulary } from '../labels/vocabularies.js';
import { UserError } from '../kernel/errors.js';
import type { EmbeddingIndex } from './embedding-index.js';
import type { ScoringDeps } from './scoring-deps.js';
import { songVote } from './scoring.js';
import { trackSegments, type StoredSegment } from './store.js';
import { dot } from './vectors.js';

/** One label of a vocabulary with the text that is embedded for it. */
export interface VocabularyLabel {
  vocabulary: string;
  label: string;
  text: string;
}

/** A vocabulary's song-level tags for one track (the paper's top-k vote over segments). */
export interface VocabularyTags {
  vocabulary: string;
  labels: { label: string; votes: number; meanScore: number }[];
}

/**
 * Flattens vocabularies into the labels to embed, so the inspector's scores and the tag suggestions
 * embed exactly the same texts (descriptions when a vocabulary has them).
 */
export function vocabularyLabels(vocabs: readonly Vocabulary[]): VocabularyLabel[] {
  return vocabs.flatMap((v) => v.labels.map((l) => ({ vocabulary: v.id, label: l, text: embeddedText(l, v.descriptions?.[l]) })));
}

/** Cosine of each of a track's segments with one label vector, in time order. */
export function segmentScoresFor(segs: readonly StoredSegment[], vector: Float32Array): number[] {
  return segs.map((s) => dot(s.embedding, vector));
}

/**
 * The song-level vote per vocabulary from per-label segment scores (`segmentScores[i]` belongs to
 * `labels[i]`). Shared by scores-track and tags-suggest so a suggestion is always what the inspector shows.
 */
export function voteTags(
  vocabs: readonly Vocabulary[],
  labels: readonly VocabularyLabel[],
  segmentScores: readonly number[][],
): VocabularyTags[] {
  return vocabs.map((v) => {
    const mine = labels.flatMap((l, i) => (l.vocabulary === v.id ? [{ label: l.label, scores: segmentScores[i] ?? [] }] : []));
    const segCount = mine[0]?.scores.length ?? 0;
    const perSegment = Array.from({ length: segCount }, (_, k) => Float32Array.from(mine.map((m) => m.scores[k] as number)));
    return {
      vocabulary: v.id,
      labels: songVote(perSegment, v.topK).map((x) => ({ label: mine[x.label]?.label ?? '', votes: x.votes, meanScore: x.meanScore })),
    };
  });
}

/** A track's label scores against the active pack: what scores-track and tags-suggest both start from. */
export interface TrackLabelScores {
  packKey: string;
  index: EmbeddingIndex;
  row: number;
  vocabs: Vocabulary[];
  labels: VocabularyLabel[];
  vectors: Float32Array[];
  /** The track's stored segments, in time order (read for this track only: the index holds none). */
  segs: StoredSegment[];
  /** Per label (same order as `labels`), the cosine of each segment. */
  segmentScores: number[][];
  /** Per label, the stamp of the personal model its vector comes from, or null for zero-shot. */
  personal: (string | null)[];
}

/**
 * Embeds the labels of one vocabulary (or all) and scores one track's segments with them. Throws a
 * UserError naming the fix when the track has no results under the active pack. Takes only what scoring
 * needs, so the tags and file-tag domains can call it without the rest of the core.
 */
export async function trackLabelScores(deps: ScoringDeps, trackId: number, vocabularyId?: string): Promise<TrackLabelScores> {
  const { db, models } = deps;
  const { pack, manifest } = models.active();
  const index = deps.index.get(pack.key);
  const row = index.rowOf.get(trackId);
  if (row === undefined)
    throw new UserError(`Track ${trackId} is not analysed with ${pack.key} yet (run: moodshelf analyze)`, 'E_NOT_ANALYZED');
  const all = allVocabularies(db, manifest);
  const vocabs = vocabularyId ? [findVocabulary(all, vocabularyId)] : all;
  const labels = vocabularyLabels(vocabs);
  // The built-in labels are the paper's expanded vectors when the pack's label encoder is the paper's.
  const vectors = await scoringLabelVectors(
    { db, models },
    labels.map((l) => ({ vocabulary: l.vocabulary, name: l.label, text: l.text })),
  );
  // A label with an active personal model is scored with it (chips, suggestions and votes alike).
  const personal = labels.map((l) => deps.personal?.vectorFor(pack.key, l.label) ?? null);
  personal.forEach((p, i) => {
    if (p) vectors[i] = p.vector;
  });
  const segs = trackSegments(db, trackId, pack.key);
  const segmentScores = vectors.map((v) => segmentScoresFor(segs, v));
  return { packKey: pack.key, index, row, vocabs, labels, vectors, segs, segmentScores, personal: personal.map((p) => p?.stamp ?? null) };
}
