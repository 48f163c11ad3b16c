// The app's path of bench:analyze (mode `app`, bench/analyze.ts runs it), in a process started as the desktop
// shell starts the core: plain Node on the core as the app bundles it (out/main/core-node.js, written by
// `electron-vite build`; its worker threads are the built ones beside it) and the core's environment
// (process-env.ts, given by bench/analyze.ts). No tsx here: its loader hooks cost this thread ~120 MB of
// resident memory the app does not have (importing transformers.js: 163 MB through tsx, 40 MB without).
// With the pack already installed (the data folder of analyze-pack.ts `prepare`), so its peak RSS is the
// analysis's: one track analysed first (not timed: the model loads), then the rest with `analysis-start`
// (quick policy) through `analysis-wait`, while a trivial request (`analysis-status` through invokeUntrusted,
// the page's IPC entry) is issued every 20 ms.
// Usage: node bench/analyze-app.mjs '<json {kind, dataDir}>'. Progress on stderr, one JSON object last on stdout.
import { existsSync } from 'node:fs';

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpuSecondsSince, loadAverage as load, percentile, round1, round3, startLatencyProbe } from './stats.mjs';

/** @type {{ kind: string; dataDir: string }} */
const args = JSON.parse(process.argv[2] ?? '{}');
const say = (/** @type {string} */ s) => process.stderr.write(`[${args.kind}] ${s}\n`);
const built = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'out', 'main');
const entry = join(built, 'core-node.js');
if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npx electron-vite build\` (npm run bench:analyze does)`);

/** The app's path; see the header. @param {any} core */
async function app(core) {
  const { manifest } = core.context.models.active();
  const { tracks } = await core.invoke('tracks-list', { sort: 'path', limit: 1 });
  const first = tracks[0];
  if (!first) throw new Error(`no track scanned in ${args.dataDir}`);
  say(`warm-up: analysing ${first.path.split('/').at(-1)} (not timed; the model loads)`);
  const w0 = performance.now();
  await core.invoke('analysis-start', { policy: 'quick', trackIds: [first.id] });
  const warm = await core.run('analysis-wait');
  const warmupSeconds = (performance.now() - w0) / 1000;
  if (warm.analyzed !== 1) throw new Error(`the warm-up track was not analysed: ${JSON.stringify(warm.failures)} ${warm.error ?? ''}`);

  say('analysis: the rest of the library, quick policy, end to end, a request every 20 ms');
  const loadBeforeAnalysis = load();
  const mb = (/** @type {number} */ bytes) => Math.round(bytes / 1048576);
  const rssAfterWarmupMB = mb(process.memoryUsage().rss);
  const peakAfterWarmupMB = Math.round(process.resourceUsage().maxRSS / 1024);
  let rssDuringMaxMB = 0;
  const probe = startLatencyProbe(() => {
    rssDuringMaxMB = Math.max(rssDuringMaxMB, mb(process.memoryUsage().rss));
    return core.invokeUntrusted('analysis-status', []);
  });
  const before = core.context.analysis.pipeline();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await core.invoke('analysis-start', { policy: 'quick' });
  const summary = await core.run('analysis-wait');
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu0);
  const after = core.context.analysis.pipeline();
  const latencies = await probe.stop();
  if (summary.failed > 0 || summary.error) say(`FAILURES: ${JSON.stringify(summary.failures.slice(0, 5))} ${summary.error ?? ''}`);
  say(`analysis: ${summary.analyzed} tracks, ${summary.segments} segments in ${seconds.toFixed(1)} s`);
  return {
    kind: manifest.kind,
    packId: manifest.id,
    warmupSeconds: round1(warmupSeconds),
    tracks: summary.analyzed,
    failed: summary.failed,
    segments: summary.segments,
    seconds,
    latency: {
      requests: latencies.length,
      p50Ms: round1(percentile(latencies, 50)),
      p99Ms: round1(percentile(latencies, 99)),
      maxMs: round1(Math.max(...latencies)),
    },
    /** Where the time went: seconds the encoder was embedding, and seconds it waited for a decode; CPU seconds. */
    pipeline: {
      embedSeconds: round1((after.embedMs - before.embedMs) / 1000),
      decodeWaitSeconds: round1((after.decodeWaitMs - before.decodeWaitMs) / 1000),
      encoderInWorker: after.encoderInWorker,
      decodeWorkers: after.decodeWorkers,
      // CPU of the whole process (every thread) during the timed analysis, and of the decode workers' threads.
      cpuSeconds: round3(cpuSeconds),
      decodeCpuSeconds:
        after.decodeCpuMs === null || before.decodeCpuMs === null ? null : round3((after.decodeCpuMs - before.decodeCpuMs) / 1000),
    },
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    /** Where the memory goes: RSS once the warm-up track is done (the model loaded), the peak until then, and the
     * largest RSS sampled (every 20 ms) during the timed analysis. */
    rss: { afterWarmupMB: rssAfterWarmupMB, peakAfterWarmupMB, duringAnalysisMaxMB: rssDuringMaxMB },
    load: { beforeAnalysis: loadBeforeAnalysis, after: load() },
  };
}

const { createCore } = await import(pathToFileURL(entry).href);
const core = await createCore({ dataDir: args.dataDir, migrationsDir: join(built, 'migrations') });
try {
  process.stdout.write(`${JSON.stringify(await app(core))}\n`);
} finally {
  await core.close();
}
