-- Cross-vocabulary label alignment (mean shift over label embeddings), cached per label encoder and
-- settings. `input_hash` covers the labels, their embedded texts and the encoder, so a changed
-- vocabulary or encoder is recomputed instead of served stale.
CREATE TABLE label_alignments (
  encoder_key TEXT NOT NULL,
  vocabularies TEXT NOT NULL,
  quantile REAL NOT NULL,
  n_samples INTEGER NOT NULL,
  input_hash TEXT NOT NULL,
  bandwidth REAL NOT NULL,
  estimated_bandwidth REAL NOT NULL,
  fallback INTEGER NOT NULL,
  reason TEXT,
  result TEXT NOT NULL,
  computed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (encoder_key, vocabularies, quantile, n_samples)
) WITHOUT ROWID;
