import type { parseArgs } from 'node:util';
import type { Core } from '../core/index.js';
import { UserError } from '../core/kernel/errors.js';

/** Where the CLI writes; tests pass their own to capture output. */
export interface CliIo {
  stdout: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  stderr: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
}

/** The options every command may read (parseArgs is global: one table for all commands). */
export const CLI_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  status: { type: 'string' },
  search: { type: 'string' },
  sort: { type: 'string' },
  desc: { type: 'boolean', default: false },
  limit: { type: 'string' },
  n: { type: 'string', short: 'n' },
  full: { type: 'boolean', default: false },
  policy: { type: 'string' },
  description: { type: 'string' },
  vocab: { type: 'string', multiple: true },
  quantile: { type: 'string' },
  'n-samples': { type: 'string' },
  vectors: { type: 'string' },
  'hub-endpoint': { type: 'string' },
  precision: { type: 'string' },
  purge: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  threads: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  tracks: { type: 'string', multiple: true },
  scores: { type: 'boolean', default: false },
  rule: { type: 'string', multiple: true },
  any: { type: 'boolean', default: false },
  'per-artist': { type: 'string' },
  artist: { type: 'string', multiple: true },
  genre: { type: 'string', multiple: true },
  year: { type: 'string' },
  duration: { type: 'string' },
  format: { type: 'string' },
  paths: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

/** Parsed command line. */
export type Parsed = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: typeof CLI_OPTIONS }>>;

/** A usage mistake: exit code 2 and a pointer to --help. */
export class UsageError extends Error {}

/** What a command receives. */
export interface CommandContext {
  core: Core;
  io: CliIo;
  args: Parsed;
  asJson: boolean;
}

/** A CLI command: returns the exit code. */
export type Command = (c: CommandContext) => Promise<number>;

/** Prints a line to stdout. */
export function print(io: CliIo, text: string): void {
  io.stdout.write(`${text}\n`);
}

/** Prints a value as pretty JSON to stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints JSON or text depending on --json. */
export function output(c: CommandContext, value: unknown, text: () => string): number {
  if (c.asJson) printJson(c.io, value);
  else print(c.io, text());
  return 0;
}

/** The n-th positional argument, or a usage error naming what is missing. */
export function positional(p: Parsed, index: number, what: string): string {
  const v = p.positionals[index];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

/** A numeric option, or a usage error. */
export function numberOption(value: string | undefined, name: string, integer = true): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0)
    throw new UsageError(`--${name} must be a ${integer ? 'whole ' : ''}number`);
  return n;
}

/**
 * A track reference typed by a person: an id, or a path as indexed (or its tail). An id that is no
 * track is refused here, so every command says "no track with id N" rather than something vaguer.
 */
export async function resolveTrack(core: Core, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) {
    const id = Number(ref);
    const known = id >= 1 && Number.isSafeInteger(id) && (await trackExists(core, id));
    if (!known) throw new UserError(`no track with id ${ref} (see the ids with: moodshelf tracks)`, 'E_NOT_FOUND');
    return id;
  }
  const page = await core.invoke('tracks-list', { limit: 1_000_000 });
  const hit = page.tracks.find((t) => t.path === ref || t.path.endsWith(`/${ref}`));
  if (!hit) throw new UsageError(`no indexed track "${ref}" (give a track id from \`moodshelf tracks\` or its path)`);
  return hit.id;
}

async function trackExists(core: Core, id: number): Promise<boolean> {
  try {
    await core.invoke('tracks-get', { id });
    return true;
  } catch (err) {
    if (err instanceof UserError && err.code === 'E_NOT_FOUND') return false;
    throw err;
  }
}
