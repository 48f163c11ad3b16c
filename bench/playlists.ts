// npm run bench:playlists: time to evaluate mood playlist rules over 50,000 tracks (384-d, stored with
// commitTrackAnalysis in a real database), text encoding excluded: the label encoder is replaced by
// random unit vectors, everything else is the real handler path (playlists-preview, -similar,
// -journey). "cold" = labels never scored before (scores, percentiles and orders computed), "warm" =
// the same rule again (a live preview re-evaluating while a filter is edited). Last line: one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIndexCache } from '../src/core/analysis/embedding-index.js';
import type { ScoringDeps } from '../src/core/analysis/scoring-deps.js';
import { commitTrackAnalysis } from '../src/core/analysis/store.js';
import { openDatabase, type Db } from '../src/core/kernel/database.js';
import { createJobs } from '../src/core/kernel/jobs.js';
import { bindHandlers } from '../src/core/kernel/schema.js';
import { createWriteGrants } from '../src/core/kernel/write-grants.js';
import { l2normalize } from '../src/core/model/joint-model.js';
import { createPlaylistHandlers, type PlaylistHandlerDeps } from '../src/core/playlists/handlers.js';
import type { PlaylistRuleInput } from '../src/core/playlists/rule.js';

const TRACKS = Number(process.argv[2] ?? 50_000);
const SEGMENTS = 2;
const DIM = 384;
const PACK = 'bench@1';

let seed = 7;
const rand = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32 - 0.5;
};
const randomUnit = (): Float32Array => l2normalize(Float32Array.from({ length: DIM }, rand));

function buildLibrary(db: Db): void {
  db.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/bench')").run();
  const insert = db.prepare(
    "INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status, duration, artist, genre, year, title) VALUES (?, 1, ?, 1, 1, 'ok', ?, ?, ?, ?, ?)",
  );
  const genres = ['Rock', 'Ambient', 'Jazz', 'Electronic', 'Folk', 'Classical'];
  db.transaction(() => {
    for (let i = 1; i <= TRACKS; i++) {
      insert.run(
        i,
        `/bench/${i % 50}/${i}.flac`,
        60 + (i % 400),
        `Artist ${i % 2000}`,
        genres[i % genres.length],
        1960 + (i % 65),
        `Track ${i}`,
      );
    }
  })();
  db.transaction(() => {
    for (let i = 1; i <= TRACKS; i++) {
      const segs = Array.from({ length: SEGMENTS }, (_, k) => ({ index: k, start: k * 10, embedding: randomUnit() }));
      commitTrackAnalysis(db, i, PACK, 'full', segs);
    }
  })();
}

/** What the playlist handlers need, with a random "text encoder" in place of the model. */
function benchDeps(db: Db): PlaylistHandlerDeps {
  const model = { embedText: (texts: string[]) => Promise.resolve(texts.map(() => randomUnit())) };
  const scoring = {
    db,
    index: createIndexCache(db),
    models: { active: () => ({ pack: { key: PACK }, manifest: undefined }), activeModel: () => model },
  } as unknown as ScoringDeps;
  const events = { emit: () => {} };
  return { scoring, jobs: createJobs(events), grants: createWriteGrants(), events };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (x: number): number => Number(x.toFixed(1));

const work = mkdtempSync(join(tmpdir(), 'moodshelf-bench-pl-'));
try {
  const db = openDatabase({ file: join(work, 'bench.db') });
  const t0 = performance.now();
  buildLibrary(db);
  const buildMs = performance.now() - t0;
  const deps = benchDeps(db);
  const [indexLoadMs] = await timed(() => Promise.resolve(deps.scoring.index.get(PACK)));
  // Bound like the composition root binds them: the timings include the input check.
  const h = bindHandlers(createPlaylistHandlers(deps));

  const rule = (n: number): PlaylistRuleInput => ({
    match: {
      op: 'and',
      children: [
        { op: 'label', label: `calm ${n}`, percentile: 60 },
        {
          op: 'or',
          children: [
            { op: 'label', label: `warm ${n}`, threshold: 0 },
            { op: 'not', child: { op: 'label', label: `dark ${n}`, percentile: 80 } },
          ],
        },
      ],
    },
    filters: { duration: { min: 90, max: 400 }, year: { min: 1970 }, genre: { notIn: ['Classical'] }, artist: { notIn: ['Artist 1'] } },
    perArtist: 3,
    limit: 200,
  });
  // First call also loads the track columns once (reported apart).
  const [firstMs] = await timed(() => h['playlists-preview']({ rule: rule(0) }));
  const cold: number[] = [];
  const warm: number[] = [];
  let matched = 0;
  for (let r = 1; r <= 5; r++) {
    const [c, res] = await timed(() => h['playlists-preview']({ rule: rule(r) }));
    cold.push(c);
    matched = res.total;
    warm.push((await timed(() => h['playlists-preview']({ rule: rule(r) })))[0]);
  }
  const [titleSortMs] = await timed(() => h['playlists-preview']({ rule: { ...rule(1), sort: { by: 'title' } } }));
  const similar: number[] = [];
  for (let r = 0; r < 5; r++)
    similar.push((await timed(() => h['playlists-similar']({ trackIds: [1 + r * 97, 2 + r * 31], limit: 50 })))[0]);
  const [journeyMs] = await timed(() => h['playlists-journey']({ from: 'calm 1', to: 'warm 1', steps: 20 }));
  const [journeySmoothMs] = await timed(() => h['playlists-journey']({ from: 'calm 2', to: 'warm 2', steps: 20, jumpPenalty: 0.5 }));

  const figures = {
    bench: 'playlists',
    tracks: TRACKS,
    dim: DIM,
    buildDbMs: Math.round(buildMs),
    indexLoadMs: Math.round(indexLoadMs),
    firstPreviewMs: ms(firstMs),
    ruleColdMsMedian: ms(median(cold)),
    ruleWarmMsMedian: ms(median(warm)),
    ruleTitleSortMs: ms(titleSortMs),
    matched,
    similarMsMedian: ms(median(similar)),
    journey20Ms: ms(journeyMs),
    journey20SmoothMs: ms(journeySmoothMs),
    target: { ruleMs: 300 },
  };
  process.stdout.write(
    `rule over ${TRACKS} tracks: ${figures.ruleColdMsMedian} ms cold (3 new labels), ${figures.ruleWarmMsMedian} ms warm (target < 300 ms); first preview incl. track columns ${figures.firstPreviewMs} ms; index load ${figures.indexLoadMs} ms (once)\n`,
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  db.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
