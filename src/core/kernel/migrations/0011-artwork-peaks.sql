-- Cover art and waveform peaks, both derived from a track's file and kept until the file changes.

-- One stored picture per distinct image content (sha256 of its bytes): an album's tracks share one row
-- and one file in the data folder's artwork/ cache (<hash>.jpg or .png).
CREATE TABLE artwork (
  hash TEXT PRIMARY KEY,
  mime TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png')),
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;

-- What the artwork pass found for a track's file as it was (size and mtime): a picture and where it came
-- from, or none (hash NULL). A changed file is looked at again.
CREATE TABLE track_artwork (
  track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  hash TEXT REFERENCES artwork(hash),
  source TEXT CHECK (source IN ('embedded', 'folder')),
  checked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX track_artwork_hash ON track_artwork(hash);

-- A track's waveform: `buckets` peaks (max absolute sample per bucket, 0..255 as bytes, scaled to the
-- loudest), computed once from the file as it was (size and mtime) by a decode in the core.
CREATE TABLE track_peaks (
  track_id INTEGER PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  duration REAL NOT NULL,
  buckets INTEGER NOT NULL,
  peaks BLOB NOT NULL,
  computed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
