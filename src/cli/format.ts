import type { LibraryFolder } from '../core/library/store.js';
import type { ScanResult } from '../core/library/scanner.js';
import type { CoreStatus } from '../core/status/handlers.js';
import type { Track } from '../core/tracks/queries.js';

import { count } from '../core/kernel/plural.js';

export { count };

/** m:ss or h:mm:ss for a duration in seconds. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The human summary of a scan. */
export function formatScanResult(r: ScanResult): string {
  const secs = (r.durationMs / 1000).toFixed(1);
  const lines = [
    `${r.status === 'cancelled' ? 'Scan cancelled' : 'Scan finished'} in ${secs} s: ${count(r.filesSeen, 'audio file')}`,
    `  added ${r.added}, updated ${r.updated}, moved ${r.moved}, missing ${r.missing}, failed ${r.failed}, unchanged ${r.unchanged}`,
  ];
  for (const p of r.problems) lines.push(`  could not read ${p.path}: ${p.reason}`);
  if (r.failed > 0) lines.push('  see the reasons with: moodshelf tracks --status failed');
  return lines.join('\n');
}

/** Header of {@link formatTracks}' columns: the id is what other commands take (scores, tag, playlists). */
const TRACKS_HEADER = `${'ID'.padStart(6)}  ${'STATUS'.padEnd(7)}  ${'LENGTH'.padStart(7)}  TRACK`;

/** One line per track: id, status, duration, artist – title, then the reason for failures. */
export function formatTracks(tracks: Track[], total: number): string {
  const lines = tracks.length > 0 ? [TRACKS_HEADER, ...tracks.map(trackLine)] : [];
  lines.push(`${tracks.length} of ${count(total, 'track')}`);
  return lines.join('\n');
}

function trackLine(t: Track): string {
  const name = t.title ? `${t.artist ?? 'Unknown artist'} – ${t.title}` : t.path;
  const base = `${String(t.id).padStart(6)}  ${t.status.padEnd(7)}  ${formatDuration(t.duration).padStart(7)}  ${name}`;
  if (t.status === 'ok') return base;
  const pad = ' '.repeat(18);
  return `${base}${t.title ? `\n${pad}${t.path}` : ''}\n${pad}${t.error ?? ''}`;
}

/** The folder list. */
export function formatFolders(folders: LibraryFolder[]): string {
  if (folders.length === 0) return 'No library folders yet. Add one with: moodshelf library add <dir>';
  return folders.map((f) => `${f.path}  (${count(f.trackCount, 'track')})`).join('\n');
}

/** The status overview. */
export function formatStatus(s: CoreStatus): string {
  const last = s.lastScan
    ? `${s.lastScan.startedAt} (${s.lastScan.status}; +${s.lastScan.added} ~${s.lastScan.updated} moved ${s.lastScan.moved} missing ${s.lastScan.missing} failed ${s.lastScan.failed})`
    : 'never';
  return [
    `Data folder:  ${s.dataDir}`,
    `Database:     ${s.database} (schema ${s.schemaVersion})`,
    `Folders:      ${s.folders}`,
    `Tracks:       ${s.tracks.total} (${s.tracks.ok} ok, ${s.tracks.failed} failed, ${s.tracks.missing} missing)`,
    `Last scan:    ${last}`,
  ].join('\n');
}

/** 1st, 2nd, 3rd, 4th, 11th, 92nd… for percentiles. */
export function ordinal(n: number): string {
  const r = Math.round(n);
  const tens = r % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][r % 10] ?? 'th');
  return `${r}${suffix}`;
}
