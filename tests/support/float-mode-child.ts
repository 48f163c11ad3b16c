// Child of tests/integration/float-mode.test.ts: whether this thread and a worker see denormal numbers (true)
// or flush them to zero (false), before and after denormalsAsZero. Prints one JSON line.
import { Worker } from 'node:worker_threads';
import { denormalsAsZero } from '../../src/core/model/runtime.js';

// Through an array so that no compiler folds the product: 1e-310 * 3 is a denormal, 0 when flushed.
const PROBE = 'const a = [1e-310, 3]; const r = a[0] * a[1] > 0;';
const here = (): boolean => new Function(`${PROBE} return r;`)() as boolean;
const inWorker = (): Promise<boolean> =>
  new Promise((done, fail) => {
    const w = new Worker(`${PROBE} require('node:worker_threads').parentPort.postMessage(r);`, { eval: true });
    w.once('message', (m: boolean) => void w.terminate().then(() => done(m)));
    w.once('error', fail);
  });

const before = here();
const workerBefore = await inWorker();
await denormalsAsZero();
process.stdout.write(`${JSON.stringify({ before, after: here(), worker: await inWorker(), workerBefore })}\n`);
