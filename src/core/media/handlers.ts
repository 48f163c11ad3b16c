import { handler, id, params } from '../kernel/schema.js';
import type { Db } from '../kernel/database.js';
import type { PeaksReply, PeaksService } from './peaks.js';

/** What the media handlers need: the peaks service and the database (pictures are served by the hosts' protocols). */
export interface MediaHandlerDeps {
  db: Db;
  peaks: PeaksService;
}

/** Handlers for what the player and the inspector draw. */
export function createMediaHandlers(deps: MediaHandlerDeps) {
  const { db, peaks } = deps;
  const withArtwork = db.prepare(
    "SELECT ta.track_id AS id FROM track_artwork ta JOIN tracks t ON t.id = ta.track_id WHERE ta.hash IS NOT NULL AND t.status = 'ok' ORDER BY ta.track_id",
  );
  return {
    /**
     * The ids of the tracks that have a cover picture: the library table asks for pictures of these only,
     * so scrolling a large library without covers makes no requests at all.
     */
    'artwork-tracks': handler((): number[] => (withArtwork.all() as { id: number }[]).map((r) => r.id)),
    /**
     * A track's waveform peaks, stored once computed. When they are not yet, the answer is `computing`
     * and the `peaks-ready` event follows (a decode can take seconds: it never holds a request open).
     */
    'tracks-peaks': handler(params({ id: id() }), ({ id: trackId }): PeaksReply => peaks.get(trackId)),
  };
}

/** The media part of the API contract, derived from the implementation. */
export type MediaHandlerDefs = ReturnType<typeof createMediaHandlers>;
