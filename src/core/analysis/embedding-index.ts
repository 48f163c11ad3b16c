import type { Db } from '../kernel/database.js';
import { fromBlob } from './vectors.js';

/**
 * All of a pack's stored embeddings in contiguous float32 matrices, so scoring a new label over the
 * whole library is a tight loop over memory rather than thousands of SQLite reads.
 */
export interface EmbeddingIndex {
  packKey: string;
  dim: number;
  trackIds: Int32Array;
  /** Row i: track i's embedding (mean of its normalised segments). */
  tracks: Float32Array;
  /** Segments of track i are rows segOffsets[i] .. segOffsets[i+1]-1 of `segments`. */
  segOffsets: Int32Array;
  segments: Float32Array;
  segIndex: Int32Array;
  segStart: Float32Array;
  /** Position of a track id in the arrays. */
  rowOf: Map<number, number>;
  stamp: string;
  /** The newest analyzed_at loaded: later results are read incrementally. */
  loadedUpTo: string;
}

interface Stamp {
  n: number;
  m: string | null;
  s: number;
}

function stampOf(db: Db, packKey: string): Stamp {
  return db
    .prepare('SELECT COUNT(*) AS n, MAX(analyzed_at) AS m, TOTAL(segment_count) AS s FROM track_embeddings WHERE pack_key = ?')
    .get(packKey) as Stamp;
}

const stampText = (s: Stamp): string => `${s.n}|${s.m ?? ''}|${s.s}`;

/** Tracks (and their segments) analysed at or after `since` (all when null). */
function loadRows(db: Db, packKey: string, since: string | null): Omit<EmbeddingIndex, 'packKey' | 'rowOf' | 'stamp' | 'loadedUpTo'> {
  const filter = since === null ? '' : ' AND analyzed_at >= ?';
  const args = since === null ? [packKey] : [packKey, since];
  const trackRows = db
    .prepare(
      `SELECT track_id AS id, segment_count AS n, embedding AS e FROM track_embeddings WHERE pack_key = ?${filter} ORDER BY track_id`,
    )
    .all(...args) as { id: number; n: number; e: Buffer }[];
  const dim = trackRows[0] ? trackRows[0].e.byteLength / 4 : 0;
  const trackIds = new Int32Array(trackRows.length);
  const tracks = new Float32Array(trackRows.length * dim);
  const rowOf = new Map<number, number>();
  trackRows.forEach((r, i) => {
    trackIds[i] = r.id;
    rowOf.set(r.id, i);
    tracks.set(fromBlob(r.e), i * dim);
  });
  const segCount = trackRows.reduce((s, r) => s + r.n, 0);
  const segments = new Float32Array(segCount * dim);
  const segIndex = new Int32Array(segCount);
  const segStart = new Float32Array(segCount);
  const segOffsets = new Int32Array(trackRows.length + 1);
  const segSql =
    since === null
      ? 'SELECT track_id AS id, segment_index AS i, start_sec AS s, embedding AS e FROM segment_embeddings WHERE pack_key = ? ORDER BY track_id, segment_index'
      : `SELECT s.track_id AS id, s.segment_index AS i, s.start_sec AS s, s.embedding AS e FROM segment_embeddings s
         JOIN track_embeddings t ON t.track_id = s.track_id AND t.pack_key = s.pack_key
         WHERE s.pack_key = ? AND t.analyzed_at >= ? ORDER BY s.track_id, s.segment_index`;
  let k = 0;
  let lastRow = -1;
  for (const r of db.prepare(segSql).iterate(...args) as Iterable<{ id: number; i: number; s: number; e: Buffer }>) {
    const row = rowOf.get(r.id);
    if (row === undefined || k >= segCount) continue;
    while (lastRow < row) segOffsets[++lastRow] = k;
    segments.set(fromBlob(r.e), k * dim);
    segIndex[k] = r.i;
    segStart[k] = r.s;
    k++;
  }
  while (lastRow < trackRows.length) segOffsets[++lastRow] = k;
  return { dim, trackIds, tracks, segOffsets, segments, segIndex, segStart };
}

function withLookup(packKey: string, part: ReturnType<typeof loadRows>, stamp: Stamp): EmbeddingIndex {
  const rowOf = new Map<number, number>();
  part.trackIds.forEach((id, i) => rowOf.set(id, i));
  return { ...part, packKey, rowOf, stamp: stampText(stamp), loadedUpTo: stamp.m ?? '' };
}

/** Loads the whole index for a pack (tracks in id order, segments in time order). */
export function loadEmbeddingIndex(db: Db, packKey: string): EmbeddingIndex {
  const stamp = stampOf(db, packKey);
  return withLookup(packKey, loadRows(db, packKey, null), stamp);
}

/**
 * Brings an index up to date by reading only the tracks analysed since it was loaded and splicing them
 * in (copying the unchanged rows), so a background analysis adding one track at a time does not make
 * every score request reread the whole library. Falls back to a full load when results were deleted.
 */
export function refreshEmbeddingIndex(db: Db, old: EmbeddingIndex): EmbeddingIndex {
  const stamp = stampOf(db, old.packKey);
  if (stampText(stamp) === old.stamp) return old;
  if (old.trackIds.length === 0 || !old.loadedUpTo) return loadEmbeddingIndex(db, old.packKey);
  const fresh = loadRows(db, old.packKey, old.loadedUpTo);
  const changed = new Set(fresh.trackIds);
  const keep: number[] = [];
  for (let i = 0; i < old.trackIds.length; i++) if (!changed.has(old.trackIds[i] as number)) keep.push(i);
  if (keep.length + fresh.trackIds.length !== stamp.n || (fresh.dim !== 0 && fresh.dim !== old.dim))
    return loadEmbeddingIndex(db, old.packKey);
  const dim = old.dim;
  const n = keep.length + fresh.trackIds.length;
  const keptSegs = keep.reduce((s, i) => s + ((old.segOffsets[i + 1] as number) - (old.segOffsets[i] as number)), 0);
  const segTotal = keptSegs + fresh.segIndex.length;
  const out = {
    dim,
    trackIds: new Int32Array(n),
    tracks: new Float32Array(n * dim),
    segOffsets: new Int32Array(n + 1),
    segments: new Float32Array(segTotal * dim),
    segIndex: new Int32Array(segTotal),
    segStart: new Float32Array(segTotal),
  };
  let seg = 0;
  const append = (src: ReturnType<typeof loadRows>, i: number, row: number): void => {
    out.trackIds[row] = src.trackIds[i] as number;
    out.tracks.set(src.tracks.subarray(i * dim, (i + 1) * dim), row * dim);
    const a = src.segOffsets[i] as number;
    const b = src.segOffsets[i + 1] as number;
    out.segOffsets[row] = seg;
    out.segments.set(src.segments.subarray(a * dim, b * dim), seg * dim);
    out.segIndex.set(src.segIndex.subarray(a, b), seg);
    out.segStart.set(src.segStart.subarray(a, b), seg);
    seg += b - a;
  };
  keep.forEach((i, row) => append(old, i, row));
  for (let i = 0; i < fresh.trackIds.length; i++) append(fresh, i, keep.length + i);
  out.segOffsets[n] = seg;
  return withLookup(old.packKey, out, stamp);
}

/** The in-memory cache of the active pack's stored embeddings. */
export interface IndexCache {
  get(packKey: string): EmbeddingIndex;
  invalidate(): void;
}

/** Keeps one index per pack, refreshed incrementally when stored results change. */
export function createIndexCache(db: Db): IndexCache {
  let cached: EmbeddingIndex | null = null;
  return {
    get(packKey) {
      cached = cached && cached.packKey === packKey ? refreshEmbeddingIndex(db, cached) : loadEmbeddingIndex(db, packKey);
      return cached;
    },
    invalidate() {
      cached = null;
    },
  };
}
