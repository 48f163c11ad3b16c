import type { Db } from '../kernel/database.js';
import type { JobTicket, Jobs } from '../kernel/jobs.js';
import { count } from '../kernel/plural.js';
import { bool, handler, id, opt, optionalParams, params, text, v } from '../kernel/schema.js';
import type { WriteGrants } from '../kernel/write-grants.js';
import { analysisJob } from './job.js';
import { exportFeatures, planExport, refuseExistingExport, type FeatureExport } from './export.js';
import type { ScoringDeps } from './scoring-deps.js';
import type { AnalysisProgress, AnalysisService, AnalysisSummary } from './service.js';
import { analysisCounts } from './store.js';

/** What the analysis handlers need. */
export interface AnalysisHandlerDeps {
  db: Db;
  analysis: AnalysisService;
  jobs: Jobs;
  grants: WriteGrants;
  /** The active pack and its model, for the feature export. */
  scoring: ScoringDeps;
}

/** A segment policy as typed: quick, quick:N or full (N's range is checked where it is parsed). */
const policy = () => v.pipe(text(20), v.regex(/^(?:full|quick(?::\d+)?)$/, 'must be quick, quick:N or full'));

/** Track ids to queue: a list (possibly empty) of ids, at most one per track of a very large library. */
const trackIds = () => {
  const msg = 'must be a list of at most 1000000 track ids';
  return v.pipe(v.array(id(), msg), v.maxLength(1_000_000, msg));
};

/** Queue state plus how much of the library is analysed with the active pack. */
export type AnalysisStatus = AnalysisProgress & { counts: ReturnType<typeof analysisCounts> | null };

/** Handlers for the analysis queue and the feature export. Their definitions (schemas and results) are the API contract. */
export function createAnalysisHandlers(deps: AnalysisHandlerDeps) {
  const { db, analysis, jobs, grants, scoring } = deps;
  /** The analysis job, started or joined when the queue is running (see job.ts for its lifetime). */
  const followRun = (): void => {
    if (analysis.status().state !== 'idle') analysisJob(jobs, analysis);
  };
  return {
    /**
     * Queues tracks (default: all not yet analysed with the active pack) and runs the queue as a job
     * (kind 'analysis'; a start while it runs joins it). The job ends with the run's summary.
     */
    'analysis-start': handler(
      optionalParams({ policy: opt(policy()), trackIds: opt(trackIds()) }),
      (input): { queued: number } & JobTicket<AnalysisSummary> => {
        const { queued } = analysis.start({ policy: input.policy, trackIds: input.trackIds });
        return { queued, ...analysisJob(jobs, analysis) };
      },
    ),
    /** Pauses after the track in flight; the analysis job stays, paused. */
    'analysis-pause': handler((): AnalysisProgress => {
      analysis.pause();
      return analysis.status();
    }),
    /** Resumes a paused (or leftover) queue; a queue that runs again is followed by the analysis job. */
    'analysis-resume': handler((): AnalysisProgress => {
      analysis.resume();
      followRun();
      return analysis.status();
    }),
    /** Empties the queue; results already stored stay. The analysis job ends with a summary saying cancelled. */
    'analysis-cancel': handler((): { cleared: number } => analysis.cancel()),
    /** Queue state and how much of the library is analysed. */
    'analysis-status': handler((): AnalysisStatus => {
      const s = analysis.status();
      return { ...s, counts: s.packKey ? analysisCounts(db, s.packKey) : null };
    }),
    /**
     * Writes encoder features of analysed segments plus accepted tags into a folder, for training, as a
     * job. `target` is a folder grant's token from the page, or a path from a trusted caller; an
     * existing export there is replaced only with `overwrite` (trusted callers) or a grant that allows it.
     */
    'analysis-export-features': handler(
      params({ target: text(), overwrite: opt(bool()) }),
      ({ target, overwrite }): JobTicket<FeatureExport> => {
        const folder = grants.target('analysis-export-features', target, 'folder', overwrite ?? false);
        refuseExistingExport(folder.path, folder.overwrite);
        const plan = planExport(scoring);
        return jobs.start({
          kind: 'analysis-export-features',
          key: folder.path,
          title: `Exporting features to ${folder.path}`,
          run: (job) => {
            const report = (done: number, total: number): void =>
              job.progress({ done, total, message: `Exporting features: ${done} of ${count(total, 'track')}` });
            report(0, plan.byTrack.size);
            return exportFeatures(scoring, plan, folder.path, { signal: job.signal, onProgress: report });
          },
        });
      },
    ),
    /**
     * The analysis job: the running one, or (when the queue is idle) one that ends at once with what the
     * last run did. `core.run('analysis-wait')` resolves with that summary.
     */
    'analysis-wait': handler((): JobTicket<AnalysisSummary> => analysisJob(jobs, analysis)),
  };
}

/** The analysis part of the API contract, derived from the implementation. */
export type AnalysisHandlerDefs = ReturnType<typeof createAnalysisHandlers>;
