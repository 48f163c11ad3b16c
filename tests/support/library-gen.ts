import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the committed fixtures (made by scripts/make-fixtures.mjs). */
export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'audio');
/** The fixed-width title every fixture carries, replaced byte-for-byte to make unique copies. */
export const TITLE_PLACEHOLDER = 'MSTITLE-0000000000';

/** The committed fixtures, name -> bytes. */
export function loadFixtures(): Map<string, Buffer> {
  return new Map(
    readdirSync(FIXTURES_DIR)
      .sort()
      .map((name) => [name, readFileSync(join(FIXTURES_DIR, name))]),
  );
}

/**
 * A copy of a fixture whose title is `title` (exactly 18 characters). Replacing bytes of equal length
 * keeps every container valid while making the content, and so the fingerprint, unique.
 */
export function stampTitle(bytes: Buffer, title: string): Buffer {
  if (title.length !== TITLE_PLACEHOLDER.length) throw new Error(`title must be ${TITLE_PLACEHOLDER.length} characters`);
  const out = Buffer.from(bytes);
  const needle = Buffer.from(TITLE_PLACEHOLDER, 'latin1');
  const replacement = Buffer.from(title, 'latin1');
  let at = out.indexOf(needle);
  if (at < 0) throw new Error('fixture has no title placeholder');
  while (at >= 0) {
    replacement.copy(out, at);
    at = out.indexOf(needle, at + needle.length);
  }
  return out;
}

/** The title stamped into the n-th generated file. */
export function uniqueTitle(n: number): string {
  return `MSTITLE-${String(n).padStart(10, '0')}`;
}

/** Kinds of broken files mixed into a generated library. */
export const BAD_KINDS = ['empty', 'truncated', 'random', 'text'] as const;

/** Writes one broken file of a kind and returns its path. */
export function writeBadFile(dir: string, kind: (typeof BAD_KINDS)[number], n: number, fixtures: Map<string, Buffer>): string {
  mkdirSync(dir, { recursive: true });
  const mp3 = fixtures.get('mp3.mp3') as Buffer;
  switch (kind) {
    case 'empty': {
      const p = join(dir, `empty-${n}.flac`);
      writeFileSync(p, Buffer.alloc(0));
      return p;
    }
    case 'truncated': {
      const p = join(dir, `truncated-${n}.mp3`);
      writeFileSync(p, stampTitle(mp3, uniqueTitle(900_000_000 + n)).subarray(0, 2000));
      return p;
    }
    case 'random': {
      const p = join(dir, `random-${n}.m4a`);
      writeFileSync(p, randomBytes(4096 + (n % 1000)));
      return p;
    }
    case 'text': {
      const p = join(dir, `notes-${n}.ogg`);
      writeFileSync(p, `this is not audio ${n}\n`);
      return p;
    }
  }
}

/** What a generated library holds. */
export interface GeneratedLibrary {
  root: string;
  good: string[];
  bad: string[];
}

/**
 * Generates a library of `count` files in mixed formats under artist/album folders, with one broken
 * file in every `badEvery` (empty, truncated, random bytes, text with an audio extension).
 */
export function generateLibrary(root: string, count: number, badEvery = 25): GeneratedLibrary {
  const fixtures = loadFixtures();
  const names = [...fixtures.keys()];
  const good: string[] = [];
  const bad: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = join(root, `Artist ${String(Math.floor(i / 100)).padStart(3, '0')}`, `Album ${String(Math.floor(i / 10) % 10)}`);
    if (badEvery > 0 && i % badEvery === badEvery - 1) {
      bad.push(writeBadFile(dir, BAD_KINDS[Math.floor(i / badEvery) % BAD_KINDS.length] as (typeof BAD_KINDS)[number], i, fixtures));
      continue;
    }
    const name = names[i % names.length] as string;
    const path = join(dir, `${String(i).padStart(5, '0')} ${name.replace(extname(name), '')}${extname(name)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, stampTitle(fixtures.get(name) as Buffer, uniqueTitle(i)));
    good.push(path);
  }
  return { root, good, bad };
}
