import type { Db } from '../kernel/database.js';
import { handler } from '../kernel/schema.js';
import type { LibraryService } from '../library/service.js';
import { countTracks } from '../tracks/queries.js';

/** What the status handler needs: the database, where the data lives, and whether a scan runs. */
export interface StatusHandlerDeps {
  db: Db;
  dataDir: string;
  dbPath: string;
  library: Pick<LibraryService, 'isScanning'>;
}

/** The most recent scan run, as stored. */
export interface ScanRunSummary {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  trigger: string;
  status: string;
  filesSeen: number;
  added: number;
  updated: number;
  moved: number;
  missing: number;
  failed: number;
  unchanged: number;
  durationMs: number | null;
  error: string | null;
}

/** An overview of the library for `moodshelf status` and the app header. */
export interface CoreStatus {
  dataDir: string;
  database: string;
  schemaVersion: number;
  folders: number;
  tracks: ReturnType<typeof countTracks>;
  scanning: boolean;
  lastScan: ScanRunSummary | null;
}

function lastScanRun(db: Db): ScanRunSummary | null {
  const row = db
    .prepare(
      `SELECT id, started_at AS startedAt, finished_at AS finishedAt, trigger, status, files_seen AS filesSeen,
        added, updated, moved, missing, failed, unchanged, duration_ms AS durationMs, error
       FROM scan_runs ORDER BY id DESC LIMIT 1`,
    )
    .get() as ScanRunSummary | undefined;
  return row ?? null;
}

/** Handlers for the overall status. Their definitions (schemas and results) are the API contract. */
export function createStatusHandlers(deps: StatusHandlerDeps) {
  const { db, dataDir, dbPath, library } = deps;
  return {
    /** Counts, the last scan and where the data lives. */
    'status-get': handler((): CoreStatus => ({
      dataDir,
      database: dbPath,
      schemaVersion: (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v,
      folders: (db.prepare('SELECT COUNT(*) AS n FROM library_folders').get() as { n: number }).n,
      tracks: countTracks(db),
      scanning: library.isScanning(),
      lastScan: lastScanRun(db),
    })),
  };
}

/** The status part of the API contract, derived from the implementation. */
export type StatusHandlerDefs = ReturnType<typeof createStatusHandlers>;
