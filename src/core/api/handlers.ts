import { createAnalysisHandlers, type AnalysisHandlers } from '../analysis/handlers.js';
import { createScoreHandlers, type ScoreHandlers } from '../analysis/score-handlers.js';
import { createFileTagHandlers, type FileTagHandlers } from '../filetags/handlers.js';
import { createLabelHandlers, type LabelHandlers } from '../labels/handlers.js';
import { createLibraryHandlers, type LibraryHandlers } from '../library/handlers.js';
import { createModelHandlers, type ModelHandlers } from '../model/handlers.js';
import { createPlaylistHandlers, type PlaylistHandlers } from '../playlists/handlers.js';
import { createSettingsHandlers, type SettingsHandlers } from '../settings/handlers.js';
import { createStatusHandlers, type StatusHandlers } from '../status/handlers.js';
import { createTagHandlers, type TagHandlers } from '../tags/handlers.js';
import { createTracksHandlers, type TracksHandlers } from '../tracks/handlers.js';
import type { CoreContext } from './context.js';

/** The whole API: every domain's handler map. Hosts (IPC, CLI, tests) derive their types from this. */
export type Handlers = LibraryHandlers &
  TracksHandlers &
  StatusHandlers &
  ModelHandlers &
  AnalysisHandlers &
  LabelHandlers &
  ScoreHandlers &
  SettingsHandlers &
  TagHandlers &
  PlaylistHandlers &
  FileTagHandlers;
/** Any handler's name. */
export type HandlerName = keyof Handlers;
/** The arguments a handler takes (an empty tuple or one params object). */
export type HandlerArgs<K extends HandlerName> = Parameters<Handlers[K]>;
/** What a handler resolves with. */
export type HandlerResult<K extends HandlerName> = Awaited<ReturnType<Handlers[K]>>;

/** Each domain's handler factory; adding a domain means adding it here. */
export const HANDLER_FACTORIES = [
  createLibraryHandlers,
  createTracksHandlers,
  createStatusHandlers,
  createModelHandlers,
  createAnalysisHandlers,
  createLabelHandlers,
  createScoreHandlers,
  createSettingsHandlers,
  createTagHandlers,
  createPlaylistHandlers,
  createFileTagHandlers,
] as const;

/**
 * Merges the domain maps into one, refusing duplicate names: with one invoke channel, two domains
 * claiming a name would silently shadow each other.
 */
export function mergeHandlerMaps(maps: readonly Record<string, unknown>[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [name, fn] of Object.entries(map)) {
      if (name in merged) throw new Error(`Duplicate handler name: ${name}`);
      merged[name] = fn;
    }
  }
  return merged;
}

/** Builds the full handler map for a context. */
export function createHandlers(ctx: CoreContext): Handlers {
  return mergeHandlerMaps(HANDLER_FACTORIES.map((f) => f(ctx))) as Handlers;
}
