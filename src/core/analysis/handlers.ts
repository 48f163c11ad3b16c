import type { CoreContext } from '../api/context.js';
import { asObject, optionalString } from '../kernel/validate-legacy.js';
import { UserError } from '../kernel/errors.js';
import { analysisCounts } from './store.js';
import { exportFeatures, type FeatureExport } from './export.js';
import { requireString } from '../kernel/validate-legacy.js';
import type { AnalysisProgress, AnalysisSummary } from './service.js';

function trackIdList(o: Record<string, unknown>, handler: string): number[] | undefined {
  const v = o.trackIds;
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || (x as number) < 1))
    throw new UserError(`${handler}: "trackIds" must be a list of track ids`, 'E_INVALID');
  return v as number[];
}

/** Handlers for the analysis queue. Their signatures are the API contract. */
export function createAnalysisHandlers(ctx: CoreContext) {
  return {
    /** Queues tracks (default: all not yet analysed with the active pack) and runs the queue. */
    'analysis-start': (params?: { policy?: string; trackIds?: number[] }): { queued: number } => {
      const o = asObject(params, 'analysis-start');
      return ctx.analysis.start({ policy: optionalString(o, 'policy', 'analysis-start'), trackIds: trackIdList(o, 'analysis-start') });
    },
    /** Pauses after the track in flight. */
    'analysis-pause': (): AnalysisProgress => {
      ctx.analysis.pause();
      return ctx.analysis.status();
    },
    /** Resumes a paused (or leftover) queue. */
    'analysis-resume': (): AnalysisProgress => {
      ctx.analysis.resume();
      return ctx.analysis.status();
    },
    /** Empties the queue; results already stored stay. */
    'analysis-cancel': (): { cleared: number } => ctx.analysis.cancel(),
    /** Queue state and how much of the library is analysed. */
    'analysis-status': (): AnalysisProgress & { counts: ReturnType<typeof analysisCounts> | null } => {
      const s = ctx.analysis.status();
      return { ...s, counts: s.packKey ? analysisCounts(ctx.db, s.packKey) : null };
    },
    /** Writes encoder features of analysed segments plus accepted tags into a folder, for training. */
    'analysis-export-features': (params: { outDir: string }): Promise<FeatureExport> =>
      exportFeatures(ctx, requireString(asObject(params, 'analysis-export-features'), 'outDir', 'analysis-export-features')),
    /** Resolves when the queue is idle, with what the last run did. */
    'analysis-wait': (): Promise<AnalysisSummary> => ctx.analysis.whenIdle(),
  };
}

/** The analysis part of the API contract, derived from the implementation. */
export type AnalysisHandlers = ReturnType<typeof createAnalysisHandlers>;
