import { handler, id, int, opt, params, text } from '../kernel/schema.js';
import { labelVectors } from '../labels/embeddings.js';
import { getTrack, type Track } from '../tracks/queries.js';
import { percentileOf, rankInOrder, scoreTracks } from './scoring.js';
import { trackLabelScores, voteTags } from './song-tags.js';
import { dot } from './vectors.js';
import type { ScoringDeps } from './scoring-deps.js';

/** One label's score for a track. */
export interface LabelScore {
  vocabulary: string;
  label: string;
  /** Mean segment cosine (raw, kept for research use). */
  score: number;
  /** Share of the library's analysed tracks scoring at or below this one, 0-100. */
  percentile: number;
  /** Cosine per analysed segment, in time order. */
  segmentScores: number[];
  /** True when the score comes from the label's personal model (learnt from the user's tags), not zero-shot. */
  personal: boolean;
}

/** Everything the inspector and `moodshelf scores` show for a track. */
export interface TrackScores {
  trackId: number;
  packKey: string;
  segments: { index: number; start: number }[];
  labels: LabelScore[];
  /** The paper's song-level tags per vocabulary (k = the vocabulary's top-k). */
  tags: { vocabulary: string; labels: { label: string; votes: number; meanScore: number }[] }[];
}

/** A track ranked for a label. */
export interface RankedTrack {
  track: Track;
  score: number;
  percentile: number;
  /** True when ranked by the label's personal model rather than zero-shot. */
  personal: boolean;
}

/**
 * A label's ranking over the library: every analysed track, best first, as three parallel columns (row k of
 * each is the k-th best track). Typed arrays, not one object per track: building 10,000 objects was ~0.7 ms
 * of a new label's ~8 ms (bench:zero-shot), and 50,000 of them crossing to the page is a structured clone
 * of 50,000 objects where these are three memory copies; the table keeps them as columns anyway.
 */
export interface LabelRanking {
  trackIds: Int32Array;
  /** Raw cosine (or the personal model's score), per row. */
  scores: Float32Array;
  /** Library percentile, 0-100, per row. */
  percentiles: Float32Array;
  /** True when ranked by the label's personal model rather than zero-shot. */
  personal: boolean;
}

/** What the score handlers need: only scoring (database, active pack and model, embedding index). */
export interface ScoreHandlerDeps {
  scoring: ScoringDeps;
}

/** Handlers for scores. Their definitions (schemas and results) are the API contract. */
export function createScoreHandlers(deps: ScoreHandlerDeps) {
  const { scoring } = deps;
  const sortedCache = new Map<string, Float32Array>();
  let cacheStamp = '';
  const sortedScores = (stamp: string, text: string, scores: () => Float32Array): Float32Array => {
    if (stamp !== cacheStamp) {
      sortedCache.clear();
      cacheStamp = stamp;
    }
    let s = sortedCache.get(text);
    if (!s) {
      s = scores().slice().sort();
      sortedCache.set(text, s);
    }
    return s;
  };

  /**
   * All analysed tracks ranked for a label text, with raw cosine and library percentile. A label never
   * seen before is encoded first, on this thread (onnxruntime-node runs a session synchronously, in a
   * setImmediate callback): there is nothing to overlap it with, the scan needs its vector.
   */
  const rankLabel = async (label: string): Promise<LabelRanking> => {
    const { pack } = scoring.models.active();
    const [v] = await labelVectors(scoring.db, pack.key, scoring.models.activeModel(), [label]);
    // After the encoding (cheap when nothing changed): a track committed meanwhile is ranked too.
    const index = scoring.index.get(pack.key);
    // The label's personal model where it is active (better than zero-shot on the user's tags, not off).
    const personal = scoring.personal?.vectorFor(pack.key, label) ?? null;
    const scores = scoreTracks(index, personal?.vector ?? (v as Float32Array));
    const { order, sorted, percentiles } = rankInOrder(scores);
    const trackIds = new Int32Array(order.length);
    for (let k = 0; k < order.length; k++) trackIds[k] = index.trackIds[order[k] as number] as number;
    return { trackIds, scores: sorted, percentiles, personal: personal !== null };
  };

  return {
    /** A track's score for every label of one vocabulary (or all), with percentiles, segments and tags. */
    'scores-track': handler(params({ trackId: id(), vocabulary: opt(text()) }), async ({ trackId, vocabulary }): Promise<TrackScores> => {
      const t = await trackLabelScores(scoring, trackId, vocabulary);
      const { index, row } = t;
      const labels = t.labels.map((e, i): LabelScore => {
        const v = t.vectors[i] as Float32Array;
        const score = dot(index.tracks, v, row * index.dim);
        // Keyed by vocabulary too: the same text can stand for different vectors (the paper's expanded labels),
        // and by the personal model's stamp when the label has one.
        const key = `${e.vocabulary}\u0000${e.text}\u0000${t.personal[i] ?? ''}`;
        const sorted = sortedScores(index.stamp, key, () => scoreTracks(index, v));
        return {
          vocabulary: e.vocabulary,
          label: e.label,
          score,
          percentile: percentileOf(score, sorted),
          segmentScores: t.segmentScores[i] ?? [],
          personal: t.personal[i] !== null,
        };
      });
      return {
        trackId,
        packKey: t.packKey,
        segments: t.segs.map((s) => ({ index: s.index, start: s.start })),
        labels,
        tags: voteTags(t.vocabs, t.labels, t.segmentScores),
      };
    }),
    /** The tracks that match any label text best (zero-shot: the text need not be in a vocabulary). */
    'scores-top': handler(params({ label: text(), limit: opt(int(1, 100_000)) }), async ({ label, limit }): Promise<RankedTrack[]> => {
      const r = await rankLabel(label);
      const top: RankedTrack[] = [];
      for (let k = 0; k < Math.min(r.trackIds.length, limit ?? 20); k++) {
        const track = getTrack(scoring.db, r.trackIds[k] as number);
        if (track) top.push({ track, score: r.scores[k] as number, percentile: r.percentiles[k] as number, personal: r.personal });
      }
      return top;
    }),
    /**
     * Every analysed track's score for any label text, best first, as id, score and percentile columns (no
     * track records): what a table needs to sort 50,000 rows by a mood without shipping 50,000 objects.
     */
    'scores-label': handler(params({ label: text() }), async ({ label }): Promise<LabelRanking> => await rankLabel(label)),
  };
}

/** The scores part of the API contract, derived from the implementation. */
export type ScoreHandlerDefs = ReturnType<typeof createScoreHandlers>;
