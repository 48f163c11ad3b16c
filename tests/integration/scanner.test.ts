import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  openSync,
  closeSync,
  writeSync,
  utimesSync,
  readFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import type { Track } from '../../src/core/tracks/queries.js';
import type { ScanProgress } from '../../src/core/library/scanner.js';
import { probeFile } from '../../src/core/library/probe.js';
import { createProbePool } from '../../src/core/library/probe-pool.js';
import { createLogger, type Logger } from '../../src/core/kernel/logger.js';
import { FIXTURES_DIR, generateLibrary, loadFixtures, stampTitle, uniqueTitle } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { wavHeader } from '../support/wav.js';
import { ffmpeg } from '../support/ffmpeg.js';

const tempDir = useTempDirs();

async function withCore<T>(
  root: string,
  fn: (core: Core) => Promise<T>,
  opts: { watch?: boolean; data?: string; scan?: { probeWorkers?: number; probeWorkersMinFiles?: number }; logger?: Logger } = {},
): Promise<T> {
  const core = await createCore({
    dataDir: join(root, opts.data ?? 'data'),
    watch: opts.watch,
    watchDebounceMs: 150,
    scan: opts.scan,
    logger: opts.logger,
  });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

async function allTracks(core: Core): Promise<Map<string, Track>> {
  const page = await core.invoke('tracks-list', {});
  return new Map(page.tracks.map((t) => [t.path, t]));
}

/** A WAV header for `seconds` of 8 kHz mono 16-bit audio, extended sparsely so it costs no disk. */
function writeLongWav(path: string, seconds: number): void {
  const rate = 8000;
  const dataBytes = seconds * rate * 2;
  const h = wavHeader(dataBytes, rate);
  const fd = openSync(path, 'w');
  writeSync(fd, h);
  closeSync(fd);
  truncateSync(path, 44 + dataBytes);
}

const EXPECTED: Record<string, { sampleRate: number; channels: number; codec: RegExp; duration: number }> = {
  'mp3.mp3': { sampleRate: 44100, channels: 2, codec: /MPEG 1 Layer 3/, duration: 1.5 },
  'mp3-id3v23.mp3': { sampleRate: 22050, channels: 1, codec: /MPEG 2 Layer 3/, duration: 1.5 },
  'flac.flac': { sampleRate: 44100, channels: 2, codec: /FLAC/, duration: 1.5 },
  'vorbis.ogg': { sampleRate: 44100, channels: 2, codec: /Vorbis/, duration: 1.5 },
  'opus.opus': { sampleRate: 48000, channels: 2, codec: /Opus/, duration: 1.5 },
  'aac.m4a': { sampleRate: 44100, channels: 2, codec: /AAC/, duration: 1.5 },
  'alac.m4a': { sampleRate: 44100, channels: 2, codec: /ALAC/, duration: 1 },
  'pcm.wav': { sampleRate: 22050, channels: 2, codec: /PCM/, duration: 1 },
  'pcm.aiff': { sampleRate: 22050, channels: 2, codec: /PCM/, duration: 1 },
  'mono-8k.wav': { sampleRate: 8000, channels: 1, codec: /PCM/, duration: 1 },
  'hires-192k.flac': { sampleRate: 192000, channels: 1, codec: /FLAC/, duration: 0.5 },
  'surround-6ch.flac': { sampleRate: 48000, channels: 6, codec: /FLAC/, duration: 0.5 },
};

describe('scanner: formats', () => {
  it('indexes every supported format with its stream facts and tags', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    for (const name of Object.keys(EXPECTED)) copyFileSync(join(FIXTURES_DIR, name), join(lib, name));
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      const r = await core.run('library-scan');
      expect(r).toMatchObject({ filesSeen: 12, added: 12, failed: 0, missing: 0, moved: 0, status: 'done' });
      const tracks = await allTracks(core);
      for (const [name, exp] of Object.entries(EXPECTED)) {
        const t = tracks.get(join(lib, name));
        expect(t, name).toBeDefined();
        expect(t).toMatchObject({
          status: 'ok',
          sampleRate: exp.sampleRate,
          channels: exp.channels,
          title: 'MSTITLE-0000000000',
          artist: 'Fixture Artist',
          album: 'Fixture Album',
          year: 2021,
          genre: 'Ambient',
          trackNo: 3,
        });
        expect(t?.codec ?? '', name).toMatch(exp.codec);
        // Lossy encoders add a few frames of padding.
        expect(Math.abs((t?.duration ?? 0) - exp.duration), name).toBeLessThan(0.1);
        expect(t?.fingerprint, name).toMatch(/^[0-9a-f]{40}$/);
      }
    });
  });
});

describe('scanner: bad input', () => {
  it('stores each broken file as failed with a reason, indexes odd but valid ones, and never aborts', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    const fx = loadFixtures();
    const mk = (name: string, bytes: Buffer | string) => writeFileSync(join(lib, name), bytes);
    mk('zero.mp3', Buffer.alloc(0));
    mk('trunc.mp3', (fx.get('mp3.mp3') as Buffer).subarray(0, 2000));
    mk('trunc-tags-only.flac', (fx.get('flac.flac') as Buffer).subarray(0, 3000));
    mk('trunc.m4a', (fx.get('aac.m4a') as Buffer).subarray(0, 5000));
    mk('trunc.ogg', (fx.get('vorbis.ogg') as Buffer).subarray(0, 3000));
    mk('trunc.wav', (fx.get('pcm.wav') as Buffer).subarray(0, 20000));
    for (const ext of ['mp3', 'flac', 'ogg', 'opus', 'm4a', 'wav', 'aiff'])
      mk(`random.${ext}`, Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 7919 + ext.length * 31) % 251)));
    mk('readme.ogg', 'this is text, not audio\n');
    // Names in many scripts, emoji included.
    const unicode = ['Björk – Jóga.flac', '坂本龍一 戦場のメリークリスマス.mp3', 'Ünïcödé 🎵🔥.opus', 'Σ (sigma) عربي.m4a'];
    const srcFor = ['flac.flac', 'mp3.mp3', 'opus.opus', 'aac.m4a'];
    unicode.forEach((n, i) => mk(n, stampTitle(fx.get(srcFor[i] as string) as Buffer, uniqueTitle(i + 1))));
    writeLongWav(join(lib, 'three-hours.wav'), 3 * 3600);
    symlinkSync(join(lib, 'does-not-exist.flac'), join(lib, 'broken-link.flac'));
    execFileSync('mkfifo', [join(lib, 'pipe.mp3')]);
    mkdirSync(join(lib, 'folder.mp3'));
    copyFileSync(join(FIXTURES_DIR, 'pcm.wav'), join(lib, 'folder.mp3', 'inside.wav'));
    // A symlink loop: the folder links back to its parent.
    symlinkSync(lib, join(lib, 'loop'));

    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      const r = await core.run('library-scan');
      const tracks = await allTracks(core);
      const at = (n: string) => tracks.get(join(lib, n));
      const failedWith = (n: string, re: RegExp) => {
        expect(at(n)?.status, n).toBe('failed');
        expect(at(n)?.error ?? '', n).toMatch(re);
      };
      failedWith('zero.mp3', /empty \(0 bytes\)/);
      failedWith('trunc.mp3', /truncated/);
      failedWith('trunc-tags-only.flac', /truncated/);
      failedWith('trunc.m4a', /truncated or damaged/);
      failedWith('trunc.ogg', /truncated or damaged/);
      failedWith('trunc.wav', /truncated/);
      for (const ext of ['mp3', 'flac', 'ogg', 'opus', 'm4a', 'wav', 'aiff'])
        failedWith(`random.${ext}`, /Not a readable|truncated or damaged/);
      failedWith('readme.ogg', /Not a readable Ogg Vorbis file/);
      failedWith('broken-link.flac', /no longer exists|broken link/);
      failedWith('pipe.mp3', /Not a regular file/);
      for (const n of unicode) expect(at(n)?.status, n).toBe('ok');
      expect(at('Ünïcödé 🎵🔥.opus')?.title).toBe(uniqueTitle(3));
      expect(at('three-hours.wav')).toMatchObject({ status: 'ok', sampleRate: 8000, channels: 1, duration: 10800 });
      expect(at('folder.mp3/inside.wav')?.status).toBe('ok');
      // The loop is walked once: no path under loop/ is indexed.
      expect([...tracks.keys()].filter((p) => p.includes('/loop/'))).toEqual([]);
      const failedCount = [...tracks.values()].filter((t) => t.status === 'failed').length;
      expect(r.failed).toBe(failedCount);
      expect(r.added).toBe(unicode.length + 2);
      // Reasons are sentences, never raw stack traces.
      for (const t of tracks.values()) if (t.status === 'failed') expect(t.error).not.toMatch(/\n|at .*\.js/);
    });
  });

  it.skipIf(process.getuid?.() === 0)('reports a file it is not allowed to read', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    copyFileSync(join(FIXTURES_DIR, 'flac.flac'), join(lib, 'locked.flac'));
    chmodSync(join(lib, 'locked.flac'), 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      expect((await allTracks(core)).get(join(lib, 'locked.flac'))).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/Permission denied/),
      });
    });
  });

  it('probes a file that vanished as vanished, not as a failure', async () => {
    expect(await probeFile(join(tempDir(), 'gone.mp3'), 100)).toEqual({ status: 'vanished' });
  });
});

describe('scanner: incremental', () => {
  it('skips unchanged files, keeps ids across moves and renames, marks deletions missing and restores them', async () => {
    const root = tempDir();
    const { root: lib, good } = generateLibrary(join(root, 'lib'), 60, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      expect(await core.run('library-scan')).toMatchObject({ added: 60, failed: 0 });
      const before = await allTracks(core);

      expect(await core.run('library-scan')).toMatchObject({ added: 0, updated: 0, moved: 0, missing: 0, unchanged: 60 });

      const [a, b, c, d] = good as [string, string, string, string];
      const renamed = join(lib, 'renamed ✨.flac');
      const movedDir = join(lib, 'Elsewhere', 'Deep');
      mkdirSync(movedDir, { recursive: true });
      const moved = join(movedDir, 'moved.mp3');
      renameSync(a, renamed);
      renameSync(b, moved);
      unlinkSync(c);
      // A changed file: same path, new content and mtime.
      writeFileSync(d, stampTitle(loadFixtures().get('flac.flac') as Buffer, uniqueTitle(777)));
      utimesSync(d, new Date(), new Date(Date.now() + 5000));

      const r = await core.run('library-scan');
      expect(r).toMatchObject({ moved: 2, missing: 1, updated: 1, added: 0, unchanged: 56 });
      const after = await allTracks(core);
      expect(after.get(renamed)?.id).toBe(before.get(a)?.id);
      expect(after.get(moved)?.id).toBe(before.get(b)?.id);
      expect(after.has(a)).toBe(false);
      expect(after.get(c)).toMatchObject({ status: 'missing', id: before.get(c)?.id });
      expect(after.get(d)).toMatchObject({ status: 'ok', id: before.get(d)?.id, title: uniqueTitle(777) });

      // The deleted file comes back somewhere else: it is recognised and keeps its id.
      const back = join(lib, 'back.wav');
      writeFileSync(back, stampTitle(loadFixtures().get('pcm.wav') as Buffer, uniqueTitle(0)));
      const c0 = before.get(c) as Track;
      rmSync(back);
      copyFileSync(join(FIXTURES_DIR, 'pcm.wav'), back);
      const r2 = await core.run('library-scan');
      const again = await allTracks(core);
      // The fixture copy has different content from c, so it is a new track and c stays missing.
      expect(again.get(c)?.status).toBe('missing');
      expect(r2.added).toBe(1);
      // Putting c's original bytes back anywhere restores c's id.
      const original = good.indexOf(c);
      const restored = join(lib, 'restored.flac');
      const name = [...loadFixtures().keys()][original % 12] as string;
      writeFileSync(restored, stampTitle(loadFixtures().get(name) as Buffer, uniqueTitle(original)));
      const r3 = await core.run('library-scan');
      expect(r3.moved).toBe(1);
      expect((await allTracks(core)).get(restored)).toMatchObject({ id: c0.id, status: 'ok' });
    });
  });

  it('leaves the tracks of an unavailable folder untouched and says so', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 10, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      renameSync(lib, `${lib}-unplugged`);
      const r = await core.run('library-scan');
      expect(r.missing).toBe(0);
      expect(r.problems[0]?.reason).toMatch(/unavailable/);
      expect((await core.invoke('status-get')).tracks).toMatchObject({ ok: 10, missing: 0 });
    });
  });

  it('keeps earlier results when a later scan meets only bad files', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 20, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      writeFileSync(join(lib, 'bad.flac'), 'nope');
      writeFileSync(join(lib, 'bad2.mp3'), Buffer.alloc(0));
      const r = await core.run('library-scan');
      expect(r).toMatchObject({ failed: 2, unchanged: 20 });
      expect((await core.invoke('status-get')).tracks).toMatchObject({ ok: 20, failed: 2 });
    });
  });
});

/** A library with every fixture format, broken files of each kind, odd names and a file that is not one. */
function mixedLibrary(root: string, generated: number): string {
  const { root: lib } = generateLibrary(join(root, 'lib'), generated, 7);
  const fx = loadFixtures();
  writeFileSync(join(lib, 'zero.mp3'), Buffer.alloc(0));
  writeFileSync(join(lib, 'trunc.m4a'), (fx.get('aac.m4a') as Buffer).subarray(0, 5000));
  writeFileSync(join(lib, 'Ünïcödé 🎵.opus'), stampTitle(fx.get('opus.opus') as Buffer, uniqueTitle(4242)));
  writeLongWav(join(lib, 'long.wav'), 600);
  symlinkSync(join(lib, 'does-not-exist.flac'), join(lib, 'broken-link.flac'));
  execFileSync('mkfifo', [join(lib, 'pipe.mp3')]);
  return lib;
}

describe('scanner: probe workers', () => {
  it('probes in worker threads with exactly the results of probing in the core thread', async () => {
    const root = tempDir();
    const lib = mixedLibrary(root, 600);
    const scanWith = (probeWorkers: number, data: string) => {
      const lines: string[] = [];
      return withCore(
        root,
        async (core) => {
          await core.invoke('library-add', { path: lib });
          const r = await core.run('library-scan');
          const tracks = (await core.invoke('tracks-list', { limit: 1000 })).tracks.map((t) => ({ ...t, addedAt: null, updatedAt: null }));
          const probed = lines.find((l) => l.includes('files probed')) ?? '';
          return { r, tracks: tracks.sort((a, b) => a.id - b.id), probed: JSON.parse(probed.slice(probed.indexOf('{'))) as object };
        },
        { data, scan: { probeWorkers }, logger: createLogger('core', 'debug', (line) => lines.push(line)) },
      );
    };
    const pooled = await scanWith(2, 'data-pooled');
    const inThread = await scanWith(0, 'data-in-thread');
    expect(pooled.r.probeWorkers).toBe(2);
    expect(inThread.r.probeWorkers).toBe(0);
    // Files are probed here until the workers have loaded, then in the workers.
    expect(pooled.probed).toMatchObject({ workers: 2, inWorkers: expect.any(Number), inThread: expect.any(Number) });
    expect((pooled.probed as { inWorkers: number }).inWorkers).toBeGreaterThan(0);
    // Every file but the broken link and the pipe (which the walk already reports) is probed.
    expect(inThread.probed).toEqual({ workers: 0, inWorkers: 0, inThread: 604 });
    const counts = ({ r }: typeof pooled) => ({ ...r, runId: 0, durationMs: 0, probeWorkers: 0 });
    expect(counts(pooled)).toEqual(counts(inThread));
    expect(pooled.r).toMatchObject({ filesSeen: 606, status: 'done' });
    expect(pooled.r.failed).toBeGreaterThan(80);
    // Same rows, same ids: outcomes are written in walk order whichever thread probed a file and when.
    expect(pooled.tracks).toEqual(inThread.tracks);
  });

  it('answers each probe as probeFile does, and falls back to this thread (saying why) when workers cannot start', async () => {
    const root = tempDir();
    const lib = mixedLibrary(root, 90);
    const files = readdirSync(lib, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name))
      .sort();
    const cases = [...files.map((p) => [p, statSync(p).size] as const), [join(lib, 'vanished.mp3'), 1000] as const];
    const expected = await Promise.all(cases.map(([p, size]) => probeFile(p, size)));
    expect(expected.some((r) => r.status === 'vanished')).toBe(true);

    const lines: string[] = [];
    const log = createLogger('test', 'warn', (line) => lines.push(line));
    const pool = createProbePool(3, log);
    try {
      await pool.settled;
      expect(pool.workers).toBe(3);
      expect(await Promise.all(cases.map(([p, size]) => pool.probe(p, size)))).toEqual(expected);
      expect(pool.stats).toEqual({ inWorkers: cases.length, inThread: 0 });
      expect(pool.workers).toBe(3);
    } finally {
      await pool.close();
    }
    expect(lines).toEqual([]);

    const broken = join(root, 'broken-worker.mjs');
    writeFileSync(broken, "throw new Error('cannot start');\n");
    const fallback = createProbePool(2, log, { workerFile: broken });
    try {
      await fallback.settled;
      expect(fallback.workers).toBe(0);
      expect(await Promise.all(cases.map(([p, size]) => fallback.probe(p, size)))).toEqual(expected);
      expect(fallback.stats).toEqual({ inWorkers: 0, inThread: cases.length });
    } finally {
      await fallback.close();
    }
    // The last worker to fail says that probing moved to this thread, and why.
    expect(lines.at(-1)).toMatch(/WARN .*probe workers unavailable; probing in this thread.*cannot start/);
  });
});

describe('scanner: progress, cancel, watch', () => {
  it('throttles progress events and ends with an accurate one', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 400);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      const seen: ScanProgress[] = [];
      core.events.on('scan-progress', (p) => seen.push(p));
      const r = await core.run('library-scan');
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.length).toBeLessThan(r.durationMs / 100 + 10);
      const last = seen.at(-1) as ScanProgress;
      expect(last).toMatchObject({ phase: 'finishing', read: 400, toRead: 400, filesSeen: 400 });
    });
  });

  it('cancels a scan, keeps what was read, marks nothing missing, and a later scan completes', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 600, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      core.events.on('scan-progress', (p) => {
        if (p.phase === 'reading' && p.read >= 50) void core.invoke('library-scan-cancel');
      });
      const r = await core.run('library-scan');
      expect(r.status).toBe('cancelled');
      expect(r.missing).toBe(0);
      const stored = (await core.invoke('status-get')).tracks.ok;
      expect(stored).toBeGreaterThanOrEqual(50);
      expect(stored).toBeLessThan(600);
      expect((await core.invoke('status-get')).lastScan?.status).toBe('cancelled');
    });
    await withCore(root, async (core) => {
      const r = await core.run('library-scan');
      expect(r.status).toBe('done');
      expect((await core.invoke('status-get')).tracks.ok).toBe(600);
    });
  });

  it('picks up new, changed and removed files within seconds while watching', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 5, 0);
    await withCore(
      root,
      async (core) => {
        await core.invoke('library-add', { path: lib });
        await core.run('library-scan');
        const nextScan = () =>
          new Promise<{ added: number; missing: number; ms: number }>((resolve, reject) => {
            const t0 = Date.now();
            const timer = setTimeout(() => reject(new Error('watcher did not rescan within 8 s')), 8000);
            const off = core.events.on('scan-finished', (r) => {
              if (r.added + r.missing + r.updated === 0) return;
              clearTimeout(timer);
              off();
              resolve({ added: r.added, missing: r.missing, ms: Date.now() - t0 });
            });
          });
        const added = nextScan();
        mkdirSync(join(lib, 'New Album'));
        copyFileSync(join(FIXTURES_DIR, 'opus.opus'), join(lib, 'New Album', 'new.opus'));
        expect(await added).toMatchObject({ added: 1 });
        const removed = nextScan();
        rmSync(join(lib, 'New Album'), { recursive: true });
        const r = await removed;
        expect(r.missing).toBe(1);
        expect(r.ms).toBeLessThan(5000);
      },
      { watch: true },
    );
  });
});

describe('library folders', () => {
  it('refuses missing, non-folder, duplicate and nested folders with clear reasons', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(join(lib, 'sub'), { recursive: true });
    writeFileSync(join(root, 'file.txt'), 'x');
    await withCore(root, async (core) => {
      await expect(core.invoke('library-add', { path: join(root, 'nope') })).rejects.toThrow(/does not exist/);
      await expect(core.invoke('library-add', { path: join(root, 'file.txt') })).rejects.toThrow(/not a folder/);
      await core.invoke('library-add', { path: lib });
      await expect(core.invoke('library-add', { path: lib })).rejects.toThrow(/already in the library/);
      await expect(core.invoke('library-add', { path: join(lib, 'sub') })).rejects.toThrow(/already covered/);
      await expect(core.invoke('library-add', { path: root })).rejects.toThrow(/contains the library folder/);
      await expect(core.invoke('library-remove', { path: join(root, 'other') })).rejects.toThrow(/not a library folder/);
      expect((await core.invoke('library-folders')).map((f) => f.path)).toEqual([lib]);
    });
  });

  it('removing a folder drops its tracks from the index but not from disk', async () => {
    const root = tempDir();
    const { root: lib, good } = generateLibrary(join(root, 'lib'), 8, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      expect(await core.invoke('library-remove', { path: lib })).toMatchObject({ tracksRemoved: 8 });
      expect((await core.invoke('tracks-list')).total).toBe(0);
      expect((await core.invoke('library-folders')).length).toBe(0);
    });
    expect(good.length).toBe(8);
    for (const p of good) expect(() => closeSync(openSync(p, 'r'))).not.toThrow();
  });

  it('searches titles, artists and albums through the full-text index', async () => {
    const root = tempDir();
    const { root: lib } = generateLibrary(join(root, 'lib'), 30, 0);
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      const hit = await core.invoke('tracks-list', { search: uniqueTitle(17) });
      expect(hit.tracks.map((t) => t.title)).toEqual([uniqueTitle(17)]);
      expect((await core.invoke('tracks-list', { search: 'fixture albu' })).total).toBe(30);
      expect((await core.invoke('tracks-list', { search: 'zzzz' })).total).toBe(0);
      const page = await core.invoke('tracks-list', { sort: 'title', descending: true, limit: 5, offset: 5 });
      expect(page.tracks.map((t) => t.title)).toEqual([24, 23, 22, 21, 20].map(uniqueTitle));
    });
  });
});

/**
 * 40 s of stereo audio, written once per run: 5 s of silence (VBR encoders start with a run of
 * equal-rate frames, which a four-frame guess takes for CBR), then a chord with noise.
 */
let masterDir = '';
function master(): string[] {
  const path = join(masterDir, 'master.wav');
  if (!existsSync(path)) {
    const graph =
      'sine=f=220:d=35,volume=0.3[a];anoisesrc=c=pink:a=0.1:d=35:seed=3[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo,adelay=5000|5000';
    ffmpeg(['-f', 'lavfi', '-i', graph, '-ar', '44100', '-c:a', 'pcm_s16le', path]);
  }
  return ['-i', path];
}

/** The master encoded as `name` (cached for the run), titled "T <name>". */
function encoded(name: string): string {
  const path = join(masterDir, name);
  const args = ENCODED.find(([n]) => n === name)?.[1] ?? [];
  if (!existsSync(path)) ffmpeg([...master(), '-metadata', `title=T ${name}`, ...args, path]);
  return path;
}

/** Bytes of the ID3v2 tag at the start of an MP3 (header, syncsafe size, footer). */
function id3v2Length(b: Buffer): number {
  const size = ((b[6] as number) << 21) | ((b[7] as number) << 14) | ((b[8] as number) << 7) | (b[9] as number);
  return 10 + size + ((b[5] as number) & 0x10 ? 10 : 0);
}

/** name, ffmpeg output arguments, codec the index must show. */
const ENCODED: [string, string[], RegExp][] = [
  ['vbr-noxing.mp3', ['-c:a', 'libmp3lame', '-q:a', '4', '-write_xing', '0', '-id3v2_version', '3'], /Layer 3/],
  ['vbr-xing.mp3', ['-c:a', 'libmp3lame', '-q:a', '4', '-id3v2_version', '4'], /Layer 3/],
  ['vorbis.ogg', ['-c:a', 'libvorbis', '-q:a', '3'], /Vorbis/],
  ['opus-in.ogg', ['-c:a', 'libopus', '-b:a', '64k'], /Opus/],
  ['wavpack.wv', ['-c:a', 'wavpack'], /WavPack/],
  ['wma.wma', ['-c:a', 'wmav2', '-b:a', '128k'], /Windows Media Audio/],
  ['pcm24.wav', ['-c:a', 'pcm_s24le'], /^PCM$/],
  ['flac.flac', ['-c:a', 'flac'], /FLAC/],
  ['aiff.aiff', ['-c:a', 'pcm_s16be'], /PCM/],
];

describe('scanner: real encoders', () => {
  beforeAll(() => {
    masterDir = mkdtempSync(join(tmpdir(), 'moodshelf-master-'));
  });
  afterAll(() => rmSync(masterDir, { recursive: true, force: true }));

  it('indexes VBR MP3 without a Xing frame, Ogg Vorbis/Opus, WavPack and WMA with their true duration', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    for (const [name] of ENCODED) copyFileSync(encoded(name), join(lib, name));
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      expect(await core.run('library-scan')).toMatchObject({ added: ENCODED.length, failed: 0 });
      const tracks = await allTracks(core);
      for (const [name, , codec] of ENCODED) {
        const t = tracks.get(join(lib, name));
        expect(t?.status, `${name}: ${t?.error}`).toBe('ok');
        expect(t?.codec ?? '', name).toMatch(codec);
        expect(t?.title, name).toBe(`T ${name}`);
        // Encoder delay and padding add a few tens of ms; 1 % is 0.4 s.
        expect(Math.abs((t?.duration ?? 0) - 40), `${name}: ${t?.duration}`).toBeLessThan(0.4);
      }
    });
  });

  it('fails files cut short or holding only tags, with the reason', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    const cut = ['vbr-xing.mp3', 'vorbis.ogg', 'opus-in.ogg', 'wavpack.wv', 'wma.wma', 'flac.flac', 'aiff.aiff', 'pcm24.wav'];
    for (const name of cut) {
      const bytes = readFileSync(encoded(name));
      writeFileSync(join(lib, `cut-${name}`), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    }
    const tagged = readFileSync(encoded('vbr-xing.mp3'));
    writeFileSync(join(lib, 'tags-only.mp3'), tagged.subarray(0, id3v2Length(tagged)));
    await withCore(root, async (core) => {
      await core.invoke('library-add', { path: lib });
      const r = await core.run('library-scan');
      expect(r).toMatchObject({ failed: cut.length + 1, added: 0 });
      const tracks = await allTracks(core);
      for (const name of cut) {
        expect(tracks.get(join(lib, `cut-${name}`))).toMatchObject({ status: 'failed', error: expect.stringMatching(/truncated/) });
      }
      expect(tracks.get(join(lib, 'tags-only.mp3'))?.error).toMatch(/contains tags but no audio data/);
    });
  });
});
