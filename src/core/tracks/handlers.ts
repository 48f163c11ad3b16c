import type { Db } from '../kernel/database.js';
import { UserError } from '../kernel/errors.js';
import { bool, handler, id, int, oneOf, opt, optionalParams, params, text } from '../kernel/schema.js';
import { activePackKey } from '../model/pack-store.js';
import { getTrack, listTracks, trackAnalysis, TRACK_SORT_KEYS, type Track, type TrackAnalysis, type TrackPage } from './queries.js';

/** What the tracks handlers need: reading tracks is plain database work. */
export interface TracksHandlerDeps {
  db: Db;
}

const STATUSES = ['ok', 'failed', 'missing'] as const;

/** The filters, search, sort and page of `tracks-list`; every field may be left out. */
const listSchema = optionalParams({
  status: opt(oneOf(STATUSES)),
  search: opt(text()),
  folderId: opt(id()),
  sort: opt(oneOf(TRACK_SORT_KEYS)),
  descending: opt(bool()),
  limit: opt(int(0, 1_000_000)),
  offset: opt(int(0, Number.MAX_SAFE_INTEGER)),
});

/** One track by its id. */
const trackSchema = params({ id: id() });

function existingTrack(db: Db, trackId: number): Track {
  const track = getTrack(db, trackId);
  if (!track) throw new UserError(`No track with id ${trackId}`, 'E_NOT_FOUND');
  return track;
}

/** Handlers for reading tracks. Their definitions (schemas and results) are the API contract. */
export function createTracksHandlers(deps: TracksHandlerDeps) {
  const { db } = deps;
  return {
    /** A filtered, searched, sorted page of tracks. */
    'tracks-list': handler(listSchema, (query): TrackPage => listTracks(db, query)),
    /** One track by id. */
    'tracks-get': handler(trackSchema, ({ id: trackId }): Track => existingTrack(db, trackId)),
    /** Whether a track is analysed under the active pack, queued, or failed (with the reason). */
    'tracks-analysis': handler(trackSchema, ({ id: trackId }): TrackAnalysis => {
      existingTrack(db, trackId);
      return trackAnalysis(db, trackId, activePackKey(db) ?? null);
    }),
  };
}

/** The tracks part of the API contract, derived from the implementation. */
export type TracksHandlerDefs = ReturnType<typeof createTracksHandlers>;
