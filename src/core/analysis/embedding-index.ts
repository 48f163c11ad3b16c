import type { Db } from '../kernel/database.js';
import { rowMatrix, type RowMatrix } from './row-matrix.js';

/** Finds a track's row in an index (undefined when the index has no result for it). */
export interface RowLookup {
  get(trackId: number): number | undefined;
}

/**
 * A pack's stored track embeddings (each the mean of the track's unit segment vectors) in one contiguous
 * float32 matrix, so scoring a label over the whole library is one pass over memory. Segment vectors
 * are not held: only a track's own view needs them (read per track with `trackSegments`), and at
 * 10,000 tracks x 20 segments x 512-d they would be 410 MB of memory to load at every start.
 *
 * A snapshot's rows never move and never disappear: a later refresh appends rows beyond it or builds new
 * arrays. A re-analysed track's vector is replaced in place, so an older snapshot may already show the
 * newer vector of a track it has (never a track it lacks, never one twice).
 */
export interface EmbeddingIndex {
  packKey: string;
  dim: number;
  /** Row i is track trackIds[i]; rows are in id order after a full load, changed tracks come last. */
  trackIds: Int32Array;
  /** Row i: the track's embedding, at tracks[i * dim .. (i + 1) * dim). */
  tracks: Float32Array;
  rowOf: RowLookup;
  /** Changes whenever the content does (and differs between packs): a key for caches derived from it. */
  stamp: string;
  /** The newest change (embedding_changes.seq) the index contains. */
  version: number;
}

/** Room for appended rows, so a background analysis adding a track at a time does not copy the matrix. */
const headroom = (n: number): number => Math.ceil(n * 1.25) + 256;

/**
 * The mutable buffers one line of snapshots shares: rows beyond the newest snapshot's count are free for
 * appends. `ids` maps a track id to its row + 1 (dense ids, the usual case) or `map` does (sparse ids).
 */
interface Store {
  packKey: string;
  dim: number;
  ids: Int32Array;
  matrix: RowMatrix;
  vectors: Float32Array;
  bytes: Uint8Array;
  byId: Int32Array | null;
  map: Map<number, number> | null;
  n: number;
  /** The snapshot appends may extend (any other is refreshed by copying). */
  head: EmbeddingIndex | null;
  /** Changes up to here were read (including other packs', which this index skips). */
  scannedUpTo: number;
}

const stores = new WeakMap<EmbeddingIndex, Store>();

function rowLookup(store: Store, trackIds: Int32Array): RowLookup {
  const n = trackIds.length;
  return {
    get(trackId) {
      const row = store.byId ? (store.byId[trackId] ?? 0) - 1 : (store.map?.get(trackId) ?? -1);
      // The shared table may already know rows appended after this snapshot: check the row is ours.
      return row >= 0 && row < n && trackIds[row] === trackId ? row : undefined;
    },
  };
}

function snapshot(store: Store, version: number): EmbeddingIndex {
  const trackIds = store.ids.subarray(0, store.n);
  const index: EmbeddingIndex = {
    packKey: store.packKey,
    dim: store.dim,
    trackIds,
    tracks: store.vectors.subarray(0, store.n * store.dim),
    rowOf: rowLookup(store, trackIds),
    stamp: `${store.packKey}#${version}`,
    version,
  };
  stores.set(index, store);
  store.head = index;
  return index;
}

/** A store for `ids` (row order) with `capacity` rows; vectors are copied in by the caller. */
function newStore(packKey: string, dim: number, capacity: number, maxId: number): Store {
  const matrix = rowMatrix(capacity, dim);
  const dense = maxId <= 4 * capacity + 65_536;
  return {
    packKey,
    dim,
    ids: new Int32Array(capacity),
    matrix,
    vectors: matrix.data,
    bytes: matrix.bytes,
    byId: dense ? new Int32Array(Math.max(16, Math.ceil((maxId + 1) * 1.25))) : null,
    map: dense ? null : new Map(),
    n: 0,
    head: null,
    scannedUpTo: 0,
  };
}

function setRow(store: Store, trackId: number, row: number): void {
  store.ids[row] = trackId;
  if (store.byId) {
    if (trackId >= store.byId.length) {
      const grown = new Int32Array(Math.ceil((trackId + 1) * 1.5));
      grown.set(store.byId);
      store.byId = grown;
    }
    store.byId[trackId] = row + 1;
  } else store.map?.set(trackId, row);
}

function rowOfId(store: Store, trackId: number): number {
  return store.byId ? (store.byId[trackId] ?? 0) - 1 : (store.map?.get(trackId) ?? -1);
}

const latestChange = (db: Db): number => db.prepare('SELECT COALESCE(MAX(seq), 0) FROM embedding_changes').pluck().get() as number;

function badSize(packKey: string, trackId: number, bytes: number, dim: number): Error {
  return new Error(`Stored embedding of track ${trackId} under ${packKey} has ${bytes} bytes, the others ${dim * 4}`);
}

/**
 * Loads a pack's index in one pass: one query streams the track embeddings, in id order, straight into a
 * preallocated matrix (one copy of each row; no per-row objects).
 */
export function loadEmbeddingIndex(db: Db, packKey: string): EmbeddingIndex {
  return db.transaction(() => {
    const version = latestChange(db);
    const head = db.prepare('SELECT COUNT(*) AS n, MAX(track_id) AS maxId FROM track_embeddings WHERE pack_key = ?').get(packKey) as {
      n: number;
      maxId: number | null;
    };
    // `+pack_key` keeps SQLite off the pack indexes: one sequential scan of the table (stored in track id
    // order) is about 3x faster than a lookup per row, and needs no sort.
    const rows = db
      .prepare('SELECT track_id, embedding FROM track_embeddings WHERE +pack_key = ? ORDER BY track_id')
      .raw()
      .iterate(packKey) as IterableIterator<[number, Buffer]>;
    let store: Store | null = null;
    for (const [trackId, blob] of rows) {
      // The first row gives the dimension: every row of a pack has it.
      store ??= newStore(packKey, blob.byteLength / 4, headroom(head.n), head.maxId ?? 0);
      const rowBytes = store.dim * 4;
      if (blob.byteLength !== rowBytes) throw badSize(packKey, trackId, blob.byteLength, store.dim);
      if (store.n === store.ids.length) throw new Error(`index: more rows under ${packKey} than counted`);
      store.bytes.set(blob, store.n * rowBytes);
      setRow(store, trackId, store.n);
      store.n++;
    }
    store ??= newStore(packKey, 0, 0, 0);
    store.scannedUpTo = version;
    return snapshot(store, version);
  })();
}

/** A copy of a snapshot's rows minus `drop`, with room for `extra` more: a new line of snapshots. */
function copyStore(old: EmbeddingIndex, drop: ReadonlySet<number>, extra: number): Store {
  const n = old.trackIds.length;
  let maxId = 0;
  for (let i = 0; i < n; i++) maxId = Math.max(maxId, old.trackIds[i] as number);
  const store = newStore(old.packKey, old.dim, headroom(n + extra), maxId);
  const dim = old.dim;
  // Copy runs of kept rows at once (deletions are few; the rest moves as whole blocks).
  let runStart = 0;
  const flush = (end: number): void => {
    if (end > runStart) {
      store.vectors.set(old.tracks.subarray(runStart * dim, end * dim), store.n * dim);
      for (let i = runStart; i < end; i++) setRow(store, old.trackIds[i] as number, store.n + i - runStart);
      store.n += end - runStart;
    }
  };
  for (let i = 0; i < n; i++) {
    if (drop.has(old.trackIds[i] as number)) {
      flush(i);
      runStart = i + 1;
    }
  }
  flush(n);
  return store;
}

/** At most this share of the rows changed is applied change by change; more is a full reload. */
const MAX_INCREMENTAL_SHARE = 0.25;

/**
 * Brings an index up to date with the changes committed since it was made (embedding_changes after its
 * version): new tracks are appended, re-analysed ones replaced in place, removed ones dropped (by copying
 * the rows that stay). Returns the same object when nothing changed for its pack.
 */
export function refreshEmbeddingIndex(db: Db, old: EmbeddingIndex): EmbeddingIndex {
  const store0 = stores.get(old);
  const from = store0 && store0.head === old ? Math.max(old.version, store0.scannedUpTo) : old.version;
  const latest = latestChange(db);
  if (latest <= from) return old;
  return db.transaction(() => {
    const changes = db
      .prepare(
        `SELECT c.seq, c.track_id, e.embedding FROM embedding_changes c
         LEFT JOIN track_embeddings e ON e.track_id = c.track_id AND e.pack_key = c.pack_key
         WHERE c.seq > ? AND c.pack_key = ? ORDER BY c.seq`,
      )
      .raw()
      .all(from, old.packKey) as [number, number, Buffer | null][];
    // Sorted by seq: the last change read is the newest this refresh has seen (a commit may have landed
    // between reading `latest` and this transaction).
    const seen = Math.max(latest, changes.at(-1)?.[0] ?? 0);
    if (changes.length === 0) {
      if (store0 && store0.head === old) store0.scannedUpTo = seen;
      return old;
    }
    const version = changes.at(-1)?.[0] as number;
    const n = old.trackIds.length;
    const dim = old.dim;
    if (n === 0 || changes.length > Math.max(64, n * MAX_INCREMENTAL_SHARE)) return loadEmbeddingIndex(db, old.packKey);
    const rowBytes = dim * 4;
    const removed = new Set<number>();
    let added = 0;
    for (const [, trackId, blob] of changes) {
      if (blob && blob.byteLength !== rowBytes) throw badSize(old.packKey, trackId, blob.byteLength, dim);
      const present = old.rowOf.get(trackId) !== undefined;
      if (!blob && present) removed.add(trackId);
      else if (blob && !present) added++;
    }
    // Appending in place needs this snapshot to be its store's newest, nothing to remove, and room; else
    // the rows that stay are copied into a new store (older snapshots keep theirs).
    const inPlace = store0 !== undefined && store0.head === old && removed.size === 0 && store0.n + added <= store0.ids.length;
    const store = inPlace ? store0 : copyStore(old, removed, added);
    for (const [, trackId, blob] of changes) {
      if (!blob) continue; // removed: not copied (or never present)
      const row = rowOfId(store, trackId);
      if (row >= 0 && row < store.n) store.bytes.set(blob, row * rowBytes);
      else {
        store.bytes.set(blob, store.n * rowBytes);
        setRow(store, trackId, store.n);
        store.n++;
      }
    }
    store.scannedUpTo = seen;
    return snapshot(store, version);
  })();
}

/**
 * Every row's dot product with `v` (the track scores for a label vector) by the matrix's kernel; null
 * for an index this module did not make.
 */
export function indexDots(index: EmbeddingIndex, v: Float32Array): Float32Array | null {
  const store = stores.get(index);
  return store ? store.matrix.dots(v, index.trackIds.length) : null;
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
