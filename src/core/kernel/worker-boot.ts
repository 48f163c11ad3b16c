/**
 * Starting a worker thread from a module that sits beside the caller, in both ways the core runs: built
 * (electron-vite bundles the worker as its own entry, e.g. out/main/decode-worker.js, and the calling
 * module lands in out/main or out/main/chunks) and from TypeScript sources (tsx for the CLI and the
 * benches, vitest's module runner for the tests), where the worker registers tsx itself because Node 20
 * does not pass the parent's loader hooks on to workers. Used by the scanner's probe pool, the analysis' decode pool and its inference worker.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { errorMessage } from './errors.js';

/** How to start a worker: a built .js entry, or the TypeScript source loaded through tsx. */
export type WorkerEntry = { kind: 'built'; file: string } | { kind: 'source'; entry: string; tsxApi: string };

/**
 * Finds the entry `name` (without extension) beside `callerUrl` (the caller's import.meta.url), or says
 * why it cannot be found.
 */
export function findWorkerEntry(callerUrl: string, name: string): WorkerEntry | string {
  const here = fileURLToPath(callerUrl);
  const dir = dirname(here);
  if (here.endsWith('.ts')) {
    const entry = join(dir, `${name}.ts`);
    if (!existsSync(entry)) return `${entry} does not exist`;
    try {
      return { kind: 'source', entry: pathToFileURL(entry).href, tsxApi: tsxEsmApi() };
    } catch (err) {
      return `tsx, which runs the TypeScript worker, cannot be found: ${errorMessage(err)}`;
    }
  }
  for (const candidate of [join(dir, `${name}.js`), join(dirname(dir), `${name}.js`)]) {
    if (existsSync(candidate)) return { kind: 'built', file: candidate };
  }
  return `no ${name}.js beside ${here} (is it an entry in electron.vite.config.ts?)`;
}

/** URL of tsx's ESM register() API, read from tsx's package exports (its CommonJS twin fails inside a worker on Node 20). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, unknown> };
  const api = pkg.exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined;
  const target = typeof api?.import === 'string' ? api.import : api?.import?.default;
  if (!target) throw new Error(`${pkgFile} has no "./esm/api" import export`);
  return pathToFileURL(join(dirname(pkgFile), target)).href;
}

/** Worker-side start-up for the TypeScript entry: register tsx, then import the entry (errors surface as the worker's 'error'). */
const SOURCE_BOOT = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((api) => { api.register(); return import(workerData.entry); })
  .catch((err) => setImmediate(() => { throw err; }));`;

/** Starts a worker on `entry`. */
export function startWorker(entry: WorkerEntry): Worker {
  if (entry.kind === 'built') return new Worker(entry.file);
  return new Worker(SOURCE_BOOT, { eval: true, workerData: { entry: entry.entry, tsxApi: entry.tsxApi } });
}

/**
 * A worker count: the integer in environment variable `variable` when set (the override every pool
 * offers, 0 meaning "work in the calling thread"), else `fallback`; clamped to 0..`max`, because more
 * workers than a pool can feed only cost start-up time and memory.
 */
export function workerCount(variable: string, fallback: number, max: number): number {
  const env = process.env[variable];
  const n = env !== undefined && env.trim() !== '' && Number.isInteger(Number(env)) ? Number(env) : fallback;
  return Math.max(0, Math.min(max, Math.floor(n)));
}
