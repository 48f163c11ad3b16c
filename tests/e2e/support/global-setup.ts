// Builds the renderer once before the e2e suite (`npx electron-vite build`), unless E2E_SKIP_BUILD=1.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RENDERER_DIR } from './test-server.js';

/** Vitest global setup. */
export default function setup(): void {
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(join(RENDERER_DIR, 'index.html'))) return;
  const r = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'pipe', encoding: 'utf8', shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`electron-vite build failed:\n${r.stdout}\n${r.stderr}`);
}
