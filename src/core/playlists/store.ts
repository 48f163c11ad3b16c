import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';
import type { PlaylistDefinition } from './definition.js';

/** A saved playlist: its name and the definition it is re-evaluated from. */
export interface SavedPlaylist {
  id: number;
  name: string;
  definition: PlaylistDefinition;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: number;
  name: string;
  definition: string;
  createdAt: string;
  updatedAt: string;
}

const SELECT = 'SELECT id, name, definition, created_at AS createdAt, updated_at AS updatedAt FROM playlists';

function toSaved(r: Row): SavedPlaylist {
  return {
    id: r.id,
    name: r.name,
    definition: JSON.parse(r.definition) as PlaylistDefinition,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** A playlist name as stored: trimmed, one line, 1-200 characters. */
export function cleanPlaylistName(name: string): string {
  const clean = name.replace(/\s+/g, ' ').trim();
  if (clean === '') throw new UserError('A playlist needs a name', 'E_INVALID');
  if (clean.length > 200) throw new UserError('A playlist name can be at most 200 characters', 'E_INVALID');
  return clean;
}

/**
 * Refuses a name another saved playlist (not `id`) already has, case and spacing aside: playlists are
 * opened, exported and named on the command line by their name, so two "Calm evening"s would be one
 * name for two things. The error names the existing playlist.
 */
export function assertPlaylistNameFree(db: Db, name: string, id?: number): void {
  const key = name.replace(/\s+/g, ' ').trim().toLowerCase();
  const rows = db.prepare('SELECT id, name FROM playlists').all() as { id: number; name: string }[];
  const clash = rows.find((r) => r.id !== id && r.name.replace(/\s+/g, ' ').trim().toLowerCase() === key);
  if (clash) throw new UserError(`There is already a playlist named "${clash.name}" (id ${clash.id}); choose another name`, 'E_EXISTS');
}

/** Every saved playlist, by name. */
export function listPlaylists(db: Db): SavedPlaylist[] {
  return (db.prepare(`${SELECT} ORDER BY name COLLATE NOCASE, id`).all() as Row[]).map(toSaved);
}

/** One saved playlist, or a UserError naming the id. */
export function getPlaylist(db: Db, id: number): SavedPlaylist {
  const row = db.prepare(`${SELECT} WHERE id = ?`).get(id) as Row | undefined;
  if (!row) throw new UserError(`No playlist with id ${id}`, 'E_NOT_FOUND');
  return toSaved(row);
}

/**
 * Creates a playlist, or replaces the one with `id`. An `id` that no longer exists is re-created with
 * that id, so passing back what playlists-delete returned undoes the delete exactly. A name another
 * playlist has is refused (see {@link assertPlaylistNameFree}).
 */
export function savePlaylist(db: Db, name: string, definition: PlaylistDefinition, id?: number, createdAt?: string): SavedPlaylist {
  assertPlaylistNameFree(db, name, id);
  const json = JSON.stringify(definition);
  const now = new Date().toISOString();
  if (id !== undefined && db.prepare('SELECT 1 FROM playlists WHERE id = ?').get(id)) {
    db.prepare('UPDATE playlists SET name = ?, kind = ?, definition = ?, updated_at = ? WHERE id = ?').run(
      name,
      definition.kind,
      json,
      now,
      id,
    );
    return getPlaylist(db, id);
  }
  const info = db
    .prepare('INSERT INTO playlists (id, name, kind, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(id ?? null, name, definition.kind, json, createdAt ?? now, now);
  return getPlaylist(db, Number(info.lastInsertRowid));
}

/** Renames a playlist; a name another playlist has is refused (see {@link assertPlaylistNameFree}). */
export function renamePlaylist(db: Db, id: number, name: string): SavedPlaylist {
  getPlaylist(db, id);
  assertPlaylistNameFree(db, name, id);
  db.prepare('UPDATE playlists SET name = ?, updated_at = ? WHERE id = ?').run(name, new Date().toISOString(), id);
  return getPlaylist(db, id);
}

/** Deletes a playlist and returns it (for undo). */
export function deletePlaylist(db: Db, id: number): SavedPlaylist {
  const saved = getPlaylist(db, id);
  db.prepare('DELETE FROM playlists WHERE id = ?').run(id);
  return saved;
}
