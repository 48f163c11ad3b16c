import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/index.js';
import {
  mediaContentType,
  openMediaBody,
  parseRange,
  parseTrackId,
  respondMedia,
  trackIdFromMediaUrl,
} from '../../src/core/media/media.js';
import { useTempDirs } from '../support/temp.js';
import { writeSineWav } from '../support/wav.js';

const tempDir = useTempDirs();

describe('media helpers', () => {
  it('map extensions to content types', () => {
    expect(mediaContentType('/a/b.MP3')).toBe('audio/mpeg');
    expect(mediaContentType('x.flac')).toBe('audio/flac');
    expect(mediaContentType('x.wav')).toBe('audio/wav');
    expect(mediaContentType('x.m4a')).toBe('audio/mp4');
    expect(mediaContentType('x.txt')).toBe('application/octet-stream');
  });

  it('parse track ids and media URLs strictly', () => {
    expect(parseTrackId('42')).toBe(42);
    for (const bad of ['0', '-1', '1.5', '01', '1e3', '', 'abc', '99999999999999999']) expect(parseTrackId(bad)).toBeNull();
    expect(trackIdFromMediaUrl('moodshelf-media://track/7')).toBe(7);
    expect(trackIdFromMediaUrl('http://127.0.0.1:3000/media/12?x=1')).toBe(12);
    expect(trackIdFromMediaUrl('moodshelf-media://track/../../etc/passwd')).toBeNull();
    expect(trackIdFromMediaUrl('moodshelf-media://track/%2Fetc%2Fpasswd')).toBeNull();
    expect(trackIdFromMediaUrl('moodshelf-media://file/7')).toBeNull();
  });

  it('parse Range headers', () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
    expect(parseRange('bytes=0-0,5-9', 100)).toBeNull();
    expect(parseRange('bytes=0-', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=10-19', 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange('bytes=90-500', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=20-10', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=abc', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});

describe('respondMedia', () => {
  it('serves only indexed, playable tracks, whole or by range', async () => {
    const root = tempDir();
    const lib = join(root, 'lib');
    mkdirSync(lib);
    writeSineWav(join(lib, 'tone.wav'), 1, 440);
    writeFileSync(join(lib, 'broken.mp3'), 'not audio');
    const core = await createCore({ dataDir: join(root, 'data') });
    try {
      await core.invoke('library-add', { path: lib });
      await core.run('library-scan');
      const { tracks } = await core.invoke('tracks-list', {});
      const tone = tracks.find((t) => t.path.endsWith('tone.wav'));
      const broken = tracks.find((t) => t.path.endsWith('broken.mp3'));
      expect(tone?.status).toBe('ok');
      expect(broken?.status).toBe('failed');
      const db = core.context.db;
      const bytes = readFileSync(tone?.path as string);

      const whole = await respondMedia(db, { trackId: tone?.id as number });
      expect(whole.status).toBe(200);
      expect(whole.headers).toMatchObject({
        'Content-Type': 'audio/wav',
        'Accept-Ranges': 'bytes',
        'Content-Length': String(bytes.length),
      });
      expect(whole.body).toEqual({ path: tone?.path, start: 0, end: bytes.length - 1 });

      const part = await respondMedia(db, { trackId: tone?.id as number, range: 'bytes=4-11' });
      expect(part.status).toBe(206);
      expect(part.headers).toMatchObject({ 'Content-Length': '8', 'Content-Range': `bytes 4-11/${bytes.length}` });
      expect(await text(openMediaBody(part.body as NonNullable<typeof part.body>))).toBe(bytes.subarray(4, 12).toString());

      const bad = await respondMedia(db, { trackId: tone?.id as number, range: `bytes=${bytes.length}-` });
      expect(bad).toMatchObject({ status: 416, headers: { 'Content-Range': `bytes */${bytes.length}` }, body: null });

      const head = await respondMedia(db, { trackId: tone?.id as number, method: 'HEAD', range: 'bytes=0-1' });
      expect(head).toMatchObject({ status: 206, body: null });
      expect((await respondMedia(db, { trackId: tone?.id as number, method: 'POST' })).status).toBe(405);

      expect((await respondMedia(db, { trackId: broken?.id as number })).status).toBe(404);
      expect((await respondMedia(db, { trackId: 99999 })).status).toBe(404);
      expect((await respondMedia(db, { trackId: null })).status).toBe(400);

      unlinkSync(tone?.path as string);
      expect((await respondMedia(db, { trackId: tone?.id as number })).status).toBe(404);
    } finally {
      await core.close();
    }
  });
});
