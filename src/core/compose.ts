/**
 * The composition root: the only module that knows every domain. It opens the database, builds the
 * services, hands each domain's handler factory exactly the dependencies it needs, binds the handler
 * definitions (so every input is schema-checked at the boundary) and merges handler and event maps into
 * the contract the hosts see. Domains never import this module (lint enforces it).
 *
 * Layers, bottom up: kernel/ (db, errors, logger, events, schema, jobs, write grants) -> domains (library,
 * tracks, status, model, analysis, labels, tags, playlists, filetags, settings, jobs) -> compose.ts ->
 * hosts (src/main, src/cli, tests) through index.ts and contract.ts.
 */
import { join } from 'node:path';
import { openDatabase, type Db } from './kernel/database.js';
import { createEventBus, type EventBus } from './kernel/events.js';
import { createJobs, isJobTicket, type JobEvents, type JobTicket, type Jobs } from './kernel/jobs.js';
import { bindHandlers, type BoundHandlers } from './kernel/schema.js';
import { createWriteGrants, type GrantKind, type WriteGrant, type WriteGrants } from './kernel/write-grants.js';
import { UserError, asUserError, errorMessage } from './kernel/errors.js';
import { createLogger, type Logger } from './kernel/logger.js';
import { createLibraryService, type LibraryService, type LibraryServiceOptions } from './library/service.js';
import { createLibraryHandlers, type LibraryHandlerDefs } from './library/handlers.js';
import type { LibraryEvents } from './library/events.js';
import { createTracksHandlers, type TracksHandlerDefs } from './tracks/handlers.js';
import { createStatusHandlers, type StatusHandlerDefs } from './status/handlers.js';
import { createModelService, packsDirFor, type ModelService } from './model/service.js';
import { createModelHandlers, type ModelHandlerDefs } from './model/handlers.js';
import type { ModelEvents } from './model/events.js';
import { createAnalysisService, type AnalysisService } from './analysis/service.js';
import { createAnalysisHandlers, type AnalysisHandlerDefs } from './analysis/handlers.js';
import { createScoreHandlers, type ScoreHandlerDefs } from './analysis/score-handlers.js';
import { createIndexCache, type IndexCache } from './analysis/embedding-index.js';
import type { AnalysisEvents } from './analysis/events.js';
import type { ScoringDeps } from './analysis/scoring-deps.js';
import { createLabelHandlers, type LabelHandlerDefs } from './labels/handlers.js';
import { createSettingsHandlers, readSettings, type SettingsHandlerDefs } from './settings/handlers.js';
import { createTagHandlers, type TagHandlerDefs } from './tags/handlers.js';
import type { TagEvents } from './tags/events.js';
import { createPlaylistHandlers, type PlaylistHandlerDefs } from './playlists/handlers.js';
import type { PlaylistEvents } from './playlists/events.js';
import { createFileTagHandlers, type FileTagHandlerDefs } from './filetags/handlers.js';
import { createJobHandlers, type JobHandlerDefs } from './jobs/handlers.js';
import { createPersonalService, type PersonalService } from './personal/service.js';
import { createPersonalHandlers, type PersonalHandlerDefs } from './personal/handlers.js';
import type { PersonalEvents } from './personal/events.js';
import type { InvokeReply } from './contract.js';
import { createArtworkService, type ArtworkService } from './media/artwork.js';
import { createPeaksService, type PeaksService } from './media/peaks.js';
import type { MediaEvents } from './media/events.js';
import { createMediaHandlers, type MediaHandlerDefs } from './media/handlers.js';

/** Every event the core emits, with its payload: the union of the domains' event maps. */
export type CoreEvents = LibraryEvents &
  AnalysisEvents &
  ModelEvents &
  TagEvents &
  PlaylistEvents &
  JobEvents &
  MediaEvents &
  PersonalEvents;

/** Every handler definition of every domain. */
type AllHandlerDefs = LibraryHandlerDefs &
  TracksHandlerDefs &
  StatusHandlerDefs &
  ModelHandlerDefs &
  AnalysisHandlerDefs &
  ScoreHandlerDefs &
  LabelHandlerDefs &
  SettingsHandlerDefs &
  TagHandlerDefs &
  PlaylistHandlerDefs &
  FileTagHandlerDefs &
  JobHandlerDefs &
  MediaHandlerDefs &
  PersonalHandlerDefs;

/** The whole API: every handler, input-checked. Hosts (IPC, CLI, tests) derive their types from this. */
export type Handlers = BoundHandlers<AllHandlerDefs>;
/** Any handler's name. */
export type HandlerName = keyof Handlers & string;
/** The arguments a handler takes (an empty tuple or one params object). */
export type HandlerArgs<K extends HandlerName> = Parameters<Handlers[K]>;
/** What a handler resolves with (a JobTicket for long work). */
export type HandlerResult<K extends HandlerName> = Awaited<ReturnType<Handlers[K]>>;
/** What a handler's work ends with: the job's result for a job, else the handler's own result. */
export type RunResult<K extends HandlerName> = HandlerResult<K> extends JobTicket<infer R> ? R : HandlerResult<K>;

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

/** The services a running core holds; hosts and tests may read them, domain code never sees this bag. */
export interface CoreServices {
  dataDir: string;
  dbPath: string;
  db: Db;
  log: Logger;
  library: LibraryService;
  models: ModelService;
  analysis: AnalysisService;
  index: IndexCache;
  jobs: Jobs;
  grants: WriteGrants;
  /** Personal label models: fitted from tag decisions, refitted in the background, used in scoring where better. */
  personal: PersonalService;
  /** Cover art found after scans (media/artwork.ts) and waveform peaks computed once (media/peaks.ts). */
  artwork: ArtworkService;
  peaks: PeaksService;
}

/** A running core: the typed handlers, the invoke entry points, events, jobs and shutdown. */
export interface Core {
  handlers: Handlers;
  /** Calls a handler in process (a trusted caller: the CLI, tests). */
  invoke<K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>>;
  /** Like invoke, but waits for a job a handler starts and resolves with the job's result. */
  run<K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<RunResult<K>>;
  /** Invoke by untrusted name and arguments (IPC from the page); never throws, replies with a serialisable result. */
  invokeUntrusted(name: unknown, args: unknown): Promise<InvokeReply>;
  /** Records a file or folder the user picked in a shell dialog; the page then writes there by the grant's token. */
  grantWrite(path: string, kind: GrantKind, overwrite: boolean): WriteGrant;
  events: EventBus<CoreEvents>;
  jobs: Jobs;
  context: CoreServices;
  close(): Promise<void>;
}

/** From this many tracks to look at, the artwork pass runs as a job (shown with its progress). */
const ARTWORK_JOB_MIN_TRACKS = 200;

/** The database file inside a data folder. */
export function databasePath(dataDir: string): string {
  return join(dataDir, 'moodshelf.db');
}

/** Builds every domain's handler definitions from the services, each with only what it needs. */
function handlerDefs(s: CoreServices, events: EventBus<CoreEvents>): AllHandlerDefs {
  const scoring: ScoringDeps = { db: s.db, models: s.models, index: s.index, personal: s.personal };
  const { db, jobs, grants, log } = s;
  const maps = [
    createLibraryHandlers({ db, library: s.library, jobs, onScanProgress: (l) => events.on('scan-progress', l) }),
    createTracksHandlers({ db }),
    createStatusHandlers({ db, dataDir: s.dataDir, dbPath: s.dbPath, library: s.library }),
    createModelHandlers({ models: s.models, analysis: s.analysis, jobs, events }),
    createAnalysisHandlers({ db, analysis: s.analysis, jobs, grants, scoring }),
    createScoreHandlers({ scoring }),
    createLabelHandlers({ db, models: s.models, jobs, log: log.child('labels') }),
    createSettingsHandlers({ db }),
    createTagHandlers({ db, events, scoring, log: log.child('tags') }),
    createPlaylistHandlers({ scoring, jobs, grants, events }),
    createFileTagHandlers({ db, analysis: s.analysis, jobs, scoring, log: log.child('filetags') }),
    createJobHandlers({ jobs }),
    createPersonalHandlers({ personal: s.personal }),
    createMediaHandlers({ db, peaks: s.peaks }),
  ];
  const merged: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [name, def] of Object.entries(map)) {
      // One invoke channel: two domains claiming a name would silently shadow each other.
      if (name in merged) throw new Error(`Duplicate handler name: ${name}`);
      merged[name] = def;
    }
  }
  return merged as AllHandlerDefs;
}

/**
 * Opens the library in `dataDir` and wires every domain. The same core runs under the Electron host,
 * the CLI and the tests, so behaviour never depends on which one is driving.
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.logger ?? createLogger('core');
  const dbPath = databasePath(options.dataDir);
  const db = openDatabase({ file: dbPath, nativeBinding: options.nativeBinding, migrationsDir: options.migrationsDir });
  const events = createEventBus<CoreEvents>((err) => log.error('event listener threw', { err: errorMessage(err) }));
  const jobs = createJobs(events);
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
  const index = createIndexCache(db);
  const personal = createPersonalService({ db, models, index, events, log: log.child('personal') });
  const services: CoreServices = {
    dataDir: options.dataDir,
    dbPath,
    db,
    log,
    library,
    models,
    analysis,
    index,
    personal,
    jobs,
    grants: createWriteGrants(),
    artwork: createArtworkService(db, options.dataDir, log.child('artwork'), {
      onUpdated: (trackIds) => events.emit('artwork-updated', { trackIds }),
    }),
    peaks: createPeaksService(db, log.child('peaks'), { onReady: (e) => events.emit('peaks-ready', e) }),
  };
  // Pictures are looked for after every scan (and now, for tracks a past session left unchecked); peaks of
  // analysed tracks are computed while the analysis is idle, so opening one draws its waveform at once.
  const findArtwork = (): void => {
    // Many tracks to look at (a first scan of a big library): a job with progress that can be cancelled;
    // a few (a rescan after some changes): quietly in the background.
    if (services.artwork.pendingCount() < ARTWORK_JOB_MIN_TRACKS) services.artwork.schedule();
    else jobs.start({ kind: 'artwork', key: 'artwork', title: 'Finding cover art', run: (ctx) => services.artwork.run(ctx) });
  };
  events.on('scan-finished', findArtwork);
  // Personal labels are refitted in the background when decisions change or new tracks are analysed.
  events.on('tags-changed', () => personal.schedule());
  events.on('analysis-finished', () => personal.schedule());
  findArtwork();
  events.on('analysis-finished', () => services.peaks.backfill(() => analysis.status().state === 'running'));
  const handlers = bindHandlers(handlerDefs(services, events)) as Handlers;
  if (options.autoAnalyze) {
    // A queue left from the last session was resumed by the service: follow it as the analysis job.
    handlers['analysis-resume']();
    events.on('scan-finished', (r) => {
      if (r.added + r.updated + r.moved > 0) {
        try {
          handlers['analysis-start']({});
        } catch {
          // No pack yet: the first-run flow installs one and starts the analysis then.
        }
      }
    });
  }
  await library.foldersChanged();
  const table = handlers as unknown as Record<string, (...a: unknown[]) => unknown>;

  const invoke = async <K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>> => {
    const fn = table[name];
    if (typeof fn !== 'function') throw new UserError(`Unknown command: ${String(name)}`, 'E_UNKNOWN');
    return (await fn(...args)) as HandlerResult<K>;
  };

  const run = async <K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<RunResult<K>> => {
    const value: unknown = await invoke(name, ...args);
    return (isJobTicket(value) ? await jobs.wait(value) : value) as RunResult<K>;
  };

  const invokeUntrusted = async (name: unknown, args: unknown): Promise<InvokeReply> => {
    try {
      if (typeof name !== 'string' || !Object.hasOwn(table, name)) throw new UserError(`Unknown command: ${String(name)}`, 'E_UNKNOWN');
      if (!Array.isArray(args) || args.length > 1) throw new UserError(`${name}: expected at most one parameters object`, 'E_INVALID');
      const value = await services.grants.untrusted(async () => await (table[name] as (...a: unknown[]) => unknown)(...args));
      return { ok: true, value };
    } catch (thrown) {
      const err = asUserError(thrown);
      if (!(err instanceof UserError)) log.error('handler failed', { name: String(name), err: errorMessage(err) });
      return { ok: false, error: { message: errorMessage(err), code: err instanceof UserError ? err.code : 'E_INTERNAL' } };
    }
  };

  let closed = false;
  return {
    handlers,
    invoke,
    run,
    invokeUntrusted,
    grantWrite: (path, kind, overwrite) => services.grants.grant(path, kind, overwrite),
    events,
    jobs,
    context: services,
    async close() {
      if (closed) return;
      closed = true;
      // The analysis service first: closing it keeps the persistent queue for the next start, whereas
      // cancelling its job (what jobs.close does to running jobs) would empty the queue.
      await analysis.close();
      await personal.close();
      await services.artwork.close();
      await services.peaks.close();
      await jobs.close();
      await library.close();
      await models.close();
      db.close();
    },
  };
}
