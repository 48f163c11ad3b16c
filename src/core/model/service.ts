import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../kernel/database.js';
import type { Logger } from '../kernel/logger.js';
import { UserError } from '../kernel/errors.js';
import { installPack, type InstallProgress } from './install.js';
import { checkPack, loadJointModel, type JointModel } from './joint-model.js';
import { loadClapModel } from './clap-model.js';
import { packKey, type PackManifest } from './manifest.js';
import { activePackKey, deletePack, findPack, listPacks, recordPack, setActivePack, type InstalledPack } from './pack-store.js';
import { ModelRuntime, type RuntimeOptions } from './runtime.js';

/** Owns installed packs, the active pack and the loaded model. */
export interface ModelService {
  list(): InstalledPack[];
  /**
   * Installs a pack; `precision` picks the towers of an `hf:` CLAP repository (as a `:precision` suffix
   * does); `signal` cancels it. Callers run it as a job, which joins a second install of the same pack.
   */
  install(source: string, onProgress?: (p: InstallProgress) => void, signal?: AbortSignal, precision?: string): Promise<InstalledPack>;
  use(ref: string): InstalledPack;
  remove(ref: string): Promise<InstalledPack>;
  /** The active pack, or a UserError saying how to get one. */
  active(): { pack: InstalledPack; manifest: PackManifest };
  /** The active pack's loaded model (loaded once, reloaded when the active pack changes). */
  activeModel(): JointModel;
  runtime: ModelRuntime;
  close(): Promise<void>;
}

/** Options for the model service. */
export interface ModelServiceOptions extends RuntimeOptions {
  packsDir: string;
  hubEndpoint?: string;
}

/** Creates the model service over the database and a runtime it owns. */
export function createModelService(db: Db, log: Logger, options: ModelServiceOptions): ModelService {
  const runtime = new ModelRuntime(options);
  let loaded: { key: string; model: JointModel } | null = null;
  // The active pack and its parsed manifest, read on every scoring request (two queries, a JSON parse and a
  // listing: ~0.4 ms of a new label's ~8 ms in bench:zero-shot), are kept until the packs may have changed:
  // this connection changes them only through install, use and remove (which clear it), and a commit by any
  // other connection (the CLI, a second app) moves SQLite's data_version.
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  let activeCache: { version: unknown; value: { pack: InstalledPack; manifest: PackManifest } } | null = null;

  const require = (ref: string): { pack: InstalledPack; manifest: PackManifest } => {
    const found = findPack(db, ref);
    if (!found) throw new UserError(`No installed model pack "${ref}" (see: moodshelf models list)`, 'E_NO_PACK');
    return found;
  };

  /** One install from start to record. */
  const installOnce = async (
    source: string,
    onProgress?: (p: InstallProgress) => void,
    signal?: AbortSignal,
    precision?: string,
  ): Promise<InstalledPack> => {
    const result = await installPack(source, {
      packsDir: options.packsDir,
      hubEndpoint: options.hubEndpoint,
      onProgress,
      signal,
      precision,
      check: async (dir, manifest) => {
        // A throwaway runtime, so the staged files are not held open after the rename.
        const probe = new ModelRuntime({ threads: options.threads });
        try {
          await checkPack(dir, manifest, probe, loadModel);
        } finally {
          await probe.dispose();
        }
      },
    });
    activeCache = null;
    const key = recordPack(db, result.manifest, result.path, result.sizeBytes, result.source);
    if (!activePackKey(db)) setActivePack(db, key);
    if (loaded?.key === key) loaded = null;
    log.info('installed model pack', { key, source: result.source });
    return require(key).pack;
  };

  const service: ModelService = {
    runtime,
    list: () => listPacks(db),
    // A second install of the same pack while one runs is joined by the job registry (models-install), so
    // the same .part files are never written twice.
    install: installOnce,
    use(ref) {
      const { pack } = require(ref);
      activeCache = null;
      setActivePack(db, pack.key);
      return { ...pack, active: true };
    },
    async remove(ref) {
      const { pack } = require(ref);
      if (loaded?.key === pack.key) {
        loaded = null;
        await runtime.dispose();
      }
      activeCache = null;
      deletePack(db, pack.key);
      await rm(pack.path, { recursive: true, force: true });
      return pack;
    },
    active() {
      const version = dataVersion.get();
      if (activeCache && activeCache.version === version) return activeCache.value;
      const key = activePackKey(db);
      if (!key)
        throw new UserError(
          'No model pack is installed yet. Install one with: moodshelf models install <folder|zip|hf:org/repo>',
          'E_NO_PACK',
        );
      const value = require(key);
      activeCache = { version, value };
      return value;
    },
    activeModel() {
      const { pack, manifest } = service.active();
      if (loaded?.key !== pack.key) {
        loaded = { key: pack.key, model: loadModel(pack.path, manifest, runtime) };
      }
      return loaded.model;
    },
    close: () => runtime.dispose(),
  };
  return service;
}

/** Loads a pack of either kind behind the one model interface. */
export function loadModel(dir: string, manifest: PackManifest, runtime: ModelRuntime): JointModel {
  return manifest.kind === 'clap' ? loadClapModel(dir, manifest, runtime) : loadJointModel(dir, manifest, runtime);
}

/** The folder packs are installed into. */
export function packsDirFor(dataDir: string): string {
  return join(dataDir, 'packs');
}

export { packKey };
