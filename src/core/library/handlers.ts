import type { CoreContext } from '../api/context.js';
import { asObject, optionalBool, requireString } from '../api/validate.js';
import type { ScanResult } from './scanner.js';
import { addFolder, listFolders, removeFolder, type FolderRemoval, type LibraryFolder } from './store.js';

/** Handlers for library folders and scanning. Their signatures are the API contract. */
export function createLibraryHandlers(ctx: CoreContext) {
  return {
    /** The library folders with their track counts. */
    'library-folders': (): LibraryFolder[] => listFolders(ctx.db),
    /** Adds a folder; scanning is a separate step so the caller decides when to pay for it. */
    'library-add': async (params: { path: string }): Promise<LibraryFolder> => {
      const path = requireString(asObject(params, 'library-add'), 'path', 'library-add');
      const folder = addFolder(ctx.db, path);
      await ctx.library.foldersChanged();
      return folder;
    },
    /**
     * Removes a folder and its tracks from the index; files on disk are untouched. Tags and analyses are kept
     * by content and come back when the folder is added again, unless `purge` is set.
     */
    'library-remove': async (params: { path: string; purge?: boolean }): Promise<FolderRemoval> => {
      const o = asObject(params, 'library-remove');
      const path = requireString(o, 'path', 'library-remove');
      const purge = optionalBool(o, 'purge', 'library-remove') ?? false;
      // A scan must not write tracks for a folder that is being removed.
      await ctx.library.cancelAndWait();
      const removed = removeFolder(ctx.db, path, { purge });
      await ctx.library.foldersChanged();
      return removed;
    },
    /** Scans all folders (or joins the running scan) and resolves with what changed. */
    'library-scan': (): Promise<ScanResult> => ctx.library.scan('manual'),
    /** Cancels the running scan; what was read so far stays stored. */
    'library-scan-cancel': (): { cancelled: boolean } => ({ cancelled: ctx.library.cancel() }),
  };
}

/** The library part of the API contract, derived from the implementation. */
export type LibraryHandlers = ReturnType<typeof createLibraryHandlers>;
