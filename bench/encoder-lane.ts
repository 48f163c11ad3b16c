// One encoder lane of bench:analyze's yardstick, in a worker thread as the app's inference worker runs
// (src/core/analysis/inference.ts): its own ModelRuntime with the lane's threads, the encoder prepared
// and run once (warm-up), then `runs` timed runs when told to start (all lanes at once).
import { parentPort, type MessagePort } from 'node:worker_threads';
import { readManifest } from '../src/core/model/files.js';
import { ModelRuntime } from '../src/core/model/runtime.js';
import { prepareEncoder, timeRuns } from './encoder-alone.js';

/** What analyze-pack.ts sends first. */
export interface LaneSetup {
  packDir: string;
  threads: number;
  batchSize: number;
  spinning: boolean;
  batch: number;
  runs: number;
}

/** Prepares and warms the lane's encoder, says ready, and times its runs when told to go. */
async function lane(port: MessagePort, setup: LaneSetup): Promise<void> {
  const runtime = new ModelRuntime({ threads: setup.threads, batchSize: setup.batchSize, spinning: setup.spinning });
  try {
    const run = await prepareEncoder(runtime, await readManifest(setup.packDir), setup.packDir, setup.batch);
    await run();
    const go = new Promise((resolve) => port.once('message', resolve));
    port.postMessage({ ready: true });
    await go;
    port.postMessage({ times: await timeRuns(run, setup.runs) });
  } finally {
    await runtime.dispose();
  }
}

const port = parentPort;
if (port) {
  port.once('message', (setup: LaneSetup) => {
    lane(port, setup).catch((err: unknown) => port.postMessage({ error: String(err) }));
  });
}
