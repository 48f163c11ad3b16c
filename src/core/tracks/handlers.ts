import type { CoreContext } from '../api/context.js';
import { asObject, optionalBool, optionalEnum, optionalInt, optionalString, requireInt } from '../kernel/validate-legacy.js';
import { activePackKey } from '../model/pack-store.js';
import { UserError } from '../kernel/errors.js';
import { getTrack, listTracks, trackAnalysis, TRACK_SORT_KEYS, type Track, type TrackAnalysis, type TrackPage } from './queries.js';

const STATUSES = ['ok', 'failed', 'missing'] as const;

/** Handlers for reading tracks. Their signatures are the API contract. */
export function createTracksHandlers(ctx: CoreContext) {
  return {
    /** A filtered, searched, sorted page of tracks. */
    'tracks-list': (params?: {
      status?: (typeof STATUSES)[number];
      search?: string;
      folderId?: number;
      sort?: (typeof TRACK_SORT_KEYS)[number];
      descending?: boolean;
      limit?: number;
      offset?: number;
    }): TrackPage => {
      const o = asObject(params, 'tracks-list');
      return listTracks(ctx.db, {
        status: optionalEnum(o, 'status', 'tracks-list', STATUSES),
        search: optionalString(o, 'search', 'tracks-list'),
        folderId: optionalInt(o, 'folderId', 'tracks-list', 1, Number.MAX_SAFE_INTEGER),
        sort: optionalEnum(o, 'sort', 'tracks-list', TRACK_SORT_KEYS),
        descending: optionalBool(o, 'descending', 'tracks-list'),
        limit: optionalInt(o, 'limit', 'tracks-list', 0, 1_000_000),
        offset: optionalInt(o, 'offset', 'tracks-list', 0, Number.MAX_SAFE_INTEGER),
      });
    },
    /** One track by id. */
    'tracks-get': (params: { id: number }): Track => {
      const id = requireInt(asObject(params, 'tracks-get'), 'id', 'tracks-get', 1, Number.MAX_SAFE_INTEGER);
      const track = getTrack(ctx.db, id);
      if (!track) throw new UserError(`No track with id ${id}`, 'E_NOT_FOUND');
      return track;
    },
    /** Whether a track is analysed under the active pack, queued, or failed (with the reason). */
    'tracks-analysis': (params: { id: number }): TrackAnalysis => {
      const id = requireInt(asObject(params, 'tracks-analysis'), 'id', 'tracks-analysis', 1, Number.MAX_SAFE_INTEGER);
      if (!getTrack(ctx.db, id)) throw new UserError(`No track with id ${id}`, 'E_NOT_FOUND');
      return trackAnalysis(ctx.db, id, activePackKey(ctx.db) ?? null);
    },
  };
}

/** The tracks part of the API contract, derived from the implementation. */
export type TracksHandlers = ReturnType<typeof createTracksHandlers>;
