// Personal labels in the app: the labels view shows a label's personal figures (personal vs zero-shot from
// cross-validation over the user's own tags), marks its ranking "personal", and switches it off and on; the
// inspector says why a track is here (the nearest tracks the user accepted).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { simulateUser } from '../support/mood-generator.js';
import { personalLibrary } from '../support/personal-library.js';
import { launchApp, type App } from './support/harness.js';

vi.setConfig({ expect: { poll: { timeout: 15_000 } } });

const LABEL = 'rainy sunday';
let app: App;
let root: string;
let figures: { personalAuc: number; zeroShotAuc: number };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'moodshelf-e2e-personal-'));
  // A generated library (tests/support/mood-generator.ts) in a real data folder, tagged as a user would.
  const p = await personalLibrary(root, { tracks: 400, labels: 2, seed: 21, names: (k) => [k === 0 ? 'night drive' : LABEL] });
  try {
    await p.core.invoke('labels-add', { text: LABEL });
    const decisions = simulateUser(p.lib.labels[1] as (typeof p.lib.labels)[number], 50, 0.1, 2);
    await p.core.invoke('tags-accept', { trackIds: decisions.filter((d) => d.accepted).map((d) => p.trackId(d.track)), label: LABEL });
    await p.core.invoke('tags-reject', { trackIds: decisions.filter((d) => !d.accepted).map((d) => p.trackId(d.track)), label: LABEL });
    const f = await p.core.invoke('labels-personal', { label: LABEL });
    if (!f.active || !f.model) throw new Error(`the generated case should make an active personal model: ${f.reason}`);
    figures = { personalAuc: f.model.personalAuc as number, zeroShotAuc: f.model.zeroShotAuc };
  } finally {
    await p.core.close();
  }
  app = await launchApp({ dataDir: join(root, 'data') });
});

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('personal labels', () => {
  it('shows the figures, marks the ranking personal, and switches the model off and on', async () => {
    const { page } = app;
    await page.getByTestId('nav-labels').click();
    await page.locator('.label-btn', { hasText: LABEL }).first().click();
    const ranked = page.getByTestId('ranked');
    await page.getByRole('heading', { name: `Top tracks for “${LABEL}”` }).waitFor();
    await ranked.getByTestId('personal-marker').waitFor();
    const panel = page.getByTestId('personal-panel');
    await expect.poll(() => panel.getByTestId('personal-status').textContent()).toContain('In use');
    expect(await panel.getByTestId('personal-auc').textContent()).toBe(`${Math.round(figures.personalAuc * 100)}%`);
    expect(await panel.getByTestId('zero-shot-auc').textContent()).toBe(`${Math.round(figures.zeroShotAuc * 100)}%`);
    await app.screenshot('personal-01-panel');

    await panel.getByTestId('personal-switch').click();
    await expect.poll(() => panel.getByTestId('personal-status').textContent()).toContain('Turned off');
    expect((await app.core.invoke('labels-personal', { label: LABEL })).enabled).toBe(false);
    expect((await app.core.invoke('scores-label', { label: LABEL })).personal).toBe(false);
    await panel.getByTestId('personal-switch').click();
    await expect.poll(() => panel.getByTestId('personal-status').textContent()).toContain('In use');
    expect((await app.core.invoke('scores-label', { label: LABEL })).personal).toBe(true);
  });

  it('says why a track is here: the nearest tracks the user tagged', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    const rows = page.locator('.viewport .row[data-track-id]');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    await rows.nth(0).click();
    const why = page.getByTestId('inspector').getByTestId('why-here');
    await expect.poll(() => why.locator('li').count()).toBe(5);
    const id = Number(await rows.nth(0).getAttribute('data-track-id'));
    const expected = await app.core.invoke('tracks-why', { trackId: id });
    expect(await why.locator('li .title').allTextContents()).toEqual(expected.neighbours.map((n) => n.track.title));
    expect(errorsOf(app)).toEqual([]);
  });

  it('marks the library score column personal when it is sorted by the label', async () => {
    const { page } = app;
    await page.keyboard.press('Escape');
    await page.getByTestId('nav-library').click();
    await page.getByTestId('sort-label').click();
    await page.getByTestId('sort-label-search').fill(LABEL);
    await page.locator(`[data-testid="sort-option"][data-value="${LABEL}"]`).click();
    const head = page.locator('.score-head');
    await head.getByTestId('personal-marker').waitFor();
    expect(await head.textContent()).toContain(LABEL);
    expect(errorsOf(app)).toEqual([]);
  });
});

/** Page errors, less the 404s of this generated library's audio and pictures (its files do not exist). */
function errorsOf(a: App): string[] {
  return a.errors.filter((e) => !/status of 404/.test(e));
}
