// A synthetic library whose embeddings come from a generator with a hidden meaning per label, for the
// personal-label tests and `npm run bench:personal`.
//
// Each label k has a hidden meaning m_k: a random unit vector in the joint space. Each track has a latent
// strength z_k ~ N(0, 1) per label and its embedding is
//     x = normalise(BASE * b + SIGNAL * sum_k z_k m_k + e),   e ~ N(0, NOISE^2 / dim per coordinate)
// (b: a direction every track shares, as real embeddings share a library mean). A track truly has label k
// when z_k > RELEVANT_Z (about the top 16 % of the library).
//
// The zero-shot vector of label k stands for what a general text encoder makes of the label's words: close
// to the hidden meaning but not at it, w0_k = normalise(cos * m_k + sin * u_k) with cos = zeroShotCosine
// (0.6 by default), where u_k is a unit vector orthogonal to m_k made mostly (70 %) of another label's
// hidden meaning and partly (30 %) of a random direction. So zero-shot ranks label k's tracks better than
// chance yet confuses it with a neighbouring mood, in the same way every time: the error a user's tags
// can correct.
//
// The simulated user tags tracks of a label: half accepted, half rejected (an odd count gives the extra
// one to accepted); each decision is a mistake with probability `mistakes` (an "accepted" track that does
// not truly have the label, or a "rejected" one that does). Tracks are drawn at random from the library.
import { seededRandom } from '../../src/core/kernel/random.js';

/** Options of {@link generateMoodLibrary}. */
export interface MoodLibraryOptions {
  tracks: number;
  dim: number;
  labels: number;
  seed: number;
  zeroShotCosine?: number;
}

/** One generated label: its hidden meaning and its zero-shot vector. */
export interface GeneratedLabel {
  hidden: Float32Array;
  zeroShot: Float32Array;
  /** Tracks (0-based) that truly have the label. */
  relevant: Uint8Array;
}

/** A generated library: track embeddings (row-major) and the labels. */
export interface MoodLibrary {
  dim: number;
  tracks: number;
  embeddings: Float32Array;
  labels: GeneratedLabel[];
}

export const BASE = 0.5;
export const SIGNAL = 0.3;
export const NOISE = 1.0;
export const RELEVANT_Z = 1.0;

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function unit(v: Float64Array | Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  return Float32Array.from(v, (x) => x / n);
}

function randomUnit(dim: number, g: () => number): Float32Array {
  return unit(Float64Array.from({ length: dim }, g));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Builds the library described at the top of this file (deterministic for a seed). */
export function generateMoodLibrary(o: MoodLibraryOptions): MoodLibrary {
  const rand = seededRandom(o.seed);
  const g = gaussian(rand);
  const { dim, tracks } = o;
  const cos = o.zeroShotCosine ?? 0.6;
  const sin = Math.sqrt(1 - cos * cos);
  const base = randomUnit(dim, g);
  const hidden = Array.from({ length: o.labels }, () => randomUnit(dim, g));
  const zeroShots = hidden.map((m, k) => {
    const other = hidden[(k + 1) % hidden.length] as Float32Array;
    const r = randomUnit(dim, g);
    const u = Float64Array.from({ length: dim }, (_, i) => 0.7 * (other[i] as number) + 0.3 * (r[i] as number));
    const along = dot(u, m);
    for (let i = 0; i < dim; i++) u[i] = (u[i] as number) - along * (m[i] as number);
    const uu = unit(u);
    return unit(Float64Array.from({ length: dim }, (_, i) => cos * (m[i] as number) + sin * (uu[i] as number)));
  });
  const relevant = hidden.map(() => new Uint8Array(tracks));
  const embeddings = new Float32Array(tracks * dim);
  const noise = NOISE / Math.sqrt(dim);
  const x = new Float64Array(dim);
  for (let t = 0; t < tracks; t++) {
    for (let i = 0; i < dim; i++) x[i] = BASE * (base[i] as number) + noise * g();
    hidden.forEach((m, k) => {
      const z = g();
      if (z > RELEVANT_Z) (relevant[k] as Uint8Array)[t] = 1;
      for (let i = 0; i < dim; i++) x[i] = (x[i] as number) + SIGNAL * z * (m[i] as number);
    });
    embeddings.set(unit(x), t * dim);
  }
  return {
    dim,
    tracks,
    embeddings,
    labels: hidden.map((m, k) => ({ hidden: m, zeroShot: zeroShots[k] as Float32Array, relevant: relevant[k] as Uint8Array })),
  };
}

/** One simulated decision: a track (0-based) and whether the user accepted it. */
export interface SimulatedDecision {
  track: number;
  accepted: boolean;
}

/**
 * A user tagging `count` tracks of a label (half accepted, half rejected), each decision wrong with
 * probability `mistakes`; tracks in `exclude` (and those already chosen) are never picked again.
 */
export function simulateUser(
  label: GeneratedLabel,
  count: number,
  mistakes: number,
  seed: number,
  exclude: ReadonlySet<number> = new Set(),
): SimulatedDecision[] {
  const rand = seededRandom(seed);
  const n = label.relevant.length;
  const taken = new Set(exclude);
  const draw = (wantRelevant: boolean): number => {
    for (;;) {
      const t = Math.floor(rand() * n);
      if (!taken.has(t) && (label.relevant[t] === 1) === wantRelevant) {
        taken.add(t);
        return t;
      }
    }
  };
  const out: SimulatedDecision[] = [];
  for (let i = 0; i < count; i++) {
    const accepted = i % 2 === 0;
    const mistake = rand() < mistakes;
    out.push({ track: draw(accepted !== mistake), accepted });
  }
  return out;
}

/** Ranking AUC of scores against a 0/1 truth over the rows where `mask` is not 1 (ties half). */
export function truthAuc(scores: ArrayLike<number>, truth: Uint8Array, mask?: Uint8Array): number {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!mask || mask[i] !== 1) idx.push(i);
  idx.sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let rankSum = 0;
  let np = 0;
  let k = 0;
  while (k < idx.length) {
    let j = k;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[k] as number]) j++;
    for (let t = k; t <= j; t++) {
      if (truth[idx[t] as number] === 1) {
        rankSum += (k + j) / 2 + 1;
        np++;
      }
    }
    k = j + 1;
  }
  const nn = idx.length - np;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}
