/**
 * artwork-serve: hosts answer `moodshelf-media://artwork/<id>` (the app) and `/artwork/<id>` (the e2e
 * server) with a track's cover picture from the data folder's artwork cache (see artwork.ts, which fills
 * it). Kept apart from the extraction so the desktop shell's main process loads no tag parser: only the
 * database lookup and a file read. Only a picture recorded for an indexed track is served, by track id.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../kernel/database.js';
import { trackIdFromUrl } from './media.js';

/** The artwork cache folder inside a data folder. */
export function artworkDir(dataDir: string): string {
  return join(dataDir, 'artwork');
}

/** The cache file of a picture: named by its content hash, so the same picture is stored once. */
export function artworkFile(dataDir: string, hash: string, mime: string): string {
  return join(artworkDir(dataDir), `${hash}${mime === 'image/png' ? '.png' : '.jpg'}`);
}

/** The track id an artwork URL names (`moodshelf-media://artwork/42`, `/artwork/42?v=3`), or null. */
export function trackIdFromArtworkUrl(url: string): number | null {
  return trackIdFromUrl(url, ['artwork']);
}

/** What to answer an artwork request with: the picture's bytes, or a status without a body. */
export interface ArtworkResponse {
  status: 200 | 400 | 404;
  headers: Record<string, string>;
  body: Buffer | null;
}

/**
 * Answers a request for a track's picture: 404 (no body) when the track has none, so the page shows its
 * placeholder. Only a picture the artwork pass recorded for an indexed track is served.
 */
export async function respondArtwork(db: Db, dataDir: string, trackId: number | null): Promise<ArtworkResponse> {
  const none = (status: 400 | 404): ArtworkResponse => ({ status, headers: { 'Cache-Control': 'no-store' }, body: null });
  if (trackId === null) return none(400);
  const row = db
    .prepare(
      `SELECT a.hash, a.mime FROM track_artwork ta JOIN artwork a ON a.hash = ta.hash
       JOIN tracks t ON t.id = ta.track_id WHERE ta.track_id = ? AND t.status = 'ok'`,
    )
    .get(trackId) as { hash: string; mime: string } | undefined;
  if (!row) return none(404);
  // The cache file is named by its content hash: anything else in the row is never turned into a path.
  if (!/^[0-9a-f]{64}$/.test(row.hash)) return none(404);
  const file = artworkFile(dataDir, row.hash, row.mime);
  try {
    const body = await readFile(file);
    return {
      status: 200,
      headers: {
        'Content-Type': row.mime,
        'Content-Length': String(body.length),
        'Cache-Control': 'private, max-age=300',
        ETag: `"${row.hash}"`,
      },
      body,
    };
  } catch {
    return none(404);
  }
}
