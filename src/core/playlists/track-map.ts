/**
 * A 2-D map of the library's tracks by mood embedding, for drawing a mood journey as a path: the journey's
 * tracks and an even sample of the rest of the library projected on the top two principal axes (PCA,
 * labels/pca.ts) of their normalised embeddings, so tracks that sound alike lie close together. The axes
 * are fitted on a bounded sample (the exact Jacobi solver is cubic in the rows it fits), then every
 * point is projected on them; the same library gives the same map.
 */
import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import { pca2d } from '../labels/pca.js';

/** A track placed on the map. */
export interface TrackMapPoint {
  trackId: number;
  x: number;
  y: number;
}

/** The map: the asked-for tracks (in the order asked, analysed ones only) and a sample of the library around them. */
export interface TrackMap {
  packKey: string;
  points: TrackMapPoint[];
  background: TrackMapPoint[];
  /** Share of the variance the two axes show (0-1): how faithful the flat picture is. */
  explained: number;
}

/** Library tracks drawn around the asked-for ones. */
export const MAP_BACKGROUND = 400;
/**
 * Rows the principal axes are fitted on: the exact solver is cubic in them, and a sample of a hundred-odd
 * tracks already finds the library's main directions.
 */
const FIT_ROWS = 120;

/** Up to `count` items of `list`, evenly spread (all of them when there are fewer). */
function evenly<T>(list: readonly T[], count: number): T[] {
  if (list.length <= count) return [...list];
  const stride = list.length / count;
  return Array.from({ length: count }, (_, k) => list[Math.floor(k * stride)] as T);
}

function rowVector(index: EmbeddingIndex, row: number): Float64Array {
  const v = Float64Array.from(index.tracks.subarray(row * index.dim, (row + 1) * index.dim));
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? v.map((x) => x / norm) : v;
}

/** Up to `count` rows spread evenly over the index (deterministic), leaving out `except`. */
function evenRows(index: EmbeddingIndex, count: number, except: Set<number>): number[] {
  const eligible: number[] = [];
  for (let row = 0; row < index.trackIds.length; row++) if (!except.has(row)) eligible.push(row);
  if (eligible.length <= count) return eligible;
  const stride = eligible.length / count;
  return Array.from({ length: count }, (_, k) => eligible[Math.floor(k * stride)] as number);
}

/**
 * Projects `trackIds` (unanalysed ones are left out) and up to `background` other tracks of `index` to 2-D.
 * With fewer than two tracks in all, every point is at the origin.
 */
export function trackMap(index: EmbeddingIndex, trackIds: readonly number[], background = MAP_BACKGROUND): TrackMap {
  const asked = trackIds.flatMap((id) => {
    const row = index.rowOf.get(id);
    return row === undefined ? [] : [{ trackId: id, row }];
  });
  const askedRows = new Set(asked.map((a) => a.row));
  const around = evenRows(index, background, askedRows).map((row) => ({ trackId: index.trackIds[row] as number, row }));
  const all = [...asked, ...around];
  if (all.length < 2) {
    const origin = (a: { trackId: number }): TrackMapPoint => ({ trackId: a.trackId, x: 0, y: 0 });
    return { packKey: index.packKey, points: asked.map(origin), background: around.map(origin), explained: 0 };
  }
  const vectors = all.map((a) => rowVector(index, a.row));
  // Fit on the journey's tracks (what the picture is about: half the rows at most) and the sample around them.
  const fromAsked = evenly(vectors.slice(0, asked.length), FIT_ROWS / 2);
  const fitted = [...fromAsked, ...evenly(vectors.slice(asked.length), FIT_ROWS - fromAsked.length)];
  const fit = pca2d(fitted.length >= 2 ? fitted : vectors);
  const [ax, ay] = fit.axes;
  const project = (v: Float64Array): [number, number] => {
    let x = 0;
    let y = 0;
    for (let k = 0; k < v.length; k++) {
      const c = (v[k] as number) - (fit.mean[k] as number);
      x += c * (ax[k] as number);
      y += c * (ay[k] as number);
    }
    return [x, y];
  };
  let total = 0;
  for (const v of fitted) for (let k = 0; k < v.length; k++) total += ((v[k] as number) - (fit.mean[k] as number)) ** 2;
  const explained =
    total > 0 ? Math.min(1, ((fit.explainedVariance[0] + fit.explainedVariance[1]) * Math.max(1, fitted.length - 1)) / total) : 0;
  const placed = all.map((a, i) => {
    const [x, y] = project(vectors[i] as Float64Array);
    return { trackId: a.trackId, x, y };
  });
  return { packKey: index.packKey, points: placed.slice(0, asked.length), background: placed.slice(asked.length), explained };
}
