import { type Command, numberOption, output, positional, resolveTrack } from '../context.js';
import { formatDuration, ordinal } from '../format.js';

/** `scores <track> [--vocab NAME]`: a track's label scores with percentiles, segments and song tags. */
export const scores: Command = async (c) => {
  const trackId = await resolveTrack(c.core, positional(c.args, 1, 'track id or path'));
  const r = await c.core.invoke('scores-track', { trackId, vocabulary: c.args.values.vocab?.[0] });
  return output(c, r, () => {
    const lines = [
      `Track ${r.trackId} (${r.packKey}), ${r.segments.length} segments at ${r.segments.map((s) => formatDuration(s.start)).join(', ')}`,
    ];
    for (const t of r.tags) lines.push(`  tags ${t.vocabulary}: ${t.labels.map((l) => `${l.label} (${l.votes} votes)`).join(', ')}`);
    const top = [...r.labels].sort((a, b) => b.percentile - a.percentile || b.score - a.score).slice(0, 15);
    for (const l of top) lines.push(`  ${ordinal(l.percentile).padStart(5)} pct  cos ${l.score.toFixed(3)}  ${l.label} (${l.vocabulary})`);
    return lines.join('\n');
  });
};

/** `top "<label>" [-n N]`: the tracks that match any text best. */
export const top: Command = async (c) => {
  const label = positional(c.args, 1, 'label text');
  const ranked = await c.core.invoke('scores-top', { label, limit: numberOption(c.args.values.n, 'n') ?? 20 });
  return output(c, ranked, () =>
    ranked.length === 0
      ? 'No analysed tracks yet (run: moodshelf analyze)'
      : ranked
          .map(
            (r, i) =>
              `${String(i + 1).padStart(3)}. ${ordinal(r.percentile).padStart(5)} pct  cos ${r.score.toFixed(3)}  ${r.track.artist ?? '?'} – ${r.track.title ?? r.track.path}`,
          )
          .join('\n'),
  );
};
