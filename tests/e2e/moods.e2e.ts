// Moods at a glance and checks before things are made, end to end: the heat strip's legend and its rows
// in the same order for every track, score bars in words, "Sort by mood" grouped and searchable from the
// keyboard, a duplicate label caught while it is typed (before it is made), the union of a selection's
// tags with counts, a playlist name another playlist has, a percentile out of range, and a mood journey
// drawn as a numbered path over a map of the library.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { launchApp, type App } from './support/harness.js';

vi.setConfig({ expect: { poll: { timeout: 15_000 } } });

let app: App;

beforeAll(async () => {
  app = await launchApp();
  const libRoot = join(app.root, 'music');
  mkdirSync(libRoot, { recursive: true });
  generateLibrary(libRoot, 12, 0);
});

afterAll(async () => {
  await app?.close();
});

/** The ids of the library table's first `n` rows, in order. */
async function rowIds(n: number): Promise<number[]> {
  const rows = app.page.locator('.viewport .row[data-track-id]');
  await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(n);
  return Promise.all(Array.from({ length: n }, async (_, i) => Number(await rows.nth(i).getAttribute('data-track-id'))));
}

describe('moods', () => {
  it('sets up: a folder, the tiny pack and an analysis', async () => {
    const { page } = app;
    await page.getByTestId('first-folder').fill(join(app.root, 'music'));
    await page.getByTestId('first-folder-add').click();
    await page.getByTestId('first-pack').fill(TINY_PACK);
    await page.getByTestId('first-pack-install').click();
    await page.getByTestId('first-analyze').click();
    await page.getByTestId('first-run').waitFor({ state: 'detached' });
    const summary = await app.core.run('analysis-wait');
    expect(summary.analyzed).toBeGreaterThan(4);
    // A label of the user's own (made behind the page's back: a reload shows it everywhere).
    await app.core.invoke('labels-add', { text: 'Rainy Sunday' });
    await page.reload();
    await expect.poll(() => page.locator('.viewport .row[data-track-id]').count()).toBeGreaterThan(4);
  });

  it('shows a heat-strip legend and keeps the strip rows in the vocabulary order for every track', async () => {
    const { page } = app;
    const inspector = page.getByTestId('inspector');
    const rows = page.locator('.viewport .row[data-track-id]');
    await rows.nth(0).click();
    // The strip shows the vocabulary picked beside it.
    const vocabulary = await inspector.getByLabel('Vocabulary').inputValue();
    const order = (await app.core.invoke('labels-list', { vocabulary })).map((l) => l.name.replace(/_/g, ' '));
    expect(order.length).toBeGreaterThan(3);
    const seen: string[][] = [];
    for (const i of [0, 3]) {
      await rows.nth(i).click();
      await inspector.getByTestId('emotion-strip').waitFor();
      const legend = inspector.getByTestId('heat-legend');
      await legend.waitFor();
      await expect.poll(() => legend.textContent()).toMatch(/lower -?\d\.\d\d.*-?\d\.\d\d higher/s);
      expect(await legend.textContent()).toContain('how strongly each 10 s part of the track matches the label');
      const background = await legend.locator('.ramp').evaluate((e) => getComputedStyle(e).backgroundImage);
      expect(background).toContain('linear-gradient');
      seen.push(await inspector.locator('[data-testid="emotion-strip"] .label').allTextContents());
      // Score bars: one scale (percent of the library), the raw cosine on hover, in words.
      const bar = inspector.getByTestId('score-bars').locator('li').first();
      expect(await bar.getAttribute('title')).toMatch(/^(more|less) “.+” than .* your library · raw score \(cosine\) -?\d\.\d{3}$/);
      for (const pct of await inspector.getByTestId('score-pct').allTextContents()) expect(pct).toMatch(/^\d{1,3}%$/);
    }
    expect(seen[0]).toEqual(order);
    expect(seen[1]).toEqual(order);
    await app.screenshot('moods-01-heat-legend');
  });

  it('sorts by mood from a grouped, searchable list, the user labels first, by keyboard', async () => {
    const { page } = app;
    await page.getByTestId('sort-label').click();
    const search = page.getByTestId('sort-label-search');
    await expect.poll(() => search.evaluate((e) => e === document.activeElement)).toBe(true);
    const groups = page.getByTestId('sort-group');
    expect(await groups.first().getAttribute('data-vocabulary')).toBe('user');
    expect(await groups.evaluateAll((gs) => gs.map((g) => g.getAttribute('aria-label')))).toEqual([
      'My labels',
      'mtg-jamendo',
      'cal500',
      'emotify',
    ]);
    await app.screenshot('moods-02-sort-picker');
    // Typing filters; "advertising" is one keystroke sequence away, not a scroll through 83 labels.
    await search.fill('chris');
    await expect.poll(() => page.getByTestId('sort-option').allTextContents()).toEqual(['christmas']);
    // Keyboard: type, arrow down to the second match, Enter picks it.
    await search.fill('calm');
    await expect.poll(() => page.getByTestId('sort-option').allTextContents()).toEqual(['calm', 'calming, soothing', 'calmness']);
    await search.press('ArrowDown');
    await search.press('Enter');
    await expect.poll(() => page.getByTestId('sort-label').textContent()).toContain('calming, soothing');
    const ranked = await app.core.invoke('scores-top', { label: 'calming, soothing', limit: 1 });
    await expect.poll(async () => (await rowIds(1))[0]).toBe(ranked[0]?.track.id);
    await expect.poll(() => page.locator('.score-head').textContent()).toContain('calming, soothing');
    // Escape closes without changing the sort.
    await page.getByTestId('sort-label').click();
    await page.getByTestId('sort-label-search').press('Escape');
    await expect.poll(() => page.getByTestId('sort-label-search').count()).toBe(0);
    expect(await page.getByTestId('sort-label').textContent()).toContain('calming, soothing');
    await page.getByTestId('sort-label').click();
    await page.getByRole('option', { name: /columns/ }).click();
    await expect.poll(() => page.locator('.score-head').count()).toBe(0);
  });

  it('shows the union of a selection’s tags with counts and applies a tag to all', async () => {
    const { page } = app;
    const [a, b, c] = (await rowIds(3)) as [number, number, number];
    await app.core.invoke('tags-add', { trackIds: [a, b], label: 'sad' });
    await app.core.invoke('tags-add', { trackId: a, label: 'late night' });
    const rows = page.locator('.viewport .row[data-track-id]');
    await rows.nth(0).click();
    await rows.nth(2).click({ modifiers: ['Shift'] });
    const editor = page.getByTestId('tag-editor');
    await editor.getByText('Changes apply to the 3 selected tracks').waitFor();
    const chips = editor.getByTestId('tag-chip');
    await expect
      .poll(() => chips.allTextContents())
      .toEqual([expect.stringMatching(/sad\s*· 2 of 3/), expect.stringMatching(/late night\s*· 1 of 3/)]);
    await app.screenshot('moods-03-batch-union');
    // A tag over 200 characters cannot be typed; the counter says how long it is.
    const input = page.locator('#manual-tag');
    await input.fill('x'.repeat(250));
    expect((await input.inputValue()).length).toBeLessThanOrEqual(200);
    await expect.poll(() => editor.getByTestId('tag-counter').textContent()).toMatch(/\d+ \/ 200 characters/);
    await input.fill('late night');
    await input.press('Enter');
    await expect.poll(() => chips.allTextContents()).toContainEqual(expect.stringMatching(/late night\s*· 3 of 3/));
    await expect.poll(() => input.inputValue()).toBe('');
    for (const id of [a, b, c])
      expect((await app.core.invoke('tags-list', { trackId: id })).tags.map((t) => t.label)).toContain('late night');
  });

  it('catches a duplicate label while it is typed, before it is made, and offers the existing one', async () => {
    const { page } = app;
    await page.getByTestId('nav-labels').click();
    const before = (await app.core.invoke('labels-list')).length;
    const text = page.getByTestId('label-text');
    // A built-in label in another case.
    await text.fill('Calm');
    const exists = page.getByTestId('label-exists');
    await expect.poll(() => exists.textContent()).toContain('“Calm” is already a label: “calm” in the built-in mtg-jamendo');
    expect(await page.getByTestId('label-add').isDisabled()).toBe(true);
    await app.screenshot('moods-04-duplicate-label');
    // Enter does not make it either.
    await text.press('Enter');
    // The user's own label, typed in lower case.
    await text.fill('rainy sunday');
    await expect.poll(() => exists.textContent()).toContain('“rainy sunday” is already a label: “Rainy Sunday” in your labels');
    await page.getByTestId('use-existing').click();
    await page.getByRole('heading', { name: 'Top tracks for “Rainy Sunday”' }).waitFor();
    expect(await text.inputValue()).toBe('');
    expect((await app.core.invoke('labels-list')).length).toBe(before);
    // A near duplicate in meaning is pointed out (it may still be added).
    await text.fill('rainy sundays');
    await expect.poll(() => page.getByTestId('label-near').textContent()).toContain('“Rainy Sunday”');
    expect(await page.getByTestId('label-add').isDisabled()).toBe(false);
    await page.getByTestId('use-near').click();
    await page.getByRole('heading', { name: 'Top tracks for “Rainy Sunday”' }).waitFor();
    expect((await app.core.invoke('labels-list')).length).toBe(before);
    // Made elsewhere meanwhile (the page has not heard of it): the core refuses, naming it, and the typed
    // text stays in the field.
    await app.core.invoke('labels-add', { text: 'night drive' });
    await text.fill('Night Drive');
    await page.getByTestId('label-add').click();
    await page.getByTestId('notice').filter({ hasText: '"Night Drive" is already a label: "night drive" in your labels' }).waitFor();
    expect(await text.inputValue()).toBe('Night Drive');
    expect((await app.core.invoke('labels-list', { vocabulary: 'user' })).map((l) => l.name)).toEqual(['Rainy Sunday', 'night drive']);
  });

  it('refuses a playlist name another playlist has, and a percentile of 150, before saving', async () => {
    const { page } = app;
    await app.core.invoke('playlists-save', {
      name: 'Calm evening',
      definition: { kind: 'rule', rule: { match: { op: 'label', label: 'calm', percentile: 50 } } },
    });
    await page.getByTestId('nav-playlists').click();
    await page.getByRole('button', { name: '+ Rule' }).click();
    const name = page.getByTestId('playlist-name');
    await name.fill('calm EVENING');
    await expect
      .poll(() => page.getByTestId('playlist-name-taken').textContent())
      .toContain('There is already a playlist named “Calm evening”');
    expect(await page.getByTestId('playlist-save').isDisabled()).toBe(true);
    await name.fill('Calm evening 2');
    await expect.poll(() => page.getByTestId('playlist-name-taken').count()).toBe(0);
    // A percentile of 150: the input says so, and the preview names the field the core refused.
    await page.getByTestId('rule-value').first().fill('150');
    await expect.poll(() => page.getByTestId('rule-value-error').first().textContent()).toBe('A percentile is 0 to 100');
    await expect
      .poll(() => page.getByTestId('playlist-preview').getByRole('alert').textContent())
      .toMatch(/percentile" must be a number from 0 to 100/);
    await app.screenshot('moods-05-playlist-checks');
    await page.getByTestId('rule-value').first().fill('50');
    await expect.poll(() => page.getByTestId('rule-value-error').count()).toBe(0);
    expect((await app.core.invoke('playlists-list')).map((p) => p.name)).toEqual(['Calm evening']);
  });

  it('draws a mood journey as a numbered path over a map of the library', async () => {
    const { page } = app;
    await page.getByTestId('tab-journey').click();
    await page.getByTestId('journey-from').fill('calm');
    await page.getByTestId('journey-to').fill('energetic');
    // One step is no journey: the core refuses it, naming the field, and the input is marked invalid.
    await page.getByTestId('journey-steps').fill('1');
    await expect
      .poll(() => page.getByTestId('playlist-preview').getByRole('alert').textContent())
      .toContain('"steps" must be an integer from 2 to 1000');
    expect(await page.getByTestId('journey-steps').evaluate((e) => (e as HTMLInputElement).validity.valid)).toBe(false);
    await page.getByTestId('journey-steps').fill('5');
    const map = page.getByTestId('journey-map');
    await expect.poll(() => map.getByTestId('journey-step').count()).toBe(5);
    const journey = await app.core.invoke('playlists-journey', { from: 'calm', to: 'energetic', steps: 5, jumpPenalty: 0.5 });
    expect(await map.locator('text').allTextContents()).toEqual(['1', '2', '3', '4', '5']);
    const points = (await map.getByTestId('journey-path').getAttribute('points'))?.trim().split(/\s+/) ?? [];
    expect(points).toHaveLength(journey.tracks.length);
    // The background is the rest of the library, as dots.
    expect(await map.locator('.bg circle').count()).toBeGreaterThan(0);
    expect(await map.locator('figcaption').textContent()).toContain('from “calm” (1) to “energetic” (5)');
    // The path's points are the core's projection of those tracks, in step order.
    const projected = await app.core.invoke('playlists-map', { trackIds: journey.tracks.map((t) => t.track.id) });
    expect(projected.points.map((p) => p.trackId)).toEqual(journey.tracks.map((t) => t.track.id));
    await app.screenshot('moods-06-journey-map');
    // No exception or error logged on the way (a cover picture a track lacks answers 404: not an error here).
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});
