/**
 * Long work as jobs. Anything that can outlast a moment (a scan, an analysis run, a model install, a
 * file-tag write, an export) is started here: the start returns a ticket at once, progress and the end
 * are events, a job can be cancelled, and the registry lists running and recent jobs so a page that
 * reloads finds them again. Starting the same work again (same kind and key) joins the running job, so a
 * double click never runs it twice. Requests that stay request/response are then all fast, and the
 * shell can keep a timeout on every one of them.
 */
import { randomUUID } from 'node:crypto';
import { UserError, asUserError, errorMessage } from './errors.js';
import type { Emitter } from './events.js';

/** Where a job is. */
export type JobState = 'running' | 'done' | 'failed' | 'cancelled';

/** How far a job is: `done` of `total` units (null: unknown), and a line for people. */
export interface JobProgress {
  done: number;
  total: number | null;
  message: string | null;
}

/** A job as hosts see it (serialisable). */
export interface JobInfo {
  id: string;
  kind: string;
  /** Work with the same kind and key is the same job. */
  key: string;
  title: string;
  state: JobState;
  progress: JobProgress;
  cancellable: boolean;
  startedAt: number;
  finishedAt: number | null;
  error: { message: string; code: string } | null;
  /** What the job produced (for a finished job). */
  result: unknown;
}

/**
 * What a job-starting handler returns at once. `R` (never present at run time) carries the result type
 * so clients that wait for the job get it typed.
 */
export interface JobTicket<R = unknown> {
  jobId: string;
  kind: string;
  /** True when an identical job was already running and this start joined it. */
  joined: boolean;
  readonly __result?: R;
}

/** The events of the job registry. */
export type JobEvents = {
  'job-started': JobInfo;
  'job-progress': { id: string; kind: string; key: string; progress: JobProgress };
  'job-finished': JobInfo;
};

/** What a running job gets: a signal that fires on cancel and a way to report progress. */
export interface JobContext {
  signal: AbortSignal;
  progress(update: Partial<JobProgress>): void;
}

/** How to start a job. */
export interface JobSpec<R> {
  kind: string;
  key?: string;
  title: string;
  /** Default true. */
  cancellable?: boolean;
  run(ctx: JobContext): Promise<R>;
  /** Called once when the job is cancelled, beside aborting the signal (for services with their own cancel). */
  onCancel?: () => void;
}

/** The registry. */
export interface Jobs {
  start<R>(spec: JobSpec<R>): JobTicket<R>;
  /** Running jobs first, then recent finished ones (newest first). */
  list(): JobInfo[];
  get(id: string): JobInfo | null;
  /** Cancels a running job; false when it is not running or cannot be cancelled. */
  cancel(id: string): boolean;
  /** Resolves with the job's result, or rejects with its error (E_CANCELLED when cancelled). */
  wait<R>(ticket: JobTicket<R> | string): Promise<R>;
  /** Cancels every running job and waits for them to settle. */
  close(): Promise<void>;
}

interface Entry {
  info: JobInfo;
  controller: AbortController;
  promise: Promise<unknown>;
  onCancel?: () => void;
  lastEmit: number;
  pendingEmit: ReturnType<typeof setTimeout> | null;
}

/** Options for {@link createJobs}. */
export interface JobsOptions {
  /** Finished jobs kept for listing. */
  keepFinished?: number;
  /** Least time between two progress events of one job. */
  progressIntervalMs?: number;
}

function cancelledError(info: JobInfo): UserError {
  return new UserError(`${info.title} was cancelled`, 'E_CANCELLED');
}

/** Creates a job registry announcing on `events`. */
export function createJobs(events: Emitter<JobEvents>, options: JobsOptions = {}): Jobs {
  const keep = options.keepFinished ?? 50;
  const interval = options.progressIntervalMs ?? 100;
  const entries = new Map<string, Entry>();
  const running = new Map<string, string>(); // kind\0key -> id

  const emitProgress = (e: Entry): void => {
    e.lastEmit = Date.now();
    e.pendingEmit = null;
    if (e.info.state !== 'running') return;
    const { id, kind, key, progress } = e.info;
    events.emit('job-progress', { id, kind, key, progress: { ...progress } });
  };

  const prune = (): void => {
    const finished = [...entries.values()].filter((e) => e.info.state !== 'running');
    for (const e of finished.slice(0, Math.max(0, finished.length - keep))) entries.delete(e.info.id);
  };

  const finish = (e: Entry, state: JobState, result: unknown, thrown: unknown): void => {
    const err = asUserError(thrown);
    if (e.pendingEmit) clearTimeout(e.pendingEmit);
    running.delete(`${e.info.kind}\0${e.info.key}`);
    e.info.state = state;
    e.info.finishedAt = Date.now();
    e.info.result = state === 'done' ? (result ?? null) : null;
    if (state === 'failed') e.info.error = { message: errorMessage(err), code: err instanceof UserError ? err.code : 'E_INTERNAL' };
    if (state === 'cancelled') e.info.error = { message: cancelledError(e.info).message, code: 'E_CANCELLED' };
    events.emit('job-finished', { ...e.info });
    prune();
  };

  const start = <R>(spec: JobSpec<R>): JobTicket<R> => {
    const key = spec.key ?? '';
    const same = running.get(`${spec.kind}\0${key}`);
    if (same) return { jobId: same, kind: spec.kind, joined: true };
    const info: JobInfo = {
      id: randomUUID(),
      kind: spec.kind,
      key,
      title: spec.title,
      state: 'running',
      progress: { done: 0, total: null, message: null },
      cancellable: spec.cancellable ?? true,
      startedAt: Date.now(),
      finishedAt: null,
      error: null,
      result: null,
    };
    const controller = new AbortController();
    const entry: Entry = { info, controller, promise: Promise.resolve(), onCancel: spec.onCancel, lastEmit: 0, pendingEmit: null };
    entries.set(info.id, entry);
    running.set(`${spec.kind}\0${key}`, info.id);
    events.emit('job-started', { ...info });
    const ctx: JobContext = {
      signal: controller.signal,
      progress(update) {
        Object.assign(info.progress, update);
        const wait = interval - (Date.now() - entry.lastEmit);
        if (wait <= 0) emitProgress(entry);
        else entry.pendingEmit ??= setTimeout(() => emitProgress(entry), wait);
      },
    };
    entry.promise = (async () => spec.run(ctx))().then(
      (result) => {
        finish(entry, controller.signal.aborted ? 'cancelled' : 'done', result, null);
        if (controller.signal.aborted) throw cancelledError(info);
        return result;
      },
      (err: unknown) => {
        finish(entry, controller.signal.aborted ? 'cancelled' : 'failed', null, err);
        throw controller.signal.aborted ? cancelledError(info) : err;
      },
    );
    // Waiters attach their own handlers; this keeps an unobserved failure from being an unhandled rejection.
    entry.promise.catch(() => {});
    return { jobId: info.id, kind: spec.kind, joined: false };
  };

  const cancel = (id: string): boolean => {
    const e = entries.get(id);
    if (!e || e.info.state !== 'running' || !e.info.cancellable || e.controller.signal.aborted) return false;
    e.controller.abort(cancelledError(e.info));
    e.onCancel?.();
    return true;
  };

  return {
    start,
    list() {
      const all = [...entries.values()].map((e) => ({ ...e.info, progress: { ...e.info.progress } }));
      const live = all.filter((j) => j.state === 'running');
      const done = all.filter((j) => j.state !== 'running').reverse();
      return [...live, ...done];
    },
    get(id) {
      const e = entries.get(id);
      return e ? { ...e.info, progress: { ...e.info.progress } } : null;
    },
    cancel,
    async wait<R>(ticket: JobTicket<R> | string): Promise<R> {
      const id = typeof ticket === 'string' ? ticket : ticket.jobId;
      const e = entries.get(id);
      if (!e) throw new UserError(`No job ${id}: it finished long ago or never existed`, 'E_NOT_FOUND');
      return (await e.promise) as R;
    },
    async close() {
      const live = [...entries.values()].filter((e) => e.info.state === 'running');
      for (const e of live) cancel(e.info.id);
      await Promise.allSettled(live.map((e) => e.promise));
    },
  };
}

/** True when `value` looks like a {@link JobTicket} (clients decide whether to wait for a job). */
export function isJobTicket(value: unknown): value is JobTicket {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as JobTicket).jobId === 'string' &&
    typeof (value as JobTicket).kind === 'string'
  );
}
