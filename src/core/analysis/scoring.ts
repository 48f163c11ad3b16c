import type { EmbeddingIndex } from './embedding-index.js';
import { dot } from './vectors.js';

/**
 * Track scores for one label over the whole index: the mean segment cosine, computed as the dot product
 * with the stored track embedding (the mean of unit segment vectors), so it never touches audio.
 */
export function scoreTracks(index: EmbeddingIndex, label: Float32Array): Float32Array {
  const n = index.trackIds.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dot(index.tracks, label, i * index.dim);
  return out;
}

/** Segment cosines for one label over every stored segment (for timelines and votes). */
export function scoreSegments(index: EmbeddingIndex, label: Float32Array): Float32Array {
  const n = index.segIndex.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dot(index.segments, label, i * index.dim);
  return out;
}

/**
 * Percentile rank (0-100) of each score within the library: the share of tracks scoring at or below it.
 * A raw cosine of 0.31 means little to a person; "higher than 92% of your library" does.
 */
export function percentiles(scores: Float32Array): Float32Array {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const out = new Float32Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1] as number] === scores[order[i] as number]) j++;
    const pct = ((j + 1) / n) * 100;
    for (let k = i; k <= j; k++) out[order[k] as number] = pct;
    i = j + 1;
  }
  return out;
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
