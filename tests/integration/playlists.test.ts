import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/index.js';
import type { PlaylistResult } from '../../src/core/playlists/engine.js';
import type { Track } from '../../src/core/tracks/queries.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { loadFixtures, stampTitle, uniqueTitle } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const HAS_MPV = spawnSync('mpv', ['--version']).status === 0;
const A = 'rainy sunday';
const B = 'bright morning';

/** Gives the generated tracks varied artists, genres and years (the fixtures all share one). */
function setFacts(core: Core): void {
  core.context.db
    .prepare(
      `UPDATE tracks SET artist = 'Artist ' || (id % 3), genre = CASE WHEN id % 2 = 0 THEN 'Ambient' ELSE 'Rock' END,
       year = 1990 + id, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    )
    .run();
}

async function allTracks(core: Core): Promise<Track[]> {
  return (await core.invoke('tracks-list', {})).tracks;
}

/** Every track's score for a label, as scores-top computes it (the brute-force reference). */
async function scoresOf(core: Core, label: string): Promise<Map<number, number>> {
  const ranked = await core.invoke('scores-top', { label, limit: 100_000 });
  return new Map(ranked.map((r) => [r.track.id, r.score]));
}

function pct(scores: Map<number, number>, x: number): number {
  let atOrBelow = 0;
  for (const s of scores.values()) if (s <= x) atOrBelow++;
  return (atOrBelow / scores.size) * 100;
}

function ids(r: PlaylistResult): number[] {
  return r.tracks.map((t) => t.track.id);
}

function where(scores: Map<number, number>, keep: (id: number, s: number) => boolean): number[] {
  return [...scores].filter(([id, s]) => keep(id, s)).map(([id]) => id);
}

function sorted(xs: number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

describe('playlist rules', () => {
  it('evaluates AND / OR / NOT over percentiles and thresholds like a brute-force pass', async () => {
    const { core } = await analysedLibrary(tempDir(), 24);
    try {
      const sA = await scoresOf(core, A);
      const sB = await scoresOf(core, B);
      const median = [...sB.values()].sort((x, y) => x - y)[12] as number;
      const pA = { op: 'label', label: A, percentile: 50 } as const;
      const tB = { op: 'label', label: B, threshold: median } as const;
      const run = (match: unknown) => core.invoke('playlists-preview', { rule: { match, limit: 1000 } as never });
      const inA = (id: number) => pct(sA, sA.get(id) as number) > 50;
      const inB = (id: number) => (sB.get(id) as number) >= median;

      const onlyA = await run(pA);
      expect(sorted(ids(onlyA))).toEqual(sorted(where(sA, inA)));
      expect(onlyA.total).toBe(onlyA.tracks.length);
      // Sorted by A's score, each with its score and percentile.
      const scoresA = onlyA.tracks.map((t) => t.score as number);
      expect(scoresA).toEqual([...scoresA].sort((x, y) => y - x));
      for (const t of onlyA.tracks) {
        expect(t.score).toBeCloseTo(sA.get(t.track.id) as number, 6);
        expect(t.percentile).toBeCloseTo(pct(sA, sA.get(t.track.id) as number), 4);
      }
      expect(sorted(ids(await run(tB)))).toEqual(sorted(where(sB, inB)));
      expect(sorted(ids(await run({ op: 'and', children: [pA, tB] })))).toEqual(sorted(where(sA, (id) => inA(id) && inB(id))));
      expect(sorted(ids(await run({ op: 'or', children: [pA, tB] })))).toEqual(sorted(where(sA, (id) => inA(id) || inB(id))));
      expect(sorted(ids(await run({ op: 'not', child: pA })))).toEqual(sorted(where(sA, (id) => !inA(id))));
      expect(sorted(ids(await run({ op: 'and', children: [{ op: 'not', child: tB }, pA] })))).toEqual(
        sorted(where(sA, (id) => inA(id) && !inB(id))),
      );
    } finally {
      await core.close();
    }
  });

  it('tells percentile from threshold: percentile P keeps the top (100 - P)%, a threshold keeps raw cosines at or above it', async () => {
    const { core } = await analysedLibrary(tempDir(), 20);
    try {
      const sA = await scoresOf(core, A);
      const distinct = new Set(sA.values()).size;
      const top = await core.invoke('playlists-preview', { rule: { match: { op: 'label', label: A, percentile: 75 }, limit: 1000 } });
      // Distinct fixtures are duplicated (identical audio ties), so count with the ties.
      expect(top.tracks.length).toBe(where(sA, (_, s) => pct(sA, s) > 75).length);
      expect(top.tracks.length).toBeLessThanOrEqual(5 + (20 - distinct));
      const min = Math.min(...sA.values());
      expect(
        (await core.invoke('playlists-preview', { rule: { match: { op: 'label', label: A, threshold: min }, limit: 1000 } })).tracks,
      ).toHaveLength(20);
      expect((await core.invoke('playlists-preview', { rule: { match: { op: 'label', label: A, percentile: 100 } } })).tracks).toHaveLength(
        0,
      );
      expect((await core.invoke('playlists-preview', { rule: { match: { op: 'label', label: A, threshold: 1 } } })).tracks).toHaveLength(0);
      expect(
        (await core.invoke('playlists-preview', { rule: { match: { op: 'label', label: A, percentile: 0 }, limit: 1000 } })).tracks,
      ).toHaveLength(20);
    } finally {
      await core.close();
    }
  });

  it('filters on duration, artist, genre, year and folder, sorts by score or column, caps per artist and limits', async () => {
    const root = tempDir();
    const { core, lib } = await analysedLibrary(root, 24);
    try {
      setFacts(core);
      const tracks = await allTracks(core);
      const preview = (rule: object) => core.invoke('playlists-preview', { rule: { limit: 1000, ...rule } as never });
      const expectIds = async (rule: object, keep: (t: Track) => boolean) =>
        expect(sorted(ids(await preview(rule)))).toEqual(sorted(tracks.filter(keep).map((t) => t.id)));

      await expectIds({ filters: { artist: { in: ['ARTIST 1'] } } }, (t) => t.artist === 'Artist 1');
      await expectIds({ filters: { artist: { notIn: ['artist 1', 'artist 2'] } } }, (t) => t.artist === 'Artist 0');
      await expectIds({ filters: { genre: { in: ['ambient'] } } }, (t) => t.genre === 'Ambient');
      await expectIds({ filters: { year: { min: 1995, max: 2000 } } }, (t) => (t.year as number) >= 1995 && (t.year as number) <= 2000);
      await expectIds({ filters: { duration: { min: 1.2 } } }, (t) => (t.duration as number) >= 1.2);
      await expectIds(
        { filters: { duration: { max: 0.75 }, genre: { notIn: ['Rock'] } } },
        (t) => (t.duration as number) <= 0.75 && t.genre !== 'Rock',
      );
      const album1 = join(lib.root, 'Artist 000', 'Album 1');
      await expectIds({ filters: { folders: [`${album1}${sep}`] } }, (t) => t.path.startsWith(album1 + sep));

      // Column sort, both directions.
      const byTitle = await preview({ sort: { by: 'title', descending: true } });
      const titles = byTitle.tracks.map((t) => t.track.title as string);
      expect(titles).toEqual([...titles].sort().reverse());
      expect(byTitle.tracks[0]?.score).toBeNull();
      const byYear = await preview({ sort: { by: 'year' }, limit: 5 });
      expect(byYear.tracks.map((t) => t.track.year)).toEqual([1991, 1992, 1993, 1994, 1995]);
      expect(byYear.total).toBe(24);

      // Score sort with a cap per artist, then a limit: the greedy walk down the ranking.
      const sB = await scoresOf(core, B);
      const ranked = [...tracks].sort((x, y) => (sB.get(y.id) as number) - (sB.get(x.id) as number) || x.id - y.id);
      const perArtist = new Map<string, number>();
      const expected = ranked
        .filter((t) => {
          const n = perArtist.get(t.artist as string) ?? 0;
          perArtist.set(t.artist as string, n + 1);
          return n < 2;
        })
        .slice(0, 5);
      const capped = await preview({ sort: { by: 'score', label: B }, perArtist: 2, limit: 5 });
      expect(ids(capped)).toEqual(expected.map((t) => t.id));
      expect(capped.total).toBe(24);
      expect(capped.tracks[0]?.score).toBeCloseTo(sB.get(expected[0]?.id as number) as number, 6);

      // Tag conditions read the accepted tags.
      await core.invoke('tags-accept', { trackIds: [tracks[0]?.id as number, tracks[1]?.id as number], label: 'Sunday' });
      await expectIds({ match: { op: 'tag', label: 'sunday' } }, (t) => t.id === tracks[0]?.id || t.id === tracks[1]?.id);
    } finally {
      await core.close();
    }
  });

  it('refuses malformed rules with messages that say what is wrong', async () => {
    const { core } = await analysedLibrary(tempDir(), 2);
    try {
      const bad = async (rule: unknown) => core.invokeUntrusted('playlists-preview', [{ rule }]);
      const refused = (message: string) => ({ ok: false, error: { message: `playlists-preview: ${message}`, code: 'E_INVALID' } });
      expect(await bad({ match: { op: 'label', label: A, percentile: 50, threshold: 0.2 } })).toEqual(
        refused('"rule.match" needs exactly one of "percentile" (0-100) or "threshold" (-1 to 1)'),
      );
      expect(await bad({ match: { op: 'label', label: A } })).toEqual(
        refused('"rule.match" needs exactly one of "percentile" (0-100) or "threshold" (-1 to 1)'),
      );
      expect(await bad({ match: { op: 'xor', children: [] } })).toEqual(refused('"rule.match.op" must be one of label, tag, and, or, not'));
      expect(await bad({ match: { op: 'and', children: [] } })).toEqual(
        refused('"rule.match.children" must be a list of 1 to 100 conditions'),
      );
      expect(await bad({ match: { op: 'not' } })).toEqual(refused('"rule.match.child" is required'));
      expect(await bad({ match: { op: 'tag', label: '  ' } })).toEqual(refused('"rule.match.label" must be a non-empty string'));
      expect(await bad({ match: { op: 'tag', label: 'x', weight: 2 } })).toEqual(
        refused('"rule.match.weight" is not a parameter it takes'),
      );
      expect(await bad({ match: { op: 'label', label: A, percentile: 101 } })).toEqual(
        refused('"rule.match.percentile" must be a number from 0 to 100'),
      );
      expect(await bad({ limit: 0 })).toEqual(refused('"rule.limit" must be an integer from 1 to 100000'));
      expect(await bad({ sort: { by: 'bogus' } })).toMatchObject(
        refused('"rule.sort.by" must be score or one of title, artist, album, year, duration, genre, path, addedAt, status'),
      );
      expect(await bad({ filters: { folders: ['relative/dir'] } })).toEqual(refused('"rule.filters.folders" must be absolute paths'));
      expect(await bad({ filters: { year: { min: 2000, max: 1990 } } })).toEqual(
        refused('"rule.filters.year" has "min" greater than "max"'),
      );
      expect(await bad('all')).toEqual(refused('"rule" must be an object'));
      // Depth and size are bounded: a hostile tree is refused at the level that is too deep, without deep recursion.
      const nested = (depth: number): unknown => {
        let node: unknown = { op: 'tag', label: 'x' };
        for (let i = 0; i < depth; i++) node = { op: 'not', child: node };
        return node;
      };
      expect(await bad({ match: nested(12) })).toMatchObject({ ok: true });
      expect(await bad({ match: nested(13) })).toEqual(
        refused(`"rule.match${'.child'.repeat(13)}" nests conditions deeper than 12 levels`),
      );
      expect(await bad({ match: nested(100_000) })).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      const wide = (n: number) => ({ op: 'or', children: Array.from({ length: n }, () => ({ op: 'tag', label: 'x' })) });
      expect(await bad({ match: wide(99) })).toMatchObject({ ok: true });
      expect(await bad({ match: wide(100) })).toEqual(refused('"rule.match" has more than 100 conditions (a rule can have at most 100)'));
      // Labels are trimmed; the checked rule is what is evaluated and stored.
      const saved = await core.invoke('playlists-save', {
        name: 'Trimmed',
        definition: { kind: 'rule', rule: { match: { op: 'label', label: `  ${A} `, percentile: 10 }, sort: { by: 'title' } } },
      });
      expect(saved.definition).toEqual({ kind: 'rule', rule: { match: { op: 'label', label: A, percentile: 10 }, sort: { by: 'title' } } });
      expect(await core.invokeUntrusted('playlists-journey', [{ from: A, to: B, steps: 1 }])).toMatchObject({
        ok: false,
        error: { code: 'E_INVALID' },
      });
    } finally {
      await core.close();
    }
  });
});

describe('more like this and mood journeys', () => {
  it("returns the seed tracks' nearest neighbours by cosine, as a brute-force pass ranks them", async () => {
    const { core } = await analysedLibrary(tempDir(), 24);
    try {
      const { pack } = core.context.models.active();
      const index = core.context.index.get(pack.key);
      const vec = (id: number) => {
        const r = index.rowOf.get(id) as number;
        return Array.from(index.tracks.subarray(r * index.dim, (r + 1) * index.dim));
      };
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      const cos = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * (v[i] as number), 0) / (norm(u) * norm(v));
      const all = [...index.trackIds];
      for (const seeds of [[all[3] as number], [all[0] as number, all[7] as number]]) {
        const centroid = seeds
          .map(vec)
          .reduce((c, v) => c.map((x, i) => x + (v[i] as number) / norm(v)), new Array<number>(index.dim).fill(0));
        const brute = all
          .filter((id) => !seeds.includes(id))
          .map((id) => ({ id, c: cos(vec(id), centroid) }))
          .sort((x, y) => y.c - x.c);
        const result = await core.invoke('playlists-similar', { trackIds: seeds, limit: 6 });
        expect(result.tracks).toHaveLength(6);
        expect(ids(result).some((id) => seeds.includes(id))).toBe(false);
        result.tracks.forEach((t, k) => {
          expect(t.score).toBeCloseTo(brute[k]?.c as number, 5);
          expect(t.score).toBeCloseTo(cos(vec(t.track.id), centroid), 5);
        });
      }
      // Filters apply to neighbours too.
      setFacts(core);
      const rock = await core.invoke('playlists-similar', {
        trackIds: [all[3] as number],
        limit: 100,
        filters: { genre: { in: ['rock'] } },
      });
      expect(rock.tracks.every((t) => t.track.genre === 'Rock')).toBe(true);
      expect(await core.invokeUntrusted('playlists-similar', [{ trackIds: [99999] }])).toMatchObject({
        ok: false,
        error: { code: 'E_NOT_ANALYZED' },
      });
    } finally {
      await core.close();
    }
  });

  it('walks a mood journey from label A to label B without repeats', async () => {
    const { core } = await analysedLibrary(tempDir(), 24);
    try {
      const sA = await scoresOf(core, A);
      const sB = await scoresOf(core, B);
      const journey = await core.invoke('playlists-journey', { from: A, to: B, steps: 8 });
      const path = ids(journey);
      expect(path).toHaveLength(8);
      expect(new Set(path).size).toBe(8);
      // The first step's target is A itself, the last is B itself (among the tracks not used yet).
      expect(sA.get(path[0] as number)).toBeCloseTo(Math.max(...sA.values()), 6);
      const unused = [...sB].filter(([id]) => !path.slice(0, -1).includes(id)).map(([, s]) => s);
      expect(sB.get(path[7] as number)).toBeCloseTo(Math.max(...unused), 6);
      expect(journey.tracks[0]?.score).toBeCloseTo(sA.get(path[0] as number) as number, 5);
      expect(journey.tracks[7]?.score).toBeCloseTo(sB.get(path[7] as number) as number, 5);
      expect(journey.tracks[3]?.labels.map((l) => l.label)).toEqual([A, B]);

      const smooth = await core.invoke('playlists-journey', { from: A, to: B, steps: 8, jumpPenalty: 1 });
      expect(new Set(ids(smooth)).size).toBe(8);
      expect(ids(smooth)[0]).toBe(path[0]);
      // More steps than tracks: every track once.
      const long = await core.invoke('playlists-journey', { from: A, to: B, steps: 40 });
      expect(new Set(ids(long)).size).toBe(24);
    } finally {
      await core.close();
    }
  });
});

describe('saved playlists and exports', () => {
  it('saves, lists, renames, deletes (and restores), and refreshes after new tracks are analysed', async () => {
    const root = tempDir();
    const { core, lib } = await analysedLibrary(root, 6);
    try {
      const changes: string[] = [];
      core.events.on('playlists-changed', (e) => changes.push(e.change));
      const everything = { kind: 'rule', rule: { match: { op: 'label', label: A, threshold: -1 }, limit: 1000 } } as const;
      const saved = core.invoke('playlists-save', { name: '  Rainy   days ', definition: everything });
      const { id } = await saved;
      expect(await saved).toMatchObject({ name: 'Rainy days', definition: everything });
      await core.invoke('playlists-save', { name: 'Journey', definition: { kind: 'journey', from: A, to: B, steps: 3 } });
      expect((await core.invoke('playlists-list')).map((p) => p.name)).toEqual(['Journey', 'Rainy days']);
      expect((await core.invoke('playlists-get', { id })).result.tracks).toHaveLength(6);

      // New files arrive and are analysed: the saved rule picks them up.
      const fixtures = loadFixtures();
      const more = join(lib.root, 'New Arrivals');
      mkdirSync(more);
      [...fixtures]
        .slice(0, 4)
        .forEach(([name, bytes], i) => writeFileSync(join(more, `new ${i} ${name}`), stampTitle(bytes, uniqueTitle(5000 + i))));
      await core.run('library-scan');
      await core.invoke('analysis-start', {});
      await core.run('analysis-wait');
      const refreshed = await core.invoke('playlists-get', { id });
      expect(refreshed.result.tracks).toHaveLength(10);
      expect(refreshed.result.tracks.filter((t) => t.track.path.startsWith(more))).toHaveLength(4);

      const renamed = await core.invoke('playlists-rename', { id, name: 'Drizzle' });
      expect(renamed.name).toBe('Drizzle');
      const deleted = await core.invoke('playlists-delete', { id });
      expect(await core.invokeUntrusted('playlists-get', [{ id }])).toEqual({
        ok: false,
        error: { message: `No playlist with id ${id}`, code: 'E_NOT_FOUND' },
      });
      const restored = await core.invoke('playlists-save', deleted);
      expect(restored).toMatchObject({ id, name: 'Drizzle', createdAt: deleted.createdAt, definition: everything });
      expect(changes).toEqual(['saved', 'saved', 'renamed', 'deleted', 'saved']);
      const journey = (await core.invoke('playlists-list')).find((p) => p.name === 'Journey');
      expect((await core.invoke('playlists-get', { id: journey?.id as number })).result.tracks).toHaveLength(3);
    } finally {
      await core.close();
    }
  });

  it('exports UTF-8 M3U8 and XSPF with relative or absolute paths, unicode, spaces and XML escaping', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 5, join(root, 'Bibliothèque ✓', 'my music'));
    try {
      const [first] = await allTracks(core);
      core.context.db
        .prepare("UPDATE tracks SET title = ?, artist = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?")
        .run(`Rock & Roll <"live"> 'n' ünïcode`, 'Ärtist & Co', first?.id);
      const { id } = await core.invoke('playlists-save', {
        name: 'Mood <&> mix',
        definition: { kind: 'rule', rule: { sort: { by: 'path' } } },
      });
      const tracks = (await core.invoke('playlists-get', { id })).result.tracks.map((t) => t.track);
      const outDir = join(root, 'Exports ü', 'lists');
      mkdirSync(outDir, { recursive: true });

      // M3U8, relative paths.
      const m3u = join(outDir, 'my list.m3u8');
      expect(await core.run('playlists-export', { id, format: 'm3u8', target: m3u, paths: 'relative' })).toEqual({
        path: m3u,
        format: 'm3u8',
        tracks: 5,
      });
      const bytes = readFileSync(m3u);
      expect(bytes[0]).toBe(0x23); // no BOM: '#'
      expect(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)).toBe(true);
      const lines = bytes.toString('utf8').trimEnd().split('\n');
      expect(lines.slice(0, 2)).toEqual(['#EXTM3U', '#PLAYLIST:Mood <&> mix']);
      tracks.forEach((t, k) => {
        const title =
          t.id === first?.id ? `Ärtist & Co - Rock & Roll <"live"> 'n' ünïcode` : `${t.artist ?? ''}${t.artist ? ' - ' : ''}${t.title}`;
        expect(lines[2 + 2 * k]).toBe(`#EXTINF:${Math.round(t.duration as number)},${title}`);
        const loc = lines[3 + 2 * k] as string;
        expect(loc.startsWith(`..${sep}..${sep}Bibliothèque ✓${sep}my music${sep}`)).toBe(true);
        expect(resolve(dirname(m3u), loc)).toBe(t.path);
      });

      // M3U8, absolute paths, over the first (asked to replace it).
      await core.run('playlists-export', { id, format: 'm3u8', target: m3u, paths: 'absolute', overwrite: true });
      const absLines = readFileSync(m3u, 'utf8').trimEnd().split('\n');
      expect(absLines.filter((l) => !l.startsWith('#'))).toEqual(tracks.map((t) => t.path));

      // XSPF, relative then absolute.
      const xspf = join(outDir, 'my list.xspf');
      await core.run('playlists-export', { id, format: 'xspf', target: xspf, paths: 'relative' });
      const xml = readFileSync(xspf, 'utf8');
      expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<playlist version="1" xmlns="http://xspf.org/ns/0/">')).toBe(true);
      expect(xml).toContain('<title>Mood &lt;&amp;&gt; mix</title>');
      expect(xml).toContain('<title>Rock &amp; Roll &lt;&quot;live&quot;&gt; &apos;n&apos; ünïcode</title>');
      expect(xml).toContain('<creator>Ärtist &amp; Co</creator>');
      expect(xml).toContain(`<duration>${Math.round((first?.duration as number) * 1000)}</duration>`);
      const locations = [...xml.matchAll(/<location>([^<]*)<\/location>/g)].map((m) => m[1] as string);
      expect(locations).toHaveLength(5);
      locations.forEach((loc, k) => {
        expect(loc).not.toMatch(/[ ✓ü]/);
        expect(loc.startsWith('../../Biblioth%C3%A8que%20%E2%9C%93/my%20music/')).toBe(true);
        expect(resolve(dirname(xspf), ...loc.split('/').map(decodeURIComponent))).toBe(tracks[k]?.path);
      });
      await core.run('playlists-export', {
        rule: { sort: { by: 'path' } },
        format: 'xspf',
        target: xspf,
        overwrite: true,
        paths: 'absolute',
        name: 'Ad hoc',
      });
      const absXml = readFileSync(xspf, 'utf8');
      expect(absXml).toContain('<title>Ad hoc</title>');
      const absLocations = [...absXml.matchAll(/<location>([^<]*)<\/location>/g)].map((m) => m[1] as string);
      expect(absLocations.map((l) => fileURLToPath(l))).toEqual(tracks.map((t) => t.path));
      expect(absLocations.every((l) => l.startsWith('file:///') && !l.includes(' '))).toBe(true);

      // Nothing left behind but the two playlists; errors name the file.
      expect(readdirSync(outDir).sort()).toEqual(['my list.m3u8', 'my list.xspf']);
      const missingDir = join(root, 'nowhere', 'x.m3u8');
      const noFolder = {
        message: `Cannot write playlist ${missingDir}: the folder ${dirname(missingDir)} does not exist`,
        code: 'E_WRITE',
      };
      await expect(core.run('playlists-export', { id, format: 'm3u8', target: missingDir })).rejects.toMatchObject(noFolder);
      const granted = core.grantWrite(missingDir, 'file', true).token;
      expect(await core.invokeUntrusted('playlists-export', [{ id, format: 'm3u8', target: granted }])).toEqual({
        ok: false,
        error: noFolder,
      });
      expect(await core.invokeUntrusted('playlists-export', [{ id, format: 'm3u8', target: 'rel.m3u8' }])).toMatchObject({
        ok: false,
        error: { code: 'E_FORBIDDEN' },
      });
      expect(await core.invokeUntrusted('playlists-export', [{ id, format: 'pls', target: granted }])).toMatchObject({
        ok: false,
        error: { code: 'E_INVALID' },
      });
      // The old `path` parameter is gone: `target` replaced it.
      expect(await core.invokeUntrusted('playlists-export', [{ id, format: 'm3u8', path: m3u }])).toMatchObject({
        ok: false,
        error: { message: expect.stringContaining('"target"'), code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('playlists-export', [{ id, format: 'm3u8', target: granted, path: m3u }])).toEqual({
        ok: false,
        error: { message: 'playlists-export: "path" is not a parameter it takes', code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('playlists-export', [{ id, rule: {}, format: 'm3u8', target: granted }])).toEqual({
        ok: false,
        error: { message: 'playlists-export: give exactly one of "id", "definition" or "rule"', code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('playlists-export', [{ id: 9999, format: 'm3u8', target: join(outDir, 'x.m3u8') }])).toMatchObject({
        ok: false,
        error: { code: 'E_FORBIDDEN' },
      });
      await expect(core.run('playlists-export', { id: 9999, format: 'm3u8', target: join(outDir, 'x.m3u8') })).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
      });
      expect(readdirSync(outDir).sort()).toEqual(['my list.m3u8', 'my list.xspf']);
    } finally {
      await core.close();
    }
  });

  it.skipIf(!HAS_MPV && !process.env.CI)('writes an M3U8 that mpv plays, with relative unicode paths', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 4, join(root, 'Bibliothèque ✓', 'my music'));
    try {
      const outDir = join(root, 'Exports ü');
      mkdirSync(outDir);
      const file = join(outDir, 'mood mix.m3u8');
      await core.run('playlists-export', { rule: {}, format: 'm3u8', target: file, paths: 'relative' });
      const mpv = spawnSync('mpv', ['--no-config', '--ao=null', '--vo=null', '--end=0.05', '--msg-level=all=error,cplayer=info', file], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      const out = `${mpv.stdout}${mpv.stderr}`;
      expect(out.match(/\(\+\) Audio/g)).toHaveLength(4);
      expect(out).not.toMatch(/Errors when loading|Failed to/);
    } finally {
      await core.close();
    }
  });
});
