import { isAbsolute } from 'node:path';
import type { CoreContext } from '../api/context.js';
import { asObject, optionalEnum, optionalInt, optionalString, requireInt, requireString } from '../kernel/validate-legacy.js';
import { UserError } from '../kernel/errors.js';
import {
  parseDefinition,
  parseJourney,
  parseSimilar,
  type JourneyDefinition,
  type PlaylistDefinition,
  type SimilarDefinition,
} from './definition.js';
import { createPlaylistEngine, type PlaylistEngine, type PlaylistResult } from './engine.js';
import { PATH_MODES, PLAYLIST_FORMATS, toM3u8, toXspf, writeFileAtomic, type PathMode, type PlaylistFormat } from './export.js';
import { parseRule, type PlaylistRule } from './rule.js';
import {
  cleanPlaylistName,
  deletePlaylist,
  getPlaylist,
  listPlaylists,
  renamePlaylist,
  savePlaylist,
  type SavedPlaylist,
} from './store.js';

/** Where an export takes its tracks from: a saved playlist, any definition, or a rule being edited. */
export type PlaylistSource = { id: number } | { definition: PlaylistDefinition } | { rule: PlaylistRule };

/** What playlists-export wrote. */
export interface PlaylistExport {
  path: string;
  format: PlaylistFormat;
  tracks: number;
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

function source(o: Record<string, unknown>, where: string): { id?: number; definition?: PlaylistDefinition } {
  const given = ['id', 'definition', 'rule'].filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw new UserError(`${where}: give exactly one of "id", "definition" or "rule"`, 'E_INVALID');
  if (o.id !== undefined) return { id: requireInt(o, 'id', where, 1, MAX_ID) };
  if (o.rule !== undefined) return { definition: { kind: 'rule', rule: parseRule(o.rule, where) } };
  return { definition: parseDefinition(o.definition, where) };
}

function exportText(format: PlaylistFormat, name: string, result: PlaylistResult, file: string, mode: PathMode): string {
  const entries = result.tracks.map(({ track: t }) => ({
    path: t.path,
    duration: t.duration,
    artist: t.artist,
    title: t.title,
    album: t.album,
  }));
  return format === 'm3u8' ? toM3u8(name, entries, file, mode) : toXspf(name, entries, file, mode);
}

/** Handlers for mood playlists: rules, "more like this", mood journeys, saved playlists and exports. */
export function createPlaylistHandlers(ctx: CoreContext) {
  let engine: PlaylistEngine | null = null;
  // Created on first use: the factory runs before the context is complete in some hosts and tests.
  const run = (d: PlaylistDefinition): Promise<PlaylistResult> => (engine ??= createPlaylistEngine(ctx)).run(d);
  const changed = (id: number, change: 'saved' | 'renamed' | 'deleted'): void => ctx.events.emit('playlists-changed', { id, change });

  return {
    /** Live preview of a rule while it is edited: the matching tracks with their scores. */
    'playlists-preview': async (params: { rule: PlaylistRule }): Promise<PlaylistResult> =>
      run({ kind: 'rule', rule: parseRule(asObject(params, 'playlists-preview').rule, 'playlists-preview') }),
    /** "More like this": the tracks nearest to one or more seed tracks (seeds excluded). */
    'playlists-similar': async (params: Omit<SimilarDefinition, 'kind'>): Promise<PlaylistResult> =>
      run(parseSimilar(asObject(params, 'playlists-similar'), 'playlists-similar')),
    /** A mood journey from one label to another over `steps` tracks, with each step's score. */
    'playlists-journey': async (params: Omit<JourneyDefinition, 'kind'>): Promise<PlaylistResult> =>
      run(parseJourney(asObject(params, 'playlists-journey'), 'playlists-journey')),
    /** Saves a playlist (new, or replacing `id`; a deleted id is restored). */
    'playlists-save': (params: { id?: number; name: string; definition: PlaylistDefinition; createdAt?: string }): SavedPlaylist => {
      const o = asObject(params, 'playlists-save');
      const saved = savePlaylist(
        ctx.db,
        cleanPlaylistName(requireString(o, 'name', 'playlists-save')),
        parseDefinition(o.definition, 'playlists-save'),
        optionalInt(o, 'id', 'playlists-save', 1, MAX_ID),
        optionalString(o, 'createdAt', 'playlists-save'),
      );
      changed(saved.id, 'saved');
      return saved;
    },
    /** Every saved playlist (definitions only; playlists-get evaluates one). */
    'playlists-list': (): SavedPlaylist[] => listPlaylists(ctx.db),
    /** A saved playlist evaluated against the library as it is now. */
    'playlists-get': async (params: { id: number }): Promise<SavedPlaylist & { result: PlaylistResult }> => {
      const saved = getPlaylist(ctx.db, requireInt(asObject(params, 'playlists-get'), 'id', 'playlists-get', 1, MAX_ID));
      return { ...saved, result: await run(parseDefinition(saved.definition, `playlist ${saved.id}`)) };
    },
    /** Renames a saved playlist. */
    'playlists-rename': (params: { id: number; name: string }): SavedPlaylist => {
      const o = asObject(params, 'playlists-rename');
      const saved = renamePlaylist(
        ctx.db,
        requireInt(o, 'id', 'playlists-rename', 1, MAX_ID),
        cleanPlaylistName(requireString(o, 'name', 'playlists-rename')),
      );
      changed(saved.id, 'renamed');
      return saved;
    },
    /** Deletes a saved playlist and returns it: pass it back to playlists-save to undo. */
    'playlists-delete': (params: { id: number }): SavedPlaylist => {
      const saved = deletePlaylist(ctx.db, requireInt(asObject(params, 'playlists-delete'), 'id', 'playlists-delete', 1, MAX_ID));
      changed(saved.id, 'deleted');
      return saved;
    },
    /**
     * Writes a playlist file other players read: UTF-8 M3U8 (#EXTINF) or XSPF, with absolute paths or
     * paths relative to the playlist file's folder. Written to a temporary file, then renamed.
     */
    'playlists-export': async (
      params: PlaylistSource & { format: PlaylistFormat; path: string; paths?: PathMode; name?: string },
    ): Promise<PlaylistExport> => {
      const where = 'playlists-export';
      const o = asObject(params, where);
      const file = requireString(o, 'path', where);
      if (!isAbsolute(file)) throw new UserError(`${where}: "path" must be an absolute file path (got ${file})`, 'E_INVALID');
      const format = optionalEnum(o, 'format', where, PLAYLIST_FORMATS);
      if (!format) throw new UserError(`${where}: "format" must be one of ${PLAYLIST_FORMATS.join(', ')}`, 'E_INVALID');
      const mode = optionalEnum(o, 'paths', where, PATH_MODES) ?? 'absolute';
      const src = source(o, where);
      const saved = src.id !== undefined ? getPlaylist(ctx.db, src.id) : undefined;
      const definition = saved ? parseDefinition(saved.definition, `playlist ${saved.id}`) : (src.definition as PlaylistDefinition);
      const result = await run(definition);
      const name = optionalString(o, 'name', where) ?? saved?.name ?? 'Moodshelf playlist';
      writeFileAtomic(file, exportText(format, name, result, file, mode));
      return { path: file, format, tracks: result.tracks.length };
    },
  };
}

/** The playlists part of the API contract, derived from the implementation. */
export type PlaylistHandlers = ReturnType<typeof createPlaylistHandlers>;
