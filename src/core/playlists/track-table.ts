import type { EmbeddingIndex } from '../analysis/embedding-index.js';
import type { Db } from '../kernel/database.js';
import type { TrackSortKey } from '../tracks/queries.js';

/**
 * The track facts playlist rules filter and sort on, as columns aligned with the embedding index's
 * rows, so a rule over 50,000 tracks is a few loops over arrays and never one SQL query per track.
 * Text columns are interned (lower-cased) so comparisons are integer compares.
 */
export interface TrackTable {
  stamp: string;
  /** 1 when the track is playable (status ok). */
  ok: Uint8Array;
  /** Seconds; NaN when unknown. */
  duration: Float64Array;
  /** NaN when unknown. */
  year: Float64Array;
  /** Index into `artists`, -1 when unknown. */
  artist: Int32Array;
  artists: string[];
  genre: Int32Array;
  genres: string[];
  path: string[];
  /** Row order for each track column, computed on first use (SQLite sorts, with NOCASE collation). */
  order: Map<TrackSortKey, Int32Array>;
}

const ORDER_SQL: Record<TrackSortKey, string> = {
  title: 'COALESCE(title, path) COLLATE NOCASE',
  artist: 'artist COLLATE NOCASE',
  album: 'album COLLATE NOCASE, disc_no, track_no',
  year: 'year',
  duration: 'duration',
  genre: 'genre COLLATE NOCASE',
  path: 'path',
  addedAt: 'added_at',
  status: 'status',
};

/** Cheap fingerprint of the tracks table: changes when tracks are added, removed or updated. */
export function tracksStamp(db: Db): string {
  const r = db.prepare('SELECT COUNT(*) AS n, MAX(updated_at) AS u, TOTAL(id) AS t FROM tracks').get() as {
    n: number;
    u: string | null;
    t: number;
  };
  return `${r.n}|${r.u ?? ''}|${r.t}`;
}

function interner(): { values: string[]; key(v: string | null): number } {
  const values: string[] = [];
  const keys = new Map<string, number>();
  return {
    values,
    key(v) {
      if (v === null || v.trim() === '') return -1;
      const k = v.trim().toLowerCase();
      let id = keys.get(k);
      if (id === undefined) {
        id = values.length;
        values.push(k);
        keys.set(k, id);
      }
      return id;
    },
  };
}

/** Loads the columns for the tracks of an index (one query). */
export function loadTrackTable(db: Db, index: EmbeddingIndex, stamp: string): TrackTable {
  const n = index.trackIds.length;
  const t: TrackTable = {
    stamp,
    ok: new Uint8Array(n),
    duration: new Float64Array(n).fill(NaN),
    year: new Float64Array(n).fill(NaN),
    artist: new Int32Array(n).fill(-1),
    artists: [],
    genre: new Int32Array(n).fill(-1),
    genres: [],
    path: new Array<string>(n).fill(''),
    order: new Map(),
  };
  const artists = interner();
  const genres = interner();
  const rows = db.prepare('SELECT id, status, duration, year, artist, genre, path FROM tracks').iterate() as Iterable<{
    id: number;
    status: string;
    duration: number | null;
    year: number | null;
    artist: string | null;
    genre: string | null;
    path: string;
  }>;
  for (const r of rows) {
    const i = index.rowOf.get(r.id);
    if (i === undefined) continue;
    t.ok[i] = r.status === 'ok' ? 1 : 0;
    t.duration[i] = r.duration ?? NaN;
    t.year[i] = r.year ?? NaN;
    t.artist[i] = artists.key(r.artist);
    t.genre[i] = genres.key(r.genre);
    t.path[i] = r.path;
  }
  t.artists = artists.values;
  t.genres = genres.values;
  return t;
}

/** Index rows in the order of a track column (ascending; ties by id), cached on the table. */
export function columnOrder(db: Db, index: EmbeddingIndex, table: TrackTable, key: TrackSortKey): Int32Array {
  let order = table.order.get(key);
  if (!order) {
    const ids = db.prepare(`SELECT id FROM tracks ORDER BY ${ORDER_SQL[key]}, id`).pluck().all() as number[];
    order = Int32Array.from(
      ids.flatMap((id) => {
        const row = index.rowOf.get(id);
        return row === undefined ? [] : [row];
      }),
    );
    table.order.set(key, order);
  }
  return order;
}

/** Keeps the table for the current index and tracks; reloads only when either changed. */
export function createTrackTableCache(db: Db): { get(index: EmbeddingIndex): TrackTable } {
  let cached: TrackTable | null = null;
  return {
    get(index) {
      const stamp = `${index.packKey}|${index.stamp}|${tracksStamp(db)}`;
      if (!cached || cached.stamp !== stamp) cached = loadTrackTable(db, index, stamp);
      return cached;
    },
  };
}
