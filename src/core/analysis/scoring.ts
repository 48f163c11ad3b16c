import { indexDots, type EmbeddingIndex } from './embedding-index.js';
import { dot } from './vectors.js';

/**
 * Track scores for one label over the whole index: the mean segment cosine, computed as the dot product
 * with the stored track embedding (the mean of unit segment vectors), so it never touches audio. One
 * pass over the contiguous matrix (WebAssembly SIMD, the same values as `dot`).
 */
export function scoreTracks(index: EmbeddingIndex, label: Float32Array): Float32Array {
  const fast = indexDots(index, label);
  if (fast) return fast;
  const n = index.trackIds.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dot(index.tracks, label, i * index.dim);
  return out;
}

/** Radix digits of bestFirst's keys, low to high: three passes instead of four 8-bit ones. */
const DIGITS = [
  { shift: 0, mask: 0x7ff },
  { shift: 11, mask: 0x7ff },
  { shift: 22, mask: 0x3ff },
] as const;

/**
 * Rows in best-first order, ties by row: exactly what a stable comparator sort by descending score gives.
 * The float32 bits are mapped to unsigned keys whose order is the reverse numeric order (-0 as +0, as `===`
 * treats them), then sorted by a stable least-significant-digit radix sort: the three digits' counts in one
 * pass, then one scatter pass per digit (11, 11 and 10 bits; a pass is skipped when every key shares its
 * digit): linear time, about 10x faster than a comparator at 10,000 rows.
 */
function bestFirst(scores: Float32Array): Int32Array {
  const n = scores.length;
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, n);
  let keys = new Uint32Array(n);
  let rows = new Int32Array(n);
  const counts = DIGITS.map((d) => new Int32Array(d.mask + 1));
  const [c0, c1, c2] = counts as [Int32Array, Int32Array, Int32Array];
  for (let i = 0; i < n; i++) {
    const u = bits[i] === 0x80000000 ? 0 : (bits[i] as number);
    const ascending = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    const k = ~ascending >>> 0;
    keys[i] = k;
    rows[i] = i;
    const d0 = k & 0x7ff;
    const d1 = (k >>> 11) & 0x7ff;
    const d2 = k >>> 22;
    c0[d0] = (c0[d0] as number) + 1;
    c1[d1] = (c1[d1] as number) + 1;
    c2[d2] = (c2[d2] as number) + 1;
  }
  let keysOut = new Uint32Array(n);
  let rowsOut = new Int32Array(n);
  DIGITS.forEach(({ shift, mask }, pass) => {
    const count = counts[pass] as Int32Array;
    if (n === 0 || count[((keys[0] as number) >>> shift) & mask] === n) return;
    let at = 0;
    for (let d = 0; d <= mask; d++) {
      const c = count[d] as number;
      count[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i] as number;
      const d = (k >>> shift) & mask;
      const to = count[d] as number;
      count[d] = to + 1;
      keysOut[to] = k;
      rowsOut[to] = rows[i] as number;
    }
    [keys, keysOut] = [keysOut, keys];
    [rows, rowsOut] = [rowsOut, rows];
  });
  return rows;
}

/** A label's scores ranked: rows best first (ties by row) and each row's library percentile. */
export interface Ranking {
  order: Int32Array;
  percentiles: Float32Array;
}

/** A label's scores ranked, in rank order: rows best first, their scores, and their library percentiles. */
export interface RankedScores {
  order: Int32Array;
  /** scores[order[k]] at k. */
  sorted: Float32Array;
  /** The percentile of order[k] at k. */
  percentiles: Float32Array;
}

/**
 * Ranks scores best first and gives each its percentile (see `percentiles`) from the same single sort, all in
 * rank order (what a ranking sends: one pass each, no scattered writes): a run of equal scores starting at
 * position p of the best-first order has n - p scores at or below it.
 */
export function rankInOrder(scores: Float32Array): RankedScores {
  const n = scores.length;
  const order = bestFirst(scores);
  const sorted = new Float32Array(n);
  for (let k = 0; k < n; k++) sorted[k] = scores[order[k] as number] as number;
  const pct = new Float32Array(n);
  let p = 0;
  while (p < n) {
    const s = sorted[p] as number;
    let q = p;
    while (q + 1 < n && sorted[q + 1] === s) q++;
    const at = ((n - p) / n) * 100;
    for (let k = p; k <= q; k++) pct[k] = at; // not fill(): a call per run costs more than the run at 10,000 rows
    p = q + 1;
  }
  return { order, sorted, percentiles: pct };
}

/** Ranks scores best first and gives each row its percentile (rankInOrder's, by row). */
export function rankScores(scores: Float32Array): Ranking {
  const { order, percentiles: inOrder } = rankInOrder(scores);
  const pct = new Float32Array(scores.length);
  for (let k = 0; k < order.length; k++) pct[order[k] as number] = inOrder[k] as number;
  return { order, percentiles: pct };
}

/**
 * Percentile rank (0-100) of each score within the library: the share of tracks scoring at or below it.
 * A raw cosine of 0.31 means little to a person; "higher than 92% of your library" does.
 */
export function percentiles(scores: Float32Array): Float32Array {
  return rankScores(scores).percentiles;
}

/** The percentile of one score against a library's scores. */
export function percentileOf(score: number, sortedScores: Float32Array): number {
  // Compare in float32: a track's own score, computed in float64, must count itself.
  const x = Math.fround(score);
  let lo = 0;
  let hi = sortedScores.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sortedScores[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return sortedScores.length ? (lo / sortedScores.length) * 100 : 0;
}

/** A label's result in a song-level vote. */
export interface Vote {
  label: number;
  votes: number;
  meanScore: number;
}

/**
 * The paper's song-level tagging: every segment votes for its top-k labels; the song takes the k labels
 * with the most votes (ties broken by the higher mean cosine, then by label order).
 * `scores[s][l]` is the cosine of segment s with label l.
 */
export function songVote(scores: Float32Array[], k: number): Vote[] {
  const nLabels = scores[0]?.length ?? 0;
  const votes = new Float64Array(nLabels);
  const sums = new Float64Array(nLabels);
  for (const seg of scores) {
    const top = Array.from({ length: nLabels }, (_, l) => l)
      .sort((a, b) => (seg[b] as number) - (seg[a] as number) || a - b)
      .slice(0, k);
    for (const l of top) votes[l] = (votes[l] as number) + 1;
    for (let l = 0; l < nLabels; l++) sums[l] = (sums[l] as number) + (seg[l] as number);
  }
  return Array.from({ length: nLabels }, (_, l) => ({
    label: l,
    votes: votes[l] as number,
    meanScore: (sums[l] as number) / (scores.length || 1),
  }))
    .sort((a, b) => b.votes - a.votes || b.meanScore - a.meanScore || a.label - b.label)
    .slice(0, k);
}
