import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/core/kernel/database.js';
import { commitTrackAnalysis } from '../../src/core/analysis/store.js';
import { loadEmbeddingIndex, refreshEmbeddingIndex, type EmbeddingIndex } from '../../src/core/analysis/embedding-index.js';

const PACK = 'p@1';

function library(n: number): Db {
  const db = openDatabase({ file: ':memory:' });
  db.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/m')").run();
  for (let i = 1; i <= n; i++)
    db.prepare("INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status) VALUES (?, 1, ?, 1, 1, 'ok')").run(i, `/m/${i}.mp3`);
  return db;
}

function analyse(db: Db, id: number, segments: number, seed: number): void {
  const segs = Array.from({ length: segments }, (_, k) => ({
    index: k,
    start: k * 10,
    embedding: Float32Array.from([Math.cos(seed + k), Math.sin(seed + k), 0.5]),
  }));
  commitTrackAnalysis(db, id, PACK, 'full', segs);
}

/** The index as a map id -> (track vector, segments), independent of row order. */
function view(ix: EmbeddingIndex): Map<number, { track: number[]; segs: number[][] }> {
  const out = new Map<number, { track: number[]; segs: number[][] }>();
  ix.trackIds.forEach((id, i) => {
    const a = ix.segOffsets[i] as number;
    const b = ix.segOffsets[i + 1] as number;
    const segs = Array.from({ length: b - a }, (_, k) => [
      ix.segIndex[a + k] as number,
      ix.segStart[a + k] as number,
      ...ix.segments.subarray((a + k) * ix.dim, (a + k + 1) * ix.dim),
    ]);
    out.set(id, { track: [...ix.tracks.subarray(i * ix.dim, (i + 1) * ix.dim)], segs });
    expect(ix.rowOf.get(id)).toBe(i);
  });
  return out;
}

describe('embedding index', () => {
  it('refreshes incrementally to exactly what a full load gives (new, re-analysed and deleted tracks)', async () => {
    const db = library(8);
    for (let i = 1; i <= 4; i++) analyse(db, i, 2, i);
    let ix = loadEmbeddingIndex(db, PACK);
    expect(refreshEmbeddingIndex(db, ix)).toBe(ix);
    await new Promise((r) => setTimeout(r, 5));
    analyse(db, 5, 3, 50);
    analyse(db, 2, 4, 20);
    ix = refreshEmbeddingIndex(db, ix);
    expect(view(ix)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    expect(ix.trackIds.length).toBe(5);
    db.prepare('DELETE FROM tracks WHERE id = 3').run();
    await new Promise((r) => setTimeout(r, 5));
    analyse(db, 6, 1, 60);
    ix = refreshEmbeddingIndex(db, ix);
    expect(view(ix)).toEqual(view(loadEmbeddingIndex(db, PACK)));
    expect([...ix.trackIds].sort()).toEqual([1, 2, 4, 5, 6]);
    db.close();
  });
});
