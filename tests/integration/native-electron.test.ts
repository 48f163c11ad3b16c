import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '..', '..', 'scripts', 'native-electron.mjs');

describe('Electron-ABI better-sqlite3 build', () => {
  it('never fails install: it builds, finds its build, or skips with a reason', async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [SCRIPT, '--optional'], { timeout: 400_000 });
    expect(stderr).toMatch(/\[native-electron\] (up to date|built with|could not build better-sqlite3 for Electron .*Skipped)/);
  }, 420_000);

  it('can be switched off for environments that never run the app', async () => {
    const { stderr } = await promisify(execFile)(process.execPath, [SCRIPT], {
      env: { ...process.env, MOODSHELF_SKIP_ELECTRON_NATIVE: '1' },
    });
    expect(stderr).toMatch(/skipped/);
  });
});
