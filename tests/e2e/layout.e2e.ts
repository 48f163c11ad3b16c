// Layouts from 900x600 to 1920x1080 in light and dark: every view (library, library with the inspector,
// labels, the label map, playlists with their preview, file tags, analysis, models, settings, the first
// run, the shortcuts overlay) is screenshotted as test-results/e2e/<view>-<w>x<h>-<theme>.png and checked by
// bounding boxes: key elements fully inside the window and not on top of each other (the check itself is
// unit-tested in tests/unit/layout-check.test.ts). Also: the collapsible sidebar (remembered), the a/r
// tag shortcuts and the shortcuts overlay, toasts (kept clear of the controls, paused on hover), and the
// first run (focus held, Esc, Skip remembered, counts that agree, an offline install in plain words).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closedPort } from '../support/electron-mirror.js';
import { generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { launchApp, type App } from './support/harness.js';
import { layoutProblems, overlapArea, readBoxes, type NamedBox } from './support/layout-check.js';

vi.setConfig({ expect: { poll: { timeout: 15_000 } } });

const SIZES = [
  { width: 900, height: 600 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const;
const THEMES = ['light', 'dark'] as const;
/** Below this width the inspector is an overlay (LibraryView's media query). */
const DOCKED_MIN = 1280;

type Size = (typeof SIZES)[number];
type Theme = (typeof THEMES)[number];

let app: App;
let libRoot: string;

/** A key element of a view: a selector, and whether it may be absent (e.g. hidden by design). */
interface Target {
  name: string;
  selector: string;
  required?: boolean;
  all?: boolean;
}

const SIDEBAR: Target = { name: 'sidebar', selector: '[data-testid="sidebar"]' };
const NOTICES: Target = { name: 'notices', selector: '[data-testid="notices"]', required: false };
/** The play bar, where the player shows one (a row of its own under the view). */
const PLAYBAR: Target = { name: 'play bar', selector: '[data-testid="playbar"]', required: false };

async function setSize(page: Page, size: Size, theme: Theme): Promise<void> {
  await page.setViewportSize(size);
  await page.emulateMedia({ colorScheme: theme });
  // Let container queries and the virtual table settle at the new size.
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
}

/**
 * Checks a view: the targets inside the window and apart (pairs in `allowed` may overlap: a container
 * and what it holds), the page not wider than the window and the view not cut at its right edge. Then
 * writes the screenshot <view>-<w>x<h>-<theme>.png.
 */
async function check(
  view: string,
  size: Size,
  theme: Theme,
  targets: readonly Target[],
  allowed: readonly (readonly [string, string])[] = [],
): Promise<NamedBox[]> {
  const { page } = app;
  const { boxes, missing, clipped } = await readBoxes(page, [SIDEBAR, NOTICES, PLAYBAR, ...targets]);
  const problems = [...missing.map((m) => `${m} is missing`), ...clipped, ...layoutProblems(boxes, size, allowed)];
  const overflow = await page.evaluate(() => {
    const main = document.querySelector('main');
    return {
      page: document.documentElement.scrollWidth - window.innerWidth,
      main: main ? main.scrollWidth - main.clientWidth : 0,
    };
  });
  if (overflow.page > 1) problems.push(`the page is ${overflow.page}px wider than the window`);
  if (overflow.main > 1) problems.push(`the view is cut at its right edge (${overflow.main}px hidden)`);
  await app.screenshot(`${view}-${size.width}x${size.height}-${theme}`);
  expect(problems, `${view} at ${size.width}x${size.height} (${theme})`).toEqual([]);
  return boxes;
}

/** Each mood chip shown in the library's table shows whole: chips that do not fit are left out, not cut. */
async function chipsCut(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const cut: string[] = [];
    for (const holder of document.querySelectorAll('.viewport .chips')) {
      const h = holder.getBoundingClientRect();
      for (const chip of holder.querySelectorAll('.chip')) {
        const c = chip.getBoundingClientRect();
        if (c.top >= h.bottom - 0.5) continue; // wrapped away: not shown
        if (c.right > h.right + 0.5) cut.push(`${chip.textContent ?? ''} (${Math.round(c.right - h.right)}px cut)`);
        for (const w of chip.querySelectorAll('.w')) {
          const r = w.getBoundingClientRect();
          if (r.top < c.bottom - 0.5 && r.right > c.right + 0.5) cut.push(`word ${w.textContent ?? ''} of ${chip.textContent ?? ''}`);
        }
      }
    }
    return cut;
  });
}

/** Widths of the titles in the first rows of a ranked list (Labels' top tracks, the playlist preview). */
async function titleWidths(page: Page, list: string): Promise<number[]> {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(`${sel} li`)]
        .slice(0, 3)
        .map((li) => li.querySelector('.t strong')?.getBoundingClientRect().width ?? 0),
    list,
  );
}

async function goto(page: Page, view: string): Promise<void> {
  await page.getByTestId(`nav-${view}`).click();
}

beforeAll(async () => {
  app = await launchApp({ viewport: { width: 1440, height: 900 } });
  libRoot = join(app.root, 'music');
  mkdirSync(libRoot, { recursive: true });
  generateLibrary(libRoot, 24, 8);
});

afterAll(async () => {
  await app?.close();
});

describe('first run', () => {
  it('fits every size and theme', async () => {
    const { page } = app;
    await page.getByTestId('first-run').waitFor();
    for (const size of SIZES)
      for (const theme of THEMES) {
        await setSize(page, size, theme);
        await check(
          'firstrun',
          size,
          theme,
          [
            { name: 'dialog', selector: '[data-testid="first-run"] .card' },
            { name: 'folder field', selector: '[data-testid="first-folder"]' },
            { name: 'add button', selector: '[data-testid="first-folder-add"]' },
            { name: 'skip', selector: '[data-testid="first-skip"]' },
          ],
          [
            ['dialog', 'folder field'],
            ['dialog', 'add button'],
            ['dialog', 'skip'],
            // The dialog is modal: it sits over the sidebar on purpose.
            ['dialog', 'sidebar'],
            ['folder field', 'sidebar'],
            ['add button', 'sidebar'],
          ],
        );
      }
  });

  it('holds focus, closes on Esc, and stays skipped after a reload', async () => {
    const { page } = app;
    await setSize(page, SIZES[1], 'light');
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('first-folder');
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
      expect(await page.evaluate(() => document.querySelector('[data-testid="first-run"]')?.contains(document.activeElement))).toBe(true);
    }
    // Ctrl+2 behind a modal does nothing: the keys stay in the dialog.
    await page.keyboard.press('Control+2');
    expect(await page.getByTestId('nav-library').getAttribute('aria-current')).toBe('page');
    await page.keyboard.press('Escape');
    await page.getByTestId('first-run').waitFor({ state: 'detached' });
    await expect.poll(async () => (await app.core.invoke('settings-get')).firstRunSkipped).toBe(true);
    await page.reload();
    await page.getByTestId('nav-library').waitFor();
    await page
      .getByTestId('track-count')
      .or(page.getByRole('heading', { name: 'Your library is empty' }))
      .first()
      .waitFor();
    expect(await page.getByTestId('first-run').count()).toBe(0);
  });
});

describe('every view at 900x600, 1440x900 and 1920x1080', () => {
  beforeAll(async () => {
    // The library through the core (the first-run flow is covered above and in app.e2e.ts).
    const { core } = app;
    await core.invoke('library-add', { path: libRoot });
    await core.run('library-scan');
    await core.run('models-install', { source: TINY_PACK });
    await core.invoke('analysis-start', { policy: 'quick:3' });
    await core.run('analysis-wait');
    await core.invoke('labels-add', { text: 'rainy sunday afternoon by the window' });
    await core.invoke('playlists-save', {
      name: 'Calm evenings with a rather long playlist name',
      definition: { kind: 'rule', rule: { match: { op: 'label', label: 'calm', percentile: 50 }, limit: 20 } },
    });
    await app.page.reload();
    await app.page.waitForFunction(() => document.querySelector('[data-testid="track-count"]')?.textContent === '24 tracks');
  }, 180_000);

  for (const size of SIZES)
    for (const theme of THEMES) {
      it(`${size.width}x${size.height} ${theme}`, async () => {
        const { page } = app;
        await setSize(page, size, theme);
        const docked = size.width >= DOCKED_MIN;

        // Library: toolbar, the table's header cells (status and moods always shown), whole mood chips.
        await goto(page, 'library');
        await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('24 tracks');
        await expect.poll(() => page.locator('.viewport .chip').count()).toBeGreaterThan(0);
        const toolbar: Target[] = [
          { name: 'search', selector: '[data-testid="search"]' },
          { name: 'sort', selector: '[data-testid="sort-label"]' },
          { name: 'filters', selector: '.toolbar > button' },
          { name: 'track count', selector: '[data-testid="track-count"]' },
        ];
        const headers: Target[] = [
          { name: 'header', selector: '.table .head .cell', all: true },
          { name: 'status header', selector: '.table .head .c-status' },
          { name: 'moods header', selector: '.table .head .c-moods' },
        ];
        const headerPairs = (await readBoxes(page, headers)).boxes.map((b) => b.name);
        // The named status and moods headers are among the header cells: the same boxes.
        const same = headerPairs.flatMap((h) => [
          ['status header', h],
          ['moods header', h],
        ]) as [string, string][];
        await check('library', size, theme, [...toolbar, ...headers], [...same, ['status header', 'moods header']]);
        expect(await chipsCut(page)).toEqual([]);
        // The mood sort picker opens inside the window.
        await page.getByTestId('sort-label').click();
        await page.getByTestId('sort-label-search').waitFor();
        const picker = await readBoxes(page, [{ name: 'mood picker', selector: '.picker .pop' }]);
        expect(layoutProblems(picker.boxes, size)).toEqual([]);
        await page.getByTestId('sort-label').click();
        await page.getByTestId('sort-label-search').waitFor({ state: 'detached' });

        // The inspector: a pane beside the table (wide) or an overlay under the toolbar (narrow).
        await page.locator('.viewport .row[data-track-id]:not(.failed):not(.missing)').first().click();
        await page.getByTestId('inspector').waitFor();
        await page.getByTestId('emotion-strip').waitFor();
        await page.getByTestId('suggestion').first().waitFor();
        const inspector: Target[] = [
          ...toolbar,
          { name: 'inspector', selector: '.inspector-slot' },
          { name: 'inspector title', selector: '#inspector-title' },
          { name: 'inspector close', selector: '[data-testid="inspector"] header button' },
        ];
        const inside: [string, string][] = [
          ['inspector', 'inspector title'],
          ['inspector', 'inspector close'],
        ];
        if (docked)
          await check(
            'library-inspector',
            size,
            theme,
            [...inspector, ...headers],
            [...inside, ...same, ['status header', 'moods header']],
          );
        else await check('library-inspector', size, theme, inspector, inside);
        expect(await chipsCut(page)).toEqual([]);
        await page.getByRole('button', { name: 'Close the inspector' }).click();

        // Labels: the top tracks keep their titles.
        await goto(page, 'labels');
        await page
          .getByRole('button', { name: /rainy sunday afternoon/ })
          .first()
          .click();
        await expect.poll(() => page.locator('.ranking li').count()).toBeGreaterThan(2);
        await check('labels', size, theme, [
          { name: 'label field', selector: '[data-testid="label-text"]' },
          { name: 'add label', selector: '[data-testid="label-add"]' },
          { name: 'tabs', selector: '.tabs' },
          { name: 'ranked heading', selector: '#ranked-heading' },
          { name: 'rank library', selector: '.ranked-head button' },
        ]);
        for (const w of await titleWidths(page, '.ranking')) expect(w, 'a top-track title').toBeGreaterThan(60);

        await page.getByTestId('labels-tab-map').click();
        await expect.poll(() => page.getByTestId('label-map').locator('[role="option"]').count()).toBeGreaterThan(0);
        await check('labelmap', size, theme, [
          { name: 'tabs', selector: '.tabs' },
          { name: 'map stats', selector: '[data-testid="map-bandwidth"]' },
        ]);
        await page.getByTestId('labels-tab-ranked').click();

        // Playlists: the editor and the live preview, the preview's titles readable.
        await goto(page, 'playlists');
        await expect.poll(() => page.getByTestId('preview-count').textContent()).toMatch(/^\d+ of \d+ matching/);
        await expect.poll(() => page.locator('[data-testid="playlist-preview"] .tracks li').count()).toBeGreaterThan(2);
        await check(
          'playlists',
          size,
          theme,
          [
            { name: 'name field', selector: '[data-testid="playlist-name"]' },
            { name: 'save', selector: '[data-testid="playlist-save"]' },
            { name: 'preview heading', selector: '#preview-heading' },
            { name: 'preview count', selector: '[data-testid="preview-count"]' },
            { name: 'first preview row', selector: '[data-testid="playlist-preview"] .tracks li' },
          ],
          [],
        );
        for (const w of await titleWidths(page, '[data-testid="playlist-preview"] .tracks'))
          expect(w, 'a preview title').toBeGreaterThan(60);

        for (const [view, heading] of [
          ['filetags', 'Write tags to files'],
          ['analysis', 'Analysis'],
          ['models', null],
          ['settings', null],
        ] as const) {
          await goto(page, view);
          const h = heading ? page.getByRole('heading', { name: heading, exact: true }) : page.locator('main h2').first();
          await h.waitFor();
          await check(view, size, theme, [{ name: 'heading', selector: 'main h2' }]);
        }

        // The shortcuts overlay.
        await goto(page, 'library');
        await page.getByTestId('track-grid').focus();
        await page.keyboard.press('?');
        await page.getByTestId('help-overlay').waitFor();
        await check('help', size, theme, [{ name: 'overlay', selector: '[data-testid="help-overlay"]' }], [['overlay', 'sidebar']]);
        await page.keyboard.press('Escape');
        await page.getByTestId('help-overlay').waitFor({ state: 'detached' });
      });
    }

  it('collapses the sidebar, remembers it across a reload, and the views still fit', async () => {
    const { page } = app;
    await setSize(page, SIZES[0], 'light');
    await goto(page, 'library');
    const before = (await page.getByTestId('sidebar').boundingBox())?.width ?? 0;
    await page.getByTestId('sidebar-toggle').click();
    await expect.poll(async () => (await page.getByTestId('sidebar').boundingBox())?.width ?? 0).toBeLessThan(70);
    await page.reload();
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('24 tracks');
    expect((await page.getByTestId('sidebar').boundingBox())?.width ?? 0).toBeLessThan(70);
    await page.locator('.viewport .row[data-track-id]').first().click();
    await page.getByTestId('inspector').waitFor();
    await check(
      'library-collapsed',
      SIZES[0],
      'light',
      [
        { name: 'search', selector: '[data-testid="search"]' },
        { name: 'sort', selector: '[data-testid="sort-label"]' },
        { name: 'inspector', selector: '.inspector-slot' },
        { name: 'inspector title', selector: '#inspector-title' },
      ],
      [['inspector', 'inspector title']],
    );
    await page.getByRole('button', { name: 'Close the inspector' }).click();
    await page.keyboard.press('Control+b');
    await expect.poll(async () => (await page.getByTestId('sidebar').boundingBox())?.width ?? 0).toBeCloseTo(before, 0);
  });
});

describe('shortcuts and notices', () => {
  it('accepts the first suggestion with a and rejects the focused one with r; the notice keeps clear of the editor', async () => {
    const { page } = app;
    await setSize(page, SIZES[1], 'light');
    await goto(page, 'library');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('24 tracks');
    const row = page.locator('.viewport .row[data-track-id]:not(.failed):not(.missing)').first();
    const trackId = Number(await row.getAttribute('data-track-id'));
    await row.click();
    const suggestions = page.getByTestId('suggestion');
    await expect.poll(() => suggestions.count()).toBeGreaterThan(2);
    const first = (await suggestions.first().getAttribute('data-suggestion')) as string;
    await page.getByTestId('track-grid').focus();
    await page.keyboard.press('a');
    await expect.poll(async () => (await app.core.invoke('tags-list', { trackId })).tags.map((t) => t.label)).toContain(first);
    const notice = page.getByTestId('notice').filter({ hasText: 'Accepted' });
    await notice.waitFor();
    // The toast sits in the strip the layout keeps for it: never over the tag editor, the inspector or the search.
    await expect.poll(() => page.getByTestId('suggestion').first().getAttribute('data-suggestion')).not.toBe(first);
    const { boxes } = await readBoxes(page, [
      { name: 'notice', selector: '[data-testid="notice"]' },
      { name: 'tag editor', selector: '[data-testid="tag-editor"]' },
      { name: 'inspector title', selector: '#inspector-title' },
      { name: 'search', selector: '[data-testid="search"]' },
      { name: 'table', selector: '[data-testid="track-grid"]' },
    ]);
    const noticeBox = boxes.find((b) => b.name === 'notice') as NamedBox;
    for (const b of boxes) if (b !== noticeBox) expect(overlapArea(noticeBox, b), `notice over ${b.name}`).toBe(0);
    // r on a focused suggestion rejects that one, not the first.
    const second = suggestions.nth(1);
    const secondLabel = (await second.getAttribute('data-suggestion')) as string;
    await second.locator('button').first().focus();
    await page.keyboard.press('r');
    await expect.poll(async () => (await app.core.invoke('tags-list', { trackId })).rejected).toContain(secondLabel);
    expect((await app.core.invoke('tags-list', { trackId })).rejected).toHaveLength(1);
    await app.screenshot('shortcuts-a-r-1440x900-light');
    await page.getByRole('button', { name: 'Close the inspector' }).click();
  });

  it('lists the shortcuts on ?, and a success toast stays while hovered, then goes by itself', async () => {
    const { page } = app;
    await page.getByTestId('track-grid').focus();
    await page.keyboard.press('?');
    const help = page.getByTestId('help-overlay');
    await help.waitFor();
    const keys = await help.locator('kbd').allTextContents();
    for (const key of ['a', 'r', 'Space', '/', 'Esc', 'Enter', 'Ctrl+Z', '?']) expect(keys).toContain(key);
    await page.keyboard.press('?');
    await help.waitFor({ state: 'detached' });

    await goto(page, 'analysis');
    await page.getByTestId('analysis-start').click();
    const toast = page.getByTestId('notice').filter({ hasText: /^(Everything is analysed already\.|Queued \d+ tracks?\.)/ });
    await toast.waitFor();
    await toast.hover();
    await page.waitForTimeout(5000);
    expect(await toast.count()).toBe(1);
    await page.mouse.move(5, 5);
    await toast.waitFor({ state: 'detached', timeout: 7000 });
  });
});

describe('notices', () => {
  it('a new error replaces the stale one of its action, a later success clears it, the typed text stays, and none covers the form', async () => {
    const { page } = app;
    await setSize(page, SIZES[0], 'light');
    await goto(page, 'models');
    const field = page.getByTestId('pack-source');
    const errors = page.locator('[data-testid="notice"][data-kind="error"]');
    await field.fill(join(app.root, 'no-such-pack-one'));
    await page.getByTestId('pack-install').click();
    await expect.poll(() => errors.allTextContents()).toEqual([expect.stringContaining('no-such-pack-one: no such folder or file')]);
    await field.fill(join(app.root, 'no-such-pack-two'));
    await page.getByTestId('pack-install').click();
    await expect.poll(() => errors.allTextContents()).toEqual([expect.stringContaining('no-such-pack-two: no such folder or file')]);
    // The typed source is still there to fix, not to retype.
    expect(await field.inputValue()).toBe(join(app.root, 'no-such-pack-two'));
    const { boxes } = await readBoxes(page, [
      { name: 'notice', selector: '[data-testid="notice"]' },
      { name: 'source field', selector: '[data-testid="pack-source"]' },
      { name: 'install button', selector: '[data-testid="pack-install"]' },
    ]);
    // The form may be scrolled out of view by the panel; where it shows, no toast is over it.
    const notice = boxes.find((b) => b.name === 'notice') as NamedBox;
    for (const b of boxes) if (b !== notice) expect(overlapArea(notice, b), `notice over ${b.name}`).toBe(0);
    await app.screenshot('notice-error-900x600-light');
    await field.fill(TINY_PACK);
    await page.getByTestId('pack-install').click();
    await page
      .getByTestId('notice')
      .filter({ hasText: /^Installed / })
      .waitFor({ timeout: 30_000 });
    expect(await errors.count()).toBe(0);
  });
});

describe('2560x1440', () => {
  it('docks the inspector at its remembered width and keeps every column', async () => {
    const { page } = app;
    const size = { width: 2560, height: 1440 } as unknown as Size;
    await setSize(page, size, 'dark');
    await goto(page, 'library');
    await page.locator('.viewport .row[data-track-id]:not(.failed):not(.missing)').first().click();
    await page.getByTestId('inspector').waitFor();
    const width = (await page.locator('.inspector-slot').boundingBox())?.width ?? 0;
    expect(width).toBeGreaterThanOrEqual(360);
    expect(width).toBeLessThanOrEqual(900);
    const columns = await page
      .locator('.table .head .cell')
      .evaluateAll((cells) => cells.filter((c) => getComputedStyle(c).display !== 'none').map((c) => c.textContent?.trim().split(/\s/)[0]));
    expect(columns).toEqual(['Title', 'Artist', 'Album', 'Year', 'Genre', 'Time', 'Moods', 'Status']);
    await check('library-inspector', size, 'dark', [
      { name: 'search', selector: '[data-testid="search"]' },
      { name: 'inspector title', selector: '#inspector-title' },
      { name: 'status header', selector: '.table .head .c-status' },
    ]);
    // Dragging the pane's edge widens it, and the width is remembered.
    const edge = await page.locator('.inspector-slot .resize').boundingBox();
    if (!edge) throw new Error('no resize handle');
    await page.mouse.move(edge.x + 3, edge.y + 200);
    await page.mouse.down();
    await page.mouse.move(edge.x - 200, edge.y + 200, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await page.locator('.inspector-slot').boundingBox())?.width ?? 0).toBeGreaterThan(width + 150);
    const saved = await page.evaluate(
      () => (JSON.parse(localStorage.getItem('moodshelf:prefs') ?? '{}') as { inspectorWidth?: number }).inspectorWidth,
    );
    expect(saved).toBeGreaterThan(width + 150);
    await page.getByRole('button', { name: 'Close the inspector' }).click();
  });
});

describe('first run on a machine without a network', () => {
  let offline: App;
  afterAll(async () => {
    await offline?.close();
  });

  it('counts the same tracks as the library, says plainly that the hub cannot be reached, and installs from a folder', async () => {
    const port = await closedPort();
    offline = await launchApp({ viewport: { width: 900, height: 600 }, core: { hubEndpoint: `http://127.0.0.1:${port}` } });
    const { page } = offline;
    await page.getByTestId('first-run').waitFor();
    await page.getByTestId('first-folder').fill(libRoot);
    await page.getByTestId('first-folder-add').click();
    await page.getByTestId('first-recommended').waitFor();
    const status = await offline.core.invoke('status-get');
    expect(status.tracks.total).toBe(24);
    expect(status.tracks.failed).toBe(3);
    // One word for one count: "24 tracks" in the dialog and in the library behind it.
    await expect
      .poll(() => page.getByTestId('first-indexed').textContent())
      .toContain('Indexed 24 tracks (21 readable, 3 files that could not be read)');
    await expect.poll(() => page.getByTestId('track-count').textContent()).toBe('24 tracks');

    await page.getByTestId('first-recommended').click();
    const error = page.getByTestId('first-error');
    await error.waitFor({ timeout: 30_000 });
    const text = (await error.textContent()) ?? '';
    expect(text).toMatch(new RegExp(`^Can't reach 127\\.0\\.0\\.1:${port}: you seem to be offline`));
    expect(text).not.toMatch(/getaddrinfo|ECONNREFUSED|fetch failed/);
    await page.getByTestId('first-offline-hint').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('first-pack');
    await offline.screenshot('firstrun-offline-900x600-light');

    await page.getByTestId('first-pack').fill(TINY_PACK);
    await page.getByTestId('first-pack-install').click();
    await page.getByTestId('first-ready').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('first-ready').textContent()).toContain('21 readable tracks of 24 indexed');
    expect(offline.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});

describe('page', () => {
  it('had no page errors', () => {
    expect(app.errors).toEqual([]);
  });
});
