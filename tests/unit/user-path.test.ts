// The path rules for what people type: `~` is the home folder (the desktop app has no shell to expand
// it), and the library-add path handling uses them, so the app and the CLI agree.
import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { userPath } from '../../src/core/kernel/user-path.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

describe('userPath', () => {
  it('expands a leading ~ to the home folder and leaves other paths as they resolve', () => {
    expect(userPath('~', '/home/ann')).toBe('/home/ann');
    expect(userPath('~/Music', '/home/ann')).toBe('/home/ann/Music');
    expect(userPath('  ~/Music/Jazz  ', '/home/ann')).toBe('/home/ann/Music/Jazz');
    expect(userPath('/srv/music', '/home/ann')).toBe('/srv/music');
    expect(userPath('music/~/x', '/home/ann')).toBe(resolve('music/~/x'));
    // ~user is not this user's home: left as typed (resolved).
    expect(userPath('~bob/Music', '/home/ann')).toBe(resolve('~bob/Music'));
  });
});

describe('library-add', () => {
  it('adds ~/Music as the Music folder in the home folder, not a folder named "~"', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'Music'));
    vi.stubEnv('HOME', home);
    vi.stubEnv('USERPROFILE', home);
    const { createCore } = await import('../../src/core/index.js');
    const core = await createCore({ dataDir: tempDir() });
    try {
      const folder = await core.invoke('library-add', { path: '~/Music' });
      expect(folder.path).toBe(realpathSync(join(home, 'Music')));
      await expect(core.invoke('library-add', { path: '~/Music' })).rejects.toThrow('is already in the library');
    } finally {
      await core.close();
      vi.unstubAllEnvs();
    }
  });
});
