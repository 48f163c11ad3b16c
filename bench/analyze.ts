// npm run bench:analyze: analysis throughput with a MERT-sized encoder (random weights, 94 M
// parameters, 12 x 768, 24 kHz), exported by the committed training script on first use (needs the
// Python deps: bash training/ci.sh installs them into training/.venv, which this uses). Prints
// segments/s and tracks/hour with the `quick` policy end to end (decode, resample, encoder, head,
// store), peak RSS, and the encoder's achieved GFLOP/s divided by this machine's ONNX MatMul GFLOP/s
// measured in the same run.
// Last line: one JSON object with the figures.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../src/core/index.js';
import { readManifest } from '../src/core/model/files.js';
import { loadJointModel, normalizeSegment } from '../src/core/model/joint-model.js';
import { ModelRuntime } from '../src/core/model/runtime.js';
import { writeSineWav } from '../tests/support/wav.js';

const GFLOP_PER_SEGMENT = 229; // MERT-v1-95M on 10 s at 24 kHz (data/paper/README.md)
const here = dirname(fileURLToPath(import.meta.url));
/** The training virtual environment's interpreter (made by training/ci.sh), else python3 from PATH. */
const venvPython = join(here, '..', 'training', '.venv', 'bin', 'python');
const python = existsSync(venvPython) ? venvPython : 'python3';
const tmp = join(here, '.tmp');
const packDir = join(tmp, 'mert-random');
const matmulFile = join(tmp, 'matmul-750x768x3072.onnx');
const TRACKS = Number(process.argv[2] ?? 6);
const TRACK_SECONDS = 120;

function ensureAssets(): void {
  mkdirSync(tmp, { recursive: true });
  if (!existsSync(join(packDir, 'manifest.json'))) {
    process.stderr.write('exporting the MERT-sized random encoder (once, ~460 MB)…\n');
    execFileSync(python, ['-m', 'moodshelf_train', 'export-encoder', '--random-init', '--out', packDir], {
      cwd: join(here, '..', 'training'),
      stdio: 'inherit',
    });
  }
  if (!existsSync(matmulFile))
    execFileSync(python, [join(here, 'make-matmul-onnx.py'), matmulFile, '750', '768', '3072'], { stdio: 'inherit' });
}

async function matmulGflops(runtime: ModelRuntime): Promise<number> {
  const a = { data: Float32Array.from({ length: 750 * 768 }, (_, i) => Math.sin(i)), dims: [750, 768] };
  const b = new Float32Array(768 * 3072).map((_, i) => Math.cos(i));
  const session = await runtime.session(matmulFile);
  const ort = await import('onnxruntime-node');
  const feeds = { a: new ort.Tensor('float32', a.data, a.dims), b: new ort.Tensor('float32', b, [768, 3072]) };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const runs = 20;
  const t = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  const secs = (performance.now() - t) / 1000;
  return (2 * 750 * 768 * 3072 * runs) / secs / 1e9;
}

async function encoderGflops(runtime: ModelRuntime): Promise<number> {
  const manifest = await readManifest(packDir);
  const model = loadJointModel(packDir, manifest, runtime);
  const seg = normalizeSegment(Float32Array.from({ length: 240_000 }, (_, i) => Math.sin(i / 9) * 0.3));
  await model.embedAudio([seg]);
  const n = 3;
  const t = performance.now();
  for (let i = 0; i < n; i++) await model.embedAudio([seg]);
  return (GFLOP_PER_SEGMENT * n) / ((performance.now() - t) / 1000);
}

ensureAssets();
const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-analyze-'));
try {
  const lib = join(work, 'lib');
  mkdirSync(lib);
  for (let i = 0; i < TRACKS; i++) writeSineWav(join(lib, `track-${i}.wav`), TRACK_SECONDS, 180 + i * 37, 44100, 2);
  const runtime = new ModelRuntime();
  const matmul = await matmulGflops(runtime);
  const encoder = await encoderGflops(runtime);
  await runtime.dispose();

  const core = await createCore({ dataDir: join(work, 'data') });
  try {
    await core.invoke('library-add', { path: lib });
    await core.run('library-scan');
    await core.run('models-install', { source: packDir });
    const t = performance.now();
    await core.invoke('analysis-start', { policy: 'quick' });
    const summary = await core.run('analysis-wait');
    const secs = (performance.now() - t) / 1000;
    const figures = {
      bench: 'analyze',
      tracks: summary.analyzed,
      failed: summary.failed,
      segments: summary.segments,
      seconds: Number(secs.toFixed(1)),
      segmentsPerSecond: Number((summary.segments / secs).toFixed(3)),
      tracksPerHourQuick: Math.round((summary.analyzed / secs) * 3600),
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      encoderGflops: Number(encoder.toFixed(1)),
      matmulGflops: Number(matmul.toFixed(1)),
      encoderToMatmulRatio: Number((encoder / matmul).toFixed(3)),
      targets: { encoderToMatmulRatio: 0.7, peakRssMB: 1536 },
    };
    process.stdout.write(
      `quick policy: ${figures.segmentsPerSecond} segments/s, ${figures.tracksPerHourQuick} tracks/hour; peak RSS ${figures.peakRssMB} MB (target < 1536)\n` +
        `encoder ${figures.encoderGflops} GFLOP/s vs ONNX MatMul ${figures.matmulGflops} GFLOP/s: ratio ${figures.encoderToMatmulRatio} (target >= 0.7)\n`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await core.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
