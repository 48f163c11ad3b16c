import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, loadMigrations, migrate, openDatabase } from '../../src/core/kernel/database.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

describe('migrations', () => {
  it('are numbered from 0001 without gaps and recorded when applied', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    const db = openDatabase({ file: join(tempDir(), 'a.db') });
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('apply only what is pending on reopen', () => {
    const file = join(tempDir(), 'a.db');
    openDatabase({ file }).close();
    const db = new Database(file);
    expect(migrate(db, loadMigrations())).toEqual([]);
    db.close();
  });

  it('refuses a database written by a newer version and leaves it untouched', () => {
    const file = join(tempDir(), 'a.db');
    openDatabase({ file }).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 'x', 'now')").run();
    raw.close();
    expect(() => openDatabase({ file })).toThrow(/newer version of Moodshelf \(schema 999/);
    const check = new Database(file);
    expect(check.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: 999 });
    check.close();
  });

  it('rejects a gap in the numbering', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '0001-a.sql'), 'CREATE TABLE a (x);');
    writeFileSync(join(dir, '0003-c.sql'), 'CREATE TABLE c (x);');
    expect(() => loadMigrations(dir)).toThrow(/without gaps/);
  });

  it('rolls back a failing migration as a whole', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '0001-a.sql'), 'CREATE TABLE a (x); CREATE TABLE a (y);');
    const db = new Database(':memory:');
    expect(() => migrate(db, loadMigrations(dir))).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").all()).toEqual([]);
    db.close();
  });

  it('ships only numbered .sql files', () => {
    for (const f of readdirSync(defaultMigrationsDir())) expect(f).toMatch(/^\d{4}-[a-z0-9-]+\.sql$/);
  });
});

describe('full-text search index', () => {
  it('follows inserts, updates and deletes', () => {
    const db = openDatabase({ file: ':memory:' });
    db.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/m')").run();
    db.prepare(
      "INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status, title, artist) VALUES (1, 1, '/m/a.mp3', 1, 1, 'ok', 'Blue Monday', 'New Order')",
    ).run();
    const find = (q: string) => db.prepare('SELECT rowid FROM tracks_fts WHERE tracks_fts MATCH ?').all(q).length;
    expect(find('monday')).toBe(1);
    db.prepare("UPDATE tracks SET title = 'Ceremony' WHERE id = 1").run();
    expect(find('monday')).toBe(0);
    expect(find('ceremony')).toBe(1);
    db.prepare('DELETE FROM tracks WHERE id = 1').run();
    expect(find('ceremony')).toBe(0);
    db.close();
  });
});
