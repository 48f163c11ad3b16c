-- Installed model packs; key = "<id>@<version>" names the joint space every embedding lives in.
CREATE TABLE model_packs (
  key TEXT PRIMARY KEY,
  id TEXT NOT NULL,
  version TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  manifest TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  source TEXT,
  installed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Small key/value settings: active pack, analysis policy, threads.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Per-segment joint-space embeddings (float32, L2-normalised), keyed by pack.
CREATE TABLE segment_embeddings (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  pack_key TEXT NOT NULL,
  segment_index INTEGER NOT NULL,
  start_sec REAL NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY (track_id, pack_key, segment_index)
) WITHOUT ROWID;
CREATE INDEX segment_embeddings_pack ON segment_embeddings(pack_key);

-- Per-track embedding: the mean of the normalised segment embeddings, so that its dot product with a
-- label is exactly the mean segment cosine (the track score).
CREATE TABLE track_embeddings (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  pack_key TEXT NOT NULL,
  policy TEXT NOT NULL,
  segment_count INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  analyzed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (track_id, pack_key)
) WITHOUT ROWID;
CREATE INDEX track_embeddings_pack ON track_embeddings(pack_key);

-- Persistent analysis queue: a row leaves only when its results are committed, so a killed process
-- resumes where it stopped.
CREATE TABLE analysis_queue (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  pack_key TEXT NOT NULL,
  policy TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (track_id, pack_key)
);

-- Tracks the analysis could not process, with the reason.
CREATE TABLE analysis_failures (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  pack_key TEXT NOT NULL,
  error TEXT NOT NULL,
  failed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (track_id, pack_key)
);

-- People's own labels, in named user vocabularies. Built-in vocabularies come with the code and packs.
CREATE TABLE user_labels (
  id INTEGER PRIMARY KEY,
  vocabulary TEXT NOT NULL DEFAULT 'user',
  name TEXT NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (vocabulary, name)
);

-- Label text embeddings, cached per label encoder (keyed by the pack that owns the encoder).
CREATE TABLE label_embeddings (
  encoder_key TEXT NOT NULL,
  text TEXT NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY (encoder_key, text)
) WITHOUT ROWID;

-- Tags people accepted (ground truth, apart from predictions), or imported from files.
CREATE TABLE track_tags (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('accepted', 'manual', 'imported')),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (track_id, label)
) WITHOUT ROWID;
