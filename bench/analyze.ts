// npm run bench:analyze [-- --tracks N] [--kinds joint,clap] [--encoder-runs N]
// Analysis throughput of both pack kinds on real-size models with random weights, against yardsticks
// measured in the same run:
// - packs, generated once by the committed training scripts into bench/.tmp (needs training/.venv; bash
//   training/ci.sh makes it): the joint pack `export-encoder --random-init` (MERT-v1-95M-shaped encoder,
//   paper-sized head, MiniLM-L6-sized label encoder) and `make-clap-pack --real-size` (the architecture and
//   size of Xenova/clap-htsat-unfused: HTSAT audio tower, RoBERTa-base text tower, 512-d);
// - a library of full-length real-encoder files (MP3 in four flavours, FLAC 16-bit and 24/96, Opus, AAC) cut
//   from the ffmpeg corpus of tests/support/real-corpus.ts, each copy with its own artist tag (bench/.tmp);
// - FLOPs per segment counted from the ONNX graphs of the pack the app runs (src/core/model/onnx-flops.ts):
//   joint = encoder + head, CLAP = the audio tower;
// - per pack kind, processes of their own (bench/analyze-pack.ts): one measures the yardsticks on a core's ModelRuntime
//   (the app's session settings): the roofline (constant-weight MatMul, best of N, preallocated output; the best
//   of the app's settings and ONNX Runtime's defaults, so a setting the app picks for memory never lowers it) and the
//   encoder alone on prepared input; the other (bench/analyze-app.mjs) runs the app's path alone on the core as
//   the app bundles it (out/main, built first), in the core process's environment (its peak RSS is the app's), starting
//   as the app does with the library scanned and the pack installed (by a third process before it): one
//   warm-up track, then `analysis-start` (quick policy) over the other N tracks with a trivial request every 20 ms.
// The yardsticks are measured before the analysis and again after it (the VM's speed drifts over minutes), as one.
// encoderGflops = the encoder's FLOPs per segment over its best time of N runs (best of N, like the roofline);
// pipelineToEncoder = end-to-end segments/s over the encoder alone's median segments/s; detail.pipeline says
// where the end-to-end time went (the share the encoder was embedding, and its rate meanwhile), and
// detail.pipeline.cpu where the CPU went (per segment: the encoder alone's, the decode's, the rest) with the
// ratio's ceiling were every core busy all the time (cpuAccount).
// The library has 36 tracks by default: CLAP analyses 12 in about 5 s, where the start (the first decode) and
// the end weigh several per cent (measured: 0.58-0.62 of the encoder alone over 12 tracks, 0.69-0.71 over 36);
// a user's library is thousands.
// Targets: encoderToRoofline >= 0.75 (joint/MERT), >= 0.5 (CLAP); pipelineToEncoder >= 0.9; peakRssMB < 1500;
// p99RequestLatencyMs < 50. The last line printed is one JSON object with the figures.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { coreProcessEnv } from '../src/core/kernel/process-env.js';
import { countFileFlops } from '../src/core/model/onnx-flops.js';
import { ARTIST_STAMP_LENGTH, artistStamper, ensureRealCorpus, type CorpusFile } from '../tests/support/real-corpus.js';
import { loadAverage as load, median, round1, round3 } from './stats.mjs';
import { writeRooflineModels, type RooflineResult } from './yardsticks.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const tmp = join(here, '.tmp');
const venvPython = join(root, 'training', '.venv', 'bin', 'python');
const python = existsSync(venvPython) ? venvPython : 'python3';

const { values: flags } = parseArgs({
  options: {
    tracks: { type: 'string', default: '36' },
    kinds: { type: 'string', default: 'joint,clap' },
    'encoder-runs': { type: 'string' },
  },
});
const TRACKS = Number(flags.tracks);
const KINDS = (flags.kinds ?? '').split(',').filter(Boolean) as ('joint' | 'clap')[];
/** Timed runs of the encoder alone: a MERT-size segment takes about a second on 2 cores, a CLAP one a tenth. */
const ENCODER_RUNS = { joint: Number(flags['encoder-runs'] ?? 6), clap: Number(flags['encoder-runs'] ?? 30) };
if (
  !Number.isInteger(TRACKS) ||
  TRACKS < 1 ||
  !KINDS.every((k) => k === 'joint' || k === 'clap') ||
  !(ENCODER_RUNS.joint >= 1 && ENCODER_RUNS.clap >= 1)
) {
  process.stderr.write('usage: npm run bench:analyze -- [--tracks N] [--kinds joint,clap] [--encoder-runs N]\n');
  process.exit(2);
}

const TARGETS = { encoderToRoofline: { joint: 0.75, clap: 0.5 }, pipelineToEncoder: 0.9, peakRssMB: 1500, p99RequestLatencyMs: 50 };

/** Whether an ONNX file's graph names every one of `texts` (node names come before the weights, in its first megabytes). */
function encoderHas(file: string, ...texts: string[]): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4 * 1024 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const graph = head.subarray(0, n);
    return texts.every((t) => graph.includes(t));
  } finally {
    closeSync(fd);
  }
}

/** Where each kind's benchmark pack lives, the command that writes it, and how to tell a stale one. */
const PACKS = {
  joint: {
    dir: join(tmp, 'mert-random'),
    command: ['-m', 'moodshelf_train', 'export-encoder', '--random-init', '--out'],
    // Until the generator wrote a MiniLM-sized label encoder (6 layers, 30522 distinct tokens) the pack had a 1-layer
    // one; until its exporter ran the feature encoder as 2-D convolutions (encoder.py Conv2dFeatureEncoder), 1-D ones;
    // until it fused attention (onnx_fuse.py), Softmax blocks.
    current: (dir: string) => {
      if (!encoderHas(join(dir, 'audio', 'encoder.onnx'), 'feature_extractor/convs.', 'MultiHeadAttention')) return false;
      const cfg = JSON.parse(readFileSync(join(dir, 'label-encoder', 'config.json'), 'utf8')) as {
        num_hidden_layers?: number;
        vocab_size?: number;
      };
      const tok = JSON.parse(readFileSync(join(dir, 'label-encoder', 'tokenizer.json'), 'utf8')) as {
        model?: { vocab?: Record<string, number> };
      };
      const ids = new Set(Object.values(tok.model?.vocab ?? {}));
      return cfg.num_hidden_layers === 6 && cfg.vocab_size === 30522 && ids.size === 30522 && Math.max(...ids) === 30521;
    },
  },
  clap: {
    dir: join(tmp, 'clap-random'),
    command: ['-m', 'moodshelf_train', 'make-clap-pack', '--real-size', '--out'],
    current: (dir: string) =>
      (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { id?: string }).id === 'clap-htsat-unfused-random',
  },
} as const;

function ensurePack(kind: 'joint' | 'clap'): string {
  const p = PACKS[kind];
  let ok = false;
  try {
    ok = existsSync(join(p.dir, 'manifest.json')) && p.current(p.dir);
  } catch {
    ok = false;
  }
  if (!ok) {
    process.stderr.write(`writing the ${kind} benchmark pack into ${p.dir} (once; ~0.6 GB, under a minute)…\n`);
    execFileSync(python, [...p.command, p.dir], { cwd: join(root, 'training'), stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return p.dir;
}

/** The corpus files the library is cut from, in the order copies are dealt (so any count mixes formats). */
const LIBRARY_FORMATS = [
  'mp3-vbr-xing',
  'flac-cover',
  'opus',
  'aac',
  'mp3-cbr-noxing',
  'flac-24-96',
  'mp3-vbr-noxing',
  'mp3-cbr-xing',
  'mp3-vbr-apev2',
];
const LIBRARY_VERSION = 1;

/** The library of `count` distinct full-length files, kept under bench/.tmp and reused while the recipe holds. */
async function ensureLibrary(count: number): Promise<{ dir: string; formats: Record<string, number>; audioSeconds: number }> {
  const corpus = await ensureRealCorpus();
  const templates = LIBRARY_FORMATS.map((f) => {
    const file = corpus.files.find((c) => c.format === f);
    if (!file) throw new Error(`the real corpus has no ${f} file`);
    return file;
  });
  const hash = createHash('sha256')
    .update(JSON.stringify({ v: LIBRARY_VERSION, corpus: corpus.hash, count, LIBRARY_FORMATS }))
    .digest('hex')
    .slice(0, 12);
  const base = join(tmp, 'analyze-library');
  const dir = join(base, hash);
  const picks: CorpusFile[] = Array.from({ length: count }, (_, i) => templates[i % templates.length] as CorpusFile);
  const formats: Record<string, number> = {};
  for (const f of picks) formats[f.format] = (formats[f.format] ?? 0) + 1;
  const audioSeconds = Math.round(picks.reduce((s, f) => s + f.reference.duration, 0));
  if (existsSync(join(dir, 'ready.json'))) return { dir, formats, audioSeconds };
  rmSync(base, { recursive: true, force: true });
  const building = `${dir}.part`;
  mkdirSync(building, { recursive: true });
  const bytes = new Map<CorpusFile, { buf: Buffer; stamp: (s: string) => void }>();
  picks.forEach((file, n) => {
    let t = bytes.get(file);
    if (!t) {
      const buf = readFileSync(file.path);
      t = { buf, stamp: artistStamper(buf, file) };
      bytes.set(file, t);
    }
    t.stamp(`Bench ${String(n).padStart(ARTIST_STAMP_LENGTH - 6, '0')}`);
    writeFileSync(join(building, `${String(n).padStart(3, '0')} ${file.format}${extname(file.name)}`), t.buf);
  });
  writeFileSync(join(building, 'ready.json'), `${JSON.stringify({ count, formats })}\n`);
  renameSync(building, dir);
  return { dir, formats, audioSeconds };
}

/** FLOPs of one segment through the pack's ONNX graphs, counted from the files (encoder; head for joint). */
function packFlops(kind: 'joint' | 'clap', dir: string): { encoder: number; head: number } {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    audio: { encoder: string; sampleRate: number; segmentSeconds: number };
    head: { type: string; file?: string; inputDim?: number };
    labelEncoder: { path: string };
  };
  if (kind === 'joint') {
    const samples = Math.round(m.audio.sampleRate * m.audio.segmentSeconds);
    const encoder = countFileFlops(join(dir, m.audio.encoder), { input_values: [1, samples] }).total;
    const head =
      m.head.type === 'onnx' && m.head.file ? countFileFlops(join(dir, m.head.file), { features: [1, m.head.inputDim ?? 0] }).total : 0;
    return { encoder, head };
  }
  // ClapFeatureExtractor: nb_max_samples / hop_length + 1 frames of feature_size mel bins.
  const pp = JSON.parse(readFileSync(join(dir, m.labelEncoder.path, 'preprocessor_config.json'), 'utf8')) as {
    nb_max_samples: number;
    hop_length: number;
    feature_size: number;
  };
  const frames = Math.floor(pp.nb_max_samples / pp.hop_length) + 1;
  return { encoder: countFileFlops(join(dir, m.audio.encoder), { input_features: [1, 1, frames, pp.feature_size] }).total, head: 0 };
}

interface YardstickRun {
  kind: 'joint' | 'clap';
  packId: string;
  threads: number;
  batchSize: number;
  roofline: RooflineResult;
  encoderSecondsPerSegment: { median: number; best: number; all: number[] };
  /** CPU seconds (all the encoder's threads) per segment of the encoder alone; after {@link bracket}, both sides' mean. */
  encoderCpuSecondsPerSegment: number;
  peakRssMB: number;
  load: Record<string, number[]>;
  /** After {@link bracket}: the roofline measured before and after the analysis. */
  rooflineBeforeAfter?: number[];
}

interface AppRun {
  kind: 'joint' | 'clap';
  packId: string;
  warmupSeconds: number;
  tracks: number;
  failed: number;
  segments: number;
  seconds: number;
  latency: { requests: number; p50Ms: number; p99Ms: number; maxMs: number };
  peakRssMB: number;
  /** Peak RSS of the process that scanned the library and installed the pack (its install check loads the pack). */
  installPeakRssMB?: number;
  rss: { afterWarmupMB: number; peakAfterWarmupMB: number; duringAnalysisMaxMB: number };
  /** Seconds of the timed analysis the encoder spent embedding, and waiting for a decode (AnalysisPipelineInfo). */
  pipeline: {
    embedSeconds: number;
    decodeWaitSeconds: number;
    encoderInWorker: boolean;
    decodeWorkers: number;
    /** CPU seconds of the app's process during the timed analysis, and of its decode workers (null: unknown). */
    cpuSeconds: number;
    decodeCpuSeconds: number | null;
  };
  load: Record<string, number[]>;
}

/**
 * The yardsticks measured before and after the analysis, as one: this VM's speed drifts by 10 % and more over
 * minutes (the MERT-size encoder alone 1.10-1.34 s per segment in six runs of an hour), so an encoder rate
 * taken only before the analysis made pipelineToEncoder move with the drift; the runs of both sides bracket
 * it. The roofline is the better of the two, the encoder's best and median over all its runs.
 */
function bracket(before: YardstickRun, after: YardstickRun): YardstickRun {
  const all = [...before.encoderSecondsPerSegment.all, ...after.encoderSecondsPerSegment.all];
  return {
    ...before,
    roofline: before.roofline.gflops >= after.roofline.gflops ? before.roofline : after.roofline,
    encoderSecondsPerSegment: { median: median(all), best: Math.min(...all), all: all.map(round3) },
    encoderCpuSecondsPerSegment: (before.encoderCpuSecondsPerSegment + after.encoderCpuSecondsPerSegment) / 2,
    peakRssMB: Math.max(before.peakRssMB, after.peakRssMB),
    load: { ...before.load, ...Object.fromEntries(Object.entries(after.load).map(([k, v]) => [`${k}AfterAnalysis`, v])) },
    rooflineBeforeAfter: [before.roofline.gflops, after.roofline.gflops],
  };
}

function runChild<T>(args: { mode: string } & Record<string, unknown>): Promise<T> {
  // The app's path runs in a process started as the desktop shell starts the core: plain Node on the built
  // core, in the core's environment (analyze-app.mjs; core-process.ts); the yardsticks and the install on
  // the sources through tsx.
  const app = args.mode === 'app';
  const script = app ? [join(here, 'analyze-app.mjs')] : ['--import', 'tsx', join(here, 'analyze-pack.ts')];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...script, JSON.stringify(args)], {
      cwd: root,
      env: app ? coreProcessEnv(process.env) : process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) return fail(new Error(`${script.at(-1)} exited with ${code}: ${out.slice(-2000)}`));
      done(JSON.parse(last) as T);
    });
  });
}

const loadAtStart = load();
const started = performance.now();
const packDirs = Object.fromEntries(KINDS.map((k) => [k, ensurePack(k)])) as Record<'joint' | 'clap', string>;
const library = await ensureLibrary(TRACKS + 1);
const rooflineModels = writeRooflineModels(join(tmp, 'roofline'));
const runs: { y: YardstickRun; a: AppRun; flops: { encoder: number; head: number } }[] = [];
for (const kind of KINDS) {
  const t = performance.now();
  const flops = packFlops(kind, packDirs[kind]);
  process.stderr.write(
    `[${kind}] ${round3(flops.encoder / 1e9)} GFLOP per segment in the encoder, ${round3(flops.head / 1e9)} in the head ` +
      `(counted from the ONNX graphs in ${Math.round(performance.now() - t)} ms)\n`,
  );
  const dataDir = join(tmp, `analyze-data-${kind}`);
  const yardsticks = (): Promise<YardstickRun> =>
    runChild<YardstickRun>({ mode: 'yardsticks', kind, packDir: packDirs[kind], dataDir, rooflineModels, encoderRuns: ENCODER_RUNS[kind] });
  const before = await yardsticks();
  const prepared = await runChild<{ kind: string; installPeakRssMB: number }>({
    mode: 'prepare',
    kind,
    packDir: packDirs[kind],
    libDir: library.dir,
    dataDir,
  });
  let a: AppRun;
  try {
    a = {
      ...(await runChild<AppRun>({ mode: 'app', kind, packDir: packDirs[kind], dataDir })),
      installPeakRssMB: prepared.installPeakRssMB,
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const y = bracket(before, await yardsticks());
  if (y.kind !== kind || a.kind !== kind) throw new Error(`expected a ${kind} pack, ran ${y.kind} and ${a.kind}`);
  runs.push({ y, a, flops });
}

/**
 * Where the cores went during the timed analysis, per segment: CPU milliseconds of the whole process, of the
 * encoder alone (its yardstick runs), of the decode workers, and the rest (the encoder's extra beside the
 * others, garbage collection, the app). pipelineToEncoder = ceilingAtFullCores x coresBusy / cores, where
 * ceilingAtFullCores = cores x the encoder alone's median seconds per segment / the CPU seconds a segment
 * took end to end: what the ratio would be with every core busy all the time. On 2 cores, when the encoder
 * alone keeps both busy, no pipeline can hide its decode: the ceiling is below 1 by the decode's share.
 */
function cpuAccount(a: AppRun, y: YardstickRun): Record<string, number | null> {
  const cores = availableParallelism();
  const perSegmentMs = (seconds: number): number => round1((seconds * 1000) / a.segments);
  const total = a.pipeline.cpuSeconds;
  const decode = a.pipeline.decodeCpuSeconds;
  const encoder = y.encoderCpuSecondsPerSegment * a.segments;
  return {
    cores,
    coresBusy: round3(total / a.seconds),
    msPerSegment: perSegmentMs(total),
    encoderAloneMsPerSegment: perSegmentMs(encoder),
    decodeMsPerSegment: decode === null ? null : perSegmentMs(decode),
    otherMsPerSegment: perSegmentMs(total - encoder - (decode ?? 0)),
    encoderAloneCoresBusy: round3(y.encoderCpuSecondsPerSegment / y.encoderSecondsPerSegment.median),
    ceilingAtFullCores: round3((cores * y.encoderSecondsPerSegment.median * a.segments) / total),
  };
}

const rooflineGflops = Math.max(...runs.map((r) => r.y.roofline.gflops));
const packs = runs.map(({ y, a, flops }) => {
  // The encoder's capability is its best of N, as the roofline's is (on a shared machine both find the quiet
  // moments); the end-to-end rate, an average over minutes, is compared with its typical (median) rate.
  const encoderGflops = flops.encoder / 1e9 / y.encoderSecondsPerSegment.best;
  const encoderSegmentsPerSecond = 1 / y.encoderSecondsPerSegment.median;
  const segmentsPerSecond = a.segments / a.seconds;
  return {
    kind: a.kind,
    gflopPerSegment: round3((flops.encoder + flops.head) / 1e9),
    encoderGflops: round1(encoderGflops),
    encoderToRoofline: round3(encoderGflops / rooflineGflops),
    segmentsPerSecond: round3(segmentsPerSecond),
    pipelineToEncoder: round3(segmentsPerSecond / encoderSegmentsPerSecond),
    tracksPerHourQuick: Math.round((a.tracks / a.seconds) * 3600),
    peakRssMB: a.peakRssMB,
    p99RequestLatencyMs: a.latency.p99Ms,
    detail: {
      packId: a.packId,
      encoderGflopPerSegment: round3(flops.encoder / 1e9),
      headGflopPerSegment: round3(flops.head / 1e9),
      encoderSecondsPerSegment: y.encoderSecondsPerSegment,
      encoderSegmentsPerSecondMedian: round3(encoderSegmentsPerSecond),
      encoderMedianGflops: round1(flops.encoder / 1e9 / y.encoderSecondsPerSegment.median),
      roofline: y.roofline,
      rooflineBeforeAfterAnalysis: y.rooflineBeforeAfter,
      threads: y.threads,
      batchSize: y.batchSize,
      warmupSeconds: a.warmupSeconds,
      installPeakRssMB: a.installPeakRssMB,
      encoderAlonePeakRssMB: y.peakRssMB,
      rss: a.rss,
      // Where the end-to-end time went: the share of it the encoder was embedding (the rest it waited for a
      // decode or for the queue), and its rate while embedding (below the encoder alone's when the decode
      // and the rest of the app take CPU from it).
      pipeline: {
        ...a.pipeline,
        encoderBusyShare: round3(a.pipeline.embedSeconds / a.seconds),
        encoderSegmentsPerSecondInPipeline: round3(a.segments / a.pipeline.embedSeconds),
        cpu: cpuAccount(a, y),
      },
      tracks: a.tracks,
      failed: a.failed,
      segments: a.segments,
      seconds: round1(a.seconds),
      latency: a.latency,
      load: { ...y.load, ...a.load },
    },
  };
});
const targets = packs.map((p) => ({
  kind: p.kind,
  encoderToRoofline: p.encoderToRoofline >= TARGETS.encoderToRoofline[p.kind],
  pipelineToEncoder: p.pipelineToEncoder >= TARGETS.pipelineToEncoder,
  peakRssMB: p.peakRssMB < TARGETS.peakRssMB,
  p99RequestLatencyMs: p.p99RequestLatencyMs < TARGETS.p99RequestLatencyMs,
}));
const figures = {
  bench: 'analyze',
  date: new Date().toISOString(),
  machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`,
  loadAverage: { start: loadAtStart, end: load() },
  library: { tracks: TRACKS, warmupTracks: 1, formats: library.formats, audioSeconds: library.audioSeconds, policy: 'quick' },
  rooflineGflops,
  packs,
  targets: { ...TARGETS, met: targets },
  benchSeconds: round1((performance.now() - started) / 1000),
};
for (const p of packs) {
  const t = targets.find((x) => x.kind === p.kind);
  const mark = (ok: boolean | undefined): string => (ok ? 'ok' : 'MISSED');
  process.stdout.write(
    `${p.kind}: ${p.gflopPerSegment} GFLOP/segment; encoder ${p.encoderGflops} GFLOP/s = ${p.encoderToRoofline} of the ${rooflineGflops} GFLOP/s roofline ` +
      `(target >= ${TARGETS.encoderToRoofline[p.kind]}: ${mark(t?.encoderToRoofline)}); end to end ${p.segmentsPerSecond} segments/s = ` +
      `${p.pipelineToEncoder} of the encoder alone (>= 0.9: ${mark(t?.pipelineToEncoder)}), ${p.tracksPerHourQuick} tracks/hour (quick); ` +
      `peak RSS ${p.peakRssMB} MB (< 1500: ${mark(t?.peakRssMB)}); p99 request latency ${p.p99RequestLatencyMs} ms (< 50: ${mark(t?.p99RequestLatencyMs)})\n`,
  );
}
process.stdout.write(
  `library: ${TRACKS} tracks timed + 1 warm-up (${Object.entries(library.formats)
    .map(([f, n]) => `${n} ${f}`)
    .join(', ')}); load average ${loadAtStart.join(' ')} -> ${load().join(' ')}\n`,
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
