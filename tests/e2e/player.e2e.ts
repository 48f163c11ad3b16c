// The player end to end: a play queue filled from a playlist preview, next, Space, the queue outliving
// the inspector, cover art (embedded and cover.jpg beside the files) in the table, the inspector and the
// play bar, and the waveform drawn from the core's stored peaks. The library is made here: short WAVs,
// an MP3 (frames of the fixture, no encoder) with a JPEG embedded by node-taglib-sharp, a folder with a
// cover.jpg; the JPEG itself is drawn and encoded by the page's canvas, so it is a real picture.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongMp3 } from '../support/long-mp3.js';
import { TINY_PACK } from '../support/packs.js';
import { embedPicture } from '../support/pictures.js';
import { writeSineWav } from '../support/wav.js';
import { launchApp, type App } from './support/harness.js';

let app: App;
let libRoot: string;
/** The media URL of the first track the first test played (the other element may still hold it). */
let firstTrackSrc = '';

/** A real JPEG (size x size, one colour), encoded by Chromium's canvas. */
async function canvasJpeg(size: number, colour: string): Promise<Buffer> {
  const url = await app.page.evaluate(
    ({ size, colour }) => {
      const c = document.createElement('canvas');
      c.width = size;
      c.height = size;
      const g = c.getContext('2d') as CanvasRenderingContext2D;
      g.fillStyle = colour;
      g.fillRect(0, 0, size, size);
      return c.toDataURL('image/jpeg', 0.9);
    },
    { size, colour },
  );
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
}

beforeAll(async () => {
  app = await launchApp();
  libRoot = join(app.root, 'music');
  mkdirSync(join(libRoot, 'Tones'), { recursive: true });
  mkdirSync(join(libRoot, 'Covered'), { recursive: true });
  mkdirSync(join(libRoot, 'Embedded'), { recursive: true });
  const freqs = [220, 262, 330, 392, 440, 523];
  freqs.forEach((f, i) => writeSineWav(join(libRoot, 'Tones', `tone-${i + 1}.wav`), 6, f));
  writeSineWav(join(libRoot, 'Covered', 'covered.wav'), 6, 300);
  writeFileSync(join(libRoot, 'Covered', 'cover.jpg'), await canvasJpeg(48, '#2a6'));
  writeLongMp3(join(libRoot, 'Embedded', 'embedded.mp3'), 30, 'Embedded art');
  embedPicture(join(libRoot, 'Embedded', 'embedded.mp3'), await canvasJpeg(40, '#c33'), 'image/jpeg');

  const { core } = app;
  await core.invoke('library-add', { path: libRoot });
  await core.run('library-scan');
  await core.context.artwork.run();
  await core.run('models-install', { source: TINY_PACK });
  await core.invoke('analysis-start', {});
  await core.run('analysis-wait');
  await app.page.reload();
  await app.page.locator('.viewport .row').first().waitFor();
});

afterAll(async () => {
  await app?.close();
});

/** The player's playing element (of its two, the one marked data-active). */
async function audioState(): Promise<{ src: string; paused: boolean; time: number }> {
  return app.page.evaluate(() => {
    const a = document.querySelector<HTMLAudioElement>('audio[data-active="true"]');
    return { src: a?.src ?? '', paused: a?.paused ?? true, time: a?.currentTime ?? 0 };
  });
}

async function playingTitle(): Promise<string> {
  return (await app.page.getByTestId('playing-title').textContent()) ?? '';
}

describe('player', () => {
  it('plays a playlist preview from the top and skips to the next track', async () => {
    const { page } = app;
    await page.locator('.viewport .row', { hasText: 'tone-1.wav' }).click();
    await page.getByTestId('more-like-this').click();
    await page.getByTestId('playlists').waitFor();
    await expect.poll(() => page.getByTestId('preview-count').textContent()).toMatch(/of/);
    const titles = await page.locator('[data-testid="playlist-preview"] .tracks li .t strong').allTextContents();
    expect(titles.length).toBeGreaterThan(2);
    await page.getByTestId('playlist-preview').getByTestId('play-all').click();
    await page.getByTestId('playbar').waitFor();
    await expect.poll(playingTitle).toBe(titles[0]);
    await expect.poll(async () => (await audioState()).time, { timeout: 15_000 }).toBeGreaterThan(0.3);
    const firstSrc = (await audioState()).src;
    firstTrackSrc = firstSrc;
    await page.getByTestId('next').click();
    await expect.poll(playingTitle).toBe(titles[1]);
    await expect.poll(async () => (await audioState()).src).not.toBe(firstSrc);
    await expect.poll(async () => (await audioState()).paused).toBe(false);
    expect(await page.getByTestId('queue-toggle').textContent()).toContain(`(${titles.length})`);
    await app.screenshot('player-01-playbar');
  });

  it('goes on to the next track by itself at the end of one (the next preloaded in the other element)', async () => {
    const { page } = app;
    const before = await playingTitle();
    // The other element already holds the next track (tracks this short preload at once): not the one
    // playing, nor the first track, which it held before.
    // [the playing element's source, the other one's]
    const srcs = () =>
      app.page.evaluate(() =>
        [...document.querySelectorAll('audio')].sort((a) => (a.dataset.active === 'true' ? -1 : 1)).map((a) => a.src),
      );
    await expect
      .poll(async () => {
        const [playing, other = ''] = await srcs();
        return /\/media\/\d+$/.test(other) && other !== playing && other !== firstTrackSrc;
      })
      .toBe(true);
    const [playingSrc, preloadedSrc] = await srcs();
    expect(preloadedSrc).not.toBe(playingSrc);
    // The handover's gap: from one element's 'ended' to the other's 'playing'.
    await page.evaluate(() => {
      const w = window as unknown as { gap: { ended: number; playing: number } };
      w.gap = { ended: 0, playing: 0 };
      for (const a of document.querySelectorAll('audio')) {
        a.addEventListener('ended', () => (w.gap.ended = performance.now()));
        a.addEventListener('playing', () => (w.gap.playing = performance.now()));
      }
    });
    // Near the end of the current (6 s) track: it ends and the next starts without a click.
    await page.evaluate(() => {
      const a = document.querySelector('audio[data-active="true"]') as HTMLAudioElement;
      a.currentTime = Math.max(0, a.duration - 0.4);
    });
    await expect.poll(playingTitle, { timeout: 10_000 }).not.toBe(before);
    await expect.poll(async () => (await audioState()).paused).toBe(false);
    // The preloaded element took over: no new load of the track.
    expect((await srcs())[0]).toBe(preloadedSrc);
    const gap = () => page.evaluate(() => (window as unknown as { gap: { ended: number; playing: number } }).gap);
    await expect.poll(async () => (await gap()).playing > (await gap()).ended && (await gap()).ended > 0).toBe(true);
    const { ended, playing } = await gap();
    // Reported by the test run (the handover's gap in headless Chromium); generous bound for busy CI machines.
    // eslint-disable-next-line no-console -- the measured gap, for the report
    console.log(`gapless handover: ${Math.round(playing - ended)} ms from 'ended' to the next track's 'playing'`);
    expect(playing - ended).toBeLessThan(500);
  });

  it('toggles with Space, but not while typing in a text box', async () => {
    const { page } = app;
    await page.locator('#preview-heading').click();
    await expect.poll(async () => (await audioState()).paused).toBe(false);
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState()).paused).toBe(true);
    await expect.poll(() => page.getByTestId('playbar-play').getAttribute('data-playing')).toBe('false');
    await page.keyboard.press('Space');
    await expect.poll(async () => (await audioState()).paused).toBe(false);
    // In a text box Space types a space.
    const name = page.getByTestId('playlist-name');
    await name.fill('Calm');
    await name.press('Space');
    expect(await name.inputValue()).toBe('Calm ');
    expect((await audioState()).paused).toBe(false);
    await name.fill('');
  });

  it('keeps playing the queue when another row is picked and the inspector is closed, and shows the playing track on request', async () => {
    const { page } = app;
    const title = await playingTitle();
    const src = (await audioState()).src;
    await page.getByTestId('nav-library').click();
    await page.locator('.viewport .row', { hasText: 'covered.wav' }).click();
    await expect.poll(() => page.locator('#inspector-title').textContent()).toContain('covered');
    await page.locator('.viewport .row', { hasText: 'Embedded art' }).click();
    await expect.poll(() => page.locator('#inspector-title').textContent()).toBe('Embedded art');
    const t0 = (await audioState()).time;
    await expect.poll(async () => (await audioState()).time).toBeGreaterThan(t0 + 0.3);
    expect((await audioState()).src).toBe(src);
    expect(await playingTitle()).toBe(title);
    await page.getByRole('button', { name: 'Close the inspector' }).click();
    await expect.poll(() => page.getByTestId('inspector').count()).toBe(0);
    const t1 = (await audioState()).time;
    await expect.poll(async () => (await audioState()).time).toBeGreaterThan(t1 + 0.3);
    expect((await audioState()).paused).toBe(false);
    expect(await playingTitle()).toBe(title);
    // "Show playing track": the inspector follows the player when asked.
    await page.getByTestId('show-playing').click();
    await expect.poll(() => page.locator('#inspector-title').textContent()).toBe(title);
    expect((await audioState()).src).toBe(src);
  });

  it('shows cover art from an embedded picture and from cover.jpg, and a placeholder otherwise', async () => {
    const { page } = app;
    await page.getByTestId('nav-library').click();
    const rowCover = (name: string) => page.locator('.viewport .row', { hasText: name }).getByTestId('cover');
    const loaded = async (name: string): Promise<number> =>
      rowCover(name)
        .locator('img')
        .evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0))
        .catch(() => 0);
    await expect.poll(() => loaded('Embedded art')).toBe(40);
    await expect.poll(() => loaded('covered.wav')).toBe(48);
    expect(await rowCover('tone-3.wav').getByTestId('cover-placeholder').count()).toBe(1);
    expect(await rowCover('tone-3.wav').locator('img').count()).toBe(0);
    // The inspector and the play bar show the playing track's picture.
    await page.locator('.viewport .row', { hasText: 'Embedded art' }).click();
    const inspectorCover = page.getByTestId('inspector').getByTestId('cover-image');
    await expect.poll(() => inspectorCover.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(40);
    await page.getByTestId('inspector').getByTestId('play').click();
    await expect.poll(playingTitle).toBe('Embedded art');
    const barCover = page.getByTestId('playbar').getByTestId('cover-image');
    await expect.poll(() => barCover.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(40);
    // The OS controls get the title and the picture.
    const session = await page.evaluate(() => ({
      title: navigator.mediaSession.metadata?.title,
      art: navigator.mediaSession.metadata?.artwork[0]?.src ?? '',
    }));
    expect(session.title).toBe('Embedded art');
    expect(session.art).toMatch(/\/artwork\/\d+$/);
    await app.screenshot('player-02-artwork');
  });

  it('draws the waveform from the core’s stored peaks, without fetching the audio for it', async () => {
    const { page } = app;
    const inspector = page.getByTestId('inspector');
    await expect.poll(() => inspector.getByTestId('waveform').getAttribute('data-drawn'), { timeout: 20_000 }).toBe('true');
    const id = (await app.core.invoke('tracks-list', {})).tracks.find((t) => t.path.endsWith('embedded.mp3'))?.id as number;
    const stored = await app.core.invoke('tracks-peaks', { id });
    expect(stored.status).toBe('ready');
    // Opening it again draws at once from the same stored peaks: no second computation.
    const computed = app.core.context.peaks.computed;
    await page.getByRole('button', { name: 'Close the inspector' }).click();
    await page.locator('.viewport .row', { hasText: 'Embedded art' }).click();
    await expect.poll(() => page.getByTestId('waveform').getAttribute('data-drawn')).toBe('true');
    expect(app.core.context.peaks.computed).toBe(computed);
    expect(app.errors).toEqual([]);
  });
});
