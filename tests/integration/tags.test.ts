import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createCore, type Core } from '../../src/core/index.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { useTempDirs } from '../support/temp.js';
import { refusedMessage } from '../support/refused.js';

const tempDir = useTempDirs();

async function trackIds(core: Core): Promise<number[]> {
  return (await core.invoke('tracks-list', { sort: 'path' })).tracks.map((t) => t.id);
}

async function tagLabels(core: Core, trackId: number): Promise<string[]> {
  return (await core.invoke('tags-list', { trackId })).tags.map((t) => t.label).sort();
}

describe('tags', () => {
  it('accepts in batches, rejects, adds and removes, with multi-level undo and redo', async () => {
    const { core } = await analysedLibrary(tempDir(), 4);
    try {
      const [a, b, c] = await trackIds(core);
      const events: number[][] = [];
      core.events.on('tags-changed', (e) => events.push(e.trackIds));

      const accepted = await core.invoke('tags-accept', { trackIds: [a as number, b as number], label: '  calm ' });
      expect(accepted.changed).toEqual([a, b]);
      expect(accepted.operation).toMatchObject({ kind: 'accept', label: 'calm', undone: false });
      expect((await core.invoke('tags-list', { trackId: a as number })).tags).toEqual([
        expect.objectContaining({ trackId: a, label: 'calm', source: 'accepted' }),
      ]);
      const tagTime = (await core.invoke('tags-list', { trackId: b as number })).tags[0]?.createdAt;
      // Accepting again changes nothing and logs nothing; tags compare case-insensitively.
      expect(await core.invoke('tags-accept', { trackId: a as number, label: 'CALM' })).toEqual({ operation: null, changed: [] });

      await core.invoke('tags-add', { trackId: c as number, label: 'Rainy Sunday' });
      await core.invoke('tags-reject', { trackId: a as number, label: 'calm' });
      expect(await core.invoke('tags-list', { trackId: a as number })).toMatchObject({ tags: [], rejected: ['calm'] });
      await core.invoke('tags-remove', { trackId: c as number, label: 'rainy sunday' });
      expect(await tagLabels(core, c as number)).toEqual([]);
      expect(events).toEqual([[a, b], [c], [a], [c]]);

      // Undo step by step, newest first.
      expect(await core.invoke('tags-undo')).toMatchObject({ kind: 'remove', undone: true });
      expect(await tagLabels(core, c as number)).toEqual(['Rainy Sunday']);
      expect(await core.invoke('tags-undo')).toMatchObject({ kind: 'reject' });
      expect(await core.invoke('tags-list', { trackId: a as number })).toMatchObject({
        tags: [{ label: 'calm', source: 'accepted' }],
        rejected: [],
      });
      expect(await core.invoke('tags-undo')).toMatchObject({ kind: 'add' });
      expect(await core.invoke('tags-undo')).toMatchObject({ kind: 'accept', trackIds: [a, b] });
      expect(await tagLabels(core, a as number)).toEqual([]);
      expect(await tagLabels(core, b as number)).toEqual([]);
      expect(await core.invoke('tags-undo')).toBeNull();

      // Redo in the original order restores exactly (same created time).
      expect(await core.invoke('tags-redo')).toMatchObject({ kind: 'accept' });
      expect(await core.invoke('tags-redo')).toMatchObject({ kind: 'add' });
      expect((await core.invoke('tags-list', { trackId: b as number })).tags).toEqual([
        { trackId: b, label: 'calm', source: 'accepted', createdAt: tagTime },
      ]);

      // A new operation drops the redo branch.
      await core.invoke('tags-add', { trackId: b as number, label: 'party' });
      expect(await core.invoke('tags-redo')).toBeNull();
      const history = await core.invoke('tags-history', { limit: 10 });
      expect(history.map((h) => h.kind)).toEqual(['add', 'add', 'accept']);
      expect(history.every((h) => !h.undone)).toBe(true);
    } finally {
      await core.close();
    }
  });

  it('suggests the song-level vote labels, minus accepted and rejected ones', async () => {
    const { core } = await analysedLibrary(tempDir(), 3);
    try {
      const [id] = await trackIds(core);
      const trackId = id as number;
      const scores = await core.invoke('scores-track', { trackId });
      const voted = scores.tags.flatMap((v) => v.labels.map((l) => l.label));
      const first = await core.invoke('tags-suggest', { trackId });
      expect(first.suggestions.length).toBeGreaterThan(1);
      // Merged by aligned concept: every voted label is a suggestion or related to one, once.
      const shown = first.suggestions.flatMap((s) => [s.label, ...s.related.map((r) => r.label)]);
      expect(new Set(shown)).toEqual(new Set(voted));
      expect(first.suggestions.map((s) => s.votes)).toEqual([...first.suggestions.map((s) => s.votes)].sort((x, y) => y - x));

      const [top, second] = first.suggestions;
      await core.invoke('tags-accept', { trackId, label: top?.label as string });
      await core.invoke('tags-reject', { trackId, label: second?.label as string });
      const after = await core.invoke('tags-suggest', { trackId });
      const labels = after.suggestions.map((s) => s.label);
      expect(labels).not.toContain(top?.label);
      expect(labels).not.toContain(second?.label);
      expect(labels).toHaveLength(first.suggestions.length - 2);

      // One vocabulary only.
      const emotify = await core.invoke('tags-suggest', { trackId, vocabulary: 'emotify' });
      expect(emotify.suggestions.every((s) => s.vocabulary === 'emotify')).toBe(true);
      // Undoing the rejection brings the suggestion back.
      await core.invoke('tags-undo');
      expect((await core.invoke('tags-suggest', { trackId })).suggestions.map((s) => s.label)).toContain(second?.label);
    } finally {
      await core.close();
    }
  });

  it('validates parameters and refuses unknown tracks without half-applying a batch', async () => {
    const { core } = await analysedLibrary(tempDir(), 2);
    try {
      const [a] = await trackIds(core);
      expect(await core.invokeUntrusted('tags-accept', [{ trackIds: [], label: 'x' }])).toMatchObject({
        ok: false,
        error: { code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('tags-accept', [{ trackId: a, trackIds: [a], label: 'x' }])).toMatchObject({
        ok: false,
        error: { message: 'tags-accept: give "trackId" or "trackIds", not both' },
      });
      expect(await core.invokeUntrusted('tags-add', [{ trackId: a, label: '   ' }])).toMatchObject({
        ok: false,
        error: { code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('tags-accept', [{ trackIds: [a, 9999], label: 'calm' }])).toEqual({
        ok: false,
        error: { message: 'No track with id 9999', code: 'E_NOT_FOUND' },
      });
      expect(await tagLabels(core, a as number)).toEqual([]);
      expect(await core.invokeUntrusted('tags-suggest', [{ trackId: 9999 }])).toMatchObject({
        ok: false,
        error: { code: 'E_NOT_ANALYZED' },
      });
    } finally {
      await core.close();
    }
  });

  it('refuses malformed tag parameters with E_INVALID naming the handler and the parameter, before any work', async () => {
    const core = await createCore({ dataDir: join(tempDir(), 'data') });
    try {
      const events: unknown[] = [];
      core.events.on('tags-changed', (e) => events.push(e));
      const refused = (name: string, params: unknown): Promise<string> => refusedMessage(core, name, params);
      expect(await refused('tags-history', { limit: 501 })).toBe('tags-history: "limit" must be an integer from 1 to 500');
      expect(await refused('tags-list', { trackId: '1' })).toBe('tags-list: "trackId" must be an integer from 1 to 9007199254740991');
      expect(await refused('tags-accept', { label: 'calm' })).toBe('tags-accept: give "trackId" or "trackIds"');
      expect(await refused('tags-add', { trackIds: [1, 0], label: 'calm' })).toMatch(/^tags-add: "trackIds\.1" /);
      expect(await refused('tags-remove', { trackId: 1, label: 'calm', labels: ['x'] })).toBe(
        'tags-remove: "labels" is not a parameter it takes',
      );
      expect(await refused('tags-suggest', { trackId: 1, vocabulary: 'x\0' })).toBe('tags-suggest: "vocabulary" contains a NUL character');
      expect(await refused('tags-undo', { steps: 2 })).toBe('tags-undo: "steps" is not a parameter it takes');
      expect(events).toEqual([]);
      expect(await core.invoke('tags-history')).toEqual([]);
    } finally {
      await core.close();
    }
  });

  it('undoes and redoes one operation by id (the Undo of a toast), refusing when a later change to the same tags is in effect', async () => {
    const { core } = await analysedLibrary(tempDir(), 3);
    try {
      const [a, b] = (await trackIds(core)) as [number, number];
      const calm = (await core.invoke('tags-add', { trackIds: [a, b], label: 'calm' })).operation!;
      const dark = (await core.invoke('tags-add', { trackId: a, label: 'dark' })).operation!;
      const calmAgain = (await core.invoke('tags-reject', { trackId: b, label: 'Calm' })).operation!;
      // "dark" is the latest on track a, but undoing "calm" by id leaves it alone... except that a later
      // rejection of calm on b is still in effect: refused, nothing changed.
      await expect(core.invoke('tags-undo', { id: calm.id })).rejects.toMatchObject({
        code: 'E_CONFLICT',
        message: expect.stringContaining('reject "Calm"'),
      });
      expect(await tagLabels(core, a)).toEqual(['calm', 'dark']);
      await core.invoke('tags-undo', { id: calmAgain.id });
      // Now the older batch can be undone exactly, under the later, unrelated "dark".
      expect(await core.invoke('tags-undo', { id: calm.id })).toMatchObject({ id: calm.id, undone: true });
      expect(await tagLabels(core, a)).toEqual(['dark']);
      expect(await tagLabels(core, b)).toEqual([]);
      await expect(core.invoke('tags-undo', { id: calm.id })).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await expect(core.invoke('tags-undo', { id: 99999 })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
      expect(await core.invoke('tags-redo', { id: calm.id })).toMatchObject({ id: calm.id, undone: false });
      expect(await tagLabels(core, b)).toEqual(['calm']);
      expect((await core.invoke('tags-history')).find((o) => o.id === dark.id)).toMatchObject({ undone: false });
    } finally {
      await core.close();
    }
  });
});
