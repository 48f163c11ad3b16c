// Real audio end to end: full-length files from real encoders (tests/support/real-corpus.ts: every MP3
// flavour, Vorbis, Opus, FLAC, AAC/ALAC, WAV, AIFF, WavPack, WMA) and real recordings from Debian's
// asc-music (MP3) and drascula-music (Ogg Vorbis) packages are indexed, measured against ffprobe,
// analysed with the tiny pack and tagged, all through the core's IPC entry point (invokeUntrusted, the
// path the app's renderer takes). Nothing is skipped: a missing tool or package fails with what to install.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import type { HandlerArgs, HandlerName, HandlerResult, RunResult } from '../../src/core/contract.js';
import { isJobTicket } from '../../src/core/kernel/jobs.js';
import { AUDIO_EXTENSIONS } from '../../src/core/library/formats.js';
import type { Track } from '../../src/core/tracks/queries.js';
import { CORPUS_FILES, ensureRealCorpus, referenceDuration, requireFfmpeg, type ReferenceDuration } from '../support/real-corpus.js';
import { TINY_PACK } from '../support/packs.js';

/** Debian packages with real game music, and the files of each the test copies into its library. */
const DEBIAN_MUSIC = [
  { pkg: 'asc-music', files: ['frontiers.mp3', 'machine_wars.mp3', 'time_to_strike.mp3'] },
  { pkg: 'drascula-music', files: ['track1.ogg', 'track2.ogg', 'track12.ogg', 'track28.ogg', 'track30.ogg'] },
] as const;

/** Duration tolerance against the reference: 1 %. */
const TOLERANCE = 0.01;

/** The app's entry point (core-channel.ts calls invokeUntrusted): arguments and results are cloned, errors come back as values. */
function ipc(core: Core) {
  return async <K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>> => {
    const reply = await core.invokeUntrusted(name, structuredClone(args));
    if (!reply.ok) throw new Error(`${name}: ${reply.error.code} ${reply.error.message}`);
    return structuredClone(reply.value) as HandlerResult<K>;
  };
}

/** Invokes over the IPC path and, for long work, waits for the job as the app does. */
function ipcRun(core: Core) {
  const invoke = ipc(core);
  return async <K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<RunResult<K>> => {
    const value: unknown = await invoke(name, ...args);
    return (isJobTicket(value) ? structuredClone(await core.jobs.wait(value)) : value) as RunResult<K>;
  };
}

function debianFiles(pkg: string, names: readonly string[]): string[] {
  let listed: string[];
  try {
    listed = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8' }).split('\n');
  } catch {
    throw new Error(`The Debian package ${pkg} is not installed: apt-get install --no-install-recommends ${pkg} (see .ci/run)`);
  }
  return names.map((name) => {
    const path = listed.find((p) => basename(p) === name && existsSync(p));
    if (!path) throw new Error(`${pkg} does not contain ${name} (dpkg -L ${pkg})`);
    return path;
  });
}

/** A hard link where the file system allows one (the corpus is read-only to the test), else a copy. */
function place(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

interface Expected {
  /** Label for the test name: the corpus format, or the Debian package. */
  label: string;
  name: string;
  path: string;
  indexed: boolean;
  reference: ReferenceDuration;
  tags?: { title: string; artist: string; album: string };
}

const supported = (name: string): boolean => extname(name).toLowerCase() in AUDIO_EXTENSIONS;

// One library for the whole file (useTempDirs would remove it after the first test).
let root = '';
let core: Core | undefined;
let invoke: ReturnType<typeof ipc>;
let run: ReturnType<typeof ipcRun>;
const expected = new Map<string, Expected>();
const tracks = new Map<string, Track>();
let scan: RunResult<'library-scan'>;
let analysis: RunResult<'analysis-wait'>;

beforeAll(async () => {
  requireFfmpeg();
  const corpus = await ensureRealCorpus();
  root = mkdtempSync(join(tmpdir(), 'moodshelf-real-audio-'));
  const genDir = join(root, 'generated');
  const debDir = join(root, 'debian');
  mkdirSync(genDir);
  mkdirSync(debDir);
  for (const f of corpus.files) {
    place(f.path, join(genDir, f.name));
    expected.set(f.name, {
      label: f.format,
      name: f.name,
      path: join(genDir, f.name),
      indexed: supported(f.name),
      reference: f.reference,
      tags: { title: f.title, artist: f.artist, album: f.album },
    });
  }
  for (const { pkg, files } of DEBIAN_MUSIC) {
    for (const src of debianFiles(pkg, files)) {
      const name = `${pkg} ${basename(src)}`;
      place(src, join(debDir, name));
      expected.set(name, { label: pkg, name, path: join(debDir, name), indexed: supported(name), reference: await referenceDuration(src) });
    }
  }
  core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
  invoke = ipc(core);
  run = ipcRun(core);
  await invoke('library-add', { path: genDir });
  await invoke('library-add', { path: debDir });
  scan = await run('library-scan');
  for (const t of (await invoke('tracks-list', { limit: 1000 })).tracks) tracks.set(basename(t.path), t);
  await run('models-install', { source: TINY_PACK });
  await invoke('analysis-start', {});
  analysis = await run('analysis-wait');
}, 240_000);

afterAll(async () => {
  await core?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('real audio', () => {
  it('indexes every supported file and fails none', () => {
    const want = [...expected.values()].filter((e) => e.indexed);
    expect(scan).toMatchObject({ status: 'done', failed: 0, filesSeen: want.length, added: want.length });
    expect([...tracks.keys()].sort()).toEqual(want.map((e) => e.name).sort());
    expect([...tracks.values()].filter((t) => t.status !== 'ok').map((t) => `${t.path}: ${t.error}`)).toEqual([]);
  });

  const cases = [
    ...CORPUS_FILES.map((f) => ({ label: f.format, name: f.name })),
    ...DEBIAN_MUSIC.flatMap(({ pkg, files }) => files.map((f) => ({ label: pkg, name: `${pkg} ${f}` }))),
  ];

  it.each(cases)('$label ($name): duration within 1 % of the reference, tags, analysis', ({ name }) => {
    const e = expected.get(name) as Expected;
    const t = tracks.get(name);
    if (!e.indexed) {
      // formats.ts does not list the extension: the scanner must leave the file alone.
      expect(t).toBeUndefined();
      return;
    }
    expect(t, `${name} was not indexed`).toBeDefined();
    const track = t as Track;
    expect(track.status, `${name}: ${track.error}`).toBe('ok');
    const ref = e.reference.duration;
    expect(
      Math.abs((track.duration ?? 0) - ref),
      `${name}: stored ${track.duration} s, reference ${ref} s (${e.reference.source}; ffprobe format=duration ${e.reference.ffprobe} s)`,
    ).toBeLessThanOrEqual(ref * TOLERANCE);
    if (e.tags) expect({ title: track.title, artist: track.artist, album: track.album }).toEqual(e.tags);
    const failure = analysis.failures.find((f) => f.trackId === track.id);
    expect(failure?.error ?? null, `${name} failed analysis`).toBeNull();
  });

  it('analyses every indexed track: segments and scores for each', async () => {
    expect(analysis).toMatchObject({ failed: 0, cancelled: false, analyzed: tracks.size });
    for (const t of tracks.values()) {
      const s = await invoke('scores-track', { trackId: t.id });
      // Three evenly spread 10 s windows (the default quick policy), one for a track under 30 s.
      const windows = Math.min(3, Math.max(1, Math.floor((t.duration ?? 0) / 10)));
      expect(s.segments, basename(t.path)).toHaveLength(windows);
      expect(s.segments.every((seg) => seg.start + 10 <= Math.max(10, (t.duration ?? 0) + 1e-6))).toBe(true);
      expect(s.labels.length).toBeGreaterThan(0);
      for (const l of s.labels) expect(l.segmentScores).toHaveLength(windows);
    }
  });

  it('accepts a suggested tag, adds a manual one and lists them on real tracks', async () => {
    const ids = [...tracks.values()].sort((x, y) => x.path.localeCompare(y.path)).map((t) => t.id);
    const [a, b, c] = [ids[0], ids[Math.floor(ids.length / 2)], ids.at(-1)] as [number, number, number];
    const suggested = (await invoke('tags-suggest', { trackId: a })).suggestions;
    expect(suggested.length).toBeGreaterThan(0);
    const label = (suggested[0] as { label: string }).label;
    const accepted = await invoke('tags-accept', { trackIds: [a, b], label });
    expect(accepted.changed).toEqual([a, b]);
    await invoke('tags-add', { trackId: c, label: 'Rainy Sunday' });
    expect((await invoke('tags-suggest', { trackId: a })).suggestions.map((x) => x.label)).not.toContain(label);
    for (const [id, want] of [
      [a, { label, source: 'accepted' }],
      [b, { label, source: 'accepted' }],
      [c, { label: 'Rainy Sunday', source: 'manual' }],
    ] as const) {
      expect((await invoke('tags-list', { trackId: id })).tags).toEqual([expect.objectContaining({ trackId: id, ...want })]);
    }
  });
});
