import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { UserError } from '../kernel/errors.js';

/**
 * Extracts a zip into `dest`, refusing entries that would land outside it (zip-slip) and symlinks.
 * Returns the extracted file paths relative to `dest`.
 */
export async function extractZip(zipPath: string, dest: string): Promise<string[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw new UserError(`${zipPath}: not a readable zip file (${err instanceof Error ? err.message : String(err)})`, 'E_PACK_ZIP');
  }
  const files: string[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName;
      if (name.endsWith('/')) continue;
      const target = normalize(join(dest, name));
      if (!target.startsWith(dest + sep)) throw new UserError(`${zipPath}: entry "${name}" points outside the pack`, 'E_PACK_ZIP');
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (mode === 0o120000)
        throw new UserError(`${zipPath}: entry "${name}" is a symbolic link, which packs may not contain`, 'E_PACK_ZIP');
      await mkdir(dirname(target), { recursive: true });
      const stream = await zip.openReadStreamPromise(entry);
      await pipeline(stream, createWriteStream(target));
      files.push(name);
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${zipPath}: damaged zip file (${err instanceof Error ? err.message : String(err)})`, 'E_PACK_ZIP');
  } finally {
    zip.close();
  }
  return files;
}
