import { extname, resolve } from 'node:path';
import type { Core } from '../../core/index.js';
import type { PlaylistResult } from '../../core/playlists/engine.js';
import type { PATH_MODES, PLAYLIST_FORMATS } from '../../core/playlists/export.js';
import type { PlaylistRuleInput, RuleFilters } from '../../core/playlists/rule.js';
import type { SavedPlaylist } from '../../core/playlists/store.js';
import { UserError } from '../../core/kernel/errors.js';
import { type CommandContext, type Command, UsageError, numberOption, output, positional } from '../context.js';
import { count, formatDuration, ordinal } from '../format.js';
import { describeDefinition, parseList, parseRange, parseRuleArgs, parseSort } from '../rule-syntax.js';

/**
 * A saved playlist by id or by name (case-insensitive). A number is an id first, then a name; two
 * playlists sharing a name must be told apart by id.
 */
async function resolvePlaylist(core: Core, ref: string): Promise<SavedPlaylist> {
  const all = await core.invoke('playlists-list');
  if (/^\d+$/.test(ref)) {
    const byId = all.find((p) => p.id === Number(ref));
    if (byId) return byId;
  }
  const wanted = ref.replace(/\s+/g, ' ').trim().toLowerCase();
  const named = all.filter((p) => p.name.toLowerCase() === wanted);
  if (named.length === 1) return named[0] as SavedPlaylist;
  if (named.length > 1)
    throw new UsageError(`${named.length} playlists are named "${ref}" (ids ${named.map((p) => p.id).join(', ')}): give the id`);
  throw new UserError(`no playlist with id or name "${ref}" (see them with: moodshelf playlists list)`, 'E_NOT_FOUND');
}

/** The rule the options describe: --rule conditions, --any, filters, --sort/--desc, --limit, --per-artist. */
function ruleFromOptions(c: CommandContext): PlaylistRuleInput {
  const v = c.args.values;
  const rule: PlaylistRuleInput = {};
  const match = parseRuleArgs(v.rule ?? [], v.any === true);
  if (match) rule.match = match;
  const filters: RuleFilters = {};
  const artist = parseList(v.artist);
  const genre = parseList(v.genre);
  if (artist) filters.artist = artist;
  if (genre) filters.genre = genre;
  if (v.year !== undefined) filters.year = parseRange(v.year, '--year');
  if (v.duration !== undefined) filters.duration = parseRange(v.duration, '--duration');
  if (Object.keys(filters).length > 0) rule.filters = filters;
  if (v.sort !== undefined) rule.sort = parseSort(v.sort, v.desc === true);
  const limit = numberOption(v.limit, 'limit');
  const perArtist = numberOption(v['per-artist'], 'per-artist');
  if (limit !== undefined) rule.limit = limit;
  if (perArtist !== undefined) rule.perArtist = perArtist;
  return rule;
}

function formatResult(r: PlaylistResult): string[] {
  const head = `${count(r.tracks.length, 'track')}${r.total > r.tracks.length ? ` (of ${r.total} matching)` : ''}, scored with ${r.packKey}`;
  const idWidth = Math.max(...r.tracks.map((t) => String(t.track.id).length), 1);
  const lines = r.tracks.map((t, i) => {
    const score = t.score === null ? '' : `  cos ${t.score.toFixed(3).padStart(6)}`;
    const pct = t.percentile === null ? '' : `  ${ordinal(t.percentile).padStart(5)} pct`;
    const name = t.track.title ? `${t.track.artist ?? 'Unknown artist'} – ${t.track.title}` : t.track.path;
    return `${String(i + 1).padStart(4)}. id ${String(t.track.id).padEnd(idWidth)}  ${formatDuration(t.track.duration).padStart(7)}${score}${pct}  ${name}`;
  });
  return [head, ...lines];
}

function formatList(list: SavedPlaylist[]): string {
  if (list.length === 0) return 'No playlists yet. Create one with: moodshelf playlists create "<name>" --rule "calm>=0.3"';
  const w = Math.max(...list.map((p) => p.name.length), 4);
  return [
    `${'ID'.padStart(4)}  ${'NAME'.padEnd(w)}  ${'KIND'.padEnd(7)}  DEFINITION`,
    ...list.map(
      (p) => `${String(p.id).padStart(4)}  ${p.name.padEnd(w)}  ${p.definition.kind.padEnd(7)}  ${describeDefinition(p.definition)}`,
    ),
  ].join('\n');
}

function exportFormat(c: CommandContext, file: string): (typeof PLAYLIST_FORMATS)[number] {
  const given = c.args.values.format;
  if (given !== undefined) {
    if (given !== 'm3u8' && given !== 'xspf') throw new UsageError(`--format must be m3u8 or xspf (got "${given}")`);
    return given;
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.m3u8' || ext === '.m3u') return 'm3u8';
  if (ext === '.xspf') return 'xspf';
  throw new UsageError(`cannot tell the format from "${file}": name it .m3u8 or .xspf, or give --format m3u8|xspf`);
}

function pathMode(c: CommandContext): (typeof PATH_MODES)[number] {
  const p = c.args.values.paths ?? 'absolute';
  if (p !== 'absolute' && p !== 'relative') throw new UsageError(`--paths must be absolute or relative (got "${p}")`);
  return p;
}

/**
 * `playlists list|show|preview|create|rename|delete|export`: saved mood playlists from the command line.
 * Rules are written as `--rule "calm>=0.7"` (see rule-syntax.ts) and stored as the core's rule tree,
 * so the app shows and edits them too.
 */
export const playlists: Command = async (c) => {
  const sub = c.args.positionals[1];
  switch (sub) {
    case 'list':
    case undefined: {
      const list = await c.core.invoke('playlists-list');
      return output(c, list, () => formatList(list));
    }
    case 'show': {
      const saved = await resolvePlaylist(c.core, positional(c.args, 2, 'playlist id or name'));
      const r = await c.core.invoke('playlists-get', { id: saved.id });
      return output(c, r, () =>
        [`Playlist ${r.id} "${r.name}": ${describeDefinition(r.definition)}`, ...formatResult(r.result)].join('\n'),
      );
    }
    case 'preview': {
      const rule = ruleFromOptions(c);
      const r = await c.core.invoke('playlists-preview', { rule });
      return output(c, r, () => formatResult(r).join('\n'));
    }
    case 'create': {
      const name = c.args.positionals.slice(2).join(' ');
      if (name.trim() === '') throw new UsageError('missing playlist name (playlists create "<name>" --rule "calm>=0.3")');
      const saved = await c.core.invoke('playlists-save', { name, definition: { kind: 'rule', rule: ruleFromOptions(c) } });
      return output(
        c,
        saved,
        () =>
          `Created playlist ${saved.id} "${saved.name}": ${describeDefinition(saved.definition)}\nSee its tracks with: moodshelf playlists show ${saved.id}`,
      );
    }
    case 'rename': {
      const saved = await resolvePlaylist(c.core, positional(c.args, 2, 'playlist id or name'));
      const name = c.args.positionals.slice(3).join(' ');
      if (name.trim() === '') throw new UsageError('missing the new name (playlists rename <id|name> "<new name>")');
      const r = await c.core.invoke('playlists-rename', { id: saved.id, name });
      return output(c, r, () => `Renamed playlist ${r.id} "${saved.name}" to "${r.name}"`);
    }
    case 'delete': {
      const saved = await resolvePlaylist(c.core, positional(c.args, 2, 'playlist id or name'));
      const r = await c.core.invoke('playlists-delete', { id: saved.id });
      return output(c, r, () => `Deleted playlist ${r.id} "${r.name}"`);
    }
    case 'export': {
      const saved = await resolvePlaylist(c.core, positional(c.args, 2, 'playlist id or name'));
      const file = resolve(positional(c.args, 3, 'file to write (.m3u8 or .xspf)'));
      const format = exportFormat(c, file);
      const paths = pathMode(c);
      const r = await c.core.run('playlists-export', {
        id: saved.id,
        format,
        target: file,
        overwrite: c.args.values.force === true,
        paths,
      });
      return output(
        c,
        { ...r, paths },
        () => `Wrote ${count(r.tracks, 'track')} of "${saved.name}" to ${r.path} (${r.format}, ${paths} paths)`,
      );
    }
    default:
      throw new UsageError(`unknown playlists command "${sub}" (list, show, preview, create, rename, delete, export)`);
  }
};
