-- Library folders the user added; tracks belong to exactly one.
CREATE TABLE library_folders (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per audio file ever seen. The id is stable across moves and renames (matched by
-- fingerprint), so analysis and tags keyed by it follow the file. A deleted file becomes 'missing'.
CREATE TABLE tracks (
  id INTEGER PRIMARY KEY,
  folder_id INTEGER NOT NULL REFERENCES library_folders(id) ON DELETE CASCADE,
  path TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime_ms INTEGER NOT NULL,
  fingerprint TEXT,
  duration REAL,
  sample_rate INTEGER,
  channels INTEGER,
  bits_per_sample INTEGER,
  bitrate INTEGER,
  container TEXT,
  codec TEXT,
  lossless INTEGER,
  title TEXT,
  artist TEXT,
  album TEXT,
  album_artist TEXT,
  track_no INTEGER,
  disc_no INTEGER,
  year INTEGER,
  genre TEXT,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'missing')),
  error TEXT,
  added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX tracks_folder ON tracks(folder_id);
CREATE INDEX tracks_fingerprint ON tracks(fingerprint);
CREATE INDEX tracks_status ON tracks(status);
CREATE INDEX tracks_artist ON tracks(artist COLLATE NOCASE);

-- Full-text search over title, artist and album, kept in sync by triggers.
CREATE VIRTUAL TABLE tracks_fts USING fts5(
  title, artist, album, album_artist,
  content = 'tracks', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
  INSERT INTO tracks_fts(rowid, title, artist, album, album_artist)
  VALUES (new.id, new.title, new.artist, new.album, new.album_artist);
END;
CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, title, artist, album, album_artist)
  VALUES ('delete', old.id, old.title, old.artist, old.album, old.album_artist);
END;
CREATE TRIGGER tracks_fts_update AFTER UPDATE OF title, artist, album, album_artist ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, title, artist, album, album_artist)
  VALUES ('delete', old.id, old.title, old.artist, old.album, old.album_artist);
  INSERT INTO tracks_fts(rowid, title, artist, album, album_artist)
  VALUES (new.id, new.title, new.artist, new.album, new.album_artist);
END;

-- Every scan, its counts and how it ended.
CREATE TABLE scan_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  trigger TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'error')),
  files_seen INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  moved INTEGER NOT NULL DEFAULT 0,
  missing INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  duration_ms INTEGER,
  error TEXT
);
