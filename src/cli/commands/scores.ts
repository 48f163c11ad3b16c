import type { Core } from '../../core/index.js';
import type { Track } from '../../core/tracks/queries.js';
import { UserError } from '../../core/kernel/errors.js';
import { type Command, numberOption, output, positional, resolveTrack } from '../context.js';
import { count, formatDuration, ordinal } from '../format.js';

/**
 * Why a track has no scores to show, as one sentence naming the fix, or null when it has some. Tells
 * apart a file that could not be read (its scan reason), a file that is gone, an analysis that failed
 * (its reason) and a track the analysis has not reached yet. A missing or unreadable file analysed
 * earlier still has its scores: `note` says what is wrong with the file.
 */
async function noScoresReason(core: Core, track: Track): Promise<{ reason: string | null; note: string | null }> {
  const a = await core.invoke('tracks-analysis', { id: track.id });
  const fileProblem =
    track.status === 'failed'
      ? `could not be read when it was last scanned: ${track.error ?? 'unknown reason'}`
      : track.status === 'missing'
        ? `is missing: ${track.path} is no longer on disk`
        : null;
  if (a.state === 'analysed')
    return { reason: null, note: fileProblem ? `note: track ${track.id} ${fileProblem} (these scores are from before)` : null };
  if (fileProblem) return { reason: `track ${track.id} ${fileProblem}`, note: null };
  // No active pack: scores-track itself says how to install one.
  if (a.packKey === null) return { reason: null, note: null };
  if (a.state === 'failed')
    return { reason: `track ${track.id} could not be analysed with ${a.packKey}: ${a.error ?? 'unknown reason'}`, note: null };
  if (a.state === 'queued') return { reason: `track ${track.id} is queued but not analysed yet (run: moodshelf analyze)`, note: null };
  return { reason: `track ${track.id} is not analysed yet (run: moodshelf analyze)`, note: null };
}

/** `scores <track> [--vocab NAME]`: a track's label scores with percentiles, segments and song tags. */
export const scores: Command = async (c) => {
  const trackId = await resolveTrack(c.core, positional(c.args, 1, 'track id or path'));
  const track = await c.core.invoke('tracks-get', { id: trackId });
  const { reason, note } = await noScoresReason(c.core, track);
  if (reason) throw new UserError(reason, 'E_NOT_ANALYZED');
  if (note) c.io.stderr.write(`${note}\n`);
  const r = await c.core.invoke('scores-track', { trackId, vocabulary: c.args.values.vocab?.[0] });
  return output(c, r, () => {
    const lines = [
      `Track ${r.trackId} (${r.packKey}), ${count(r.segments.length, 'segment')} at ${r.segments.map((s) => formatDuration(s.start)).join(', ')}`,
    ];
    for (const t of r.tags)
      lines.push(`  tags ${t.vocabulary}: ${t.labels.map((l) => `${l.label} (${count(l.votes, 'vote')})`).join(', ')}`);
    const top = [...r.labels].sort((a, b) => b.percentile - a.percentile || b.score - a.score).slice(0, 15);
    for (const l of top) lines.push(`  ${ordinal(l.percentile).padStart(5)} pct  cos ${l.score.toFixed(3)}  ${l.label} (${l.vocabulary})`);
    return lines.join('\n');
  });
};

/** `top "<label>" [-n N]`: the tracks that match any text best, with their ids for `scores`, `tag` and playlists. */
export const top: Command = async (c) => {
  const label = positional(c.args, 1, 'label text');
  const ranked = await c.core.invoke('scores-top', { label, limit: numberOption(c.args.values.n, 'n') ?? 20 });
  const idWidth = Math.max(...ranked.map((r) => String(r.track.id).length), 1);
  return output(c, ranked, () =>
    ranked.length === 0
      ? 'No analysed tracks yet (run: moodshelf analyze)'
      : ranked
          .map(
            (r, i) =>
              `${String(i + 1).padStart(3)}. ${ordinal(r.percentile).padStart(5)} pct  cos ${r.score.toFixed(3).padStart(6)}  id ${String(r.track.id).padEnd(idWidth)}  ${r.track.artist ?? '?'} – ${r.track.title ?? r.track.path}`,
          )
          .join('\n'),
  );
};
