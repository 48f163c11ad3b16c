import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../kernel/database.js';
import type { Emitter } from '../kernel/events.js';
import type { AnalysisEvents } from './events.js';
import { decodeSegments } from '../audio/decode.js';
import { DEFAULT_POLICY, planSegments, type SegmentPolicy } from '../audio/segments.js';
import type { ModelService } from '../model/service.js';
import { getTrack } from '../tracks/queries.js';
import { UserError, errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { throttle } from '../kernel/throttle.js';
import {
  commitTrackAnalysis,
  enqueueTracks,
  clearQueue,
  claimNext,
  releaseLeases,
  renewLease,
  queueLength,
  recordAnalysisFailure,
  storedSegmentIndexes,
} from './store.js';

/** How long a claimed queue row stays this process's without renewal (renewed every third of it while working). */
const LEASE_MS = 60_000;

/**
 * False when a lease owner (`host:pid:uuid`) is a process on this machine that no longer runs, so a killed
 * app or CLI does not hold its track for the rest of the lease. Owners on other hosts count as alive.
 */
export function leaseOwnerAlive(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the analysis queue is doing, for progress bars and the analysis panel. */
export interface AnalysisProgress {
  state: 'idle' | 'running' | 'paused';
  packKey: string | null;
  /** Tracks finished (analysed or failed) since the queue last started. */
  done: number;
  failed: number;
  queued: number;
  currentTrackId: number | null;
  currentTitle: string | null;
  segmentsPerSecond: number;
  etaSeconds: number | null;
}

/** What one run of the queue did. */
export interface AnalysisSummary {
  packKey: string | null;
  analyzed: number;
  failed: number;
  segments: number;
  durationMs: number;
  cancelled: boolean;
  failures: { trackId: number; path: string; error: string }[];
  /** Why the whole run stopped early (a broken pack), or null. */
  error: string | null;
}

/** The stored form of a policy ("quick:3", "full"). */
export function policyToString(p: SegmentPolicy): string {
  return p.kind === 'full' ? 'full' : `quick:${p.count}`;
}

/** Parses a stored or typed policy ("quick", "quick:5", "full"). */
export function parsePolicy(s: string): SegmentPolicy {
  if (s === 'full') return { kind: 'full' };
  const m = /^quick(?::(\d+))?$/.exec(s);
  if (!m) throw new UserError(`Unknown analysis policy "${s}" (use quick, quick:N or full)`, 'E_INVALID');
  const count = m[1] === undefined ? DEFAULT_POLICY.count : Number(m[1]);
  if (count < 1 || count > 1000) throw new UserError(`quick:N needs 1 <= N <= 1000 (got ${count})`, 'E_INVALID');
  return { kind: 'quick', count };
}

/** Controls the persistent analysis queue. */
export interface AnalysisService {
  /** Queues tracks (default: everything not yet analysed) and starts or continues the queue. */
  start(options?: { policy?: string; trackIds?: number[]; priority?: number }): { queued: number };
  pause(): void;
  resume(): void;
  /** Empties the queue and stops after the track in flight (which is abandoned). */
  cancel(): { cleared: number };
  status(): AnalysisProgress;
  /**
   * Calls `listener` with every progress update (throttled like the `analysis-progress` event), so the
   * analysis job can report progress without the whole event bus. Returns the unsubscribe function.
   */
  watch(listener: (p: AnalysisProgress) => void): () => void;
  /**
   * Resolves when the queue has nothing left to do (or was cancelled), with what the last run did. Waits
   * through a pause, and through a run that starts while the previous one is ending.
   */
  whenIdle(): Promise<AnalysisSummary>;
  close(): Promise<void>;
}

/** Creates the analysis service. `autoResume` starts a queue left over from a previous run. */
export function createAnalysisService(
  db: Db,
  events: Emitter<AnalysisEvents>,
  log: Logger,
  models: ModelService,
  options: { autoResume?: boolean; defaultPolicy?: () => string } = {},
): AnalysisService {
  let state: AnalysisProgress['state'] = 'idle';
  let loop: Promise<AnalysisSummary> | null = null;
  /** This process's name on the queue rows it leases (see claimNext). */
  const leaseOwner = `${hostname()}:${process.pid}:${randomUUID()}`;
  let abort: AbortController | null = null;
  let resumeWaiter: (() => void) | null = null;
  let current: { id: number; title: string } | null = null;
  let summary: AnalysisSummary = emptySummary(null);
  let segmentsPerSecond = 0;
  let busyMs = 0;
  let closed = false;
  const watchers = new Set<(p: AnalysisProgress) => void>();
  const progress = throttle<AnalysisProgress>((p) => {
    events.emit('analysis-progress', p);
    for (const w of watchers) {
      try {
        w(p);
      } catch (err) {
        log.warn('an analysis progress watcher threw', { err: errorMessage(err) });
      }
    }
  }, 250);

  const activeKey = (): string | null => {
    try {
      return models.active().pack.key;
    } catch {
      return null;
    }
  };

  const status = (): AnalysisProgress => {
    const key = activeKey();
    const queued = key ? queueLength(db, key) : 0;
    const done = summary.analyzed + summary.failed;
    const perTrack = done > 0 ? busyMs / done / 1000 : null;
    return {
      state,
      packKey: key,
      done,
      failed: summary.failed,
      queued,
      currentTrackId: current?.id ?? null,
      currentTitle: current?.title ?? null,
      segmentsPerSecond,
      etaSeconds: perTrack === null ? null : Math.round(perTrack * queued),
    };
  };

  const processOne = async (key: string, trackId: number, policy: string, signal: AbortSignal): Promise<void> => {
    const track = getTrack(db, trackId);
    if (!track || track.status !== 'ok') {
      recordAnalysisFailure(
        db,
        trackId,
        key,
        track ? `The file could not be read: ${track.error ?? track.status}` : 'The track is no longer in the library',
      );
      return;
    }
    current = { id: trackId, title: track.title ?? track.path };
    const model = models.activeModel();
    const a = model.manifest.audio;
    const plan = planSegments(track.duration ?? 0, parsePolicy(policy), a.segmentSeconds, a.hopSeconds);
    const have = storedSegmentIndexes(db, trackId, key);
    const todo = plan.filter((s) => !have.has(s.index));
    const t0 = performance.now();
    const decoded = todo.length
      ? await decodeSegments(track.path, todo, {
          targetRate: a.sampleRate,
          segmentSeconds: a.segmentSeconds,
          duration: track.duration ?? undefined,
          signal,
        })
      : { segments: [] };
    if (signal.aborted) return;
    const vectors = await model.embedAudio(decoded.segments.map((s) => s.samples));
    if (signal.aborted) return;
    commitTrackAnalysis(
      db,
      trackId,
      key,
      policy,
      decoded.segments.map((s, i) => ({ index: s.spec.index, start: s.spec.start, embedding: vectors[i] as Float32Array })),
    );
    const secs = (performance.now() - t0) / 1000;
    if (todo.length > 0 && secs > 0)
      segmentsPerSecond = segmentsPerSecond === 0 ? todo.length / secs : 0.7 * segmentsPerSecond + 0.3 * (todo.length / secs);
    summary.segments += todo.length;
  };

  const run = async (): Promise<AnalysisSummary> => {
    const key = activeKey();
    summary = emptySummary(key);
    busyMs = 0;
    const started = Date.now();
    const skip = new Set<number>();
    abort = new AbortController();
    const signal = abort.signal;
    try {
      while (key && !closed) {
        if (state === 'paused') {
          progress.push(status());
          progress.flush();
          await new Promise<void>((r) => (resumeWaiter = r));
          continue;
        }
        if (signal.aborted) break;
        const item = claimNext(db, key, leaseOwner, LEASE_MS, skip, leaseOwnerAlive);
        if (!item) break;
        const t0 = Date.now();
        const renew = setInterval(() => renewLease(db, key, item.trackId, leaseOwner, LEASE_MS), LEASE_MS / 3);
        try {
          await processOne(key, item.trackId, item.policy, signal);
          if (signal.aborted) break;
          const failedNow = db.prepare('SELECT error FROM analysis_failures WHERE track_id = ? AND pack_key = ?').get(item.trackId, key) as
            { error: string } | undefined;
          if (failedNow) noteFailure(item.trackId, failedNow.error);
          else summary.analyzed += 1;
          events.emit('analysis-track-done', { trackId: item.trackId, ok: !failedNow, error: failedNow?.error ?? null });
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof UserError && err.code.startsWith('E_PACK')) {
            // The pack itself is broken: every track would fail the same way, so stop and say why.
            summary.error = err.message;
            log.error('analysis stopped: the model pack failed', { err: err.message });
            break;
          }
          const reason = describeAnalysisError(err);
          recordAnalysisFailure(db, item.trackId, key, reason);
          noteFailure(item.trackId, reason);
          skip.add(item.trackId);
          events.emit('analysis-track-done', { trackId: item.trackId, ok: false, error: reason });
          log.warn('analysis failed for a track', { trackId: item.trackId, reason });
        } finally {
          clearInterval(renew);
          busyMs += Date.now() - t0;
          current = null;
        }
        progress.push(status());
      }
    } finally {
      try {
        releaseLeases(db, leaseOwner);
      } catch (err) {
        log.warn('could not release analysis leases', { err: errorMessage(err) });
      }
      summary.cancelled = signal.aborted;
      summary.durationMs = Date.now() - started;
      state = 'idle';
      current = null;
      abort = null;
      progress.push(status());
      progress.flush();
      events.emit('analysis-finished', summary);
    }
    return summary;
  };

  const noteFailure = (trackId: number, error: string): void => {
    summary.failed += 1;
    const path = getTrack(db, trackId)?.path ?? String(trackId);
    summary.failures.push({ trackId, path, error });
  };

  const ensureRunning = (): void => {
    // A settled run sets state idle before `loop` is cleared: it does not block a new one.
    if ((loop && state !== 'idle') || closed) return;
    state = 'running';
    // The owner of `loop` clears it, once this run has settled (a run with nothing to do settles at once).
    const running = run();
    loop = running;
    running
      .catch((err: unknown) => log.error('analysis stopped', { err: errorMessage(err) }))
      .finally(() => {
        if (loop === running) loop = null;
      });
  };

  const service: AnalysisService = {
    start(opts = {}) {
      const { pack } = models.active();
      const policy = policyToString(parsePolicy(opts.policy ?? options.defaultPolicy?.() ?? policyToString(DEFAULT_POLICY)));
      const queued = enqueueTracks(db, pack.key, policy, opts.trackIds, opts.priority ?? (opts.trackIds ? 10 : 0));
      if (state === 'paused') return { queued };
      ensureRunning();
      return { queued };
    },
    pause() {
      if (state === 'running') state = 'paused';
      progress.push(status());
      progress.flush();
    },
    resume() {
      if (state === 'paused') {
        state = 'running';
        resumeWaiter?.();
        resumeWaiter = null;
      } else if (activeKey() && queueLength(db, activeKey() as string) > 0) {
        ensureRunning();
      }
    },
    cancel() {
      // Closing stops the run but keeps the queue for the next start; a late cancel (the job registry
      // cancelling its jobs at shutdown) must not empty it.
      if (closed) return { cleared: 0 };
      const key = activeKey();
      const cleared = key ? clearQueue(db, key) : 0;
      abort?.abort();
      if (state === 'paused') {
        state = 'running';
        resumeWaiter?.();
        resumeWaiter = null;
      }
      return { cleared };
    },
    status,
    watch(listener) {
      watchers.add(listener);
      return () => watchers.delete(listener);
    },
    async whenIdle() {
      // A run is in progress exactly while the state is not idle (ensureRunning sets both together); a
      // start during the last track of a run begins the next one, so wait until none is left.
      let last: AnalysisSummary = { ...summary };
      while (state !== 'idle' && loop) last = await loop;
      return last;
    },
    async close() {
      closed = true;
      abort?.abort();
      resumeWaiter?.();
      await loop?.catch(() => undefined);
    },
  };
  if (options.autoResume) {
    const key = activeKey();
    if (key && queueLength(db, key) > 0) ensureRunning();
  }
  return service;
}

function emptySummary(packKey: string | null): AnalysisSummary {
  return { packKey, analyzed: 0, failed: 0, segments: 0, durationMs: 0, cancelled: false, failures: [], error: null };
}

/** A reason a person understands for a track the analysis could not process. */
export function describeAnalysisError(err: unknown): string {
  const msg = errorMessage(err);
  if (/ENOENT/.test(msg)) return 'The file is no longer on disk';
  if (/EACCES|EPERM/.test(msg)) return 'Permission denied: Moodshelf cannot read this file';
  if (/no audio could be decoded|Unknown audio format|No audio track/i.test(msg)) return `The audio could not be decoded (${msg})`;
  return `Analysis failed: ${msg}`;
}
