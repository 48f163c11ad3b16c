import type { Db } from '../kernel/database.js';
import { packKey, type PackManifest } from './manifest.js';

/** An installed pack as listed to people. */
export interface InstalledPack {
  key: string;
  id: string;
  version: string;
  kind: string;
  name: string;
  path: string;
  sizeBytes: number;
  source: string | null;
  installedAt: string;
  active: boolean;
}

const ACTIVE = 'active_pack';

/** Reads a setting, or undefined. */
export function getSetting(db: Db, key: string): string | undefined {
  return (db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** Writes a setting. */
export function setSetting(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** The active pack's key, if any pack is installed and active. */
export function activePackKey(db: Db): string | undefined {
  return getSetting(db, ACTIVE);
}

/** Makes a pack the active one. */
export function setActivePack(db: Db, key: string): void {
  setSetting(db, ACTIVE, key);
}

/** All installed packs, the active one flagged. */
export function listPacks(db: Db): InstalledPack[] {
  const active = activePackKey(db);
  const rows = db
    .prepare(
      `SELECT key, id, version, kind, name, path, size_bytes AS sizeBytes, source, installed_at AS installedAt
       FROM model_packs ORDER BY id, version`,
    )
    .all() as Omit<InstalledPack, 'active'>[];
  return rows.map((r) => ({ ...r, active: r.key === active }));
}

/** One installed pack with its manifest, by key (`id@version`) or by id alone (newest install). */
export function findPack(db: Db, ref: string): { pack: InstalledPack; manifest: PackManifest } | undefined {
  const row = db
    .prepare('SELECT key, manifest FROM model_packs WHERE key = ? OR id = ? ORDER BY key = ? DESC, installed_at DESC LIMIT 1')
    .get(ref, ref, ref) as { key: string; manifest: string } | undefined;
  if (!row) return undefined;
  const pack = listPacks(db).find((p) => p.key === row.key);
  return pack ? { pack, manifest: JSON.parse(row.manifest) as PackManifest } : undefined;
}

/** Records an installed pack (replacing an earlier install of the same id and version). */
export function recordPack(db: Db, manifest: PackManifest, path: string, sizeBytes: number, source: string): string {
  const key = packKey(manifest);
  db.prepare(
    `INSERT INTO model_packs (key, id, version, kind, name, path, manifest, size_bytes, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, name = excluded.name, path = excluded.path, manifest = excluded.manifest,
       size_bytes = excluded.size_bytes, source = excluded.source, installed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run(key, manifest.id, manifest.version, manifest.kind, manifest.name, path, JSON.stringify(manifest), sizeBytes, source);
  return key;
}

/** Forgets a pack and everything computed with it. */
export function deletePack(db: Db, key: string): void {
  db.transaction(() => {
    for (const table of ['segment_embeddings', 'track_embeddings', 'analysis_queue', 'analysis_failures']) {
      db.prepare(`DELETE FROM ${table} WHERE pack_key = ?`).run(key);
    }
    db.prepare('DELETE FROM label_embeddings WHERE encoder_key = ?').run(key);
    db.prepare('DELETE FROM model_packs WHERE key = ?').run(key);
    if (activePackKey(db) === key) db.prepare('DELETE FROM settings WHERE key = ?').run(ACTIVE);
  })();
}
