-- The latest change to each track's stored result under each pack, in commit order: the in-memory embedding
-- index reads only the changes after the last one it applied (seq), instead of rereading the library. A row
-- whose track no longer has a result under the pack records a deletion. AUTOINCREMENT keeps seq increasing
-- even after the newest row is replaced; SQLite has one writer at a time, so seq order is commit order.
CREATE TABLE embedding_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  pack_key TEXT NOT NULL,
  track_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX embedding_changes_track ON embedding_changes(pack_key, track_id);

-- Delete then insert (rather than INSERT OR REPLACE): a statement's own conflict clause overrides the one in a
-- trigger it fires, so the restore trigger's INSERT OR IGNORE would otherwise drop the new change.
CREATE TRIGGER track_embeddings_changed_insert AFTER INSERT ON track_embeddings
BEGIN
  DELETE FROM embedding_changes WHERE pack_key = NEW.pack_key AND track_id = NEW.track_id;
  INSERT INTO embedding_changes (pack_key, track_id) VALUES (NEW.pack_key, NEW.track_id);
END;

CREATE TRIGGER track_embeddings_changed_update AFTER UPDATE ON track_embeddings
BEGIN
  DELETE FROM embedding_changes WHERE pack_key = OLD.pack_key AND track_id = OLD.track_id;
  INSERT INTO embedding_changes (pack_key, track_id) VALUES (OLD.pack_key, OLD.track_id);
  DELETE FROM embedding_changes WHERE pack_key = NEW.pack_key AND track_id = NEW.track_id;
  INSERT INTO embedding_changes (pack_key, track_id) VALUES (NEW.pack_key, NEW.track_id);
END;

CREATE TRIGGER track_embeddings_changed_delete AFTER DELETE ON track_embeddings
BEGIN
  DELETE FROM embedding_changes WHERE pack_key = OLD.pack_key AND track_id = OLD.track_id;
  INSERT INTO embedding_changes (pack_key, track_id) VALUES (OLD.pack_key, OLD.track_id);
END;
