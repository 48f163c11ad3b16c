import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/core/kernel/database.js';
import { commitTrackAnalysis } from '../../src/core/analysis/store.js';
import {
  createIndexCache,
  loadEmbeddingIndex,
  refreshEmbeddingIndex,
  type EmbeddingIndex,
} from '../../src/core/analysis/embedding-index.js';
import { percentiles, rankInOrder, rankScores, scoreTracks } from '../../src/core/analysis/scoring.js';
import { rowMatrix, rowMatrixHelper } from '../../src/core/analysis/row-matrix.js';
import { dot, fromBlob } from '../../src/core/analysis/vectors.js';
import { seededRandom } from '../../src/core/kernel/random.js';

const PACK = 'p@1';

function library(n: number, firstId = 1, step = 1): Db {
  const db = openDatabase({ file: ':memory:' });
  db.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/m')").run();
  const insert = db.prepare("INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status) VALUES (?, 1, ?, 1, 1, 'ok')");
  for (let i = 0; i < n; i++) insert.run(firstId + i * step, `/m/${firstId + i * step}.mp3`);
  return db;
}

function analyse(db: Db, id: number, segments: number, seed: number, dim = 3, pack = PACK): void {
  const r = seededRandom(seed);
  const segs = Array.from({ length: segments }, (_, k) => ({
    index: k,
    start: k * 10,
    embedding:
      dim === 3 ? Float32Array.from([Math.cos(seed + k), Math.sin(seed + k), 0.5]) : Float32Array.from({ length: dim }, () => r() - 0.5),
  }));
  commitTrackAnalysis(db, id, pack, 'full', segs);
}

/** What the index held before (one query per table, rows in id order, each blob decoded on its own). */
function reference(db: Db, pack: string): { trackIds: number[]; tracks: Float32Array[] } {
  const rows = db.prepare('SELECT track_id AS id, embedding AS e FROM track_embeddings WHERE pack_key = ? ORDER BY track_id').all(pack) as {
    id: number;
    e: Buffer;
  }[];
  return { trackIds: rows.map((r) => r.id), tracks: rows.map((r) => fromBlob(r.e)) };
}

/** The index as a map id -> track vector, independent of row order; checks the row lookup on the way. */
function view(ix: EmbeddingIndex): Map<number, number[]> {
  const out = new Map<number, number[]>();
  ix.trackIds.forEach((id, i) => {
    expect(ix.rowOf.get(id)).toBe(i);
    expect(out.has(id)).toBe(false);
    out.set(id, [...ix.tracks.subarray(i * ix.dim, (i + 1) * ix.dim)]);
  });
  expect(ix.tracks.length).toBe(ix.trackIds.length * ix.dim);
  return out;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

describe('embedding index', () => {
  it('loads exactly what the stored rows hold, in id order, bit for bit', () => {
    const db = library(40);
    for (let i = 40; i >= 1; i -= 3) analyse(db, i, 1 + (i % 5), i, 16);
    const ix = loadEmbeddingIndex(db, PACK);
    const ref = reference(db, PACK);
    expect([...ix.trackIds]).toEqual(ref.trackIds);
    expect(ix.dim).toBe(16);
    ref.tracks.forEach((v, i) => expect(new Uint32Array(ix.tracks.slice(i * 16, (i + 1) * 16).buffer)).toEqual(new Uint32Array(v.buffer)));
    expect(ix.rowOf.get(2)).toBeUndefined();
    expect(ix.rowOf.get(999)).toBeUndefined();
    expect(ix.stamp).toBe(`${PACK}#${ix.version}`);
    db.close();
  });

  it('is empty for a pack with no results, and loads in full once results arrive', () => {
    const db = library(3);
    const empty = loadEmbeddingIndex(db, PACK);
    expect(empty.trackIds.length).toBe(0);
    expect(empty.rowOf.get(1)).toBeUndefined();
    analyse(db, 2, 2, 2);
    const ix = refreshEmbeddingIndex(db, empty);
    expect(view(ix)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    expect(ix.stamp).not.toBe(empty.stamp);
    db.close();
  });

  it('refreshes incrementally to exactly what a full load gives (new, re-analysed and deleted tracks)', async () => {
    const db = library(8);
    for (let i = 1; i <= 4; i++) analyse(db, i, 2, i);
    let ix = loadEmbeddingIndex(db, PACK);
    expect(refreshEmbeddingIndex(db, ix)).toBe(ix);
    await tick();
    analyse(db, 5, 3, 50);
    analyse(db, 2, 4, 20);
    const before = view(ix);
    const next = refreshEmbeddingIndex(db, ix);
    expect(view(next)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    expect(next.trackIds.length).toBe(5);
    expect(next.stamp).not.toBe(ix.stamp);
    // The older snapshot keeps its rows (track 2 shows its newer vector: replaced in place).
    expect(ix.trackIds.length).toBe(4);
    expect(ix.rowOf.get(5)).toBeUndefined();
    expect(view(ix).get(1)).toEqual(before.get(1));
    ix = next;
    db.prepare('DELETE FROM tracks WHERE id = 3').run();
    await tick();
    analyse(db, 6, 1, 60);
    const afterDelete = refreshEmbeddingIndex(db, ix);
    expect(view(afterDelete)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    expect([...afterDelete.trackIds].sort()).toEqual([1, 2, 4, 5, 6]);
    // A deletion copies: the snapshot before it still has track 3 where it was.
    expect(ix.rowOf.get(3)).toBeDefined();
    expect(view(ix).size).toBe(5);
    db.close();
  });

  it('ignores other packs, and takes results moved to another pack as deletions', () => {
    const db = library(4);
    for (let i = 1; i <= 4; i++) analyse(db, i, 2, i);
    const ix = loadEmbeddingIndex(db, PACK);
    analyse(db, 1, 2, 9, 3, 'other@1'); // replaces track 1's results under PACK
    const other = loadEmbeddingIndex(db, 'other@1');
    expect([...other.trackIds]).toEqual([1]);
    const next = refreshEmbeddingIndex(db, ix);
    expect([...next.trackIds].sort()).toEqual([2, 3, 4]);
    expect(refreshEmbeddingIndex(db, next)).toBe(next);
    expect(refreshEmbeddingIndex(db, other)).toBe(other);
    db.close();
  });

  it('matches a full load through a long random sequence of adds, re-analyses and deletions', () => {
    const db = library(300);
    const r = seededRandom(7);
    for (let i = 1; i <= 150; i++) analyse(db, i, 1 + Math.floor(r() * 4), i, 8);
    const cache = createIndexCache(db);
    let ix = cache.get(PACK);
    const snapshots: { ix: EmbeddingIndex; ids: number[] }[] = [];
    for (let step = 0; step < 120; step++) {
      const id = 1 + Math.floor(r() * 300);
      const op = r();
      if (op < 0.15) db.prepare('DELETE FROM track_embeddings WHERE track_id = ?').run(id);
      else analyse(db, id, 1 + Math.floor(r() * 4), 1000 + step, 8);
      if (r() < 0.4) {
        ix = cache.get(PACK);
        expect(view(ix)).toEqual(view(loadEmbeddingIndex(db, PACK)));
        snapshots.push({ ix, ids: [...ix.trackIds] });
      }
    }
    // Rows never move or disappear under a snapshot, whatever came after it.
    for (const s of snapshots) {
      expect([...s.ix.trackIds]).toEqual(s.ids);
      s.ids.forEach((id, i) => expect(s.ix.rowOf.get(id)).toBe(i));
    }
    db.close();
  });

  it('handles sparse track ids', () => {
    const db = library(20, 1_000_000, 7_919_111);
    const ids = (db.prepare('SELECT id FROM tracks ORDER BY id').pluck().all() as number[]).slice(0, 12);
    ids.forEach((id, i) => analyse(db, id, 2, i, 4));
    let ix = loadEmbeddingIndex(db, PACK);
    expect([...ix.trackIds]).toEqual(ids);
    analyse(db, ids[3] as number, 1, 99, 4);
    db.prepare('DELETE FROM track_embeddings WHERE track_id = ?').run(ids[5]);
    ix = refreshEmbeddingIndex(db, ix);
    expect(view(ix)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    db.close();
  });

  it('appends a new track without copying the matrix, and scores it like a full load does', () => {
    const db = library(50);
    for (let i = 1; i <= 40; i++) analyse(db, i, 3, i, 32);
    const ix = loadEmbeddingIndex(db, PACK);
    analyse(db, 41, 3, 41, 32);
    const next = refreshEmbeddingIndex(db, ix);
    expect(next.tracks.buffer).toBe(ix.tracks.buffer);
    expect(next.rowOf.get(41)).toBe(40);
    const label = Float32Array.from({ length: 32 }, (_, k) => Math.sin(k));
    const full = loadEmbeddingIndex(db, PACK);
    expect([...scoreTracks(next, label)]).toEqual([...scoreTracks(full, label)]);
    db.close();
  });
});

/** The ranking and percentiles as they were computed before (stable comparator sorts). */
function oldRanking(scores: Float32Array): { order: number[]; pct: Float32Array } {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const asc = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  const pct = new Float32Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[asc[j + 1] as number] === scores[asc[i] as number]) j++;
    for (let k = i; k <= j; k++) pct[asc[k] as number] = ((j + 1) / n) * 100;
    i = j + 1;
  }
  return { order, pct };
}

describe('ranking', () => {
  it('orders best first with ties by row and gives the same percentiles as the comparator sorts, bit for bit', () => {
    const r = seededRandom(3);
    const cases = [
      new Float32Array(0),
      Float32Array.of(0.5),
      Float32Array.of(0, -0, 0, -0.25, 0.25, -0),
      Float32Array.of(1, 1, 1, 1),
      Float32Array.from({ length: 5000 }, () => Math.round((r() - 0.5) * 200) / 100),
      Float32Array.from({ length: 20_000 }, () => (r() - 0.5) * 2),
      Float32Array.from({ length: 3000 }, () => (r() < 0.01 ? -Infinity : r() < 0.01 ? Infinity : r() - 0.5)),
    ];
    for (const scores of cases) {
      const got = rankScores(scores);
      const want = oldRanking(scores);
      expect([...got.order]).toEqual(want.order);
      expect(new Uint32Array(got.percentiles.buffer)).toEqual(new Uint32Array(want.pct.buffer));
      expect(percentiles(scores)).toEqual(got.percentiles);
      // The same in rank order (what scores-label sends).
      const inOrder = rankInOrder(scores);
      expect([...inOrder.order]).toEqual(want.order);
      expect([...inOrder.sorted]).toEqual(want.order.map((i) => scores[i]));
      expect([...inOrder.percentiles]).toEqual(want.order.map((i) => got.percentiles[i]));
    }
  });

  it('scores every track with its stored vector (the dot the inspector computes for one track)', () => {
    const db = library(30);
    for (let i = 1; i <= 30; i++) analyse(db, i, 2, i, 24);
    const ix = loadEmbeddingIndex(db, PACK);
    const label = Float32Array.from({ length: 24 }, (_, k) => Math.cos(k));
    const scores = scoreTracks(ix, label);
    ix.trackIds.forEach((_, i) => expect(scores[i]).toBe(Math.fround(dot(ix.tracks, label, i * 24))));
    db.close();
  });
});

describe('row matrix', () => {
  it('dots every row with a vector exactly as dot does, with the SIMD kernel where the dimension allows', async () => {
    const r = seededRandom(11);
    for (const [rows, dim] of [
      [1, 4],
      [2, 8],
      [3, 16],
      [7, 384],
      [1001, 512],
      [4000, 384], // 6 MB: split between this thread and the helper thread
      [5, 6],
      [4, 1],
    ] as const) {
      const m = rowMatrix(rows + 2, dim);
      expect(m.kernel).toBe(dim % 4 === 0 ? 'simd' : 'js');
      for (let i = 0; i < rows * dim; i++) m.data[i] = Math.fround((r() - 0.5) * (i % 7 === 0 ? 1e-3 : 1));
      const v = Float32Array.from({ length: dim }, () => r() - 0.5);
      const got = m.dots(v, rows);
      expect(got.length).toBe(rows);
      for (let i = 0; i < rows; i++) expect(got[i]).toBe(Math.fround(dot(m.data, v, i * dim)));
      expect([...m.dots(v, 0)]).toEqual([]);
      if (rows > 1000) for (const k of [1000, rows - 1]) expect([...m.dots(v, k)]).toEqual([...got.subarray(0, k)]);
      if (rows === 4000) {
        // The helper thread takes its share once it is up (it starts with the first large matrix).
        for (let i = 0; i < 200 && rowMatrixHelper().chunks === 0; i++) {
          await new Promise((r) => setTimeout(r, 10));
          expect([...m.dots(v, rows)]).toEqual([...got]);
        }
        expect(rowMatrixHelper()).toMatchObject({ state: 'running' });
        expect(rowMatrixHelper().chunks).toBeGreaterThan(0);
      }
      // A vector of another length falls back to dot (whose loop runs over the vector).
      const short = v.subarray(0, Math.max(1, dim - 1));
      const shortDots = m.dots(short, rows);
      for (let i = 0; i < rows; i++) expect(shortDots[i]).toBe(Math.fround(dot(m.data, short, i * dim)));
    }
  });
});
