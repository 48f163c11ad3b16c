// Small numeric helpers that reproduce NumPy's floating-point summation order, so the TypeScript mean shift
// lands on the same bits as scikit-learn's wherever the order is knowable.

/** A matrix as callers hand it in: rows of numbers (plain arrays or typed arrays). */
export type MatrixInput = readonly (readonly number[] | Float64Array)[];

const PAIRWISE_BLOCK = 128;

/**
 * `np.sum` of a contiguous 1-D float64 array: numpy's pairwise summation (8-way unrolled blocks of at most
 * 128, split in halves rounded to a multiple of 8 above that). Plain left-to-right summation differs in the
 * last bits, which is enough to move a bandwidth and, through it, a cluster boundary.
 */
export function pairwiseSum(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  if (count < 8) {
    let res = 0;
    for (let i = start; i < start + count; i++) res += values[i] as number;
    return res;
  }
  if (count <= PAIRWISE_BLOCK) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
    let i = 8;
    for (; i < count - (count % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (values[start + i + j] as number);
    }
    const r0 = r[0] as number;
    const r1 = r[1] as number;
    const r2 = r[2] as number;
    const r3 = r[3] as number;
    const r4 = r[4] as number;
    const r5 = r[5] as number;
    const r6 = r[6] as number;
    const r7 = r[7] as number;
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < count; i++) res += values[start + i] as number;
    return res;
  }
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, count - half);
}

/**
 * `np.mean(points[indices], axis=0)`: numpy reduces axis 0 of a C-ordered 2-D array row by row (a sequential
 * sum per column) and divides by the count; with a single column the reduction is 1-D and therefore pairwise.
 */
export function meanOfRows(points: readonly Float64Array[], indices: readonly number[], dims: number): Float64Array {
  const out = new Float64Array(dims);
  if (dims === 1) {
    const column = Float64Array.from(indices, (i) => (points[i] as Float64Array)[0] as number);
    out[0] = pairwiseSum(column) / indices.length;
    return out;
  }
  for (const i of indices) {
    const row = points[i] as Float64Array;
    for (let k = 0; k < dims; k++) out[k] = (out[k] as number) + (row[k] as number);
  }
  for (let k = 0; k < dims; k++) out[k] = (out[k] as number) / indices.length;
  return out;
}

/** Left-to-right dot product; the one kernel every distance here is built from. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k] as number) * (b[k] as number);
  return s;
}

/**
 * Copies input rows into Float64Arrays after checking the matrix is non-empty, rectangular and finite, so
 * every later step can index without re-checking. `what` names the input in error messages.
 */
export function toMatrix(input: MatrixInput, what = 'X'): Float64Array[] {
  if (input.length === 0) throw new RangeError(`${what} has no rows`);
  const dims = (input[0] as ArrayLike<number>).length;
  if (dims === 0) throw new RangeError(`${what} has rows of length 0`);
  return input.map((row, i) => {
    if (row.length !== dims) throw new RangeError(`${what}: row ${i} has ${row.length} values, row 0 has ${dims}`);
    const copy = Float64Array.from(row);
    for (let k = 0; k < dims; k++) {
      if (!Number.isFinite(copy[k])) throw new RangeError(`${what}: row ${i}, column ${k} is not a finite number`);
    }
    return copy;
  });
}
