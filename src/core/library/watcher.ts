import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from '../kernel/logger.js';
import { isAudioPath } from './formats.js';

/** Options for the library watcher. */
export interface WatcherOptions {
  /** Quiet time after the last change before a rescan starts (copying an album fires many events). */
  debounceMs?: number;
  /** Upper bound on how long a continuous stream of changes can postpone a rescan. */
  maxWaitMs?: number;
  onChange: () => void;
  onError: (folder: string, message: string) => void;
}

/** Watches library folders and calls `onChange` (debounced) when audio files or folders come and go. */
export interface LibraryWatcher {
  setFolders(folders: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Creates the watcher. It only signals "something changed"; the incremental scanner finds out what,
 * so a burst of events (an album copied in) costs one cheap rescan, not one per file.
 */
export function createLibraryWatcher(log: Logger, opts: WatcherOptions): LibraryWatcher {
  const { debounceMs = 750, maxWaitMs = 5000 } = opts;
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;
  let firstEventAt = 0;
  let watched: string[] = [];

  const schedule = (path: string, isDirEvent: boolean): void => {
    if (!isDirEvent && !isAudioPath(path)) return;
    const now = Date.now();
    if (timer === null) firstEventAt = now;
    else clearTimeout(timer);
    const wait = Math.max(0, Math.min(debounceMs, firstEventAt + maxWaitMs - now));
    timer = setTimeout(() => {
      timer = null;
      opts.onChange();
    }, wait);
  };

  const stop = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const w = watcher;
    watcher = null;
    if (w) await w.close();
  };

  return {
    async setFolders(folders) {
      const next = [...folders].sort();
      if (next.join('\0') === watched.join('\0') && watcher) return;
      await stop();
      watched = next;
      if (next.length === 0) return;
      const w = watch(next, { ignoreInitial: true, followSymlinks: true, persistent: true, ignorePermissionErrors: true });
      w.on('add', (p) => schedule(p, false))
        .on('change', (p) => schedule(p, false))
        .on('unlink', (p) => schedule(p, false))
        .on('addDir', (p) => schedule(p, true))
        .on('unlinkDir', (p) => schedule(p, true))
        .on('error', (err) => {
          const message = err instanceof Error ? err.message : String(err);
          log.warn('watcher error', { message });
          opts.onError(next.join(', '), message);
        });
      watcher = w;
      log.debug('watching', { folders: next });
    },
    close: stop,
  };
}
