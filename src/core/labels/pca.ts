// A two-component PCA for drawing the label map. Deterministic: an exact symmetric eigen-solver (cyclic
// Jacobi) instead of random starts, and sklearn's sign convention, so the same labels plot the same way in
// every run and match sklearn's PCA(2).fit_transform.
import { dot, toMatrix, type MatrixInput } from './numeric.js';

/** The 2-D projection of a set of vectors. */
export interface Pca2d {
  /** Per input row, its coordinates on the two principal axes. */
  coordinates: [number, number][];
  /** The two unit principal axes (zero vectors where the data has no variance left). */
  axes: [Float64Array, Float64Array];
  /** The column means that were subtracted. */
  mean: Float64Array;
  /** Variance along each axis (eigenvalue / (n - 1)), as sklearn's explained_variance_. */
  explainedVariance: [number, number];
}

const JACOBI_MAX_SWEEPS = 100;

/**
 * Centres X and projects it on its top-2 principal axes. Each axis is flipped so that its largest-magnitude
 * component is positive (sklearn's svd_flip with u_based_decision=False), which makes the map stable.
 * Works on the smaller of the n x n Gram matrix and the d x d scatter matrix.
 */
export function pca2d(X: MatrixInput): Pca2d {
  const rows = toMatrix(X);
  const mean = columnMeans(rows);
  const centred = rows.map((r) => r.map((v, k) => v - (mean[k] as number)));
  const dims = mean.length;
  const eig = centred.length <= dims ? axesFromGram(centred) : axesFromScatter(centred);
  const axes = [flipSign(eig.axes[0]), flipSign(eig.axes[1])] as [Float64Array, Float64Array];
  const denominator = Math.max(1, rows.length - 1);
  return {
    coordinates: centred.map((r) => [dot(r, axes[0]), dot(r, axes[1])]),
    axes,
    mean,
    explainedVariance: [eig.values[0] / denominator, eig.values[1] / denominator],
  };
}

interface TopTwo {
  axes: [Float64Array, Float64Array];
  values: [number, number];
}

function columnMeans(rows: Float64Array[]): Float64Array {
  const mean = new Float64Array((rows[0] as Float64Array).length);
  for (const r of rows) r.forEach((v, k) => (mean[k] = (mean[k] as number) + v));
  return mean.map((v) => v / rows.length);
}

/** n <= d: eigenvectors u of Xc Xc^T give axes Xc^T u, normalised. */
function axesFromGram(centred: Float64Array[]): TopTwo {
  const n = centred.length;
  const gram = Array.from({ length: n }, (_, i) =>
    Float64Array.from({ length: n }, (_, j) => dot(centred[i] as Float64Array, centred[j] as Float64Array)),
  );
  const { values, vectors } = jacobiEigen(gram);
  const dims = (centred[0] as Float64Array).length;
  const axis = (rank: number): Float64Array => {
    const v = new Float64Array(dims);
    centred.forEach((row, i) => row.forEach((x, k) => (v[k] = (v[k] as number) + x * ((vectors[i] as Float64Array)[rank] as number))));
    return normalise(v);
  };
  return topTwo(values, axis, dims);
}

/** n > d: eigenvectors of the scatter matrix Xc^T Xc are the axes. */
function axesFromScatter(centred: Float64Array[]): TopTwo {
  const dims = (centred[0] as Float64Array).length;
  const scatter = Array.from({ length: dims }, () => new Float64Array(dims));
  for (const row of centred) {
    for (let a = 0; a < dims; a++) {
      for (let b = 0; b < dims; b++)
        (scatter[a] as Float64Array)[b] = ((scatter[a] as Float64Array)[b] as number) + (row[a] as number) * (row[b] as number);
    }
  }
  const { values, vectors } = jacobiEigen(scatter);
  const axis = (rank: number): Float64Array => normalise(Float64Array.from(vectors, (row) => row[rank] as number));
  return topTwo(values, axis, dims);
}

/** Picks the two largest eigenvalues; an axis with no variance (rank < 2) is the zero vector. */
function topTwo(values: Float64Array, axis: (column: number) => Float64Array, dims: number): TopTwo {
  const order = Array.from(values.keys()).sort((a, b) => (values[b] as number) - (values[a] as number));
  const largest = Math.max(0, values[order[0] ?? 0] ?? 0);
  const pick = (rank: number): [Float64Array, number] => {
    const column = order[rank];
    const value = column === undefined ? 0 : (values[column] as number);
    if (column === undefined || value <= largest * 1e-12 || value <= 0) return [new Float64Array(dims), 0];
    return [axis(column), value];
  };
  const [a0, v0] = pick(0);
  const [a1, v1] = pick(1);
  return { axes: [a0, a1], values: [v0, v1] };
}

function normalise(v: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(v, v));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

/** sklearn's svd_flip (u_based_decision=False): the first largest-|value| component becomes positive. */
function flipSign(axis: Float64Array): Float64Array {
  let at = 0;
  for (let k = 1; k < axis.length; k++) if (Math.abs(axis[k] as number) > Math.abs(axis[at] as number)) at = k;
  return (axis[at] as number) < 0 ? axis.map((x) => -x) : axis;
}

/**
 * Cyclic Jacobi eigen-decomposition of a symmetric matrix (copied, not modified): eigenvalues and the
 * eigenvectors as the columns of `vectors`. Accurate to machine precision, no randomness.
 */
export function jacobiEigen(matrix: readonly Float64Array[]): { values: Float64Array; vectors: Float64Array[] } {
  const n = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const scale = a.reduce((s, row) => s + dot(row, row), 0);
  for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
    if (offDiagonal(a) <= scale * 1e-30) break;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) rotate(a, v, p, q);
  }
  return { values: Float64Array.from(a, (row, i) => row[i] as number), vectors: v };
}

function offDiagonal(a: Float64Array[]): number {
  let s = 0;
  a.forEach((row, i) => row.forEach((x, j) => (s += i === j ? 0 : x * x)));
  return s;
}

/** One Jacobi rotation zeroing a[p][q] (the numerically stable form of Numerical Recipes' jacobi). */
function rotate(a: Float64Array[], v: Float64Array[], p: number, q: number): void {
  const apq = (a[p] as Float64Array)[q] as number;
  if (apq === 0) return;
  const app = (a[p] as Float64Array)[p] as number;
  const aqq = (a[q] as Float64Array)[q] as number;
  const theta = (aqq - app) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < a.length; k++) {
    const akp = (a[k] as Float64Array)[p] as number;
    const akq = (a[k] as Float64Array)[q] as number;
    (a[k] as Float64Array)[p] = c * akp - s * akq;
    (a[k] as Float64Array)[q] = s * akp + c * akq;
  }
  for (let k = 0; k < a.length; k++) {
    const apk = (a[p] as Float64Array)[k] as number;
    const aqk = (a[q] as Float64Array)[k] as number;
    (a[p] as Float64Array)[k] = c * apk - s * aqk;
    (a[q] as Float64Array)[k] = s * apk + c * aqk;
  }
  for (let k = 0; k < v.length; k++) {
    const vkp = (v[k] as Float64Array)[p] as number;
    const vkq = (v[k] as Float64Array)[q] as number;
    (v[k] as Float64Array)[p] = c * vkp - s * vkq;
    (v[k] as Float64Array)[q] = s * vkp + c * vkq;
  }
}
