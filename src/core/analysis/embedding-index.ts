import type { Db } from '../db/database.js';
import { fromBlob } from './vectors.js';

/**
 * All of a pack's stored embeddings in contiguous float32 matrices, so scoring a new label over the
 * whole library is a tight loop over memory rather than thousands of SQLite reads. Rebuilt when the
 * stored results change (detected by a cheap fingerprint query).
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
}

function stampOf(db: Db, packKey: string): string {
  const r = db
    .prepare('SELECT COUNT(*) AS n, MAX(analyzed_at) AS m, TOTAL(segment_count) AS s FROM track_embeddings WHERE pack_key = ?')
    .get(packKey) as {
    n: number;
    m: string | null;
    s: number;
  };
  return `${r.n}|${r.m ?? ''}|${r.s}`;
}

/** Loads the index for a pack (tracks in id order, segments in time order). */
export function loadEmbeddingIndex(db: Db, packKey: string): EmbeddingIndex {
  const stamp = stampOf(db, packKey);
  const trackRows = db
    .prepare('SELECT track_id AS id, segment_count AS n, embedding AS e FROM track_embeddings WHERE pack_key = ? ORDER BY track_id')
    .all(packKey) as {
    id: number;
    n: number;
    e: Buffer;
  }[];
  const dim = trackRows[0] ? trackRows[0].e.byteLength / 4 : 0;
  const trackIds = new Int32Array(trackRows.length);
  const tracks = new Float32Array(trackRows.length * dim);
  const rowOf = new Map<number, number>();
  trackRows.forEach((r, i) => {
    trackIds[i] = r.id;
    rowOf.set(r.id, i);
    tracks.set(fromBlob(r.e), i * dim);
  });
  const segCount = (db.prepare('SELECT COUNT(*) AS n FROM segment_embeddings WHERE pack_key = ?').get(packKey) as { n: number }).n;
  const segments = new Float32Array(segCount * dim);
  const segIndex = new Int32Array(segCount);
  const segStart = new Float32Array(segCount);
  const segOffsets = new Int32Array(trackRows.length + 1);
  let k = 0;
  let lastRow = -1;
  const it = db
    .prepare(
      'SELECT track_id AS id, segment_index AS i, start_sec AS s, embedding AS e FROM segment_embeddings WHERE pack_key = ? ORDER BY track_id, segment_index',
    )
    .iterate(packKey) as Iterable<{ id: number; i: number; s: number; e: Buffer }>;
  for (const r of it) {
    const row = rowOf.get(r.id);
    if (row === undefined || k >= segCount) continue;
    while (lastRow < row) segOffsets[++lastRow] = k;
    segments.set(fromBlob(r.e), k * dim);
    segIndex[k] = r.i;
    segStart[k] = r.s;
    k++;
  }
  while (lastRow < trackRows.length) segOffsets[++lastRow] = k;
  return { packKey, dim, trackIds, tracks, segOffsets, segments, segIndex, segStart, rowOf, stamp };
}

/** Keeps one index per pack and reloads it only when the stored results changed. */
export function createIndexCache(db: Db): { get(packKey: string): EmbeddingIndex; invalidate(): void } {
  let cached: EmbeddingIndex | null = null;
  return {
    get(packKey) {
      if (!cached || cached.packKey !== packKey || cached.stamp !== stampOf(db, packKey)) cached = loadEmbeddingIndex(db, packKey);
      return cached;
    },
    invalidate() {
      cached = null;
    },
  };
}
