import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import { percentileOf, scoreTracks } from '../analysis/scoring.js';
import type { ScoringDeps } from '../analysis/scoring-deps.js';
import { labelVectors } from '../labels/embeddings.js';
import { allVocabularies, embeddedText, labelEntries } from '../labels/store.js';
import { getTracks, type Track } from '../tracks/queries.js';
import { UserError } from '../kernel/errors.js';
import { DEFAULT_SIMILAR_LIMIT, type JourneyDefinition, type PlaylistDefinition, type SimilarDefinition } from './definition.js';
import { evaluateRule, filterMask, labelScores, type LabelScores } from './evaluate.js';
import { journeyRows, similarRows, trackNorms } from './neighbors.js';
import type { PlaylistRule } from './rule.js';
import { ruleLabels } from './rule.js';
import { createTrackTableCache, type TrackTable } from './track-table.js';

/** A label's value for a playlist track. */
export interface PlaylistLabelValue {
  label: string;
  score: number;
  /** Share of the analysed library scoring at or below, 0-100. */
  percentile: number;
  /** True when the score comes from the label's personal model (learnt from the user's tags). */
  personal: boolean;
}

/** One track of an evaluated playlist. */
export interface PlaylistTrack {
  track: Track;
  /**
   * What ordered it: the sort label's score (rules), the cosine to the seeds (more like this), or the
   * score against the step's target (journeys); null when a rule sorts by a column.
   */
  score: number | null;
  /** The percentile of `score` for rules sorted by a label; null otherwise. */
  percentile: number | null;
  /** The rule's labels (or a journey's two) for this track. */
  labels: PlaylistLabelValue[];
}

/** An evaluated playlist. */
export interface PlaylistResult {
  kind: PlaylistDefinition['kind'];
  packKey: string;
  /** Tracks that matched before the per-artist cap and the limit (journeys: the steps filled). */
  total: number;
  tracks: PlaylistTrack[];
  /** Evaluation time without label text encoding, for the preview's status line. */
  elapsedMs: number;
}

const SCORE_CACHE_SIZE = 32;

/**
 * Evaluates playlist definitions against the active pack's embedding index. Label scores, their sorted
 * copies and best-first orders, track norms and the track columns are cached until the stored results
 * or the tracks change, so a live preview re-evaluates an edited rule in milliseconds. It needs only what
 * scoring needs (the database, the active pack and model, the embedding index).
 */
export function createPlaylistEngine(deps: ScoringDeps) {
  const { db, models } = deps;
  const tables = createTrackTableCache(db);
  const scoreCache = new Map<string, LabelScores>();
  let normsCache: { stamp: string; norms: Float32Array } | null = null;

  const textFor = (labels: readonly string[]): Map<string, string> => {
    const { manifest } = models.active();
    const byName = new Map<string, string>();
    for (const e of labelEntries(allVocabularies(db, manifest))) {
      if (!byName.has(e.name.toLowerCase())) byName.set(e.name.toLowerCase(), embeddedText(e.name, e.description));
    }
    return new Map(labels.map((l) => [l, byName.get(l.toLowerCase()) ?? l]));
  };

  /** Embeds the labels (cached per encoder) and returns a scores lookup by label as spelled. */
  const prepareLabels = async (index: EmbeddingIndex, labels: readonly string[]): Promise<(label: string) => LabelScores> => {
    const texts = textFor(labels);
    const vectors = await labelVectors(db, index.packKey, models.activeModel(), [...texts.values()]);
    const byText = new Map([...texts.values()].map((t, i) => [t, vectors[i] as Float32Array]));
    return (label) => {
      const text = texts.get(label) ?? label;
      // The label's personal model where active (better than zero-shot on the user's tags, not switched off).
      const personal = deps.personal?.vectorFor(index.packKey, label) ?? null;
      const key = `${index.stamp}|${text}|${personal?.stamp ?? ''}`;
      let s = scoreCache.get(key);
      if (!s) {
        s = labelScores(scoreTracks(index, personal?.vector ?? (byText.get(text) as Float32Array)), personal !== null);
        if (scoreCache.size >= SCORE_CACHE_SIZE) scoreCache.delete(scoreCache.keys().next().value as string);
        scoreCache.set(key, s);
      }
      return s;
    };
  };

  const norms = (index: EmbeddingIndex): Float32Array => {
    if (normsCache?.stamp !== `${index.packKey}|${index.stamp}`)
      normsCache = { stamp: `${index.packKey}|${index.stamp}`, norms: trackNorms(index) };
    return normsCache.norms;
  };

  const activeIndex = (): { index: EmbeddingIndex; table: TrackTable } => {
    const { pack } = models.active();
    const index = deps.index.get(pack.key);
    return { index, table: tables.get(index) };
  };

  const labelValues = (rows: Int32Array, labels: readonly string[], scoresFor: (l: string) => LabelScores): PlaylistLabelValue[][] =>
    Array.from(rows, (row) =>
      labels.map((label) => {
        const s = scoresFor(label);
        const score = s.scores[row] as number;
        return { label, score, percentile: percentileOf(score, s.sorted), personal: s.personal };
      }),
    );

  const withTracks = (index: EmbeddingIndex, rows: Int32Array, make: (k: number) => Omit<PlaylistTrack, 'track'>): PlaylistTrack[] => {
    const tracks = getTracks(
      db,
      Array.from(rows, (r) => index.trackIds[r] as number),
    );
    const byId = new Map(tracks.map((t) => [t.id, t]));
    return Array.from(rows).flatMap((r, k) => {
      const track = byId.get(index.trackIds[r] as number);
      return track ? [{ track, ...make(k) }] : [];
    });
  };

  const runRule = async (rule: PlaylistRule): Promise<PlaylistResult> => {
    const { index, table } = activeIndex();
    const scoresFor = await prepareLabels(index, ruleLabels(rule));
    const t0 = performance.now();
    const ev = evaluateRule(rule, { db: db, index, table, scoresFor });
    const values = labelValues(ev.rows, ev.labels, scoresFor);
    const elapsedMs = performance.now() - t0;
    const tracks = withTracks(index, ev.rows, (k) => {
      const own = ev.scoreLabel === null ? undefined : values[k]?.find((v) => v.label === ev.scoreLabel);
      return { score: own?.score ?? null, percentile: own?.percentile ?? null, labels: values[k] ?? [] };
    });
    return { kind: 'rule', packKey: index.packKey, total: ev.total, tracks, elapsedMs };
  };

  const runSimilar = (d: SimilarDefinition): PlaylistResult => {
    const { index, table } = activeIndex();
    const t0 = performance.now();
    const seeds = d.trackIds.map((id) => index.rowOf.get(id));
    const missing = d.trackIds.filter((_, i) => seeds[i] === undefined);
    if (missing.length > 0)
      throw new UserError(
        `${missing.length === 1 ? 'Track' : 'Tracks'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not analysed with ${index.packKey} yet`,
        'E_NOT_ANALYZED',
      );
    const r = similarRows(
      index,
      norms(index),
      table,
      seeds as number[],
      filterMask(table, d.filters),
      d.limit ?? DEFAULT_SIMILAR_LIMIT,
      d.perArtist,
    );
    const elapsedMs = performance.now() - t0;
    const tracks = withTracks(index, r.rows, (k) => ({ score: r.scores[r.rows[k] as number] as number, percentile: null, labels: [] }));
    return { kind: 'similar', packKey: index.packKey, total: r.total, tracks, elapsedMs };
  };

  const runJourney = async (d: JourneyDefinition): Promise<PlaylistResult> => {
    const { index, table } = activeIndex();
    const labels = [...new Set([d.from, d.to])];
    const scoresFor = await prepareLabels(index, labels);
    const texts = textFor(labels);
    const [a, b] = await labelVectors(db, index.packKey, models.activeModel(), [texts.get(d.from) as string, texts.get(d.to) as string]);
    const t0 = performance.now();
    const own = (label: string, zeroShot: Float32Array): Float32Array => deps.personal?.vectorFor(index.packKey, label)?.vector ?? zeroShot;
    const steps = journeyRows(index, norms(index), table, {
      a: own(d.from, a as Float32Array),
      b: own(d.to, b as Float32Array),
      sA: scoresFor(d.from).scores,
      sB: scoresFor(d.to).scores,
      steps: d.steps,
      jumpPenalty: d.jumpPenalty ?? 0,
      mask: filterMask(table, d.filters),
      perArtist: d.perArtist,
    });
    const rows = Int32Array.from(steps, (s) => s.row);
    const values = labelValues(rows, labels, scoresFor);
    const elapsedMs = performance.now() - t0;
    const tracks = withTracks(index, rows, (k) => ({ score: steps[k]?.target ?? null, percentile: null, labels: values[k] ?? [] }));
    return { kind: 'journey', packKey: index.packKey, total: steps.length, tracks, elapsedMs };
  };

  return {
    /** Evaluates any playlist definition. */
    run(d: PlaylistDefinition): Promise<PlaylistResult> {
      switch (d.kind) {
        case 'rule':
          return runRule(d.rule);
        case 'similar':
          return Promise.resolve(runSimilar(d));
        case 'journey':
          return runJourney(d);
      }
    },
  };
}

/** The engine {@link createPlaylistEngine} returns. */
export type PlaylistEngine = ReturnType<typeof createPlaylistEngine>;
