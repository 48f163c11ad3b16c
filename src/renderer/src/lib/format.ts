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

/** Bytes as B, KB, MB or GB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/**
 * A count with its noun in the right number: "1 file", "2 files", "0 files" (never "1 files"). `plural`
 * is for nouns that do not just take an "s". The same English as the core's and the CLI's messages.
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** A label as people read it: underscores become spaces. */
export function labelText(label: string): string {
  return label.replace(/_/g, ' ');
}

/** The file name of a path (shown when a track has no title tag). */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** A track's display title. */
export function trackTitle(t: { title: string | null; path: string }): string {
  return t.title ?? fileName(t.path);
}

/** An ordinal percentile ("87th"). */
export function ordinal(n: number): string {
  const r = Math.round(n);
  const s = r % 100 >= 11 && r % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][r % 10] ?? 'th');
  return `${r}${r % 10 > 3 ? 'th' : s}`;
}
