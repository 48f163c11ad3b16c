// The `moodshelf-media` protocol: the renderer's player loads `moodshelf-media://track/<id>` and gets
// the indexed file for that track, with Range support for seeking. The main process answers from a
// read-only connection to the library database (the core itself runs in a utility process), using
// the core's host-independent media module, so only indexed, readable tracks are ever served.
// `moodshelf-media://artwork/<id>` answers the track's cover picture from the data folder's artwork cache.
import { protocol, type CustomScheme } from 'electron';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { MEDIA_SCHEME, openMediaBody, respondMedia, trackIdFromMediaUrl } from '../core/media/media.js';
import { respondArtwork, trackIdFromArtworkUrl } from '../core/media/artwork-serve.js';
import type { Logger } from '../core/kernel/logger.js';

/** The library file in a data folder (as core/index.ts databasePath; not imported, to keep the core out of the main bundle). */
const DATABASE_FILE = 'moodshelf.db';

/**
 * The scheme's privileges (standard, secure, fetch and streaming, CORS). The main
 * process registers it with the app's own scheme in one `protocol.registerSchemesAsPrivileged` call
 * before the app is ready (Electron allows only one such call).
 */
export const mediaScheme: CustomScheme = {
  scheme: MEDIA_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, corsEnabled: true },
};

/** Serves the scheme from the library in `dataDir`; returns a function that closes the database. */
export function handleMediaProtocol(dataDir: string, nativeBinding: string, log: Logger): () => void {
  let db: Database.Database | null = null;
  const open = (): Database.Database => {
    // Opened lazily: the core process creates and migrates the database first.
    db ??= new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true, nativeBinding });
    return db;
  };
  protocol.handle(MEDIA_SCHEME, async (request) => {
    try {
      // moodshelf-media://artwork/<id>: the track's cover picture from the data folder's artwork cache.
      if (new URL(request.url).host === 'artwork') {
        const a = await respondArtwork(open(), dataDir, trackIdFromArtworkUrl(request.url));
        return new Response(a.body ? new Uint8Array(a.body) : null, { status: a.status, headers: a.headers });
      }
      const r = await respondMedia(open(), {
        trackId: trackIdFromMediaUrl(request.url),
        method: request.method,
        range: request.headers.get('range'),
      });
      const headers = { ...r.headers, 'Access-Control-Allow-Origin': '*' };
      const body = r.body ? (Readable.toWeb(openMediaBody(r.body)) as ReadableStream<Uint8Array>) : null;
      return new Response(body, { status: r.status, headers });
    } catch (err) {
      log.error('media request failed', { url: request.url, err: err instanceof Error ? err.message : String(err) });
      return new Response(null, { status: 500 });
    }
  });
  return () => {
    db?.close();
    db = null;
  };
}
