import type { Db } from '../kernel/database.js';
import type { Emitter } from '../kernel/events.js';
import type { LibraryEvents } from './events.js';
import type { Logger } from '../kernel/logger.js';
import { scanLibrary, type ScanOptions, type ScanResult } from './scanner.js';
import { listFolders } from './store.js';
import { createLibraryWatcher, type LibraryWatcher } from './watcher.js';

/** Owns scanning and watching for one database: at most one scan at a time, cancellable. */
export interface LibraryService {
  /** Starts a scan, or joins the one already running. */
  scan(trigger?: string): Promise<ScanResult>;
  /** Cancels the running scan; false when none runs. */
  cancel(): boolean;
  /** Cancels the running scan (if any) and waits until it has stopped writing. */
  cancelAndWait(): Promise<void>;
  /** True while a scan runs. */
  isScanning(): boolean;
  /** Re-reads the folder list (after add/remove) so the watcher follows it. */
  foldersChanged(): Promise<void>;
  close(): Promise<void>;
}

/** Options for the library service. */
export interface LibraryServiceOptions {
  watch: boolean;
  scan?: Omit<ScanOptions, 'signal' | 'trigger' | 'onProgress'>;
  watchDebounceMs?: number;
}

/**
 * Creates the service. Watcher-triggered rescans that arrive during a scan are coalesced into one
 * follow-up scan, so changes made while scanning are never lost and never queue up.
 */
export function createLibraryService(db: Db, events: Emitter<LibraryEvents>, log: Logger, options: LibraryServiceOptions): LibraryService {
  let running: { promise: Promise<ScanResult>; controller: AbortController } | null = null;
  let rescanWanted = false;
  let closed = false;

  const start = (trigger: string): Promise<ScanResult> => {
    const controller = new AbortController();
    const promise = scanLibrary(db, log, {
      ...options.scan,
      trigger,
      signal: controller.signal,
      onProgress: (p) => events.emit('scan-progress', p),
    })
      .then((result) => {
        events.emit('scan-finished', result);
        events.emit('library-changed', { reason: 'scan' });
        return result;
      })
      .finally(() => {
        running = null;
        if (rescanWanted && !closed) {
          rescanWanted = false;
          start('watcher').catch((err: unknown) => log.error('follow-up scan failed', { err: String(err) }));
        }
      });
    running = { promise, controller };
    return promise;
  };

  const onWatchedChange = (): void => {
    if (closed) return;
    if (running) {
      rescanWanted = true;
      return;
    }
    start('watcher').catch((err: unknown) => log.error('watcher scan failed', { err: String(err) }));
  };

  const watcher: LibraryWatcher | null = options.watch
    ? createLibraryWatcher(log, {
        debounceMs: options.watchDebounceMs,
        onChange: onWatchedChange,
        onError: (folder, message) => events.emit('watcher-error', { folder, message }),
      })
    : null;

  const service: LibraryService = {
    scan: (trigger = 'manual') => running?.promise ?? start(trigger),
    cancel() {
      if (!running) return false;
      running.controller.abort();
      return true;
    },
    async cancelAndWait() {
      const current = running;
      if (!current) return;
      current.controller.abort();
      await current.promise.catch(() => undefined);
    },
    isScanning: () => running !== null,
    async foldersChanged() {
      events.emit('library-changed', { reason: 'folders' });
      await watcher?.setFolders(listFolders(db).map((f) => f.path));
    },
    async close() {
      closed = true;
      await service.cancelAndWait();
      await watcher?.close();
    },
  };
  return service;
}
