// scikit-learn's mean shift (sklearn.cluster.estimate_bandwidth and MeanShift.fit, flat kernel) ported step
// by step, so the label alignment of the paper (MeanShift over LLM label embeddings) can run without Python
// and give the same clusters. scripts/compare-mean-shift.py checks it against sklearn.
import { UserError } from '../kernel/errors.js';
import { createLogger, type Logger } from '../kernel/logger.js';
import { NeighborIndex, sklearnArithmetic } from './neighbors.js';
import { NumpyRandomState } from './numpy-random.js';
import { meanOfRows, pairwiseSum, toMatrix, type MatrixInput } from './numeric.js';

export { pca2d, type Pca2d } from './pca.js';
export type { MatrixInput } from './numeric.js';

/** sklearn's estimate_bandwidth batch size for the k-neighbours queries; the batch sums are added in this order. */
const BANDWIDTH_BATCH = 500;

/** Options of {@link estimateBandwidth}; the defaults are sklearn's. */
export interface BandwidthOptions {
  /** Fraction of the (sampled) points used as neighbours: n_neighbors = int(n * quantile), at least 1. */
  quantile?: number;
  /** Estimate on this many rows drawn by numpy's RandomState(randomState).permutation; all rows if unset. */
  nSamples?: number;
  /** Seed of the numpy legacy generator; sklearn's default is 0. */
  randomState?: number;
}

/**
 * sklearn.cluster.estimate_bandwidth: the mean over the (sampled) points of the distance to their
 * int(n * quantile)-th nearest neighbour, the point itself counting as the first. The paper picks its
 * MeanShift bandwidth this way, so the cluster count depends on reproducing it to the last bit.
 */
export function estimateBandwidth(X: MatrixInput, options: BandwidthOptions = {}): number {
  const { quantile = 0.3, nSamples, randomState = 0 } = options;
  if (!(quantile >= 0 && quantile <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${quantile}`);
  const sample = sampleRows(toMatrix(X), nSamples, randomState);
  return meanKthNeighbourDistance(sample, neighboursFor(sample.length, quantile));
}

/** n_neighbors = int(n * quantile), raised to 1 as sklearn does (NearestNeighbors refuses 0). */
export function neighboursFor(n: number, quantile: number): number {
  return Math.max(1, Math.trunc(n * quantile));
}

/** `X[random_state.permutation(n)[:n_samples]]`, or X itself when nSamples is unset. */
export function sampleRows(X: Float64Array[], nSamples: number | undefined, randomState: number): Float64Array[] {
  if (nSamples === undefined) return X;
  if (!Number.isInteger(nSamples) || nSamples < 1) throw new RangeError(`nSamples must be an integer >= 1, got ${nSamples}`);
  const order = new NumpyRandomState(randomState).permutation(X.length).slice(0, nSamples);
  return order.map((i) => X[i] as Float64Array);
}

/**
 * The core of estimate_bandwidth: NearestNeighbors(k).fit(X).kneighbors(X) in batches of 500, each batch's
 * row maxima summed with numpy's pairwise sum, the batch sums added in order, divided by n.
 */
export function meanKthNeighbourDistance(X: Float64Array[], k: number): number {
  const dims = (X[0] as Float64Array).length;
  const index = new NeighborIndex(X, sklearnArithmetic(X.length, dims, k));
  let total = 0;
  for (let start = 0; start < X.length; start += BANDWIDTH_BATCH) {
    const batch = X.slice(start, start + BANDWIDTH_BATCH);
    const maxima = Float64Array.from(batch, (row) => Math.max(...index.kNearest(row, k).distances));
    total += pairwiseSum(maxima);
  }
  return total / X.length;
}

/** Options of {@link meanShift}; the defaults are sklearn's MeanShift defaults. */
export interface MeanShiftOptions {
  /** Kernel radius (required: estimate it with {@link estimateBandwidth}). */
  bandwidth: number;
  /** Starting points of the hill climbs; the data points (or bin seeds) when unset. */
  seeds?: MatrixInput;
  /** Seed from a grid of cell size `bandwidth` instead of every point. */
  binSeeding?: boolean;
  /** With binSeeding, keep only cells holding at least this many points. */
  minBinFreq?: number;
  /** Give every point a cluster (nearest center) rather than -1 for points beyond the bandwidth. */
  clusterAll?: boolean;
  /** Iteration cap per seed. */
  maxIter?: number;
  /** Where warnings go (sklearn's warnings.warn). */
  logger?: Logger;
}

/** What {@link meanShift} returns: sklearn's cluster_centers_, labels_ and n_iter_, plus per-seed detail. */
export interface MeanShiftResult {
  /** Cluster centers in sklearn's order (most points within bandwidth first). */
  centers: Float64Array[];
  /** Per point, the index of its center (-1 for an orphan when clusterAll is false). */
  labels: number[];
  bandwidth: number;
  /** sklearn's n_iter_: the most iterations any seed took. */
  nIter: number;
  /** Iterations each seed took, in seed order. */
  seedIterations: number[];
  /** Points within bandwidth of each center at its last step, parallel to `centers`. */
  intensities: number[];
}

interface ClimbResult {
  center: Float64Array;
  pointsWithin: number;
  iterations: number;
}

/**
 * sklearn.cluster.MeanShift(...).fit(X): hill-climb from every seed to the mean of the points within the
 * bandwidth, keep the distinct end points, drop those within the bandwidth of a busier one, and label each
 * point with its nearest remaining center. Mirrors sklearn's order of operations so ties resolve the same way.
 */
export function meanShift(X: MatrixInput, options: MeanShiftOptions): MeanShiftResult {
  const { bandwidth, binSeeding = false, minBinFreq = 1, clusterAll = true, maxIter = 300 } = options;
  if (!(Number.isFinite(bandwidth) && bandwidth > 0))
    throw new RangeError(`bandwidth must be a finite number > 0 (as sklearn's MeanShift requires), got ${bandwidth}`);
  const points = toMatrix(X);
  const dims = (points[0] as Float64Array).length;
  const seeds = chooseSeeds(points, options.seeds, binSeeding, bandwidth, minBinFreq, options.logger);
  const index = new NeighborIndex(points, sklearnArithmetic(points.length, dims));
  const climbs = seeds.map((seed) => climb(seed, points, index, bandwidth, maxIter));
  const ranked = rankCenters(climbs);
  if (ranked.length === 0) {
    throw new UserError(
      `No point was within bandwidth=${bandwidth} of any seed; try another seeding or a larger bandwidth.`,
      'E_MEAN_SHIFT',
    );
  }
  const kept = removeNearDuplicates(ranked, bandwidth);
  const centers = kept.map((c) => c.center);
  return {
    centers,
    labels: assignLabels(points, centers, bandwidth, clusterAll),
    bandwidth,
    nIter: Math.max(...climbs.map((c) => c.iterations)),
    seedIterations: climbs.map((c) => c.iterations),
    intensities: kept.map((c) => c.pointsWithin),
  };
}

function chooseSeeds(
  points: Float64Array[],
  seeds: MatrixInput | undefined,
  binSeeding: boolean,
  bandwidth: number,
  minBinFreq: number,
  logger: Logger | undefined,
): Float64Array[] {
  if (seeds !== undefined) return toMatrix(seeds, 'seeds');
  return binSeeding ? getBinSeeds(points, bandwidth, minBinFreq, logger) : points;
}

/** `_mean_shift_single_seed`: one hill climb, stopping when the mean moves by <= 1e-3 * bandwidth or at maxIter. */
function climb(seed: Float64Array, points: Float64Array[], index: NeighborIndex, bandwidth: number, maxIter: number): ClimbResult {
  const stopThresh = 1e-3 * bandwidth;
  const dims = seed.length;
  let mean = seed;
  let pointsWithin = 0;
  let iterations = 0;
  for (;;) {
    const within = index.withinRadius(mean, bandwidth);
    pointsWithin = within.length;
    if (pointsWithin === 0) break;
    const old = mean;
    mean = meanOfRows(points, within, dims);
    if (distance(mean, old) <= stopThresh || iterations === maxIter) break;
    iterations++;
  }
  return { center: mean, pointsWithin, iterations };
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = (a[k] as number) - (b[k] as number);
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * sklearn keys its centers by `tuple(center)` in a dict (a later identical center overwrites the count) and
 * sorts by (count, tuple) descending; equal tuples compare equal even for 0.0 and -0.0, as String() does here.
 */
function rankCenters(climbs: ClimbResult[]): ClimbResult[] {
  const byTuple = new Map<string, ClimbResult>();
  for (const c of climbs) {
    if (c.pointsWithin === 0) continue;
    const key = Array.from(c.center, String).join(',');
    const seen = byTuple.get(key);
    byTuple.set(key, seen ? { ...seen, pointsWithin: c.pointsWithin } : c);
  }
  return [...byTuple.values()].sort(compareIntensityThenTuple);
}

function compareIntensityThenTuple(a: ClimbResult, b: ClimbResult): number {
  if (a.pointsWithin !== b.pointsWithin) return b.pointsWithin - a.pointsWithin;
  for (let k = 0; k < a.center.length; k++) {
    const x = a.center[k] as number;
    const y = b.center[k] as number;
    if (x !== y) return x > y ? -1 : 1;
  }
  return 0;
}

/** sklearn's post-processing: walk the ranked centers, keep each unmarked one and mark all within bandwidth of it. */
function removeNearDuplicates(ranked: ClimbResult[], bandwidth: number): ClimbResult[] {
  const centers = ranked.map((r) => r.center);
  const index = new NeighborIndex(centers, sklearnArithmetic(centers.length, (centers[0] as Float64Array).length));
  const unique = ranked.map(() => true);
  centers.forEach((center, i) => {
    if (!unique[i]) return;
    for (const j of index.withinRadius(center, bandwidth)) unique[j] = false;
    unique[i] = true;
  });
  return ranked.filter((_, i) => unique[i]);
}

/** NearestNeighbors(n_neighbors=1).fit(centers).kneighbors(X); orphans beyond the bandwidth get -1 unless clusterAll. */
function assignLabels(points: Float64Array[], centers: Float64Array[], bandwidth: number, clusterAll: boolean): number[] {
  const index = new NeighborIndex(centers, sklearnArithmetic(centers.length, (centers[0] as Float64Array).length, 1));
  return points.map((p) => {
    const { indices, distances } = index.kNearest(p, 1);
    const label = indices[0] as number;
    return clusterAll || (distances[0] as number) <= bandwidth ? label : -1;
  });
}

/**
 * sklearn.cluster.get_bin_seeds: round each point / binSize to the grid (numpy rounds half to even), keep
 * cells with at least minBinFreq points in first-seen order, and scale back in float32 as numpy does
 * (float32 array times a Python float stays float32). Falls back to the points when binning changed nothing.
 */
export function getBinSeeds(points: Float64Array[], binSize: number, minBinFreq = 1, logger?: Logger): Float64Array[] {
  if (binSize === 0) return points;
  const bins = new Map<string, { cell: Float64Array; count: number }>();
  for (const p of points) {
    const cell = Float64Array.from(p, (v) => roundHalfEven(v / binSize));
    const key = Array.from(cell, String).join(',');
    const bin = bins.get(key);
    if (bin) bin.count++;
    else bins.set(key, { cell, count: 1 });
  }
  const kept = [...bins.values()].filter((b) => b.count >= minBinFreq);
  if (kept.length === points.length) {
    (logger ?? createLogger('labels')).warn(`Binning data failed with provided bin_size=${binSize}, using data points as seeds.`);
    return points;
  }
  const size32 = Math.fround(binSize);
  return kept.map((b) => Float64Array.from(b.cell, (v) => Math.fround(Math.fround(v) * size32)));
}

/** numpy's `np.round(x)` (decimals=0): round half to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** At or below this an estimated bandwidth is taken as collapsed (a distance of each point to itself). */
export const DEGENERATE_BANDWIDTH = 1e-6;

/** Options of {@link alignLabels}: those of {@link estimateBandwidth}, plus where to report a fallback. */
export interface AlignOptions extends BandwidthOptions {
  logger?: Logger;
}

/** One cluster of aligned labels: the indices of its member vectors and its center. */
export interface LabelCluster {
  id: number;
  members: number[];
  center: Float64Array;
}

/** What {@link alignLabels} found: the bandwidth it used, whether that was a fallback and why, the clusters. */
export interface Alignment {
  /** The bandwidth MeanShift ran with. */
  bandwidth: number;
  /** What estimate_bandwidth gave with the requested settings. */
  estimatedBandwidth: number;
  /** True when the estimate had collapsed and `bandwidth` is the fallback. */
  fallback: boolean;
  reason?: string;
  /** Clusters in sklearn's order (id = index into MeanShift's cluster_centers_). */
  clusters: LabelCluster[];
  /** Per input vector, its cluster id. */
  labels: number[];
}

/**
 * The paper's label alignment: estimate_bandwidth(quantile, nSamples) then MeanShift over the label vectors.
 * When int(n * quantile) is 1 the only neighbour is the point itself and the estimate collapses to ~0 (as for
 * the paper's two Emotify pairs), which would leave every label alone. Then the same estimator is rerun with
 * the smallest neighbourhood that measures anything, k = 2 (the mean distance to the nearest other label,
 * raised further only if duplicates keep it at 0): it is the k the paper's working settings actually used
 * (MTG + CAL500: int(73 * 0.03) = 2; all three: int(82 * 0.03) = 2), so the fallback stays on the paper's scale.
 */
export function alignLabels(vectors: MatrixInput, options: AlignOptions = {}): Alignment {
  const { quantile = 0.3, nSamples, randomState = 0 } = options;
  const points = toMatrix(vectors, 'vectors');
  const estimatedBandwidth = estimateBandwidth(points, { quantile, nSamples, randomState });
  let bandwidth = estimatedBandwidth;
  let reason: string | undefined;
  if (estimatedBandwidth <= DEGENERATE_BANDWIDTH) {
    const sample = sampleRows(points, nSamples, randomState);
    const k0 = neighboursFor(sample.length, quantile);
    const { value, k } = firstUsefulBandwidth(sample, k0);
    bandwidth = Math.max(value, DEGENERATE_BANDWIDTH);
    reason =
      `estimated bandwidth ${estimatedBandwidth} <= ${DEGENERATE_BANDWIDTH}: int(${sample.length} * ${quantile}) = ${k0} neighbour(s), the vector itself; ` +
      (value > DEGENERATE_BANDWIDTH
        ? `used the mean distance to the ${k - 1} nearest other vector(s) instead (k = ${k})`
        : `the sampled vectors are all identical, so used ${DEGENERATE_BANDWIDTH} (groups identical vectors)`);
    (options.logger ?? createLogger('labels')).warn('mean shift bandwidth collapsed; using a fallback', { reason });
  }
  const result = meanShift(points, { bandwidth });
  return { bandwidth, estimatedBandwidth, fallback: reason !== undefined, ...(reason ? { reason } : {}), ...groupClusters(result) };
}

function firstUsefulBandwidth(sample: Float64Array[], k0: number): { value: number; k: number } {
  let k = k0;
  let value = meanKthNeighbourDistance(sample, k);
  while (value <= DEGENERATE_BANDWIDTH && k < sample.length) {
    k = Math.max(k + 1, 2);
    value = meanKthNeighbourDistance(sample, k);
  }
  return { value, k };
}

function groupClusters(result: MeanShiftResult): { clusters: LabelCluster[]; labels: number[] } {
  const clusters = result.centers.map((center, id) => ({ id, members: [] as number[], center }));
  result.labels.forEach((label, i) => clusters[label]?.members.push(i));
  return { clusters, labels: result.labels };
}
