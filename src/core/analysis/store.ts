import type { Db } from '../db/database.js';
import { fromBlob, meanVector, toBlob } from './vectors.js';

/** A stored segment embedding. */
export interface StoredSegment {
  index: number;
  start: number;
  embedding: Float32Array;
}

/** Segment indexes already stored for a track under a pack (so full analysis reuses quick results). */
export function storedSegmentIndexes(db: Db, trackId: number, packKey: string): Set<number> {
  const rows = db
    .prepare('SELECT segment_index AS i FROM segment_embeddings WHERE track_id = ? AND pack_key = ?')
    .all(trackId, packKey) as { i: number }[];
  return new Set(rows.map((r) => r.i));
}

/** A track's stored segments in time order. */
export function trackSegments(db: Db, trackId: number, packKey: string): StoredSegment[] {
  const rows = db
    .prepare(
      'SELECT segment_index AS i, start_sec AS s, embedding AS e FROM segment_embeddings WHERE track_id = ? AND pack_key = ? ORDER BY segment_index',
    )
    .all(trackId, packKey) as { i: number; s: number; e: Buffer }[];
  return rows.map((r) => ({ index: r.i, start: r.s, embedding: fromBlob(r.e) }));
}

/**
 * Commits one analysed track in a single transaction: its new segments, the track embedding recomputed
 * over all its stored segments, removal from the queue and from failures, and the replacement of any
 * results from other packs. Killing the process before the commit loses only this track.
 */
export function commitTrackAnalysis(db: Db, trackId: number, packKey: string, policy: string, segments: StoredSegment[]): void {
  db.transaction(() => {
    const insert = db.prepare(
      'INSERT OR REPLACE INTO segment_embeddings (track_id, pack_key, segment_index, start_sec, embedding) VALUES (?, ?, ?, ?, ?)',
    );
    for (const s of segments) insert.run(trackId, packKey, s.index, s.start, toBlob(s.embedding));
    const all = trackSegments(db, trackId, packKey);
    const previous = db.prepare('SELECT policy FROM track_embeddings WHERE track_id = ? AND pack_key = ?').get(trackId, packKey) as
      { policy: string } | undefined;
    // A full result stays full when a quick pass runs again (its segments are a subset).
    const storedPolicy = policy === 'full' || previous?.policy === 'full' ? 'full' : policy;
    db.prepare(
      `INSERT OR REPLACE INTO track_embeddings (track_id, pack_key, policy, segment_count, embedding, analyzed_at)
       VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
    ).run(trackId, packKey, storedPolicy, all.length, toBlob(meanVector(all.map((s) => s.embedding))));
    db.prepare('DELETE FROM analysis_queue WHERE track_id = ? AND pack_key = ?').run(trackId, packKey);
    db.prepare('DELETE FROM analysis_failures WHERE track_id = ? AND pack_key = ?').run(trackId, packKey);
    db.prepare('DELETE FROM segment_embeddings WHERE track_id = ? AND pack_key != ?').run(trackId, packKey);
    db.prepare('DELETE FROM track_embeddings WHERE track_id = ? AND pack_key != ?').run(trackId, packKey);
  })();
}

/** Records a track the analysis could not process, and takes it off the queue. */
export function recordAnalysisFailure(db: Db, trackId: number, packKey: string, error: string): void {
  db.transaction(() => {
    db.prepare('INSERT OR REPLACE INTO analysis_failures (track_id, pack_key, error) VALUES (?, ?, ?)').run(trackId, packKey, error);
    db.prepare('DELETE FROM analysis_queue WHERE track_id = ? AND pack_key = ?').run(trackId, packKey);
  })();
}

/** A queued job. */
export interface QueueItem {
  trackId: number;
  policy: string;
}

/** The next job for a pack: highest priority first, then oldest. */
export function nextQueued(db: Db, packKey: string, skip: ReadonlySet<number> = new Set()): QueueItem | undefined {
  const rows = db
    .prepare(
      'SELECT track_id AS trackId, policy FROM analysis_queue WHERE pack_key = ? ORDER BY priority DESC, queued_at, track_id LIMIT ?',
    )
    .all(packKey, skip.size + 1) as QueueItem[];
  return rows.find((r) => !skip.has(r.trackId));
}

/** Number of queued jobs for a pack. */
export function queueLength(db: Db, packKey: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM analysis_queue WHERE pack_key = ?').get(packKey) as { n: number }).n;
}

/**
 * Queues tracks for a pack. Without ids: every readable track that has no result under this pack (or,
 * for `full`, no full result). A track already queued keeps its place but takes the stronger policy.
 */
export function enqueueTracks(db: Db, packKey: string, policy: string, trackIds?: number[], priority = 0): number {
  const ids =
    trackIds ??
    (
      db
        .prepare(
          `SELECT t.id FROM tracks t LEFT JOIN track_embeddings e ON e.track_id = t.id AND e.pack_key = ?
           WHERE t.status = 'ok' AND (e.track_id IS NULL OR (? = 'full' AND e.policy != 'full'))
             AND t.id NOT IN (SELECT track_id FROM analysis_failures WHERE pack_key = ?)`,
        )
        .all(packKey, policy, packKey) as { id: number }[]
    ).map((r) => r.id);
  const insert = db.prepare(
    `INSERT INTO analysis_queue (track_id, pack_key, policy, priority) SELECT id, ?, ?, ? FROM tracks WHERE id = ? AND status = 'ok'
     ON CONFLICT(track_id, pack_key) DO UPDATE SET policy = CASE WHEN excluded.policy = 'full' THEN 'full' ELSE policy END,
       priority = MAX(priority, excluded.priority)`,
  );
  let n = 0;
  db.transaction(() => {
    for (const id of ids) n += insert.run(packKey, policy, priority, id).changes;
  })();
  return n;
}

/** Empties the queue of a pack. */
export function clearQueue(db: Db, packKey: string): number {
  return db.prepare('DELETE FROM analysis_queue WHERE pack_key = ?').run(packKey).changes;
}

/** How much of the library is analysed under a pack. */
export function analysisCounts(
  db: Db,
  packKey: string,
): { analyzed: number; full: number; failed: number; queued: number; segments: number } {
  const g = (sql: string): number => (db.prepare(sql).get(packKey) as { n: number }).n;
  return {
    analyzed: g('SELECT COUNT(*) AS n FROM track_embeddings WHERE pack_key = ?'),
    full: g("SELECT COUNT(*) AS n FROM track_embeddings WHERE pack_key = ? AND policy = 'full'"),
    failed: g('SELECT COUNT(*) AS n FROM analysis_failures WHERE pack_key = ?'),
    queued: g('SELECT COUNT(*) AS n FROM analysis_queue WHERE pack_key = ?'),
    segments: g('SELECT COUNT(*) AS n FROM segment_embeddings WHERE pack_key = ?'),
  };
}
