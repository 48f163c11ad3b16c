import type { ScanProgress } from '../../../core/library/scanner.js';

/** Seconds as m:ss or h:mm:ss; an em dash when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Milliseconds as a short human duration (e.g. "850 ms", "12.3 s", "4 min 5 s"). */
export function formatElapsed(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalS = Math.round(ms / 1000);
  return `${Math.floor(totalS / 60)} min ${totalS % 60} s`;
}

/** Files read per second so far; null until there is something meaningful to show. */
export function filesPerSecond(p: Pick<ScanProgress, 'read' | 'elapsedMs'>): number | null {
  if (p.read <= 0 || p.elapsedMs <= 0) return null;
  return p.read / (p.elapsedMs / 1000);
}

/** What a scan phase is called on screen. */
export function phaseLabel(phase: ScanProgress['phase']): string {
  switch (phase) {
    case 'walking':
      return 'Looking for audio files';
    case 'reading':
      return 'Reading tags';
    case 'finishing':
      return 'Finishing';
  }
}
