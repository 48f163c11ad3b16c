import type { Db } from '../kernel/database.js';
import { fromBlob, toBlob } from '../analysis/vectors.js';
import type { LabelFit } from './fit.js';

/**
 * A label as personal models key it: tags compare labels case-insensitively with SQLite's NOCASE, which
 * folds ASCII letters only, so this does the same.
 */
export function labelKey(label: string): string {
  return label.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** A label's decisions: the tracks carrying it as a tag (any source) and those it was rejected for. */
export interface LabelDecisions {
  accepted: number[];
  rejected: number[];
}

/** Reads a label's decisions (a track both tagged and rejected counts as accepted: the tag is what it has). */
export function readDecisions(db: Db, label: string): LabelDecisions {
  const accepted = db
    .prepare('SELECT DISTINCT track_id FROM track_tags WHERE label = ? COLLATE NOCASE ORDER BY track_id')
    .pluck()
    .all(label) as number[];
  const tagged = new Set(accepted);
  const rejected = (
    db
      .prepare('SELECT DISTINCT track_id FROM tag_rejections WHERE label = ? COLLATE NOCASE ORDER BY track_id')
      .pluck()
      .all(label) as number[]
  ).filter((id) => !tagged.has(id));
  return { accepted, rejected };
}

/** A label with decisions, as first spelled, with its counts. */
export interface LabelDecisionCount {
  label: string;
  accepted: number;
  rejected: number;
}

/** Every label that has at least one decision, with its counts (one query). */
export function labelsWithDecisions(db: Db): LabelDecisionCount[] {
  return db
    .prepare(
      `SELECT MIN(label) AS label, SUM(pos) AS accepted, SUM(neg) AS rejected FROM (
         SELECT label, 1 AS pos, 0 AS neg FROM track_tags
         UNION ALL SELECT label, 0 AS pos, 1 AS neg FROM tag_rejections
       ) GROUP BY label COLLATE NOCASE ORDER BY label COLLATE NOCASE`,
    )
    .all() as LabelDecisionCount[];
}

/** A stored personal model. */
export interface StoredModel {
  packKey: string;
  label: string;
  vector: Float32Array;
  alpha: number;
  cosineToZeroShot: number;
  accepted: number;
  rejected: number;
  folds: number;
  zeroShotAuc: number;
  personalAuc: number | null;
  better: boolean;
  decisionsStamp: string;
  fittedAt: string;
}

interface ModelRow {
  pack_key: string;
  label: string;
  vector: Buffer;
  alpha: number;
  cosine_to_zero_shot: number;
  accepted: number;
  rejected: number;
  folds: number;
  zero_shot_auc: number;
  personal_auc: number | null;
  better: number;
  decisions_stamp: string;
  fitted_at: string;
}

function toModel(r: ModelRow): StoredModel {
  return {
    packKey: r.pack_key,
    label: r.label,
    vector: fromBlob(r.vector),
    alpha: r.alpha,
    cosineToZeroShot: r.cosine_to_zero_shot,
    accepted: r.accepted,
    rejected: r.rejected,
    folds: r.folds,
    zeroShotAuc: r.zero_shot_auc,
    personalAuc: r.personal_auc,
    better: r.better === 1,
    decisionsStamp: r.decisions_stamp,
    fittedAt: r.fitted_at,
  };
}

/** One label's stored model under a pack. */
export function readModel(db: Db, packKey: string, label: string): StoredModel | null {
  const r = db.prepare('SELECT * FROM personal_models WHERE pack_key = ? AND label = ?').get(packKey, label) as ModelRow | undefined;
  return r ? toModel(r) : null;
}

/** Every stored model under a pack. */
export function readModels(db: Db, packKey: string): StoredModel[] {
  return (db.prepare('SELECT * FROM personal_models WHERE pack_key = ? ORDER BY label').all(packKey) as ModelRow[]).map(toModel);
}

/** Stores (or replaces) a label's model. */
export function writeModel(db: Db, packKey: string, label: string, fit: LabelFit, decisionsStamp: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM personal_models WHERE pack_key = ? AND label = ?').run(packKey, label);
    db.prepare(
      `INSERT INTO personal_models (pack_key, label, vector, alpha, cosine_to_zero_shot, accepted, rejected, folds, zero_shot_auc,
         personal_auc, better, decisions_stamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      packKey,
      label,
      toBlob(fit.vector),
      fit.alpha,
      fit.cosineToZeroShot,
      fit.accepted,
      fit.rejected,
      fit.folds,
      Number.isFinite(fit.zeroShotAuc) ? fit.zeroShotAuc : 0.5,
      Number.isFinite(fit.personalAuc) ? fit.personalAuc : null,
      fit.better ? 1 : 0,
      decisionsStamp,
    );
  })();
}

/** Drops a label's model (its decisions fell below the threshold); true when there was one. */
export function deleteModel(db: Db, packKey: string, label: string): boolean {
  return db.prepare('DELETE FROM personal_models WHERE pack_key = ? AND label = ?').run(packKey, label).changes > 0;
}

/** Whether the user left the personal model of a label on (the default). */
export function personalEnabled(db: Db, label: string): boolean {
  const r = db.prepare('SELECT enabled FROM personal_label_settings WHERE label = ?').pluck().get(label) as number | undefined;
  return r !== 0;
}

/** Labels the user switched off. */
export function disabledLabels(db: Db): Set<string> {
  return new Set((db.prepare('SELECT label FROM personal_label_settings WHERE enabled = 0').pluck().all() as string[]).map(labelKey));
}

/** Sets the user's switch for a label. */
export function setPersonalEnabled(db: Db, label: string, enabled: boolean): void {
  db.prepare(
    `INSERT INTO personal_label_settings (label, enabled) VALUES (?, ?)
     ON CONFLICT(label) DO UPDATE SET enabled = excluded.enabled, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run(label, enabled ? 1 : 0);
}
