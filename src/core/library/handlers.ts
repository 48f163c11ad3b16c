import type { Db } from '../kernel/database.js';
import type { JobTicket, Jobs } from '../kernel/jobs.js';
import { bool, handler, opt, params, text } from '../kernel/schema.js';
import type { ScanProgress, ScanResult } from './scanner.js';
import type { LibraryService } from './service.js';
import { addFolder, listFolders, removeFolder } from './store.js';

/** What the library handlers need. */
export interface LibraryHandlerDeps {
  db: Db;
  library: LibraryService;
  jobs: Jobs;
  /** Subscribes to scan progress (the composition root wires it to the bus). */
  onScanProgress(listener: (p: ScanProgress) => void): () => void;
}

function scanMessage(p: ScanProgress): string {
  if (p.phase === 'walking') return `Looking for audio files: ${p.filesSeen} found`;
  return p.currentPath ? `Reading ${p.currentPath}` : `Reading ${p.read} of ${p.toRead}`;
}

/** Handlers for library folders and scanning. Their definitions (schemas and results) are the API contract. */
export function createLibraryHandlers(deps: LibraryHandlerDeps) {
  const { db, library, jobs } = deps;
  return {
    /** The library folders with their track counts. */
    'library-folders': handler(() => listFolders(db)),
    /** Adds a folder; scanning is a separate step so the caller decides when to pay for it. */
    'library-add': handler(params({ path: text() }), async ({ path }) => {
      const folder = addFolder(db, path);
      await library.foldersChanged();
      return folder;
    }),
    /**
     * Removes a folder and its tracks from the index; files on disk are untouched. Tags and analyses are kept
     * by content and come back when the folder is added again, unless `purge` is set.
     */
    'library-remove': handler(params({ path: text(), purge: opt(bool()) }), async ({ path, purge }) => {
      // A scan must not write tracks for a folder that is being removed.
      await library.cancelAndWait();
      const removed = removeFolder(db, path, { purge: purge ?? false });
      await library.foldersChanged();
      return removed;
    }),
    /** Scans all folders as a job (joining a running scan); the job's result says what changed. */
    'library-scan': handler((): JobTicket<ScanResult> =>
      jobs.start({
        kind: 'library-scan',
        title: 'Scanning the library',
        onCancel: () => library.cancel(),
        run: async (job) => {
          const off = deps.onScanProgress((p) =>
            job.progress({ done: p.read, total: p.phase === 'walking' ? null : p.toRead, message: scanMessage(p) }),
          );
          try {
            return await library.scan('manual');
          } finally {
            off();
          }
        },
      }),
    ),
    /** Cancels the running scan; what was read so far stays stored. */
    'library-scan-cancel': handler(() => ({ cancelled: library.cancel() })),
  };
}

/** The library part of the API contract, derived from the implementation. */
export type LibraryHandlerDefs = ReturnType<typeof createLibraryHandlers>;
