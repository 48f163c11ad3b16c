import { stat } from 'node:fs/promises';
import type { Db } from '../kernel/database.js';
import type { Logger } from '../kernel/logger.js';
import { forEachConcurrent, throttle } from '../kernel/throttle.js';
import { createMoodImporter } from '../filetags/import.js';
import type { ProbeResult } from './probe.js';
import { createProbePool, defaultProbeWorkers, type ProbePool } from './probe-pool.js';
import { createTrackWriter, knownTracks, listFolders, type KnownTrack, type TrackWrite } from './store.js';
import { describeFsError, walkAudioFiles, type WalkProblem } from './walk.js';

/** Which stage a scan is in; progress events carry it so a UI can say what is happening. */
export type ScanPhase = 'walking' | 'reading' | 'finishing';

/** Throttled progress of a running scan. */
export interface ScanProgress {
  runId: number;
  phase: ScanPhase;
  /** Audio files found so far by the walk. */
  filesSeen: number;
  /** Files that need reading (new or changed); known once the walk ends. */
  toRead: number;
  /** Files read so far. */
  read: number;
  currentPath: string | null;
  elapsedMs: number;
}

/** What a scan did. Counts are of files; `problems` lists folders that could not be entered. */
export interface ScanResult {
  runId: number;
  status: 'done' | 'cancelled';
  filesSeen: number;
  added: number;
  updated: number;
  moved: number;
  missing: number;
  failed: number;
  unchanged: number;
  durationMs: number;
  problems: WalkProblem[];
  /** Worker threads that probed the files; 0: the core's own thread did (see ScanOptions.probeWorkers). */
  probeWorkers: number;
}

/** Tuning knobs; the defaults suit a 2-core laptop and a spinning or network disk alike. */
export interface ScanOptions {
  /** Files probed at once (I/O bound; more helps on SSDs, hurts on HDDs). */
  concurrency?: number;
  /** Probed files written per transaction. */
  batchSize?: number;
  /** Minimum interval between progress events. */
  progressIntervalMs?: number;
  /**
   * Worker threads that probe files (tag parsing, fingerprints and duration reading are CPU work that
   * would otherwise share the core's one thread with the walk, the database writes and IPC). Default:
   * see defaultProbeWorkers (one per core beyond two, at most 4); 0 probes in the core's own thread.
   */
  probeWorkers?: number;
  /** Fewer files to read than this are probed in the core's own thread: starting workers would cost more. */
  probeWorkersMinFiles?: number;
  signal?: AbortSignal;
  trigger?: string;
  onProgress?: (p: ScanProgress) => void;
}

type Job =
  | { kind: 'probe'; folderId: number; path: string; size: number; mtimeMs: number; known?: KnownTrack }
  | { kind: 'unreadable'; folderId: number; path: string; reason: string; known?: KnownTrack };

type Outcome = { job: Job; probe: ProbeResult };

/**
 * Below this many files to read (a watcher's rescan, say) a scan probes in its own thread: the files are
 * read before workers would have loaded (0.1-0.5 s each), whose start-up would only cost CPU.
 */
const PROBE_WORKERS_MIN_FILES = 200;

/**
 * Scans every library folder: walk -> skip unchanged (size + mtime) -> probe new and changed files at a
 * bounded concurrency, in worker threads where there are cores to spare (probe-pool.ts) -> write in batched transactions, in
 * walk order whatever order the probes finish in (so track ids and move matching do not depend on
 * timing) -> mark vanished files missing. A file that moved is recognised by its fingerprint and keeps
 * its track id. One bad file never aborts the scan, and every batch is committed as it completes, so a
 * crash loses at most one batch of work (plus the files read ahead of one still being probed).
 */
export async function scanLibrary(db: Db, log: Logger, options: ScanOptions = {}): Promise<ScanResult> {
  const {
    concurrency = 8,
    batchSize = 200,
    progressIntervalMs = 100,
    probeWorkers = defaultProbeWorkers(),
    probeWorkersMinFiles = PROBE_WORKERS_MIN_FILES,
    signal,
  } = options;
  const started = Date.now();
  const runId = Number(
    db
      .prepare(`INSERT INTO scan_runs (started_at, trigger, status) VALUES (?, ?, 'running')`)
      .run(new Date(started).toISOString(), options.trigger ?? 'manual').lastInsertRowid,
  );
  const result: ScanResult = {
    runId,
    status: 'done',
    filesSeen: 0,
    added: 0,
    updated: 0,
    moved: 0,
    missing: 0,
    failed: 0,
    unchanged: 0,
    durationMs: 0,
    problems: [],
    probeWorkers: 0,
  };
  const progress = {
    runId,
    phase: 'walking' as ScanPhase,
    filesSeen: 0,
    toRead: 0,
    read: 0,
    currentPath: null as string | null,
    elapsedMs: 0,
  };
  const reporter = throttle<ScanProgress>((p) => options.onProgress?.(p), progressIntervalMs);
  const report = (force = false): void => {
    reporter.push({ ...progress, elapsedMs: Date.now() - started });
    if (force) reporter.flush();
  };
  try {
    const { jobs, gone } = await walkPhase(db, result, progress, report, signal);
    progress.phase = 'reading';
    progress.toRead = jobs.length;
    report(true);
    const toProbe = jobs.filter((j) => j.kind === 'probe').length;
    const workers = toProbe >= Math.max(1, probeWorkersMinFiles) ? probeWorkers : 0;
    await readPhase(db, log, jobs, gone, result, { concurrency, batchSize, workers, signal }, () => {
      progress.read += 1;
      report();
    });
    progress.phase = 'finishing';
    report(true);
    if (signal?.aborted) {
      result.status = 'cancelled';
    } else {
      markGoneMissing(db, gone, result);
    }
    result.durationMs = Date.now() - started;
    finishRun(db, result, null);
    log.info('scan finished', { ...result, problems: result.problems.length });
    return result;
  } catch (err) {
    result.durationMs = Date.now() - started;
    finishRun(db, result, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function walkPhase(
  db: Db,
  result: ScanResult,
  progress: ScanProgress,
  report: () => void,
  signal?: AbortSignal,
): Promise<{ jobs: Job[]; gone: Map<string, KnownTrack> }> {
  const jobs: Job[] = [];
  const gone = new Map<string, KnownTrack>();
  for (const folder of listFolders(db)) {
    if (signal?.aborted) break;
    const known = new Map(knownTracks(db, folder.id).map((t) => [t.path, t]));
    try {
      const st = await stat(folder.path);
      if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    } catch (err) {
      // An unplugged disk must not turn a whole library into "missing": leave its tracks as they are.
      result.problems.push({ path: folder.path, reason: `Library folder unavailable, left as it was: ${describeFsError(err)}` });
      continue;
    }
    for await (const entry of walkAudioFiles(folder.path, (p) => result.problems.push(p))) {
      if (signal?.aborted) break;
      result.filesSeen += 1;
      progress.filesSeen = result.filesSeen;
      progress.currentPath = entry.path;
      report();
      const prior = known.get(entry.path);
      known.delete(entry.path);
      if (entry.kind === 'unreadable') {
        jobs.push({ kind: 'unreadable', folderId: folder.id, path: entry.path, reason: entry.reason, known: prior });
      } else if (prior && prior.status !== 'missing' && prior.size === entry.size && prior.mtimeMs === entry.mtimeMs) {
        result.unchanged += 1;
      } else {
        jobs.push({ kind: 'probe', folderId: folder.id, path: entry.path, size: entry.size, mtimeMs: entry.mtimeMs, known: prior });
      }
    }
    for (const t of known.values()) gone.set(t.path, t);
  }
  return { jobs, gone };
}

async function readPhase(
  db: Db,
  log: Logger,
  jobs: Job[],
  gone: Map<string, KnownTrack>,
  result: ScanResult,
  opts: { concurrency: number; batchSize: number; workers: number; signal?: AbortSignal },
  onRead: () => void,
): Promise<void> {
  if (jobs.length === 0) return;
  const pool = createProbePool(opts.workers, log);
  result.probeWorkers = pool.workers;
  try {
    await readJobs(db, pool, jobs, gone, result, opts, onRead);
  } finally {
    await pool.close();
    log.debug('files probed', { workers: result.probeWorkers, ...pool.stats });
  }
}

async function readJobs(
  db: Db,
  pool: ProbePool,
  jobs: Job[],
  gone: Map<string, KnownTrack>,
  result: ScanResult,
  opts: { concurrency: number; batchSize: number; signal?: AbortSignal },
  onRead: () => void,
): Promise<void> {
  const writer = createTrackWriter(db);
  const importMoods = createMoodImporter(db);
  const byFingerprint = new Map<string, KnownTrack[]>();
  for (const t of gone.values()) {
    if (!t.fingerprint) continue;
    const list = byFingerprint.get(t.fingerprint) ?? [];
    list.push(t);
    byFingerprint.set(t.fingerprint, list);
  }
  const takeMoved = (fingerprint: string | null): KnownTrack | undefined => {
    const t = fingerprint ? byFingerprint.get(fingerprint)?.shift() : undefined;
    if (t) gone.delete(t.path);
    return t;
  };
  let batch: Outcome[] = [];
  const flush = db.transaction((items: Outcome[]) => {
    for (const o of items) {
      const trackId = applyOutcome(writer, o, result, takeMoved, gone);
      if (trackId !== null && o.probe.status === 'ok' && o.probe.moods?.length) importMoods(trackId, o.probe.moods);
    }
  });
  // Probes finish out of order; outcomes join the batch in job (walk) order, so the writes are the same
  // whichever thread probed which file and however long each took.
  const done = new Map<number, Outcome>();
  let nextToWrite = 0;
  await forEachConcurrent(
    jobs,
    opts.concurrency,
    async (job, index) => {
      const probe: ProbeResult =
        job.kind === 'unreadable' ? { status: 'failed', fingerprint: null, reason: job.reason } : await pool.probe(job.path, job.size);
      done.set(index, { job, probe });
      onRead();
      for (let o = done.get(nextToWrite); o; o = done.get(nextToWrite)) {
        done.delete(nextToWrite++);
        batch.push(o);
        if (batch.length >= opts.batchSize) {
          const items = batch;
          batch = [];
          flush(items);
        }
      }
    },
    () => opts.signal?.aborted === true,
  );
  // Every job started has finished, and jobs start in order: nothing is left waiting in `done`.
  if (batch.length > 0) flush(batch);
}

function applyOutcome(
  writer: ReturnType<typeof createTrackWriter>,
  { job, probe }: Outcome,
  result: ScanResult,
  takeMoved: (fp: string | null) => KnownTrack | undefined,
  gone: Map<string, KnownTrack>,
): number | null {
  if (probe.status === 'vanished') {
    // Seen by the walk, deleted before we read it: treat it like any other vanished file.
    if (job.known) gone.set(job.path, job.known);
    return null;
  }
  const write: TrackWrite = {
    folderId: job.folderId,
    path: job.path,
    size: job.kind === 'probe' ? job.size : 0,
    mtimeMs: job.kind === 'probe' ? job.mtimeMs : 0,
    fingerprint: probe.fingerprint,
    status: probe.status,
    error: probe.status === 'failed' ? probe.reason : null,
    info: probe.status === 'ok' ? probe.info : null,
  };
  if (probe.status === 'failed') result.failed += 1;
  if (job.known) {
    writer.update(job.known.id, write);
    if (probe.status === 'ok') result.updated += 1;
    return job.known.id;
  }
  const moved = takeMoved(probe.fingerprint);
  if (moved) {
    writer.update(moved.id, write);
    result.moved += 1;
    return moved.id;
  }
  const id = writer.insert(write);
  if (probe.status === 'ok') result.added += 1;
  return id;
}

function markGoneMissing(db: Db, gone: Map<string, KnownTrack>, result: ScanResult): void {
  const writer = createTrackWriter(db);
  db.transaction(() => {
    for (const t of gone.values()) {
      if (t.status === 'missing') continue;
      writer.markMissing(t.id);
      result.missing += 1;
    }
  })();
}

function finishRun(db: Db, r: ScanResult, error: string | null): void {
  db.prepare(
    `UPDATE scan_runs SET finished_at = ?, status = ?, files_seen = ?, added = ?, updated = ?, moved = ?,
      missing = ?, failed = ?, unchanged = ?, duration_ms = ?, error = ? WHERE id = ?`,
  ).run(
    new Date().toISOString(),
    error ? 'error' : r.status,
    r.filesSeen,
    r.added,
    r.updated,
    r.moved,
    r.missing,
    r.failed,
    r.unchanged,
    r.durationMs,
    error,
    r.runId,
  );
}
