import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import type { Db } from '../kernel/database.js';
import {
  ruleLabels,
  type LabelCondition,
  type PlaylistRule,
  type RuleFilters,
  type RuleNode,
  type RuleSort,
  DEFAULT_LIMIT,
} from './rule.js';
import { columnOrder, type TrackTable } from './track-table.js';

/** One label's scores over the index, with the sorted copy percentiles need and the best-first order. */
export interface LabelScores {
  scores: Float32Array;
  /** Ascending. */
  sorted: Float32Array;
  /** Index rows, highest score first (ties by row). */
  readonly order: Int32Array;
  /** True when the scores come from the label's personal model. */
  personal: boolean;
}

/** What evaluating a rule needs: the data, and label scores by the label text as the rule spells it. */
export interface EvalInput {
  db: Db;
  index: EmbeddingIndex;
  table: TrackTable;
  scoresFor(label: string): LabelScores;
}

/** The matching index rows in playlist order, the number that matched before the cap and limit. */
export interface Evaluation {
  rows: Int32Array;
  total: number;
  /** The label whose score orders the playlist (or null when sorted by a column). */
  scoreLabel: string | null;
  /** Every label the rule scores, conditions first. */
  labels: string[];
}

/** Builds {@link LabelScores} from raw scores; the best-first order is computed on first use only. */
export function labelScores(scores: Float32Array, personal = false): LabelScores {
  let order: Int32Array | null = null;
  return {
    scores,
    personal,
    sorted: scores.slice().sort(),
    get order(): Int32Array {
      if (!order) {
        order = new Int32Array(scores.length);
        for (let i = 0; i < order.length; i++) order[i] = i;
        order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
      }
      return order;
    },
  };
}

/**
 * The smallest score whose percentile rank (share of the library scoring at or below it, as
 * `percentiles` computes it) is strictly above `p`; Infinity when no track can be.
 */
export function percentileCutoff(sorted: Float32Array, p: number): number {
  const n = sorted.length;
  if (n === 0) return Infinity;
  let k = Math.min(n, Math.max(1, Math.floor((p * n) / 100)));
  while (k > 1 && ((k - 1) / n) * 100 > p) k--;
  while (k <= n && (k / n) * 100 <= p) k++;
  if (k > n) return Infinity;
  // A track at sorted[k-1] has at least k tracks at or below it.
  return sorted[k - 1] as number;
}

function labelMask(c: LabelCondition, input: EvalInput): Uint8Array {
  const { scores, sorted } = input.scoresFor(c.label);
  const cut = c.percentile !== undefined ? percentileCutoff(sorted, c.percentile) : Math.fround(c.threshold as number);
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = (scores[i] as number) >= cut ? 1 : 0;
  return out;
}

function tagMask(label: string, input: EvalInput): Uint8Array {
  const out = new Uint8Array(input.index.trackIds.length);
  const ids = input.db.prepare('SELECT track_id FROM track_tags WHERE label = ? COLLATE NOCASE').pluck().all(label) as number[];
  for (const id of ids) {
    const row = input.index.rowOf.get(id);
    if (row !== undefined) out[row] = 1;
  }
  return out;
}

/** The rows a condition tree matches (before filters). */
export function nodeMask(node: RuleNode, input: EvalInput): Uint8Array {
  switch (node.op) {
    case 'label':
      return labelMask(node, input);
    case 'tag':
      return tagMask(node.label, input);
    case 'not': {
      const m = nodeMask(node.child, input);
      for (let i = 0; i < m.length; i++) m[i] = 1 - (m[i] as number);
      return m;
    }
    case 'and':
    case 'or': {
      const [first, ...rest] = node.children.map((c) => nodeMask(c, input));
      const m = first as Uint8Array;
      for (const o of rest) {
        if (node.op === 'and') for (let i = 0; i < m.length; i++) m[i] = (m[i] as number) & (o[i] as number);
        else for (let i = 0; i < m.length; i++) m[i] = (m[i] as number) | (o[i] as number);
      }
      return m;
    }
  }
}

function idSet(values: readonly string[], table: readonly string[]): Uint8Array {
  const wanted = new Set(values.map((v) => v.trim().toLowerCase()));
  return Uint8Array.from(table, (v) => (wanted.has(v) ? 1 : 0));
}

function inRange(v: number, min: number | undefined, max: number | undefined): boolean {
  return !Number.isNaN(v) && (min === undefined || v >= min) && (max === undefined || v <= max);
}

function underFolder(path: string, folders: readonly string[]): boolean {
  return folders.some((f) => {
    const base = f.replace(/[\\/]+$/, '');
    return path.startsWith(base) && (path[base.length] === '/' || path[base.length] === '\\');
  });
}

/** Playable rows passing the filters (every filter must pass). */
export function filterMask(table: TrackTable, f: RuleFilters = {}): Uint8Array {
  const n = table.ok.length;
  const out = Uint8Array.from(table.ok);
  const artistIn = f.artist?.in && idSet(f.artist.in, table.artists);
  const artistOut = f.artist?.notIn && idSet(f.artist.notIn, table.artists);
  const genreIn = f.genre?.in && idSet(f.genre.in, table.genres);
  const genreOut = f.genre?.notIn && idSet(f.genre.notIn, table.genres);
  const has = (set: Uint8Array, k: number): boolean => k >= 0 && set[k] === 1;
  for (let i = 0; i < n; i++) {
    if (!out[i]) continue;
    const a = table.artist[i] as number;
    const g = table.genre[i] as number;
    const pass =
      (!f.duration || inRange(table.duration[i] as number, f.duration.min, f.duration.max)) &&
      (!f.year || inRange(table.year[i] as number, f.year.min, f.year.max)) &&
      (!artistIn || has(artistIn, a)) &&
      (!artistOut || !has(artistOut, a)) &&
      (!genreIn || has(genreIn, g)) &&
      (!genreOut || !has(genreOut, g)) &&
      (!f.folders || underFolder(table.path[i] as string, f.folders));
    out[i] = pass ? 1 : 0;
  }
  return out;
}

/** The sort a rule uses: its own, else the first label condition's score, else by path. */
export function effectiveSort(rule: PlaylistRule): RuleSort {
  if (rule.sort) return rule.sort;
  const first = ruleLabels(rule)[0];
  return first !== undefined ? { by: 'score', label: first } : { by: 'path' };
}

/**
 * Walks rows in order, keeping those in `mask`, at most `perArtist` per artist (tracks without an
 * artist are not capped), up to `limit`. Returns the rows and how many were in the mask.
 */
export function takeRows(
  order: Int32Array,
  reverse: boolean,
  mask: Uint8Array,
  table: TrackTable,
  limit: number,
  perArtist?: number,
): { rows: Int32Array; total: number } {
  const perArtistCount = perArtist ? new Int32Array(table.artists.length) : null;
  const rows: number[] = [];
  let total = 0;
  for (let k = 0; k < order.length; k++) {
    const row = order[reverse ? order.length - 1 - k : k] as number;
    if (!mask[row]) continue;
    total++;
    if (rows.length >= limit) continue;
    const a = table.artist[row] as number;
    if (perArtistCount && a >= 0) {
      if ((perArtistCount[a] as number) >= (perArtist as number)) continue;
      perArtistCount[a] = (perArtistCount[a] as number) + 1;
    }
    rows.push(row);
  }
  return { rows: Int32Array.from(rows), total };
}

/** Evaluates a rule over the whole index: conditions, filters, sort, per-artist cap and limit. */
export function evaluateRule(rule: PlaylistRule, input: EvalInput): Evaluation {
  const mask = filterMask(input.table, rule.filters);
  if (rule.match) {
    const m = nodeMask(rule.match, input);
    for (let i = 0; i < mask.length; i++) mask[i] = (mask[i] as number) & (m[i] as number);
  }
  const sort = effectiveSort(rule);
  const order = sort.by === 'score' ? input.scoresFor(sort.label).order : columnOrder(input.db, input.index, input.table, sort.by);
  const reverse = sort.by !== 'score' && sort.descending === true;
  const { rows, total } = takeRows(order, reverse, mask, input.table, rule.limit ?? DEFAULT_LIMIT, rule.perArtist);
  return { rows, total, scoreLabel: sort.by === 'score' ? sort.label : null, labels: ruleLabels(rule) };
}
