// The core's checks before something is made: a label that duplicates an existing one (any case, any
// vocabulary, built-in included), a playlist name another playlist has, and numbers out of range. Each
// refusal names the thing and the reason, and nothing already stored changes.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { refusedMessage } from '../support/refused.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

async function withCore<T>(fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await createCore({ dataDir: join(tempDir(), 'data') });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** What a refused request tells the page: its code and message. */
async function refusal(core: Core, name: string, params: unknown): Promise<{ code: string; message: string }> {
  const reply = await core.invokeUntrusted(name, [params]);
  if (reply.ok) throw new Error(`${name} ${JSON.stringify(params)} was accepted`);
  return reply.error;
}

const RULE = { kind: 'rule', rule: { match: { op: 'tag', label: 'x' } } } as const;

describe('duplicate labels', () => {
  it('refuses a case-insensitive duplicate of a built-in or user label, naming the existing one', async () => {
    await withCore(async (core) => {
      expect(await refusal(core, 'labels-add', { text: 'Calm' })).toEqual({
        code: 'E_EXISTS',
        message: '"Calm" is already a label: "calm" in the built-in vocabulary mtg-jamendo. Use the existing "calm" instead',
      });
      expect((await refusal(core, 'labels-add', { text: '  JOYFUL   activation ' })).message).toMatch(
        /already a label: "joyful_activation" in the built-in vocabulary emotify/,
      );
      await core.invoke('labels-add', { text: 'Rainy Sunday' });
      expect(await refusal(core, 'labels-add', { text: 'rainy sunday' })).toEqual({
        code: 'E_EXISTS',
        message: '"rainy sunday" is already a label: "Rainy Sunday" in your labels. Use the existing "Rainy Sunday" instead',
      });
      // Another user vocabulary is checked too.
      expect((await refusal(core, 'labels-add', { text: 'RAINY SUNDAY', vocabulary: 'work' })).message).toMatch(/in your labels/);
      expect((await core.invoke('labels-list', { vocabulary: 'user' })).map((l) => l.name)).toEqual(['Rainy Sunday']);
      expect(await core.invoke('labels-list', { vocabulary: 'work' })).toEqual([]);
      // A different label is fine, and a rename may change only its own case; onto another label it may not.
      await core.invoke('labels-add', { text: 'road trip' });
      expect((await core.invoke('labels-update', { text: 'Rainy Sunday', newText: 'rainy sunday' })).name).toBe('rainy sunday');
      expect((await refusal(core, 'labels-update', { text: 'road trip', newText: 'SAD' })).message).toMatch(
        /"SAD" is already a label: "sad" in the built-in vocabulary mtg-jamendo/,
      );
    });
  });
});

describe('unique playlist names', () => {
  it('refuses a name another playlist has on save and rename, case and spacing aside', async () => {
    await withCore(async (core) => {
      const calm = await core.invoke('playlists-save', { name: 'Calm evening', definition: RULE });
      const other = await core.invoke('playlists-save', { name: 'Road trip', definition: RULE });
      expect(await refusal(core, 'playlists-save', { name: ' calm   EVENING', definition: RULE })).toEqual({
        code: 'E_EXISTS',
        message: `There is already a playlist named "Calm evening" (id ${calm.id}); choose another name`,
      });
      expect((await refusal(core, 'playlists-rename', { id: other.id, name: 'CALM EVENING' })).message).toBe(
        `There is already a playlist named "Calm evening" (id ${calm.id}); choose another name`,
      );
      expect((await refusal(core, 'playlists-save', { id: other.id, name: 'calm evening', definition: RULE })).code).toBe('E_EXISTS');
      // A playlist may keep (or re-case) its own name; a deleted one frees its name and can be restored.
      expect((await core.invoke('playlists-save', { id: calm.id, name: 'calm Evening', definition: RULE })).name).toBe('calm Evening');
      expect((await core.invoke('playlists-rename', { id: other.id, name: 'Road Trip' })).name).toBe('Road Trip');
      const gone = await core.invoke('playlists-delete', { id: calm.id });
      const again = await core.invoke('playlists-save', { name: 'Calm evening', definition: RULE });
      expect((await refusal(core, 'playlists-save', gone)).code).toBe('E_EXISTS');
      await core.invoke('playlists-delete', { id: again.id });
      expect((await core.invoke('playlists-save', gone)).id).toBe(calm.id);
      expect((await core.invoke('playlists-list')).map((p) => p.name)).toEqual(['calm Evening', 'Road Trip']);
    });
  });
});

describe('numbers in range', () => {
  it('refuses a percentile of 150 or a step count of 0 with a message naming the field', async () => {
    await withCore(async (core) => {
      const rule = (percentile: number) => ({ match: { op: 'label', label: 'calm', percentile } });
      expect(await refusedMessage(core, 'playlists-preview', { rule: rule(150) })).toBe(
        'playlists-preview: "rule.match.percentile" must be a number from 0 to 100',
      );
      expect(await refusedMessage(core, 'playlists-preview', { rule: rule(-1) })).toBe(
        'playlists-preview: "rule.match.percentile" must be a number from 0 to 100',
      );
      expect(await refusedMessage(core, 'playlists-save', { name: 'x', definition: { kind: 'rule', rule: rule(150) } })).toMatch(
        /"definition.rule.match.percentile" must be a number from 0 to 100/,
      );
      expect(await refusedMessage(core, 'playlists-journey', { from: 'calm', to: 'sad', steps: 1 })).toBe(
        'playlists-journey: "steps" must be an integer from 2 to 1000',
      );
      expect(await refusedMessage(core, 'playlists-map', { trackIds: [] })).toBe(
        'playlists-map: "trackIds" must be a list of 1 to 1000 ids',
      );
      expect(await refusedMessage(core, 'tags-add', { trackId: 1, label: 'x'.repeat(4097) })).toMatch(/^tags-add: "label" must be at most/);
      expect(await core.invoke('playlists-list')).toEqual([]);
    });
  });
});

describe('suggestions by aligned concept', () => {
  it('tags each suggestion with its concept from the stored alignment, one suggestion per concept', async () => {
    const { core } = await analysedLibrary(tempDir(), 3);
    try {
      const trackId = (await core.invoke('tracks-list', {})).tracks[0]?.id as number;
      const { suggestions } = await core.invoke('tags-suggest', { trackId });
      const aligned = await core.run('labels-align');
      const conceptOf = new Map(aligned.labels.map((l) => [`${l.vocabulary}/${l.name}`, l.cluster]));
      expect(suggestions.length).toBeGreaterThan(1);
      for (const s of suggestions) {
        expect(s.concept).toBe(conceptOf.get(`${s.vocabulary}/${s.label}`));
        for (const r of s.related) expect(conceptOf.get(`${r.vocabulary}/${r.label}`)).toBe(s.concept);
      }
      expect(new Set(suggestions.map((s) => s.concept)).size).toBe(suggestions.length);
      // Tagging a suggestion's label takes its whole concept out of the suggestions.
      const first = suggestions[0] as (typeof suggestions)[number];
      await core.invoke('tags-add', { trackId, label: first.label.toUpperCase() });
      const after = (await core.invoke('tags-suggest', { trackId })).suggestions;
      expect(after.map((s) => s.concept)).not.toContain(first.concept);
      expect(after).toHaveLength(suggestions.length - 1);
    } finally {
      await core.close();
    }
  });
});
