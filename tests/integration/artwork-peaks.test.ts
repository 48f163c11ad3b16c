import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { createLogger } from '../../src/core/kernel/logger.js';
import { respondArtwork } from '../../src/core/media/artwork-serve.js';
import { folderCoverCandidates, imageInfo, MAX_ARTWORK_BYTES } from '../../src/core/media/artwork.js';
import { PEAK_BUCKETS, reducePeaks, type PeaksReply } from '../../src/core/media/peaks.js';
import { FIXTURES_DIR } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { BAD_PICTURE, embedPicture, jpegHeader, makePng } from '../support/pictures.js';
import { useTempDirs } from '../support/temp.js';
import { wavHeader } from '../support/wav.js';

const tempDir = useTempDirs();

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function scanned(root: string, data: string, lines: string[] = []): Promise<Core> {
  const core = await createCore({ dataDir: data, logger: createLogger('core', 'warn', (l) => lines.push(l)) });
  await core.invoke('library-add', { path: root });
  await core.run('library-scan');
  return core;
}

function trackId(core: Core, name: string): number {
  const row = core.context.db.prepare('SELECT id FROM tracks WHERE path LIKE ?').get(`%${name}`) as { id: number } | undefined;
  if (!row) throw new Error(`${name} was not indexed`);
  return row.id;
}

describe('artwork checks', () => {
  it('reads PNG and JPEG sizes from their headers and refuses what is not a usable picture, with the reason', () => {
    expect(imageInfo(makePng(7, 5, [1, 2, 3]))).toEqual({ mime: 'image/png', width: 7, height: 5 });
    expect(imageInfo(jpegHeader(640, 480))).toEqual({ mime: 'image/jpeg', width: 640, height: 480 });
    expect(imageInfo(BAD_PICTURE)).toMatch(/neither JPEG nor PNG/);
    expect(imageInfo(new Uint8Array(0))).toMatch(/empty/);
    expect(imageInfo(jpegHeader(640, 480).subarray(0, 12))).toMatch(/JPEG picture has no frame header/);
    expect(imageInfo(jpegHeader(0, 480))).toMatch(/impossible size/);
    const huge = Buffer.concat([makePng(2, 2, [0, 0, 0]), Buffer.alloc(MAX_ARTWORK_BYTES)]);
    expect(imageInfo(huge)).toMatch(/over the .*limit/);
  });

  it('ranks cover images beside the files, in any case, and ignores other images', () => {
    expect(
      folderCoverCandidates([
        'scan.jpg',
        'AlbumArtSmall.jpg',
        'FOLDER.JPG',
        'Cover.png',
        'back.jpg',
        'AlbumArt_{X}_Large.jpg',
        'front.jpeg',
        'cover.gif',
      ]),
    ).toEqual(['Cover.png', 'FOLDER.JPG', 'front.jpeg', 'AlbumArt_{X}_Large.jpg', 'AlbumArtSmall.jpg']);
  });
});

describe('artwork pass', () => {
  it('finds embedded and folder pictures at scan time, stores each content once, serves them by id, and skips bad pictures with a log', async () => {
    const root = tempDir();
    const data = tempDir();
    const red = makePng(8, 8, [220, 30, 30]);
    const blue = makePng(6, 6, [30, 30, 220]);
    mkdirSync(join(root, 'embedded'));
    for (const n of ['a', 'b']) {
      copyFileSync(join(FIXTURES_DIR, 'mp3.mp3'), join(root, 'embedded', `${n}.mp3`));
      embedPicture(join(root, 'embedded', `${n}.mp3`), red, 'image/png');
    }
    mkdirSync(join(root, 'folder'));
    copyFileSync(join(FIXTURES_DIR, 'flac.flac'), join(root, 'folder', 'song.flac'));
    copyFileSync(join(FIXTURES_DIR, 'pcm.wav'), join(root, 'folder', 'other.wav'));
    const jpeg = jpegHeader(300, 300);
    await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'folder', 'Cover.JPG'), jpeg));
    await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'folder', 'folder.png'), blue));
    mkdirSync(join(root, 'bad'));
    copyFileSync(join(FIXTURES_DIR, 'mp3.mp3'), join(root, 'bad', 'broken-art.mp3'));
    embedPicture(join(root, 'bad', 'broken-art.mp3'), BAD_PICTURE, 'image/jpeg');
    copyFileSync(join(FIXTURES_DIR, 'pcm.wav'), join(root, 'bad', 'plain.wav'));
    await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'bad', 'cover.jpg'), BAD_PICTURE));

    const lines: string[] = [];
    const core = await scanned(root, data, lines);
    try {
      // The pass follows the scan in the background; run() waits for it and looks at anything left.
      await core.context.artwork.run();
      const db = core.context.db;
      const status = db.prepare("SELECT COUNT(*) AS n FROM tracks WHERE status = 'ok'").get() as { n: number };
      expect(status.n).toBe(6);

      const served = async (name: string) => respondArtwork(db, data, trackId(core, name));
      const a = await served('embedded/a.mp3');
      const b = await served('embedded/b.mp3');
      expect(a.status).toBe(200);
      expect(a.headers['Content-Type']).toBe('image/png');
      expect(sha(a.body as Buffer)).toBe(sha(red));
      expect(sha(b.body as Buffer)).toBe(sha(red));
      // Folder pictures: Cover.JPG outranks folder.png, whatever the case.
      const song = await served('folder/song.flac');
      expect(song.status).toBe(200);
      expect(song.headers['Content-Type']).toBe('image/jpeg');
      expect(sha(song.body as Buffer)).toBe(sha(jpeg));
      expect(sha((await served('folder/other.wav')).body as Buffer)).toBe(sha(jpeg));
      // Bad pictures: skipped, the scan unaffected, no picture served.
      expect((await served('bad/broken-art.mp3')).status).toBe(404);
      expect((await served('bad/plain.wav')).status).toBe(404);
      expect(
        lines.some((l) => l.includes('embedded picture skipped') && l.includes('broken-art.mp3') && l.includes('neither JPEG nor PNG')),
      ).toBe(true);
      expect(lines.some((l) => l.includes('cover image skipped') && l.includes('cover.jpg'))).toBe(true);

      // Stored once per content: two pictures for six tracks (two shared, two without).
      expect((db.prepare('SELECT COUNT(*) AS n FROM artwork').get() as { n: number }).n).toBe(2);
      expect(readdirSync(join(data, 'artwork')).sort()).toEqual([`${sha(jpeg)}.jpg`, `${sha(red)}.png`].sort());
      const sources = db.prepare('SELECT source, COUNT(*) AS n FROM track_artwork GROUP BY source ORDER BY source').all();
      expect(sources).toEqual([
        { source: null, n: 2 },
        { source: 'embedded', n: 2 },
        { source: 'folder', n: 2 },
      ]);
      // Nothing left: a second pass looks at nothing.
      expect(await core.context.artwork.run()).toEqual({ checked: 0, found: 0 });
      // A changed file is looked at again: now its embedded picture is blue.
      embedPicture(join(root, 'embedded', 'a.mp3'), blue, 'image/png');
      await core.run('library-scan');
      await core.context.artwork.run();
      expect(sha((await served('embedded/a.mp3')).body as Buffer)).toBe(sha(blue));
      expect(sha((await served('embedded/b.mp3')).body as Buffer)).toBe(sha(red));
      // Malformed requests: no id, or an unknown one.
      expect((await respondArtwork(db, data, null)).status).toBe(400);
      expect((await respondArtwork(db, data, 999_999)).status).toBe(404);
    } finally {
      await core.close();
    }
  });
});

describe('artwork pass on a big scan', () => {
  it('runs as a job with progress when many tracks are new, and finds their folder picture', { timeout: 120_000 }, async () => {
    const root = tempDir();
    const data = tempDir();
    const png = makePng(4, 4, [10, 200, 10]);
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(root, `album-${d}`));
      await import('node:fs/promises').then((fs) => fs.writeFile(join(root, `album-${d}`, 'folder.jpg'), png));
      for (let i = 0; i < 70; i++) copyFileSync(join(FIXTURES_DIR, 'mono-8k.wav'), join(root, `album-${d}`, `t${i}.wav`));
    }
    const core = await createCore({ dataDir: data });
    try {
      const progress: (number | null)[] = [];
      core.events.on('job-progress', (e) => e.kind === 'artwork' && progress.push(e.progress.total));
      await core.invoke('library-add', { path: root });
      await core.run('library-scan');
      const job = () => core.jobs.list().find((j) => j.kind === 'artwork');
      await expect.poll(() => job()?.state, { timeout: 60_000 }).toBe('done');
      expect(job()?.result).toEqual({ checked: 210, found: 210 });
      expect(job()?.progress).toMatchObject({ done: 210, total: 210 });
      expect(progress.length).toBeGreaterThan(0);
      // A PNG named .jpg is stored as what its bytes are.
      const served = await respondArtwork(core.context.db, data, trackId(core, 'album-1/t5.wav'));
      expect(served.headers['Content-Type']).toBe('image/png');
      expect((core.context.db.prepare('SELECT COUNT(*) AS n FROM artwork').get() as { n: number }).n).toBe(1);
    } finally {
      await core.close();
    }
  });
});

/** A mono 16-bit WAV whose envelope is known: `amps[i]` is the amplitude of the i-th equal part (a 220 Hz sine). */
async function writeEnvelopeWav(path: string, seconds: number, amps: number[], rate = 22050): Promise<Float32Array> {
  const n = Math.round(seconds * rate);
  const pcm = Buffer.alloc(n * 2);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const amp = amps[Math.min(amps.length - 1, Math.floor((i / n) * amps.length))] as number;
    const v = Math.round(Math.sin((2 * Math.PI * 220 * i) / rate) * amp * 32000);
    pcm.writeInt16LE(v, i * 2);
    samples[i] = v / 32768;
  }
  await import('node:fs/promises').then((fs) => fs.writeFile(path, Buffer.concat([wavHeader(pcm.length, rate), pcm])));
  return samples;
}

async function peaksWhenReady(core: Core, id: number): Promise<PeaksReply> {
  const first = await core.invoke('tracks-peaks', { id });
  if (first.status !== 'computing') return first;
  await new Promise<void>((resolve) => {
    const off = core.events.on('peaks-ready', (e) => {
      if (e.trackId === id) {
        off();
        resolve();
      }
    });
  });
  return core.invoke('tracks-peaks', { id });
}

describe('waveform peaks', () => {
  it('reduces samples to per-bucket maxima scaled to the loudest', () => {
    const s = new Float32Array([0, 0.1, -0.2, 0.05, 0.5, -1, 0, 0]);
    expect(Array.from(reducePeaks(s, 8, 4))).toEqual([26, 51, 255, 0]);
    expect(Array.from(reducePeaks(new Float32Array(4), 4, 2))).toEqual([0, 0]);
    // Fewer samples than buckets: every bucket still reads a sample.
    expect(reducePeaks(new Float32Array([0.5, 1]), 2, 4).every((v) => v > 0)).toBe(true);
  });

  it(
    'computes a track once in the core, stores it, reuses it across restarts, and follows the audio envelope',
    { timeout: 60_000 },
    async () => {
      const root = tempDir();
      const data = tempDir();
      const amps = [0.2, 1, 0.5, 0.05];
      const samples = await writeEnvelopeWav(join(root, 'envelope.wav'), 8, amps);
      let core = await scanned(root, data);
      let id = 0;
      try {
        id = trackId(core, 'envelope.wav');
        const reply = await peaksWhenReady(core, id);
        if (reply.status !== 'ready') throw new Error(`peaks: ${JSON.stringify(reply)}`);
        expect(reply.peaks).toHaveLength(PEAK_BUCKETS);
        expect(reply.duration).toBeCloseTo(8, 1);
        // The envelope: each quarter's peaks sit at its amplitude relative to the loudest (1).
        const q = PEAK_BUCKETS / 4;
        for (let k = 0; k < 4; k++) {
          const inner = reply.peaks.slice(k * q + 10, (k + 1) * q - 10);
          for (const p of inner) expect(Math.abs(p - (amps[k] as number))).toBeLessThan(0.04);
        }
        // ...and bucket by bucket the same as the file's own samples reduced directly.
        const direct = reducePeaks(samples, samples.length);
        let worst = 0;
        for (let i = 0; i < PEAK_BUCKETS; i++) worst = Math.max(worst, Math.abs((reply.peaks[i] as number) - (direct[i] as number) / 255));
        expect(worst).toBeLessThan(0.06);
        expect(core.context.peaks.computed).toBe(1);
        // Asked again: the stored peaks, no decode.
        expect(await core.invoke('tracks-peaks', { id })).toEqual(reply);
        expect(core.context.peaks.computed).toBe(1);
      } finally {
        await core.close();
      }
      core = await createCore({ dataDir: data });
      try {
        const again = await core.invoke('tracks-peaks', { id });
        expect(again.status).toBe('ready');
        expect(core.context.peaks.computed).toBe(0);
        // A changed file is decoded again.
        await writeEnvelopeWav(join(root, 'envelope.wav'), 8, [1, 1, 1, 0.1]);
        const t = new Date(statSync(join(root, 'envelope.wav')).mtimeMs + 5000);
        utimesSync(join(root, 'envelope.wav'), t, t);
        await core.run('library-scan');
        const changed = await peaksWhenReady(core, id);
        if (changed.status !== 'ready') throw new Error(`peaks: ${JSON.stringify(changed)}`);
        expect(core.context.peaks.computed).toBe(1);
        expect(changed.peaks[PEAK_BUCKETS - 20]).toBeLessThan(0.15);
        expect(changed.peaks[20]).toBeGreaterThan(0.9);
        await expect(core.invoke('tracks-peaks', { id: 424242 })).rejects.toThrow(/No track with id 424242/);
      } finally {
        await core.close();
      }
    },
  );

  it('computes the peaks of analysed tracks in the background once the analysis is idle', { timeout: 120_000 }, async () => {
    const root = tempDir();
    const data = tempDir();
    await writeEnvelopeWav(join(root, 'a.wav'), 12, [1, 0.3]);
    await writeEnvelopeWav(join(root, 'b.wav'), 12, [0.3, 1]);
    const core = await scanned(root, data);
    try {
      await core.run('models-install', { source: TINY_PACK });
      await core.invoke('analysis-start', {});
      const summary = await core.run('analysis-wait');
      expect(summary.analyzed).toBe(2);
      // Nobody asked for them: the backfill after the run computes both.
      await expect.poll(() => core.context.peaks.computed, { timeout: 60_000 }).toBe(2);
      const a = await core.invoke('tracks-peaks', { id: trackId(core, 'a.wav') });
      expect(a.status).toBe('ready');
      expect(core.context.peaks.computed).toBe(2);
    } finally {
      await core.close();
    }
  });

  it('says why when a file cannot be decoded, without retrying it on every request', { timeout: 30_000 }, async () => {
    const root = tempDir();
    const data = tempDir();
    copyFileSync(join(FIXTURES_DIR, 'pcm.wav'), join(root, 'x.wav'));
    const core = await scanned(root, data);
    try {
      const id = trackId(core, 'x.wav');
      // The file turns into garbage after it was indexed (same size and mtime: the index still holds it).
      const st = statSync(join(root, 'x.wav'));
      await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'x.wav'), Buffer.alloc(st.size, 7)));
      utimesSync(join(root, 'x.wav'), st.atime, st.mtime);
      const reply = await peaksWhenReady(core, id);
      expect(reply.status).toBe('failed');
      if (reply.status === 'failed') expect(reply.reason).toMatch(/The waveform could not be computed/);
      expect((await core.invoke('tracks-peaks', { id })).status).toBe('failed');
      expect(readFileSync(join(root, 'x.wav')).length).toBe(st.size);
    } finally {
      await core.close();
    }
  });
});
