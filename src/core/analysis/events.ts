import type { AnalysisProgress, AnalysisSummary } from './service.js';

/** The analysis domain's events: queue progress, each finished track, the end of a run. */
export type AnalysisEvents = {
  'analysis-progress': AnalysisProgress;
  'analysis-track-done': { trackId: number; ok: boolean; error: string | null };
  'analysis-finished': AnalysisSummary;
};
