/**
 * How responsive the core stays while it analyses: a trivial request (`analysis-status`) is issued every
 * `intervalMs` during an analysis, and each one's latency is counted from the moment it was due (so time
 * the event loop spent blocked before the request could even be issued counts too), until its answer.
 *
 * CLI (no npm needed):
 *   npx tsx tests/support/analysis-latency.ts [--formats mp3-vbr-xing,flac-cover,...] [--workers N]
 *     [--core path/to/src/core/index.ts] [--interval 20] [--pack folder] [--threads N]
 * builds a library of full-length files from the real-audio corpus (tests/support/real-corpus.ts), installs
 * the tiny pack (or `--pack`), analyses it (quick policy) while probing, and prints one JSON line. `--workers` sets
 * MOODSHELF_DECODE_WORKERS; `--threads` ONNX Runtime's threads (default: the app's setting); `--core` runs
 * another checkout's core (e.g. an exported older commit).
 */
import { linkSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnalysisPipelineInfo } from '../../src/core/analysis/service.js';
import type { Core, CoreOptions } from '../../src/core/index.js';
import { ensureRealCorpus } from './real-corpus.js';
import { TINY_PACK } from './packs.js';

/** The value below which `p` (0..1) of the sorted samples lie (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

/** Runs `work` while probing `core.invoke('analysis-status')` every `intervalMs`; latencies in ms. */
export async function probeLatency<T>(core: Core, work: () => Promise<T>, intervalMs = 20): Promise<{ result: T; latencies: number[] }> {
  const latencies: number[] = [];
  let stop = false;
  const probe = (async () => {
    const start = performance.now();
    for (let k = 1; !stop; k++) {
      const due = start + k * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stop) break;
      await core.invoke('analysis-status');
      latencies.push(performance.now() - due);
    }
  })();
  try {
    return { result: await work(), latencies };
  } finally {
    stop = true;
    await probe;
  }
}

/** Hard-links (or copies) `files` into a new folder under `root`. */
export function libraryOf(files: string[], root: string): string {
  const dir = join(root, 'lib');
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const to = join(dir, f.split('/').at(-1) as string);
    try {
      linkSync(f, to);
    } catch {
      copyFileSync(f, to);
    }
  }
  return dir;
}

/** What one probed analysis measured. */
export interface LatencyReport {
  tracks: number;
  analyzed: number;
  failed: number;
  segments: number;
  analysisMs: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Event-loop utilisation of the core's thread during the analysis (0..1): the share of the time it was
   * busy rather than waiting for events. Unlike latency, a machine busy with other work hardly moves it.
   */
  eventLoopUtilization: number;
  pipeline: AnalysisPipelineInfo | null;
}

/** Scans `lib`, installs `pack` (the tiny pack) and analyses the library while probing; the core is left open. */
export async function analyseProbed(core: Core, lib: string, intervalMs = 20, pack = TINY_PACK): Promise<LatencyReport> {
  await core.invoke('library-add', { path: lib });
  await core.run('library-scan');
  await core.run('models-install', { source: pack });
  // Analysis of a freshly installed pack may have been started by the install: stop it, start it probed.
  core.context.analysis.cancel();
  await core.context.analysis.whenIdle();
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const { result, latencies } = await probeLatency(
    core,
    async () => {
      await core.invoke('analysis-start', {});
      return core.run('analysis-wait');
    },
    intervalMs,
  );
  const elu = performance.eventLoopUtilization(elu0);
  const analysis = core.context.analysis as { pipeline?: () => AnalysisPipelineInfo };
  return {
    tracks: result.analyzed + result.failed,
    analyzed: result.analyzed,
    failed: result.failed,
    segments: result.segments,
    analysisMs: Math.round(performance.now() - t0),
    requests: latencies.length,
    p50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
    p99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
    maxMs: Number(Math.max(0, ...latencies).toFixed(1)),
    eventLoopUtilization: Number(elu.utilization.toFixed(3)),
    pipeline: analysis.pipeline?.() ?? null,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const workers = arg('workers');
  if (workers !== undefined) process.env.MOODSHELF_DECODE_WORKERS = workers;
  const formats = (arg('formats') ?? 'mp3-vbr-xing,mp3-cbr-noxing,flac-cover,opus,vorbis,aac').split(',');
  const coreModule = resolve(arg('core') ?? join(import.meta.dirname, '..', '..', 'src', 'core', 'index.ts'));
  const { createCore } = (await import(pathToFileURL(coreModule).href)) as { createCore: (o: CoreOptions) => Promise<Core> };
  const corpus = await ensureRealCorpus();
  const files = formats.map((f) => {
    const file = corpus.files.find((c) => c.format === f);
    if (!file) throw new Error(`no corpus file of format ${f} (formats: ${corpus.files.map((c) => c.format).join(', ')})`);
    return file.path;
  });
  const root = mkdtempSync(join(tmpdir(), 'moodshelf-latency-'));
  const threads = arg('threads');
  const core = await createCore({ dataDir: join(root, 'data'), ...(threads === undefined ? {} : { threads: Number(threads) }) });
  try {
    const report = await analyseProbed(core, libraryOf(files, root), Number(arg('interval') ?? 20), resolve(arg('pack') ?? TINY_PACK));
    process.stdout.write(
      `${JSON.stringify({ core: coreModule, formats, workersEnv: workers ?? null, loadavg: loadavg()[0], ...report })}\n`,
    );
  } finally {
    await core.close();
    rmSync(root, { recursive: true, force: true });
  }
}
