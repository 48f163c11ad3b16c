import type { Core } from '../../core/index.js';
import type { FileTagReport, FileTagsResult } from '../../core/filetags/service.js';
import type { FieldValues } from '../../core/filetags/tag-io.js';
import type { TrackTags } from '../../core/tags/handlers.js';
import { count } from '../format.js';
import { type Command, UsageError, numberOption, output, positional, resolveTrack } from '../context.js';

/** A track's own tags (accepted, manual) and rejections, apart from the model's predictions. */
function formatTrackTags(t: TrackTags): string {
  const lines = t.tags.map((g) => `  ${g.source.padEnd(8)} ${g.label}`);
  lines.push(...t.rejected.map((label) => `  ${'rejected'.padEnd(8)} ${label}`));
  if (lines.length === 0) return `Track ${t.trackId} has no tags of yours (predictions: moodshelf scores ${t.trackId})`;
  return [`Track ${t.trackId}: ${count(t.tags.length, 'tag')}, ${count(t.rejected.length, 'rejection')}`, ...lines].join('\n');
}

/**
 * `tag add|remove <track> "<label>"`: a person's tag on one track (the tags domain's tags-add / tags-remove);
 * `tag list <track>`: the track's own tags, apart from predictions.
 */
export const tag: Command = async (c) => {
  const sub = c.args.positionals[1];
  if (sub === 'list') {
    const t = await c.core.invoke('tags-list', { trackId: await resolveTrack(c.core, positional(c.args, 2, 'track id or path')) });
    return output(c, t, () => formatTrackTags(t));
  }
  if (sub !== 'add' && sub !== 'remove') throw new UsageError(`unknown tag command "${sub ?? ''}" (add, remove, list)`);
  const trackId = await resolveTrack(c.core, positional(c.args, 2, 'track id or path'));
  const label = positional(c.args, 3, 'label');
  const r = await c.core.invoke(sub === 'add' ? 'tags-add' : 'tags-remove', { trackId, label });
  return output(c, r, () =>
    r.changed.length === 0
      ? `Track ${trackId} ${sub === 'add' ? 'already has' : 'has no'} tag "${label}"`
      : `${sub === 'add' ? 'Tagged' : 'Untagged'} track ${trackId} "${label}"`,
  );
};

function trackIdsOption(core: Core, values: string[] | undefined): Promise<number[] | undefined> {
  if (!values) return Promise.resolve(undefined);
  const refs = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (refs.length === 0) throw new UsageError('--tracks needs track ids or paths');
  return Promise.all(refs.map((r) => resolveTrack(core, r)));
}

function showValues(v: FieldValues): string {
  const entries = Object.entries(v);
  return entries.length === 0 ? '(none)' : entries.map(([k, vals]) => `${k}=${vals.join(' | ')}`).join('; ');
}

function fileLine(f: FileTagReport, dryRun: boolean): string[] {
  const head = `${f.status.padEnd(9)} ${f.path}`;
  if (f.status === 'skipped' || f.status === 'failed') return [`${head}\n          ${f.reason ?? ''}`];
  if (f.status === 'unchanged') return [head];
  return [
    head,
    `          now:   ${showValues(f.current)}`,
    `          ${dryRun ? 'would' : 'wrote'}: ${showValues(f.next)} (${f.fieldsTouched.join(', ')})`,
  ];
}

function summary(r: FileTagsResult): string {
  const c = r.counts;
  const done = r.dryRun ? `${c.write} to write` : `${c.written} written`;
  const run = r.runId === null ? '' : ` (run ${r.runId}; undo with: moodshelf tags undo ${r.runId})`;
  return `${r.dryRun ? 'Preview: ' : ''}${done}, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed${run}`;
}

/**
 * `tags write [--dry-run] [--tracks ID,...] [--scores] [--json]`, `tags undo <run>`, `tags runs`,
 * `tags folders`, `tags enable|disable <dir>`: tags into the files' mood fields, previewed and undoable.
 */
export const tags: Command = async (c) => {
  const sub = c.args.positionals[1];
  switch (sub) {
    case 'write': {
      const dryRun = c.args.values['dry-run'] === true;
      const r = await c.core.run('filetags-write', {
        trackIds: await trackIdsOption(c.core, c.args.values.tracks),
        dryRun,
        includeScores: c.args.values.scores === true,
      });
      output(c, r, () => [...r.files.flatMap((f) => fileLine(f, dryRun)), summary(r)].join('\n'));
      return r.counts.failed > 0 ? 1 : 0;
    }
    case 'undo': {
      const runId = numberOption(positional(c.args, 2, 'run number'), 'run');
      const r = await c.core.run('filetags-undo', { runId: runId as number });
      output(c, r, () =>
        [
          ...r.files.map((f) => `${f.status.padEnd(9)} ${f.path}${f.reason ? `\n          ${f.reason}` : ''}`),
          r.complete ? `Run ${r.runId} undone` : `Run ${r.runId} partly undone: fix the skipped files and run it again`,
        ].join('\n'),
      );
      return r.complete ? 0 : 1;
    }
    case 'runs': {
      const runs = await c.core.invoke('filetags-runs', { limit: numberOption(c.args.values.limit, 'limit') });
      return output(c, runs, () =>
        runs.length === 0
          ? 'No tag write runs yet'
          : runs
              .map((r) => `${String(r.id).padStart(4)}  ${r.startedAt}  ${r.status.padEnd(7)} ${r.written} written, ${r.skipped} skipped`)
              .join('\n'),
      );
    }
    case 'folders': {
      const folders = await c.core.invoke('filetags-folders');
      return output(c, folders, () => folders.map((f) => `${f.enabled ? 'write' : 'off  '}  ${f.path}`).join('\n') || 'No library folders');
    }
    case 'enable':
    case 'disable': {
      const f = await c.core.invoke('filetags-set-folder', { path: positional(c.args, 2, 'library folder'), enabled: sub === 'enable' });
      return output(c, f, () => `Writing tags into files is ${f.enabled ? 'on' : 'off'} for ${f.path}`);
    }
    default:
      throw new UsageError(`unknown tags command "${sub ?? ''}" (write, undo, runs, folders, enable, disable)`);
  }
};
