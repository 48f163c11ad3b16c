import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, errnoCode } from '../kernel/errors.js';
import { parseManifest, type PackManifest } from './manifest.js';

/** sha256 of a file, streamed (packs hold files of hundreds of MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads and validates `<dir>/manifest.json`, naming the file in every error. */
export async function readManifest(dir: string): Promise<PackManifest> {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `${file}: ${errnoCode(err) === 'ENOENT' ? 'not found (a model pack needs a manifest.json)' : String(err)}`,
      'E_PACK_MANIFEST',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, 'E_PACK_MANIFEST');
  }
  return parseManifest(raw, file);
}

/**
 * Checks every file the manifest lists: present, the right size, the right sha256. The first problem
 * is reported with the file's name, so a half-copied or corrupted pack never gets installed.
 */
export async function verifyPackFiles(
  dir: string,
  manifest: PackManifest,
  onFile?: (name: string, index: number, total: number) => void,
): Promise<void> {
  const entries = Object.entries(manifest.files);
  for (const [i, [name, expected]] of entries.entries()) {
    onFile?.(name, i, entries.length);
    const path = join(dir, name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new UserError(`Model pack ${manifest.id}: file ${name} is missing`, 'E_PACK_FILE_MISSING');
    }
    if (size !== expected.size)
      throw new UserError(
        `Model pack ${manifest.id}: file ${name} is ${size} bytes, the manifest says ${expected.size} (incomplete or corrupt)`,
        'E_PACK_CORRUPT',
      );
    const actual = await sha256File(path);
    if (actual !== expected.sha256)
      throw new UserError(
        `Model pack ${manifest.id}: file ${name} is corrupt (sha256 ${actual.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…)`,
        'E_PACK_CORRUPT',
      );
  }
}
