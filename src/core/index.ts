import { join } from 'node:path';
import { openDatabase } from './db/database.js';
import { createEventBus, type EventBus } from './api/events.js';
import { createHandlers, type HandlerArgs, type HandlerName, type HandlerResult, type Handlers } from './api/handlers.js';
import type { InvokeReply } from './api/contract.js';
import type { CoreContext } from './api/context.js';
import { createLibraryService, type LibraryServiceOptions } from './library/service.js';
import { createAnalysisService } from './analysis/service.js';
import { createIndexCache } from './analysis/embedding-index.js';
import { createModelService, packsDirFor } from './model/service.js';
import { readSettings } from './settings/handlers.js';
import { UserError, errorMessage } from './util/errors.js';
import { createLogger, type Logger } from './util/logger.js';

/** Options for {@link createCore}. */
export interface CoreOptions {
  dataDir: string;
  /** Watch library folders and rescan on changes (the app does; the CLI does not). */
  watch?: boolean;
  /** A better-sqlite3 addon built for another ABI (the Electron host passes its own). */
  nativeBinding?: string;
  migrationsDir?: string;
  logger?: Logger;
  scan?: LibraryServiceOptions['scan'];
  watchDebounceMs?: number;
  /** Run the analysis queue in the background: resume it at start and queue new tracks after scans. */
  autoAnalyze?: boolean;
  /** ONNX Runtime threads (0 = automatic) and segments per encoder run. */
  threads?: number;
  batchSize?: number;
  /** Hub host for hf: pack sources. */
  hubEndpoint?: string;
}

/** A running core: the typed handlers, one invoke entry point, events and shutdown. */
export interface Core {
  handlers: Handlers;
  invoke<K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>>;
  /** Invoke by untrusted name and arguments (IPC); never throws, replies with a serialisable result. */
  invokeUntrusted(name: unknown, args: unknown): Promise<InvokeReply>;
  events: EventBus;
  context: CoreContext;
  close(): Promise<void>;
}

/** The database file inside a data folder. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'moodshelf.db');
}

/**
 * Opens the library in `dataDir` and wires every domain. The same core runs under the Electron host,
 * the CLI and the tests, so behaviour never depends on which one is driving.
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.logger ?? createLogger('core');
  const dbPath = databasePath(options.dataDir);
  const db = openDatabase({ file: dbPath, nativeBinding: options.nativeBinding, migrationsDir: options.migrationsDir });
  const events = createEventBus((err) => log.error('event listener threw', { err: errorMessage(err) }));
  const library = createLibraryService(db, events, log.child('library'), {
    watch: options.watch ?? false,
    scan: options.scan,
    watchDebounceMs: options.watchDebounceMs,
  });
  const models = createModelService(db, log.child('models'), {
    packsDir: packsDirFor(options.dataDir),
    hubEndpoint: options.hubEndpoint,
    threads: options.threads ?? readSettings(db).threads,
    batchSize: options.batchSize,
  });
  const analysis = createAnalysisService(db, events, log.child('analysis'), models, {
    autoResume: options.autoAnalyze ?? false,
    defaultPolicy: () => readSettings(db).analysisPolicy,
  });
  if (options.autoAnalyze) {
    events.on('scan-finished', (r) => {
      if (r.added + r.updated + r.moved > 0) {
        try {
          analysis.start({});
        } catch {
          // No pack yet: the first-run flow installs one and starts the analysis then.
        }
      }
    });
  }
  const context: CoreContext = {
    dataDir: options.dataDir,
    dbPath,
    db,
    events,
    log,
    library,
    models,
    analysis,
    index: createIndexCache(db),
  };
  const handlers = createHandlers(context);
  await library.foldersChanged();
  const table = handlers as unknown as Record<string, (...a: unknown[]) => unknown>;

  const invoke = async <K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>> => {
    const fn = table[name];
    if (typeof fn !== 'function') throw new UserError(`Unknown command: ${String(name)}`, 'E_UNKNOWN');
    return (await fn(...args)) as HandlerResult<K>;
  };

  const invokeUntrusted = async (name: unknown, args: unknown): Promise<InvokeReply> => {
    try {
      if (typeof name !== 'string' || !Object.hasOwn(table, name)) throw new UserError(`Unknown command: ${String(name)}`, 'E_UNKNOWN');
      if (!Array.isArray(args) || args.length > 1) throw new UserError(`${name}: expected at most one parameters object`, 'E_INVALID');
      const value = await (table[name] as (...a: unknown[]) => unknown)(...args);
      return { ok: true, value };
    } catch (err) {
      if (!(err instanceof UserError)) log.error('handler failed', { name: String(name), err: errorMessage(err) });
      return { ok: false, error: { message: errorMessage(err), code: err instanceof UserError ? err.code : 'E_INTERNAL' } };
    }
  };

  let closed = false;
  return {
    handlers,
    invoke,
    invokeUntrusted,
    events,
    context,
    async close() {
      if (closed) return;
      closed = true;
      await library.close();
      await analysis.close();
      await models.close();
      db.close();
    },
  };
}

export type { Handlers, HandlerName, HandlerArgs, HandlerResult };
