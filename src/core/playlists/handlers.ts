import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { ScoringDeps } from '../analysis/scoring-deps.js';
import type { Emitter } from '../kernel/events.js';
import type { JobContext, JobTicket, Jobs } from '../kernel/jobs.js';
import { bool, handler, id, ids, oneOf, opt, params, text, v } from '../kernel/schema.js';
import type { WriteGrants, WriteTarget } from '../kernel/write-grants.js';
import {
  MAX_JOURNEY_STEPS,
  definitionSchema,
  journeyFields,
  parseDefinition,
  similarFields,
  type PlaylistDefinition,
} from './definition.js';
import { createPlaylistEngine, type PlaylistResult } from './engine.js';
import type { PlaylistEvents } from './events.js';
import {
  PATH_MODES,
  PLAYLIST_FORMATS,
  checkTarget,
  toM3u8,
  toXspf,
  writeFileAtomic,
  type PathMode,
  type PlaylistFormat,
} from './export.js';
import { ruleSchema } from './rule.js';
import { trackMap, type TrackMap } from './track-map.js';
import {
  cleanPlaylistName,
  deletePlaylist,
  getPlaylist,
  listPlaylists,
  renamePlaylist,
  savePlaylist,
  type SavedPlaylist,
} from './store.js';

/** What the playlist handlers need: scoring (database, active pack and model, index), jobs, write grants, events. */
export interface PlaylistHandlerDeps {
  scoring: ScoringDeps;
  jobs: Jobs;
  grants: WriteGrants;
  events: Emitter<PlaylistEvents>;
}

/** What a playlists-export job wrote. */
export interface PlaylistExport {
  path: string;
  format: PlaylistFormat;
  tracks: number;
}

/**
 * playlists-export's parameters: the tracks from exactly one of a saved playlist (`id`), any
 * `definition` or a `rule` being edited; where to write (`target`: a grant token from the page, a path
 * from a trusted caller); `overwrite` (trusted callers only: a page's grant says whether it may replace).
 */
const exportParams = v.pipe(
  params({
    id: opt(id()),
    definition: opt(definitionSchema),
    rule: opt(ruleSchema),
    format: oneOf(PLAYLIST_FORMATS),
    target: text(),
    overwrite: opt(bool()),
    paths: opt(oneOf(PATH_MODES)),
    name: opt(text()),
  }),
  v.check(
    (p) => [p.id, p.definition, p.rule].filter((x) => x !== undefined).length === 1,
    'give exactly one of "id", "definition" or "rule"',
  ),
);

type ExportParams = v.InferOutput<typeof exportParams>;

/** An export resolved before its job starts: every refusal (target, existing file, unknown id) comes at once. */
interface ExportPlan {
  target: WriteTarget;
  definition: PlaylistDefinition;
  name: string;
  format: PlaylistFormat;
  mode: PathMode;
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

/** Same file and same content asked for: the same work, so a second start joins the running job. */
function exportKey(plan: ExportPlan): string {
  const { target, definition, name, format, mode } = plan;
  const digest = createHash('sha256')
    .update(JSON.stringify({ definition, name, format, mode, overwrite: target.overwrite }))
    .digest('hex')
    .slice(0, 16);
  return `${target.path}|${digest}`;
}

/** Handlers for mood playlists: rules, "more like this", mood journeys, saved playlists and exports. */
export function createPlaylistHandlers(deps: PlaylistHandlerDeps) {
  const { scoring, jobs, grants, events } = deps;
  const { db } = scoring;
  const engine = createPlaylistEngine(scoring);
  const changed = (id: number, change: 'saved' | 'renamed' | 'deleted'): void => events.emit('playlists-changed', { id, change });
  /** A saved playlist's definition, checked again: the database may hold one from an older version. */
  const savedDefinition = (saved: SavedPlaylist): PlaylistDefinition => parseDefinition(saved.definition, `playlist ${saved.id}`);

  const planExport = (p: ExportParams): ExportPlan => {
    const target = grants.target('playlists-export', p.target, 'file', p.overwrite ?? false);
    checkTarget(target.path, target.overwrite);
    const saved = p.id !== undefined ? getPlaylist(db, p.id) : undefined;
    const definition = saved
      ? savedDefinition(saved)
      : p.rule
        ? { kind: 'rule' as const, rule: p.rule }
        : (p.definition as PlaylistDefinition);
    const name = p.name ?? saved?.name ?? 'Moodshelf playlist';
    return { target, definition, name, format: p.format, mode: p.paths ?? 'absolute' };
  };

  const runExport = async (plan: ExportPlan, job: JobContext): Promise<PlaylistExport> => {
    const { target, format, name, mode } = plan;
    job.progress({ done: 0, total: 1, message: `Choosing the tracks of "${name}"` });
    const result = await engine.run(plan.definition);
    job.signal.throwIfAborted();
    job.progress({ message: `Writing ${target.path}` });
    writeFileAtomic(target.path, exportText(format, name, result, target.path, mode), target.overwrite);
    job.progress({ done: 1 });
    return { path: target.path, format, tracks: result.tracks.length };
  };

  return {
    /** Live preview of a rule while it is edited: the matching tracks with their scores. */
    'playlists-preview': handler(params({ rule: ruleSchema }), ({ rule }) => engine.run({ kind: 'rule', rule })),
    /** "More like this": the tracks nearest to one or more seed tracks (seeds excluded). */
    'playlists-similar': handler(params(similarFields), (d) => engine.run({ kind: 'similar', ...d })),
    /** A mood journey from one label to another over `steps` tracks, with each step's score. */
    'playlists-journey': handler(params(journeyFields), (d) => engine.run({ kind: 'journey', ...d })),
    /**
     * A 2-D map of tracks by mood embedding (PCA): `trackIds` (a journey's steps, in order) and a sample of
     * the library around them, for drawing a journey as a path. Unanalysed tracks are left out.
     */
    'playlists-map': handler(params({ trackIds: ids(MAX_JOURNEY_STEPS) }), ({ trackIds }): TrackMap => {
      const { pack } = scoring.models.active();
      return trackMap(scoring.index.get(pack.key), trackIds);
    }),
    /**
     * Saves a playlist (new, or replacing `id`; a deleted id is restored with its `createdAt`). What
     * playlists-delete returned may be passed back as it is, so `updatedAt` is accepted and ignored.
     */
    'playlists-save': handler(
      params({ id: opt(id()), name: text(), definition: definitionSchema, createdAt: opt(text(100)), updatedAt: opt(text(100)) }),
      (p): SavedPlaylist => {
        const saved = savePlaylist(db, cleanPlaylistName(p.name), p.definition, p.id, p.createdAt);
        changed(saved.id, 'saved');
        return saved;
      },
    ),
    /** Every saved playlist (definitions only; playlists-get evaluates one). */
    'playlists-list': handler((): SavedPlaylist[] => listPlaylists(db)),
    /** A saved playlist evaluated against the library as it is now. */
    'playlists-get': handler(params({ id: id() }), async ({ id }): Promise<SavedPlaylist & { result: PlaylistResult }> => {
      const saved = getPlaylist(db, id);
      return { ...saved, result: await engine.run(savedDefinition(saved)) };
    }),
    /** Renames a saved playlist. */
    'playlists-rename': handler(params({ id: id(), name: text() }), ({ id, name }): SavedPlaylist => {
      const saved = renamePlaylist(db, id, cleanPlaylistName(name));
      changed(saved.id, 'renamed');
      return saved;
    }),
    /** Deletes a saved playlist and returns it: pass it back to playlists-save to undo. */
    'playlists-delete': handler(params({ id: id() }), ({ id }): SavedPlaylist => {
      const saved = deletePlaylist(db, id);
      changed(saved.id, 'deleted');
      return saved;
    }),
    /**
     * Writes a playlist file other players read, as a job: UTF-8 M3U8 (#EXTINF) or XSPF, with absolute
     * paths or paths relative to the playlist file's folder. It writes only where the user chose (a
     * grant from the shell's Save dialog; a path from the CLI), never replaces an existing file unless
     * that was agreed (E_EXISTS), and writes a temporary file that is then renamed into place.
     */
    'playlists-export': handler(exportParams, (p): JobTicket<PlaylistExport> => {
      const plan = planExport(p);
      return jobs.start({
        kind: 'playlists-export',
        key: exportKey(plan),
        title: `Exporting "${plan.name}" to ${basename(plan.target.path)}`,
        run: (job) => runExport(plan, job),
      });
    }),
  };
}

/** The playlists part of the API contract, derived from the implementation. */
export type PlaylistHandlerDefs = ReturnType<typeof createPlaylistHandlers>;
