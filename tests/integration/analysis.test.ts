import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import type { FeatureExport } from '../../src/core/analysis/export.js';
import type { JobTicket } from '../../src/core/kernel/jobs.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';
import { writeSineWav } from '../support/wav.js';

const tempDir = useTempDirs();

async function libraryWithPack(root: string, count: number, opts: { autoAnalyze?: boolean } = {}): Promise<Core> {
  const lib = generateLibrary(join(root, 'lib'), count, 0);
  const core = await createCore({ dataDir: join(root, 'data'), threads: 1, ...opts });
  await core.invoke('library-add', { path: lib.root });
  await core.run('library-scan');
  await core.run('models-install', { source: TINY_PACK });
  return core;
}

function count(core: Core, sql: string, ...args: unknown[]): number {
  return (core.context.db.prepare(sql).get(...args) as { n: number }).n;
}

describe('analysis queue', () => {
  it('analyses a library, records failures with reasons and goes on', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 12);
    try {
      const victim = (await core.invoke('tracks-list', { limit: 1 })).tracks[0];
      unlinkSync(victim?.path as string);
      const progress: number[] = [];
      core.events.on('analysis-progress', (p) => progress.push(p.done));
      expect(await core.invoke('analysis-start', {})).toMatchObject({ queued: 12, kind: 'analysis', joined: false });
      const summary = await core.run('analysis-wait');
      expect(summary).toMatchObject({ analyzed: 11, failed: 1, segments: 11, cancelled: false });
      expect(summary.failures[0]).toMatchObject({ trackId: victim?.id, error: 'The file is no longer on disk' });
      const status = await core.invoke('analysis-status');
      expect(status).toMatchObject({ state: 'idle', queued: 0, counts: { analyzed: 11, failed: 1, queued: 0, segments: 11 } });
      expect(progress.at(-1)).toBe(12);
      // Nothing new to queue: analysed and failed tracks are not queued again.
      expect(await core.invoke('analysis-start', {})).toMatchObject({ queued: 0 });
    } finally {
      await core.close();
    }
  });

  it('starts again after a start that found nothing to do (the queue never sticks at "idle, N queued")', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 2);
    try {
      await core.invoke('analysis-start', {});
      await core.run('analysis-wait');
      // Nothing queued: this run ends before it has begun.
      expect(await core.invoke('analysis-start', {})).toMatchObject({ queued: 0 });
      await core.run('analysis-wait');
      core.context.db.prepare('DELETE FROM track_embeddings').run();
      core.context.db.prepare('DELETE FROM segment_embeddings').run();
      expect(await core.invoke('analysis-start', {})).toMatchObject({ queued: 2 });
      const summary = await core.run('analysis-wait');
      expect(summary).toMatchObject({ analyzed: 2, failed: 0 });
      expect(await core.invoke('analysis-status')).toMatchObject({ state: 'idle', queued: 0 });
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(2);
    } finally {
      await core.close();
    }
  });

  it('cuts quick and full segment plans and reuses quick results for full', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    writeSineWav(join(lib, 'long.wav'), 35.5, 330);
    writeSineWav(join(lib, 'short.wav'), 4, 550);
    const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
    try {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      await core.run('models-install', { source: TINY_PACK });
      await core.invoke('analysis-start', { policy: 'quick:2' });
      expect(await core.run('analysis-wait')).toMatchObject({ analyzed: 2, segments: 3 });
      const seg = (name: string) =>
        (
          core.context.db
            .prepare(
              'SELECT s.segment_index AS i FROM segment_embeddings s JOIN tracks t ON t.id = s.track_id WHERE t.path LIKE ? ORDER BY i',
            )
            .all(`%${name}`) as { i: number }[]
        ).map((r) => r.i);
      expect(seg('long.wav')).toEqual([0, 2]);
      expect(seg('short.wav')).toEqual([0]);
      await core.invoke('analysis-start', { policy: 'full' });
      // Only the missing window of the long track is decoded; the short track is already complete.
      expect(await core.run('analysis-wait')).toMatchObject({ analyzed: 2, segments: 1 });
      expect(seg('long.wav')).toEqual([0, 1, 2]);
      const longId = (await core.invoke('tracks-list', { search: undefined })).tracks.find((t) => t.path.endsWith('long.wav'))
        ?.id as number;
      const scores = await core.invoke('scores-track', { trackId: longId, vocabulary: 'emotify' });
      expect(scores.segments.map((s) => s.start)).toEqual([0, 10, 20]);
      expect(scores.labels[0]?.segmentScores).toHaveLength(3);
      const l = scores.labels[0];
      expect(l?.score).toBeCloseTo((l?.segmentScores.reduce((a, b) => a + b, 0) ?? 0) / 3, 5);
      expect(scores.tags[0]?.labels).toHaveLength(3);
    } finally {
      await core.close();
    }
  });

  it('pauses, resumes and cancels', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 20);
    try {
      // Pause after the first track (waiting for it, not for a fixed time: a loaded machine is slow to start).
      const pausedAfterOne = new Promise<void>((done) => {
        const off = core.events.on('analysis-track-done', () => {
          off();
          core.invoke('analysis-pause').then(() => done(), done);
        });
      });
      core.context.analysis.start({});
      await pausedAfterOne;
      await new Promise((r) => setTimeout(r, 100));
      const s1 = await core.invoke('analysis-status');
      expect(s1.state).toBe('paused');
      // A paused queue tells no time left (the app and the CLI would show a stale estimate).
      expect(s1.etaSeconds).toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      expect((await core.invoke('analysis-status')).counts?.analyzed).toBe(s1.counts?.analyzed);
      await core.invoke('analysis-resume');
      expect((await core.run('analysis-wait')).cancelled).toBe(false);
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(20);

      rmSync(join(root, 'data', 'never'), { force: true });
      core.context.db.prepare('DELETE FROM track_embeddings').run();
      core.context.db.prepare('DELETE FROM segment_embeddings').run();
      core.events.on('analysis-track-done', () => void core.invoke('analysis-cancel'));
      await core.invoke('analysis-start', {});
      const summary = await core.run('analysis-wait');
      expect(summary.cancelled).toBe(true);
      expect(count(core, 'SELECT COUNT(*) AS n FROM analysis_queue')).toBe(0);
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBeLessThan(20);
    } finally {
      await core.close();
    }
  });

  it('runs the queue as one job: listed by jobs-list, joined by later starts, cancelled by jobs-cancel like analysis-cancel', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 20);
    try {
      const firstDone = new Promise<void>((done) => {
        const off = core.events.on('analysis-track-done', () => {
          off();
          done();
        });
      });
      const first = await core.invoke('analysis-start', {});
      expect(first).toMatchObject({ queued: 20, kind: 'analysis', joined: false });
      expect(await core.invoke('analysis-start', { trackIds: [] })).toStrictEqual({
        queued: 0,
        jobId: first.jobId,
        kind: 'analysis',
        joined: true,
      });
      expect(await core.invoke('analysis-wait')).toStrictEqual({ jobId: first.jobId, kind: 'analysis', joined: true });
      const listed = (await core.invoke('jobs-list')).filter((j) => j.kind === 'analysis');
      expect(listed).toEqual([
        expect.objectContaining({ id: first.jobId, state: 'running', cancellable: true, title: 'Analysing the library' }),
      ]);
      await firstDone;
      const running = await core.invoke('jobs-get', { id: first.jobId });
      expect(running.progress).toMatchObject({ total: 20, message: expect.stringMatching(/^Analysing \d+ of 20 tracks/) });

      expect(await core.invoke('jobs-cancel', { id: first.jobId })).toEqual({ cancelled: true });
      await expect(core.jobs.wait(first)).rejects.toMatchObject({ code: 'E_CANCELLED' });
      expect(core.jobs.get(first.jobId)?.state).toBe('cancelled');
      // The queue was cancelled as analysis-cancel does: emptied, the stored results kept.
      expect(count(core, 'SELECT COUNT(*) AS n FROM analysis_queue')).toBe(0);
      expect(await core.invoke('analysis-status')).toMatchObject({ state: 'idle', queued: 0 });
      const analysed = count(core, 'SELECT COUNT(*) AS n FROM track_embeddings');
      expect(analysed).toBeGreaterThanOrEqual(1);
      expect(analysed).toBeLessThan(20);

      // Idle: analysis-wait is a job that ends at once with what the last run did.
      const idle = await core.invoke('analysis-wait');
      expect(idle).toMatchObject({ kind: 'analysis', joined: false });
      expect(idle.jobId).not.toBe(first.jobId);
      expect(await core.jobs.wait(idle)).toMatchObject({ cancelled: true, analyzed: analysed });
      expect(core.jobs.get(idle.jobId)?.state).toBe('done');
    } finally {
      await core.close();
    }
  });

  it('a closed analysis service keeps the queue for the next session, even when the job registry cancels its job afterwards', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 20);
    const started = await core.invoke('analysis-start', {});
    await new Promise<void>((done) => {
      const off = core.events.on('analysis-track-done', () => {
        off();
        done();
      });
    });
    // What the core's close does: stop the analysis, then cancel the jobs still running.
    await core.context.analysis.close();
    expect(core.context.analysis.cancel()).toEqual({ cleared: 0 });
    core.jobs.cancel(started.jobId);
    await core.close();
    const again = await createCore({ dataDir: join(root, 'data'), threads: 1 });
    try {
      const analysed = count(again, 'SELECT COUNT(*) AS n FROM track_embeddings');
      expect(analysed).toBeLessThan(20);
      expect(analysed + count(again, 'SELECT COUNT(*) AS n FROM analysis_queue')).toBe(20);
    } finally {
      await again.close();
    }
  });

  it('checks its parameters at the boundary', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 1);
    try {
      await expect(core.invoke('analysis-start', { policy: 'slow' })).rejects.toThrow(
        /analysis-start: "policy" must be quick, quick:N or full/,
      );
      await expect(core.invoke('analysis-start', { trackIds: [0] })).rejects.toThrow(/analysis-start: "trackIds\.0" /);
      await expect(core.invoke('analysis-start', { policy: 'quick:0' })).rejects.toThrow(/quick:N needs 1 <= N <= 1000/);
      await expect(core.invoke('scores-top', { label: 'calm', limit: 0 })).rejects.toThrow(
        /scores-top: "limit" must be an integer from 1 to 100000/,
      );
      await expect(core.invoke('scores-track', { trackId: 1.5 })).rejects.toThrow(/scores-track: "trackId" must be an integer/);
      expect(await core.invokeUntrusted('analysis-pause', [{ now: true }])).toStrictEqual({
        ok: false,
        error: { code: 'E_INVALID', message: 'analysis-pause: takes no parameters' },
      });
      expect(count(core, 'SELECT COUNT(*) AS n FROM analysis_queue')).toBe(0);
    } finally {
      await core.close();
    }
  });

  it('two `moodshelf analyze` processes on one library share the queue: every track analysed once, integrity ok', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 16);
    core.context.analysis.cancel();
    await core.close();
    const dataDir = join(root, 'data');
    const bin = resolve(import.meta.dirname, '../../bin/moodshelf.js');
    const runCli = () =>
      new Promise<{ analyzed: number; failed: number }>((done, fail) => {
        const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'analyze', '--json']);
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('error', fail);
        child.once('exit', (code) =>
          code === 0 ? done(JSON.parse(out) as { analyzed: number; failed: number }) : fail(new Error(`exit ${code}: ${err}`)),
        );
      });
    const [a, b] = await Promise.all([runCli(), runCli()]);
    expect(a.failed + b.failed).toBe(0);
    expect(a.analyzed + b.analyzed).toBe(16);
    const db = new Database(join(dataDir, 'moodshelf.db'), { readonly: true });
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM track_embeddings').get() as { n: number }).n).toBe(16);
      expect((db.prepare('SELECT COUNT(*) AS n FROM analysis_queue').get() as { n: number }).n).toBe(0);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 120_000);

  it('survives being killed mid-run: the queue resumes on restart and loses at most the track in flight', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 40);
    core.context.analysis.cancel();
    await core.close();
    const dataDir = join(root, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../support/analyze-child.ts'), dataDir], {
      stdio: 'ignore',
    });
    const db = new Database(join(dataDir, 'moodshelf.db'), { readonly: true });
    const analysed = () => (db.prepare('SELECT COUNT(*) AS n FROM track_embeddings').get() as { n: number }).n;
    const deadline = Date.now() + 30_000;
    while (analysed() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = analysed();
    const queued = (db.prepare('SELECT COUNT(*) AS n FROM analysis_queue').get() as { n: number }).n;
    db.close();
    expect(before).toBeGreaterThanOrEqual(3);
    expect(before + queued).toBe(40);
    expect(queued).toBeGreaterThan(0);
    const again = await createCore({ dataDir, threads: 1, autoAnalyze: true });
    try {
      const summary = await again.run('analysis-wait');
      expect(summary.analyzed).toBe(queued);
      expect(count(again, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(40);
      expect(count(again, 'SELECT COUNT(*) AS n FROM analysis_queue')).toBe(0);
    } finally {
      await again.close();
    }
  });

  it('scores a new label without decoding audio, and switching packs replaces results only when re-analysed', async () => {
    const root = tempDir();
    const core = await libraryWithPack(root, 10);
    try {
      await core.invoke('analysis-start', {});
      await core.run('analysis-wait');
      const tracks = (await core.invoke('tracks-list', {})).tracks;
      for (const t of tracks) unlinkSync(t.path);
      await core.invoke('labels-add', { text: 'rainy sunday' });
      const top = await core.invoke('scores-top', { label: 'rainy sunday', limit: 3 });
      expect(top).toHaveLength(3);
      expect(top[0]?.score).toBeGreaterThanOrEqual(top[1]?.score ?? 1);
      expect(top[0]?.percentile).toBe(100);
      const ranking = await core.invoke('scores-label', { label: 'rainy sunday' });
      expect(ranking.trackIds).toHaveLength(10);
      expect([...ranking.trackIds.slice(0, 3)]).toEqual(top.map((t) => t.track.id));
      expect([...ranking.scores.slice(0, 3)]).toEqual(top.map((t) => Math.fround(t.score)));
      expect([...ranking.scores]).toEqual([...ranking.scores].sort((a, b) => b - a));
      expect(ranking.percentiles[0]).toBe(100);
      expect(ranking.percentiles.at(-1)).toBe(10);

      // A second pack (same files, another id): switching queues everything, old results stay meanwhile.
      const other = join(root, 'other-pack');
      cpSync(TINY_PACK, other, { recursive: true });
      const m = JSON.parse(readFileSync(join(other, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(other, 'manifest.json'), JSON.stringify({ ...m, id: 'tiny-other' }));
      await core.run('models-install', { source: other });
      core.context.analysis.pause();
      const used = await core.invoke('models-use', { ref: 'tiny-other' });
      expect(used.queued).toBe(10);
      expect(count(core, "SELECT COUNT(*) AS n FROM track_embeddings WHERE pack_key = 'tiny-joint@1.0.0'")).toBe(10);
      core.context.analysis.resume();
      // The files are gone, so re-analysis fails for each; the old results are kept, not dropped.
      const s = await core.run('analysis-wait');
      expect(s.failed).toBe(10);
      expect(count(core, "SELECT COUNT(*) AS n FROM track_embeddings WHERE pack_key = 'tiny-joint@1.0.0'")).toBe(10);
    } finally {
      await core.close();
    }
  });
});

describe('feature export', () => {
  it('runs as a job into a folder, never replaces an export silently, and writes from the page only where a grant says', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 3);
    try {
      const out = join(root, 'features');
      const ticket = await core.invoke('analysis-export-features', { target: out });
      expect(ticket).toMatchObject({ kind: 'analysis-export-features', joined: false });
      const first = await core.jobs.wait(ticket);
      expect(first).toMatchObject({ outDir: out, packKey: 'tiny-joint@1.0.0', tracks: 3, skipped: [] });
      expect(first.shape).toEqual([first.segments, 3, 32]);
      expect(core.jobs.get(ticket.jobId)?.progress).toMatchObject({ done: 3, total: 3 });
      const files = ['export.json', 'features.npy', 'labels.json', 'segments.json'];
      expect(readdirSync(out).sort()).toEqual(files);

      // Cancelled: the folder is left as it was (no partial features.npy).
      const cancelled = join(root, 'cancelled');
      const doomed = await core.invoke('analysis-export-features', { target: cancelled });
      expect(await core.invoke('jobs-cancel', { id: doomed.jobId })).toEqual({ cancelled: true });
      await expect(core.jobs.wait(doomed)).rejects.toMatchObject({ code: 'E_CANCELLED' });
      expect(existsSync(cancelled) ? readdirSync(cancelled) : []).toEqual([]);

      // An export is there: refused at once (no job), unless overwrite.
      writeFileSync(join(out, 'export.json'), 'mine');
      await expect(core.invoke('analysis-export-features', { target: out })).rejects.toMatchObject({
        code: 'E_EXISTS',
        message: expect.stringContaining(`${out} already holds a feature export (features.npy, export.json)`),
      });
      expect(readFileSync(join(out, 'export.json'), 'utf8')).toBe('mine');
      expect(core.jobs.list().filter((j) => j.kind === 'analysis-export-features')).toHaveLength(2);
      expect(await core.run('analysis-export-features', { target: out, overwrite: true })).toMatchObject({ tracks: 3 });
      expect(JSON.parse(readFileSync(join(out, 'export.json'), 'utf8'))).toMatchObject({ packKey: 'tiny-joint@1.0.0' });
      expect(readdirSync(out).sort()).toEqual(files);

      // From the page: a path is refused, and a folder grant's own overwrite decides (not the page's flag).
      const elsewhere = join(root, 'elsewhere');
      for (const params of [{ target: elsewhere }, { target: out, overwrite: true }])
        expect(await core.invokeUntrusted('analysis-export-features', [params])).toMatchObject({
          ok: false,
          error: { code: 'E_FORBIDDEN' },
        });
      expect(existsSync(elsewhere)).toBe(false);
      const keep = core.grantWrite(out, 'folder', false);
      expect(await core.invokeUntrusted('analysis-export-features', [{ target: keep.token, overwrite: true }])).toMatchObject({
        ok: false,
        error: { code: 'E_EXISTS' },
      });
      const file = core.grantWrite(join(root, 'features.npy'), 'file', true);
      expect(await core.invokeUntrusted('analysis-export-features', [{ target: file.token }])).toMatchObject({
        ok: false,
        error: { code: 'E_FORBIDDEN' },
      });
      const replace = core.grantWrite(out, 'folder', true);
      const reply = await core.invokeUntrusted('analysis-export-features', [{ target: replace.token }]);
      if (!reply.ok) throw new Error(reply.error.message);
      expect(await core.jobs.wait(reply.value as JobTicket<FeatureExport>)).toMatchObject({ outDir: out, tracks: 3 });
    } finally {
      await core.close();
    }
  });
});
