import type { CoreContext } from '../api/context.js';
import { asObject, optionalString, requireString } from '../kernel/validate-legacy.js';
import { catalogEntries, type CatalogEntry } from './catalog.js';
import type { InstalledPack } from './pack-store.js';

/** Handlers for model packs. Their signatures are the API contract. */
export function createModelHandlers(ctx: CoreContext) {
  return {
    /** Installed packs, the active one flagged. */
    'models-list': (): InstalledPack[] => ctx.models.list(),
    /**
     * Recommended packs, each pinned to a commit, with its precisions (variants), their files and download
     * sizes; the first run offers the default pack in its recommended precision.
     */
    'models-catalog': (): CatalogEntry[] => catalogEntries(new Set(ctx.models.list().flatMap((p) => (p.source ? [p.source] : [])))),
    /**
     * Installs a pack from a folder, a zip, hf:org/repo[@revision][:precision] or an https URL; progress as
     * events. `precision` (fp32, fp16, q8 or quantized) picks the towers of an hf: CLAP repository.
     */
    'models-install': async (params: { source: string; precision?: string }): Promise<InstalledPack> => {
      const o = asObject(params, 'models-install');
      const source = requireString(o, 'source', 'models-install');
      const precision = optionalString(o, 'precision', 'models-install');
      const pack = await ctx.models.install(source, (p) => ctx.events.emit('model-install-progress', p), undefined, precision);
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
