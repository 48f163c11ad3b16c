/**
 * Decoding and resampling in worker threads, so the core's event loop (IPC, the page's requests) stays
 * free while a library is analysed: a decode is tens to hundreds of milliseconds of synchronous WASM and
 * filter work per track. The samples come back as transferred ArrayBuffers.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { decodeSegments, type DecodeSegmentsOptions, type DecodedSegments } from './decode.js';
import type { SegmentSpec } from './segments.js';
import { findWorkerEntry, startWorker, workerCount, type WorkerEntry } from '../kernel/worker-boot.js';

/** What a decode needs besides the file and its windows (the signal stays on the caller's side). */
export type DecodeJobOptions = Omit<DecodeSegmentsOptions, 'signal'>;

/** A message to a decode worker: decode one file's windows (decode-worker.ts). */
export interface DecodeRequest {
  id: number;
  path: string;
  specs: SegmentSpec[];
  options: DecodeJobOptions;
}

/**
 * A decode worker's message: it has loaded; a decode's result (and the worker thread's CPU milliseconds for
 * it, where known); or the error decodeSegments threw (message and errno code).
 */
export type DecodeReply =
  { ready: true } | { id: number; result: DecodedSegments; cpuMs?: number } | { id: number; error: string; code?: string };

/**
 * Decodes answered by workers and in the calling thread so far, and the CPU milliseconds the workers'
 * threads spent on their results (null until a worker has told it: Linux only, kernel/thread-cpu.ts).
 */
export interface DecodeStats {
  inWorkers: number;
  inThread: number;
  workerCpuMs: number | null;
}

/** Decodes files' windows, in worker threads where they could start, else in the calling thread. */
export interface DecodePool {
  /** Worker threads running (0: decoding in the calling thread). */
  readonly workers: number;
  /** Same result as decodeSegments(path, specs, options): computed by the least busy worker, or here. */
  decode(path: string, specs: SegmentSpec[], options: DecodeJobOptions, signal?: AbortSignal): Promise<DecodedSegments>;
  /** Resolves once every worker has loaded or failed. */
  readonly settled: Promise<void>;
  readonly stats: Readonly<DecodeStats>;
  /** Stops the workers; decodes still in flight reject. */
  close(): Promise<void>;
}

/** More decode workers than this cannot be fed: the analysis keeps at most a few tracks ahead of the encoder. */
const MAX_DECODE_WORKERS = 4;

/**
 * How many decode workers the analysis uses by default: one, and two from four cores up (the analysis
 * decodes at most three tracks at a time, and the encoder wants the cores). Measured on the 2-core machine
 * with tests/support/analysis-latency.ts (full-length MP3, FLAC, Opus, Vorbis and AAC files, quick policy,
 * the inference worker on, other jobs sharing the machine): with a MERT-size pack, one worker gave
 * 0.64-0.67 segments/s and a p99 request latency of 24-88 ms, two workers 0.37-0.66 segments/s (no
 * better: the encoder needs both cores), decoding in the core's thread 0.40-0.41 segments/s and a p99 of
 * 430-500 ms (the AAC file decodes in one synchronous call); with the tiny pack (decoding is then all the
 * work) two workers finished 15-20 % sooner than one. MOODSHELF_DECODE_WORKERS overrides it (0 decodes in
 * the core's own thread).
 */
export function defaultDecodeWorkers(): number {
  return workerCount('MOODSHELF_DECODE_WORKERS', availableParallelism() >= 4 ? 2 : 1, MAX_DECODE_WORKERS);
}

interface Pending {
  resolve: (r: DecodedSegments) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  ready: boolean;
  alive: boolean;
}

/** Options of {@link createDecodePool}. */
export interface DecodePoolOptions {
  /** A JavaScript worker entry to start instead of decode-worker (the tests start one that cannot start). */
  workerFile?: string;
}

/** An error from a worker, with the errno code of the original (ENOENT, EACCES) when it had one. */
function workerError(message: string, code?: string): Error {
  const err = new Error(message) as Error & { code?: string };
  if (code) err.code = code;
  return err;
}

/**
 * Starts `size` decode workers (see {@link defaultDecodeWorkers}). It never throws: when none can start
 * (or all have died), decodes run in the calling thread and why is logged. A decode waits for the workers
 * to load rather than blocking this thread meanwhile. A worker that dies fails the decodes it held (their
 * tracks get a reason) and is replaced, a few times at most.
 */
export function createDecodePool(size: number, log: Logger, options: DecodePoolOptions = {}): DecodePool {
  const slots: Slot[] = [];
  const stats: DecodeStats = { inWorkers: 0, inThread: 0, workerCpuMs: null };
  let nextId = 1;
  let closing = false;
  let restarts = 0;
  let settle = (): void => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const checkSettled = (): void => {
    if (slots.every((s) => s.ready || !s.alive)) settle();
  };
  const here = (path: string, specs: SegmentSpec[], opts: DecodeJobOptions, signal?: AbortSignal): Promise<DecodedSegments> => {
    stats.inThread += 1;
    return decodeSegments(path, specs, { ...opts, signal });
  };
  const refresh = (slot: Slot): void => {
    // An idle worker never keeps the process alive; a loading or busy one does (a decode awaits it).
    if (slot.pending.size > 0 || !slot.ready) slot.worker.ref();
    else slot.worker.unref();
  };

  const entry: WorkerEntry | string =
    size <= 0
      ? 'no workers asked for'
      : options.workerFile
        ? { kind: 'built', file: options.workerFile }
        : findWorkerEntry(import.meta.url, 'decode-worker');

  const spawn = (): boolean => {
    if (typeof entry === 'string') return false;
    let worker: Worker;
    try {
      worker = startWorker(entry);
    } catch (err) {
      log.warn('a decode worker could not be created; decoding in this thread', { reason: errorMessage(err) });
      return false;
    }
    const slot: Slot = { worker, pending: new Map(), ready: false, alive: true };
    const die = (reason: string): void => {
      if (!slot.alive) return;
      slot.alive = false;
      const orphans = [...slot.pending.values()];
      slot.pending.clear();
      for (const p of orphans) p.reject(new Error(closing ? 'the decode pool was closed' : `the audio decoder stopped: ${reason}`));
      checkSettled();
      if (closing) return;
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      if (restarts < 3) {
        restarts += 1;
        log.warn('a decode worker stopped; starting another', { reason });
        spawn();
      } else if (!slots.some((s) => s.alive)) {
        log.warn('decode workers keep stopping; decoding in this thread', { reason });
      }
    };
    worker.on('message', (reply: DecodeReply) => {
      if ('ready' in reply) {
        slot.ready = true;
        refresh(slot);
        checkSettled();
        return;
      }
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      refresh(slot);
      stats.inWorkers += 1;
      if ('error' in reply) p.reject(workerError(reply.error, reply.code));
      else {
        if (reply.cpuMs !== undefined) stats.workerCpuMs = (stats.workerCpuMs ?? 0) + reply.cpuMs;
        p.resolve(reply.result);
      }
    });
    worker.on('error', (err) => die(`a decode worker failed: ${errorMessage(err)}`));
    worker.on('exit', (code) => die(`a decode worker exited with code ${code}`));
    slots.push(slot);
    return true;
  };

  if (typeof entry === 'string') {
    if (size > 0) log.warn('decode workers unavailable; decoding in this thread', { reason: entry });
  } else {
    for (let i = 0; i < size; i++) if (!spawn()) break;
    if (slots.length > 0) log.debug('decode workers starting', { workers: slots.length, entry: entry.kind });
  }
  checkSettled();

  const pick = (): Slot | undefined => {
    let best: Slot | undefined;
    for (const s of slots) if (s.alive && s.ready && (!best || s.pending.size < best.pending.size)) best = s;
    return best;
  };

  return {
    get workers() {
      return slots.filter((s) => s.alive).length;
    },
    settled,
    stats,
    async decode(path, specs, opts, signal) {
      if (closing) throw new Error('the decode pool was closed');
      if (!pick() && slots.some((s) => s.alive)) await settled;
      signal?.throwIfAborted();
      const slot = pick();
      if (!slot) return here(path, specs, opts, signal);
      const id = nextId++;
      return new Promise<DecodedSegments>((resolve, reject) => {
        const onAbort = (): void => {
          if (!slot.pending.delete(id)) return;
          refresh(slot);
          slot.worker.postMessage({ abort: id });
          reject(new Error('cancelled'));
        };
        slot.pending.set(id, {
          resolve: (r) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(r);
          },
          reject: (err) => {
            signal?.removeEventListener('abort', onAbort);
            reject(err);
          },
        });
        refresh(slot);
        signal?.addEventListener('abort', onAbort, { once: true });
        slot.worker.postMessage({ id, path, specs, options: opts } satisfies DecodeRequest);
      });
    },
    async close() {
      closing = true;
      settle();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
