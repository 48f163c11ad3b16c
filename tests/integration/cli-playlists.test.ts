import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { count } from '../../src/cli/format.js';
import { describeNode, parseCondition, parseRuleArgs } from '../../src/cli/rule-syntax.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { cli, type CliRun } from '../support/cli.js';
import { FIXTURES_DIR, generateLibrary } from '../support/library-gen.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const A = 'rainy sunday';
const B = 'bright morning';

interface Ranked {
  score: number;
  percentile: number;
  track: { id: number; path: string };
}

interface Shown {
  id: number;
  name: string;
  definition: unknown;
  result: { total: number; tracks: { track: { id: number; path: string } }[] };
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** A CLI bound to one data folder that fails the test on an unexpected exit code. */
function moodshelf(data: string): (args: string[], code?: number) => Promise<CliRun> {
  return async (args, code = 0) => {
    const r = await cli(['--data-dir', data, ...args]);
    expect(r.code, `moodshelf ${args.join(' ')}\n${r.err}${r.out}`).toBe(code);
    return r;
  };
}

describe('the command-line rule syntax', () => {
  it('maps onto the rule tree and prints back the same way', () => {
    expect(parseCondition('calm>=0.7')).toEqual({ op: 'label', label: 'calm', threshold: 0.7 });
    expect(parseCondition(' rainy sunday >= -0.25 ')).toEqual({ op: 'label', label: 'rainy sunday', threshold: -0.25 });
    expect(parseCondition('calm<0.3')).toEqual({ op: 'not', child: { op: 'label', label: 'calm', threshold: 0.3 } });
    expect(parseCondition('calm>90%')).toEqual({ op: 'label', label: 'calm', percentile: 90 });
    expect(parseCondition('calm<=90%')).toEqual({ op: 'not', child: { op: 'label', label: 'calm', percentile: 90 } });
    expect(parseCondition('tag:Sunday Best')).toEqual({ op: 'tag', label: 'Sunday Best' });
    expect(parseCondition('!tag:x')).toEqual({ op: 'not', child: { op: 'tag', label: 'x' } });
    // "> t" is ">= the next float32 above t" (scores are float32).
    const gt = parseCondition('calm>0.5') as { threshold: number };
    expect(gt.threshold).toBeGreaterThan(0.5);
    expect(Math.fround(gt.threshold)).toBe(gt.threshold);
    expect(Math.fround(0.5) >= gt.threshold).toBe(false);
    const tree = parseRuleArgs(['calm>=0.7', 'energetic<0.3 | tag:sunday', 'dreamy>0.5', 'sad<=0.1', 'x<=50%'], false);
    expect(tree && describeNode(tree)).toBe('calm>=0.7 and (energetic<0.3 | tag:sunday) and dreamy>0.5 and sad<=0.1 and x<=50%');
    expect(describeNode(parseRuleArgs(['a>=0.1', 'b>80%'], true) as never)).toBe('a>=0.1 | b>80%');
    expect(() => parseCondition('calm')).toThrow(/cannot read the rule "calm"/);
    expect(() => parseCondition('calm>=2')).toThrow(/cosine from -1 to 1/);
    expect(() => parseCondition('calm>120%')).toThrow(/0% to 100%/);
    expect(() => parseCondition('>=0.5')).toThrow(/cannot read/);
  });

  it('says counts in the right number', () => {
    expect([count(0, 'track'), count(1, 'track'), count(2, 'segment'), count(1, 'vote')]).toEqual([
      '0 tracks',
      '1 track',
      '2 segments',
      '1 vote',
    ]);
  });
});

describe('moodshelf playlists', () => {
  it('creates rule playlists from --rule conditions, shows, lists, exports, renames and deletes them (--json and text)', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const { core } = await analysedLibrary(root, 10);
    await core.close();
    const run = moodshelf(data);
    const top = async (label: string) =>
      new Map((JSON.parse((await run(['top', label, '-n', '1000', '--json'])).out) as Ranked[]).map((r) => [r.track.id, r]));
    const sA = await top(A);
    const sB = await top(B);
    const tA = [...sA.values()].map((r) => r.score).sort((x, y) => x - y)[5] as number;
    const tB = [...sB.values()].map((r) => r.score).sort((x, y) => x - y)[7] as number;
    const where = (keep: (a: Ranked, b: Ranked) => boolean) =>
      sorted([...sA.keys()].filter((id) => keep(sA.get(id) as Ranked, sB.get(id) as Ranked)));
    const ids = (r: CliRun) => sorted((JSON.parse(r.out) as Shown['result']).tracks.map((t) => t.track.id));

    // create: two --rule values must both hold; "<" is NOT ">=".
    const created = JSON.parse(
      (await run(['playlists', 'create', 'Rainy, not bright', '--rule', `${A}>=${tA}`, '--rule', `${B}<${tB}`, '--limit', '50', '--json']))
        .out,
    ) as Shown;
    expect(created).toMatchObject({
      name: 'Rainy, not bright',
      definition: {
        kind: 'rule',
        rule: {
          match: {
            op: 'and',
            children: [
              { op: 'label', label: A, threshold: tA },
              { op: 'not', child: { op: 'label', label: B, threshold: tB } },
            ],
          },
          limit: 50,
        },
      },
    });
    const shown = JSON.parse((await run(['playlists', 'show', 'rainy, NOT bright', '--json'])).out) as Shown;
    expect(shown.id).toBe(created.id);
    const expected = where((a, b) => a.score >= tA && !(b.score >= tB));
    expect(expected.length).toBeGreaterThan(0);
    expect(sorted(shown.result.tracks.map((t) => t.track.id))).toEqual(expected);
    const text = (await run(['playlists', 'show', String(created.id)])).out.split('\n');
    // Thresholds print as the shortest decimal of the same float32, so they read back exactly.
    const head = new RegExp(`^Playlist ${created.id} "Rainy, not bright": ${A}>=(\\S+) and ${B}<(\\S+); limit 50$`).exec(text[0] as string);
    expect(head, text[0]).not.toBeNull();
    expect([Math.fround(Number(head?.[1])), Math.fround(Number(head?.[2]))]).toEqual([tA, tB]);
    expect(text[1]).toBe(`${count(expected.length, 'track')}, scored with tiny-joint@1.0.0`);
    expect(text[2]).toMatch(
      new RegExp(`^ {3}1\\. id \\d+ +\\d:\\d\\d {2}cos +-?\\d\\.\\d{3} +\\d+(st|nd|rd|th) pct {2}Fixture Artist – MSTITLE-`),
    );

    // ">" excludes ties, percentiles keep the tracks above the library's percentile, "|" and --any are OR.
    expect(ids(await run(['playlists', 'preview', '--rule', `${A}>${tA}`, '--json']))).toEqual(where((a) => a.score > tA));
    expect(ids(await run(['playlists', 'preview', '--rule', `${A}>50%`, '--json']))).toEqual(where((a) => a.percentile > 50));
    expect(ids(await run(['playlists', 'preview', '--rule', `${A}<=50%`, '--json']))).toEqual(where((a) => a.percentile <= 50));
    const either = where((a, b) => a.score >= tA || b.score >= tB);
    expect(ids(await run(['playlists', 'preview', '--rule', `${A}>=${tA} | ${B}>=${tB}`, '--json']))).toEqual(either);
    expect(ids(await run(['playlists', 'preview', '--rule', `${A}>=${tA}`, '--rule', `${B}>=${tB}`, '--any', '--json']))).toEqual(either);
    const tagged = [...sA.keys()].slice(0, 2);
    for (const id of tagged) await run(['tag', 'add', String(id), 'Sunday']);
    expect(ids(await run(['playlists', 'preview', '--rule', 'tag:sunday', '--json']))).toEqual(sorted(tagged));
    expect(ids(await run(['playlists', 'preview', '--rule', '!tag:sunday', '--json']))).toEqual(
      sorted([...sA.keys()].filter((id) => !tagged.includes(id))),
    );
    const byPath = JSON.parse(
      (await run(['playlists', 'preview', '--sort', 'path', '--desc', '--limit', '3', '--json'])).out,
    ) as Shown['result'];
    const paths = [...sA.values()]
      .map((r) => r.track.path)
      .sort()
      .reverse();
    expect(byPath.tracks.map((t) => t.track.path)).toEqual(paths.slice(0, 3));
    expect(byPath.total).toBe(10);

    // list, text and JSON.
    await run(['playlists', 'create', 'Brighter', '--rule', `${B}>0.5`, '--sort', A, '--year', '1990-2030', '--genre', '!Polka']);
    const list = JSON.parse((await run(['playlists', 'list', '--json'])).out) as Shown[];
    expect(list.map((p) => p.name)).toEqual(['Brighter', 'Rainy, not bright']);
    const listed = (await run(['playlists', 'list'])).out.split('\n');
    expect(listed[0]).toMatch(/^ {2}ID {2}NAME +KIND +DEFINITION$/);
    expect(listed[1]).toMatch(new RegExp(`^ +${list[0]?.id} {2}Brighter +rule +${B}>0\\.5; genre not Polka; year 1990-2030; by ${A}$`));

    // export: format from the extension (or --format), relative or absolute paths.
    const m3u = join(root, 'rainy list.m3u8');
    const exported = await run(['playlists', 'export', 'Rainy, not bright', m3u, '--paths', 'relative']);
    expect(exported.out.trim()).toBe(`Wrote ${count(expected.length, 'track')} of "Rainy, not bright" to ${m3u} (m3u8, relative paths)`);
    const lines = readFileSync(m3u, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('#EXTM3U');
    expect(lines.filter((l) => !l.startsWith('#'))).toHaveLength(expected.length);
    expect(lines.filter((l) => !l.startsWith('#')).every((l) => l.startsWith('lib/'))).toBe(true);
    const xspf = join(root, 'rainy.xspf');
    expect(JSON.parse((await run(['playlists', 'export', String(created.id), xspf, '--json'])).out)).toEqual({
      path: xspf,
      format: 'xspf',
      tracks: expected.length,
      paths: 'absolute',
    });
    expect(readFileSync(xspf, 'utf8')).toContain('<location>file:///');
    const txt = join(root, 'list.txt');
    expect((await run(['playlists', 'export', 'Brighter', txt], 2)).err).toMatch(
      /cannot tell the format from ".*list\.txt": name it \.m3u8 or \.xspf, or give --format/,
    );
    await run(['playlists', 'export', 'Brighter', txt, '--format', 'm3u8']);
    expect(readFileSync(txt, 'utf8').startsWith('#EXTM3U\n')).toBe(true);
    // An existing file is never replaced silently.
    const before = readFileSync(m3u, 'utf8');
    expect((await run(['playlists', 'export', 'Brighter', m3u], 1)).err).toBe(
      `moodshelf: Not replacing ${m3u}: it already exists. To replace it, agree to that in the Save dialog, or add --force on the command line\n`,
    );
    expect(readFileSync(m3u, 'utf8')).toBe(before);

    // rename, names that are ambiguous or unknown, delete.
    expect((await run(['playlists', 'rename', 'Brighter', 'Bright', 'side'])).out.trim()).toBe(
      `Renamed playlist ${list[0]?.id} "Brighter" to "Bright side"`,
    );
    expect((await run(['playlists', 'create', 'bright  SIDE'], 1)).err).toMatch(
      /There is already a playlist named "Bright side" \(id \d+\); choose another name/,
    );
    expect((await run(['playlists', 'show', 'Nope'], 1)).err).toBe(
      'moodshelf: no playlist with id or name "Nope" (see them with: moodshelf playlists list)\n',
    );
    expect((await run(['playlists', 'delete', String(list[0]?.id)])).out.trim()).toBe(`Deleted playlist ${list[0]?.id} "Bright side"`);
    expect((JSON.parse((await run(['playlists', 'list', '--json'])).out) as Shown[]).map((p) => p.name)).toEqual(['Rainy, not bright']);

    // Bad rules are usage errors that show the syntax.
    expect((await run(['playlists', 'create', 'x', '--rule', 'calm'], 2)).err).toMatch(/cannot read the rule "calm": write LABEL>=SCORE/);
    expect((await run(['playlists', 'create', 'x', '--rule', 'calm>=3'], 2)).err).toMatch(/a score is a cosine from -1 to 1/);
    expect((await run(['playlists', 'create', '--rule', 'calm>=0.3'], 2)).err).toMatch(/missing playlist name/);
    expect((await run(['playlists', 'frobnicate'], 2)).err).toMatch(/unknown playlists command "frobnicate"/);
  });
});

describe('moodshelf playlists export --force', () => {
  it('replaces an existing file only with --force', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const { core } = await analysedLibrary(root, 2);
    await core.close();
    const run = moodshelf(data);
    await run(['playlists', 'create', 'All']);
    const file = join(root, 'all.m3u8');
    writeFileSync(file, 'mine\n');
    expect((await run(['playlists', 'export', 'All', file], 1)).err).toMatch(/^moodshelf: Not replacing .*all\.m3u8: it already exists/);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect((await run(['playlists', 'export', 'All', file, '--force'])).out).toMatch(/^Wrote 2 tracks of "All"/);
    expect(readFileSync(file, 'utf8').startsWith('#EXTM3U\n')).toBe(true);
  });
});

describe('moodshelf scores, ids and plurals', () => {
  it('tells an unknown id, an unreadable file, a missing file, a failed, a queued and a not yet analysed track apart', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const { core, lib } = await analysedLibrary(root, 4);
    await core.close();
    const run = moodshelf(data);
    const analysed = lib.good[0] as string;
    const idOf = async (path: string) =>
      (JSON.parse((await run(['tracks', '--json'])).out) as { tracks: { id: number; path: string }[] }).tracks.find((t) => t.path === path)
        ?.id as number;

    expect((await run(['scores', '9999'], 1)).err).toBe('moodshelf: no track with id 9999 (see the ids with: moodshelf tracks)\n');
    expect((await run(['tag', 'add', '9999', 'x'], 1)).err).toMatch(/^moodshelf: no track with id 9999/);

    const empty = join(lib.root, 'empty.mp3');
    writeFileSync(empty, '');
    const fresh = join(lib.root, 'fresh.flac');
    writeFileSync(fresh, readFileSync(join(FIXTURES_DIR, 'flac.flac')));
    await run(['scan']);
    const emptyId = await idOf(empty);
    const freshId = await idOf(fresh);
    expect((await run(['scores', String(emptyId)], 1)).err).toBe(
      `moodshelf: track ${emptyId} could not be read when it was last scanned: The file is empty (0 bytes)\n`,
    );
    expect((await run(['scores', String(freshId)], 1)).err).toBe(
      `moodshelf: track ${freshId} is not analysed yet (run: moodshelf analyze)\n`,
    );

    const db = new Database(join(data, 'moodshelf.db'));
    try {
      db.prepare("INSERT INTO analysis_queue (track_id, pack_key, policy) VALUES (?, 'tiny-joint@1.0.0', 'quick:3')").run(freshId);
      expect((await run(['scores', String(freshId)], 1)).err).toBe(
        `moodshelf: track ${freshId} is queued but not analysed yet (run: moodshelf analyze)\n`,
      );
      db.prepare('DELETE FROM analysis_queue WHERE track_id = ?').run(freshId);
      db.prepare("INSERT INTO analysis_failures (track_id, pack_key, error) VALUES (?, 'tiny-joint@1.0.0', 'the decoder gave up')").run(
        freshId,
      );
      expect((await run(['scores', String(freshId)], 1)).err).toBe(
        `moodshelf: track ${freshId} could not be analysed with tiny-joint@1.0.0: the decoder gave up\n`,
      );
      db.prepare('DELETE FROM analysis_failures WHERE track_id = ?').run(freshId);
    } finally {
      db.close();
    }

    // Gone before it was analysed: missing. Gone after: its scores are still shown, with a note.
    rmSync(fresh);
    const analysedId = await idOf(analysed);
    rmSync(analysed);
    await run(['scan']);
    expect((await run(['scores', String(freshId)], 1)).err).toBe(`moodshelf: track ${freshId} is missing: ${fresh} is no longer on disk\n`);
    const stale = await run(['scores', String(analysedId), '--json']);
    expect(JSON.parse(stale.out)).toMatchObject({ trackId: analysedId });
    expect(stale.err).toBe(`note: track ${analysedId} is missing: ${analysed} is no longer on disk (these scores are from before)\n`);
    expect(existsSync(analysed)).toBe(false);
  });

  it('shows track ids in top and tracks, and never says "1 tracks"', async () => {
    const root = tempDir();
    const data = join(root, 'data');
    const lib = generateLibrary(join(root, 'lib'), 1, 0);
    const run = moodshelf(data);
    const outputs: string[] = [];
    const keep = async (args: string[]) => {
      const r = await run(args);
      outputs.push(r.out, r.err);
      return r.out;
    };
    await keep(['library', 'add', lib.root]);
    expect(await keep(['scan'])).toMatch(/: 1 audio file\n/);
    expect(await keep(['library', 'list'])).toBe(`${lib.root}  (1 track)\n`);
    await keep(['models', 'install', TINY_PACK]);
    expect(await keep(['analyze'])).toMatch(/: 1 track analysed \(\d+ segments?\), 0 failed/);
    const tracksOut = await keep(['tracks']);
    expect(tracksOut).toMatch(/^ +ID +STATUS +LENGTH +TRACK\n +1 +ok +/);
    expect(tracksOut).toMatch(/\n1 of 1 track\n$/);
    expect(await keep(['top', A])).toMatch(/^ {2}1\. +\d+(st|nd|rd|th) pct {2}cos +-?\d\.\d{3} {2}id 1 {2}Fixture Artist – MSTITLE-/);
    const scores = await keep(['scores', '1', '--vocab', 'cal500']);
    expect(scores).toMatch(/^Track 1 \(tiny-joint@1\.0\.0\), \d+ segments? at /);
    expect(scores).toMatch(/\(\d+ votes?\)/);
    await keep(['playlists', 'create', 'All']);
    expect(await keep(['playlists', 'show', 'All'])).toMatch(/\n1 track, scored with/);
    expect(await keep(['playlists', 'export', 'All', join(root, 'all.m3u8')])).toMatch(/^Wrote 1 track of "All"/);
    expect(await keep(['export-features', join(root, 'features')])).toMatch(/^Wrote \d+ segments? of 1 track /);
    expect(await keep(['labels', 'align', '--vocab', 'cal500'])).toMatch(/^\d+ clusters? over \d+ labels? of cal500/);
    const all = outputs.join('\n');
    expect(all).not.toMatch(/\b1 (tracks|segments|votes|files|audio files|clusters|labels|steps)\b/);
    expect(all).toMatch(/\b1 (track|segment|vote)\b/);

    const help = await keep(['--help']);
    expect(help).toContain('playlists create "<name>" --rule COND');
    expect(help).toContain('playlists export <id|name> <file.m3u8|file.xspf>');
    expect(help).toContain('calm>90%');
  });
});
