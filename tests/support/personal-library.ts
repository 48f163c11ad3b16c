import { join } from 'node:path';
import { commitTrackAnalysis } from '../../src/core/analysis/store.js';
import { toBlob } from '../../src/core/analysis/vectors.js';
import { createCore, type Core } from '../../src/core/index.js';
import { generateMoodLibrary, type MoodLibrary, type MoodLibraryOptions } from './mood-generator.js';
import { TINY_PACK } from './packs.js';

/** A core over a generated mood library (mood-generator.ts), ready for personal-label tests and the bench. */
export interface PersonalLibrary {
  core: Core;
  lib: MoodLibrary;
  packKey: string;
  /** The track id of generated track t (0-based). */
  trackId(t: number): number;
  /** Label names, one per generated label, whose cached zero-shot vector is the generator's. */
  names: string[];
}

/**
 * A real core (real SQLite database in `root`, the tiny test pack installed and active) whose library is a
 * generated one: tracks stored as rows and their embeddings committed with commitTrackAnalysis as the
 * analysis does (one segment per track), and each label name's zero-shot vector put in the label
 * embeddings cache under the pack, as if the pack's label encoder had embedded it (it never runs for
 * these texts). `names[k]` (any text not in a vocabulary) stands for generated label k; with
 * `namesPerLabel` > 1 several names share one label's vectors (independent users of the same meaning).
 * The pack's dimension is 32; a larger `dim` stores wider vectors under the same pack (the bench does, to
 * time a CLAP-sized space).
 */
export async function personalLibrary(
  root: string,
  options: Omit<MoodLibraryOptions, 'dim'> & { dim?: number; names: (k: number) => string[] },
): Promise<PersonalLibrary> {
  const lib = generateMoodLibrary({ ...options, dim: options.dim ?? 32 });
  const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
  try {
    const installed = await core.run('models-install', { source: TINY_PACK });
    const packKey = installed.key;
    const { db } = core.context;
    db.prepare('INSERT INTO library_folders (path) VALUES (?)').run(join(root, 'lib'));
    const folderId = db.prepare('SELECT id FROM library_folders').pluck().get() as number;
    const insert = db.prepare(
      "INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status, duration, artist, title) VALUES (?, ?, ?, 1, 1, 'ok', 180, ?, ?)",
    );
    db.transaction(() => {
      for (let t = 0; t < lib.tracks; t++) {
        insert.run(t + 1, folderId, join(root, 'lib', `${t + 1}.flac`), `Artist ${t % 997}`, `Track ${t + 1}`);
        const embedding = lib.embeddings.slice(t * lib.dim, (t + 1) * lib.dim);
        commitTrackAnalysis(db, t + 1, packKey, 'quick:1', [{ index: 0, start: 0, embedding }]);
      }
    })();
    const put = db.prepare('INSERT OR REPLACE INTO label_embeddings (encoder_key, text, embedding) VALUES (?, ?, ?)');
    const names: string[] = [];
    lib.labels.forEach((l, k) => {
      for (const name of options.names(k)) {
        put.run(packKey, name, toBlob(l.zeroShot));
        names.push(name);
      }
    });
    return { core, lib, packKey, trackId: (t) => t + 1, names };
  } catch (err) {
    await core.close();
    throw err;
  }
}
