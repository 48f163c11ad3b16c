import { TRACK_SORT_KEYS, type TrackSortKey } from '../../core/tracks/queries.js';
import { type Command, UsageError, numberOption, output, positional } from '../context.js';
import { count, formatFolders, formatScanResult, formatStatus, formatTracks } from '../format.js';
import { createProgressLine } from '../progress.js';

/** `library add|list|remove`. */
export const library: Command = async (c) => {
  const sub = c.args.positionals[1];
  if (sub === 'add') {
    const folder = await c.core.invoke('library-add', { path: positional(c.args, 2, 'folder to add') });
    return output(c, folder, () => `Added ${folder.path}. Index it with: moodshelf scan`);
  }
  if (sub === 'list') {
    const folders = await c.core.invoke('library-folders');
    return output(c, folders, () => formatFolders(folders));
  }
  if (sub === 'remove') {
    const purge = c.args.values.purge === true;
    const r = await c.core.invoke('library-remove', { path: positional(c.args, 2, 'folder to remove'), purge });
    return output(c, r, () =>
      [
        `Removed ${r.folder.path} (${count(r.tracksRemoved, 'track')} dropped from the index; files untouched)`,
        ...(r.kept > 0
          ? [`Kept the tags and analyses of ${count(r.kept, 'track')}: adding the folder back restores them (--purge deletes them)`]
          : []),
      ].join('\n'),
    );
  }
  throw new UsageError(sub ? `unknown library command "${sub}"` : 'library needs a command: add, list or remove');
};

/** `scan`: incremental scan with a progress bar on a terminal; Ctrl-C cancels cleanly. */
export const scan: Command = async (c) => {
  const bar = createProgressLine(c.io.stderr as NodeJS.WriteStream);
  const off = c.core.events.on('scan-progress', (p) => bar.update(p));
  const onSigint = (): void => {
    c.core.invoke('library-scan-cancel').catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await c.core.run('library-scan');
    bar.done();
    output(c, result, () => formatScanResult(result));
    return result.status === 'cancelled' ? 130 : 0;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
};

/** `tracks`: list indexed tracks, failures with their reasons. */
export const tracks: Command = async (c) => {
  const { status, sort } = c.args.values;
  if (status !== undefined && status !== 'ok' && status !== 'failed' && status !== 'missing') {
    throw new UsageError(`--status must be ok, failed or missing (got "${status}")`);
  }
  if (sort !== undefined && !(TRACK_SORT_KEYS as readonly string[]).includes(sort))
    throw new UsageError(`--sort must be one of ${TRACK_SORT_KEYS.join(', ')}`);
  const page = await c.core.invoke('tracks-list', {
    status,
    search: c.args.values.search,
    sort: sort as TrackSortKey | undefined,
    descending: c.args.values.desc,
    limit: numberOption(c.args.values.limit, 'limit'),
  });
  return output(c, page, () => formatTracks(page.tracks, page.total));
};

/** `status`: counts, last scan, where the data lives. */
export const status: Command = async (c) => {
  const s = await c.core.invoke('status-get');
  return output(c, s, () => formatStatus(s));
};
