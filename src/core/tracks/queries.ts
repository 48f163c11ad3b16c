import type { Db } from '../kernel/database.js';
import type { TrackStatus } from '../library/store.js';

/** A track as the UI and the CLI see it. */
export interface Track {
  id: number;
  folderId: number;
  path: string;
  size: number;
  mtimeMs: number;
  fingerprint: string | null;
  duration: number | null;
  sampleRate: number | null;
  channels: number | null;
  bitsPerSample: number | null;
  bitrate: number | null;
  container: string | null;
  codec: string | null;
  lossless: boolean | null;
  title: string | null;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  trackNo: number | null;
  discNo: number | null;
  year: number | null;
  genre: string | null;
  status: TrackStatus;
  error: string | null;
  addedAt: string;
  updatedAt: string;
}

/** Columns a track list can be sorted by. */
export const TRACK_SORT_KEYS = ['title', 'artist', 'album', 'year', 'duration', 'genre', 'path', 'addedAt', 'status'] as const;
/** One of {@link TRACK_SORT_KEYS}. */
export type TrackSortKey = (typeof TRACK_SORT_KEYS)[number];

/** A page of tracks: filters, full-text search, sort and paging. */
export interface TrackQuery {
  status?: TrackStatus;
  search?: string;
  folderId?: number;
  sort?: TrackSortKey;
  descending?: boolean;
  limit?: number;
  offset?: number;
}

/** One page of results and the total that matched. */
export interface TrackPage {
  total: number;
  tracks: Track[];
}

const SELECT = `SELECT t.id, t.folder_id AS folderId, t.path, t.size, t.mtime_ms AS mtimeMs, t.fingerprint,
  t.duration, t.sample_rate AS sampleRate, t.channels, t.bits_per_sample AS bitsPerSample, t.bitrate,
  t.container, t.codec, t.lossless, t.title, t.artist, t.album, t.album_artist AS albumArtist,
  t.track_no AS trackNo, t.disc_no AS discNo, t.year, t.genre, t.status, t.error,
  t.added_at AS addedAt, t.updated_at AS updatedAt FROM tracks t`;

const SORT_SQL: Record<TrackSortKey, string[]> = {
  title: ['COALESCE(t.title, t.path) COLLATE NOCASE'],
  artist: ['t.artist COLLATE NOCASE'],
  album: ['t.album COLLATE NOCASE', 't.disc_no', 't.track_no'],
  year: ['t.year'],
  duration: ['t.duration'],
  genre: ['t.genre COLLATE NOCASE'],
  path: ['t.path'],
  addedAt: ['t.added_at'],
  status: ['t.status'],
};

/**
 * Turns what a person types into a safe FTS5 query: each word is quoted (so operators and quotes in
 * titles cannot break the syntax) and prefix-matched, and all words must match.
 */
export function toFtsQuery(text: string): string | null {
  const words = text
    .split(/\s+/)
    .map((w) => w.replace(/"/g, ''))
    .filter((w) => w.length > 0);
  return words.length === 0 ? null : words.map((w) => `"${w}"*`).join(' ');
}

type Row = Omit<Track, 'lossless'> & { lossless: number | null };

function toTrack(row: Row): Track {
  return { ...row, lossless: row.lossless === null ? null : row.lossless === 1 };
}

/** Lists tracks for the library table and `moodshelf tracks`. */
export function listTracks(db: Db, q: TrackQuery = {}): TrackPage {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.status) {
    where.push('t.status = ?');
    args.push(q.status);
  }
  if (q.folderId !== undefined) {
    where.push('t.folder_id = ?');
    args.push(q.folderId);
  }
  const fts = q.search ? toFtsQuery(q.search) : null;
  if (fts) {
    where.push('t.id IN (SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?)');
    args.push(fts);
  }
  const clause = where.length ? ` WHERE ${where.join(' AND ')}` : '';
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM tracks t${clause}`).get(...args) as { n: number }).n;
  const dir = q.descending ? 'DESC' : 'ASC';
  const order = ` ORDER BY ${SORT_SQL[q.sort ?? 'path'].map((c) => `${c} ${dir}`).join(', ')}, t.id`;
  const limit = q.limit === undefined ? -1 : Math.max(0, Math.trunc(q.limit));
  const offset = Math.max(0, Math.trunc(q.offset ?? 0));
  const rows = db.prepare(`${SELECT}${clause}${order} LIMIT ? OFFSET ?`).all(...args, limit, offset) as Row[];
  return { total, tracks: rows.map(toTrack) };
}

/** One track by id, or undefined. */
export function getTrack(db: Db, id: number): Track | undefined {
  const row = db.prepare(`${SELECT} WHERE t.id = ?`).get(id) as Row | undefined;
  return row ? toTrack(row) : undefined;
}

/** Counts by status, for `moodshelf status` and the app's header. */
export function countTracks(db: Db): Record<TrackStatus, number> & { total: number } {
  const counts = { ok: 0, failed: 0, missing: 0, total: 0 };
  for (const r of db.prepare('SELECT status, COUNT(*) AS n FROM tracks GROUP BY status').all() as { status: TrackStatus; n: number }[]) {
    counts[r.status] = r.n;
    counts.total += r.n;
  }
  return counts;
}

/** Tracks by id in the order given (ids that are not tracks are skipped): one query for a whole playlist. */
export function getTracks(db: Db, ids: readonly number[]): Track[] {
  const rows = db.prepare(`${SELECT} WHERE t.id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as Row[];
  const byId = new Map(rows.map((r) => [r.id, toTrack(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Where a track stands with the analysis under one pack. */
export type TrackAnalysisState = 'analysed' | 'queued' | 'failed' | 'not-analysed';

/**
 * A track's analysis under the active pack, so `moodshelf scores` and the inspector can say why a track
 * has no scores (never analysed, waiting in the queue, or failed with a reason) instead of one message
 * for all. `packKey` is null when no pack is active.
 */
export interface TrackAnalysis {
  trackId: number;
  packKey: string | null;
  state: TrackAnalysisState;
  /** Segments analysed (state analysed), else null. */
  segments: number | null;
  /** Why the analysis failed (state failed), else null. */
  error: string | null;
}

/** Reads {@link TrackAnalysis} for one track under `packKey` (null: no pack, so nothing is analysed). */
export function trackAnalysis(db: Db, trackId: number, packKey: string | null): TrackAnalysis {
  const base = { trackId, packKey, segments: null, error: null };
  if (packKey === null) return { ...base, state: 'not-analysed' };
  const done = db.prepare('SELECT segment_count AS n FROM track_embeddings WHERE track_id = ? AND pack_key = ?').get(trackId, packKey) as
    { n: number } | undefined;
  if (done) return { ...base, state: 'analysed', segments: done.n };
  const failed = db.prepare('SELECT error FROM analysis_failures WHERE track_id = ? AND pack_key = ?').get(trackId, packKey) as
    { error: string } | undefined;
  if (failed) return { ...base, state: 'failed', error: failed.error };
  const queued = db.prepare('SELECT 1 FROM analysis_queue WHERE track_id = ? AND pack_key = ?').get(trackId, packKey);
  return { ...base, state: queued ? 'queued' : 'not-analysed' };
}
