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

/** Copies the core's SQL migrations next to the bundled core host (out/main/migrations). */
function copyMigrations(): Plugin {
  let outDir = '';
  return {
    name: 'moodshelf:copy-migrations',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const target = resolve(outDir, 'migrations');
      mkdirSync(target, { recursive: true });
      for (const file of readdirSync(migrationsSrc))
        if (file.endsWith('.sql')) copyFileSync(resolve(migrationsSrc, file), resolve(target, file));
    },
  };
}

/**
 * Copies the paper's published label vectors, their MIT licence and the README saying where they come from
 * next to the bundled core host (out/main/paper), where src/core/labels/paper-vectors.ts looks first.
 */
function copyPaperData(): Plugin {
  let outDir = '';
  return {
    name: 'moodshelf:copy-paper-data',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    writeBundle() {
      const target = resolve(outDir, 'paper');
      mkdirSync(target, { recursive: true });
      for (const file of PAPER_FILES) {
        const from = resolve(paperSrc, file);
        if (!existsSync(from)) throw new Error(`The app ships the paper's data, but ${from} is missing (vendored in data/paper/)`);
        copyFileSync(from, resolve(target, file));
      }
    },
  };
}

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
          // The scanner's probe worker threads load this file (src/core/library/probe-pool.ts finds it beside the core).
          'probe-worker': resolve(root, 'src/core/library/probe-worker.ts'),
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
