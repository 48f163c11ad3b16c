// Entry of a decode worker thread (see decode-pool.ts): decodes and resamples the windows the pool asks
// for with decodeSegments, exactly as the core's own thread would, and sends the samples back as
// transferred ArrayBuffers (no copy). Requests run one at a time in the order they came (the analysis
// needs the track it asked for first first); an abort message cancels one, running or waiting. Each result
// says how much CPU this thread spent on it (where the platform tells: kernel/thread-cpu.ts).
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../kernel/errors.js';
import { threadCpuMs } from '../kernel/thread-cpu.js';
import { decodeSegments } from './decode.js';
import type { DecodeReply, DecodeRequest } from './decode-pool.js';

const controllers = new Map<number, AbortController>();

async function answer(request: DecodeRequest, abort: AbortController): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  try {
    abort.signal.throwIfAborted();
    const cpuBefore = threadCpuMs();
    const result = await decodeSegments(request.path, request.specs, { ...request.options, signal: abort.signal });
    const cpuAfter = threadCpuMs();
    const transfer = result.segments.map((s) => s.samples.buffer as ArrayBuffer);
    const cpuMs = cpuBefore === null || cpuAfter === null ? undefined : cpuAfter - cpuBefore;
    return { reply: { id: request.id, result, cpuMs }, transfer };
  } catch (err) {
    const code = err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    return { reply: { id: request.id, error: errorMessage(err), code }, transfer: [] };
  } finally {
    controllers.delete(request.id);
  }
}

const port = parentPort;
if (port) {
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: DecodeRequest | { abort: number }) => {
    if ('abort' in message) {
      controllers.get(message.abort)?.abort();
      return;
    }
    const abort = new AbortController();
    controllers.set(message.id, abort);
    queue = queue.then(async () => {
      const { reply, transfer } = await answer(message, abort);
      try {
        port.postMessage(reply, transfer);
      } catch (err) {
        port.postMessage({ id: message.id, error: `the decoded audio could not be sent back: ${errorMessage(err)}` } satisfies DecodeReply);
      }
    });
  });
  // Loaded (the decoders' JavaScript with it; each codec's WASM compiles on first use): the pool may send work.
  port.postMessage({ ready: true } satisfies DecodeReply);
}
