import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import { dot } from '../analysis/vectors.js';
import { takeRows } from './evaluate.js';
import type { TrackTable } from './track-table.js';

/** Length of each track embedding (means of unit segments are shorter than 1), for true cosines. */
export function trackNorms(index: EmbeddingIndex): Float32Array {
  const n = index.trackIds.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * index.dim;
    for (let d = 0; d < index.dim; d++) s += (index.tracks[o + d] as number) ** 2;
    out[i] = Math.sqrt(s);
  }
  return out;
}

/** Cosine of every track embedding with a vector (0 for an all-zero track). */
export function cosines(index: EmbeddingIndex, norms: Float32Array, v: Float32Array): Float32Array {
  let vn = 0;
  for (let d = 0; d < v.length; d++) vn += (v[d] as number) ** 2;
  const inv = vn > 0 ? 1 / Math.sqrt(vn) : 0;
  const out = new Float32Array(norms.length);
  for (let i = 0; i < out.length; i++) {
    const tn = norms[i] as number;
    out[i] = tn > 0 ? dot(index.tracks, v, i * index.dim) * (inv / tn) : 0;
  }
  return out;
}

/** The direction of a set of seed tracks: the sum of their unit embeddings. */
export function seedCentroid(index: EmbeddingIndex, norms: Float32Array, rows: readonly number[]): Float32Array {
  const c = new Float32Array(index.dim);
  for (const r of rows) {
    const tn = norms[r] as number;
    if (tn === 0) continue;
    const o = r * index.dim;
    for (let d = 0; d < index.dim; d++) c[d] = (c[d] as number) + (index.tracks[o + d] as number) / tn;
  }
  return c;
}

/** "More like this": rows nearest to the seeds by cosine (seeds excluded), best first, with their cosine. */
export function similarRows(
  index: EmbeddingIndex,
  norms: Float32Array,
  table: TrackTable,
  seeds: readonly number[],
  mask: Uint8Array,
  limit: number,
  perArtist?: number,
): { rows: Int32Array; total: number; scores: Float32Array } {
  const scores = cosines(index, norms, seedCentroid(index, norms, seeds));
  for (const s of seeds) mask[s] = 0;
  const candidates: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) candidates.push(i);
  candidates.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return { ...takeRows(Int32Array.from(candidates), false, mask, table, limit, perArtist), scores };
}

/**
 * Weights (alpha, beta) with target = alpha a + beta b for `steps` points spherically interpolated
 * from unit vector a to unit vector b (linear then renormalised when they are nearly parallel).
 */
export function slerpWeights(a: Float32Array, b: Float32Array, steps: number): [number, number][] {
  const cos = Math.min(1, Math.max(-1, dot(a, b)));
  const omega = Math.acos(cos);
  return Array.from({ length: steps }, (_, k) => {
    const u = steps === 1 ? 0 : k / (steps - 1);
    if (Math.sin(omega) < 1e-6) {
      const alpha = 1 - u;
      const beta = u;
      const len = Math.sqrt(Math.max(0, alpha * alpha + beta * beta + 2 * alpha * beta * cos));
      // Opposite labels have no unique midpoint: keep the plain mix rather than divide by ~0.
      return len > 1e-6 ? [alpha / len, beta / len] : [alpha, beta];
    }
    return [Math.sin((1 - u) * omega) / Math.sin(omega), Math.sin(u * omega) / Math.sin(omega)];
  });
}

/** One step of a mood journey: the track picked and its score against the step's target. */
export interface JourneyStep {
  row: number;
  target: number;
}

/**
 * A mood journey: for each interpolated target, greedily the unused allowed track with the highest score
 * against it. A track's score against target alpha a + beta b is alpha sA + beta sB (its scores for
 * the two labels), so a step costs one pass over the scores, not over the embeddings. With
 * `jumpPenalty` > 0 a candidate loses jumpPenalty x (1 - cosine to the previous pick), smoothing the path.
 */
export function journeyRows(
  index: EmbeddingIndex,
  norms: Float32Array,
  table: TrackTable,
  input: {
    a: Float32Array;
    b: Float32Array;
    sA: Float32Array;
    sB: Float32Array;
    steps: number;
    jumpPenalty: number;
    mask: Uint8Array;
    perArtist?: number;
  },
): JourneyStep[] {
  const { sA, sB, mask } = input;
  const used = new Uint8Array(mask.length);
  const perArtist = input.perArtist ? new Int32Array(table.artists.length) : null;
  const out: JourneyStep[] = [];
  let prev = -1;
  for (const [alpha, beta] of slerpWeights(input.a, input.b, input.steps)) {
    const near =
      prev >= 0 && input.jumpPenalty > 0 ? cosines(index, norms, index.tracks.subarray(prev * index.dim, (prev + 1) * index.dim)) : null;
    let best = -1;
    let bestValue = -Infinity;
    let bestTarget = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i] || used[i]) continue;
      const a = table.artist[i] as number;
      if (perArtist && a >= 0 && (perArtist[a] as number) >= (input.perArtist as number)) continue;
      const target = alpha * (sA[i] as number) + beta * (sB[i] as number);
      const value = near ? target - input.jumpPenalty * (1 - (near[i] as number)) : target;
      if (value > bestValue) {
        best = i;
        bestValue = value;
        bestTarget = target;
      }
    }
    if (best < 0) break;
    used[best] = 1;
    const a = table.artist[best] as number;
    if (perArtist && a >= 0) perArtist[a] = (perArtist[a] as number) + 1;
    out.push({ row: best, target: bestTarget });
    prev = best;
  }
  return out;
}
