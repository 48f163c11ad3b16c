// npm run bench:ui [-- COUNT]: the library UI over COUNT tracks (default 50,000) with 512-d embeddings.
// The built renderer runs in Chromium over the e2e test transport (the desktop shell's client code to a
// real core in this process, threads as the app's settings set them). Measured, each to the start of the
// frame after the one that painted the state (so the paint is over):
//   - firstRenderMs: navigation start to the first track row;
//   - sortColdMs: "Sort by mood" changed to a label whose text nothing has encoded nor scored yet
//     (checked in the label cache just before) to the first rows of its ranking; the whole real path:
//     the renderer's requests, the core's text encoding with the pack's label encoder, scoring, ranking,
//     the transport, rendering;
//   - sortCompleteMs: the same start to the whole ranking in the table (the grid no longer aria-busy);
//     checked afterwards: the first row is the core's best track, the last row its worst, every track
//     is ranked;
//   - maxFrameMs: the longest frame while scrolling, 90 px and 2,400 px a frame, sorted by a column and
//     by the label;
//   - waveformMs: a click on a 4-minute MP3's row (two rows of the library are real MP3 files) to its
//     waveform drawn in the inspector, its peaks stored in the core as an analysis leaves them; also
//     waveformColdMs, the same for a track whose peaks the core computes on that first view, and
//     peaksComputeMs, the core's computation alone;
// each step starting with the app at rest (no request in flight in the page nor in the core for 400 ms).
// The pack (bench/make-ui-pack.py, exported once into bench/.tmp with training/.venv's Python) is 512-d:
// the tiny audio encoder, a 64 -> 512 head and a label encoder with the compute of CLAP's text tower
// (12 x 768, projected to 512), random weights. Tracks and their stored embeddings (3 segments a track,
// as the default quick policy leaves them) go straight into the database: this bench times the UI and
// the scoring path, not the scanner or the analysis. The machine's load average is reported with the
// figures. BENCH_DEBUG=1 prints the core's slow requests and the page's long animation frames;
// BENCH_PROFILE=FILE writes the page's CPU profile from the sort to the end of the sorted scrolls;
// BENCH_TRACE=FILE a Chromium trace (with thread CPU times) of the 90 px/frame scroll sorted by the label.
// Last line: one JSON object with the figures. Build first: npx electron-vite build.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { commitTrackAnalysis } from '../src/core/analysis/store.js';
import { createCore } from '../src/core/index.js';
import { seededRandom } from '../src/core/kernel/random.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/e2e/support/harness.js';
import { browserBridgeScript, RENDERER_DIR, startTestServer } from '../tests/e2e/support/test-server.js';
import { writeLongMp3 } from '../tests/support/long-mp3.js';
import { loadAverage as load } from './stats.mjs';

const count = Number(process.argv[2] ?? 50_000);
const DIM = 512;
const SEGMENTS = 3;
const TARGETS = { firstRenderMs: 1000, sortColdMs: 300, sortCompleteMs: 1000, maxFrameMs: 50, waveformMs: 200 };

const here = dirname(fileURLToPath(import.meta.url));
const packDir = join(here, '.tmp', 'ui-pack-512');
const PACK_ID = 'bench-ui-512';

if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
  process.stderr.write('out/renderer is missing: run `npx electron-vite build` first.\n');
  process.exit(2);
}

/** The 512-d pack, exported once by bench/make-ui-pack.py with the training environment's Python. */
function ensurePack(): void {
  const manifest = join(packDir, 'manifest.json');
  if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { id?: string }).id === PACK_ID) return;
  const venvPython = join(here, '..', 'training', '.venv', 'bin', 'python');
  mkdirSync(dirname(packDir), { recursive: true });
  process.stderr.write('exporting the 512-d bench pack (once, ~340 MB)…\n');
  execFileSync(existsSync(venvPython) ? venvPython : 'python3', [join(here, 'make-ui-pack.py'), packDir], {
    cwd: join(here, '..', 'training'),
    stdio: 'inherit',
  });
}

interface FrameStats {
  frames: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  over50: number;
}

function stats(deltas: number[]): FrameStats {
  const s = deltas.slice().sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    frames: s.length,
    meanMs: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    p95Ms: r(s[Math.floor(s.length * 0.95)] ?? 0),
    maxMs: r(s.at(-1) ?? 0),
    over50: s.filter((d) => d > 50).length,
  };
}

/** Page-side helpers: requests in flight (the app at rest) and the first row's arrival. */
const PAGE_SCRIPT = `
// tsx (esbuild keepNames) wraps functions passed to page.evaluate in __name(); give the page one.
window.__name = (f) => f;
window.__inflight = 0;
window.__lastRequestEnd = 0;
const fetch0 = window.fetch.bind(window);
window.fetch = (...a) => {
  window.__inflight++;
  return fetch0(...a).finally(() => { window.__inflight--; window.__lastRequestEnd = performance.now(); });
};
// The first row: inserted, then painted by the next frame, which is over when the one after it starts.
new MutationObserver((_, obs) => {
  if (!document.querySelector('.viewport .row[data-track-id]')) return;
  obs.disconnect();
  requestAnimationFrame(() => requestAnimationFrame((t) => { window.__firstRowMs = t; }));
}).observe(document, { childList: true, subtree: true });`;

type BenchWindow = Window & { __inflight: number; __lastRequestEnd: number; __firstRowMs?: number };

/** Requests the core is handling, and when it last answered one (bench-side clock). */
const coreLoad = { inflight: 0, lastEnd: 0 };

/**
 * Waits until neither the page nor the core has had a request in flight for `quietMs` (chips, pages
 * and rankings all answered; the chips wait 120 ms after the view settles before asking).
 */
async function settle(page: Page, quietMs = 400): Promise<void> {
  // Quiet since the call too: what the last step started (a debounce, a deferred fetch) has had its chance.
  const since = performance.now();
  const pageSince = await page.evaluate(() => performance.now());
  for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
    const pageQuiet = await page.evaluate(
      ({ quiet, since }) => {
        const w = window as unknown as BenchWindow;
        return w.__inflight === 0 && performance.now() - Math.max(w.__lastRequestEnd, since) >= quiet;
      },
      { quiet: quietMs, since: pageSince },
    );
    if (pageQuiet && coreLoad.inflight === 0 && performance.now() - Math.max(coreLoad.lastEnd, since) >= quietMs) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the app never came to rest (requests in flight for 2 minutes)');
}

/**
 * Searches for `title`, waits for the app to rest, then clicks its row and times, in the page, from the click
 * to the start of the frame after the inspector's waveform was drawn (its canvas says data-drawn="true").
 */
async function openWaveform(page: Page, title: string): Promise<number> {
  await page.getByTestId('search').fill(title);
  await page.locator('.viewport .row', { hasText: title }).first().waitFor({ timeout: 60_000 });
  await settle(page);
  return page.evaluate(
    (t) =>
      new Promise<number>((resolve, reject) => {
        const row = [...document.querySelectorAll<HTMLElement>('.viewport .row')].find((r) => r.textContent?.includes(t));
        if (!row) return reject(new Error(`no row for ${t}`));
        const t0 = performance.now();
        row.click();
        const tick = (): void => {
          const drawn = document.querySelector('[data-testid="waveform"]')?.getAttribute('data-drawn') === 'true';
          if (drawn && document.querySelector('#inspector-title')?.textContent === t) requestAnimationFrame((now) => resolve(now - t0));
          else if (performance.now() - t0 > 60_000) reject(new Error(`the waveform of ${t} was never drawn`));
          else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
      }),
    title,
  );
}

/** The track id the row at `index` shows, or null when it is not in the DOM or still loading. */
function rowTrackId(page: Page, index: number): Promise<string | null> {
  return page.evaluate((i) => document.getElementById(`track-row-${i}`)?.getAttribute('data-track-id') ?? null, index);
}

/** Scrolls the table by `stepPx` each frame for `frames` frames; returns the frame intervals. */
function scroll(page: Page, stepPx: number, frames: number): Promise<number[]> {
  return page.evaluate(
    ({ stepPx, frames }) =>
      new Promise<number[]>((resolve) => {
        const vp = document.querySelector('[data-testid="track-viewport"]') as HTMLElement;
        const deltas: number[] = [];
        let last = 0;
        let n = 0;
        const tick = (now: number): void => {
          deltas.push(now - last);
          last = now;
          vp.scrollTop += stepPx;
          if (++n < frames) requestAnimationFrame(tick);
          else resolve(deltas);
        };
        requestAnimationFrame((now) => {
          last = now;
          requestAnimationFrame(tick);
        });
      }),
    { stepPx, frames },
  );
}

ensurePack();
const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-ui-'));
const loadAtStart = load();
// Threads as the app sets them (the `threads` setting, 0 = automatic).
const core = await createCore({ dataDir: join(work, 'data') });
try {
  const pack = await core.run('models-install', { source: packDir });
  const db = core.context.db;

  // COUNT tracks inserted directly (no files: the bench measures the UI, not the scanner).
  const t0 = performance.now();
  const folderId = Number(db.prepare('INSERT INTO library_folders (path) VALUES (?)').run(join(work, 'music')).lastInsertRowid);
  const genres = ['Ambient', 'Rock', 'Jazz', 'Classical', 'Electronic', 'Folk', 'Hip-Hop', 'Soul'];
  const insert = db.prepare(
    `INSERT INTO tracks (folder_id, path, size, mtime_ms, duration, title, artist, album, year, genre, status, sample_rate, channels, codec)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', 44100, 2, 'FLAC')`,
  );
  const random = seededRandom(42);
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const artist = `Artist ${String(Math.floor(random() * 2500)).padStart(4, '0')}`;
      const r = insert.run(
        folderId,
        join(work, 'music', artist, `Album ${i % 7}`, `${String(i).padStart(6, '0')} Track.flac`),
        30_000_000,
        Date.now(),
        120 + random() * 300,
        `Track ${i} ${['blue', 'night', 'river', 'gold', 'rain', 'fire', 'glass', 'stone'][i % 8]}`,
        artist,
        `Album ${i % 7}`,
        1960 + Math.floor(random() * 65),
        genres[i % genres.length],
      );
      ids.push(Number(r.lastInsertRowid));
    }
  })();
  // Stored 512-d segment embeddings as the quick policy leaves them (unit vectors), track means by the store.
  db.transaction(() => {
    for (const id of ids) {
      const segments = Array.from({ length: SEGMENTS }, (_, k) => {
        const v = new Float32Array(DIM);
        let n = 0;
        for (let d = 0; d < DIM; d++) {
          v[d] = random() * 2 - 1;
          n += (v[d] as number) ** 2;
        }
        const inv = 1 / Math.sqrt(n);
        for (let d = 0; d < DIM; d++) v[d] = (v[d] as number) * inv;
        return { index: k * 4, start: k * 40, embedding: v };
      });
      commitTrackAnalysis(db, id, pack.key, `quick:${SEGMENTS}`, segments);
    }
  })();
  core.context.index.invalidate();
  // Two rows become real 4-minute MP3s (the fixture's frames repeated: no encoder needed) for the waveform
  // figures: "stored" has its peaks computed as they are after an analysis (timed: peaksComputeMs), "cold"
  // has none, so opening it times the first view's computation in the core.
  mkdirSync(join(work, 'music', 'Real'), { recursive: true });
  const realTracks = ['stored', 'cold'].map((kind, k) => {
    const path = join(work, 'music', 'Real', `waveform-${kind}.mp3`);
    const title = `Bench waveform ${kind}`;
    const duration = writeLongMp3(path, 240, title);
    const st = statSync(path);
    const id = ids[k] as number;
    db.prepare("UPDATE tracks SET path = ?, size = ?, mtime_ms = ?, duration = ?, title = ?, codec = 'MPEG 1 Layer 3' WHERE id = ?").run(
      path,
      st.size,
      Math.floor(st.mtimeMs),
      duration,
      title,
      id,
    );
    return { id, title, duration };
  });
  const peaksStart = performance.now();
  const storedPeaks = await core.context.peaks.ensure((realTracks[0] as { id: number }).id);
  const peaksComputeMs = performance.now() - peaksStart;
  if (storedPeaks.status !== 'ready') throw new Error(`the bench track's peaks failed: ${JSON.stringify(storedPeaks)}`);
  const buildMs = performance.now() - t0;
  const cached = db.prepare('SELECT 1 FROM label_embeddings WHERE encoder_key = ? AND text = ?');

  // How long the core took for each request (name, start, ms), in order (printed with BENCH_DEBUG).
  const handled: [string, number, number][] = [];
  const invoke = core.invokeUntrusted.bind(core);
  core.invokeUntrusted = async (name, args) => {
    const t = performance.now();
    coreLoad.inflight++;
    try {
      return await invoke(name, args);
    } finally {
      coreLoad.inflight--;
      coreLoad.lastEnd = performance.now();
      handled.push([String(name), Math.round(t), Math.round(coreLoad.lastEnd - t)]);
    }
  };
  const server = await startTestServer(core);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript({ content: browserBridgeScript() });
    await context.addInitScript({ content: PAGE_SCRIPT });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const gotoAt = Math.round(performance.now());
    await page.goto(server.url);
    await page.waitForFunction(() => (window as unknown as BenchWindow).__firstRowMs !== undefined, null, { timeout: 60_000 });
    const firstRenderMs = await page.evaluate(() => (window as unknown as BenchWindow).__firstRowMs as number);
    const total = await page.getByTestId('track-count').textContent();

    if (process.env.BENCH_DEBUG) {
      await page.evaluate(() => {
        const w = window as unknown as { __long: unknown[] };
        w.__long = [];
        new PerformanceObserver((l) => {
          for (const e of l.getEntries()) {
            const scripts = (
              (
                e as unknown as {
                  scripts?: {
                    invoker: string;
                    duration: number;
                    sourceFunctionName: string;
                    sourceCharPosition: number;
                    forcedStyleAndLayoutDuration: number;
                  }[];
                }
              ).scripts ?? []
            ).map(
              (x) =>
                `${x.invoker}:${x.sourceFunctionName}@${x.sourceCharPosition}:${Math.round(x.duration)}` +
                (x.forcedStyleAndLayoutDuration >= 1 ? `(forced layout ${Math.round(x.forcedStyleAndLayoutDuration)})` : ''),
            );
            const laf = e as unknown as { renderStart: number; styleAndLayoutStart: number; blockingDuration: number };
            w.__long.push({
              at: Math.round(e.startTime),
              d: Math.round(e.duration),
              block: Math.round(laf.blockingDuration),
              render: Math.round(e.startTime + e.duration - laf.renderStart),
              layout: Math.round(e.startTime + e.duration - laf.styleAndLayoutStart),
              scripts,
            });
          }
        }).observe({ type: 'long-animation-frame', buffered: false });
      });
    }

    // The app at rest after its first render (the first chips load the index and score the vocabulary).
    const settleStart = Date.now();
    await settle(page);
    const settleAfterRenderMs = Date.now() - settleStart;

    // Baseline: frames with nothing to do, to tell the machine's own jitter from the app's.
    const idle = stats(await scroll(page, 0, 120));
    // Scrolling while sorted by a column: rows arrive page by page as they come into view.
    const smoothRaw = await scroll(page, 90, 240);
    const flingRaw = await scroll(page, 2400, 120);
    await page.evaluate(() => ((document.querySelector('[data-testid="track-viewport"]') as HTMLElement).scrollTop = 0));
    await settle(page);

    // A label of the pack's vocabularies that nothing has encoded or scored yet: chips use the active
    // vocabulary only, so one of the others is still cold. Checked in the label cache right before.
    // "Sort by mood" is a searchable picker: open it as a user does and read its options' scoring texts.
    await page.click('[data-testid="sort-label"]');
    const options = await page.$$eval('[data-testid="sort-option"]', (os) => os.map((o) => (o as HTMLElement).dataset.value ?? ''));
    const label = options.filter((o) => o !== '').find((o) => cached.get(pack.key, o) === undefined);
    const handledBeforeSort = handled.length;
    if (process.env.BENCH_DEBUG) {
      const n = db.prepare('SELECT COUNT(*) AS n FROM label_embeddings WHERE encoder_key = ?').get(pack.key) as { n: number };
      process.stderr.write(`label vectors cached before the sort: ${n.n}\n`);
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { responseEnd: Math.round(n.responseEnd), domContentLoaded: Math.round(n.domContentLoadedEventEnd) };
      });
      process.stderr.write(
        `page: ${JSON.stringify(nav)}; navigation at ${gotoAt}, first core requests: ${JSON.stringify(handled.slice(0, 10))}\n`,
      );
      const slow = handled.slice(0, handledBeforeSort).filter(([, , ms]) => ms >= 20);
      process.stderr.write(`core requests of 20 ms or more before the sort: ${JSON.stringify(slow)}\n`);
    }
    if (!label) throw new Error('every label in "Sort by mood" is already encoded: no cold label to sort by');

    // BENCH_PROFILE=FILE: the page's CPU profile from the sort to the end of the sorted scrolls.
    const cdp = process.env.BENCH_PROFILE ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // Sort by it: time to the painted frame whose first row is ranked, and to the whole ranking.
    const sort = await page.evaluate(
      (label) =>
        new Promise<{ coldMs: number; completeMs: number; frames: number[] }>((resolve) => {
          const grid = document.querySelector('[data-testid="track-grid"]') as HTMLElement;
          const option = [...document.querySelectorAll<HTMLElement>('[data-testid="sort-option"]')].find((o) => o.dataset.value === label);
          if (!option) throw new Error(`"${label}" is not an option of "Sort by mood"`);
          const frames: number[] = [];
          const t = performance.now();
          let last = t;
          let coldMs = -1;
          let firstSeen = false;
          option.click();
          const check = (now: number): void => {
            frames.push(now - last);
            last = now;
            // This frame's callbacks run before its paint: a state seen here is on screen at the next one.
            if (firstSeen && coldMs < 0) coldMs = now - t;
            const first = document.getElementById('track-row-0');
            if (first?.hasAttribute('data-track-id') && first.querySelector('.score')) firstSeen = true;
            if (coldMs >= 0 && grid.getAttribute('aria-busy') === 'false') {
              requestAnimationFrame((done) => resolve({ coldMs, completeMs: done - t, frames }));
              return;
            }
            requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        }),
      label,
    );
    const labelEncoded = cached.get(pack.key, label) !== undefined;
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`core requests during the sort: ${JSON.stringify(handled.slice(handledBeforeSort))}\n`);
    // The ranking the core holds now (its label vector cached: this no longer times anything).
    const { trackIds: ranking } = await core.invoke('scores-label', { label });
    const firstRowId = await rowTrackId(page, 0);
    const rankedCount = await page.getByTestId('track-count').textContent();
    await settle(page);

    if (process.env.BENCH_TRACE)
      await browser.startTracing(page, {
        path: process.env.BENCH_TRACE,
        categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'toplevel', 'blink', 'v8'],
      });
    const sortedSmoothRaw = await scroll(page, 90, 240);
    if (process.env.BENCH_TRACE) await browser.stopTracing();
    const sortedFlingRaw = await scroll(page, 2400, 120);
    if (cdp) writeFileSync(process.env.BENCH_PROFILE as string, JSON.stringify((await cdp.send('Profiler.stop')).profile));
    // The end of the table: the core's worst track is the last row.
    await page.evaluate(() => {
      const vp = document.querySelector('[data-testid="track-viewport"]') as HTMLElement;
      vp.scrollTop = vp.scrollHeight;
    });
    await settle(page);
    const lastRowId = await rowTrackId(page, ranking.length - 1);
    // The waveform: from a click on the 4-minute track's row (the inspector opens) to the start of the frame
    // after the one that drew its waveform. Stored peaks first (as after an analysis), then a track never
    // opened (the core decodes it on this first view). Measured after the sort, because opening the
    // inspector asks for suggestions merged by aligned concept, which encodes every vocabulary label and so
    // would leave no never-scored label to sort by.
    const handledBeforeWaveform = handled.length;
    const waveformMs = await openWaveform(page, (realTracks[0] as { title: string }).title);
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`core requests while the waveform opened: ${JSON.stringify(handled.slice(handledBeforeWaveform))}\n`);
    await page.keyboard.press('Escape');
    const waveformColdMs = await openWaveform(page, (realTracks[1] as { title: string }).title);
    await page.keyboard.press('Escape');
    await page.getByTestId('search').fill('');
    await page.waitForFunction((n) => document.querySelector('[data-testid="track-count"]')?.textContent === n, total, { timeout: 60_000 });
    await settle(page);
    process.stderr.write(
      `waveform: ${Math.round(waveformMs)} ms with stored peaks, ${Math.round(waveformColdMs)} ms on a first view (peaks alone ${Math.round(peaksComputeMs)} ms)\n`,
    );
    const checks = {
      labelEncodedBySort: labelEncoded,
      firstRowIsBest: firstRowId === String(ranking[0]),
      lastRowIsWorst: lastRowId === String(ranking.at(-1)),
      rankedAll: ranking.length === count && rankedCount === `${count.toLocaleString('en-US')} tracks`,
      noPageErrors: pageErrors.length === 0,
    };

    const smooth = stats(smoothRaw);
    const fling = stats(flingRaw);
    const sortedSmooth = stats(sortedSmoothRaw);
    const sortedFling = stats(sortedFlingRaw);
    if (process.env.BENCH_DEBUG) {
      const idx = (d: number[]) => d.map((x, i) => [i, Math.round(x)]).filter(([, x]) => (x as number) > 34);
      process.stderr.write(
        `long frames: ${JSON.stringify({ smooth: idx(smoothRaw), fling: idx(flingRaw), sort: idx(sort.frames), sortedSmooth: idx(sortedSmoothRaw), sortedFling: idx(sortedFlingRaw) })}\n`,
      );
      process.stderr.write(
        `long animation frames: ${JSON.stringify(await page.evaluate(() => (window as unknown as { __long: unknown[] }).__long))}\n`,
      );
    }
    const maxFrameMs = Math.max(smooth.maxMs, fling.maxMs, sortedSmooth.maxMs, sortedFling.maxMs);
    const r = Math.round;
    const figures = {
      bench: 'ui',
      tracks: count,
      dim: DIM,
      segmentsPerTrack: SEGMENTS,
      labelEncoder: 'random 12 x 768 -> 512 (CLAP text tower compute), bench/make-ui-pack.py',
      label,
      firstRenderMs: r(firstRenderMs),
      sortColdMs: r(sort.coldMs),
      sortCompleteMs: r(sort.completeMs),
      maxFrameMs,
      waveformMs: r(waveformMs),
      waveformColdMs: r(waveformColdMs),
      peaksComputeMs: r(peaksComputeMs),
      waveformTrack: `MP3, ${Math.round((realTracks[0] as { duration: number }).duration)} s, 64 kbit/s 44.1 kHz (tests/support/long-mp3.ts)`,
      sortMaxFrameMs: r(Math.max(...sort.frames)),
      settleAfterRenderMs,
      scroll: { idle, smooth, fling, sortedSmooth, sortedFling },
      buildLibraryMs: r(buildMs),
      invokes: Object.fromEntries(server.calls),
      checks,
      cpus: availableParallelism(),
      loadAverage: { start: loadAtStart, end: load() },
      targets: TARGETS,
      pass:
        Object.values(checks).every(Boolean) &&
        firstRenderMs < TARGETS.firstRenderMs &&
        sort.coldMs < TARGETS.sortColdMs &&
        sort.completeMs < TARGETS.sortCompleteMs &&
        maxFrameMs <= TARGETS.maxFrameMs &&
        waveformMs < TARGETS.waveformMs,
    };
    process.stdout.write(
      `${count} tracks (${total}), ${SEGMENTS} x ${DIM}-d embeddings each, built in ${figures.buildLibraryMs} ms\n` +
        `first render: ${figures.firstRenderMs} ms (target < ${TARGETS.firstRenderMs}); at rest ${settleAfterRenderMs} ms later\n` +
        `sort by never-scored "${label}": first rows ${figures.sortColdMs} ms (target < ${TARGETS.sortColdMs}), whole ranking ${figures.sortCompleteMs} ms (target < ${TARGETS.sortCompleteMs}), longest frame meanwhile ${figures.sortMaxFrameMs} ms\n` +
        `idle (no scrolling, machine baseline): mean ${idle.meanMs} ms, max ${idle.maxMs} ms\n` +
        `scroll 90 px/frame: mean ${smooth.meanMs} ms, p95 ${smooth.p95Ms} ms, max ${smooth.maxMs} ms\n` +
        `scroll 2400 px/frame: mean ${fling.meanMs} ms, p95 ${fling.p95Ms} ms, max ${fling.maxMs} ms\n` +
        `scroll sorted by label, 90 px/frame: mean ${sortedSmooth.meanMs} ms, p95 ${sortedSmooth.p95Ms} ms, max ${sortedSmooth.maxMs} ms\n` +
        `scroll sorted by label, 2400 px/frame: mean ${sortedFling.meanMs} ms, p95 ${sortedFling.p95Ms} ms, max ${sortedFling.maxMs} ms (target: no frame over ${TARGETS.maxFrameMs})\n` +
        `waveform of a 4-minute MP3: ${figures.waveformMs} ms with stored peaks (target < ${TARGETS.waveformMs}), ${figures.waveformColdMs} ms on a first view (peaks computed in the core then; ${figures.peaksComputeMs} ms alone)\n` +
        `checks: ${JSON.stringify(checks)}${pageErrors.length ? `; page errors: ${pageErrors.join(' | ')}` : ''}\n` +
        `load average ${loadAtStart.join(' ')} at start, ${figures.loadAverage.end.join(' ')} at end (${figures.cpus} CPUs)\n`,
    );
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await browser.close();
    await server.close();
  }
} finally {
  await core.close();
  rmSync(work, { recursive: true, force: true });
}
