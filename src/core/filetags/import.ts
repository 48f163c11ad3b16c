/**
 * Scan-time import: mood values found in a file's tags become the track's tags with source 'imported'.
 * A label the track already has (any spelling, any source) or that was rejected for it is left alone,
 * so a rescan never overrides what a person decided.
 */
import type { Db } from '../kernel/database.js';

/** Stores a track's file moods as imported tags; returns how many were new. Call inside the caller's transaction. */
export type MoodImporter = (trackId: number, moods: readonly string[]) => number;

/** Prepares the statements once per scan batch writer. */
export function createMoodImporter(db: Db): MoodImporter {
  const insert = db.prepare(
    `INSERT INTO track_tags (track_id, label, source, created_at) SELECT @trackId, @label, 'imported', @createdAt
     WHERE NOT EXISTS (SELECT 1 FROM track_tags WHERE track_id = @trackId AND label = @label COLLATE NOCASE)
       AND NOT EXISTS (SELECT 1 FROM tag_rejections WHERE track_id = @trackId AND label = @label COLLATE NOCASE)`,
  );
  return (trackId, moods) => {
    // One file's moods are imported at one moment: one timestamp, so listing them (oldest first, then by
    // label) does not depend on a millisecond ticking over between two inserts.
    const createdAt = new Date().toISOString();
    let added = 0;
    for (const label of moods) added += insert.run({ trackId, label, createdAt }).changes;
    return added;
  };
}
