import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { alignVocabularies, defaultAlignmentSettings } from '../../src/core/labels/alignment.js';
import { CAL500, MTG_JAMENDO } from '../../src/core/labels/vocabularies.js';
import { cli } from '../support/cli.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';
import { refusedMessage } from '../support/refused.js';

const tempDir = useTempDirs();

async function withPack<T>(fn: (core: Core, dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = join(tempDir(), 'data');
  const core = await createCore({ dataDir, threads: 1 });
  try {
    await core.run('models-install', { source: TINY_PACK });
    return await fn(core, dataDir);
  } finally {
    await core.close();
  }
}

describe('label alignment', () => {
  it("uses the paper's settings per vocabulary pair", () => {
    expect(defaultAlignmentSettings(['mtg-jamendo', 'cal500'], 73)).toEqual({ quantile: 0.03, nSamples: 73 });
    expect(defaultAlignmentSettings(['emotify', 'mtg-jamendo'], 65)).toEqual({ quantile: 0.025, nSamples: 65 });
    expect(defaultAlignmentSettings(['user'], 5)).toEqual({ quantile: 0.03, nSamples: 5 });
  });

  it('clusters vocabularies, stores the result and recomputes when a vocabulary changes', async () => {
    await withPack(async (core) => {
      const first = await core.run('labels-align', { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(first).toMatchObject({ cached: false, quantile: 0.03, nSamples: 73, vocabularies: ['mtg-jamendo', 'cal500'] });
      // The tiny pack's 32-d encoder is not the paper's: the built-in labels are embedded as bare strings.
      expect(first.builtinVectors).toBe('encoder');
      const texts = core.context.db.prepare('SELECT text FROM label_embeddings WHERE encoder_key = ?').pluck().all(first.encoderKey);
      expect(new Set(texts)).toEqual(new Set([...MTG_JAMENDO.labels, ...CAL500.labels]));
      expect(first.labels).toHaveLength(73);
      expect(first.labels.slice(0, 2).map((l) => l.name)).toEqual(['action', 'adventure']);
      expect(first.clusters.flatMap((c) => c.members)).toHaveLength(73);
      for (const l of first.labels) expect(first.clusters[l.cluster]?.members).toContainEqual({ vocabulary: l.vocabulary, name: l.name });
      const again = await core.run('labels-align', { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(again).toEqual({ ...first, cached: true });

      const all1 = await core.run('labels-align');
      expect(all1.labels).toHaveLength(82);
      const added = await core.invoke('labels-add', { text: 'rainy sunday' });
      expect(added.cluster?.members).toContainEqual({ vocabulary: 'user', name: 'rainy sunday' });
      const all2 = await core.run('labels-align');
      expect(all2.cached).toBe(true); // labels-add computed and stored it already
      expect(all2.labels).toHaveLength(83);
      await core.invoke('labels-remove', { text: 'rainy sunday' });
      expect((await core.run('labels-align')).labels).toHaveLength(82);
    });
  });

  it('runs labels-align as a job: a ticket at once, joined by the same work, listed, its result the alignment', async () => {
    await withPack(async (core) => {
      const params = { vocabularies: ['cal500', 'emotify'] };
      const ticket = core.handlers['labels-align'](params);
      expect(ticket).toEqual({ jobId: expect.any(String) as string, kind: 'labels-align', joined: false });
      expect(core.handlers['jobs-list']()[0]).toMatchObject({
        id: ticket.jobId,
        state: 'running',
        title: 'Aligning cal500 + emotify',
        cancellable: true,
      });
      expect(core.handlers['labels-align']({ ...params })).toEqual({ ...ticket, joined: true });

      const result = await core.jobs.wait(ticket);
      expect(result).toMatchObject({ cached: false, vocabularies: ['cal500', 'emotify'], quantile: 0.04, nSamples: 26 });
      const listed = (await core.invoke('jobs-list')).find((j) => j.id === ticket.jobId);
      expect(listed).toMatchObject({ kind: 'labels-align', state: 'done', progress: { done: 3, total: 3 }, error: null });
      expect(listed?.result).toEqual(result);
      // The job ends with what the request/response handler used to return: the stored alignment.
      const { db, models, log } = core.context;
      expect(await alignVocabularies({ db, models, log }, params)).toEqual({ ...result, cached: true });
      // Served from the database, it is still a job (a new one: the first has finished).
      const again = await core.invoke('labels-align', params);
      expect(again.jobId).not.toBe(ticket.jobId);
      expect(await core.jobs.wait(again)).toEqual({ ...result, cached: true });
    });
  });

  it('fails bad alignment input before a job starts, and a cancelled alignment stores nothing', async () => {
    await withPack(async (core) => {
      await expect(core.invoke('labels-align', { vocabularies: ['nope'] })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      expect((await core.invoke('jobs-list')).filter((j) => j.kind === 'labels-align')).toEqual([]);

      const ticket = core.handlers['labels-align']({ vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(await core.invoke('jobs-cancel', { id: ticket.jobId })).toEqual({ cancelled: true });
      await expect(core.jobs.wait(ticket)).rejects.toMatchObject({ code: 'E_CANCELLED' });
      expect(core.jobs.get(ticket.jobId)).toMatchObject({ state: 'cancelled' });
      expect((await core.run('labels-align', { vocabularies: ['mtg-jamendo', 'cal500'] })).cached).toBe(false);
    });
  });

  it('refuses malformed label parameters with E_INVALID naming the handler and the parameter', async () => {
    const core = await createCore({ dataDir: join(tempDir(), 'data') });
    try {
      const refused = (name: string, params: unknown): Promise<string> => refusedMessage(core, name, params);
      expect(await refused('labels-align', { quantile: 0 })).toBe('labels-align: "quantile" must be a number in (0, 1]');
      expect(await refused('labels-align', { quantile: 1.5 })).toBe('labels-align: "quantile" must be a number in (0, 1]');
      expect(await refused('labels-align', { nSamples: 2.5 })).toBe('labels-align: "nSamples" must be an integer from 1 to 1000000');
      expect(await refused('labels-align', { vocabularies: 'cal500' })).toBe(
        'labels-align: "vocabularies" must be a list of vocabulary ids',
      );
      expect(await refused('labels-align', { vocabulary: ['cal500'] })).toBe('labels-align: "vocabulary" is not a parameter it takes');
      expect(await refused('labels-similar', { text: 'sad', limit: 0 })).toBe('labels-similar: "limit" must be an integer from 1 to 1000');
      expect(await refused('labels-add', { text: '  ' })).toBe('labels-add: "text" must be a non-empty string');
      expect(await refused('labels-update', { text: 'x', description: 3 })).toMatch(/^labels-update: "description" /);
      expect(await refused('labels-list', { vocabulary: '' })).toBe('labels-list: "vocabulary" must be a non-empty string');
      // A well-formed request gets past the check: without a pack, alignment says how to get one.
      expect(await core.invokeUntrusted('labels-align', [{ quantile: 1 }])).toMatchObject({ ok: false, error: { code: 'E_NO_PACK' } });
    } finally {
      await core.close();
    }
  });

  it('renames and describes a user label, moving its accepted tags, and refuses clashes', async () => {
    await withPack(async (core) => {
      await core.invoke('labels-add', { text: 'rainy sunday' });
      await core.invoke('labels-add', { text: 'road trip' });
      core.context.db.prepare("INSERT INTO library_folders (id, path) VALUES (1, '/m')").run();
      core.context.db
        .prepare("INSERT INTO tracks (id, folder_id, path, size, mtime_ms, status) VALUES (1, 1, '/m/a.mp3', 1, 1, 'ok')")
        .run();
      core.context.db.prepare("INSERT INTO track_tags (track_id, label, source) VALUES (1, 'rainy sunday', 'accepted')").run();
      const updated = await core.invoke('labels-update', {
        text: 'rainy sunday',
        newText: 'rainy  Sunday ',
        description: 'grey skies, slow piano',
      });
      expect(updated).toEqual({ vocabulary: 'user', name: 'rainy Sunday', description: 'grey skies, slow piano', builtin: false });
      expect(core.context.db.prepare('SELECT label FROM track_tags').all()).toEqual([{ label: 'rainy Sunday' }]);
      expect(await core.invoke('labels-update', { text: 'rainy Sunday', description: null })).toMatchObject({ description: null });
      await expect(core.invoke('labels-update', { text: 'rainy Sunday', newText: 'road trip' })).rejects.toThrow(
        /already a label: "road trip" in your labels/,
      );
      await expect(core.invoke('labels-update', { text: 'nope' })).rejects.toThrow(/No label "nope"/);
    });
  });

  it('reports and replaces a collapsed bandwidth (MTG + Emotify at quantile 0.025)', async () => {
    await withPack(async (core) => {
      const r = await core.run('labels-align', { vocabularies: ['mtg-jamendo', 'emotify'] });
      expect(r.estimatedBandwidth).toBeLessThan(1e-6);
      expect(r.fallback).toBe(true);
      expect(r.reason).toMatch(/collapsed|neighbour/);
      expect(r.bandwidth).toBeGreaterThan(0.01);
    });
  });

  it('draws the same 2-D map in every run', async () => {
    const a = await withPack((core) => core.run('labels-align', { vocabularies: ['cal500', 'emotify'] }));
    const b = await withPack((core) => core.run('labels-align', { vocabularies: ['cal500', 'emotify'] }));
    expect(b.labels).toEqual(a.labels);
  });

  it('works from the CLI: labels align --json, labels similar, labels cluster --vectors', async () => {
    await withPack(async (_core, dataDir) => {
      await _core.close();
      const align = await cli(['--data-dir', dataDir, 'labels', 'align', '--vocab', 'mtg-jamendo', '--vocab', 'cal500', '--json']);
      expect(align.code).toBe(0);
      const aligned = JSON.parse(align.out) as { clusters: unknown[]; bandwidth: number };
      expect(aligned.clusters.length).toBeGreaterThan(1);
      const similar = await cli(['--data-dir', dataDir, 'labels', 'similar', 'happy', '-n', '4']);
      expect(similar.code).toBe(0);
      expect(similar.out.split('\n')[0]).toMatch(/^1\.000 {2}happy {2}\((mtg-jamendo|cal500)\)$/);
      const file = join(dataDir, 'vectors.json');
      writeFileSync(
        file,
        JSON.stringify({
          labels: ['a', 'b', 'c', 'd', 'e', 'f'],
          vectors: [
            [0, 0],
            [0, 0.1],
            [0.1, 0],
            [5, 5],
            [5, 5.1],
            [5.1, 5],
          ],
        }),
      );
      const clustered = await cli(['--data-dir', dataDir, 'labels', 'cluster', '--vectors', file, '--quantile', '0.5', '--json']);
      expect(clustered.code).toBe(0);
      expect(
        (JSON.parse(clustered.out) as { clusters: { members: string[] }[] }).clusters
          .map((c) => c.members.sort())
          .sort((x, y) => (x[0] ?? '').localeCompare(y[0] ?? '')),
      ).toEqual([
        ['a', 'b', 'c'],
        ['d', 'e', 'f'],
      ]);
      writeFileSync(file, '{"labels": ["a"], "vectors": [[1, 2], [3]]}');
      const bad = await cli(['--data-dir', dataDir, 'labels', 'cluster', '--vectors', file]);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain(file);
    });
  });
});
