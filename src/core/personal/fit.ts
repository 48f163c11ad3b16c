// Personal labels: a label's zero-shot vector moved towards what the user's own decisions say it means.
//
// The model is a prototype update (Rocchio) in the joint space: w = normalise(w0 + alpha * d), where w0 is
// the label's zero-shot text vector (unit length), d the unit direction from the mean of the rejected
// tracks' embeddings to the mean of the accepted ones, and alpha how far to move. alpha = 0 is the
// zero-shot vector itself, so the model starts there and every alpha of the grid is a bounded step
// away from it (regularised towards it): w0 always keeps weight 1 against the step's alpha, never a free
// vector fitted to ten noisy clicks. The result is again a unit vector in the same space, so a personal
// score is a cosine like a zero-shot one and flows through the same one-pass scoring of the embedding index.
//
// Honesty: alpha is chosen by an inner cross-validation, and the figure shown to the user is an outer
// (nested) k-fold cross-validation over their own decisions, repeated over CV_REPEATS fold splits: each decision is scored by a model fitted
// without it, and the pairwise accuracy (the share of accepted-rejected pairs ordered right, i.e. ranking
// AUC) is compared with the zero-shot vector's on the same decisions. The personal model is used only when
// it beats zero-shot by MIN_GAIN.
import { seededRandom } from '../kernel/random.js';

/** Decisions a label needs before a personal model is made: at least this many accepted and rejected. */
export const MIN_ACCEPTED = 5;
export const MIN_REJECTED = 5;

/** The personal model is used only when its cross-validated AUC beats zero-shot's by at least this much. */
export const MIN_GAIN = 0.02;

/** Steps away from the zero-shot vector tried (in units of the unit direction d). */
export const ALPHAS: readonly number[] = [0.25, 0.5, 1, 2, 4, 8];

/**
 * Decisions per unit of step: measured on the bench's generated libraries (4 seeds x 8 labels), capping the
 * step at n / 5 left no label used while truly worse than zero-shot at 10 tags (uncapped: 1 in 15) and
 * ranked as well or better at 10, 20 and 50 tags.
 */
const ALPHA_PER_DECISIONS = 5;

/**
 * The steps the decisions can support: a prototype direction from a few tracks per side is mostly noise in
 * a 512-d space, so the step may grow only with the smaller side's count (up to n / ALPHA_PER_DECISIONS).
 */
export function alphasFor(fewerSide: number): number[] {
  const cap = Math.max(ALPHAS[0] as number, fewerSide / ALPHA_PER_DECISIONS);
  return ALPHAS.filter((a) => a <= cap);
}

/** Outer folds of the honest figure and inner folds of the alpha choice (fewer when decisions are few). */
const OUTER_FOLDS = 5;
const INNER_FOLDS = 4;

/**
 * The outer cross-validation is repeated over this many random fold splits and its AUC averaged: with ten
 * decisions one split's figure swings by tens of points, and the figure decides whether the model is used
 * (measured on the bench's generated library: with one split, 1 label in 72 was used while truly worse
 * than zero-shot; with five, none, and more labels were used).
 */
export const CV_REPEATS = 5;

/** Decisions of each side the cross-validations read at most (see limitPerSide). */
export const MAX_CV_PER_SIDE = 500;

/** One decision: a row of the embedding matrix and whether the user accepted (1) or rejected (0) it. */
export interface Decision {
  row: number;
  accepted: boolean;
}

/** The embeddings the fit reads: a row-major float32 matrix of `dim` columns. */
export interface Rows {
  data: Float32Array;
  dim: number;
}

/** A fitted personal vector with the step that made it. */
export interface PersonalFit {
  vector: Float32Array;
  alpha: number;
  /** Cosine of the personal vector with the zero-shot one. */
  cosineToZeroShot: number;
}

/** The cross-validated figures of one label. */
export interface CrossValidation {
  folds: number;
  /** Pairwise accuracy (AUC) of the zero-shot vector on the decisions. */
  zeroShotAuc: number;
  /** Out-of-fold pairwise accuracy of the personal model (nested: alpha chosen inside each fold), mean of the repeats. */
  personalAuc: number;
}

/** Everything one fit of a label gives: the final model (fitted on all decisions) and the CV figures. */
export interface LabelFit extends PersonalFit, CrossValidation {
  accepted: number;
  rejected: number;
  /** Whether the figures say the personal model ranks better (before the user's switch). */
  better: boolean;
}

function rowDot(rows: Rows, row: number, w: Float64Array | Float32Array): number {
  const { data, dim } = rows;
  const off = row * dim;
  let s = 0;
  for (let i = 0; i < dim; i++) s += (data[off + i] as number) * (w[i] as number);
  return s;
}

function normalised(v: Float64Array): Float64Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return v;
}

/** Unit direction from the rejected mean to the accepted mean (zeros when either side is empty or they coincide). */
export function prototypeDirection(rows: Rows, decisions: readonly Decision[]): Float64Array {
  const { data, dim } = rows;
  const pos = new Float64Array(dim);
  const neg = new Float64Array(dim);
  let np = 0;
  let nn = 0;
  for (const d of decisions) {
    const target = d.accepted ? pos : neg;
    const off = d.row * dim;
    for (let i = 0; i < dim; i++) target[i] = (target[i] as number) + (data[off + i] as number);
    if (d.accepted) np++;
    else nn++;
  }
  const out = new Float64Array(dim);
  if (np === 0 || nn === 0) return out;
  for (let i = 0; i < dim; i++) out[i] = (pos[i] as number) / np - (neg[i] as number) / nn;
  return normalised(out);
}

/** w = normalise(w0 + alpha * direction): the zero-shot vector when alpha is 0 or the direction is zero. */
export function stepFrom(w0: Float32Array, direction: Float64Array, alpha: number): Float64Array {
  const w = new Float64Array(w0.length);
  let w0Norm = 0;
  for (const x of w0) w0Norm += x * x;
  w0Norm = Math.sqrt(w0Norm) || 1;
  for (let i = 0; i < w.length; i++) w[i] = (w0[i] as number) / w0Norm + alpha * (direction[i] as number);
  return normalised(w);
}

/**
 * Ranking AUC (Mann-Whitney): the share of (accepted, rejected) pairs whose accepted score is higher, ties
 * counting half. NaN when either side is empty.
 */
export function pairwiseAuc(scores: ArrayLike<number>, accepted: ArrayLike<boolean>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSumPos = 0;
  let np = 0;
  let k = 0;
  while (k < n) {
    let j = k;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[k] as number]) j++;
    const avgRank = (k + j) / 2 + 1;
    for (let t = k; t <= j; t++) {
      if (accepted[idx[t] as number]) {
        rankSumPos += avgRank;
        np++;
      }
    }
    k = j + 1;
  }
  const nn = n - np;
  if (np === 0 || nn === 0) return Number.NaN;
  return (rankSumPos - (np * (np + 1)) / 2) / (np * nn);
}

/** Stratified fold numbers (0..k-1) for decisions: each fold gets its share of accepted and of rejected. */
function stratifiedFolds(decisions: readonly Decision[], k: number, rand: () => number): Int32Array {
  const folds = new Int32Array(decisions.length);
  for (const side of [true, false]) {
    const members = decisions.flatMap((d, i) => (d.accepted === side ? [i] : []));
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [members[i], members[j]] = [members[j] as number, members[i] as number];
    }
    members.forEach((m, i) => (folds[m] = i % k));
  }
  return folds;
}

function counts(decisions: readonly Decision[]): { accepted: number; rejected: number } {
  let accepted = 0;
  for (const d of decisions) if (d.accepted) accepted++;
  return { accepted, rejected: decisions.length - accepted };
}

/** A decision with its zero-shot score x . w0/|w0|, computed once: every step's score follows from it. */
interface Scored extends Decision {
  z0: number;
}

function unitOf(w0: Float32Array): Float64Array {
  return normalised(Float64Array.from(w0));
}

function scored(rows: Rows, w0: Float32Array, decisions: readonly Decision[]): Scored[] {
  const w0hat = unitOf(w0);
  return decisions.map((d) => ({ ...d, z0: rowDot(rows, d.row, w0hat) }));
}

/**
 * A held-out decision's score under w = normalise(w0hat + alpha dir) without forming w:
 * (z0 + alpha x.dir) / |w0hat + alpha dir|, where |w0hat + alpha dir|^2 = 1 + alpha^2 |dir|^2 + 2 alpha w0hat.dir.
 */
function stepNorm(alpha: number, dirNorm2: number, w0dotDir: number): number {
  return Math.sqrt(1 + alpha * alpha * dirNorm2 + 2 * alpha * w0dotDir) || 1;
}

function dot64(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Out-of-fold AUC for every alpha of the grid (one prototype direction per fold, shared by the alphas). */
function alphaAucs(
  rows: Rows,
  w0hat: Float64Array,
  decisions: readonly Scored[],
  k: number,
  rand: () => number,
  alphas: readonly number[],
): number[] {
  const folds = stratifiedFolds(decisions, k, rand);
  const oof = alphas.map(() => new Float64Array(decisions.length));
  for (let f = 0; f < k; f++) {
    const dir = prototypeDirection(
      rows,
      decisions.filter((_, i) => folds[i] !== f),
    );
    const dirNorm2 = dot64(dir, dir);
    const c = dot64(w0hat, dir);
    const norms = alphas.map((a) => stepNorm(a, dirNorm2, c));
    decisions.forEach((d, i) => {
      if (folds[i] !== f) return;
      const b = rowDot(rows, d.row, dir);
      alphas.forEach((a, j) => ((oof[j] as Float64Array)[i] = (d.z0 + a * b) / (norms[j] as number)));
    });
  }
  const labels = decisions.map((d) => d.accepted);
  return oof.map((sc) => pairwiseAuc(sc, labels));
}

function bestAlpha(rows: Rows, w0hat: Float64Array, decisions: readonly Scored[], rand: () => number): number {
  const c = counts(decisions);
  const alphas = alphasFor(Math.min(c.accepted, c.rejected));
  const k = Math.min(INNER_FOLDS, c.accepted, c.rejected);
  if (k < 2) return alphas[Math.floor((alphas.length - 1) / 2)] as number;
  const aucs = alphaAucs(rows, w0hat, decisions, k, rand, alphas);
  let best = 0;
  aucs.forEach((auc, a) => {
    if (auc > (aucs[best] as number) + 1e-12) best = a;
  });
  return alphas[best] as number;
}

/**
 * The step the decisions support, by an inner k-fold cross-validation over the grid (ties go to the
 * smaller step, closer to zero-shot). With too few decisions for folds, the middle of the allowed grid.
 */
export function chooseAlpha(rows: Rows, w0: Float32Array, decisions: readonly Decision[], rand: () => number): number {
  return bestAlpha(rows, unitOf(w0), scored(rows, w0, limitPerSide(decisions, rand)), rand);
}

/**
 * At most MAX_CV_PER_SIDE decisions of each side (a deterministic random sample), so choosing the step and
 * cross-validating stay fast after a batch accept of thousands of tracks; the figures' precision is already
 * a point or two there. The final direction still uses every decision.
 */
function limitPerSide<T extends Decision>(decisions: readonly T[], rand: () => number): T[] {
  const c = counts(decisions);
  if (c.accepted <= MAX_CV_PER_SIDE && c.rejected <= MAX_CV_PER_SIDE) return [...decisions];
  const out: T[] = [];
  for (const side of [true, false]) {
    const members = decisions.filter((d) => d.accepted === side);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [members[i], members[j]] = [members[j] as T, members[i] as T];
    }
    out.push(...members.slice(0, MAX_CV_PER_SIDE));
  }
  return out;
}

/** Fits the personal vector on all decisions with a given step. */
export function fitWithAlpha(rows: Rows, w0: Float32Array, decisions: readonly Decision[], alpha: number): PersonalFit {
  const w = stepFrom(w0, prototypeDirection(rows, decisions), alpha);
  const vector = Float32Array.from(w);
  let c = 0;
  let n0 = 0;
  for (let i = 0; i < w.length; i++) {
    c += (w[i] as number) * (w0[i] as number);
    n0 += (w0[i] as number) ** 2;
  }
  return { vector, alpha, cosineToZeroShot: c / (Math.sqrt(n0) || 1) };
}

/**
 * Nested k-fold cross-validation, repeated CV_REPEATS times: each decision is scored by a model fitted
 * (alpha chosen by an inner CV) without it; the pooled out-of-fold scores give the personal AUC, beside
 * the zero-shot AUC on the same decisions.
 */
export function crossValidate(rows: Rows, w0: Float32Array, all: readonly Decision[], seed: number): CrossValidation {
  const rand = seededRandom(seed);
  const w0hat = unitOf(w0);
  const decisions = scored(rows, w0, limitPerSide(all, rand));
  const c = counts(decisions);
  const labels = decisions.map((d) => d.accepted);
  const zeroShotAuc = pairwiseAuc(
    decisions.map((d) => d.z0),
    labels,
  );
  const k = Math.min(OUTER_FOLDS, c.accepted, c.rejected);
  if (k < 2) return { folds: 0, zeroShotAuc, personalAuc: Number.NaN };
  let sum = 0;
  for (let r = 0; r < CV_REPEATS; r++) {
    const folds = stratifiedFolds(decisions, k, rand);
    const oof = new Float64Array(decisions.length);
    for (let f = 0; f < k; f++) {
      const train = decisions.filter((_, i) => folds[i] !== f);
      const alpha = bestAlpha(rows, w0hat, train, rand);
      const dir = prototypeDirection(rows, train);
      const norm = stepNorm(alpha, dot64(dir, dir), dot64(w0hat, dir));
      decisions.forEach((d, i) => {
        if (folds[i] === f) oof[i] = (d.z0 + alpha * rowDot(rows, d.row, dir)) / norm;
      });
    }
    sum += pairwiseAuc(oof, labels);
  }
  return { folds: k, zeroShotAuc, personalAuc: sum / CV_REPEATS };
}

/** Whether a label's decisions are enough for a personal model. */
export function enoughDecisions(accepted: number, rejected: number): boolean {
  return accepted >= MIN_ACCEPTED && rejected >= MIN_REJECTED;
}

/**
 * Fits a label's personal model: null below the decision threshold, else the model fitted on every
 * decision (alpha by CV), the nested-CV figures and whether personal ranks better than zero-shot.
 */
export function fitLabel(rows: Rows, w0: Float32Array, decisions: readonly Decision[], seed: number): LabelFit | null {
  const c = counts(decisions);
  if (!enoughDecisions(c.accepted, c.rejected)) return null;
  const cv = crossValidate(rows, w0, decisions, seed);
  const fit = fitWithAlpha(rows, w0, decisions, chooseAlpha(rows, w0, decisions, seededRandom(seed ^ 0x9e3779b9)));
  const better = Number.isFinite(cv.personalAuc) && cv.personalAuc >= cv.zeroShotAuc + MIN_GAIN;
  return { ...fit, ...cv, ...c, better };
}

/** A stable 32-bit hash of a string (FNV-1a), for seeds and change stamps. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
