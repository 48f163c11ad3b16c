import type { AnalysisProgress } from '../../core/analysis/service.js';
import { type Command, output } from '../context.js';
import { count } from '../format.js';

function formatEta(s: number | null): string {
  if (s === null) return '';
  if (s < 90) return ` ETA ${s}s`;
  if (s < 5400) return ` ETA ${Math.round(s / 60)} min`;
  return ` ETA ${(s / 3600).toFixed(1)} h`;
}

/** One progress line for the analysis queue. */
export function formatAnalysisProgress(p: AnalysisProgress): string {
  const total = p.done + p.queued;
  return `Analysing ${p.done}/${count(total, 'track')}, ${p.segmentsPerSecond.toFixed(1)} segments/s${formatEta(p.etaSeconds)}${p.currentTitle ? `  ${p.currentTitle}` : ''}`;
}

/** `analyze [--full | --policy quick:N]`: queue everything not analysed and run the queue (the analysis job) to the end. */
export const analyze: Command = async (c) => {
  const policy = c.args.values.full ? 'full' : c.args.values.policy;
  const stream = c.io.stderr as NodeJS.WriteStream;
  const off = c.core.events.on('analysis-progress', (p) => {
    if (stream.isTTY) stream.write(`\r\x1b[2K${formatAnalysisProgress(p).slice(0, (stream.columns || 80) - 1)}`);
  });
  // Ctrl-C empties the queue: the job then ends with a summary saying cancelled (exit code 130).
  const onSigint = (): void => {
    c.core.invoke('analysis-cancel').catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    const started = await c.core.invoke('analysis-start', { policy });
    const summary = await c.core.jobs.wait(started);
    if (stream.isTTY) stream.write('\r\x1b[2K');
    output(c, { queued: started.queued, ...summary }, () => {
      const lines = [
        `${summary.cancelled ? 'Analysis cancelled' : 'Analysis finished'} in ${(summary.durationMs / 1000).toFixed(1)} s: ${count(summary.analyzed, 'track')} analysed (${count(summary.segments, 'segment')}), ${summary.failed} failed`,
      ];
      if (summary.error) lines.push(`  stopped: ${summary.error}`);
      for (const f of summary.failures) lines.push(`  ${f.path}: ${f.error}`);
      return lines.join('\n');
    });
    return summary.error ? 1 : summary.cancelled ? 130 : 0;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
};
