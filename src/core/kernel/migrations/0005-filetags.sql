-- Library folders whose files Moodshelf may write mood tags into (writing is opt-in per folder).
CREATE TABLE filetag_folders (
  folder_id INTEGER PRIMARY KEY REFERENCES library_folders(id) ON DELETE CASCADE,
  enabled_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One run of "write tags to files" (never a dry run: previews change nothing and are not logged).
CREATE TABLE filetag_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at TEXT,
  include_scores INTEGER NOT NULL DEFAULT 0 CHECK (include_scores IN (0, 1)),
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'undone')),
  written INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  undone_at TEXT
);

-- The undo log: per file of a run, the managed fields' values before and after (JSON objects
-- field -> list of values; a field missing from `before` was absent and undo removes it). The row is
-- recorded before the file is replaced, so a crash can never leave a write without its undo entry.
CREATE TABLE filetag_changes (
  run_id INTEGER NOT NULL REFERENCES filetag_runs(id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  track_id INTEGER REFERENCES tracks(id) ON DELETE SET NULL,
  format TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'written' CHECK (state IN ('written', 'undone', 'skipped')),
  note TEXT,
  PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
CREATE INDEX filetag_changes_track ON filetag_changes(track_id);
