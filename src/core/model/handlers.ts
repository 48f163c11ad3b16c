import type { CoreContext } from '../api/context.js';
import { asObject, requireString } from '../api/validate.js';
import type { InstalledPack } from './pack-store.js';
import catalog from './catalog.json' with { type: 'json' };

/** A recommended pack from the catalog. */
export interface CatalogEntry {
  source: string;
  name: string;
  kind: string;
  sizeBytes: number;
  /** True when sizeBytes is an estimate (the hub tells the exact size only when downloading). */
  sizeIsEstimate: boolean;
  default: boolean;
  description: string;
  installed: boolean;
}

/** Handlers for model packs. Their signatures are the API contract. */
export function createModelHandlers(ctx: CoreContext) {
  return {
    /** Installed packs, the active one flagged. */
    'models-list': (): InstalledPack[] => ctx.models.list(),
    /** Recommended packs with their download sizes (the first run offers the default one). */
    'models-catalog': (): CatalogEntry[] => {
      const installed = new Set(ctx.models.list().map((p) => p.source));
      return catalog.packs.map((p) => ({ ...p, installed: installed.has(p.source) }));
    },
    /** Installs a pack from a folder, a zip, hf:org/repo[@revision] or an https URL; progress as events. */
    'models-install': async (params: { source: string }): Promise<InstalledPack> => {
      const source = requireString(asObject(params, 'models-install'), 'source', 'models-install');
      const pack = await ctx.models.install(source, (p) => ctx.events.emit('model-install-progress', p));
      ctx.events.emit('models-changed', { activePack: ctx.models.list().find((p) => p.active)?.key ?? null });
      return pack;
    },
    /** Makes a pack active and queues the library for re-analysis with it (old results stay until replaced). */
    'models-use': (params: { ref: string }): InstalledPack & { queued: number } => {
      const ref = requireString(asObject(params, 'models-use'), 'ref', 'models-use');
      const pack = ctx.models.use(ref);
      const { queued } = ctx.analysis.start({});
      ctx.events.emit('models-changed', { activePack: pack.key });
      return { ...pack, queued };
    },
    /** Removes a pack and everything computed with it. */
    'models-remove': async (params: { ref: string }): Promise<InstalledPack> => {
      const ref = requireString(asObject(params, 'models-remove'), 'ref', 'models-remove');
      const active = ctx.models.list().find((p) => p.active);
      if (active && (active.key === ref || active.id === ref)) {
        ctx.analysis.cancel();
        await ctx.analysis.whenIdle();
      }
      const pack = await ctx.models.remove(ref);
      ctx.events.emit('models-changed', { activePack: ctx.models.list().find((p) => p.active)?.key ?? null });
      return pack;
    },
  };
}

/** The models part of the API contract, derived from the implementation. */
export type ModelHandlers = ReturnType<typeof createModelHandlers>;
