import { homedir } from 'node:os';
import { resolve } from 'node:path';

/**
 * A path as a person typed it, made absolute: surrounding spaces dropped and a leading `~` (alone,
 * `~/...` or, on Windows, `~\...`) replaced by the home folder, the way a shell would. The desktop app
 * has no shell in between, so without this "~/Music" became a folder literally named "~" under the
 * app's working directory; the CLI gets the same rule for a quoted '~/Music'. `~user` forms are left as
 * they are (there is no portable lookup of another user's home).
 */
export function userPath(input: string, home: string = homedir()): string {
  const p = input.trim();
  if (p === '~') return resolve(home);
  if (p.startsWith('~/') || (process.platform === 'win32' && p.startsWith('~\\'))) return resolve(home, p.slice(2));
  return resolve(p);
}
