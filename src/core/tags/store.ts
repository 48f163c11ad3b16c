import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';

/** Where a tag came from: accepted from a suggestion, typed by hand, or read from the file. */
export type TagSource = 'accepted' | 'manual' | 'imported';

/** A tag on a track: ground truth, stored apart from the model's predictions. */
export interface TrackTag {
  trackId: number;
  label: string;
  source: TagSource;
  createdAt: string;
}

/** The tagging state of one (track, label): what an operation changes and what undo restores. */
export interface TagState {
  tag: TagSource | null;
  createdAt: string | null;
  rejected: boolean;
}

/** One (track, label) an operation touched, with its state before and after. */
export interface TagChange {
  trackId: number;
  label: string;
  before: TagState;
  after: TagState;
}

/** Kinds of logged tag operations. */
export type TagOperationKind = 'accept' | 'reject' | 'add' | 'remove';

/** A logged operation as undo/redo/history report it. */
export interface TagOperation {
  id: number;
  kind: TagOperationKind;
  label: string;
  trackIds: number[];
  undone: boolean;
  createdAt: string;
}

/** Operations kept for undo; older ones are pruned so the log cannot grow without bound. */
export const TAG_HISTORY_LIMIT = 500;

/**
 * A label as stored: trimmed, inner whitespace collapsed. Tags are compared case-insensitively, so
 * "Calm" and "calm" are one tag on a track (the first spelling stays).
 */
export function cleanTagLabel(text: string): string {
  const clean = text.trim().replace(/\s+/g, ' ');
  if (clean === '') throw new UserError('A tag needs some text', 'E_INVALID');
  if (clean.length > 200) throw new UserError('A tag can be at most 200 characters', 'E_INVALID');
  return clean;
}

/** Throws naming the ids that are not tracks, so a batch never half-applies. */
export function assertTracksExist(db: Db, trackIds: readonly number[]): void {
  const found = new Set(
    (
      db.prepare('SELECT id FROM tracks WHERE id IN (SELECT value FROM json_each(?))').all(JSON.stringify(trackIds)) as { id: number }[]
    ).map((r) => r.id),
  );
  const missing = trackIds.filter((id) => !found.has(id));
  if (missing.length > 0) throw new UserError(`No track with id ${missing.slice(0, 10).join(', ')}`, 'E_NOT_FOUND');
}

/** A track's tags, oldest first. */
export function listTags(db: Db, trackId: number): TrackTag[] {
  return db
    .prepare(
      'SELECT track_id AS trackId, label, source, created_at AS createdAt FROM track_tags WHERE track_id = ? ORDER BY created_at, label',
    )
    .all(trackId) as TrackTag[];
}

/** Labels rejected for a track (never suggested for it again). */
export function listRejected(db: Db, trackId: number): string[] {
  return (db.prepare('SELECT label FROM tag_rejections WHERE track_id = ? ORDER BY label').all(trackId) as { label: string }[]).map(
    (r) => r.label,
  );
}

/** The current state of one (track, label), with the label's stored spelling when it has one. */
export function readTagState(db: Db, trackId: number, label: string): { label: string; state: TagState } {
  const tag = db
    .prepare('SELECT label, source, created_at AS createdAt FROM track_tags WHERE track_id = ? AND label = ? COLLATE NOCASE')
    .get(trackId, label) as { label: string; source: TagSource; createdAt: string } | undefined;
  const rej = db.prepare('SELECT label FROM tag_rejections WHERE track_id = ? AND label = ? COLLATE NOCASE').get(trackId, label) as
    { label: string } | undefined;
  return {
    label: tag?.label ?? rej?.label ?? label,
    state: { tag: tag?.source ?? null, createdAt: tag?.createdAt ?? null, rejected: rej !== undefined },
  };
}

/** Writes a (track, label) state (inside the caller's transaction). */
export function writeTagState(db: Db, trackId: number, label: string, state: TagState): void {
  db.prepare('DELETE FROM track_tags WHERE track_id = ? AND label = ? COLLATE NOCASE').run(trackId, label);
  db.prepare('DELETE FROM tag_rejections WHERE track_id = ? AND label = ? COLLATE NOCASE').run(trackId, label);
  if (state.tag) {
    db.prepare('INSERT INTO track_tags (track_id, label, source, created_at) VALUES (?, ?, ?, ?)').run(
      trackId,
      label,
      state.tag,
      state.createdAt ?? new Date().toISOString(),
    );
  }
  if (state.rejected) db.prepare('INSERT INTO tag_rejections (track_id, label) VALUES (?, ?)').run(trackId, label);
}

function sameState(a: TagState, b: TagState): boolean {
  return a.tag === b.tag && a.createdAt === b.createdAt && a.rejected === b.rejected;
}

/** The state each kind of operation leads to from a given state. */
export function nextTagState(kind: TagOperationKind, before: TagState, now: string): TagState {
  switch (kind) {
    case 'accept':
    case 'add':
      return before.tag
        ? { ...before, rejected: false }
        : { tag: kind === 'accept' ? 'accepted' : 'manual', createdAt: now, rejected: false };
    case 'remove':
      return { tag: null, createdAt: null, rejected: before.rejected };
    case 'reject':
      return { tag: null, createdAt: null, rejected: true };
  }
}

/**
 * Applies one operation to a batch of tracks in a single transaction and logs what changed for undo.
 * Tracks already in the target state are left alone; a new operation discards the redo branch.
 * Returns the operation (null when nothing changed).
 */
export function applyTagOperation(db: Db, kind: TagOperationKind, trackIds: readonly number[], label: string): TagOperation | null {
  return db.transaction(() => {
    assertTracksExist(db, trackIds);
    const now = new Date().toISOString();
    const changes: TagChange[] = [];
    for (const trackId of new Set(trackIds)) {
      const current = readTagState(db, trackId, label);
      const after = nextTagState(kind, current.state, now);
      if (sameState(current.state, after)) continue;
      writeTagState(db, trackId, current.label, after);
      changes.push({ trackId, label: current.label, before: current.state, after });
    }
    if (changes.length === 0) return null;
    db.prepare('DELETE FROM tag_operations WHERE undone = 1').run();
    const id = Number(
      db.prepare('INSERT INTO tag_operations (kind, label, changes) VALUES (?, ?, ?)').run(kind, label, JSON.stringify(changes))
        .lastInsertRowid,
    );
    db.prepare('DELETE FROM tag_operations WHERE id <= ?').run(id - TAG_HISTORY_LIMIT);
    return getTagOperation(db, id) as TagOperation;
  })();
}

interface OperationRow {
  id: number;
  kind: TagOperationKind;
  label: string;
  changes: string;
  undone: number;
  createdAt: string;
}

const OPERATION_SELECT = 'SELECT id, kind, label, changes, undone, created_at AS createdAt FROM tag_operations';

function toOperation(row: OperationRow): TagOperation {
  const changes = JSON.parse(row.changes) as TagChange[];
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    trackIds: changes.map((c) => c.trackId),
    undone: row.undone === 1,
    createdAt: row.createdAt,
  };
}

/** One logged operation by id. */
export function getTagOperation(db: Db, id: number): TagOperation | undefined {
  const row = db.prepare(`${OPERATION_SELECT} WHERE id = ?`).get(id) as OperationRow | undefined;
  return row ? toOperation(row) : undefined;
}

/** The most recent operations, newest first (undone ones included, flagged). */
export function tagHistory(db: Db, limit: number): TagOperation[] {
  return (db.prepare(`${OPERATION_SELECT} ORDER BY id DESC LIMIT ?`).all(limit) as OperationRow[]).map(toOperation);
}

function restore(db: Db, row: OperationRow, side: 'before' | 'after'): TagOperation {
  const exists = db.prepare('SELECT 1 FROM tracks WHERE id = ?');
  for (const c of JSON.parse(row.changes) as TagChange[]) {
    // A track removed from the library since has nothing left to restore.
    if (exists.get(c.trackId)) writeTagState(db, c.trackId, c.label, c[side]);
  }
  db.prepare('UPDATE tag_operations SET undone = ? WHERE id = ?').run(side === 'before' ? 1 : 0, row.id);
  return toOperation({ ...row, undone: side === 'before' ? 1 : 0 });
}

function changedKeys(row: OperationRow): Set<string> {
  return new Set((JSON.parse(row.changes) as TagChange[]).map((c) => `${c.trackId}\0${c.label.toLowerCase()}`));
}

/**
 * The operation `id` if it can be undone (`undone` = 0) or redone (`undone` = 1) on its own: no later
 * operation still in effect touched the same track and label, since reverting under it would silently
 * undo part of that later change too.
 */
function operationById(db: Db, id: number, undone: 0 | 1): OperationRow {
  const row = db.prepare(`${OPERATION_SELECT} WHERE id = ?`).get(id) as OperationRow | undefined;
  if (!row) throw new UserError(`No tag change ${id} in the history (it may be older than the last ${TAG_HISTORY_LIMIT})`, 'E_NOT_FOUND');
  if (row.undone !== undone) throw new UserError(`Tag change ${id} is already ${undone ? 'in effect' : 'undone'}`, 'E_CONFLICT');
  const keys = changedKeys(row);
  const later = db.prepare(`${OPERATION_SELECT} WHERE id > ? AND undone = 0 ORDER BY id`).all(id) as OperationRow[];
  const blocking = later.find((l) => [...changedKeys(l)].some((k) => keys.has(k)));
  if (blocking)
    throw new UserError(`A later tag change (${blocking.kind} "${blocking.label}") touched the same tracks; undo that first`, 'E_CONFLICT');
  return row;
}

/**
 * Reverts an operation: the latest one not yet undone (multi-level: call again for the one before), or
 * operation `id` exactly (the Undo button of the toast that reported it), refused with E_CONFLICT when a
 * later change to the same tracks and label is still in effect.
 */
export function undoTagOperation(db: Db, id?: number): TagOperation | null {
  return db.transaction(() => {
    const row =
      id === undefined
        ? (db.prepare(`${OPERATION_SELECT} WHERE undone = 0 ORDER BY id DESC LIMIT 1`).get() as OperationRow | undefined)
        : operationById(db, id, 0);
    return row ? restore(db, row, 'before') : null;
  })();
}

/** Re-applies the earliest undone operation (the one undone last), or operation `id` exactly. */
export function redoTagOperation(db: Db, id?: number): TagOperation | null {
  return db.transaction(() => {
    const row =
      id === undefined
        ? (db.prepare(`${OPERATION_SELECT} WHERE undone = 1 ORDER BY id ASC LIMIT 1`).get() as OperationRow | undefined)
        : operationById(db, id, 1);
    return row ? restore(db, row, 'after') : null;
  })();
}
