import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/**
 * Library paths that break naive playlist writers: non-ASCII (NFC) names, spaces, "#" (an M3U comment
 * when a line starts with it, a URI fragment), "&" (XML), "%" (literal, and text that looks
 * percent-encoded), "?" and "[ ]" (URI delimiters), a name starting with a space and one with a line break.
 */
const FILES: [string, string][] = [
  ['Björk/Homogenic/Ünïcödé – 東京.flac', 'flac.flac'],
  ['Björk/Homogenic/Jóga & 50% #2 [live].mp3', 'mp3.mp3'],
  ['#1 Hits/ Space Oddity (1969).ogg', 'vorbis.ogg'],
  ['Sigur Rós/Ágætis byrjun/Svefn-g-englar?.opus', 'opus.opus'],
  ['Misc/literal %20 and %C3%A9.wav', 'pcm.wav'],
  ['Misc/line\nbreak.aiff', 'pcm.aiff'],
];

function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
}

/** The player checks are part of the suite: a missing player is a failure that says how to install it. */
function requirePlayer(command: string, pkg: string): void {
  if (!installed(command)) {
    throw new Error(`${command} is not installed, and the playlist player checks need it: install it with "sudo apt-get install ${pkg}"`);
  }
}

/** A library of {@link FILES}, scanned and analysed with the tiny pack (rules only list analysed tracks). */
async function specialLibrary(root: string): Promise<{ core: Core; lib: string; paths: string[] }> {
  const lib = join(root, 'Bibliothèque ✓', 'my music');
  const paths = FILES.map(([rel, fixture]) => {
    const path = join(lib, rel);
    mkdirSync(dirname(path), { recursive: true });
    // Plain copies (every fixture differs): stamping a title would break Ogg page CRCs, which ffmpeg checks.
    copyFileSync(join(FIXTURES_DIR, fixture), path);
    return path;
  });
  const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
  try {
    await core.invoke('library-add', { path: lib });
    const scan = await core.run('library-scan');
    expect(scan.problems).toEqual([]);
    await core.run('models-install', { source: TINY_PACK });
    await core.invoke('analysis-start', {});
    const analysed = await core.run('analysis-wait');
    expect(analysed.failures).toEqual([]);
    return { core, lib, paths: [...paths].sort() };
  } catch (err) {
    await core.close();
    throw err;
  }
}

/**
 * Plays a playlist with mpv (no audio output, 0.1 s per entry) and returns the files it opened, in
 * order: a marker printed once playback of an entry started, so entries that failed to open are absent.
 */
function mpvOpened(playlist: string): { code: number | null; opened: string[]; output: string } {
  const r = spawnSync(
    'mpv',
    [
      '--no-config',
      '--ao=null',
      '--vo=null',
      '--length=0.1',
      '--msg-level=all=info',
      '--term-playing-msg=MOODSHELF-OPENED<${path}>MOODSHELF-END',
      `--playlist=${playlist}`,
    ],
    { encoding: 'utf8', timeout: 60_000, cwd: '/' },
  );
  const output = `${r.stdout}${r.stderr}`;
  const opened = [...output.matchAll(/MOODSHELF-OPENED<([\s\S]*?)>MOODSHELF-END/g)].map((m) => resolve(dirname(playlist), m[1] as string));
  return { code: r.status, opened, output };
}

/**
 * Plays a playlist with VLC's headless cvlc and returns the files it opened, from its debug log's
 * "`<uri>' successfully opened" lines (every input VLC opens, the playlist itself included). Debian's
 * vlc refuses to run as root ("VLC is not supposed to be run as root"), so as root it runs as nobody
 * through setpriv, with the test folders made readable and a fresh HOME.
 */
function vlcOpened(playlist: string, root: string): { code: number | null; opened: string[]; output: string } {
  const home = join(root, 'vlc-home');
  mkdirSync(home, { recursive: true });
  chmodSync(home, 0o777);
  const args = ['-vv', '--intf=dummy', '--aout=dummy', '--vout=dummy', '--no-media-library', '--play-and-exit', '--run-time=0.2', playlist];
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(root, 0o755);
  const [cmd, argv] = asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cvlc', ...args]] : ['cvlc', args];
  const r = spawnSync(cmd as string, argv as string[], {
    encoding: 'utf8',
    timeout: 60_000,
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache') },
  });
  const output = `${r.stdout}${r.stderr}`;
  const opened = [...output.matchAll(/ main input debug: `(file:[^']*)' successfully opened/g)]
    .map((m) => fileURLToPath(m[1] as string))
    .filter((p) => p !== playlist);
  return { code: r.status, opened, output };
}

describe('exported playlists play in real players', () => {
  beforeAll(() => {
    requirePlayer('mpv', 'mpv');
    requirePlayer('cvlc', 'vlc-bin vlc-plugin-base');
  });

  it('mpv plays every entry of an M3U8, relative and absolute, with non-ASCII, "#", "&", "%", "?" and line-break names', async () => {
    const root = tempDir();
    const { core, lib, paths } = await specialLibrary(root);
    try {
      const outDir = join(root, 'Exports ü & #1');
      mkdirSync(outDir);
      for (const mode of ['relative', 'absolute'] as const) {
        // The relative one sits next to the music (a playlist that moves with it), the absolute one elsewhere.
        const file = mode === 'relative' ? join(lib, 'mood mix.m3u8') : join(outDir, 'mood mix.m3u8');
        const r = await core.run('playlists-export', { rule: { sort: { by: 'path' } }, format: 'm3u8', target: file, paths: mode });
        expect(r.tracks).toBe(paths.length);
        const text = readFileSync(file, 'utf8');
        expect(text.startsWith('#EXTM3U\n')).toBe(true);
        expect(text.match(/^#EXTINF:\d+,/gm)).toHaveLength(paths.length);
        const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
        if (mode === 'relative') {
          // A path starting with "#" would be a comment: "./" keeps it an entry. A line break cannot be in a line.
          expect(lines).toContain('./#1 Hits/ Space Oddity (1969).ogg');
          expect(lines).toContain('Björk/Homogenic/Ünïcödé – 東京.flac');
          expect(lines).toContain('Misc/literal %20 and %C3%A9.wav');
        } else {
          expect(lines).toContain(join(lib, 'Björk/Homogenic/Ünïcödé – 東京.flac'));
          expect(lines.filter((l) => l.startsWith('file:///')).map((l) => fileURLToPath(l))).toEqual(
            paths.filter((p) => /[#?%\n]/.test(p)),
          );
        }
        expect(lines.filter((l) => l.startsWith('file:///')).map((l) => fileURLToPath(l))).toContain(join(lib, 'Misc/line\nbreak.aiff'));
        const played = mpvOpened(file);
        expect(played.code, played.output).toBe(0);
        expect(played.output).not.toMatch(/Failed to open|Cannot open|Errors when loading/);
        expect(played.opened, played.output).toEqual(paths);
      }
    } finally {
      await core.close();
    }
  });

  it('VLC (cvlc) opens every entry of an XSPF, relative and absolute, and of an absolute M3U8', async () => {
    const root = tempDir();
    const { core, paths } = await specialLibrary(root);
    try {
      const outDir = join(root, 'Exports ü & #1');
      mkdirSync(outDir);
      const files: string[] = [];
      for (const mode of ['relative', 'absolute'] as const) {
        const file = join(outDir, `mood mix ${mode}.xspf`);
        await core.run('playlists-export', { rule: { sort: { by: 'path' } }, format: 'xspf', target: file, paths: mode });
        const xml = readFileSync(file, 'utf8');
        for (const [, loc] of xml.matchAll(/<location>([^<]*)<\/location>/g)) {
          // Strict RFC 3986 encoding: unreserved characters, "/" and %XX escapes only (plus "file:" for absolute ones).
          expect(loc).toMatch(mode === 'absolute' ? /^file:\/\/\/[A-Za-z0-9\-._~/%]+$/ : /^[A-Za-z0-9\-._~/%]+$/);
        }
        files.push(file);
      }
      // VLC reads M3U lines as URI references: the absolute export writes the names it would misread as file:// URIs.
      const m3u = join(outDir, 'mood mix.m3u8');
      await core.run('playlists-export', { rule: { sort: { by: 'path' } }, format: 'm3u8', target: m3u, paths: 'absolute' });
      files.push(m3u);
      for (const file of files) {
        const played = vlcOpened(file, root);
        expect(played.output).not.toMatch(/VLC is not supposed to be run as root/);
        expect(played.code, played.output.slice(-4000)).toBe(0);
        expect(played.output).not.toMatch(/Your input can't be opened|VLC is unable to open/);
        expect(played.opened, `${file}\n${played.output.slice(-4000)}`).toEqual(paths);
      }
    } finally {
      await core.close();
    }
  });
});
