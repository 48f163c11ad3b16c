// The core flow end to end: first run (add a folder and scan, install the tiny pack, analyse), the
// library table, labels ranking, the track inspector while it plays, tagging with undo, the panels.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { writeSineWav } from '../support/wav.js';
import { launchApp, type App } from './support/harness.js';

let app: App;
let libRoot: string;

beforeAll(async () => {
  app = await launchApp();
  libRoot = join(app.root, 'music');
  generateLibrary(libRoot, 24, 8);
  mkdirSync(join(libRoot, 'Long'), { recursive: true });
  writeSineWav(join(libRoot, 'Long', 'long-tone.wav'), 65, 330);
});

afterAll(async () => {
  await app?.close();
});

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
    await expect.poll(() => page.locator('.viewport .chip').count(), { timeout: 10_000 }).toBeGreaterThan(0);
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
    await page.getByTestId('sort-label').selectOption('calm');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('22 tracks');
    const ranked = await app.core.invoke('scores-top', { label: 'calm', limit: 3 });
    const firstRow = page.locator('.viewport .row').first();
    await expect.poll(() => firstRow.getAttribute('data-track-id')).toBe(String(ranked[0]?.track.id));
    await app.screenshot('04-library-by-label');
    await page.getByTestId('sort-label').selectOption('');
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

    const m3u = join(app.root, 'calm.m3u8');
    await page.getByTestId('export-path').fill(m3u);
    await page.getByTestId('export').click();
    await expect.poll(() => (existsSync(m3u) ? readFileSync(m3u, 'utf8') : '')).toMatch(/^#EXTM3U/);
    const lines = readFileSync(m3u, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('#EXTINF')).length).toBe(8);
    const xspf = join(app.root, 'calm.xspf');
    await page.getByTestId('export-format').selectOption('xspf');
    await page.getByTestId('export-path').fill(xspf);
    await page.getByTestId('export').click();
    await expect.poll(() => (existsSync(xspf) ? readFileSync(xspf, 'utf8') : '')).toContain('<playlist');
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
    await expect.poll(() => panel.getByTestId('filetags-write').textContent()).toBe(`Write ${preview.counts.write} files`);
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

  it('fills the folder field from the desktop folder dialog, and hides Browse where there is none', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    expect(await page.evaluate(() => 'moodshelfShell' in window)).toBe(false);
    await page.getByTestId('nav-settings').click();
    expect(await page.getByTestId('folder-browse').count()).toBe(0);
    // The desktop shell's preload would expose this; here a stand-in answers like the OS dialog.
    await page.getByTestId('nav-library').click();
    await page.evaluate(() => {
      window.moodshelfShell = { pickFolder: () => Promise.resolve('/picked/from/dialog') };
    });
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('folder-browse').click();
    expect(await page.getByTestId('folder-path').inputValue()).toBe('/picked/from/dialog');
    await page.getByTestId('folder-path').fill('');
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

  it('had no page errors', () => {
    expect(app.errors).toEqual([]);
  });
});
