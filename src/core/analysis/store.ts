import type { Db } from '../kernel/database.js';
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

/**
 * Claims the next job for a pack (highest priority first, then oldest) for `owner` for `leaseMs`: rows
 * leased by another live process are skipped, so the app and the CLI sharing a library never analyse a
 * track twice. The claim is one IMMEDIATE transaction, so two processes cannot take the same row. A lease
 * whose owner `ownerAlive` says is gone (a killed process on this machine) is taken over at once.
 */
export function claimNext(
  db: Db,
  packKey: string,
  owner: string,
  leaseMs: number,
  skip: ReadonlySet<number> = new Set(),
  ownerAlive: (owner: string) => boolean = () => true,
): QueueItem | undefined {
  return db
    .transaction(() => {
      const now = Date.now();
      const rows = db
        .prepare(
          `SELECT track_id AS trackId, policy, lease_owner AS leaseOwner, lease_until AS leaseUntil FROM analysis_queue
           WHERE pack_key = ? ORDER BY priority DESC, queued_at, track_id`,
        )
        .iterate(packKey) as IterableIterator<QueueItem & { leaseOwner: string | null; leaseUntil: number | null }>;
      let item: QueueItem | undefined;
      for (const r of rows) {
        if (skip.has(r.trackId)) continue;
        const free = r.leaseOwner === null || r.leaseUntil === null || r.leaseUntil < now || r.leaseOwner === owner;
        if (free || !ownerAlive(r.leaseOwner as string)) {
          item = { trackId: r.trackId, policy: r.policy };
          break;
        }
      }
      if (item)
        db.prepare('UPDATE analysis_queue SET lease_owner = ?, lease_until = ? WHERE track_id = ? AND pack_key = ?').run(
          owner,
          now + leaseMs,
          item.trackId,
          packKey,
        );
      return item;
    })
    .immediate();
}

/** Extends `owner`'s lease on a job it is still working on (a long track on a slow model). */
export function renewLease(db: Db, packKey: string, trackId: number, owner: string, leaseMs: number): void {
  db.prepare('UPDATE analysis_queue SET lease_until = ? WHERE track_id = ? AND pack_key = ? AND lease_owner = ?').run(
    Date.now() + leaseMs,
    trackId,
    packKey,
    owner,
  );
}

/** Gives back every lease `owner` holds (on pause, cancel or close), so another process can take them at once. */
export function releaseLeases(db: Db, owner: string): void {
  db.prepare('UPDATE analysis_queue SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?').run(owner);
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
