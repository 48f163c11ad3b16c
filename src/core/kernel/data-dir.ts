import { homedir } from 'node:os';
import { join } from 'node:path';

/** The product name; Electron derives its userData folder from it, so the CLI must use the same. */
export const APP_NAME = 'Moodshelf';

/**
 * The per-OS folder the desktop app keeps its data in (what Electron's `app.getPath('userData')`
 * returns for an app named Moodshelf), so the CLI and the app share one library by default.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_NAME);
}

/** Resolves the data folder: an explicit value, then MOODSHELF_DATA_DIR, then the per-OS default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env.MOODSHELF_DATA_DIR ?? defaultDataDir(process.platform, env);
}
