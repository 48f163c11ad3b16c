/**
 * The analysis's encoder off the core's event loop. ONNX Runtime's run() is synchronous on the calling
 * thread (onnxruntime-node wraps it in a setImmediate): on the core's thread every batch would hold IPC for
 * its whole duration (seconds with a MERT-size pack). So the analysis embeds in one worker thread that
 * loads the active pack on a ModelRuntime of its own, with the core's thread and batch settings; the
 * segments go there and the vectors come back as transferred buffers.
 *
 * The core's own model (models.activeModel()) stays what label text, feature export and pack checks use.
 * When the worker cannot start or cannot run the model at all, embedding falls back to the core's thread
 * (the behaviour before the worker), saying why. A broken pack fails the same way in both (a UserError
 * with its E_PACK code), so the analysis stops as before.
 */
import type { Worker } from 'node:worker_threads';
import { UserError, errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { PackManifest } from '../model/manifest.js';
import type { ModelService } from '../model/service.js';
import { findWorkerEntry, startWorker, type WorkerEntry } from '../kernel/worker-boot.js';
import { denormalsAsZero } from '../model/runtime.js';

/** A message to the inference worker: load a pack (once per pack), or embed segments with it. */
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
  /** Whether the last embedding ran in the worker. */
  readonly inWorker: boolean;
  close(): Promise<void>;
}

/** Whether the analysis embeds in a worker thread: MOODSHELF_INFERENCE_WORKER=0 keeps it on the core's thread. */
export function defaultInferenceWorker(): boolean {
  return process.env.MOODSHELF_INFERENCE_WORKER?.trim() !== '0';
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
}

/** Creates the embedder; the worker starts with the first embedding. */
export function createEmbedder(
  models: Pick<ModelService, 'active' | 'activeModel' | 'runtime'>,
  log: Logger,
  options: EmbedderOptions,
): Embedder {
  let worker: Worker | null = null;
  let loadedKey: string | null = null;
  /** Why embedding runs in this thread for good (null while the worker may be used). */
  let disabled: string | null = options.worker ? null : 'off';
  let inWorker = false;
  let nextId = 1;
  let restarts = 0;
  const pending = new Map<number, { resolve: (r: InferenceReply) => void; reject: (err: Error) => void }>();

  const inThread = (segments: Float32Array[]): Promise<Float32Array[]> => {
    inWorker = false;
    return models.activeModel().embedAudio(segments);
  };

  const stopUsing = (reason: string): void => {
    if (disabled === null) log.warn('the analysis embeds in the core thread', { reason });
    disabled = reason;
  };

  /** The start in progress: callers meanwhile wait for it rather than start a second worker. */
  let starting: Promise<void> | null = null;
  const start = (): Promise<void> =>
    (starting ??= denormalsAsZero()
      // The worker inherits this thread's floating-point mode: the audio encoder's denormals count as zero.
      .then(launch)
      .finally(() => {
        starting = null;
      }));

  const launch = (): Promise<void> => {
    const entry: WorkerEntry | string = options.workerFile
      ? { kind: 'built', file: options.workerFile }
      : findWorkerEntry(import.meta.url, 'inference-worker');
    if (typeof entry === 'string') throw new Error(entry);
    const w = startWorker(entry);
    worker = w;
    loadedKey = null;
    return new Promise<void>((resolve, reject) => {
      const die = (reason: string): void => {
        if (worker !== w) return;
        worker = null;
        loadedKey = null;
        reject(new Error(reason));
        for (const p of pending.values()) p.reject(new Error(`the analysis encoder stopped: ${reason}`));
        pending.clear();
      };
      w.on('message', (reply: InferenceReply) => {
        if ('ready' in reply) {
          if (pending.size === 0) w.unref();
          resolve();
          return;
        }
        const p = pending.get(reply.id);
        if (!p) return;
        pending.delete(reply.id);
        if (pending.size === 0) w.unref();
        p.resolve(reply);
      });
      w.on('error', (err) => die(`the inference worker failed: ${errorMessage(err)}`));
      w.on('exit', (code) => die(`the inference worker exited with code ${code}`));
    });
  };

  const request = (w: Worker, message: InferenceRequest, transfer: ArrayBuffer[] = []): Promise<InferenceReply> =>
    new Promise((resolve, reject) => {
      pending.set(message.id, { resolve, reject });
      w.ref();
      w.postMessage(message, transfer);
    });

  return {
    get inWorker() {
      return inWorker;
    },
    async embed(segments) {
      if (disabled !== null || segments.length === 0) return inThread(segments);
      const { pack, manifest } = models.active();
      if (!worker) {
        // The first start, or a restart after the worker died (a few at most).
        if (restarts >= 4) stopUsing('the inference worker kept stopping');
        restarts += 1;
        try {
          if (disabled === null) await start();
        } catch (err) {
          stopUsing(errorMessage(err));
        }
        if (disabled !== null) return inThread(segments);
      }
      const w = worker;
      if (!w) return inThread(segments);
      if (loadedKey !== pack.key) {
        const { threads, batchSize, spinning } = models.runtime;
        const load = { key: pack.key, dir: pack.path, manifest, threads, batchSize, spinning };
        const reply = await request(w, { id: nextId++, load });
        if ('error' in reply) {
          const err = toError(reply);
          // A broken pack fails here as it would in this thread; anything else is the worker's problem.
          if (err instanceof UserError) throw err;
          stopUsing(`the model could not be loaded in a worker thread: ${err.message}`);
          return inThread(segments);
        }
        loadedKey = pack.key;
      }
      const reply = await request(w, { id: nextId++, segments }, [...new Set(segments.map((s) => s.buffer as ArrayBuffer))]);
      if ('error' in reply) throw toError(reply);
      if (!('vectors' in reply)) throw new Error('the inference worker answered out of turn');
      inWorker = true;
      return reply.vectors;
    },
    async close() {
      const w = worker;
      worker = null;
      await w?.terminate();
    },
  };
}
