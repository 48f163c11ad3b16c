// Entry of the analysis's inference worker thread (see inference.ts): loads the active pack's model on a
// ModelRuntime of its own (the same threads and batch size as the core's) and embeds the segments it is
// sent, one request at a time, so ONNX Runtime's synchronous run() never holds the core's event loop.
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../kernel/errors.js';
import { ModelRuntime } from '../model/runtime.js';
import { loadClapModel } from '../model/clap-model.js';
import { loadJointModel, type JointModel } from '../model/joint-model.js';
import type { PackManifest } from '../model/manifest.js';
import type { InferenceReply, InferenceRequest } from './inference.js';

let current: { key: string; runtime: ModelRuntime; model: JointModel } | null = null;

/**
 * The pack's loader, as the model service's loadModel picks it, imported directly: the service module
 * pulls in installation and transformers.js, which a worker running a joint pack never needs.
 */
const load = (dir: string, manifest: PackManifest, runtime: ModelRuntime): JointModel =>
  manifest.kind === 'clap' ? loadClapModel(dir, manifest, runtime) : loadJointModel(dir, manifest, runtime);

function failure(id: number, err: unknown): InferenceReply {
  const e = err as { name?: unknown; code?: unknown };
  return {
    id,
    error: errorMessage(err),
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : undefined,
  };
}

async function answer(request: InferenceRequest): Promise<{ reply: InferenceReply; transfer: ArrayBuffer[] }> {
  try {
    if ('load' in request) {
      const { key, dir, manifest, threads, batchSize, spinning } = request.load;
      if (current?.key !== key) {
        const old = current;
        current = null;
        await old?.runtime.dispose();
        const runtime = new ModelRuntime({ threads, batchSize, spinning });
        current = { key, runtime, model: load(dir, manifest, runtime) };
      }
      return { reply: { id: request.id, loaded: key }, transfer: [] };
    }
    if (!current) throw new Error('no model loaded in the inference worker');
    const vectors = await current.model.embedAudio(request.segments);
    return { reply: { id: request.id, vectors }, transfer: [...new Set(vectors.map((v) => v.buffer as ArrayBuffer))] };
  } catch (err) {
    return { reply: failure(request.id, err), transfer: [] };
  }
}

const port = parentPort;
if (port) {
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: InferenceRequest) => {
    queue = queue.then(async () => {
      const { reply, transfer } = await answer(request);
      try {
        port.postMessage(reply, transfer);
      } catch (err) {
        port.postMessage(failure(request.id, err));
      }
    });
  });
  port.postMessage({ ready: true } satisfies InferenceReply);
}
