-- Personal labels: a label's zero-shot vector moved towards what the user's own accepted and rejected tags
-- say it means (src/core/personal). One model per pack and label (labels compared case-insensitively, as
-- tags are), refitted in the background when the label's decisions change; `decisions_stamp` says what it
-- was fitted from (the decisions, which of them were analysed, and the zero-shot vector), so a refit is
-- skipped when nothing changed. The cross-validated figures are kept with it: `better` = 1 when personal
-- ranked the user's decisions better than zero-shot (only then is it used). A label below the threshold
-- has no row.
CREATE TABLE personal_models (
  pack_key TEXT NOT NULL,
  label TEXT NOT NULL COLLATE NOCASE,
  vector BLOB NOT NULL,
  alpha REAL NOT NULL,
  cosine_to_zero_shot REAL NOT NULL,
  accepted INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  folds INTEGER NOT NULL,
  zero_shot_auc REAL NOT NULL,
  personal_auc REAL,
  better INTEGER NOT NULL CHECK (better IN (0, 1)),
  decisions_stamp TEXT NOT NULL,
  fitted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (pack_key, label)
) WITHOUT ROWID;

-- The user's per-label switch (any pack): a row with enabled = 0 keeps zero-shot scores for the label even
-- where the personal model ranks better. No row means on.
CREATE TABLE personal_label_settings (
  label TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) WITHOUT ROWID;

-- Finds a label's rejections without reading every track's (the tag_rejections key starts with track_id).
CREATE INDEX tag_rejections_label ON tag_rejections(label COLLATE NOCASE);
