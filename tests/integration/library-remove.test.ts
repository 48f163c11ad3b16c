// Removing a library folder must not lose what the person made: tags, rejections and analyses are kept by
// content fingerprint and restored when the folder is added back; --purge deletes them.
import { describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/index.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

function count(core: Core, sql: string): number {
  return (core.context.db.prepare(sql).get() as { n: number }).n;
}

async function idsByPath(core: Core): Promise<Map<string, number>> {
  return new Map((await core.invoke('tracks-list', { limit: 1000 })).tracks.map((t) => [t.path, t.id]));
}

describe('removing a library folder', () => {
  it('keeps tags, rejections and analyses by content; adding the folder back restores them; --purge deletes them', async () => {
    const root = tempDir();
    const { core, lib } = await analysedLibrary(root, 6);
    try {
      const before = await idsByPath(core);
      const [a, b] = [...before.entries()];
      await core.invoke('tags-add', { trackId: a?.[1] as number, label: 'rainy sunday' });
      await core.invoke('tags-reject', { trackId: b?.[1] as number, label: 'calm' });
      const topBefore = await core.invoke('scores-top', { label: 'rainy sunday', limit: 6 });
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(6);

      expect(await core.invoke('library-remove', { path: lib.root })).toMatchObject({ tracksRemoved: 6, kept: 6 });
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_tags')).toBe(0);
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(0);

      await core.invoke('library-add', { path: lib.root });
      expect(await core.run('library-scan')).toMatchObject({ added: 6, failed: 0 });
      const after = await idsByPath(core);
      expect((await core.invoke('tags-list', { trackId: after.get(a?.[0] as string) as number })).tags.map((t) => t.label)).toEqual([
        'rainy sunday',
      ]);
      expect((await core.invoke('tags-list', { trackId: after.get(b?.[0] as string) as number })).rejected).toEqual(['calm']);
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(6);
      expect(count(core, 'SELECT COUNT(*) AS n FROM segment_embeddings')).toBeGreaterThanOrEqual(6);
      expect(count(core, 'SELECT COUNT(*) AS n FROM kept_track_embeddings')).toBe(0);
      // Nothing to re-analyse, and the scores are the same tracks in the same order under their new ids.
      expect(await core.invoke('analysis-start', {})).toMatchObject({ queued: 0 });
      const topAfter = await core.invoke('scores-top', { label: 'rainy sunday', limit: 6 });
      expect(topAfter.map((t) => t.track.path)).toEqual(topBefore.map((t) => t.track.path));
      expect(topAfter.map((t) => t.score)).toEqual(topBefore.map((t) => t.score));
      expect(topAfter).toHaveLength(6);

      expect(await core.invoke('library-remove', { path: lib.root, purge: true })).toMatchObject({ tracksRemoved: 6, kept: 0 });
      await core.invoke('library-add', { path: lib.root });
      await core.run('library-scan');
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_tags')).toBe(0);
      expect(count(core, 'SELECT COUNT(*) AS n FROM tag_rejections')).toBe(0);
      expect(count(core, 'SELECT COUNT(*) AS n FROM track_embeddings')).toBe(0);
    } finally {
      await core.close();
    }
  });
});
