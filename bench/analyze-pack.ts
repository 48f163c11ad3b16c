// One measurement of bench:analyze for one pack, in a process of its own (bench/analyze.ts runs it):
// - mode `yardsticks`: on the ModelRuntime of a fresh core (so the app's ONNX Runtime settings: intra-op
//   threads from the settings, batch size), the roofline (bench/yardsticks.ts; the best of the app's settings
//   and ONNX Runtime's defaults), then the encoder alone: its session (the file the app loads, for CLAP
//   through ModelRuntime.clapAudio as the app's analysis loads it) run on input
//   prepared beforehand, a batch of the app's batch size, after a warm-up run;
// - mode `prepare`: a fresh core over the library: the folder added and scanned, the pack installed with
//   `models-install` (its install check loads the pack once);
// (the app's path itself runs in bench/analyze-app.mjs, on the built core).
// Usage: tsx bench/analyze-pack.ts '<json {mode, kind, packDir, libDir?, dataDir, rooflineModels?, encoderRuns?}>'
// Prints progress on stderr and one JSON object as its last stdout line.
import { rmSync } from 'node:fs';

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@huggingface/transformers';
import { createCore, type Core } from '../src/core/index.js';
import { normalizeSegment } from '../src/core/model/joint-model.js';
import { clapAudioBatch } from '../src/core/model/clap-model.js';
import { DEFAULT_POLICY } from '../src/core/audio/segments.js';
import { readManifest } from '../src/core/model/files.js';
import { cpuSecondsSince, loadAverage as load, median } from './stats.mjs';
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

/** A test signal with some structure (the encoders' cost does not depend on it). */
function segment(samples: number, rate: number): Float32Array {
  const x = new Float32Array(samples);
  for (let i = 0; i < samples; i++) {
    const t = i / rate;
    x[i] = 0.3 * Math.sin(2 * Math.PI * 220 * t) + 0.2 * Math.sin(2 * Math.PI * 331 * t + 0.5) + 0.05 * Math.sin(i * 12.9898);
  }
  return x;
}

async function yardsticks(core: Core): Promise<object> {
  const runtime = core.context.models.runtime;
  const manifest = await readManifest(args.packDir);
  // The batch the app's analysis runs here: the runtime's for a joint pack; for CLAP a track's quick windows
  // go through the tower together, up to clapAudioBatch.
  const batch = manifest.kind === 'clap' ? Math.min(clapAudioBatch(runtime), DEFAULT_POLICY.count) : runtime.batchSize;
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

  const a = manifest.audio;
  const samples = Math.round(a.sampleRate * a.segmentSeconds);
  const seg = segment(samples, a.sampleRate);
  let runEncoder: () => Promise<unknown>;
  if (manifest.kind === 'joint') {
    const session = await runtime.session(join(args.packDir, a.encoder));
    const one = a.normalize === 'zero-mean-unit-var' ? normalizeSegment(seg) : seg;
    const input = new Float32Array(batch * samples);
    for (let b = 0; b < batch; b++) input.set(one, b * samples);
    const feeds = { input_values: new ort.Tensor('float32', input, [batch, samples]) };
    runEncoder = async () => {
      const out = await session.run(feeds);
      for (const v of Object.values(out)) v.dispose();
    };
  } else {
    // The CLAP audio tower as the app's analysis loads it: ModelRuntime.clapAudio with the manifest's folder and dtype.
    const clap = await runtime.clapAudio(join(args.packDir, manifest.labelEncoder.path), a.dtype ?? 'fp32');
    const features = ((await clap.processor(seg)) as { input_features: Tensor }).input_features;
    const one = features.data as Float32Array;
    const data = new Float32Array(batch * one.length);
    for (let b = 0; b < batch; b++) data.set(one, b * one.length);
    const inputs = { input_features: new Tensor('float32', data, [batch, ...(features.dims as number[]).slice(1)]) };
    runEncoder = () => clap.audio(inputs);
  }
  const runs = args.encoderRuns ?? 5;
  say(`encoder alone: a warm-up run, then ${runs} runs of a batch of ${batch}`);
  const loadBeforeEncoder = load();
  await runEncoder();
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await runEncoder();
    times.push((performance.now() - t) / 1000 / batch);
  }
  // CPU of this process (the encoder's threads; nothing else runs meanwhile) per segment.
  const encoderCpuSecondsPerSegment = cpuSecondsSince(cpu0) / (runs * batch);
  const rooflineAfter = await roofline2();
  await Promise.all([...defaults.values()].map((p) => p.then((x) => x.release())));
  const roofline = rooflineBefore.gflops >= rooflineAfter.gflops ? rooflineBefore : rooflineAfter;
  say(
    `roofline ${roofline.gflops} GFLOP/s (${roofline.shapes.map((s) => `${s.shape}: ${s.gflops}`).join(', ')}; other pass ${Math.min(rooflineBefore.gflops, rooflineAfter.gflops)})`,
  );
  const encoderSecondsPerSegment = { median: median(times), best: Math.min(...times), all: times };
  say(`encoder alone: ${encoderSecondsPerSegment.median.toFixed(3)} s/segment (median), ${encoderSecondsPerSegment.best.toFixed(3)} best`);
  return {
    kind: manifest.kind,
    packId: manifest.id,
    threads: runtime.threads,
    batchSize: batch,
    roofline,
    encoderSecondsPerSegment,
    encoderCpuSecondsPerSegment,
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
