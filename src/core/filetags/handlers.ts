import type { CoreContext } from '../api/context.js';
import { asObject, optionalBool, optionalInt, requireInt } from '../kernel/validate-legacy.js';
import { UserError } from '../kernel/errors.js';
import { undoFileTags, writeFileTags, type FileTagUndoResult, type FileTagsResult } from './service.js';
import {
  listFileTagFolders,
  listRuns,
  runChanges,
  setFileTagFolder,
  type FileTagChange,
  type FileTagFolder,
  type FileTagRun,
} from './store.js';

const MAX_ID = Number.MAX_SAFE_INTEGER;
const MAX_BATCH = 100_000;

function optionalTrackIds(o: Record<string, unknown>, handler: string): number[] | undefined {
  const v = o.trackIds;
  if (v === undefined) return undefined;
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.length > MAX_BATCH ||
    v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)
  ) {
    throw new UserError(`${handler}: "trackIds" must be a list of 1 to ${MAX_BATCH} track ids`, 'E_INVALID');
  }
  return v as number[];
}

/** Parameters of filetags-write and filetags-preview. */
export interface FileTagsParams {
  trackIds?: number[];
  dryRun?: boolean;
  includeScores?: boolean;
}

/** Handlers for writing tags into audio files (mood fields other players read), with preview and undo. */
export function createFileTagHandlers(ctx: CoreContext) {
  const parse = (params: unknown, handler: string): FileTagsParams => {
    const o = asObject(params, handler);
    return {
      trackIds: optionalTrackIds(o, handler),
      dryRun: optionalBool(o, 'dryRun', handler),
      includeScores: optionalBool(o, 'includeScores', handler),
    };
  };
  return {
    /** What a write would do, per file: current mood values, new values and fields touched. Changes nothing. */
    'filetags-preview': (params?: Omit<FileTagsParams, 'dryRun'>): Promise<FileTagsResult> =>
      writeFileTags(ctx, { ...parse(params, 'filetags-preview'), dryRun: true }),
    /** Writes the tracks' tags into their files' mood fields (only in opted-in folders); `dryRun` previews. */
    'filetags-write': (params?: FileTagsParams): Promise<FileTagsResult> => writeFileTags(ctx, parse(params, 'filetags-write')),
    /** Restores the fields a write run changed to their previous values. */
    'filetags-undo': (params: { runId: number }): Promise<FileTagUndoResult> =>
      undoFileTags(ctx, requireInt(asObject(params, 'filetags-undo'), 'runId', 'filetags-undo', 1, MAX_ID)),
    /** Recent write runs, newest first. */
    'filetags-runs': (params?: { limit?: number }): FileTagRun[] =>
      listRuns(ctx.db, optionalInt(asObject(params, 'filetags-runs'), 'limit', 'filetags-runs', 1, 1000) ?? 50),
    /** The files one run changed, with their values before and after. */
    'filetags-run': (params: { runId: number }): FileTagChange[] =>
      runChanges(ctx.db, requireInt(asObject(params, 'filetags-run'), 'runId', 'filetags-run', 1, MAX_ID)),
    /** Library folders and whether tags may be written into their files. */
    'filetags-folders': (): FileTagFolder[] => listFileTagFolders(ctx.db),
    /** Opts a library folder (by id or path) in or out of writing tags into its files. */
    'filetags-set-folder': (params: { folderId?: number; path?: string; enabled: boolean }): FileTagFolder => {
      const o = asObject(params, 'filetags-set-folder');
      const enabled = optionalBool(o, 'enabled', 'filetags-set-folder');
      if (enabled === undefined) throw new UserError('filetags-set-folder: "enabled" is required', 'E_INVALID');
      const folderId = optionalInt(o, 'folderId', 'filetags-set-folder', 1, MAX_ID);
      const path = typeof o.path === 'string' && o.path.trim() !== '' && !o.path.includes('\0') ? o.path : undefined;
      if ((folderId === undefined) === (path === undefined))
        throw new UserError('filetags-set-folder: give "folderId" or "path"', 'E_INVALID');
      return setFileTagFolder(ctx.db, folderId ?? (path as string), enabled);
    },
  };
}

/** The filetags part of the API contract, derived from the implementation. */
export type FileTagHandlers = ReturnType<typeof createFileTagHandlers>;
