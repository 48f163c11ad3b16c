import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.js';

/** The database handle type the whole core shares. */
export type Db = Database.Database;

/** One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Options for opening the library database. */
export interface OpenDatabaseOptions {
  /** Path of the SQLite file; `:memory:` for throwaway databases. */
  file: string;
  /** Folder of numbered `NNNN-name.sql` files; defaults to the one beside this module. */
  migrationsDir?: string;
  /** Path of a better-sqlite3 addon built for another ABI (the Electron shell passes its own). */
  nativeBinding?: string;
}

const MIGRATION_FILE = /^(\d{4})-([a-z0-9-]+)\.sql$/;

/** The migrations folder next to this module (the Electron build copies it beside its bundle). */
export function defaultMigrationsDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'migrations');
}

/** Reads the numbered migrations in order; gaps or duplicates are a packaging bug and throw. */
export function loadMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: MIGRATION_FILE.exec(file) }))
    .filter((m): m is { file: string; match: RegExpExecArray } => m.match !== null)
    .map(({ file, match }) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      return { version: Number(match[1]), name: match[2] ?? file, sql, checksum };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`Migrations in ${dir} must be numbered 0001, 0002, ... without gaps (found ${m.version} at position ${i + 1})`);
  });
  return migrations;
}

/**
 * Applies pending migrations, each in its own transaction, and records them. Refuses a database whose
 * schema is newer than this code knows, rather than risk writing to a layout it does not understand.
 * Returns the versions applied now.
 */
export function migrate(db: Db, migrations: Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    checksum: string;
  }[];
  const known = migrations.length;
  const newest = applied.at(-1)?.version ?? 0;
  if (newest > known) {
    throw new UserError(
      `This library database was written by a newer version of Moodshelf (schema ${newest}; this version knows up to ${known}). Update Moodshelf to open it.`,
      'E_DB_TOO_NEW',
    );
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  const done: number[] = [];
  for (const m of migrations.slice(newest)) {
    db.transaction(() => {
      db.exec(m.sql);
      insert.run(m.version, m.name, m.checksum, new Date().toISOString());
    })();
    done.push(m.version);
  }
  return done;
}

/** Opens (creating if needed) the library database in WAL mode and brings its schema up to date. */
export function openDatabase(options: OpenDatabaseOptions): Db {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, loadMigrations(options.migrationsDir));
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
