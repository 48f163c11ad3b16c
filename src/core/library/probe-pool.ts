import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { errorMessage } from '../kernel/errors.js';
import { findWorkerEntry, startWorker, workerCount, type WorkerEntry } from '../kernel/worker-boot.js';
import type { Logger } from '../kernel/logger.js';
import { probeFile, type ProbeResult } from './probe.js';

/** A message to a probe worker: probe one file (probe-worker.ts). */
export interface ProbeRequest {
  id: number;
  path: string;
  size: number;
}

/** A probe worker's message: it has loaded and takes requests; a probe's result; or the error probeFile threw. */
export type ProbeReply = { ready: true } | { id: number; result: ProbeResult } | { id: number; error: string };

/** Probes files, in worker threads where they could start, else in the calling thread. */
export interface ProbePool {
  /** Worker threads started and not failed (0 when probing fell back to the calling thread). */
  readonly workers: number;
  /**
   * Same result as probeFile(path, size): computed by the ready worker with the fewest probes in flight,
   * or in the calling thread while no worker is ready yet (so a scan does not wait for workers to load).
   */
  probe(path: string, size: number): Promise<ProbeResult>;
  /** Resolves once every worker has loaded or failed (tests wait for it; a scan never does). */
  readonly settled: Promise<void>;
  /** Probes answered by workers and in the calling thread so far. */
  readonly stats: Readonly<{ inWorkers: number; inThread: number }>;
  /** Stops the workers; probes still in flight reject. */
  close(): Promise<void>;
}

/** More workers than this only add start-up time and memory: the scan's bounded concurrency (8 files) feeds few. */
const MAX_PROBE_WORKERS = 4;

/**
 * How many probe workers a scan uses by default: one per core beyond two (kept for the core's own
 * thread, whose libuv pool does the file reads, and for the rest of the app), at most
 * {@link MAX_PROBE_WORKERS}, so none on a 2-core machine. Measured with bench/scan.ts on 2 cores shared
 * with other jobs: 1, 2 or 3 workers were at best as fast as probing in the core's thread and mostly
 * 5-25 % slower (300 to 5,000 full-length files, page cache cold or warm; 40 % for 300), as no core was idle
 * and each worker pays its own start-up, module loading and compilation (0.4-1.5 s of CPU). Where cores
 * are idle, workers parse several files at once and leave the core's thread to the writes and IPC.
 * MOODSHELF_PROBE_WORKERS overrides it (0 probes in the core's own thread).
 */
export function defaultProbeWorkers(): number {
  return workerCount('MOODSHELF_PROBE_WORKERS', availableParallelism() - 2, MAX_PROBE_WORKERS);
}

interface Pending {
  path: string;
  size: number;
  resolve: (r: ProbeResult) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Loaded: probes go to it from now on. */
  ready: boolean;
  alive: boolean;
}

/** Options of {@link createProbePool}. */
export interface ProbePoolOptions {
  /** A JavaScript worker entry to start instead of probe-worker (the tests start one that cannot start). */
  workerFile?: string;
}

/**
 * Starts `size` probe workers (see {@link defaultProbeWorkers}). It never throws and never loses a probe:
 * until a worker has loaded, and when none can start or a worker dies, probes (a dead worker's too) run
 * in the calling thread with probeFile; why is logged. Each worker runs its share concurrently.
 */
export function createProbePool(size: number, log: Logger, options: ProbePoolOptions = {}): ProbePool {
  const slots: Slot[] = [];
  const stats = { inWorkers: 0, inThread: 0 };
  let nextId = 1;
  let closing = false;
  let warnedStopped = false;
  let settle = (): void => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const checkSettled = (): void => {
    if (slots.every((s) => s.ready || !s.alive)) settle();
  };
  /** Logs why probes move to this thread: once when a worker stops while others run, and when none is left. */
  const fallBack = (reason: string): void => {
    if (closing) return;
    const left = slots.filter((s) => s.alive).length;
    if (left === 0) {
      log.warn('probe workers unavailable; probing in this thread', { reason });
    } else if (!warnedStopped) {
      warnedStopped = true;
      log.warn('a probe worker stopped; the files it held are probed in this thread', { reason, workersLeft: left });
    }
  };
  const probeHere = (path: string, fileSize: number): Promise<ProbeResult> => {
    stats.inThread += 1;
    return probeFile(path, fileSize);
  };

  const entry: WorkerEntry | string =
    size <= 0
      ? 'no workers asked for'
      : options.workerFile
        ? { kind: 'built', file: options.workerFile }
        : findWorkerEntry(import.meta.url, 'probe-worker');
  if (typeof entry === 'string') {
    if (size > 0) fallBack(entry);
  } else {
    for (let i = 0; i < size; i++) {
      let worker: Worker;
      try {
        worker = startWorker(entry);
      } catch (err) {
        fallBack(`a worker thread could not be created: ${errorMessage(err)}`);
        break;
      }
      const slot: Slot = { worker, pending: new Map(), ready: false, alive: true };
      const die = (reason: string): void => {
        if (!slot.alive) return;
        slot.alive = false;
        fallBack(reason);
        checkSettled();
        const orphans = [...slot.pending.values()];
        slot.pending.clear();
        for (const p of orphans) {
          if (closing) p.reject(new Error('the probe pool was closed'));
          else void probeHere(p.path, p.size).then(p.resolve, p.reject);
        }
      };
      worker.on('message', (reply: ProbeReply) => {
        if ('ready' in reply) {
          slot.ready = true;
          checkSettled();
          return;
        }
        const p = slot.pending.get(reply.id);
        if (!p) return;
        slot.pending.delete(reply.id);
        stats.inWorkers += 1;
        if ('error' in reply) p.reject(new Error(reply.error));
        else p.resolve(reply.result);
      });
      worker.on('error', (err) => die(`a probe worker failed: ${errorMessage(err)}`));
      worker.on('exit', (code) => die(`a probe worker exited with code ${code}`));
      slots.push(slot);
    }
    if (slots.length > 0) log.debug('probe workers starting', { workers: slots.length, entry: entry.kind });
  }
  checkSettled();

  return {
    get workers() {
      return slots.filter((s) => s.alive).length;
    },
    settled,
    stats,
    probe(path, fileSize) {
      let best: Slot | undefined;
      for (const s of slots) if (s.alive && s.ready && (!best || s.pending.size < best.pending.size)) best = s;
      if (!best || closing) return probeHere(path, fileSize);
      const slot = best;
      const id = nextId++;
      return new Promise<ProbeResult>((resolve, reject) => {
        slot.pending.set(id, { path, size: fileSize, resolve, reject });
        slot.worker.postMessage({ id, path, size: fileSize } satisfies ProbeRequest);
      });
    },
    async close() {
      closing = true;
      settle();
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
