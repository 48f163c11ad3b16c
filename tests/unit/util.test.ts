import { describe, expect, it, vi } from 'vitest';
import { defaultDataDir, resolveDataDir } from '../../src/core/kernel/data-dir.js';
import { forEachConcurrent, throttle } from '../../src/core/kernel/throttle.js';
import { toFtsQuery } from '../../src/core/tracks/queries.js';
import { isAudioPath } from '../../src/core/library/formats.js';
import { formatProgress } from '../../src/cli/progress.js';
import { formatDuration } from '../../src/cli/format.js';

describe('data folder', () => {
  it('matches what Electron uses for an app named Moodshelf on each OS', () => {
    expect(defaultDataDir('linux', {}, '/home/u')).toBe('/home/u/.config/Moodshelf');
    expect(defaultDataDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/Moodshelf');
    expect(defaultDataDir('darwin', {}, '/Users/u')).toBe('/Users/u/Library/Application Support/Moodshelf');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'C:\\Users\\u')).toMatch(/Roaming[\\/]Moodshelf$/);
  });

  it('prefers the explicit value, then MOODSHELF_DATA_DIR', () => {
    expect(resolveDataDir('/a', { MOODSHELF_DATA_DIR: '/b' })).toBe('/a');
    expect(resolveDataDir(undefined, { MOODSHELF_DATA_DIR: '/b' })).toBe('/b');
  });
});

describe('throttle', () => {
  it('passes the first value, holds the rest and flushes the latest', () => {
    vi.useFakeTimers();
    const seen: number[] = [];
    const t = throttle<number>((v) => seen.push(v), 100);
    t.push(1);
    t.push(2);
    t.push(3);
    expect(seen).toEqual([1]);
    t.flush();
    expect(seen).toEqual([1, 3]);
    vi.advanceTimersByTime(150);
    t.push(4);
    expect(seen).toEqual([1, 3, 4]);
    vi.useRealTimers();
  });
});

describe('forEachConcurrent', () => {
  it('never runs more than the limit at once and visits every item', async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachConcurrent([...Array(20).keys()], 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      done.push(i);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('stops taking new items when asked', async () => {
    const done: number[] = [];
    await forEachConcurrent(
      [...Array(10).keys()],
      1,
      async (i) => void done.push(i),
      () => done.length >= 4,
    );
    expect(done).toEqual([0, 1, 2, 3]);
  });
});

describe('search query', () => {
  it('quotes words so FTS operators in titles cannot break the query', () => {
    expect(toFtsQuery('  AC/DC "back  in" black* ')).toBe('"AC/DC"* "back"* "in"* "black*"*');
    expect(toFtsQuery('   ')).toBeNull();
  });
});

describe('formats', () => {
  it('recognises the supported extensions in any case', () => {
    for (const p of ['a.mp3', 'b.FLAC', 'c.ogg', 'd.opus', 'e.m4a', 'f.wav', 'g.aiff', 'h.AIF']) expect(isAudioPath(p)).toBe(true);
    for (const p of ['a.txt', 'cover.jpg', 'mp3', 'a.mp3.part']) expect(isAudioPath(p)).toBe(false);
  });
});

describe('cli formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(null)).toBe('–');
    expect(formatDuration(65.4)).toBe('1:05');
    expect(formatDuration(3 * 3600 + 2)).toBe('3:00:02');
  });

  it('draws a progress line that fits the terminal', () => {
    const line = formatProgress(
      { runId: 1, phase: 'reading', filesSeen: 10, toRead: 10, read: 5, currentPath: '/m/a very long name.flac', elapsedMs: 1000 },
      40,
    );
    expect([...line].length).toBeLessThanOrEqual(40);
    expect(line).toContain('5/10');
  });
});
