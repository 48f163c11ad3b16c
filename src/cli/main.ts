import { parseArgs } from 'node:util';
import { createCore, type Core } from '../core/index.js';
import { resolveDataDir } from '../core/util/data-dir.js';
import { UserError, errorMessage } from '../core/util/errors.js';
import { createLogger } from '../core/util/logger.js';
import { TRACK_SORT_KEYS, type TrackSortKey } from '../core/tracks/queries.js';
import { formatFolders, formatScanResult, formatStatus, formatTracks } from './format.js';
import { createProgressLine } from './progress.js';

/** Where the CLI writes; tests pass their own to capture output. */
export interface CliIo {
  stdout: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  stderr: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

export const USAGE = `Usage: moodshelf [--data-dir DIR] <command> [options]

Commands:
  library add <dir>        add a folder to the library
  library list [--json]    list library folders
  library remove <dir>     remove a folder (and its tracks) from the library; files are untouched
  scan [--json]            index new, changed, moved and removed files
  tracks [--json] [--status ok|failed|missing] [--search TEXT] [--sort KEY] [--desc] [--limit N]
                           list indexed tracks (failed ones with their reason)
  status [--json]          counts, last scan and where the data lives

Global options:
  --data-dir DIR           the data folder (default: $MOODSHELF_DATA_DIR, else the app's folder)
  -h, --help               show this help
  --version                print the version`;

const VERSION = '0.1.0';

class UsageError extends Error {}

function print(io: CliIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

function json(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      status: { type: 'string' },
      search: { type: 'string' },
      sort: { type: 'string' },
      desc: { type: 'boolean', default: false },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  });
}

type Parsed = ReturnType<typeof parse>;

function positional(p: Parsed, index: number, what: string): string {
  const v = p.positionals[index];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

async function runScan(core: Core, io: CliIo, asJson: boolean): Promise<number> {
  const bar = createProgressLine(io.stderr as NodeJS.WriteStream);
  const off = core.events.on('scan-progress', (p) => bar.update(p));
  const onSigint = (): void => {
    core.invoke('library-scan-cancel').catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await core.invoke('library-scan');
    bar.done();
    if (asJson) json(io, result);
    else print(io, formatScanResult(result));
    return result.status === 'cancelled' ? 130 : 0;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}

async function runTracks(core: Core, io: CliIo, p: Parsed): Promise<number> {
  const status = p.values.status;
  if (status !== undefined && status !== 'ok' && status !== 'failed' && status !== 'missing') {
    throw new UsageError(`--status must be ok, failed or missing (got "${status}")`);
  }
  const sort = p.values.sort;
  if (sort !== undefined && !(TRACK_SORT_KEYS as readonly string[]).includes(sort)) {
    throw new UsageError(`--sort must be one of ${TRACK_SORT_KEYS.join(', ')}`);
  }
  const limit = p.values.limit === undefined ? undefined : Number(p.values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UsageError('--limit must be a whole number');
  const page = await core.invoke('tracks-list', {
    status,
    search: p.values.search,
    sort: sort as TrackSortKey | undefined,
    descending: p.values.desc,
    limit,
  });
  if (p.values.json) json(io, page);
  else print(io, formatTracks(page.tracks, page.total));
  return 0;
}

async function dispatch(core: Core, io: CliIo, p: Parsed): Promise<number> {
  const [cmd, sub] = p.positionals;
  const asJson = p.values.json === true;
  switch (cmd) {
    case 'library':
      if (sub === 'add') {
        const folder = await core.invoke('library-add', { path: positional(p, 2, 'folder to add') });
        if (asJson) json(io, folder);
        else print(io, `Added ${folder.path}. Index it with: moodshelf scan`);
        return 0;
      }
      if (sub === 'list') {
        const folders = await core.invoke('library-folders');
        if (asJson) json(io, folders);
        else print(io, formatFolders(folders));
        return 0;
      }
      if (sub === 'remove') {
        const r = await core.invoke('library-remove', { path: positional(p, 2, 'folder to remove') });
        if (asJson) json(io, r);
        else print(io, `Removed ${r.folder.path} (${r.tracksRemoved} tracks dropped from the index; files untouched)`);
        return 0;
      }
      throw new UsageError(sub ? `unknown library command "${sub}"` : 'library needs a command: add, list or remove');
    case 'scan':
      return runScan(core, io, asJson);
    case 'tracks':
      return runTracks(core, io, p);
    case 'status': {
      const s = await core.invoke('status-get');
      if (asJson) json(io, s);
      else print(io, formatStatus(s));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

/** Runs the CLI with arguments (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.stderr.write(`moodshelf: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.version) {
    print(io, VERSION);
    return 0;
  }
  if (parsed.values.help || parsed.positionals.length === 0) {
    print(io, USAGE);
    return parsed.values.help ? 0 : 2;
  }
  let core: Core | null = null;
  try {
    const dataDir = resolveDataDir(parsed.values['data-dir'], io.env);
    core = await createCore({ dataDir, logger: createLogger('cli') });
    return await dispatch(core, io, parsed);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`moodshelf: ${err.message}\nRun moodshelf --help for usage.\n`);
      return 2;
    }
    const msg = err instanceof UserError ? err.message : `unexpected error: ${errorMessage(err)}`;
    io.stderr.write(`moodshelf: ${msg.split('\n')[0]}\n`);
    return 1;
  } finally {
    await core?.close();
  }
}
