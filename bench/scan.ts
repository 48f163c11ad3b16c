// npm run bench:scan [-- COUNT] [--workers N] [--no-yardstick] [--keep]: builds a COUNT-file library
// (default 5,000) of full-length files in every format the scanner indexes, then times the first scan
// and an unchanged rescan through the real core. The files are distinct copies of the real-encoder
// corpus (tests/support/real-corpus.ts, cached after its first generation): each copy gets its own
// artist tag, written in place, so every file has its own content fingerprint and tags. The mix is
// mostly lossy files (as libraries are) with every lossless format present; it takes about 4 MB of disk
// per file, checked before anything is written.
//
// The first scan probes as the app does (defaultProbeWorkers: in the core's own thread on 2 cores, in
// worker threads beyond); --workers N sets the count (0: in the core's thread). As a yardstick measured
// in the same run, on the same machine load, the bench then scans the library twice more from an empty
// index: probing in the core's thread, then with worker threads (N, or 2 when N is 0). Both find the
// file contents in the page cache, so their ratio is the like-for-like gain of the workers
// (--no-yardstick skips them). The load average is recorded with every scan.
//
// --keep leaves the library in bench/.tmp/scan-library for the next run, which reuses it (instead of
// writing ~20 GB again) when the corpus recipe and COUNT are unchanged. A reused library is older and
// may be less in the page cache than a freshly written one; the figures say `libraryReused`.
// Prints a summary and, as its last line, one JSON object with the figures.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCore } from '../src/core/index.js';
import { AUDIO_EXTENSIONS } from '../src/core/library/formats.js';
import { defaultProbeWorkers } from '../src/core/library/probe-pool.js';
import type { ScanResult } from '../src/core/library/scanner.js';
import { ARTIST_STAMP_LENGTH, artistStamper, ensureRealCorpus, type CorpusFile } from '../tests/support/real-corpus.js';
import { loadAverage as load } from './stats.mjs';

/** Relative share of the library per corpus format (lossy formats dominate, lossless ones are all present). */
const WEIGHTS: Record<string, number> = {
  'flac-cover': 0.08,
  alac: 0.05,
  wavpack: 0.04,
  'wav-s16': 0.03,
  'flac-24-96': 0.02,
  aiff: 0.02,
  'wav-s24': 0.01,
  'wav-f32': 0.01,
};
const LOSSY_WEIGHT = 1;
/** Bump when the library's layout or stamping changes, so a kept library is not reused. */
const LIBRARY_VERSION = 1;
/** Where --keep leaves libraries (git-ignored). */
const KEEP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '.tmp', 'scan-library');

/** Splits `total` over the files by weight (largest remainder), at least one file each. */
function allocate(files: CorpusFile[], total: number): Map<CorpusFile, number> {
  const w = files.map((f) => WEIGHTS[f.format] ?? LOSSY_WEIGHT);
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => Math.max(1, (x / sum) * total));
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = (order[k] as readonly [number, number])[1];
    counts[i] = (counts[i] as number) + 1;
  }
  return new Map(files.map((f, i) => [f, counts[i] as number]));
}

/** Writes the stamped copies under `root`. */
function writeLibrary(root: string, templates: CorpusFile[], counts: Map<CorpusFile, number>, count: number): void {
  let n = 0;
  for (const file of templates) {
    const buf = readFileSync(file.path);
    const stamp = artistStamper(buf, file);
    const ext = extname(file.name);
    for (let k = 0; k < (counts.get(file) ?? 0); k++, n++) {
      const dir = join(root, `Artist ${String(Math.floor(n / 100)).padStart(3, '0')}`, `Album ${Math.floor(n / 10) % 10}`);
      mkdirSync(dir, { recursive: true });
      stamp(`Copy ${String(n).padStart(ARTIST_STAMP_LENGTH - 5, '0')}`);
      writeFileSync(join(dir, `${String(n).padStart(5, '0')} ${file.format}${ext}`), buf);
    }
    if (process.stderr.isTTY) process.stderr.write(`\rwriting ${n}/${count} files`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
}

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string' },
    'no-yardstick': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(positionals[0] ?? 5000);
const workers = flags.workers === undefined ? defaultProbeWorkers() : Number(flags.workers);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(workers) || workers < 0) {
  process.stderr.write('usage: npm run bench:scan -- [COUNT] [--workers N] [--no-yardstick] [--keep]\n');
  process.exit(2);
}
const loadAtStart = load();
const corpus = await ensureRealCorpus();
const templates = corpus.files.filter((f) => extname(f.name).toLowerCase() in AUDIO_EXTENSIONS);
const unsupported = corpus.files.filter((f) => !templates.includes(f)).map((f) => f.format);
const counts = allocate(templates, count);
const bytes = templates.reduce((a, f) => a + f.size * (counts.get(f) ?? 0), 0);
const libraryKey = createHash('sha256')
  .update(JSON.stringify({ v: LIBRARY_VERSION, corpus: corpus.hash, count, weights: WEIGHTS }))
  .digest('hex')
  .slice(0, 16);
const kept = join(KEEP_ROOT, libraryKey);
const libraryReused = existsSync(join(kept, 'ready.json'));

if (!libraryReused) {
  const target = flags.keep ? KEEP_ROOT : tmpdir();
  mkdirSync(target, { recursive: true });
  // One kept library at a time: one of an older recipe or another COUNT goes first.
  if (flags.keep) for (const name of readdirSync(KEEP_ROOT)) rmSync(join(KEEP_ROOT, name), { recursive: true, force: true });
  if (freeBytes(target) < bytes + 2 ** 30) {
    process.stderr.write(
      `bench:scan needs ${(bytes / 2 ** 30).toFixed(1)} GiB (+1 GiB spare) in ${target} for ${count} full-length files, ` +
        `only ${(freeBytes(target) / 2 ** 30).toFixed(1)} GiB is free: free some space or pass a smaller COUNT\n`,
    );
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-scan-'));
let root = join(kept, 'library');
try {
  const t0 = performance.now();
  if (!libraryReused) {
    if (flags.keep) {
      const building = join(KEEP_ROOT, `.tmp-${libraryKey}-${process.pid}`);
      writeLibrary(join(building, 'library'), templates, counts, count);
      writeFileSync(join(building, 'ready.json'), `${JSON.stringify({ count, bytes, corpus: corpus.hash })}\n`);
      renameSync(building, kept);
    } else {
      root = join(work, 'library');
      writeLibrary(root, templates, counts, count);
    }
  }
  const generateMs = performance.now() - t0;

  /** A first scan from an empty index with `probeWorkers` workers (the yardstick runs). */
  const firstScan = async (probeWorkers: number): Promise<{ result: ScanResult; load: number[] }> => {
    const dataDir = mkdtempSync(join(work, 'data-'));
    const core = await createCore({ dataDir, scan: { probeWorkers } });
    try {
      await core.invoke('library-add', { path: root });
      return { result: await core.run('library-scan'), load: load() };
    } finally {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  const rate = (r: ScanResult): number => Math.round((r.filesSeen * 1000) / r.durationMs);

  const dataDir = mkdtempSync(join(work, 'data-'));
  const core = await createCore({ dataDir, scan: { probeWorkers: workers } });
  let figures;
  try {
    await core.invoke('library-add', { path: root });
    const first = await core.run('library-scan');
    const loadFirst = load();
    const t1 = performance.now();
    const rescan = await core.run('library-scan');
    const rescanMs = performance.now() - t1;
    const db = core.context.db;
    const distinct = db.prepare('SELECT COUNT(DISTINCT fingerprint) AS fp, COUNT(DISTINCT artist) AS artists FROM tracks').get() as {
      fp: number;
      artists: number;
    };
    const formatOf = (path: string): string => /^\d{5} (.+)\.[^.]+$/.exec(path.split('/').pop() ?? '')?.[1] ?? '?';
    const formats: Record<string, number> = {};
    const failedByFormat: Record<string, number> = {};
    for (const r of db.prepare('SELECT path, status FROM tracks').all() as { path: string; status: string }[]) {
      const f = formatOf(r.path);
      formats[f] = (formats[f] ?? 0) + 1;
      if (r.status !== 'ok') failedByFormat[f] = (failedByFormat[f] ?? 0) + 1;
    }
    figures = {
      bench: 'scan',
      files: first.filesSeen,
      failed: first.failed,
      failedByFormat,
      formats,
      unsupported,
      bytes,
      distinctFingerprints: distinct.fp,
      distinctArtists: distinct.artists,
      corpusGenerateMs: corpus.generatedMs,
      corpusCached: corpus.cached,
      libraryReused,
      generateMs: Math.round(generateMs),
      workers: first.probeWorkers,
      firstScanMs: first.durationMs,
      firstScanFilesPerSec: rate(first),
      rescanMs: Math.round(rescanMs),
      rescanUnchanged: rescan.unchanged,
      loadAvg: { start: loadAtStart, firstScan: loadFirst } as Record<string, number[]>,
      // The yardstick (see the top of this file), unless --no-yardstick.
      inThreadFilesPerSec: undefined as number | undefined,
      yardstick: undefined as { workers: number; workersFilesPerSec: number; workersSpeedup: number } | undefined,
      targets: { firstScanFilesPerSec: 500, rescanMs: 2000 },
    };
  } finally {
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  if (!flags['no-yardstick']) {
    const inThread = await firstScan(0);
    const pooled = await firstScan(workers > 0 ? workers : 2);
    figures.inThreadFilesPerSec = rate(inThread.result);
    figures.yardstick = {
      workers: pooled.result.probeWorkers,
      workersFilesPerSec: rate(pooled.result),
      workersSpeedup: Math.round((rate(pooled.result) / rate(inThread.result)) * 100) / 100,
    };
    figures.loadAvg.inThread = inThread.load;
    figures.loadAvg.workers = pooled.load;
  }

  const f = figures;
  process.stdout.write(
    `library: ${f.files} full-length files, ${(bytes / 2 ** 30).toFixed(1)} GiB, ` +
      `${libraryReused ? 'reused from bench/.tmp' : `written in ${f.generateMs} ms`} ` +
      `(corpus ${corpus.cached ? 'cached' : `generated in ${corpus.generatedMs} ms`}); load average ${loadAtStart.join(' ')}\n` +
      `first scan: ${f.files} files in ${f.firstScanMs} ms = ${f.firstScanFilesPerSec} files/s, ` +
      `${f.workers > 0 ? `${f.workers} probe workers` : "probing in the core's thread"} ` +
      `(target >= 500), ${f.failed} failed, ${f.distinctFingerprints} distinct fingerprints\n` +
      `unchanged rescan: ${f.rescanMs} ms (target < 2000), ${f.rescanUnchanged} unchanged\n` +
      (f.yardstick === undefined
        ? ''
        : `yardstick, same run, warm page cache: probing in the core's thread ${f.inThreadFilesPerSec} files/s, ` +
          `${f.yardstick.workers} probe workers ${f.yardstick.workersFilesPerSec} files/s (x${f.yardstick.workersSpeedup})\n`),
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
