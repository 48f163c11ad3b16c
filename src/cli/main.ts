import { parseArgs } from 'node:util';
import { createCore, type Core } from '../core/index.js';
import { resolveDataDir } from '../core/kernel/data-dir.js';
import { UserError, asUserError, errorMessage } from '../core/kernel/errors.js';
import { createLogger } from '../core/kernel/logger.js';
import { analyze } from './commands/analysis.js';
import { exportFeatures } from './commands/export-features.js';
import { labels } from './commands/labels.js';
import { library, scan, status, tracks } from './commands/library.js';
import { models } from './commands/models.js';
import { playlists } from './commands/playlists.js';
import { scores, top } from './commands/scores.js';
import { tag, tags } from './commands/tags.js';
import { CLI_OPTIONS, type CliIo, type Command, type Parsed, UsageError, numberOption, print } from './context.js';

export type { CliIo };

export const USAGE = `Usage: moodshelf [--data-dir DIR] <command> [options]

Library:
  library add <dir>          add a folder to the library
  library list [--json]      list library folders
  library remove <dir> [--purge]  remove a folder (and its tracks) from the library; files are untouched;
                             tags and analyses are kept for when it comes back, unless --purge
  scan [--json]              index new, changed, moved and removed files
  tracks [--json] [--status ok|failed|missing] [--search TEXT] [--sort KEY] [--desc] [--limit N]
                             list tracks with their ids; --search matches titles, artists, albums,
                             file and folder names
  status [--json]            counts, last scan and where the data lives

Models and analysis:
  models list|catalog [--json]
  models install <folder|file.zip|hf:org/repo[@rev][:precision]|https URL> [--precision fp32|fp16|q8] [--hub-endpoint URL]
  models use <pack>          make a pack active (queues re-analysis)
  models remove <pack>
  analyze [--full | --policy quick:N] [--json]
                             analyse everything not yet analysed (default: 3 segments per track)
  labels list [--vocab NAME] [--json]
  labels add "<text>" [--description TEXT] [--vocab NAME] [--json]
  labels remove "<text>" [--vocab NAME]
  labels align [--vocab NAME ...] [--quantile Q] [--n-samples N] [--json]
                             align vocabularies into shared concepts (mean shift)
  labels similar "<text>" [-n N] [--json]
  labels cluster --vectors FILE [--quantile Q] [--n-samples N] [--json]
  labels personal "<label>" [--json]
                             the label's personal model: its tag decisions, cross-validated ranking
                             (personal vs zero-shot) and whether scores use it
  scores <track> [--vocab NAME] [--json]
                             a track's scores (or why it has none: unreadable, missing, not analysed)
  top "<label>" [-n N] [--json]
                             the tracks (with ids) that match any text best
  export-features <out-dir> [--force]
                             encoder features of analysed segments plus accepted tags, for training
                             (--force replaces an export already in that folder)

Tags:
  tag add|remove <track> "<label>"    tag a track (id or path) by hand, or remove a tag
  tag list <track> [--json]          the track's own tags (accepted, manual, rejected), apart from predictions
  tags enable|disable <dir>           allow / stop writing tags into a library folder's files
  tags folders [--json]
  tags write [--dry-run] [--tracks ID,...] [--scores] [--json]
                                      write tags into the files' mood fields (preview with --dry-run)
  tags runs [--json]
  tags undo <run>                     restore the mood fields a write run changed

Playlists:
  playlists list [--json]
  playlists show <id|name> [--json]           the playlist evaluated against the library now
  playlists create "<name>" --rule COND [--rule COND ...] [--any] [--sort KEY|LABEL] [--desc]
                   [--limit N] [--per-artist N] [--artist NAME ...] [--genre NAME ...]
                   [--year FROM-TO] [--duration FROM-TO] [--json]
  playlists preview --rule COND ... [same options as create]     evaluate without saving
  playlists rename <id|name> "<new name>"
  playlists delete <id|name>
  playlists export <id|name> <file.m3u8|file.xspf> [--format m3u8|xspf] [--paths absolute|relative] [--force]
                             COND: calm>=0.3 (cosine score; also >, <, <=), calm>90% (above the 90th
                             percentile, the top 10%), tag:NAME; !COND negates; "A | B" either.
                             Several --rule must all match (--any: one is enough). --artist/--genre
                             "!NAME" leaves NAME out.

Global options:
  --data-dir DIR             the data folder (default: $MOODSHELF_DATA_DIR, else the app's folder)
  --threads N                ONNX Runtime threads (default: automatic)
  -h, --help                 show this help
  --version                  print the version`;

const VERSION = '0.1.0';

const COMMANDS: Record<string, Command> = {
  library,
  scan,
  tracks,
  status,
  models,
  playlists,
  analyze,
  labels,
  scores,
  top,
  'export-features': exportFeatures,
  tag,
  tags,
};

function parse(argv: string[]): Parsed {
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options: CLI_OPTIONS });
}

/** Runs the CLI with arguments (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv);
  } catch (err) {
    io.stderr.write(`moodshelf: ${errorMessage(err)}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.version) {
    print(io, VERSION);
    return 0;
  }
  const name = args.positionals[0];
  if (args.values.help || name === undefined) {
    print(io, USAGE);
    return args.values.help ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`moodshelf: unknown command "${name}"\nRun moodshelf --help for usage.\n`);
    return 2;
  }
  let core: Core | null = null;
  try {
    const dataDir = resolveDataDir(args.values['data-dir'], io.env);
    core = await createCore({
      dataDir,
      logger: createLogger('cli'),
      threads: numberOption(args.values.threads, 'threads'),
      hubEndpoint: args.values['hub-endpoint'],
    });
    return await command({ core, io, args, asJson: args.values.json === true });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`moodshelf: ${err.message}\nRun moodshelf --help for usage.\n`);
      return 2;
    }
    const known = asUserError(err);
    const msg = known instanceof UserError ? known.message : `unexpected error: ${errorMessage(err)}`;
    io.stderr.write(`moodshelf: ${msg.split('\n')[0]}\n`);
    return 1;
  } finally {
    await core?.close();
  }
}
