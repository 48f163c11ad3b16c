// The core flow end to end: first run (add a folder and scan, install the tiny pack, analyse), the
// library table, labels ranking, the track inspector while it plays, tagging with undo, the panels; then
// long work as jobs (progress that survives a reload, cancelling from the UI), destructive actions that
// ask first, undo that belongs to its view, and exports through the stand-in Save dialog.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { count } from '../../src/core/kernel/plural.js';
import { generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { writeSineWav } from '../support/wav.js';
import { startBigHub, type BigHub } from './support/big-hub.js';
import { launchApp, type App } from './support/harness.js';

// expect.poll waits for a condition the page reaches through several requests, events and jobs (a scan,
// a debounced refresh); on a loaded machine that takes longer than the default second. It returns as soon
// as the condition holds, so a generous limit costs nothing when all is well.
vi.setConfig({ expect: { poll: { timeout: 10_000 } } });

let app: App;
let libRoot: string;
/** A throttled local hub serving a pack big enough that its install is still running after a page reload. */
let hub: BigHub;

beforeAll(async () => {
  hub = await startBigHub({
    repo: 'test/slow-pack',
    base: TINY_PACK,
    id: 'slow-joint',
    extraFile: 'audio/extra-weights.bin',
    extraBytes: 48_000_000,
    bytesPerSecond: 6_000_000,
  });
  app = await launchApp({ core: { hubEndpoint: hub.url } });
  libRoot = join(app.root, 'music');
  generateLibrary(libRoot, 24, 8);
  mkdirSync(join(libRoot, 'Long'), { recursive: true });
  writeSineWav(join(libRoot, 'Long', 'long-tone.wav'), 65, 330);
});

afterAll(async () => {
  await app?.close();
  await hub?.close();
});

/** The notices shown now (their text). */
async function noticeTexts(): Promise<string[]> {
  return app.page.getByTestId('notice').allTextContents();
}

describe('first run', () => {
  it('adds a folder and scans it', async () => {
    const { page } = app;
    await page.getByTestId('first-run').waitFor();
    await app.screenshot('01-first-run');
    await page.getByTestId('first-folder').fill(libRoot);
    await page.getByTestId('first-folder-add').click();
    await page.getByTestId('first-pack').waitFor();
    const status = await app.core.invoke('status-get');
    expect(status.tracks.total).toBe(25);
    expect(status.tracks.failed).toBe(3);
  });

  it('installs the tiny pack and starts the analysis', async () => {
    const { page } = app;
    await page.getByTestId('first-pack').fill(TINY_PACK);
    await page.getByTestId('first-pack-install').click();
    await page.getByTestId('first-analyze').waitFor();
    await app.screenshot('02-first-run-ready');
    await page.getByTestId('first-analyze').click();
    await page.getByTestId('first-run').waitFor({ state: 'detached' });
    const summary = await app.core.run('analysis-wait');
    expect(summary.analyzed).toBe(22);
    const status = await app.core.invoke('analysis-status');
    expect(status.counts?.analyzed).toBe(22);
  });
});

describe('library', () => {
  it('lists the tracks in a virtualized table with mood chips', async () => {
    const { page } = app;
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('25 tracks');
    await expect.poll(() => page.locator('.viewport .chip').count()).toBeGreaterThan(0);
    await app.screenshot('03-library');
  });

  it('searches with full-text search', async () => {
    const { page } = app;
    await page.getByTestId('search').fill('0000000002');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('1 track');
    await page.getByTestId('search').fill('');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('25 tracks');
  });

  it('sorts by a label score', async () => {
    const { page } = app;
    await page.getByTestId('sort-label').click();
    await page.getByTestId('sort-label-search').fill('calm');
    await page.getByRole('option', { name: 'calm', exact: true }).click();
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('22 tracks');
    const ranked = await app.core.invoke('scores-top', { label: 'calm', limit: 3 });
    const firstRow = page.locator('.viewport .row').first();
    await expect.poll(() => firstRow.getAttribute('data-track-id')).toBe(String(ranked[0]?.track.id));
    await app.screenshot('04-library-by-label');
    await page.getByTestId('sort-label').click();
    await page.getByRole('option', { name: /columns/ }).click();
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('25 tracks');
  });
});

describe('labels', () => {
  it('adds a user label, warns about near-duplicates and ranks tracks at once', async () => {
    const { page } = app;
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('label-text').fill('rainy sunday');
    await page.getByTestId('label-add').click();
    await page.getByRole('heading', { name: 'Top tracks for “rainy sunday”' }).waitFor();
    await expect.poll(() => page.locator('.ranking li').count()).toBe(22);
    const labels = await app.core.invoke('labels-list', { vocabulary: 'user' });
    expect(labels.map((l) => l.name)).toContain('rainy sunday');
    await app.screenshot('05-labels');
    // The same words again are a near-duplicate of the label just added.
    await page.getByTestId('label-text').fill('rainy sundays');
    await page.getByTestId('label-add').click();
    await page.getByRole('alert').filter({ hasText: 'very close to' }).waitFor();
  });

  it('draws the 2-D label map with aligned concepts, keyboard navigation and a vocabulary selector', async () => {
    const { page } = app;
    await page.getByTestId('labels-tab-map').click();
    const map = page.getByTestId('label-map');
    const points = map.locator('[role="option"]');
    const aligned = await app.core.run('labels-align');
    await expect.poll(() => points.count()).toBe(aligned.labels.length);
    await expect.poll(() => map.getByTestId('map-bandwidth').textContent()).toContain(`Bandwidth ${aligned.bandwidth.toFixed(3)}`);
    if (aligned.fallback) await map.getByTestId('map-fallback').waitFor();
    // The biggest concept: hover one member, then select it from the keyboard.
    const biggest = [...aligned.clusters].sort((a, b) => b.members.length - a.members.length)[0];
    expect(biggest).toBeDefined();
    const members = map.locator(`[role="option"][data-cluster="${biggest?.id}"]`);
    // Hovering any point shows its label; focusing one shows its concept's other members.
    const box = await points.first().boundingBox();
    if (!box) throw new Error('no point');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = map.getByTestId('map-tooltip');
    await tip.waitFor();
    await members.first().focus();
    await expect.poll(() => tip.textContent()).toContain(`concept ${biggest?.id}`);
    for (const m of biggest?.members.slice(0, 3) ?? []) expect(await tip.textContent()).toContain(m.name.replace(/_/g, ' '));
    // Keyboard: the roving point takes focus, arrows move between points, Enter selects.
    await page.mouse.move(5, 5);
    await points.first().focus();
    const firstIndex = await page.evaluate(() => document.activeElement?.getAttribute('data-index'));
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('option');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-index'))).not.toBe(firstIndex);
    await members.first().focus();
    await page.keyboard.press('Enter');
    const concept = map.getByTestId('map-concept');
    await expect.poll(() => concept.textContent()).toContain(`Concept ${biggest?.id}`);
    for (const m of biggest?.members ?? []) expect(await concept.textContent()).toContain(m.name.replace(/_/g, ' '));
    expect(await members.first().getAttribute('aria-selected')).toBe('true');
    await members.nth(1).focus();
    await tip.waitFor();
    await app.screenshot('16-label-map');
    // Unticking a vocabulary re-aligns the others.
    const vocab = aligned.vocabularies[aligned.vocabularies.length - 1] as string;
    const remaining = aligned.labels.filter((l) => l.vocabulary !== vocab).length;
    await map.getByTestId(`map-vocab-${vocab}`).uncheck();
    await expect.poll(() => points.count()).toBe(remaining);
    expect(await map.locator(`[role="option"][data-vocabulary="${vocab}"]`).count()).toBe(0);
    await map.getByTestId(`map-vocab-${vocab}`).check();
    await expect.poll(() => points.count()).toBe(aligned.labels.length);
    // A member of the selected concept opens its top tracks.
    await points.first().focus();
    await page.keyboard.press('Enter');
    await concept.locator('button.member').first().click();
    await page.getByRole('heading', { name: /^Top tracks for/ }).waitFor();
  });

  it('renames a label in place and undoes the rename with Ctrl+Z', async () => {
    const { page } = app;
    await page.getByTestId('labels-tab-ranked').click();
    await page.getByRole('button', { name: 'Rename or describe rainy sunday', exact: true }).click();
    await page.locator('#edit-name').fill('rainy afternoon');
    await page.locator('#edit-desc').fill('grey light, rain on the windows');
    await page.locator('#edit-desc').press('Enter');
    const names = async (): Promise<string[]> => (await app.core.invoke('labels-list', { vocabulary: 'user' })).map((l) => l.name);
    await expect.poll(names).toContain('rainy afternoon');
    expect(await names()).not.toContain('rainy sunday');
    const renamed = (await app.core.invoke('labels-list', { vocabulary: 'user' })).find((l) => l.name === 'rainy afternoon');
    expect(renamed?.description).toBe('grey light, rain on the windows');
    await page.getByRole('heading', { name: 'Top tracks for “rainy afternoon”' }).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    await expect.poll(names).toContain('rainy sunday');
    const back = (await app.core.invoke('labels-list', { vocabulary: 'user' })).find((l) => l.name === 'rainy sunday');
    expect(back?.description).toBeNull();
    expect(await names()).not.toContain('rainy afternoon');
  });
});

describe('track inspector', () => {
  it('plays a track, moves the playhead over the emotion strip and analyses the full timeline', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    await page.getByTestId('search').fill('');
    await page.locator('.viewport .row', { hasText: 'long-tone.wav' }).click();
    const inspector = page.getByTestId('inspector');
    await inspector.waitFor();
    await inspector.getByTestId('emotion-strip').waitFor();
    const longId = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('long-tone.wav'))?.id as number;
    const before = await app.core.invoke('scores-track', { trackId: longId });
    expect(before.segments.length).toBe(3);
    // Play (muted) and watch time pass and the playhead move.
    await page.evaluate(() => {
      const a = document.querySelector('audio');
      if (a) a.muted = true;
    });
    const x0 = await inspector.getByTestId('strip-playhead').evaluate((e) => e.getBoundingClientRect().left);
    await inspector.getByTestId('play').click();
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')?.currentTime ?? 0), { timeout: 15_000 }).toBeGreaterThan(1);
    await expect.poll(() => inspector.getByTestId('strip-playhead').evaluate((e) => e.getBoundingClientRect().left)).toBeGreaterThan(x0);
    // Seeking by clicking the strip (Range request on the media URL).
    const strip = inspector.locator('canvas').first();
    const box = await strip.boundingBox();
    if (!box) throw new Error('no strip');
    await page.mouse.click(box.x + box.width * 0.75, box.y + 5);
    await expect.poll(() => page.evaluate(() => document.querySelector('audio')?.currentTime ?? 0)).toBeGreaterThan(40);
    await page.mouse.move(box.x + box.width * 0.3, box.y + 5);
    await page.getByRole('tooltip').waitFor();
    await app.screenshot('06-inspector');
    await inspector.getByTestId('play').click();
    // Analyse the full timeline: every 10 s window gets a segment.
    await inspector.getByTestId('analyze-full').click();
    await expect
      .poll(async () => (await app.core.invoke('scores-track', { trackId: longId })).segments.length, { timeout: 30_000 })
      .toBe(6);
    await expect.poll(() => inspector.getByTestId('analyze-full').textContent()).toContain('Full timeline analysed');
    await app.screenshot('07-inspector-full');
  });

  it('serves media only by id, with Range support', async () => {
    const { page } = app;
    const longId = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('long-tone.wav'))?.id as number;
    const r = await page.evaluate(async (id) => {
      const part = await fetch(`/media/${id}`, { headers: { Range: 'bytes=0-99' } });
      const bad = await fetch(`/media/${id}`, { headers: { Range: 'bytes=999999999-' } });
      const path = await fetch('/media/..%2F..%2Fetc%2Fpasswd');
      return {
        status: part.status,
        range: part.headers.get('content-range'),
        len: (await part.arrayBuffer()).byteLength,
        bad: bad.status,
        path: path.status,
      };
    }, longId);
    expect(r).toMatchObject({ status: 206, len: 100, bad: 416, path: 400 });
    expect(r.range).toMatch(/^bytes 0-99\/\d+$/);
    // Those three requests were refused on purpose; the page-error check ignores them.
    app.errors.splice(0, app.errors.length, ...app.errors.filter((e) => !e.includes('Failed to load resource')));
  });
});

describe('tagging', () => {
  it('accepts a suggested tag and undoes it with Ctrl+Z', async () => {
    const { page } = app;
    const inspector = page.getByTestId('inspector');
    const longId = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('long-tone.wav'))?.id as number;
    const accept = inspector.getByTestId('accept-suggestion').first();
    await accept.waitFor();
    const label = (await accept.getAttribute('aria-label'))?.replace(/^Accept /, '') ?? '';
    await accept.click();
    await expect
      .poll(async () => (await app.core.invoke('tags-list', { trackId: longId })).tags.map((t) => t.label.replace(/_/g, ' ')))
      .toContain(label);
    await app.screenshot('08-tag-accepted');
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await app.core.invoke('tags-list', { trackId: longId })).tags.length).toBe(0);
  });

  it('tags a multi-selection in one batch', async () => {
    const { page } = app;
    const rows = page.locator('.viewport .row[data-track-id]');
    await rows.nth(4).click();
    await rows.nth(6).click({ modifiers: ['Shift'] });
    await page.getByTestId('tag-editor').getByText('Changes apply to the 3 selected tracks').waitFor();
    await page.locator('#manual-tag').fill('road trip');
    await page.locator('#manual-tag').press('Enter');
    const ids = await Promise.all([4, 5, 6].map((i) => rows.nth(i).getAttribute('data-track-id')));
    await expect
      .poll(async () => {
        const all = await Promise.all(ids.map((id) => app.core.invoke('tags-list', { trackId: Number(id) })));
        return all.every((t) => t.tags.some((x) => x.label === 'road trip'));
      })
      .toBe(true);
    // Its notice names the batch and offers an Undo for exactly it.
    const notice = page.getByTestId('notice').filter({ hasText: 'Tagged “road trip” on 3 tracks' });
    await notice.getByRole('button', { name: 'Undo tagging “road trip” on 3 tracks' }).waitFor();
  });
});

describe('undo belongs to its view', () => {
  /** Whether every one of the tracks carries `label`. */
  const allTagged = async (ids: number[], label: string): Promise<boolean> =>
    (await Promise.all(ids.map((id) => app.core.invoke('tags-list', { trackId: id })))).every((t) => t.tags.some((x) => x.label === label));

  it('Ctrl+Z in Labels undoes a label change, never the tag batch made in the library', async () => {
    const { page } = app;
    const ops = await app.core.invoke('tags-history', { limit: 1 });
    const batch = ops[0];
    expect(batch).toMatchObject({ kind: 'add', label: 'road trip', undone: false });
    const ids = batch?.trackIds ?? [];
    const userLabels = async (): Promise<string[]> => (await app.core.invoke('labels-list', { vocabulary: 'user' })).map((l) => l.name);
    expect(await userLabels()).toContain('rainy sundays');
    await page.getByTestId('nav-labels').click();
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    // The Labels view's latest own action (adding “rainy sundays”) is undone; the library's tags stay.
    await expect.poll(userLabels).not.toContain('rainy sundays');
    expect(await allTagged(ids, 'road trip')).toBe(true);
    expect((await app.core.invoke('tags-history', { limit: 1 }))[0]).toMatchObject({ id: batch?.id, undone: false });
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(userLabels).toContain('rainy sundays');
    expect(await allTagged(ids, 'road trip')).toBe(true);
    // Back in the library, Ctrl+Z undoes the batch and Ctrl+Shift+Z redoes it.
    await page.getByTestId('nav-library').click();
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    await expect.poll(() => allTagged(ids, 'road trip')).toBe(false);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => allTagged(ids, 'road trip')).toBe(true);
  });

  it('the Undo button of a notice undoes exactly that action', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    await page.locator('.viewport .row', { hasText: 'long-tone.wav' }).click();
    const longId = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('long-tone.wav'))?.id as number;
    const tags = async (): Promise<string[]> => (await app.core.invoke('tags-list', { trackId: longId })).tags.map((t) => t.label);
    await page.locator('#manual-tag').fill('first light');
    await page.locator('#manual-tag').press('Enter');
    await expect.poll(tags).toContain('first light');
    await page.locator('#manual-tag').fill('late rain');
    await page.locator('#manual-tag').press('Enter');
    await expect.poll(tags).toContain('late rain');
    // One Undo notice per view: the newest action's replaced the one before.
    const notices = page.getByTestId('notice');
    await expect.poll(() => notices.filter({ hasText: 'Tagged “late rain”' }).count()).toBe(1);
    expect(await notices.filter({ hasText: 'Tagged “first light”' }).count()).toBe(0);
    await app.screenshot('19-undo-notice');
    await notices.filter({ hasText: 'Tagged “late rain”' }).getByTestId('notice-action').click();
    await expect.poll(tags).not.toContain('late rain');
    expect(await tags()).toContain('first light');
    await expect.poll(noticeTexts).toContainEqual(expect.stringContaining('Undid: Tagged “late rain”'));
    // Another label changed elsewhere in between: Ctrl+Z still undoes exactly this view's latest change
    // (“first light”, by its id) and leaves the other change alone.
    await app.core.invoke('tags-add', { trackId: longId, label: 'from elsewhere' });
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    await expect.poll(tags).not.toContain('first light');
    expect(await tags()).toEqual(['from elsewhere']);
    await expect.poll(noticeTexts).toContainEqual(expect.stringContaining('Undid: Tagged “first light”'));
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(tags).toContain('first light');
    // A later change elsewhere to the same track and label: the undo refuses rather than overwrite it,
    // and its notice says why.
    await app.core.invoke('tags-remove', { trackId: longId, label: 'first light' });
    await page.keyboard.press('Control+z');
    const error = page.getByTestId('notice').filter({ hasText: 'Could not undo' });
    await expect.poll(() => error.count()).toBe(1);
    expect(await error.textContent()).toContain('Could not undo tagging “first light”:');
    expect(await error.textContent()).toMatch(/later tag change/i);
    expect(await tags()).toEqual(['from elsewhere']);
    await app.core.invoke('tags-remove', { trackId: longId, label: 'from elsewhere' });
    // The error notice stays until dismissed.
    await error.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => error.count()).toBe(0);
  });
});

describe('playlists', () => {
  it('builds a rule with a live preview, saves it and exports M3U8 and XSPF', async () => {
    const { page } = app;
    await page.getByTestId('nav-playlists').click();
    const count = page.getByTestId('preview-count');
    await count.waitFor();
    // Default rule: calm above the 80th percentile, best first.
    await expect.poll(() => count.textContent()).toMatch(/^\d+ of \d+ matching/);
    await page.getByTestId('rule-value').first().fill('50');
    await page.getByTestId('rule-add-condition').first().click();
    await page.getByTestId('rule-label').nth(1).fill('sad');
    await page.getByTestId('rule-join').first().selectOption('or');
    await page.getByTestId('rule-limit').fill('8');
    await expect.poll(() => count.textContent()).toMatch(/^8 of \d+ matching/);
    await page.getByTestId('playlist-name').fill('Calm or sad');
    await page.getByTestId('playlist-save').click();
    await expect.poll(async () => (await app.core.invoke('playlists-list')).map((p) => p.name)).toEqual(['Calm or sad']);
    const saved = (await app.core.invoke('playlists-list'))[0];
    expect(saved?.definition).toMatchObject({ kind: 'rule', rule: { limit: 8, match: { op: 'or' } } });
    await app.screenshot('12-playlists');

    // The export asks the (stand-in) Save dialog, which proposes the playlist's name; the file lands
    // where the dialog answered, never at a path the page chose.
    const m3u = join(app.root, 'calm.m3u8');
    app.server.nextSave = m3u;
    await page.getByTestId('export').click();
    await expect.poll(() => (existsSync(m3u) ? readFileSync(m3u, 'utf8') : '')).toMatch(/^#EXTM3U/);
    expect(app.server.dialogs.at(-1)).toMatchObject({ dialog: 'save', request: { defaultName: 'Calm or sad.m3u8' } });
    const lines = readFileSync(m3u, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('#EXTINF')).length).toBe(8);
    await expect.poll(noticeTexts).toContainEqual(expect.stringContaining(`Exported 8 tracks to ${m3u}`));
    const xspf = join(app.root, 'calm.xspf');
    await page.getByTestId('export-format').selectOption('xspf');
    app.server.nextSave = xspf;
    await page.getByTestId('export').click();
    await expect.poll(() => (existsSync(xspf) ? readFileSync(xspf, 'utf8') : '')).toContain('<playlist');
    expect(app.server.dialogs.at(-1)).toMatchObject({ dialog: 'save', request: { defaultName: 'Calm or sad.xspf' } });
    // Cancelling the dialog writes nothing and says nothing went wrong.
    const dialogs = app.server.dialogs.length;
    app.server.nextSave = null;
    await page.getByTestId('export').click();
    await expect.poll(() => app.server.dialogs.length).toBe(dialogs + 1);
    expect(app.server.failures.filter((f) => f.name === 'playlists-export')).toEqual([]);
    await page.getByTestId('export-format').selectOption('m3u8');
  });

  it('previews a mood journey', async () => {
    const { page } = app;
    await page.getByTestId('tab-journey').click();
    await page.getByTestId('journey-from').fill('calm');
    await page.getByTestId('journey-to').fill('energetic');
    await page.getByTestId('journey-steps').fill('6');
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toMatch(/^6 of/);
    await app.screenshot('13-journey');
  });

  it('finds more like this from the inspector', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    await page.locator('.viewport .row', { hasText: 'long-tone.wav' }).click();
    await page.getByTestId('more-like-this').click();
    await page.getByTestId('playlists').waitFor();
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toMatch(/^21 of 21/);
  });

  it('re-evaluates an open saved playlist when tags change', async () => {
    const { page } = app;
    const saved = await app.core.invoke('playlists-save', {
      name: 'Road trip',
      definition: { kind: 'rule', rule: { match: { op: 'tag', label: 'road trip' } } },
    });
    await page.getByRole('button', { name: /^Road trip/ }).click();
    const count = page.getByTestId('preview-count');
    await expect.poll(() => count.textContent()).toMatch(/^3 of 3 matching/);
    const before = app.server.calls.get('playlists-get') ?? 0;
    const tagged = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('long-tone.wav'))?.id as number;
    await app.core.invoke('tags-add', { trackId: tagged, label: 'road trip' });
    await expect.poll(() => count.textContent()).toMatch(/^4 of 4 matching/);
    expect(app.server.calls.get('playlists-get') ?? 0).toBeGreaterThan(before);
    await app.core.invoke('tags-remove', { trackId: tagged, label: 'road trip' });
    await expect.poll(() => count.textContent()).toMatch(/^3 of 3 matching/);
    await app.core.invoke('playlists-delete', { id: saved.id });
  });
});

describe('file tags', () => {
  it('opts a folder in, previews, writes tags into the files and undoes the run', async () => {
    const { page } = app;
    await page.getByTestId('nav-filetags').click();
    const panel = page.getByTestId('filetags-panel');
    await panel.waitFor();
    await expect.poll(() => panel.getByTestId('filetags-write').isDisabled()).toBe(true);
    await panel.getByTestId('filetags-folder').check({ force: true });
    await expect.poll(async () => (await app.core.invoke('filetags-folders')).every((f) => f.enabled)).toBe(true);
    await panel.getByTestId('filetags-preview').click();
    const summary = panel.getByTestId('filetags-summary');
    await expect.poll(() => summary.textContent()).toMatch(/^\s*Preview:/);
    const preview = await app.core.run('filetags-preview');
    expect(preview.counts.write).toBeGreaterThan(0);
    await expect.poll(() => panel.getByTestId('filetags-write').textContent()).toBe(`Write ${count(preview.counts.write, 'file')}`);
    // The new mood value is highlighted as an insertion.
    await panel.locator('ins.val', { hasText: 'road trip' }).first().waitFor();
    await panel.getByTestId('filetags-write').click();
    await expect.poll(() => summary.textContent()).toMatch(new RegExp(`Run \\d+: ${preview.counts.write} written`));
    const runs = await app.core.invoke('filetags-runs');
    expect(runs[0]).toMatchObject({ status: 'done', written: preview.counts.write });
    const changes = await app.core.invoke('filetags-run', { runId: runs[0]?.id as number });
    expect(changes.some((c) => Object.values(c.after).some((v) => v.includes('road trip')))).toBe(true);
    await panel
      .getByTestId('filetags-runs')
      .getByRole('button', { name: `Run ${runs[0]?.id}`, exact: true })
      .click();
    await panel.locator('.changes li').first().waitFor();
    await app.screenshot('17-file-tags');
    // Nothing left to write; then undo the run.
    expect((await app.core.run('filetags-preview')).counts.write).toBe(0);
    await panel.getByRole('button', { name: `Undo run ${runs[0]?.id}` }).click();
    await expect.poll(async () => (await app.core.invoke('filetags-runs'))[0]?.status).toBe('undone');
    expect((await app.core.run('filetags-preview')).counts.write).toBe(preview.counts.write);
    await expect.poll(() => panel.getByRole('button', { name: `Undo run ${runs[0]?.id}` }).isDisabled()).toBe(true);
  });
});

describe('panels', () => {
  it('shows the analysis, models and settings panels', async () => {
    const { page } = app;
    await page.getByTestId('nav-analysis').click();
    await page.getByTestId('analysis-state').waitFor();
    await app.screenshot('09-analysis');
    await page.getByTestId('nav-models').click();
    await page.getByText('Tiny joint test pack').first().waitFor();
    await app.screenshot('10-models');
    await page.getByTestId('nav-settings').click();
    await page.getByText(libRoot).waitFor();
    await app.screenshot('11-settings');
  });

  it('fills the folder field from the desktop folder dialog; without a shell, hides Browse and says exports need it', async () => {
    const { page } = app;
    // The stand-in shell answers like the OS dialog, with what the test chose.
    app.server.nextFolder = '/picked/from/dialog';
    await page.getByTestId('folder-browse').click();
    await expect.poll(() => page.getByTestId('folder-path').inputValue()).toBe('/picked/from/dialog');
    await page.getByTestId('folder-path').fill('');
    // A host without the shell (a plain browser): no Browse, and no path box to write a playlist to.
    await page.getByTestId('nav-library').click();
    await page.evaluate(() => {
      delete window.moodshelfShell;
    });
    await page.getByTestId('nav-settings').click();
    expect(await page.getByTestId('folder-browse').count()).toBe(0);
    await page.getByTestId('nav-playlists').click();
    await expect.poll(() => page.getByTestId('export-unavailable').textContent()).toContain('needs the desktop app');
    expect(await page.getByTestId('export').count()).toBe(0);
    await page.reload();
    await page.getByTestId('nav-library').waitFor();
  });

  it('navigates the library by keyboard and follows a dark OS theme', async () => {
    const { page } = app;
    await page.keyboard.press('Control+1');
    // Let the freshly mounted library load its rows before moving through them.
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('25 tracks');
    await page.locator('.viewport .row[data-track-id]').first().waitFor();
    await page.getByTestId('track-grid').focus();
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const active = page.locator('.viewport .row.active');
    await expect.poll(() => active.getAttribute('aria-rowindex')).toBe('4');
    await page.keyboard.press('Enter');
    const title = await active.locator('.c-title').textContent();
    await expect.poll(() => page.locator('#inspector-title').textContent()).toBe(title);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('library-search');
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bg').trim());
    expect(bg).toBe('#151518');
    await app.screenshot('14-library-dark');
    await page.getByTestId('nav-playlists').click();
    await app.screenshot('15-playlists-dark');
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('labels-tab-map').click();
    await page.getByTestId('label-map').locator('[role="option"]').first().focus();
    await page.getByTestId('map-tooltip').waitFor();
    await app.screenshot('18-label-map-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });
});

describe('long work as jobs', () => {
  it('keeps a running job with its progress across a page reload, and shows it complete', async () => {
    const { page } = app;
    // A job the test drives step by step, started in the core as a long scan or export would be.
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let step: (done: number) => void = () => {};
    app.core.jobs.start({
      kind: 'e2e-steps',
      title: 'Stepping through a test job',
      cancellable: false,
      run: async (job) => {
        step = (done) => job.progress({ done, total: 10, message: `Step ${done} of 10` });
        step(3);
        await gate;
        return 'finished';
      },
    });
    const item = page.locator('[data-testid="job-item"][data-kind="e2e-steps"]');
    await expect.poll(() => item.getByTestId('job-progress').textContent()).toContain('Step 3 of 10');
    await page.reload();
    // After the reload the page finds the job again (jobs-list) with its progress, and follows it.
    await expect.poll(() => item.getByTestId('job-progress').textContent()).toContain('30%');
    expect(await item.getByTestId('job-progress').textContent()).toContain('Step 3 of 10');
    expect(await item.getByTestId('job-cancel').count()).toBe(0);
    step(7);
    await expect.poll(() => item.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('70');
    await app.screenshot('20-job-after-reload');
    release();
    await expect.poll(() => item.count()).toBe(0);
    await expect.poll(noticeTexts).toContainEqual(expect.stringContaining('Stepping through a test job: done.'));
  });

  it('cancels a model install from the activity list, also after a reload, and a later install completes', async () => {
    const { page } = app;
    const before = (await app.core.invoke('models-list')).map((p) => p.key);
    await page.getByTestId('nav-models').click();
    await page.getByTestId('pack-source').fill(hub.source);
    await page.getByTestId('pack-install').click();
    const item = page.locator('[data-testid="job-item"][data-kind="models-install"]');
    await expect.poll(async () => Number((await item.getByRole('progressbar').getAttribute('aria-valuenow')) ?? 0)).toBeGreaterThan(0);
    await page.reload();
    // The reloaded page shows the install in the activity list and in the Models panel.
    await page.getByTestId('nav-models').click();
    await page.getByTestId('install-status').waitFor();
    const at = Number((await item.getByRole('progressbar').getAttribute('aria-valuenow')) ?? 0);
    await expect.poll(async () => Number((await item.getByRole('progressbar').getAttribute('aria-valuenow')) ?? 0)).toBeGreaterThan(at);
    await item.getByRole('button', { name: `Cancel Installing ${hub.source}` }).click();
    await expect.poll(() => item.count()).toBe(0);
    const cancelled = (await app.core.invoke('jobs-list')).find((j) => j.kind === 'models-install');
    expect(cancelled?.state).toBe('cancelled');
    expect((await app.core.invoke('models-list')).map((p) => p.key)).toEqual(before);
    // Installing again resumes the download and completes; the panel waits for the job.
    await page.getByTestId('pack-source').fill(hub.source);
    await page.getByTestId('pack-install').click();
    await expect.poll(noticeTexts, { timeout: 30_000 }).toContainEqual(expect.stringContaining('Installed'));
    expect((await app.core.invoke('models-list')).map((p) => p.key)).toContain(hub.key);
    const active = (await app.core.invoke('models-list')).find((p) => p.active)?.key;
    expect(active).toBe(before.find(Boolean));
  });

  it('asks before removing a model pack', async () => {
    const { page } = app;
    await page
      .getByRole('button', { name: /^Remove pack / })
      .first()
      .waitFor();
    const packs = await app.core.invoke('models-list');
    const slow = packs.find((p) => p.key === hub.key);
    expect(slow).toBeDefined();
    await page.getByRole('button', { name: `Remove pack ${slow?.name}` }).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirm-ok').textContent()).toBe('Remove pack');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await app.core.invoke('models-list')).length).toBe(packs.length);
    await page.getByRole('button', { name: `Remove pack ${slow?.name}` }).click();
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(async () => (await app.core.invoke('models-list')).map((p) => p.key)).not.toContain(hub.key);
  });
});

describe('nothing lost by one click', () => {
  let extra: string;

  it('asks before removing a folder: cancelling keeps it, confirming removes it, Undo brings it and its tags back', async () => {
    const { page } = app;
    extra = join(app.root, 'extra');
    mkdirSync(extra, { recursive: true });
    writeSineWav(join(extra, 'extra-a.wav'), 4, 523);
    writeSineWav(join(extra, 'extra-b.wav'), 4, 659);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('folder-path').fill(extra);
    await page.getByTestId('folder-add').click();
    const extraTracks = async (): Promise<{ id: number; path: string }[]> =>
      (await app.core.invoke('tracks-list', {})).tracks.filter((t) => t.path.startsWith(extra));
    await expect.poll(async () => (await extraTracks()).length).toBe(2);
    const tagged = (await extraTracks()).find((t) => t.path.endsWith('extra-a.wav'));
    await app.core.invoke('tags-add', { trackId: tagged?.id as number, label: 'keep me' });
    const tagsOfA = async (): Promise<string[]> => {
      const a = (await extraTracks()).find((t) => t.path.endsWith('extra-a.wav'));
      return a ? (await app.core.invoke('tags-list', { trackId: a.id })).tags.map((t) => t.label) : [];
    };
    const folders = async (): Promise<string[]> => (await app.core.invoke('library-folders')).map((f) => f.path);

    // Esc cancels: the folder stays.
    const removeButton = page.getByRole('button', { name: `Remove folder ${extra}` });
    await removeButton.click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('are kept and come back if you add the folder again');
    expect(await dialog.getByTestId('confirm-ok').textContent()).toBe('Remove folder');
    // Focus stays inside the dialog.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-ok');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('[data-testid="confirm-dialog"]') !== null)).toBe(true);
    await app.screenshot('21-confirm-remove-folder');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await folders()).toContain(extra);
    // The Cancel button cancels too.
    await removeButton.click();
    await dialog.getByTestId('confirm-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    expect(await folders()).toContain(extra);

    // Confirming removes it; the notice's Undo adds it back and its tags return with the scan.
    await removeButton.click();
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(folders).not.toContain(extra);
    expect(await extraTracks()).toEqual([]);
    const notice = page.getByTestId('notice').filter({ hasText: `Removed ${extra}` });
    await expect.poll(() => notice.textContent()).toContain('tags and analyses kept');
    await notice.getByTestId('notice-action').click();
    await expect.poll(folders).toContain(extra);
    await expect.poll(tagsOfA).toEqual(['keep me']);

    // Enter confirms; adding the folder back by hand restores the tags as well.
    await removeButton.click();
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await expect.poll(folders).not.toContain(extra);
    await page.getByTestId('folder-path').fill(extra);
    await page.getByTestId('folder-add').click();
    await expect.poll(tagsOfA).toEqual(['keep me']);
  });

  it('purges a folder only through the separate, clearly worded choice', async () => {
    const { page } = app;
    const folders = async (): Promise<string[]> => (await app.core.invoke('library-folders')).map((f) => f.path);
    await page.getByRole('button', { name: `Remove folder ${extra}` }).click();
    const dialog = page.getByTestId('confirm-dialog');
    expect(await dialog.getByTestId('confirm-alternative').textContent()).toBe('Remove and delete its tags');
    await dialog.getByTestId('confirm-alternative').click();
    await expect.poll(folders).not.toContain(extra);
    // Added again, its tracks come back without the purged tags.
    await app.core.invoke('library-add', { path: extra });
    await app.core.run('library-scan');
    const a = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('extra-a.wav'));
    expect((await app.core.invoke('tags-list', { trackId: a?.id as number })).tags).toEqual([]);
    await app.core.invoke('library-remove', { path: extra, purge: true });
  });

  it('asks before deleting a label and a playlist, and Undo restores each', async () => {
    const { page } = app;
    const dialog = page.getByTestId('confirm-dialog');
    // A label.
    await page.getByTestId('nav-labels').click();
    const userLabels = async (): Promise<string[]> => (await app.core.invoke('labels-list', { vocabulary: 'user' })).map((l) => l.name);
    await page.getByRole('button', { name: 'Delete rainy sundays', exact: true }).click();
    expect(await dialog.getByTestId('confirm-ok').textContent()).toBe('Delete label');
    await page.keyboard.press('Escape');
    expect(await userLabels()).toContain('rainy sundays');
    await page.getByRole('button', { name: 'Delete rainy sundays', exact: true }).click();
    await page.keyboard.press('Enter');
    await expect.poll(userLabels).not.toContain('rainy sundays');
    await page.getByTestId('notice').filter({ hasText: 'Deleted the label “rainy sundays”' }).getByTestId('notice-action').click();
    await expect.poll(userLabels).toContain('rainy sundays');
    // A playlist: Ctrl+Z in the Playlists view brings it back, under its id.
    await page.getByTestId('nav-playlists').click();
    const playlists = async (): Promise<{ id: number; name: string }[]> => await app.core.invoke('playlists-list');
    const calm = (await playlists()).find((p) => p.name === 'Calm or sad');
    await page.getByRole('button', { name: 'Delete Calm or sad' }).click();
    expect(await dialog.getByTestId('confirm-ok').textContent()).toBe('Delete playlist');
    await dialog.getByTestId('confirm-ok').click();
    await expect.poll(async () => (await playlists()).map((p) => p.name)).not.toContain('Calm or sad');
    await page.locator('body').click({ position: { x: 5, y: 860 } });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await playlists()).find((p) => p.name === 'Calm or sad')?.id).toBe(calm?.id);
  });
});

describe('page', () => {
  it('had no page errors', () => {
    expect(app.errors).toEqual([]);
  });
});
