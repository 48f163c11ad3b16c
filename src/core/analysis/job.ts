/**
 * The analysis queue's run as a job. The queue itself is persistent and can be started from several
 * places (analysis-start, analysis-resume, switching packs, a scan in the app); whichever starts it, this
 * one job follows it, so the page finds it in jobs-list after a reload and a second start joins it.
 *
 * Lifetime: the job lasts until the queue has nothing left to do. A pause does not end it (the run is
 * still the same, resumable one; its message says it is paused). `analysis-cancel` empties the queue and
 * the job then ends normally with a summary saying `cancelled: true`; `jobs-cancel` on the job does the
 * same to the queue, and the job ends as cancelled, like any job cancelled through the registry.
 */
import type { JobProgress, JobTicket, Jobs } from '../kernel/jobs.js';
import { count } from '../kernel/plural.js';
import type { AnalysisProgress, AnalysisService, AnalysisSummary } from './service.js';

/** The job kind of the analysis run. */
export const ANALYSIS_JOB_KIND = 'analysis';

/** What the job follows of the analysis service. */
export type AnalysisRun = Pick<AnalysisService, 'status' | 'watch' | 'whenIdle' | 'cancel'>;

/** The queue's progress as a job's: tracks done of tracks in this run, and a line for people. */
export function analysisJobProgress(p: AnalysisProgress): JobProgress {
  const total = p.done + p.queued;
  const counted = `${p.done} of ${count(total, 'track')}`;
  const message =
    p.state === 'paused' ? `Paused after ${counted}` : p.currentTitle ? `Analysing ${counted}: ${p.currentTitle}` : `Analysing ${counted}`;
  return { done: p.done, total, message };
}

/**
 * Starts the job that follows the analysis queue until it is idle, or joins the one already running.
 * When the queue is idle the job ends at once with the last run's summary.
 */
export function analysisJob(jobs: Jobs, analysis: AnalysisRun): JobTicket<AnalysisSummary> {
  return jobs.start({
    kind: ANALYSIS_JOB_KIND,
    title: 'Analysing the library',
    onCancel: () => {
      analysis.cancel();
    },
    run: async (job) => {
      const report = (p: AnalysisProgress): void => job.progress(analysisJobProgress(p));
      report(analysis.status());
      const off = analysis.watch(report);
      try {
        const summary = await analysis.whenIdle();
        // Cancelled through the registry (jobs-cancel): the job ends as cancelled, not with a summary.
        job.signal.throwIfAborted();
        return summary;
      } finally {
        off();
      }
    },
  });
}
