// npm run bench:scan [-- COUNT]: builds a COUNT-file library (default 5,000, mixed formats, 1 in 25
// broken), then times the first scan and an unchanged rescan through the real core. Prints a summary
// and, as its last line, one JSON object with the figures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCore } from '../src/core/index.js';
import { generateLibrary } from '../tests/support/library-gen.js';

const count = Number(process.argv[2] ?? 5000);
const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-scan-'));
try {
  const t0 = performance.now();
  const lib = generateLibrary(join(work, 'library'), count);
  const generateMs = performance.now() - t0;
  const core = await createCore({ dataDir: join(work, 'data') });
  try {
    await core.invoke('library-add', { path: lib.root });
    const first = await core.invoke('library-scan');
    const t1 = performance.now();
    const rescan = await core.invoke('library-scan');
    const rescanMs = performance.now() - t1;
    const figures = {
      bench: 'scan',
      files: first.filesSeen,
      failed: first.failed,
      generateMs: Math.round(generateMs),
      firstScanMs: first.durationMs,
      firstScanFilesPerSec: Math.round((first.filesSeen * 1000) / first.durationMs),
      rescanMs: Math.round(rescanMs),
      rescanUnchanged: rescan.unchanged,
      targets: { firstScanFilesPerSec: 300, rescanMs: 2000 },
    };
    process.stdout.write(
      `first scan: ${figures.files} files in ${figures.firstScanMs} ms = ${figures.firstScanFilesPerSec} files/s (target >= 300)\n` +
        `unchanged rescan: ${figures.rescanMs} ms (target < 2000), ${figures.rescanUnchanged} unchanged\n`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await core.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
