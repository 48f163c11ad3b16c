import type { ScanProgress } from '../core/library/scanner.js';

/** Something that can show a line that is redrawn in place (a TTY) and cleared at the end. */
export interface ProgressLine {
  update(p: ScanProgress): void;
  done(): void;
}

/** Renders scan progress as one line: phase, bar, counts, rate and the file being read. */
export function formatProgress(p: ScanProgress, width: number): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.read * 1000) / p.elapsedMs) : 0;
  if (p.phase === 'walking') return fit(`Looking for audio files… ${p.filesSeen} found`, width);
  const total = Math.max(p.toRead, 1);
  const frac = Math.min(1, p.read / total);
  const barWidth = 24;
  const filled = Math.round(frac * barWidth);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
  const label = p.phase === 'reading' ? 'Reading' : 'Saving ';
  const file = p.currentPath ? ` ${p.currentPath.split(/[\\/]/).pop() ?? ''}` : '';
  return fit(`${label} ${bar} ${p.read}/${p.toRead} ${rate} files/s${file}`, width);
}

function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** A progress line on a TTY stream; on anything else (pipes, CI logs) it stays silent. */
export function createProgressLine(stream: NodeJS.WriteStream): ProgressLine {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(p) {
      shown = true;
      stream.write(`\r\x1b[2K${formatProgress(p, (stream.columns || 80) - 1)}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
