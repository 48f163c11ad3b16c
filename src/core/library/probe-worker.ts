// Entry of a probe worker thread (see probe-pool.ts): probes the files the pool sends and answers with
// the same ProbeResult the core's own thread would have computed. It runs several probes at once (the
// pool decides how many), so one file's reads overlap another's parsing.
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../kernel/errors.js';
import { probeFile } from './probe.js';
import type { ProbeReply, ProbeRequest } from './probe-pool.js';

/**
 * Answers one request. probeFile never throws by contract; should it ever, the error goes back as such,
 * so the scan fails exactly as it would have in the core's own thread.
 */
async function answer(request: ProbeRequest): Promise<ProbeReply> {
  try {
    return { id: request.id, result: await probeFile(request.path, request.size) };
  } catch (err) {
    return { id: request.id, error: errorMessage(err) };
  }
}

const port = parentPort;
if (port) {
  port.on('message', (request: ProbeRequest) => {
    void answer(request).then((reply) => port.postMessage(reply));
  });
  // Loaded (probe.ts and music-metadata with it): the pool may send work.
  port.postMessage({ ready: true } satisfies ProbeReply);
}
