/**
 * The analysis's encoder off the core's event loop. ONNX Runtime's run() is synchronous on the calling
 * thread (onnxruntime-node wraps it in a setImmediate): on the core's thread every batch would hold IPC for
 * its whole duration (seconds with a MERT-size pack). So the analysis embeds in worker threads that each
 * load the active pack on a ModelRuntime of their own, with the core's batch settings; the segments go
 * there and the vectors come back as transferred buffers.
 *
 * Encoder lanes: a pack whose audio encoder is small enough runs in several workers at once (one track
 * each, the intra-op threads shared out among them) rather than in one worker whose session spreads every
 * operator over all cores (see {@link encoderLanes}).
 *
 * The core's own model (models.activeModel()) stays what label text, feature export and pack checks use.
 * When a worker cannot start or cannot run the model at all, embedding falls back to the core's thread
 * (the behaviour before the workers), saying why. A broken pack fails the same way in both (a UserError
 * with its E_PACK code), so the analysis stops as before.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { UserError, errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { PackManifest } from '../model/manifest.js';
import type { ModelService } from '../model/service.js';
import type { InstalledPack } from '../model/pack-store.js';
import { findWorkerEntry, startWorker, workerCount, type WorkerEntry } from '../kernel/worker-boot.js';
import { denormalsAsZero } from '../model/runtime.js';

/** A message to the inference worker: load a pack (once per pack and thread count), or embed segments with it. */
export type InferenceRequest =
  | { id: number; load: { key: string; dir: string; manifest: PackManifest; threads: number; batchSize: number; spinning: boolean } }
  | { id: number; segments: Float32Array[] };

/** The worker's message: loaded; a pack loaded; vectors; or the error (name and code kept: UserError, E_PACK...). */
export type InferenceReply =
  | { ready: true }
  | { id: number; loaded: string }
  | { id: number; vectors: Float32Array[] }
  | { id: number; error: string; name: string; code?: string };

/** Embeds analysis segments with the active pack. */
export interface Embedder {
  embed(segments: Float32Array[]): Promise<Float32Array[]>;
  /** Whether the last embedding ran in a worker. */
  readonly inWorker: boolean;
  /** How many embed() calls run at once for the active pack (the analysis keeps that many tracks in hand). */
  lanes(): number;
  close(): Promise<void>;
}

/** Whether the analysis embeds in a worker thread: MOODSHELF_INFERENCE_WORKER=0 keeps it on the core's thread. */
export function defaultInferenceWorker(): boolean {
  return process.env.MOODSHELF_INFERENCE_WORKER?.trim() !== '0';
}

/**
 * Above this size an audio encoder gets one lane: each lane holds its own session, weights and arena (the
 * MERT-size encoder, 377 MB on disk: 0.87 GB resident for one session after a run, 1.58 GB for two).
 */
export const LANE_ENCODER_BYTES = 256 * 1024 * 1024;
const MAX_LANES = 4;

/**
 * Encoder lanes for an audio encoder of `encoderBytes` on `cores` cores (MOODSHELF_ENCODER_LANES overrides):
 * two where there are two cores or more and the encoder is small, else one. Measured on the 2-core machine,
 * the session alone with the app's settings (bench:analyze's yardstick measures both ways): CLAP's HTSAT
 * tower (109 MB) took 97-99 ms per segment in one session on two threads (1.7 cores busy: its small
 * operators leave a thread waiting at every parallel section) and 75 ms in two one-thread sessions side by
 * side. A decode that takes a core from a two-thread session stalls both its threads at each parallel
 * section; beside two lanes it slows only the lane it interrupts. The MERT-size encoder gains 5-10 % from two
 * lanes, for 0.7 GB more memory: it keeps one.
 */
export function encoderLanes(encoderBytes: number, cores = availableParallelism()): number {
  const fallback = cores >= 2 && encoderBytes > 0 && encoderBytes <= LANE_ENCODER_BYTES ? 2 : 1;
  return Math.max(1, workerCount('MOODSHELF_ENCODER_LANES', fallback, MAX_LANES));
}

/**
 * ONNX Runtime intra-op threads of each of `lanes` encoder sessions: the runtime's `threads` (0: ONNX
 * Runtime's own choice, one per core) shared out among them; one lane keeps the runtime's setting.
 */
export function laneThreads(threads: number, lanes: number, cores = availableParallelism()): number {
  return lanes > 1 ? Math.max(1, Math.floor((threads || cores) / lanes)) : threads;
}

/** The size of a pack's audio encoder file (0 when it cannot be read: one lane). */
function encoderBytes(pack: Pick<InstalledPack, 'path'>, manifest: PackManifest): number {
  try {
    return statSync(join(pack.path, manifest.audio.encoder)).size;
  } catch {
    return 0;
  }
}

function toError(reply: { error: string; name: string; code?: string }): Error {
  if (reply.name === 'UserError') return new UserError(reply.error, reply.code);
  const err = new Error(reply.error) as Error & { code?: string };
  if (reply.code) err.code = reply.code;
  return err;
}

/** Options of {@link createEmbedder}. */
export interface EmbedderOptions {
  /** False: always embed in this thread. */
  worker: boolean;
  /** A JavaScript worker entry to start instead of inference-worker (tests). */
  workerFile?: string;
  /** Encoder lanes for every pack (default: {@link encoderLanes} of the pack's encoder). */
  lanes?: number;
}

/** One inference worker: started with its first embedding, restarted when it dies. */
interface Lane {
  worker: Worker | null;
  loadedKey: string | null;
  busy: boolean;
  starting: Promise<void> | null;
  pending: Map<number, { resolve: (r: InferenceReply) => void; reject: (err: Error) => void }>;
}

/** Creates the embedder; a lane's worker starts with the first embedding it is given. */
export function createEmbedder(
  models: Pick<ModelService, 'active' | 'activeModel' | 'runtime'>,
  log: Logger,
  options: EmbedderOptions,
): Embedder {
  const lanes: Lane[] = [];
  /** Why embedding runs in this thread for good (null while the workers may be used). */
  let disabled: string | null = options.worker ? null : 'off';
  let inWorker = false;
  let nextId = 1;
  let restarts = 0;
  const laneCounts = new Map<string, number>();
  const waiting: (() => void)[] = [];

  const inThread = (segments: Float32Array[]): Promise<Float32Array[]> => {
    inWorker = false;
    return models.activeModel().embedAudio(segments);
  };

  const stopUsing = (reason: string): void => {
    if (disabled === null) log.warn('the analysis embeds in the core thread', { reason });
    disabled = reason;
  };

  const laneCount = (): number => {
    if (disabled !== null) return 1;
    const { pack, manifest } = models.active();
    let n = laneCounts.get(pack.key);
    if (n === undefined) {
      n = options.lanes ?? encoderLanes(encoderBytes(pack, manifest));
      laneCounts.set(pack.key, n);
    }
    return n;
  };

  const launch = (lane: Lane): Promise<void> => {
    const entry: WorkerEntry | string = options.workerFile
      ? { kind: 'built', file: options.workerFile }
      : findWorkerEntry(import.meta.url, 'inference-worker');
    if (typeof entry === 'string') throw new Error(entry);
    const w = startWorker(entry);
    lane.worker = w;
    lane.loadedKey = null;
    return new Promise<void>((resolve, reject) => {
      const die = (reason: string): void => {
        if (lane.worker !== w) return;
        lane.worker = null;
        lane.loadedKey = null;
        reject(new Error(reason));
        for (const p of lane.pending.values()) p.reject(new Error(`the analysis encoder stopped: ${reason}`));
        lane.pending.clear();
      };
      w.on('message', (reply: InferenceReply) => {
        if ('ready' in reply) {
          if (lane.pending.size === 0) w.unref();
          resolve();
          return;
        }
        const p = lane.pending.get(reply.id);
        if (!p) return;
        lane.pending.delete(reply.id);
        if (lane.pending.size === 0) w.unref();
        p.resolve(reply);
      });
      w.on('error', (err) => die(`the inference worker failed: ${errorMessage(err)}`));
      w.on('exit', (code) => die(`the inference worker exited with code ${code}`));
    });
  };

  /** The start in progress: callers meanwhile wait for it rather than start a second worker. */
  const start = (lane: Lane): Promise<void> =>
    (lane.starting ??= denormalsAsZero()
      // The worker inherits this thread's floating-point mode: the audio encoder's denormals count as zero.
      .then(() => launch(lane))
      .finally(() => {
        lane.starting = null;
      }));

  const request = (lane: Lane, w: Worker, message: InferenceRequest, transfer: ArrayBuffer[] = []): Promise<InferenceReply> =>
    new Promise((resolve, reject) => {
      lane.pending.set(message.id, { resolve, reject });
      w.ref();
      w.postMessage(message, transfer);
    });

  /** A free lane among the first `n` (waiting for one when all are busy), marked busy. */
  const acquire = async (n: number): Promise<Lane> => {
    while (lanes.length < n) lanes.push({ worker: null, loadedKey: null, busy: false, starting: null, pending: new Map() });
    for (;;) {
      const lane = lanes.slice(0, n).find((l) => !l.busy);
      if (lane) {
        lane.busy = true;
        return lane;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const release = (lane: Lane): void => {
    lane.busy = false;
    waiting.shift()?.();
  };

  /** Embeds on one lane: starts its worker and loads the pack there first where needed; null: use this thread. */
  const embedOn = async (lane: Lane, n: number, segments: Float32Array[]): Promise<Float32Array[] | null> => {
    const { pack, manifest } = models.active();
    if (!lane.worker) {
      // The first start, or a restart after the worker died (a few at most per lane).
      if (restarts >= 4 * n) stopUsing('the inference worker kept stopping');
      restarts += 1;
      try {
        if (disabled === null) await start(lane);
      } catch (err) {
        stopUsing(errorMessage(err));
      }
      if (disabled !== null) return null;
    }
    const w = lane.worker;
    if (!w) return null;
    const { batchSize, spinning } = models.runtime;
    const threads = laneThreads(models.runtime.threads, n);
    const key = `${pack.key}#${threads}`;
    if (lane.loadedKey !== key) {
      const load = { key, dir: pack.path, manifest, threads, batchSize, spinning };
      const reply = await request(lane, w, { id: nextId++, load });
      if ('error' in reply) {
        const err = toError(reply);
        // A broken pack fails here as it would in this thread; anything else is the worker's problem.
        if (err instanceof UserError) throw err;
        stopUsing(`the model could not be loaded in a worker thread: ${err.message}`);
        return null;
      }
      lane.loadedKey = key;
    }
    const transfer = [...new Set(segments.map((s) => s.buffer as ArrayBuffer))];
    const reply = await request(lane, w, { id: nextId++, segments }, transfer);
    if ('error' in reply) throw toError(reply);
    if (!('vectors' in reply)) throw new Error('the inference worker answered out of turn');
    inWorker = true;
    return reply.vectors;
  };

  return {
    get inWorker() {
      return inWorker;
    },
    lanes: laneCount,
    async embed(segments) {
      if (disabled !== null || segments.length === 0) return inThread(segments);
      const n = laneCount();
      const lane = await acquire(n);
      try {
        return (await embedOn(lane, n, segments)) ?? (await inThread(segments));
      } finally {
        release(lane);
      }
    },
    async close() {
      const ws = lanes.map((l) => l.worker);
      for (const l of lanes) l.worker = null;
      await Promise.all(ws.map((w) => w?.terminate()));
    },
  };
}
