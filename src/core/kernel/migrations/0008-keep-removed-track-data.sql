-- What a person made for the tracks of a removed library folder (their tags, rejections and the analyses),
-- kept by content fingerprint: adding the folder back (or the same files anywhere) restores it on the first
-- scan; `library remove --purge` deletes it instead of keeping it.
CREATE TABLE kept_track_tags (
  fingerprint TEXT NOT NULL,
  label TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (fingerprint, label)
) WITHOUT ROWID;
CREATE TABLE kept_tag_rejections (
  fingerprint TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (fingerprint, label)
) WITHOUT ROWID;
CREATE TABLE kept_track_embeddings (
  fingerprint TEXT NOT NULL,
  pack_key TEXT NOT NULL,
  policy TEXT NOT NULL,
  segment_count INTEGER NOT NULL,
  embedding BLOB NOT NULL,
  analyzed_at TEXT NOT NULL,
  PRIMARY KEY (fingerprint, pack_key)
) WITHOUT ROWID;
CREATE TABLE kept_segment_embeddings (
  fingerprint TEXT NOT NULL,
  pack_key TEXT NOT NULL,
  segment_index INTEGER NOT NULL,
  start_sec REAL NOT NULL,
  embedding BLOB NOT NULL,
  PRIMARY KEY (fingerprint, pack_key, segment_index)
) WITHOUT ROWID;

-- Restores kept data onto a newly indexed track with the same content, whatever inserts it.
CREATE TRIGGER tracks_restore_kept AFTER INSERT ON tracks
WHEN NEW.fingerprint IS NOT NULL AND EXISTS (SELECT 1 FROM kept_track_tags WHERE fingerprint = NEW.fingerprint
  UNION ALL SELECT 1 FROM kept_tag_rejections WHERE fingerprint = NEW.fingerprint
  UNION ALL SELECT 1 FROM kept_track_embeddings WHERE fingerprint = NEW.fingerprint)
BEGIN
  INSERT OR IGNORE INTO track_tags (track_id, label, source, created_at)
    SELECT NEW.id, label, source, created_at FROM kept_track_tags WHERE fingerprint = NEW.fingerprint;
  INSERT OR IGNORE INTO tag_rejections (track_id, label, created_at)
    SELECT NEW.id, label, created_at FROM kept_tag_rejections WHERE fingerprint = NEW.fingerprint;
  INSERT OR IGNORE INTO track_embeddings (track_id, pack_key, policy, segment_count, embedding, analyzed_at)
    SELECT NEW.id, pack_key, policy, segment_count, embedding, analyzed_at FROM kept_track_embeddings WHERE fingerprint = NEW.fingerprint;
  INSERT OR IGNORE INTO segment_embeddings (track_id, pack_key, segment_index, start_sec, embedding)
    SELECT NEW.id, pack_key, segment_index, start_sec, embedding FROM kept_segment_embeddings WHERE fingerprint = NEW.fingerprint;
  DELETE FROM kept_track_tags WHERE fingerprint = NEW.fingerprint;
  DELETE FROM kept_tag_rejections WHERE fingerprint = NEW.fingerprint;
  DELETE FROM kept_track_embeddings WHERE fingerprint = NEW.fingerprint;
  DELETE FROM kept_segment_embeddings WHERE fingerprint = NEW.fingerprint;
END;
