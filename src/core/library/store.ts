import { realpathSync, statSync } from 'node:fs';
import { relative, sep, isAbsolute } from 'node:path';
import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';
import { userPath } from '../kernel/user-path.js';
import type { TrackInfo } from './probe.js';

/** A library folder as shown to people. */
export interface LibraryFolder {
  id: number;
  path: string;
  addedAt: string;
  trackCount: number;
}

/** Status of an indexed file: readable audio, a file we could not use (with a reason), or gone. */
export type TrackStatus = 'ok' | 'failed' | 'missing';

/** What the scanner remembers about a file to decide whether to read it again. */
export interface KnownTrack {
  id: number;
  folderId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
  status: TrackStatus;
}

/** A file's stat facts and what probing it found, ready to be written. */
export interface TrackWrite {
  folderId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
  status: Exclude<TrackStatus, 'missing'>;
  error: string | null;
  info: TrackInfo | null;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Lists library folders with how many indexed files each holds. */
export function listFolders(db: Db): LibraryFolder[] {
  return db
    .prepare(
      `SELECT f.id, f.path, f.added_at AS addedAt,
        (SELECT COUNT(*) FROM tracks t WHERE t.folder_id = f.id AND t.status != 'missing') AS trackCount
       FROM library_folders f ORDER BY f.path`,
    )
    .all() as LibraryFolder[];
}

/**
 * Adds a folder to the library. The path is resolved to its real location so the same folder reached
 * through a link is not added twice; a folder inside (or around) an existing one is refused, since its
 * files would belong to two folders.
 */
export function addFolder(db: Db, input: string): LibraryFolder {
  const abs = userPath(input);
  let real: string;
  try {
    if (!statSync(abs).isDirectory()) throw new UserError(`Cannot add ${abs}: it is not a folder`, 'E_NOT_DIR');
    real = realpathSync(abs);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot add ${abs}: the folder does not exist or cannot be read`, 'E_NO_DIR');
  }
  for (const f of listFolders(db)) {
    if (f.path === real) throw new UserError(`${real} is already in the library`, 'E_EXISTS');
    if (isInside(real, f.path)) throw new UserError(`${real} is already covered by the library folder ${f.path}`, 'E_NESTED');
    if (isInside(f.path, real)) {
      throw new UserError(`${real} contains the library folder ${f.path}; remove that one first, then add this`, 'E_NESTED');
    }
  }
  db.prepare('INSERT INTO library_folders (path) VALUES (?)').run(real);
  const folder = listFolders(db).find((f) => f.path === real);
  if (!folder) throw new Error(`folder ${real} vanished after insert`);
  return folder;
}

/** Finds a library folder by the path a person typed (as given, resolved, or its real path). */
export function findFolder(db: Db, input: string): LibraryFolder | undefined {
  const abs = userPath(input);
  const candidates = new Set([input, abs]);
  try {
    candidates.add(realpathSync(abs));
  } catch {
    // The folder may be gone from disk; matching on the stored path still works.
  }
  return listFolders(db).find((f) => candidates.has(f.path));
}

/** What removing a folder did: its tracks left the index; `kept` of them keep the person's data by content. */
export interface FolderRemoval {
  folder: LibraryFolder;
  tracksRemoved: number;
  /** Tracks whose tags, rejections or analyses were kept (restored when the same files are indexed again). */
  kept: number;
}

/**
 * Removes a library folder and its tracks from the index (files on disk are never touched). The person's
 * tags and rejections and the tracks' analyses are kept by content fingerprint, so adding the folder back
 * restores them on its first scan (migration 0008's trigger); `purge` deletes them instead.
 */
export function removeFolder(db: Db, input: string, opts: { purge?: boolean } = {}): FolderRemoval {
  const folder = findFolder(db, input);
  if (!folder) throw new UserError(`${userPath(input)} is not a library folder`, 'E_NOT_FOUND');
  return db.transaction(() => {
    const kept = opts.purge ? 0 : keepTrackData(db, folder.id);
    const tracksRemoved = db.prepare('DELETE FROM tracks WHERE folder_id = ?').run(folder.id).changes;
    db.prepare('DELETE FROM library_folders WHERE id = ?').run(folder.id);
    return { folder, tracksRemoved, kept };
  })();
}

const KEEP_FROM = 'JOIN tracks t ON t.id = x.track_id WHERE t.folder_id = ? AND t.fingerprint IS NOT NULL';

/** Copies a folder's per-track user data and analyses into the kept_* tables; returns how many tracks had any. */
function keepTrackData(db: Db, folderId: number): number {
  db.prepare(
    `INSERT OR REPLACE INTO kept_track_tags (fingerprint, label, source, created_at)
     SELECT t.fingerprint, x.label, x.source, x.created_at FROM track_tags x ${KEEP_FROM}`,
  ).run(folderId);
  db.prepare(
    `INSERT OR REPLACE INTO kept_tag_rejections (fingerprint, label, created_at)
     SELECT t.fingerprint, x.label, x.created_at FROM tag_rejections x ${KEEP_FROM}`,
  ).run(folderId);
  db.prepare(
    `INSERT OR REPLACE INTO kept_track_embeddings (fingerprint, pack_key, policy, segment_count, embedding, analyzed_at)
     SELECT t.fingerprint, x.pack_key, x.policy, x.segment_count, x.embedding, x.analyzed_at FROM track_embeddings x ${KEEP_FROM}`,
  ).run(folderId);
  db.prepare(
    `INSERT OR REPLACE INTO kept_segment_embeddings (fingerprint, pack_key, segment_index, start_sec, embedding)
     SELECT t.fingerprint, x.pack_key, x.segment_index, x.start_sec, x.embedding FROM segment_embeddings x ${KEEP_FROM}`,
  ).run(folderId);
  const row = db
    .prepare(
      `SELECT COUNT(*) AS n FROM tracks t WHERE t.folder_id = ? AND t.fingerprint IS NOT NULL AND (
         EXISTS (SELECT 1 FROM track_tags x WHERE x.track_id = t.id) OR EXISTS (SELECT 1 FROM tag_rejections x WHERE x.track_id = t.id)
         OR EXISTS (SELECT 1 FROM track_embeddings x WHERE x.track_id = t.id))`,
    )
    .get(folderId) as { n: number };
  return row.n;
}

/** Everything the scanner needs to know about the files already indexed under one folder. */
export function knownTracks(db: Db, folderId: number): KnownTrack[] {
  return db
    .prepare(
      `SELECT id, folder_id AS folderId, path, size, mtime_ms AS mtimeMs, fingerprint, status
       FROM tracks WHERE folder_id = ?`,
    )
    .all(folderId) as KnownTrack[];
}

/** Prepared writes for the scanner, so a batch runs without re-preparing statements. */
export interface TrackWriter {
  insert(w: TrackWrite): number;
  update(id: number, w: TrackWrite): void;
  markMissing(id: number): void;
}

const INFO_COLUMNS = `duration = @duration, sample_rate = @sampleRate, channels = @channels,
  bits_per_sample = @bitsPerSample, bitrate = @bitrate, container = @container, codec = @codec,
  lossless = @lossless, title = @title, artist = @artist, album = @album, album_artist = @albumArtist,
  track_no = @trackNo, disc_no = @discNo, year = @year, genre = @genre`;

function params(w: TrackWrite): Record<string, unknown> {
  const i = w.info;
  return {
    folderId: w.folderId,
    path: w.path,
    size: w.size,
    mtimeMs: w.mtimeMs,
    fingerprint: w.fingerprint,
    status: w.status,
    error: w.error,
    duration: i?.duration ?? null,
    sampleRate: i?.sampleRate ?? null,
    channels: i?.channels ?? null,
    bitsPerSample: i?.bitsPerSample ?? null,
    bitrate: i?.bitrate ?? null,
    container: i?.container ?? null,
    codec: i?.codec ?? null,
    lossless: i?.lossless === null || i?.lossless === undefined ? null : Number(i.lossless),
    title: i?.title ?? null,
    artist: i?.artist ?? null,
    album: i?.album ?? null,
    albumArtist: i?.albumArtist ?? null,
    trackNo: i?.trackNo ?? null,
    discNo: i?.discNo ?? null,
    year: i?.year ?? null,
    genre: i?.genre ?? null,
  };
}

/**
 * The path inside its library folder, for search over file and folder names (migration 0006 fills
 * existing rows with the same expression). A folder at a root ("/" or "C:\") has its separator trimmed.
 */
const PATH_WORDS_SQL = `substr(@path, length(rtrim((SELECT f.path FROM library_folders f WHERE f.id = @folderId), '/\\')) + 2)`;

/** Creates the scanner's prepared statements. A failed probe clears stale stream facts and tags. */
export function createTrackWriter(db: Db): TrackWriter {
  const insert = db.prepare(
    `INSERT INTO tracks (folder_id, path, path_words, size, mtime_ms, fingerprint, status, error, duration, sample_rate,
      channels, bits_per_sample, bitrate, container, codec, lossless, title, artist, album, album_artist,
      track_no, disc_no, year, genre)
     VALUES (@folderId, @path, ${PATH_WORDS_SQL}, @size, @mtimeMs, @fingerprint, @status, @error, @duration, @sampleRate,
      @channels, @bitsPerSample, @bitrate, @container, @codec, @lossless, @title, @artist, @album,
      @albumArtist, @trackNo, @discNo, @year, @genre)`,
  );
  const update = db.prepare(
    `UPDATE tracks SET folder_id = @folderId, path = @path, path_words = ${PATH_WORDS_SQL}, size = @size, mtime_ms = @mtimeMs,
      fingerprint = @fingerprint, status = @status, error = @error, ${INFO_COLUMNS},
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE id = @id`,
  );
  const missing = db.prepare(
    `UPDATE tracks SET status = 'missing', error = 'The file is no longer on disk',
      updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
  );
  return {
    insert: (w) => Number(insert.run(params(w)).lastInsertRowid),
    update: (id, w) => void update.run({ ...params(w), id }),
    markMissing: (id) => void missing.run(id),
  };
}

/** A file's identity as the scanner compares it: size, whole-millisecond mtime (as the walk reads it) and content fingerprint. */
export interface TrackIdentity {
  size: number;
  mtimeMs: number;
  fingerprint: string;
}

/**
 * Records the new identity of a file Moodshelf rewrote itself (writing or undoing mood tags), so that a
 * rename or move before the next scan is still recognised by its fingerprint and keeps its track id,
 * tags and analysis. Size and mtime are taken over only when the stored ones described the file as it
 * was just before the rewrite (`before`); otherwise the file had changed since the last scan in ways
 * the index has not seen, and leaving them stale makes the next scan read it again. Returns whether a
 * track was updated.
 */
export function updateTrackIdentity(db: Db, trackId: number, before: { size: number; mtimeMs: number }, now: TrackIdentity): boolean {
  return (
    db
      .prepare(
        `UPDATE tracks SET fingerprint = @fingerprint,
          size = CASE WHEN size = @beforeSize AND mtime_ms = @beforeMtime THEN @size ELSE size END,
          mtime_ms = CASE WHEN size = @beforeSize AND mtime_ms = @beforeMtime THEN @mtimeMs ELSE mtime_ms END,
          updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = @id`,
      )
      .run({
        id: trackId,
        fingerprint: now.fingerprint,
        size: now.size,
        mtimeMs: Math.trunc(now.mtimeMs),
        beforeSize: before.size,
        beforeMtime: Math.trunc(before.mtimeMs),
      }).changes > 0
  );
}
