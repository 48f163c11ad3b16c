/**
 * media: serves indexed audio to a player, host-independently. A host (the Electron `moodshelf-media`
 * protocol, the e2e test server) passes the track id from the URL and the request's Range header and
 * gets back a status, headers and (for 200/206) the byte range to stream. Only tracks the library has
 * indexed with status `ok` are served, by id: a URL can never name an arbitrary path.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Db } from '../kernel/database.js';

/** The custom URL scheme the desktop app plays tracks through: `moodshelf-media://track/<id>`. */
export const MEDIA_SCHEME = 'moodshelf-media';

/** Content types by (lower-case) extension; anything else is served as octet-stream. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg; codecs=opus',
  '.m4a': 'audio/mp4',
  '.wav': 'audio/wav',
  '.wave': 'audio/wav',
  '.aif': 'audio/aiff',
  '.aiff': 'audio/aiff',
  '.aifc': 'audio/aiff',
};

/** The Content-Type for a file path, by its extension. */
export function mediaContentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Parses a track id from a URL path segment ("42"); anything but a positive safe integer is null. */
export function parseTrackId(text: string): number | null {
  if (!/^[1-9]\d{0,15}$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * The track id a URL of the form `<kind>/<id>` names, for any of `kinds`: `moodshelf-media://track/42` (the
 * desktop protocol, whose host is the kind) and `/media/42?v=3` (the test server's path) alike; else null.
 */
export function trackIdFromUrl(url: string, kinds: readonly string[]): number | null {
  let u: URL;
  try {
    u = new URL(url, 'http://localhost');
  } catch {
    return null;
  }
  const special = u.protocol === 'http:' || u.protocol === 'https:';
  const parts = `${special ? '' : u.host}${u.pathname}`.split('/').filter((p) => p !== '');
  if (parts.length !== 2 || !kinds.includes(parts[0] as string)) return null;
  return parseTrackId(parts[1] as string);
}

/** The track id a media URL names (`moodshelf-media://track/42`, `/media/42`), or null. */
export function trackIdFromMediaUrl(url: string): number | null {
  return trackIdFromUrl(url, ['track', 'media']);
}

/** The file behind an indexed, playable track. */
export interface MediaTrack {
  id: number;
  path: string;
  contentType: string;
}

/** Looks up a track by id: only a track the library indexed with status `ok` resolves. */
export function resolveMediaTrack(db: Db, id: number): MediaTrack | null {
  const row = db.prepare("SELECT id, path FROM tracks WHERE id = ? AND status = 'ok'").get(id) as { id: number; path: string } | undefined;
  return row ? { id: row.id, path: row.path, contentType: mediaContentType(row.path) } : null;
}

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a file size. `null` means "no usable range: send the whole file"
 * (no header, another unit, or several ranges, which RFC 9110 lets a server ignore); `'unsatisfiable'`
 * means answer 416.
 */
export function parseRange(header: string | null | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === null || header === undefined || header.trim() === '') return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) {
    if (/^\s*bytes\s*=/i.test(header) && !header.includes(',')) return 'unsatisfiable';
    return null;
  }
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'unsatisfiable';
  if (a === '') {
    // Suffix range: the last N bytes.
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return 'unsatisfiable';
  return { start, end };
}

/** What to answer a media request with; `body` is the byte range of `path` to send (null: no body). */
export interface MediaResponse {
  status: 200 | 206 | 400 | 404 | 405 | 416;
  headers: Record<string, string>;
  body: { path: string; start: number; end: number } | null;
}

function plain(status: MediaResponse['status'], text: string, extra: Record<string, string> = {}): MediaResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Reason': text, ...extra }, body: null };
}

/**
 * Answers a request for a track: 404 for an unknown, failed or vanished track, 416 (with
 * `Content-Range: bytes * /size`) for a bad range, 206 with Content-Range for a range, else 200.
 * HEAD gets the same headers and no body.
 */
export async function respondMedia(
  db: Db,
  request: { trackId: number | null; method?: string; range?: string | null },
): Promise<MediaResponse> {
  const method = (request.method ?? 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') return plain(405, 'Only GET and HEAD', { Allow: 'GET, HEAD' });
  if (request.trackId === null) return plain(400, 'Not a track URL');
  const track = resolveMediaTrack(db, request.trackId);
  if (!track) return plain(404, 'No playable track with this id');
  let size: number;
  try {
    const s = await stat(track.path);
    if (!s.isFile()) return plain(404, 'The file is no longer on disk');
    size = s.size;
  } catch {
    return plain(404, 'The file is no longer on disk');
  }
  const base = { 'Content-Type': track.contentType, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
  const range = parseRange(request.range, size);
  if (range === 'unsatisfiable') return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: null };
  const head = method === 'HEAD';
  if (range === null) {
    return {
      status: 200,
      headers: { ...base, 'Content-Length': String(size) },
      body: head || size === 0 ? null : { path: track.path, start: 0, end: size - 1 },
    };
  }
  return {
    status: 206,
    headers: {
      ...base,
      'Content-Length': String(range.end - range.start + 1),
      'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
    },
    body: head ? null : { path: track.path, start: range.start, end: range.end },
  };
}

/** Opens the body of a {@link MediaResponse} as a Node stream (the host adapts it to its response type). */
export function openMediaBody(body: NonNullable<MediaResponse['body']>): ReadStream {
  return createReadStream(body.path, { start: body.start, end: body.end });
}
