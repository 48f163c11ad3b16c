import type { CoreContext } from '../api/context.js';
import { countTracks } from '../tracks/queries.js';

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

/** Handlers for the overall status. Their signatures are the API contract. */
export function createStatusHandlers(ctx: CoreContext) {
  return {
    /** Counts, the last scan and where the data lives. */
    'status-get': (): CoreStatus => {
      const lastScan = ctx.db
        .prepare(
          `SELECT id, started_at AS startedAt, finished_at AS finishedAt, trigger, status, files_seen AS filesSeen,
            added, updated, moved, missing, failed, unchanged, duration_ms AS durationMs, error
           FROM scan_runs ORDER BY id DESC LIMIT 1`,
        )
        .get() as ScanRunSummary | undefined;
      return {
        dataDir: ctx.dataDir,
        database: ctx.dbPath,
        schemaVersion: (ctx.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v,
        folders: (ctx.db.prepare('SELECT COUNT(*) AS n FROM library_folders').get() as { n: number }).n,
        tracks: countTracks(ctx.db),
        scanning: ctx.library.isScanning(),
        lastScan: lastScan ?? null,
      };
    },
  };
}

/** The status part of the API contract, derived from the implementation. */
export type StatusHandlers = ReturnType<typeof createStatusHandlers>;
