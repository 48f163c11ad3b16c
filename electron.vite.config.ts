import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { renderPage } from './src/main/renderer-page.js';

const root = import.meta.dirname;
const migrationsSrc = resolve(root, 'src/core/kernel/migrations');
const paperSrc = resolve(root, 'data/paper');
/** The paper's data the core reads at run time (src/core/labels/paper-vectors.ts), with its licence and provenance. */
const PAPER_FILES = ['label-embeddings.json', 'LICENSE-AMAAI-Lab.txt', 'README.md'];

/**
 * Copies `files` (names in `fromDir`, or all that `pick` keeps) into `subdir` next to the bundled core host,
 * where the core looks for them at run time; a missing file fails the build with `why`.
 */
function copyBesideBundle(name: string, fromDir: string, subdir: string, files: () => string[], why: string): Plugin {
  let outDir = '';
  return {
    name,
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const target = resolve(outDir, subdir);
      mkdirSync(target, { recursive: true });
      for (const file of files()) {
        const from = resolve(fromDir, file);
        if (!existsSync(from)) throw new Error(`${why}, but ${from} is missing`);
        copyFileSync(from, resolve(target, file));
      }
    },
  };
}

/** The core's SQL migrations (out/main/migrations). */
const copyMigrations = (): Plugin =>
  copyBesideBundle(
    'moodshelf:copy-migrations',
    migrationsSrc,
    'migrations',
    () => readdirSync(migrationsSrc).filter((f) => f.endsWith('.sql')),
    'The core host applies its migrations',
  );

/**
 * The paper's published label vectors, their MIT licence and the README saying where they come from
 * (out/main/paper), where src/core/labels/paper-vectors.ts looks first.
 */
const copyPaperData = (): Plugin =>
  copyBesideBundle(
    'moodshelf:copy-paper-data',
    paperSrc,
    'paper',
    () => PAPER_FILES,
    "The app ships the paper's data (vendored in data/paper/)",
  );

/**
 * The dev server injects styles as inline <style> elements and talks over a WebSocket, which the strict
 * CSP in index.html forbids; relax exactly that, and only under `electron-vite dev` (the style nonce goes:
 * with a nonce present, browsers ignore 'unsafe-inline'). Each load still gets a fresh nonce, as from the
 * app protocol in a build, so the renderer reads one the same way.
 */
function devCsp(): Plugin {
  return {
    name: 'moodshelf:dev-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return renderPage(html)
        .html.replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*");
    },
  };
}

export default defineConfig({
  main: {
    plugins: [copyMigrations(), copyPaperData()],
    build: {
      externalizeDeps: { include: ['better-sqlite3', 'music-metadata', 'chokidar'] },
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          'core-host': resolve(root, 'src/main/core-host.ts'),
          // The same core for a plain Node process (bench:analyze runs the app's analysis on it).
          'core-node': resolve(root, 'src/main/core-node.ts'),
          // The scanner's probe worker threads load this file (src/core/library/probe-pool.ts finds it beside the core).
          'probe-worker': resolve(root, 'src/core/library/probe-worker.ts'),
          // The analysis's decode and inference worker threads load these (src/core/audio/decode-pool.ts and
          // src/core/analysis/inference.ts find them beside the core).
          'decode-worker': resolve(root, 'src/core/audio/decode-worker.ts'),
          'inference-worker': resolve(root, 'src/core/analysis/inference-worker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [svelte({ configFile: false }), devCsp()],
    build: {
      rolldownOptions: {
        input: { index: resolve(root, 'src/renderer/index.html') },
      },
    },
  },
});
