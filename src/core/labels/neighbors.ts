// Exhaustive nearest-neighbour queries with the distance arithmetic scikit-learn's NearestNeighbors uses.
// Label sets are small (tens to hundreds of vectors), so a scan is fast and keeps results exact.
import { dot } from './numeric.js';

/**
 * How a squared distance is computed, after the algorithm sklearn's `algorithm='auto'` would pick:
 * - `gemm`: the brute-force path (pairwise-distance reductions), |x|^2 - 2 x.y + |y|^2 clipped at 0;
 * - `direct`: the KD-tree path, the sum of squared differences.
 * Near a threshold the two differ in the last bits, so matching sklearn's choice matters.
 */
export type DistanceArithmetic = 'gemm' | 'direct';

/** Above this many features sklearn's `auto` always uses brute force (NearestNeighbors._fit). */
const KD_TREE_MAX_FEATURES = 15;

/**
 * The arithmetic sklearn's NearestNeighbors(algorithm='auto') ends up using for a fit of `nFit` points in
 * `dims` dimensions: brute force when there are over 15 features or when n_neighbors >= nFit // 2 (a radius-only
 * estimator has no n_neighbors), else a KD-tree.
 */
export function sklearnArithmetic(nFit: number, dims: number, nNeighbors?: number): DistanceArithmetic {
  if (dims > KD_TREE_MAX_FEATURES) return 'gemm';
  if (nNeighbors !== undefined && nNeighbors >= Math.floor(nFit / 2)) return 'gemm';
  return 'direct';
}

/** The k nearest points of one query, nearest first, with Euclidean distances. */
export interface KNearest {
  indices: number[];
  distances: number[];
}

/**
 * A fitted set of points answering radius and k-nearest queries the way sklearn's NearestNeighbors does:
 * radius results in ascending index order (the brute-force order), ties in k-nearest to the lowest index.
 */
export class NeighborIndex {
  private readonly norms: Float64Array;

  constructor(
    readonly points: readonly Float64Array[],
    readonly arithmetic: DistanceArithmetic,
  ) {
    this.norms = Float64Array.from(points, (p) => dot(p, p));
  }

  /** Squared distance from `query` (whose squared norm is `queryNorm`) to point `j`, as sklearn computes it. */
  squaredDistance(query: Float64Array, queryNorm: number, j: number): number {
    const p = this.points[j] as Float64Array;
    if (this.arithmetic === 'gemm') {
      const sq = queryNorm + -2 * dot(query, p) + (this.norms[j] as number);
      return Math.max(0, sq);
    }
    let s = 0;
    for (let k = 0; k < p.length; k++) {
      const d = (query[k] as number) - (p[k] as number);
      s += d * d;
    }
    return s;
  }

  /** Indices of the points within `radius` (distance <= radius, compared squared as sklearn does). */
  withinRadius(query: Float64Array, radius: number): number[] {
    const limit = radius * radius;
    const qn = dot(query, query);
    const out: number[] = [];
    for (let j = 0; j < this.points.length; j++) {
      if (this.squaredDistance(query, qn, j) <= limit) out.push(j);
    }
    return out;
  }

  /** The `k` nearest points; a later point replaces a kept one only when strictly nearer (sklearn's heap_push). */
  kNearest(query: Float64Array, k: number): KNearest {
    if (k < 1 || k > this.points.length) throw new RangeError(`Expected 1 <= n_neighbors <= ${this.points.length}, got ${k}`);
    const qn = dot(query, query);
    const best: number[] = [];
    const bestSq: number[] = [];
    for (let j = 0; j < this.points.length; j++) {
      const sq = this.squaredDistance(query, qn, j);
      if (best.length === k && sq >= (bestSq[k - 1] as number)) continue;
      let at = bestSq.length;
      while (at > 0 && (bestSq[at - 1] as number) > sq) at--;
      best.splice(at, 0, j);
      bestSq.splice(at, 0, sq);
      if (best.length > k) {
        best.pop();
        bestSq.pop();
      }
    }
    return { indices: best, distances: bestSq.map((sq) => Math.sqrt(Math.max(0, sq))) };
  }
}
