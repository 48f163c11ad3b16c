-- Suggestions a person turned down for a track: remembered so they are never suggested for it again.
CREATE TABLE tag_rejections (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (track_id, label)
) WITHOUT ROWID;

-- Log of tag operations for multi-level undo and redo. `changes` is a JSON array with, per touched
-- (track, label), its state before and after ({ tag: source or null, createdAt, rejected }), so undo
-- restores `before` and redo restores `after`. A new operation drops the undone ones (the redo branch).
CREATE TABLE tag_operations (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('accept', 'reject', 'add', 'remove')),
  label TEXT NOT NULL,
  changes TEXT NOT NULL,
  undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX tag_operations_undone ON tag_operations(undone, id);

-- Saved playlists. `definition` is the validated JSON the playlist is re-evaluated from each time it is
-- opened (a rule, the seeds of a "more like this", or a mood journey), so it follows the library.
CREATE TABLE playlists (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('rule', 'similar', 'journey')),
  definition TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Tracks carrying a tag, for playlist rules on accepted tags.
CREATE INDEX track_tags_label ON track_tags(label COLLATE NOCASE);

-- Covers the embedding index's freshness check (count, latest analysis, segments per pack), which
-- otherwise reads every stored embedding: ~650 ms at 50,000 tracks on each score or playlist call, ~5 ms with it.
CREATE INDEX track_embeddings_stamp ON track_embeddings(pack_key, analyzed_at, segment_count);
