import { describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/index.js';
import { MIN_ACCEPTED, MIN_REJECTED } from '../../src/core/personal/fit.js';
import { readModel } from '../../src/core/personal/store.js';
import { cli } from '../support/cli.js';
import { simulateUser } from '../support/mood-generator.js';
import { personalLibrary, type PersonalLibrary } from '../support/personal-library.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

const NAMES = ['rainy sunday', 'music for coding', 'night drive'];

async function library(root: string): Promise<PersonalLibrary> {
  return personalLibrary(root, { tracks: 3000, labels: 3, seed: 21, names: (k) => [NAMES[k] as string] });
}

/** Applies simulated decisions through the tag handlers (batch accept and batch reject), as the app does. */
async function tag(p: PersonalLibrary, label: string, decisions: { track: number; accepted: boolean }[]): Promise<void> {
  const accepted = decisions.filter((d) => d.accepted).map((d) => p.trackId(d.track));
  const rejected = decisions.filter((d) => !d.accepted).map((d) => p.trackId(d.track));
  if (accepted.length) await p.core.invoke('tags-accept', { trackIds: accepted, label });
  if (rejected.length) await p.core.invoke('tags-reject', { trackIds: rejected, label });
}

const nextEvent = (core: Core, label: string): Promise<{ active: boolean; reason: string }> =>
  new Promise((resolve) => {
    const off = core.events.on('personal-model-changed', (e) => {
      if (e.label.toLowerCase() === label.toLowerCase()) {
        off();
        resolve(e);
      }
    });
  });

describe('personal labels', () => {
  it('makes no model below 5 accepted + 5 rejected, then fits one in the background when the threshold is reached', async () => {
    const p = await library(tempDir());
    try {
      const label = NAMES[0] as string;
      const all = simulateUser(p.lib.labels[0] as PersonalLibrary['lib']['labels'][number], 40, 0.1, 1);
      const acc = all.filter((d) => d.accepted);
      const rej = all.filter((d) => !d.accepted);
      await tag(p, label, [...acc.slice(0, MIN_ACCEPTED - 1), ...rej.slice(0, MIN_REJECTED + 3)]);
      await p.core.context.personal.flush();
      expect(readModel(p.core.context.db, p.packKey, label)).toBeNull();
      const few = await p.core.invoke('labels-personal', { label });
      expect(few).toMatchObject({ accepted: MIN_ACCEPTED - 1, rejected: MIN_REJECTED + 3, model: null, active: false, status: 'too-few' });
      expect((await p.core.invoke('scores-label', { label })).personal).toBe(false);

      // One more accepted (a single-track decision): the debounced background refit makes the model.
      const event = nextEvent(p.core, label);
      await p.core.invoke('tags-accept', { trackId: p.trackId((acc[MIN_ACCEPTED - 1] as { track: number }).track), label });
      expect(readModel(p.core.context.db, p.packKey, label)).toBeNull(); // not in the request: in the background
      await event;
      const model = readModel(p.core.context.db, p.packKey, label);
      expect(model).toMatchObject({ accepted: MIN_ACCEPTED, rejected: MIN_REJECTED + 3 });

      // Undo drops it below the threshold again: the model goes.
      const removed = nextEvent(p.core, label);
      await p.core.invoke('tags-undo', {});
      expect(await removed).toMatchObject({ active: false, reason: 'removed' });
      expect(readModel(p.core.context.db, p.packKey, label)).toBeNull();
    } finally {
      await p.core.close();
    }
  });

  it('refits when a tag changes, is used by rankings, track scores and playlists where better, and can be switched off', async () => {
    const p = await library(tempDir());
    try {
      const label = NAMES[1] as string;
      const zeroShot = await p.core.invoke('scores-label', { label });
      expect(zeroShot.personal).toBe(false);
      const decisions = simulateUser(p.lib.labels[1] as PersonalLibrary['lib']['labels'][number], 60, 0.1, 2);
      await tag(p, label, decisions.slice(0, 50));
      await p.core.context.personal.flush();
      const figures = await p.core.invoke('labels-personal', { label });
      expect(figures).toMatchObject({ accepted: 25, rejected: 25, enabled: true, active: true, status: 'active' });
      expect(figures.model?.personalAuc).toBeGreaterThan((figures.model?.zeroShotAuc as number) + 0.02);
      const before = readModel(p.core.context.db, p.packKey, label);

      // Rankings use the personal vector: each score is the dot product with it.
      const ranked = await p.core.invoke('scores-label', { label });
      expect(ranked.personal).toBe(true);
      const vector = before?.vector as Float32Array;
      const dim = p.lib.dim;
      const first = { trackId: ranked.trackIds[0] as number, score: ranked.scores[0] as number };
      const t = first.trackId - 1;
      let expected = 0;
      for (let i = 0; i < dim; i++) expected += (p.lib.embeddings[t * dim + i] as number) * (vector[i] as number);
      expect(first.score).toBeCloseTo(expected, 5);
      expect([...ranked.trackIds]).not.toEqual([...zeroShot.trackIds]);
      const top = await p.core.invoke('scores-top', { label, limit: 3 });
      expect(top.every((r) => r.personal)).toBe(true);

      // Playlists: a rule on the label is ordered and marked by the personal score.
      const playlist = await p.core.invoke('playlists-preview', { rule: { match: { op: 'label', label, percentile: 90 }, limit: 5 } });
      expect(playlist.tracks[0]?.labels[0]).toMatchObject({ label, personal: true });
      expect(playlist.tracks.map((x) => x.track.id)).toEqual([...ranked.trackIds.slice(0, 5)]);

      // Accepting one more track refits in the background: the stored model changes.
      const event = nextEvent(p.core, label);
      const extra = decisions.slice(50).find((d) => d.accepted) as { track: number };
      await p.core.invoke('tags-accept', { trackId: p.trackId(extra.track), label });
      expect(await event).toMatchObject({ reason: 'refit' });
      const after = readModel(p.core.context.db, p.packKey, label);
      expect(after?.accepted).toBe(26);
      expect(after?.decisionsStamp).not.toBe(before?.decisionsStamp);
      expect(Array.from(after?.vector ?? [])).not.toEqual(Array.from(vector));

      // Off: zero-shot scores again (exactly), and the figures say why; on again: personal.
      const off = await p.core.invoke('labels-personal-set', { label, enabled: false });
      expect(off).toMatchObject({ enabled: false, active: false, status: 'off' });
      const zs = await p.core.invoke('scores-label', { label });
      expect(zs.personal).toBe(false);
      expect(zs.trackIds).toEqual(zeroShot.trackIds);
      expect(zs.scores).toEqual(zeroShot.scores);
      const offPlaylist = await p.core.invoke('playlists-preview', { rule: { match: { op: 'label', label, percentile: 90 }, limit: 5 } });
      expect(offPlaylist.tracks[0]?.labels[0]?.personal).toBe(false);
      expect((await p.core.invoke('labels-personal-set', { label, enabled: true })).active).toBe(true);
      expect((await p.core.invoke('scores-label', { label })).personal).toBe(true);
      // The switch outlives the refit and is listed.
      const listed = await p.core.invoke('labels-personal-list');
      expect(listed.find((f) => f.label === label)).toMatchObject({ active: true, accepted: 26 });
    } finally {
      await p.core.close();
    }
  });

  it('is not used where cross-validation says zero-shot ranks the tags as well', async () => {
    const p = await library(tempDir());
    try {
      const label = NAMES[2] as string;
      // The user agrees with zero-shot exactly: accepts its top tracks and rejects its bottom ones.
      const { trackIds } = await p.core.invoke('scores-label', { label });
      await p.core.invoke('tags-accept', { trackIds: [...trackIds.slice(0, 8)], label });
      await p.core.invoke('tags-reject', { trackIds: [...trackIds.slice(-8)], label });
      const figures = await p.core.invoke('labels-personal', { label });
      expect(figures).toMatchObject({ active: false, status: 'not-better', enabled: true });
      expect(figures.model).toMatchObject({ zeroShotAuc: 1, better: false });
      expect((await p.core.invoke('scores-label', { label })).personal).toBe(false);
    } finally {
      await p.core.close();
    }
  });

  it('marks track scores (mood chips) of a user label as personal and shows the nearest accepted tracks', async () => {
    const p = await library(tempDir());
    try {
      const label = NAMES[1] as string;
      await p.core.invoke('labels-add', { text: label });
      await tag(p, label, simulateUser(p.lib.labels[1] as PersonalLibrary['lib']['labels'][number], 50, 0.1, 2));
      const figures = await p.core.invoke('labels-personal', { label });
      expect(figures, JSON.stringify(figures)).toMatchObject({ active: true });
      const scores = await p.core.invoke('scores-track', { trackId: 1, vocabulary: 'user' });
      expect(scores.labels.find((l) => l.label === label)).toMatchObject({ personal: true });
      // Suggestions too, on a track the user has not decided on yet.
      const undecided = p.core.context.db
        .prepare(
          'SELECT id FROM tracks WHERE id NOT IN (SELECT track_id FROM track_tags WHERE label = ?) AND id NOT IN (SELECT track_id FROM tag_rejections WHERE label = ?) ORDER BY id LIMIT 1',
        )
        .pluck()
        .get(label, label) as number;
      const suggested = await p.core.invoke('tags-suggest', { trackId: undecided, vocabulary: 'user' });
      expect(suggested.suggestions.find((s) => s.label === label)).toMatchObject({ personal: true });

      const why = await p.core.invoke('tracks-why', { trackId: 1, label, limit: 3 });
      expect(why).toMatchObject({ trackId: 1, label, personal: true });
      expect(why.neighbours).toHaveLength(3);
      // Brute force: the accepted tracks by cosine to track 1.
      const accepted = p.core.context.db
        .prepare('SELECT track_id FROM track_tags WHERE label = ? AND track_id != 1')
        .pluck()
        .all(label) as number[];
      const dim = p.lib.dim;
      const cosine = (a: number, b: number): number => {
        let s = 0;
        for (let i = 0; i < dim; i++)
          s += (p.lib.embeddings[(a - 1) * dim + i] as number) * (p.lib.embeddings[(b - 1) * dim + i] as number);
        return s;
      };
      const expected = accepted.sort((a, b) => cosine(1, b) - cosine(1, a)).slice(0, 3);
      expect(why.neighbours.map((n) => n.track.id)).toEqual(expected);
      expect(why.neighbours[0]?.similarity).toBeCloseTo(cosine(1, expected[0] as number), 5);
      expect(why.neighbours[0]?.labels).toContain(label);
      await expect(p.core.invoke('tracks-why', { trackId: 999_999 })).rejects.toThrow(/not analysed/);
    } finally {
      await p.core.close();
    }
  });

  it('prints the figures with `labels personal <label> [--json]`', async () => {
    const root = tempDir();
    const p = await library(root);
    const label = NAMES[1] as string;
    try {
      await tag(p, label, simulateUser(p.lib.labels[1] as PersonalLibrary['lib']['labels'][number], 40, 0.1, 6));
    } finally {
      await p.core.close();
    }
    const data = `${root}/data`;
    const json = await cli(['--data-dir', data, 'labels', 'personal', label, '--json']);
    expect(json.code).toBe(0);
    const figures = JSON.parse(json.out) as { active: boolean; model: { zeroShotAuc: number; personalAuc: number } };
    expect(figures).toMatchObject({ label, accepted: 20, rejected: 20, active: true });
    const text = await cli(['--data-dir', data, 'labels', 'personal', label]);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`personal ${Math.round(figures.model.personalAuc * 100)}%`);
    expect(text.out).toContain(`zero-shot ${Math.round(figures.model.zeroShotAuc * 100)}%`);
    expect(text.out).toMatch(/active/i);
    const none = await cli(['--data-dir', data, 'labels', 'personal', 'never tagged']);
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/Needs 5 accepted and 5 rejected tracks \(has 0 and 0\)/);
    const missing = await cli(['--data-dir', data, 'labels', 'personal']);
    expect(missing.code).toBe(2);
  });
});
