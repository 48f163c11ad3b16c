import { copyFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import { loadMigrations, migrate, openDatabase } from '../../src/core/kernel/database.js';
import { listTracks } from '../../src/core/tracks/queries.js';
import { cli } from '../support/cli.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { writeSineWav } from '../support/wav.js';
import { refusedMessage } from '../support/refused.js';

const tempDir = useTempDirs();

interface Listed {
  total: number;
  tracks: { id: number; path: string; title: string | null }[];
}

describe('search over file and folder names', () => {
  it('finds untagged files by their file name and folders, and follows renames (tracks --search)', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const lib = join(root, 'Music');
    const untagged = join(lib, 'Nick Drake', 'Pink Moon', '01 - Rainy Day.wav');
    const snake = join(lib, 'field_recordings', 'storm-over.the_sea.wav');
    const tagged = join(lib, 'Various', 'x.mp3');
    for (const p of [untagged, snake, tagged]) mkdirSync(dirname(p), { recursive: true });
    writeSineWav(untagged, 0.5);
    writeSineWav(snake, 0.5, 330);
    copyFileSync(join(FIXTURES_DIR, 'mp3.mp3'), tagged);
    const d = ['--data-dir', data];
    expect((await cli([...d, 'library', 'add', lib])).code).toBe(0);
    expect((await cli([...d, 'scan'])).code).toBe(0);
    const search = async (text: string): Promise<string[]> => {
      const r = await cli([...d, 'tracks', '--search', text, '--json']);
      expect(r.code, r.err).toBe(0);
      return (JSON.parse(r.out) as Listed).tracks.map((t) => t.path);
    };
    const all = JSON.parse((await cli([...d, 'tracks', '--json'])).out) as Listed;
    expect(all.tracks.find((t) => t.path === untagged)?.title).toBeNull();

    expect(await search('rainy')).toEqual([untagged]);
    expect(await search('Rainy Day')).toEqual([untagged]);
    expect(await search('01 - Rainy Day.wav')).toEqual([untagged]);
    expect(await search('pink moon')).toEqual([untagged]);
    expect(await search('nick drake rainy')).toEqual([untagged]);
    expect(await search('Nick Drake/Pink Moon')).toEqual([untagged]);
    // _ - . and / are word breaks; prefixes match.
    expect(await search('storm')).toEqual([snake]);
    expect(await search('sea')).toEqual([snake]);
    expect(await search('field record')).toEqual([snake]);
    // Tags are still searched; the library folder's own location is not (every track shares it).
    expect(await search('fixture artist')).toEqual([tagged]);
    expect(await search('music')).toEqual([]);
    expect(await search('sunny')).toEqual([]);

    // A rename is found under the new name only, and the human list shows ids.
    const renamed = join(lib, 'Nick Drake', 'Pink Moon', '02 - Sunny Afternoon.wav');
    renameSync(untagged, renamed);
    expect((await cli([...d, 'scan'])).code).toBe(0);
    expect(await search('rainy')).toEqual([]);
    expect(await search('sunny')).toEqual([renamed]);
    const human = await cli([...d, 'tracks', '--search', 'sunny']);
    const id = all.tracks.find((t) => t.path === untagged)?.id as number;
    expect(human.out).toMatch(/^ +ID +STATUS +LENGTH +TRACK$/m);
    expect(human.out).toMatch(new RegExp(`^ +${id} +ok +\\d:\\d\\d {2}${renamed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(human.out).toMatch(/^1 of 1 track$/m);
  });

  it('migration 0006 indexes the names of files already in the library', () => {
    const file = join(tempDir(), 'old.db');
    const old = new Database(file);
    migrate(old, loadMigrations().slice(0, 5));
    old.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/home/me/Music'), (2, '/')").run();
    old
      .prepare(
        `INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status, title, artist) VALUES
         (1, 1, '/home/me/Music/Nick Drake/Pink Moon/01 - Rainy Day.mp3', 1, 1, 'ok', NULL, NULL),
         (2, 1, '/home/me/Music/a/b.mp3', 1, 1, 'ok', 'Blue Monday', 'New Order'),
         (3, 2, '/top_level-song.flac', 1, 1, 'ok', NULL, NULL)`,
      )
      .run();
    old.close();
    const db = openDatabase({ file });
    try {
      const find = (search: string) => listTracks(db, { search }).tracks.map((t) => t.id);
      expect(find('rainy')).toEqual([1]);
      expect(find('pink moon')).toEqual([1]);
      expect(find('monday')).toEqual([2]);
      expect(find('top level song')).toEqual([3]);
      expect(find('music')).toEqual([]);
      expect(find('home')).toEqual([]);
      // The triggers keep the index in step: update, rename, delete.
      db.prepare("UPDATE tracks SET title = 'Ceremony' WHERE id = 2").run();
      expect(find('monday')).toEqual([]);
      expect(find('ceremony')).toEqual([2]);
      db.prepare("UPDATE tracks SET path = '/home/me/Music/x/Hazey Jane.mp3', path_words = 'x/Hazey Jane.mp3' WHERE id = 1").run();
      expect(find('rainy')).toEqual([]);
      expect(find('hazey')).toEqual([1]);
      db.prepare('DELETE FROM tracks WHERE id = 1').run();
      expect(find('hazey')).toEqual([]);
      expect(db.prepare("INSERT INTO tracks_fts(tracks_fts, rank) VALUES ('integrity-check', 1)").run().changes).toBeGreaterThanOrEqual(0);
    } finally {
      db.close();
    }
  });

  it('refuses malformed track queries with E_INVALID naming the handler and the parameter', async () => {
    const core = await createCore({ dataDir: join(tempDir(), 'data') });
    try {
      const refused = (name: string, params: unknown): Promise<string> => refusedMessage(core, name, params);
      expect(await refused('tracks-list', { search: '' })).toBe('tracks-list: "search" must be a non-empty string');
      expect(await refused('tracks-list', { sort: 'rating' })).toBe(
        'tracks-list: "sort" must be one of title, artist, album, year, duration, genre, path, addedAt, status',
      );
      expect(await refused('tracks-list', { status: 'ok', limit: 1_000_001 })).toBe(
        'tracks-list: "limit" must be an integer from 0 to 1000000',
      );
      expect(await refused('tracks-list', { descending: 'yes' })).toBe('tracks-list: "descending" must be true or false');
      expect(await refused('tracks-get', { id: 0 })).toBe('tracks-get: "id" must be an integer from 1 to 9007199254740991');
      expect(await refused('tracks-analysis', {})).toMatch(/^tracks-analysis: "id" /);
      expect(await refused('settings-set', { threads: 65 })).toBe('settings-set: "threads" must be an integer from 0 to 64');
      expect(await refused('settings-set', { analysisPolicy: 'sometimes' })).toBe(
        'settings-set: "analysisPolicy" is not valid: Unknown analysis policy "sometimes" (use quick, quick:N or full)',
      );
      // Every field may be left out, and so may the whole object.
      expect(await core.invoke('tracks-list')).toEqual({ total: 0, tracks: [] });
      expect(await core.invoke('tracks-list', { search: 'x', sort: 'path', descending: true, limit: 0 })).toEqual({ total: 0, tracks: [] });
    } finally {
      await core.close();
    }
  });
});
