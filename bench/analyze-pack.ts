// One measurement of bench:analyze for one pack, in a process of its own (bench/analyze.ts runs it):
// - mode `yardsticks`: on the ModelRuntime of a fresh core (so the app's ONNX Runtime settings: intra-op
//   threads from the settings, batch size), the roofline (bench/yardsticks.ts; the best of the app's settings
//   and ONNX Runtime's defaults), then the encoder alone: its session (the file the app loads, for CLAP
//   through ModelRuntime.clapAudio as the app's analysis loads it) run on input
//   prepared beforehand, a batch of the app's batch size, after a warm-up run (bench/encoder-alone.ts); in one
//   session on all threads, and where the app has encoder lanes, in as many worker threads at once
//   (bench/encoder-lane.ts, each its own ModelRuntime with the lane's threads);
// - mode `prepare`: a fresh core over the library: the folder added and scanned, the pack installed with
//   `models-install` (its install check loads the pack once);
// (the app's path itself runs in bench/analyze-app.mjs, on the built core).
// Usage: tsx bench/analyze-pack.ts '<json {mode, kind, packDir, libDir?, dataDir, rooflineModels?, encoderRuns?}>'
// Prints progress on stderr and one JSON object as its last stdout line.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { createCore, type Core } from '../src/core/index.js';
import { encoderLanes, laneThreads } from '../src/core/analysis/inference.js';
import { findWorkerEntry, startWorker } from '../src/core/kernel/worker-boot.js';
import { readManifest } from '../src/core/model/files.js';
import { denormalsAsZero, type ModelRuntime } from '../src/core/model/runtime.js';
import { encoderBatch, prepareEncoder, timeRuns } from './encoder-alone.js';
import type { LaneSetup } from './encoder-lane.js';
import { loadAverage as load, median } from './stats.mjs';
import { measureRoofline, type RooflineModel, type RooflineResult } from './yardsticks.js';

interface Args {
  mode: 'yardsticks' | 'prepare';
  kind: 'joint' | 'clap';
  packDir: string;
  libDir?: string;
  dataDir: string;
  rooflineModels?: RooflineModel[];
  encoderRuns?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const say = (s: string): boolean => process.stderr.write(`[${args.kind}] ${s}\n`);

/** Seconds per segment of runs of a batch of `batch` segments. */
function perSegment(runSeconds: number[], batch: number): { median: number; best: number; all: number[] } {
  const all = runSeconds.map((t) => t / batch);
  return { median: median(all), best: Math.min(...all), all };
}

/**
 * The encoder in `lanes` worker threads at once, as the app's inference workers run it (each its own
 * ModelRuntime with laneThreads threads): each lane warms up, then all run `runs` batches together. A run's
 * seconds per segment count the lanes' segments meanwhile (run time / (batch x lanes)); a lane's last runs,
 * once another has finished, have the cores to themselves, which can only make the yardstick faster.
 */
async function runLanes(
  runtime: ModelRuntime,
  lanes: number,
  batch: number,
  runs: number,
): Promise<{ median: number; best: number; all: number[] }> {
  const entry = findWorkerEntry(import.meta.url, 'encoder-lane');
  if (typeof entry === 'string') throw new Error(entry);
  // The app's inference workers inherit the core thread's float mode (inference.ts).
  await denormalsAsZero();
  const setup: LaneSetup = {
    packDir: args.packDir,
    threads: laneThreads(runtime.threads, lanes),
    batchSize: runtime.batchSize,
    spinning: runtime.spinning,
    batch,
    runs,
  };
  const workers = Array.from({ length: lanes }, () => startWorker(entry));
  try {
    const reply = (w: Worker): Promise<{ ready?: true; times?: number[]; error?: string }> =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    const ready = await Promise.all(workers.map((w) => (w.postMessage(setup), reply(w))));
    const failed = ready.find((r) => r.error);
    if (failed) throw new Error(`an encoder lane failed: ${failed.error}`);
    const done = await Promise.all(workers.map((w) => (w.postMessage('go'), reply(w))));
    const times = done.flatMap((r) => {
      if (!r.times) throw new Error(`an encoder lane failed: ${r.error}`);
      return r.times;
    });
    return perSegment(times, batch * lanes);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function yardsticks(core: Core): Promise<object> {
  const runtime = core.context.models.runtime;
  const manifest = await readManifest(args.packDir);
  const batch = encoderBatch(runtime, manifest);
  say(`ONNX Runtime intra-op threads ${runtime.threads || 'automatic (0)'}, batch ${batch}`);
  say(
    "roofline: constant-weight MatMul, best of 20 per shape, on the app's session settings and on ONNX Runtime's defaults " +
      '(weights pre-packed, threads spinning); measured again after the encoder; the best of all counts',
  );
  // The app's settings may trade a little speed for memory or for sharing the cores (ModelRuntime); the
  // roofline stays what the library can do at its fastest, so it is also measured with ONNX Runtime's defaults.
  const defaults = new Map<string, Promise<ort.InferenceSession>>();
  const defaultSession = (file: string): Promise<ort.InferenceSession> => {
    let s = defaults.get(file);
    if (!s) defaults.set(file, (s = ort.InferenceSession.create(file, { graphOptimizationLevel: 'all' })));
    return s;
  };
  const roofline2 = async (): Promise<RooflineResult> => {
    const app = await measureRoofline((file) => runtime.session(file), args.rooflineModels ?? [], 20);
    const plain = await measureRoofline(defaultSession, args.rooflineModels ?? [], 20);
    return app.gflops >= plain.gflops ? app : plain;
  };
  const loadBeforeRoofline = load();
  const rooflineBefore = await roofline2();

  const runEncoder = await prepareEncoder(runtime, manifest, args.packDir, batch);
  const runs = args.encoderRuns ?? 5;
  say(`encoder alone, one session: a warm-up run, then ${runs} runs of a batch of ${batch}`);
  const loadBeforeEncoder = load();
  await runEncoder();
  const oneSession = perSegment(await timeRuns(runEncoder, runs), batch);
  // The app's encoder lanes (inference.ts): several sessions side by side, each in a worker thread.
  const lanes = encoderLanes(statSync(join(args.packDir, manifest.audio.encoder)).size);
  const laneRuns = lanes > 1 ? await runLanes(runtime, lanes, batch, runs) : null;
  const rooflineAfter = await roofline2();
  await Promise.all([...defaults.values()].map((p) => p.then((x) => x.release())));
  const roofline = rooflineBefore.gflops >= rooflineAfter.gflops ? rooflineBefore : rooflineAfter;
  say(
    `roofline ${roofline.gflops} GFLOP/s (${roofline.shapes.map((s) => `${s.shape}: ${s.gflops}`).join(', ')}; other pass ${Math.min(rooflineBefore.gflops, rooflineAfter.gflops)})`,
  );
  say(`encoder alone, one session: ${oneSession.median.toFixed(3)} s/segment (median), ${oneSession.best.toFixed(3)} best`);
  if (laneRuns)
    say(`encoder alone, ${lanes} lanes side by side: ${laneRuns.median.toFixed(3)} s/segment (median), ${laneRuns.best.toFixed(3)} best`);
  return {
    kind: manifest.kind,
    packId: manifest.id,
    threads: runtime.threads,
    batchSize: batch,
    roofline,
    lanes,
    laneThreads: laneThreads(runtime.threads, lanes),
    // The app's configuration; with lanes, the one session on all threads is kept as well (the faster counts).
    encoderSecondsPerSegment: laneRuns ?? oneSession,
    ...(laneRuns ? { oneSessionSecondsPerSegment: oneSession } : {}),
    /** This process: the roofline models and the encoder's session, nothing else of the app. */
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    load: { beforeRoofline: loadBeforeRoofline, beforeEncoder: loadBeforeEncoder, after: load() },
  };
}

async function prepare(core: Core): Promise<object> {
  if (!args.libDir) throw new Error('mode prepare needs libDir');
  await core.invoke('library-add', { path: args.libDir });
  const scan = await core.run('library-scan');
  const t = performance.now();
  const installed = await core.run('models-install', { source: args.packDir });
  say(`pack ${installed.key} installed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return { kind: core.context.models.active().manifest.kind, scan, installPeakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

// `prepare` makes the data folder the app run (analyze-app.mjs) then opens; the caller removes it.
rmSync(args.dataDir, { recursive: true, force: true });
const core = await createCore({ dataDir: args.dataDir });
try {
  const result = args.mode === 'yardsticks' ? await yardsticks(core) : await prepare(core);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await core.close();
  if (args.mode === 'yardsticks') rmSync(args.dataDir, { recursive: true, force: true });
}
