// The page's side of core jobs. Long work (a scan, an install, a file-tag write, an export) answers its
// start with a ticket at once; `runJob` turns that ticket into the job's result, and `JobBook` keeps the
// list of running and recent jobs from `jobs-list` and the job-* events. Plain TypeScript with no
// runes, so the unit tests drive it with a fake bridge; jobs.svelte.ts wraps it for the views.
import type { CoreEvents, JobInfo, JobTicket } from '../../../core/contract.js';
import { getBridge, type Bridge } from './bridge.js';

/** What a job's end looks like to a waiter: the finished job's info. */
type Finished = CoreEvents['job-finished'];

/** The result type a ticket carries. */
export type TicketResult<T> = T extends JobTicket<infer R> ? R : never;

/** A job that failed or was cancelled; `code` is the core's error code (E_CANCELLED when cancelled). */
export class JobError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly job: JobInfo | null,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** True when `err` says a job was cancelled (by a person or by shutdown), which is no failure to report. */
export function isCancelled(err: unknown): boolean {
  return err instanceof JobError && err.code === 'E_CANCELLED';
}

function settled(info: JobInfo): boolean {
  return info.state !== 'running';
}

function outcome<R>(info: JobInfo): R {
  if (info.state === 'done') return info.result as R;
  const error = info.error ?? { message: `${info.title} ${info.state === 'cancelled' ? 'was cancelled' : 'failed'}`, code: 'E_INTERNAL' };
  throw new JobError(error.message, info.state === 'cancelled' ? 'E_CANCELLED' : error.code, info);
}

/** Options for {@link startJob} and {@link runJob}. */
export interface RunJobOptions {
  /** The bridge to use (tests pass a fake); default getBridge(). */
  bridge?: Bridge;
  /** Called with the ticket as soon as it arrives (before the job ends). */
  onTicket?: (ticket: JobTicket) => void;
}

/**
 * Ids of jobs a caller on this page waited for: that caller reports the job's end, so the activity list
 * does not report it again. Kept after the wait (a small, page-lived set) because the end event may
 * reach the list before or after the waiter.
 */
const claimed = new Set<string>();

/** True when a caller on this page waits or waited for job `id` (and reports its end itself). */
export function isClaimed(id: string): boolean {
  return claimed.has(id);
}

/**
 * Waits for the job behind `ticket` (a ticket, or the pending invoke that answers with one) and resolves
 * with its result, or rejects with a {@link JobError} (code E_CANCELLED when cancelled). It subscribes to
 * 'job-finished' before the ticket arrives and then asks `jobs-get`, so a job that ended in between is
 * never missed. A failed start (the invoke itself rejecting) rejects with that error.
 */
export async function runJob<T extends JobTicket<unknown>>(ticket: T | Promise<T>, options: RunJobOptions = {}): Promise<TicketResult<T>> {
  const bridge = options.bridge ?? getBridge();
  // Subscribe first: events for the job may arrive before the invoke's reply does.
  const ended = new Map<string, Finished>();
  let wanted: string | null = null;
  let deliver: ((info: Finished) => void) | null = null;
  const off = bridge.on('job-finished', (info) => {
    if (wanted === null) ended.set(info.id, info);
    else if (info.id === wanted) deliver?.(info);
  });
  try {
    const t = await ticket;
    wanted = t.jobId;
    claimed.add(t.jobId);
    options.onTicket?.(t);
    const early = ended.get(t.jobId);
    ended.clear();
    if (early) return outcome<TicketResult<T>>(early);
    const info = await new Promise<Finished>((resolve, reject) => {
      deliver = resolve;
      // Already over before the subscription saw it (a joined job, or one that ended in a flash)?
      bridge.invoke('jobs-get', { id: t.jobId }).then((now) => {
        if (settled(now)) resolve(now);
      }, reject);
    });
    return outcome<TicketResult<T>>(info);
  } finally {
    off();
  }
}

/** A started job: the ticket (with whatever else the start answered) and the promise of its result. */
export interface StartedJob<T extends JobTicket<unknown>> {
  ticket: T;
  result: Promise<TicketResult<T>>;
}

/**
 * Like {@link runJob}, but resolves as soon as the ticket arrives, with the ticket (some starts answer
 * more than the ticket, e.g. analysis-start's `queued`) and the promise of the result.
 */
export async function startJob<T extends JobTicket<unknown>>(ticket: Promise<T>, options: RunJobOptions = {}): Promise<StartedJob<T>> {
  let got: (t: T) => void = () => {};
  let failed: (err: unknown) => void = () => {};
  const arrived = new Promise<T>((resolve, reject) => {
    got = resolve;
    failed = reject;
  });
  const result = runJob(ticket, {
    ...options,
    onTicket: (t) => {
      got(t as T);
      options.onTicket?.(t);
    },
  });
  // A start that fails before its ticket rejects here; later failures are the result's (rejecting an
  // already resolved promise does nothing).
  result.catch(failed);
  return { ticket: await arrived, result };
}

/** The job-* events, as {@link JobBook.apply} takes them. */
export type JobEvent =
  | { name: 'job-started'; payload: CoreEvents['job-started'] }
  | { name: 'job-progress'; payload: CoreEvents['job-progress'] }
  | { name: 'job-finished'; payload: CoreEvents['job-finished'] };

/**
 * The page's list of jobs: running ones first (oldest first), then recently finished ones (newest
 * first), at most `keep` of those. `reset` takes a `jobs-list` answer, `apply` an event; events seen
 * while the list request was in flight are replayed over it (see {@link JobBook.load}).
 */
export class JobBook {
  #jobs = new Map<string, JobInfo>();
  #pending: JobEvent[] | null = null;

  constructor(readonly keep = 20) {}

  /** Every job known, running first. */
  list(): JobInfo[] {
    const all = [...this.#jobs.values()];
    const running = all.filter((j) => j.state === 'running').sort((a, b) => a.startedAt - b.startedAt);
    const done = all
      .filter((j) => j.state !== 'running')
      .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0))
      .slice(0, this.keep);
    return [...running, ...done];
  }

  /** One job, if known. */
  get(id: string): JobInfo | undefined {
    return this.#jobs.get(id);
  }

  /** Applies one event (buffered while a list request is in flight). */
  apply(event: JobEvent): void {
    if (this.#pending) {
      this.#pending.push(event);
      return;
    }
    this.#applyNow(event);
  }

  /**
   * Loads the list with `fetch` (jobs-list), keeping events that arrive meanwhile and replaying them on
   * top, so a job that ends while the list is on its way is not shown as running forever.
   */
  async load(fetch: () => Promise<JobInfo[]>): Promise<void> {
    this.#pending = [];
    try {
      const list = await fetch();
      this.#jobs = new Map(list.map((j) => [j.id, { ...j, progress: { ...j.progress } }]));
    } finally {
      const pending = this.#pending ?? [];
      this.#pending = null;
      for (const e of pending) this.#applyNow(e);
      this.#prune();
    }
  }

  #applyNow(event: JobEvent): void {
    if (event.name === 'job-progress') {
      const j = this.#jobs.get(event.payload.id);
      if (j && j.state === 'running') this.#jobs.set(j.id, { ...j, progress: { ...event.payload.progress } });
      return;
    }
    const known = this.#jobs.get(event.payload.id);
    // A start never overrides an end seen first (events replayed over a fresher list).
    if (event.name === 'job-started' && known && known.state !== 'running') return;
    this.#jobs.set(event.payload.id, { ...event.payload, progress: { ...event.payload.progress } });
    if (event.name === 'job-finished') this.#prune();
  }

  #prune(): void {
    const done = [...this.#jobs.values()].filter((j) => j.state !== 'running').sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0));
    for (const j of done.slice(this.keep)) this.#jobs.delete(j.id);
  }
}

/** How far a job is, 0 to 1, or null when its total is unknown. */
export function jobFraction(info: Pick<JobInfo, 'progress'>): number | null {
  const { done, total } = info.progress;
  if (total === null || total <= 0) return null;
  return Math.max(0, Math.min(1, done / total));
}
