import { resolve } from 'node:path';
import type { Emitter } from '../kernel/events.js';
import type { JobTicket, Jobs } from '../kernel/jobs.js';
import { handler, opt, params, text } from '../kernel/schema.js';
import { analysisJob } from '../analysis/job.js';
import type { AnalysisService } from '../analysis/service.js';
import { catalogEntries, type CatalogEntry } from './catalog.js';
import type { ModelEvents } from './events.js';
import { parseHubSource, type InstallProgress } from './install.js';
import type { InstalledPack } from './pack-store.js';
import { parsePrecision } from './precision.js';
import type { ModelService } from './service.js';

/** What the model handlers need. */
export interface ModelHandlerDeps {
  models: ModelService;
  /** Switching or removing the active pack restarts or stops the analysis queue. */
  analysis: AnalysisService;
  jobs: Jobs;
  events: Emitter<ModelEvents>;
}

/**
 * The job key of an install: the source in one canonical form plus the precision, so the same pack
 * asked for twice (`hf:org/repo` and `hf:org/repo@main`, `q8` and `quantized`, a relative and an
 * absolute path) is one job. Throws a UserError for a precision that does not exist.
 */
export function installKey(source: string, precision?: string): string {
  const option = precision === undefined ? '' : parsePrecision(precision);
  const hub = parseHubSource(source);
  if (hub) return `hf:${hub.repo}@${hub.revision}:${hub.precision ?? option}`;
  if (/^https?:\/\//i.test(source) || source.startsWith('hf:')) return `${source}:${option}`;
  return `${resolve(source)}:${option}`;
}

/** A line for people about where an install is. */
export function installMessage(p: InstallProgress): string {
  switch (p.phase) {
    case 'downloading':
      return p.file ? `Downloading ${p.file}` : 'Downloading';
    case 'extracting':
      return 'Extracting the pack';
    case 'verifying':
      return p.file ? `Verifying ${p.file}` : 'Verifying the files';
    case 'checking':
      return 'Checking the model';
    case 'installing':
      return 'Installing';
  }
}

/** Handlers for model packs. Their definitions (schemas and results) are the API contract. */
export function createModelHandlers(deps: ModelHandlerDeps) {
  const { models, analysis, jobs, events } = deps;
  const announce = (): void => events.emit('models-changed', { activePack: models.list().find((p) => p.active)?.key ?? null });
  return {
    /** Installed packs, the active one flagged. */
    'models-list': handler((): InstalledPack[] => models.list()),
    /**
     * Recommended packs, each pinned to a commit, with its precisions (variants), their files and download
     * sizes; the first run offers the default pack in its recommended precision.
     */
    'models-catalog': handler((): CatalogEntry[] => catalogEntries(new Set(models.list().flatMap((p) => (p.source ? [p.source] : []))))),
    /**
     * Installs a pack from a folder, a zip, hf:org/repo[@revision][:precision] or an https URL, as a job
     * (kind 'models-install'; the same source and precision again joins it: one download, one pack).
     * `precision` (fp32, fp16, q8 or quantized) picks the towers of an hf: CLAP repository. Cancelling
     * aborts the download; the `.part` files stay, so the next install resumes them.
     */
    'models-install': handler(params({ source: text(), precision: opt(text(32)) }), ({ source, precision }): JobTicket<InstalledPack> =>
      jobs.start({
        kind: 'models-install',
        key: installKey(source, precision),
        title: `Installing ${source}`,
        run: async (job) => {
          const onProgress = (p: InstallProgress): void => {
            events.emit('model-install-progress', p);
            const bytes = p.phase === 'downloading' ? { done: p.receivedBytes, total: p.totalBytes } : {};
            job.progress({ ...bytes, message: installMessage(p) });
          };
          const pack = await models.install(source, onProgress, job.signal, precision);
          announce();
          return pack;
        },
      }),
    ),
    /** Makes a pack active and queues the library for re-analysis with it (old results stay until replaced). */
    'models-use': handler(params({ ref: text() }), ({ ref }): InstalledPack & { queued: number } => {
      const pack = models.use(ref);
      const { queued } = analysis.start({});
      // The re-analysis runs as the analysis job, so the page sees it in jobs-list.
      if (analysis.status().state !== 'idle') analysisJob(jobs, analysis);
      events.emit('models-changed', { activePack: pack.key });
      return { ...pack, queued };
    }),
    /** Removes a pack and everything computed with it. */
    'models-remove': handler(params({ ref: text() }), async ({ ref }): Promise<InstalledPack> => {
      const active = models.list().find((p) => p.active);
      if (active && (active.key === ref || active.id === ref)) {
        analysis.cancel();
        await analysis.whenIdle();
      }
      const pack = await models.remove(ref);
      announce();
      return pack;
    }),
  };
}

/** The models part of the API contract, derived from the implementation. */
export type ModelHandlerDefs = ReturnType<typeof createModelHandlers>;
