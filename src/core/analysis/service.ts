import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../kernel/database.js';
import type { Emitter } from '../kernel/events.js';
import type { AnalysisEvents } from './events.js';
import type { DecodedSegments } from '../audio/decode.js';
import { createDecodePool, defaultDecodeWorkers, type DecodePool } from '../audio/decode-pool.js';
import { createEmbedder, defaultInferenceWorker, type Embedder } from './inference.js';
import { DEFAULT_POLICY, planSegments, type SegmentPolicy, type SegmentSpec } from '../audio/segments.js';
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
 * How far the decoding runs ahead of the encoder: at most this many tracks claimed beyond the one being
 * embedded, and no new one once this many segments wait (a full-policy track holds one per 10 s).
 */
const AHEAD_TRACKS = 2;
const AHEAD_SEGMENTS = 64;

/** What the audio side made of one claimed track, ready for the encoder. */
type Prepared =
  /** The track cannot be analysed (gone from the library, unreadable at the last scan). */
  | { kind: 'unreadable'; reason: string }
  | {
      kind: 'decoded';
      /** The model settings the windows were planned and decoded for (checked again before embedding). */
      plannedFor: string;
      todo: SegmentSpec[];
      decoded: DecodedSegments;
    }
  | { kind: 'failed'; err: unknown };

/** A claimed queue row and its decode in flight. */
interface Claimed {
  trackId: number;
  policy: string;
  title: string | null;
  /** Segments this track will add (for the AHEAD_SEGMENTS bound). */
  segments: number;
  prepared: Promise<Prepared>;
  /** Stops this track's decode when the run drops it (pause, cancel, close). */
  abort: AbortController;
  /** Stops the renewal and detaches from the run's signal. */
  release(): void;
}

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
  /**
   * Where the pipeline runs: decode worker threads running, decodes answered by them and in this thread so
   * far, and whether the last embedding ran in the inference worker.
   */
  pipeline(): AnalysisPipelineInfo;
  close(): Promise<void>;
}

/** See AnalysisService.pipeline. */
export interface AnalysisPipelineInfo {
  decodeWorkers: number;
  decodedInWorkers: number;
  decodedInThread: number;
  encoderInWorker: boolean;
  /**
   * Since the service started: milliseconds the encoder spent embedding tracks, and milliseconds the queue
   * waited for a track's decode before it could embed (the encoder idle for want of audio). Together they
   * tell a decode-bound pipeline from an encoder slowed by sharing the cores.
   */
  embedMs: number;
  decodeWaitMs: number;
  /** CPU milliseconds the decode workers' threads spent on decodes since the service started (null: unknown, see DecodePool.stats). */
  decodeCpuMs: number | null;
}

/** Creates the analysis service. `autoResume` starts a queue left over from a previous run. */
export function createAnalysisService(
  db: Db,
  events: Emitter<AnalysisEvents>,
  log: Logger,
  models: ModelService,
  options: {
    autoResume?: boolean;
    defaultPolicy?: () => string;
    /** Decode worker threads (default: defaultDecodeWorkers(), MOODSHELF_DECODE_WORKERS; 0 decodes in this thread). */
    decodeWorkers?: number;
    /** Embed in a worker thread (default: defaultInferenceWorker(), MOODSHELF_INFERENCE_WORKER; false: this thread). */
    inferenceWorker?: boolean;
  } = {},
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
  /** See AnalysisPipelineInfo.embedMs and decodeWaitMs. */
  const timing = { embedMs: 0, decodeWaitMs: 0 };
  /** Started with the first run and kept until close (a worker's start-up costs a fraction of a second). */
  let pool: DecodePool | null = null;
  const decodePool = (): DecodePool => (pool ??= createDecodePool(options.decodeWorkers ?? defaultDecodeWorkers(), log.child('decode')));
  /** The encoder, in a worker thread of its own (inference.ts); started with the first embedding. */
  let embedderInstance: Embedder | null = null;
  const embedder = (): Embedder =>
    (embedderInstance ??= createEmbedder(models, log.child('inference'), { worker: options.inferenceWorker ?? defaultInferenceWorker() }));
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
      // A paused (or idle) queue has no time left to tell: the estimate returns when it runs again.
      etaSeconds: state !== 'running' || perTrack === null ? null : Math.round(perTrack * queued),
    };
  };

  /** The model settings a track's windows depend on. */
  const audioSettings = (): { key: string; audio: ReturnType<ModelService['active']>['manifest']['audio'] } => {
    const { pack, manifest } = models.active();
    const a = manifest.audio;
    return { key: `${pack.key}|${a.sampleRate}|${a.segmentSeconds}|${a.hopSeconds}`, audio: a };
  };

  /** Plans a track's missing windows and decodes them (in a decode worker), never rejecting. */
  const prepare = async (key: string, trackId: number, policy: string, signal: AbortSignal): Promise<Prepared> => {
    try {
      const track = getTrack(db, trackId);
      if (!track || track.status !== 'ok') {
        return {
          kind: 'unreadable',
          reason: track ? `The file could not be read: ${track.error ?? track.status}` : 'The track is no longer in the library',
        };
      }
      const settings = audioSettings();
      const a = settings.audio;
      const plan = planSegments(track.duration ?? 0, parsePolicy(policy), a.segmentSeconds, a.hopSeconds);
      const have = storedSegmentIndexes(db, trackId, key);
      const todo = plan.filter((s) => !have.has(s.index));
      const decoded: DecodedSegments = todo.length
        ? await decodePool().decode(
            track.path,
            todo,
            { targetRate: a.sampleRate, segmentSeconds: a.segmentSeconds, duration: track.duration ?? undefined },
            signal,
          )
        : { sampleRate: a.sampleRate, sourceRate: a.sampleRate, segments: [], method: 'pcm', decodedSamples: 0 };
      return { kind: 'decoded', plannedFor: settings.key, todo, decoded };
    } catch (err) {
      return { kind: 'failed', err };
    }
  };

  /** Claims the next queue row (not one this run already holds) and starts its decode, or returns null. */
  const claim = (key: string, skip: Set<number>, held: Claimed[], runSignal: AbortSignal): Claimed | null => {
    const item = claimNext(db, key, leaseOwner, LEASE_MS, new Set([...skip, ...held.map((h) => h.trackId)]), leaseOwnerAlive);
    if (!item) return null;
    const track = getTrack(db, item.trackId);
    let segments = 1;
    try {
      const a = audioSettings().audio;
      segments = planSegments(track?.duration ?? 0, parsePolicy(item.policy), a.segmentSeconds, a.hopSeconds).length;
    } catch {
      // prepare() reports it.
    }
    const abort = new AbortController();
    const onRunAbort = (): void => abort.abort();
    runSignal.addEventListener('abort', onRunAbort, { once: true });
    const renew = setInterval(() => renewLease(db, key, item.trackId, leaseOwner, LEASE_MS), LEASE_MS / 3);
    return {
      trackId: item.trackId,
      policy: item.policy,
      title: track && track.status === 'ok' ? (track.title ?? track.path) : null,
      segments,
      prepared: prepare(key, item.trackId, item.policy, abort.signal),
      abort,
      release() {
        clearInterval(renew);
        runSignal.removeEventListener('abort', onRunAbort);
      },
    };
  };

  /** Embeds and commits a prepared track (or records why it cannot be analysed). */
  const finishTrack = async (key: string, item: Claimed, signal: AbortSignal): Promise<void> => {
    const waitStart = performance.now();
    let prepared = await item.prepared;
    timing.decodeWaitMs += performance.now() - waitStart;
    if (signal.aborted) return;
    if (prepared.kind === 'unreadable') {
      recordAnalysisFailure(db, item.trackId, key, prepared.reason);
      return;
    }
    if (prepared.kind === 'decoded' && prepared.plannedFor !== audioSettings().key) {
      // The active pack changed while this track waited: plan and decode it again for the new one.
      prepared = await prepare(key, item.trackId, item.policy, signal);
      if (signal.aborted) return;
    }
    if (prepared.kind === 'failed') throw prepared.err;
    if (prepared.kind !== 'decoded') return;
    const { decoded, todo } = prepared;
    // The samples go to the inference worker (transferred): only the windows' specs are used below.
    const embedStart = performance.now();
    const vectors = await embedder().embed(decoded.segments.map((s) => s.samples));
    timing.embedMs += performance.now() - embedStart;
    if (signal.aborted) return;
    commitTrackAnalysis(
      db,
      item.trackId,
      key,
      item.policy,
      decoded.segments.map((s, i) => ({ index: s.spec.index, start: s.spec.start, embedding: vectors[i] as Float32Array })),
    );
    summary.segments += todo.length;
  };

  /**
   * One run of the queue as a pipeline: up to AHEAD_TRACKS claimed tracks are decoded (in decode workers)
   * while the encoder embeds the current one, so it rarely waits for audio and this thread stays free for
   * requests. Tracks finish in claim order; each keeps its lease renewed until it is committed or dropped.
   * A pause, cancel or close drops the tracks claimed ahead (their decodes stop, their leases go back).
   */
  const run = async (): Promise<AnalysisSummary> => {
    const key = activeKey();
    summary = emptySummary(key);
    busyMs = 0;
    const started = Date.now();
    const skip = new Set<number>();
    abort = new AbortController();
    const signal = abort.signal;
    const ahead: Claimed[] = [];
    /** The track being embedded (claimed, not in `ahead` any more). */
    let inHand: Claimed | null = null;
    let drained = false;
    const fill = (): void => {
      while (key && !drained && !signal.aborted && !closed && state === 'running') {
        const waiting = ahead.reduce((n, c) => n + c.segments, 0);
        if (ahead.length >= AHEAD_TRACKS || (ahead.length > 0 && waiting >= AHEAD_SEGMENTS)) return;
        const next = claim(key, skip, inHand ? [inHand, ...ahead] : ahead, signal);
        if (!next) {
          drained = true;
          return;
        }
        ahead.push(next);
      }
    };
    const dropAhead = (): void => {
      for (const c of ahead.splice(0)) {
        c.abort.abort();
        c.release();
      }
      drained = false;
      try {
        releaseLeases(db, leaseOwner);
      } catch (err) {
        log.warn('could not release analysis leases', { err: errorMessage(err) });
      }
    };
    try {
      while (key && !closed) {
        if (state === 'paused') {
          // Give the tracks claimed ahead back to the queue while paused.
          dropAhead();
          progress.push(status());
          progress.flush();
          await new Promise<void>((r) => (resumeWaiter = r));
          continue;
        }
        if (signal.aborted) break;
        // A queue that ran dry may have been given more since (a start during the run).
        if (ahead.length === 0) drained = false;
        fill();
        const item = ahead.shift();
        if (!item) break;
        inHand = item;
        fill();
        const t0 = Date.now();
        const segmentsBefore = summary.segments;
        current = item.title === null ? null : { id: item.trackId, title: item.title };
        try {
          await finishTrack(key, item, signal);
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
          inHand = null;
          item.release();
          const ms = Date.now() - t0;
          busyMs += ms;
          const done = summary.segments - segmentsBefore;
          if (done > 0 && ms > 0)
            segmentsPerSecond = segmentsPerSecond === 0 ? done / (ms / 1000) : 0.7 * segmentsPerSecond + 0.3 * (done / (ms / 1000));
          current = null;
        }
        progress.push(status());
      }
    } finally {
      for (const c of [...(inHand ? [inHand] : []), ...ahead.splice(0)]) {
        c.abort.abort();
        c.release();
      }
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
    pipeline() {
      return {
        decodeWorkers: pool?.workers ?? 0,
        decodedInWorkers: pool?.stats.inWorkers ?? 0,
        decodedInThread: pool?.stats.inThread ?? 0,
        encoderInWorker: embedderInstance?.inWorker ?? false,
        embedMs: Math.round(timing.embedMs),
        decodeWaitMs: Math.round(timing.decodeWaitMs),
        decodeCpuMs: pool?.stats.workerCpuMs == null ? null : Math.round(pool.stats.workerCpuMs),
      };
    },
    async close() {
      closed = true;
      abort?.abort();
      resumeWaiter?.();
      await loop?.catch(() => undefined);
      await pool?.close();
      await embedderInstance?.close();
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
