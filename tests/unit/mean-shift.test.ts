// The TypeScript mean shift against scikit-learn's, through the references written by
// scripts/compare-mean-shift.py (tests/fixtures/labels/mean-shift-reference.json). No Python at test time.
// The paper's input vectors are read from data/paper (vendored in the repo, see data/paper/README.md);
// everything sklearn computed from them is in the reference.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alignLabels, estimateBandwidth, getBinSeeds, meanShift, pca2d, roundHalfEven } from '../../src/core/labels/mean-shift.js';
import { NumpyRandomState } from '../../src/core/labels/numpy-random.js';
import { pairwiseSum } from '../../src/core/labels/numeric.js';
import { clusterVectors, parseVectors, readVectorsFile } from '../../src/core/labels/vectors-file.js';
import { UserError } from '../../src/core/kernel/errors.js';
import { createLogger } from '../../src/core/kernel/logger.js';
import { useTempDirs } from '../support/temp.js';

interface ClusterRef {
  bandwidth: number;
  labels?: number[];
  centers?: number[][];
  error?: string;
}

interface RandomSet extends ClusterRef {
  id: string;
  quantile: number;
  nSamples: number | null;
  randomState: number;
  binSeeding: boolean;
  clusterAll: boolean;
  sklearnAlgorithm: string;
  degenerate: boolean;
  X: number[][];
  pca?: number[][];
}

interface Reference {
  numpy: {
    permutations: { seed: number; n: number; permutation: number[] }[];
    uint32: { seed: number; values: number[] }[];
    pairwiseSums: { values: number[]; sum: number }[];
  };
  paper: ClusterRef & {
    datasets: string[];
    quantile: number;
    nSamples: number;
    randomState: number;
    names: string[];
    nClusters: number;
    pca: number[][];
    collapsedPairs: { datasets: string[]; quantile: number; nSamples: number; sklearnBandwidth: number }[];
  };
  random: RandomSet[];
}

const REFERENCE_PATH = new URL('../fixtures/labels/mean-shift-reference.json', import.meta.url);
const PAPER_PATH = new URL('../../data/paper/label-embeddings.json', import.meta.url);
const ref = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Reference;
const quiet = createLogger('test', 'error', () => {});

type Embeddings = Record<string, { labels: string[]; expanded: number[][] }>;
let paperCache: Embeddings | undefined;

function paperVectors(datasets: string[]): { labels: string[]; vectors: number[][] } {
  if (!existsSync(PAPER_PATH))
    throw new Error(`The paper's label embeddings are missing: ${PAPER_PATH.pathname} (vendored in data/paper/)`);
  paperCache ??= JSON.parse(readFileSync(PAPER_PATH, 'utf8')) as Embeddings;
  const sets = datasets.map((d) => paperCache?.[d] ?? { labels: [], expanded: [] });
  return { labels: sets.flatMap((s) => s.labels), vectors: sets.flatMap((s) => s.expanded) };
}

/** True when a and b put the same points together (cluster ids may differ; -1 must stay -1). */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const fwd = new Map<number, number>();
  const back = new Map<number, number>();
  return a.every((x, i) => {
    const y = b[i] as number;
    if ((x === -1) !== (y === -1)) return false;
    if ((fwd.get(x) ?? y) !== y || (back.get(y) ?? x) !== x) return false;
    fwd.set(x, y);
    back.set(y, x);
    return true;
  });
}

function expectRelClose(actual: number, expected: number, rel = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

/** Centers matched through the label mapping must agree to 1e-9. */
function expectCentersClose(actual: Float64Array[], expected: number[][], labelsTs: number[], labelsSk: number[]): void {
  expect(actual.length).toBe(expected.length);
  labelsTs.forEach((t, i) => {
    const s = labelsSk[i] as number;
    if (t === -1) return;
    const a = actual[t] as Float64Array;
    (expected[s] as number[]).forEach((v, k) => expect(Math.abs((a[k] as number) - v)).toBeLessThanOrEqual(1e-9));
  });
}

describe('numpy legacy RandomState', () => {
  it('draws the same raw 32-bit outputs as RandomState(seed) (init_genrand seeding, tempering, regeneration)', () => {
    for (const { seed, values } of ref.numpy.uint32) {
      const rs = new NumpyRandomState(seed);
      expect(values.map(() => rs.nextUint32())).toEqual(values);
    }
  });

  it('reproduces RandomState(seed).permutation(n) bit for bit', () => {
    expect(ref.numpy.permutations.length).toBeGreaterThan(30);
    for (const { seed, n, permutation } of ref.numpy.permutations) {
      expect(new NumpyRandomState(seed).permutation(n), `seed ${seed} n ${n}`).toEqual(permutation);
    }
  });

  it('refuses seeds numpy refuses', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(RangeError);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(RangeError);
    expect(() => new NumpyRandomState(1.5)).toThrow(RangeError);
  });
});

describe('numpy summation order', () => {
  it('pairwiseSum equals np.sum exactly', () => {
    for (const { values, sum } of ref.numpy.pairwiseSums) expect(pairwiseSum(values)).toBe(sum);
  });

  it('rounds half to even like np.round', () => {
    expect([0.5, 1.5, 2.5, -1.5, -2.5, 2.4, -2.6, 3.5].map(roundHalfEven)).toEqual([0, 2, 2, -2, -2, 2, -3, 4]);
  });
});

describe('mean shift on the paper set (MTG-Jamendo + CAL500 expanded embeddings)', () => {
  const paper = ref.paper;

  it('estimates the same bandwidth as sklearn (quantile 0.03, n_samples 73, random_state 0)', () => {
    const { vectors } = paperVectors(paper.datasets);
    const bw = estimateBandwidth(vectors, { quantile: paper.quantile, nSamples: paper.nSamples, randomState: paper.randomState });
    expectRelClose(bw, paper.bandwidth);
  });

  it('finds the 42 clusters of the paper, the same partition as sklearn', () => {
    const { vectors } = paperVectors(paper.datasets);
    const bw = estimateBandwidth(vectors, { quantile: paper.quantile, nSamples: paper.nSamples });
    const result = meanShift(vectors, { bandwidth: bw });
    expect(paper.nClusters).toBe(42);
    expect(result.centers).toHaveLength(42);
    expect(samePartition(result.labels, paper.labels ?? [])).toBe(true);
    expectCentersClose(result.centers, paper.centers ?? [], result.labels, paper.labels ?? []);
  });

  it('is sensitive to the bandwidth: 2% off changes the clustering (so the comparison can fail)', () => {
    const { vectors } = paperVectors(paper.datasets);
    const result = meanShift(vectors, { bandwidth: paper.bandwidth * 1.02 });
    expect(samePartition(result.labels, paper.labels ?? [])).toBe(false);
  });

  it('pca2d is deterministic and matches sklearn PCA(2).fit_transform to 1e-6', () => {
    const { vectors } = paperVectors(paper.datasets);
    const a = pca2d(vectors);
    expect(pca2d(vectors).coordinates).toEqual(a.coordinates);
    a.coordinates.forEach(([x, y], i) => {
      const [ex, ey] = paper.pca[i] as [number, number];
      expect(Math.abs(x - ex)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(y - ey)).toBeLessThanOrEqual(1e-6);
    });
    for (const axis of a.axes) {
      const big = axis.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      expect(big).toBeGreaterThan(0);
    }
  });

  it.each(paper.collapsedPairs.map((p) => [p.datasets.join('+'), p] as const))(
    '%s: the estimate collapses as in sklearn, and alignLabels reports and replaces it',
    (_name, pair) => {
      const { vectors } = paperVectors(pair.datasets);
      const options = { quantile: pair.quantile, nSamples: pair.nSamples };
      expect(pair.sklearnBandwidth).toBeLessThanOrEqual(1e-6);
      expect(estimateBandwidth(vectors, options)).toBeLessThanOrEqual(1e-6);
      const lines: string[] = [];
      const aligned = alignLabels(vectors, { ...options, logger: createLogger('test', 'warn', (l) => lines.push(l)) });
      expect(aligned.fallback).toBe(true);
      expect(aligned.reason).toMatch(/int\(\d+ \* [\d.]+\) = 1 neighbour/);
      expect(aligned.bandwidth).toBeGreaterThan(0.1);
      expect(lines.join('\n')).toMatch(/bandwidth collapsed/);
      expect(aligned.clusters.length).toBeGreaterThan(1);
      expect(aligned.clusters.length).toBeLessThan(vectors.length);
    },
  );
});

describe('mean shift on random sets, against sklearn', () => {
  it('has enough varied sets', () => {
    expect(ref.random.length).toBeGreaterThanOrEqual(20);
    expect(new Set(ref.random.map((s) => s.sklearnAlgorithm))).toEqual(new Set(['brute', 'kd_tree']));
  });

  it.each(ref.random.map((s) => [s.id, s] as const))('%s', (_id, set) => {
    const options = { quantile: set.quantile, nSamples: set.nSamples ?? undefined, randomState: set.randomState };
    const bw = estimateBandwidth(set.X, options);
    if (set.degenerate) {
      expect(bw).toBeLessThanOrEqual(1e-6);
      expect(alignLabels(set.X, { ...options, logger: quiet }).fallback).toBe(true);
      if (set.bandwidth === 0) expect(() => meanShift(set.X, { bandwidth: bw })).toThrow(/bandwidth/);
      return;
    }
    expectRelClose(bw, set.bandwidth);
    const result = meanShift(set.X, { bandwidth: bw, binSeeding: set.binSeeding, clusterAll: set.clusterAll, logger: quiet });
    expect(samePartition(result.labels, set.labels ?? [])).toBe(true);
    expectCentersClose(result.centers, set.centers ?? [], result.labels, set.labels ?? []);
    if (set.pca) {
      pca2d(set.X).coordinates.forEach(([x, y], i) => {
        const [ex, ey] = set.pca?.[i] as [number, number];
        expect(Math.abs(x - ex) + Math.abs(y - ey)).toBeLessThanOrEqual(1e-6);
      });
    }
  });
});

describe('mean shift details', () => {
  it('samePartition notices a moved point', () => {
    expect(samePartition([0, 0, 1], [5, 5, 2])).toBe(true);
    expect(samePartition([0, 0, 1], [5, 2, 2])).toBe(false);
    expect(samePartition([0, -1], [0, 1])).toBe(false);
  });

  it('bin seeds snap to the grid in float32 and fall back to the points when binning changes nothing', () => {
    const points = [Float64Array.of(0.1, 0.1), Float64Array.of(0.12, 0.1), Float64Array.of(0.2, 0.05), Float64Array.of(3.3, 3.1)];
    expect(getBinSeeds(points, 1)).toEqual([Float64Array.of(0, 0), Float64Array.of(3, 3)]);
    const seeds = getBinSeeds(points, 0.3);
    expect(seeds.map((s) => s[0])).toEqual([0, Math.fround(0.3), Math.fround(11 * Math.fround(0.3))]);
    expect(getBinSeeds(points, 2, 2)).toEqual([Float64Array.of(0, 0)]);
    expect(getBinSeeds(points, 0.01, 1, quiet)).toBe(points);
  });

  it('labels orphans -1 when clusterAll is false and refuses a zero bandwidth like sklearn', () => {
    const X = [[0], [0.1], [5]];
    const result = meanShift(X, { bandwidth: 1, seeds: [[0]], clusterAll: false });
    expect(result.labels).toEqual([0, 0, -1]);
    expect(() => meanShift(X, { bandwidth: 0 })).toThrow(RangeError);
  });
});

describe('vectors file', () => {
  const tempDir = useTempDirs();

  function write(content: string): string {
    const path = join(tempDir(), 'vectors.json');
    writeFileSync(path, content);
    return path;
  }

  it('reads labels and vectors', async () => {
    const path = write(
      JSON.stringify({
        labels: ['a', 'b'],
        vectors: [
          [1, 2],
          [3, 4],
        ],
      }),
    );
    await expect(readVectorsFile(path)).resolves.toEqual({
      labels: ['a', 'b'],
      vectors: [
        [1, 2],
        [3, 4],
      ],
    });
  });

  it.each([
    ['{ not json', /vectors\.json: not JSON/],
    ['[1, 2]', /vectors\.json: expected an object/],
    ['{"labels": ["a"], "vectors": [[1], [2]]}', /vectors\.json: 1 label but 2 vectors/],
    ['{"labels": ["a", "b"], "vectors": [[1, 2], [3]]}', /vectors\.json: ragged vectors: vector 1 has 1 numbers, vector 0 has 2/],
    ['{"labels": ["a"], "vectors": [[1, null]]}', /vectors\.json: vector 0, component 1 is not a finite number \(null\)/],
    ['{"labels": ["a"], "vectors": [[1e999]]}', /vector 0, component 0 is not a finite number/],
    ['{"labels": ["a"], "vectors": [["1"]]}', /component 0 is not a finite number \("1"\)/],
    ['{"labels": [3], "vectors": [[1]]}', /label 0 is not a string/],
    ['{"labels": [], "vectors": []}', /"labels" is empty/],
  ])('rejects %s with a reason naming the file', async (content, message) => {
    const path = write(content);
    const err = await readVectorsFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(message);
    expect((err as UserError).message.startsWith(path)).toBe(true);
  });

  it('names a file it cannot read', async () => {
    await expect(readVectorsFile(join(tempDir(), 'missing.json'))).rejects.toThrow(/missing\.json: cannot read the file \(ENOENT\)/);
  });

  it('clusters the paper labels by name, as sklearn does', () => {
    const input = paperVectors(ref.paper.datasets);
    const out = clusterVectors(parseVectors(JSON.stringify(input), 'paper'), { quantile: 0.03, nSamples: 73 });
    expect(out.fallback).toBe(false);
    expectRelClose(out.bandwidth, ref.paper.bandwidth);
    expect(out.clusters).toHaveLength(42);
    const sad = out.clusters.find((c) => c.members.includes('melancholic'));
    expect(sad?.members).toEqual(['melancholic', 'sad', 'sad']);
    expect(out.clusters.flatMap((c) => c.members).sort()).toEqual([...input.labels].sort());
    expect(out.clusters[0]?.center).toHaveLength(384);
  });

  it('reports a collapsed bandwidth and turns bad settings into user errors', () => {
    const input = {
      labels: ['a', 'b', 'c', 'd'],
      vectors: [
        [0, 0],
        [0, 1],
        [5, 5],
        [5, 6],
      ],
    };
    const out = clusterVectors(input, { quantile: 0.1, logger: quiet });
    expect(out).toMatchObject({ estimatedBandwidth: 0, bandwidth: 1, fallback: true });
    expect(out.reason).toMatch(/int\(4 \* 0\.1\) = 1 neighbour/);
    expect(out.clusters.map((c) => c.members)).toEqual([
      ['c', 'd'],
      ['a', 'b'],
    ]);
    expect(() => clusterVectors(input, { quantile: 2 })).toThrow(UserError);
    expect(() => clusterVectors(input, { nSamples: 0 })).toThrow(UserError);
  });
});
