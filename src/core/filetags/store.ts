/**
 * Database side of writing tags into files: which library folders opted in, which tracks have tags to
 * write and what each should carry, and the runs with their undo log (migration 0005).
 */
import { resolve } from 'node:path';
import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';
import type { FieldValues } from './tag-io.js';

/** A library folder and whether Moodshelf may write tags into its files. */
export interface FileTagFolder {
  folderId: number;
  path: string;
  enabled: boolean;
  enabledAt: string | null;
}

/** Library folders with their opt-in state. */
export function listFileTagFolders(db: Db): FileTagFolder[] {
  return (
    db
      .prepare(
        `SELECT f.id AS folderId, f.path, e.enabled_at AS enabledAt FROM library_folders f
         LEFT JOIN filetag_folders e ON e.folder_id = f.id ORDER BY f.path`,
      )
      .all() as { folderId: number; path: string; enabledAt: string | null }[]
  ).map((r) => ({ ...r, enabled: r.enabledAt !== null }));
}

/** Turns tag writing on or off for a library folder (by id or path) and returns its new state. */
export function setFileTagFolder(db: Db, folder: number | string, enabled: boolean): FileTagFolder {
  const row = (
    typeof folder === 'number'
      ? db.prepare('SELECT id, path FROM library_folders WHERE id = ?').get(folder)
      : db.prepare('SELECT id, path FROM library_folders WHERE path = ?').get(resolve(folder))
  ) as { id: number; path: string } | undefined;
  if (!row) throw new UserError(`${String(folder)} is not a library folder (add it first: moodshelf library add)`, 'E_NOT_FOUND');
  if (enabled) db.prepare('INSERT OR IGNORE INTO filetag_folders (folder_id) VALUES (?)').run(row.id);
  else db.prepare('DELETE FROM filetag_folders WHERE folder_id = ?').run(row.id);
  return listFileTagFolders(db).find((f) => f.folderId === row.id) as FileTagFolder;
}

/** A track considered for writing. */
export interface CandidateTrack {
  id: number;
  path: string;
  status: string;
  folderPath: string;
  folderEnabled: boolean;
}

type CandidateRow = Omit<CandidateTrack, 'folderEnabled'> & { folderEnabled: number };

const CANDIDATE_SELECT = `SELECT t.id, t.path, t.status, f.path AS folderPath, (e.folder_id IS NOT NULL) AS folderEnabled
  FROM tracks t JOIN library_folders f ON f.id = t.folder_id LEFT JOIN filetag_folders e ON e.folder_id = t.folder_id`;

/** The given tracks (throws naming unknown ids), in the order given. */
export function tracksByIds(db: Db, ids: readonly number[]): CandidateTrack[] {
  const rows = db.prepare(`${CANDIDATE_SELECT} WHERE t.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as CandidateRow[];
  const byId = new Map(rows.map((r) => [r.id, { ...r, folderEnabled: r.folderEnabled === 1 }]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0)
    throw new UserError(
      `No track with ${unknown.length === 1 ? 'id' : 'ids'} ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ', …' : ''}`,
      'E_NOT_FOUND',
    );
  return [...new Set(ids)].map((id) => byId.get(id) as CandidateTrack);
}

/**
 * Tracks of opted-in folders whose files may need writing: those with tags, with rejected labels, or
 * touched by a logged tag operation (a removed tag must leave the file too).
 */
export function tracksWithTagState(db: Db): CandidateTrack[] {
  const rows = db
    .prepare(
      `${CANDIDATE_SELECT} WHERE e.folder_id IS NOT NULL AND t.id IN (
         SELECT track_id FROM track_tags
         UNION SELECT track_id FROM tag_rejections
         UNION SELECT json_extract(c.value, '$.trackId') FROM tag_operations o, json_each(o.changes) c WHERE o.undone = 0)
       ORDER BY t.path`,
    )
    .all() as CandidateRow[];
  return rows.map((r) => ({ ...r, folderEnabled: r.folderEnabled === 1 }));
}

/**
 * Where a track's file is now, when it is on disk as far as the index knows (not missing): undo follows
 * a file that was moved or renamed after the write and recognised by a rescan.
 */
export function trackPath(db: Db, trackId: number): string | undefined {
  const row = db.prepare("SELECT path FROM tracks WHERE id = ? AND status != 'missing'").get(trackId) as { path: string } | undefined;
  return row?.path;
}

/** A track's tags (every source), oldest first: the labels its file should carry. */
export function trackTagLabels(db: Db, trackId: number): string[] {
  return (db.prepare('SELECT label FROM track_tags WHERE track_id = ? ORDER BY created_at, label').all(trackId) as { label: string }[]).map(
    (r) => r.label,
  );
}

/**
 * Labels (lower-cased) a person took off a track in Moodshelf: rejected, or removed by an operation that
 * is still in effect. A file's mood value in this set is dropped on write; any other value the file
 * already carries is kept, so writing never erases moods Moodshelf has not seen.
 */
export function removedLabels(db: Db, trackId: number): Set<string> {
  const out = new Set(
    (db.prepare('SELECT label FROM tag_rejections WHERE track_id = ?').all(trackId) as { label: string }[]).map((r) =>
      r.label.toLowerCase(),
    ),
  );
  const rows = db
    .prepare(
      `SELECT json_extract(c.value, '$.label') AS label, json_extract(c.value, '$.after.tag') AS tag
       FROM tag_operations o, json_each(o.changes) c
       WHERE o.undone = 0 AND json_extract(c.value, '$.trackId') = ? ORDER BY o.id`,
    )
    .all(trackId) as { label: string; tag: string | null }[];
  const last = new Map<string, string | null>();
  for (const r of rows) last.set(r.label.toLowerCase(), r.tag);
  for (const [label, tag] of last) if (tag === null) out.add(label);
  return out;
}

/** A logged write run. */
export interface FileTagRun {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  includeScores: boolean;
  status: 'running' | 'done' | 'undone';
  written: number;
  unchanged: number;
  skipped: number;
  undoneAt: string | null;
}

const RUN_SELECT = `SELECT id, started_at AS startedAt, finished_at AS finishedAt, include_scores AS includeScores, status,
  written, unchanged, skipped, undone_at AS undoneAt FROM filetag_runs`;

type RunRow = Omit<FileTagRun, 'includeScores'> & { includeScores: number };

function toRun(r: RunRow): FileTagRun {
  return { ...r, includeScores: r.includeScores === 1 };
}

/** Starts a run and returns its id. */
export function startRun(db: Db, includeScores: boolean): number {
  return Number(db.prepare('INSERT INTO filetag_runs (include_scores) VALUES (?)').run(includeScores ? 1 : 0).lastInsertRowid);
}

/** Records a run's counts; a run that wrote nothing is dropped (there is nothing to undo). Returns whether it was kept. */
export function finishRun(db: Db, runId: number, counts: { written: number; unchanged: number; skipped: number }): boolean {
  if (counts.written === 0) {
    db.prepare('DELETE FROM filetag_runs WHERE id = ?').run(runId);
    return false;
  }
  db.prepare(
    `UPDATE filetag_runs SET status = 'done', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), written = ?, unchanged = ?, skipped = ?
     WHERE id = ?`,
  ).run(counts.written, counts.unchanged, counts.skipped, runId);
  return true;
}

/** One run by id. */
export function getRun(db: Db, runId: number): FileTagRun | undefined {
  const r = db.prepare(`${RUN_SELECT} WHERE id = ?`).get(runId) as RunRow | undefined;
  return r ? toRun(r) : undefined;
}

/** Recent runs, newest first. */
export function listRuns(db: Db, limit: number): FileTagRun[] {
  return (db.prepare(`${RUN_SELECT} ORDER BY id DESC LIMIT ?`).all(limit) as RunRow[]).map(toRun);
}

/** One file of a run in the undo log. */
export interface FileTagChange {
  runId: number;
  path: string;
  trackId: number | null;
  format: string;
  before: FieldValues;
  after: FieldValues;
  state: 'written' | 'undone' | 'skipped';
  note: string | null;
}

/** Logs a file's values before and after, ahead of replacing the file. */
export function recordChange(db: Db, c: Omit<FileTagChange, 'state' | 'note'>): void {
  db.prepare('INSERT OR REPLACE INTO filetag_changes (run_id, path, track_id, format, before, after) VALUES (?, ?, ?, ?, ?, ?)').run(
    c.runId,
    c.path,
    c.trackId,
    c.format,
    JSON.stringify(c.before),
    JSON.stringify(c.after),
  );
}

/** Drops a logged change whose write failed (the file was not replaced). */
export function forgetChange(db: Db, runId: number, path: string): void {
  db.prepare('DELETE FROM filetag_changes WHERE run_id = ? AND path = ?').run(runId, path);
}

/** The files of a run. */
export function runChanges(db: Db, runId: number): FileTagChange[] {
  return (
    db
      .prepare(
        'SELECT run_id AS runId, path, track_id AS trackId, format, before, after, state, note FROM filetag_changes WHERE run_id = ? ORDER BY path',
      )
      .all(runId) as (Omit<FileTagChange, 'before' | 'after'> & { before: string; after: string })[]
  ).map((r) => ({ ...r, before: JSON.parse(r.before) as FieldValues, after: JSON.parse(r.after) as FieldValues }));
}

/** Marks a logged file undone (or notes why it could not be). */
export function markChange(db: Db, runId: number, path: string, state: 'undone' | 'written', note: string | null): void {
  db.prepare('UPDATE filetag_changes SET state = ?, note = ? WHERE run_id = ? AND path = ?').run(state, note, runId, path);
}

/** Marks a run undone once every file of it is. */
export function markRunUndone(db: Db, runId: number): void {
  db.prepare("UPDATE filetag_runs SET status = 'undone', undone_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(runId);
}
