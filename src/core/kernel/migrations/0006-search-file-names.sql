-- Search also matches file and folder names, so untagged files are found ("01 - Rainy Day.mp3" by
-- "rainy", "Nick Drake/Pink Moon/..." by "pink moon"). `path_words` is the path inside its library
-- folder (the folder's own location is left out: every track shares it); the unicode61 tokenizer breaks
-- it into words at / \ _ - . and spaces. The track writer keeps it with the same expression.
ALTER TABLE tracks ADD COLUMN path_words TEXT;
UPDATE tracks SET path_words = substr(path, length(rtrim((SELECT f.path FROM library_folders f WHERE f.id = tracks.folder_id), '/\')) + 2);

-- FTS5 tables cannot gain a column: drop the index (and its triggers) and build it again from tracks.
DROP TRIGGER tracks_fts_insert;
DROP TRIGGER tracks_fts_delete;
DROP TRIGGER tracks_fts_update;
DROP TABLE tracks_fts;
CREATE VIRTUAL TABLE tracks_fts USING fts5(
  title, artist, album, album_artist, path_words,
  content = 'tracks', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO tracks_fts(tracks_fts) VALUES ('rebuild');
CREATE TRIGGER tracks_fts_insert AFTER INSERT ON tracks BEGIN
  INSERT INTO tracks_fts(rowid, title, artist, album, album_artist, path_words)
  VALUES (new.id, new.title, new.artist, new.album, new.album_artist, new.path_words);
END;
CREATE TRIGGER tracks_fts_delete AFTER DELETE ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, title, artist, album, album_artist, path_words)
  VALUES ('delete', old.id, old.title, old.artist, old.album, old.album_artist, old.path_words);
END;
CREATE TRIGGER tracks_fts_update AFTER UPDATE OF title, artist, album, album_artist, path_words ON tracks BEGIN
  INSERT INTO tracks_fts(tracks_fts, rowid, title, artist, album, album_artist, path_words)
  VALUES ('delete', old.id, old.title, old.artist, old.album, old.album_artist, old.path_words);
  INSERT INTO tracks_fts(rowid, title, artist, album, album_artist, path_words)
  VALUES (new.id, new.title, new.artist, new.album, new.album_artist, new.path_words);
END;
