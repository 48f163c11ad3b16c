// npm run bench:scan [-- COUNT]: builds a COUNT-file library (default 5,000) of full-length files in
// every format the scanner indexes, then times the first scan and an unchanged rescan through the real
// core. The files are distinct copies of the real-encoder corpus (tests/support/real-corpus.ts, cached
// after its first generation): each copy gets its own artist tag, written in place, so every file has
// its own content fingerprint and tags. The mix is mostly lossy files (as libraries are) with every
// lossless format present; it takes about 4 MB of disk per file, checked before anything is written.
// Prints a summary and, as its last line, one JSON object with the figures.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { createCore } from '../src/core/index.js';
import { AUDIO_EXTENSIONS } from '../src/core/library/formats.js';
import { ARTIST_STAMP_LENGTH, artistStamper, ensureRealCorpus, type CorpusFile } from '../tests/support/real-corpus.js';

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

const count = Number(process.argv[2] ?? 5000);
const corpus = await ensureRealCorpus();
const templates = corpus.files.filter((f) => extname(f.name).toLowerCase() in AUDIO_EXTENSIONS);
const unsupported = corpus.files.filter((f) => !templates.includes(f)).map((f) => f.format);
const counts = allocate(templates, count);
const bytes = templates.reduce((a, f) => a + f.size * (counts.get(f) ?? 0), 0);

const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-scan-'));
const free = (() => {
  const s = statfsSync(work);
  return s.bavail * s.bsize;
})();
if (free < bytes + 2 ** 30) {
  rmSync(work, { recursive: true, force: true });
  process.stderr.write(
    `bench:scan needs ${(bytes / 2 ** 30).toFixed(1)} GiB (+1 GiB spare) in ${tmpdir()} for ${count} full-length files, ` +
      `only ${(free / 2 ** 30).toFixed(1)} GiB is free: free some space or pass a smaller COUNT\n`,
  );
  process.exit(1);
}

try {
  const t0 = performance.now();
  const root = join(work, 'library');
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
  const generateMs = performance.now() - t0;

  const core = await createCore({ dataDir: join(work, 'data') });
  try {
    await core.invoke('library-add', { path: root });
    const first = await core.invoke('library-scan');
    const t1 = performance.now();
    const rescan = await core.invoke('library-scan');
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
    const figures = {
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
      generateMs: Math.round(generateMs),
      firstScanMs: first.durationMs,
      firstScanFilesPerSec: Math.round((first.filesSeen * 1000) / first.durationMs),
      rescanMs: Math.round(rescanMs),
      rescanUnchanged: rescan.unchanged,
      targets: { firstScanFilesPerSec: 500, rescanMs: 2000 },
    };
    process.stdout.write(
      `library: ${figures.files} full-length files, ${(bytes / 2 ** 30).toFixed(1)} GiB, written in ${figures.generateMs} ms ` +
        `(corpus ${corpus.cached ? 'cached' : `generated in ${corpus.generatedMs} ms`})\n` +
        `first scan: ${figures.files} files in ${figures.firstScanMs} ms = ${figures.firstScanFilesPerSec} files/s (target >= 500), ` +
        `${figures.failed} failed, ${distinct.fp} distinct fingerprints\n` +
        `unchanged rescan: ${figures.rescanMs} ms (target < 2000), ${figures.rescanUnchanged} unchanged\n`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await core.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
