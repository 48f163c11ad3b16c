import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { generateLibrary } from '../support/library-gen.js';
import { startHub } from '../support/hub-server.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'moodshelf.js');

describe('moodshelf CLI', () => {
  it('adds, scans and lists a mixed library with failures and their reasons (--json)', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const lib = generateLibrary(join(root, 'lib'), 120);
    expect((await cli(['--data-dir', data, 'library', 'add', lib.root])).code).toBe(0);
    const scan = await cli(['--data-dir', data, 'scan', '--json']);
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.out)).toMatchObject({ filesSeen: 120, added: lib.good.length, failed: lib.bad.length, status: 'done' });
    const tracks = JSON.parse((await cli(['--data-dir', data, 'tracks', '--json'])).out) as {
      total: number;
      tracks: { path: string; status: string; error: string | null }[];
    };
    expect(tracks.total).toBe(120);
    const failed = tracks.tracks.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.path).sort()).toEqual([...lib.bad].sort());
    for (const t of failed) expect(t.error).toMatch(/\w+ \w+/);
    const status = JSON.parse((await cli(['--data-dir', data, 'status', '--json'])).out);
    expect(status).toMatchObject({
      folders: 1,
      tracks: { ok: lib.good.length, failed: lib.bad.length, missing: 0 },
      lastScan: { status: 'done' },
    });
    const human = await cli(['--data-dir', data, 'tracks', '--status', 'failed']);
    expect(human.out).toContain(`${lib.bad.length} of ${lib.bad.length} tracks`);
    expect(human.out).toMatch(/The file is empty \(0 bytes\)/);
    const list = await cli(['--data-dir', data, 'library', 'list']);
    expect(list.out).toContain(`${lib.root}  (120 tracks)`);
    const removed = await cli(['--data-dir', data, 'library', 'remove', lib.root]);
    expect(removed.out).toMatch(/Removed .* \(120 tracks dropped/);
  });

  it('installs a pack from a localhost hub, analyses, adds a label and lists its top tracks', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const lib = generateLibrary(join(root, 'lib'), 30);
    const hub = await startHub({ repos: { 'moodshelf/tiny-joint': TINY_PACK } });
    try {
      const d = ['--data-dir', data];
      expect((await cli([...d, 'library', 'add', lib.root])).code).toBe(0);
      expect((await cli([...d, 'scan'])).code).toBe(0);
      const installed = await cli([...d, 'models', 'install', 'hf:moodshelf/tiny-joint', '--hub-endpoint', hub.url, '--json']);
      expect(installed.code).toBe(0);
      expect(JSON.parse(installed.out)).toMatchObject({ key: 'tiny-joint@1.0.0', active: true });
      const analyzed = await cli([...d, 'analyze', '--json']);
      expect(analyzed.code).toBe(0);
      expect(JSON.parse(analyzed.out)).toMatchObject({ analyzed: lib.good.length, failed: 0, queued: lib.good.length });
      const added = await cli([...d, 'labels', 'add', 'rainy sunday', '--json']);
      expect(JSON.parse(added.out)).toMatchObject({ label: { name: 'rainy sunday', vocabulary: 'user' } });
      expect(JSON.parse(added.out).similar).toHaveLength(5);
      const top = await cli([...d, 'top', 'rainy sunday', '-n', '5', '--json']);
      const ranked = JSON.parse(top.out) as { score: number; percentile: number; track: { id: number } }[];
      expect(ranked).toHaveLength(5);
      expect(ranked.map((r) => r.score)).toEqual([...ranked.map((r) => r.score)].sort((a, b) => b - a));
      const human = await cli([...d, 'top', 'rainy sunday', '-n', '3']);
      expect(human.out.split('\n')[0]).toMatch(
        new RegExp(`^ {2}1\\. +100th pct {2}cos +-?\\d\\.\\d{3} {2}id ${ranked[0]?.track.id} +Fixture Artist – MSTITLE-`),
      );
      const scores = await cli([...d, 'scores', String(ranked[0]?.track.id), '--vocab', 'cal500', '--json']);
      expect(JSON.parse(scores.out).tags[0]).toMatchObject({ vocabulary: 'cal500' });
      expect(JSON.parse(scores.out).tags[0].labels).toHaveLength(4);
      const similar = await cli([...d, 'labels', 'similar', 'sad', '-n', '3', '--json']);
      expect(JSON.parse(similar.out)[0]).toMatchObject({ name: 'sad', cosine: expect.closeTo(1, 5) });
      const models = await cli([...d, 'models', 'list']);
      expect(models.out).toMatch(/^\* tiny-joint@1\.0\.0/);
      const exported = await cli([...d, 'export-features', join(root, 'features'), '--json']);
      expect(JSON.parse(exported.out)).toMatchObject({ segments: lib.good.length, shape: [lib.good.length, 3, 32] });
    } finally {
      await hub.close();
    }
  });

  it('reads the data folder from MOODSHELF_DATA_DIR', async () => {
    const data = join(tempDir(), 'env-data');
    const r = await cli(['status', '--json'], { MOODSHELF_DATA_DIR: data });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).dataDir).toBe(data);
  });

  it('fails with one line and a non-zero code on bad input', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const missing = await cli(['--data-dir', data, 'library', 'add', join(root, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`moodshelf: Cannot add ${join(root, 'nope')}: the folder does not exist or cannot be read\n`);
    const unknown = await cli(['--data-dir', data, 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^moodshelf: unknown command "frobnicate"/);
    expect((await cli(['--data-dir', data, 'tracks', '--status', 'weird'])).code).toBe(2);
    expect((await cli(['--bogus'])).code).toBe(2);
  });

  it('refuses a database from a newer version without touching it', async () => {
    const data = join(tempDir(), 'data');
    await cli(['--data-dir', data, 'status']);
    const db = new Database(join(data, 'moodshelf.db'));
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 'now')").run();
    db.close();
    const r = await cli(['--data-dir', data, 'status']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^moodshelf: This library database was written by a newer version of Moodshelf/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('runs as the installed `moodshelf` command', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const lib = join(root, 'lib');
    generateLibrary(lib, 6, 3);
    writeFileSync(join(lib, 'empty.mp3'), '');
    const run = promisify(execFile);
    await run(process.execPath, [BIN, '--data-dir', data, 'library', 'add', lib]);
    const { stdout } = await run(process.execPath, [BIN, '--data-dir', data, 'scan', '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ filesSeen: 7, failed: 3 });
    await expect(run(process.execPath, [BIN, '--data-dir', data, 'library', 'add', join(root, 'nope')])).rejects.toMatchObject({ code: 1 });
  });
});
