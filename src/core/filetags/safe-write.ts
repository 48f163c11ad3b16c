/**
 * Changes a file's tags without ever leaving it damaged: the change is made on a copy in the same
 * folder (same file system, so the final rename is atomic), the copy is flushed to disk, checked by
 * reading it back, and only then renamed over the original. A failure at any step leaves the original
 * as it was and removes the copy.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, copyFile, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { UserError, errnoCode, errorMessage } from '../kernel/errors.js';
import { applyMoodChanges, sameValues, type FieldChanges, type MoodTagState } from './tag-io.js';

/** The file as it was when a change was planned: a write is refused if it changed since. */
export interface FileSnapshot {
  size: number;
  mtimeMs: number;
}

/** Size and modification time of a file. */
export async function snapshotFile(path: string): Promise<FileSnapshot> {
  const s = await stat(path);
  return { size: s.size, mtimeMs: s.mtimeMs };
}

/**
 * Why a file must not be rewritten (not a regular file, or read-only), or null. The permission bits are
 * checked, not access(2): an administrator may write anything, yet a file someone made read-only is a
 * clear "leave this alone", and replacing it by rename would bypass its permissions.
 */
export async function notWritableReason(path: string): Promise<string | null> {
  const s = await stat(path);
  if (!s.isFile()) return 'it is not a regular file';
  if ((s.mode & 0o222) === 0) return 'the file is read-only';
  try {
    await access(path, constants.W_OK);
  } catch (err) {
    return describeWriteError(err);
  }
  return null;
}

async function fsyncPath(path: string, flags: number): Promise<void> {
  const h = await open(path, flags);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** A person-readable reason for a file system error while writing. */
export function describeWriteError(err: unknown): string {
  switch (errnoCode(err)) {
    case 'ENOENT':
      return 'the file is no longer on disk';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (the file or its folder is read-only)';
    case 'EROFS':
      return 'the disk is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EBUSY':
    case 'ETXTBSY':
      return 'the file is in use';
    default:
      return err instanceof UserError ? err.message : errorMessage(err);
  }
}

/**
 * Applies `changes` to `path` through a temporary copy, fsync and an atomic rename. Refuses (UserError
 * naming the file and the reason) when the file changed since `expected` was taken. Returns the state
 * read back from the written copy.
 */
export async function writeMoodTagsAtomic(path: string, changes: FieldChanges, expected?: FileSnapshot): Promise<MoodTagState> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path, extname(path))}.${randomBytes(4).toString('hex')}.moodshelf-tmp${extname(path)}`);
  try {
    const refuse = await notWritableReason(path);
    if (refuse) throw new UserError(`Cannot write tags to ${path}: ${refuse}`, 'E_READONLY');
    const before = await snapshotFile(path);
    if (expected && (before.size !== expected.size || before.mtimeMs !== expected.mtimeMs)) {
      throw new UserError(`${path} changed on disk since it was previewed; scan and preview again`, 'E_CHANGED');
    }
    // COPYFILE_EXCL: never clobber; libuv copies the permission bits along with the bytes.
    await copyFile(path, tmp, constants.COPYFILE_EXCL);
    const after = applyMoodChanges(tmp, changes);
    for (const [field, values] of Object.entries(changes)) {
      if (!sameValues(after.fields[field] ?? null, values)) {
        throw new UserError(`${path}: the ${field} field did not read back as written; the file was left unchanged`, 'E_TAGS');
      }
    }
    await fsyncPath(tmp, constants.O_RDONLY);
    const now = await snapshotFile(path);
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw new UserError(`${path} changed on disk while its tags were being written; it was left as it is`, 'E_CHANGED');
    }
    await rename(tmp, path);
    await fsyncPath(dir, constants.O_RDONLY).catch(() => undefined); // directories cannot be opened on Windows
    return after;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot write tags to ${path}: ${describeWriteError(err)}`, errnoCode(err) === 'ENOENT' ? 'E_VANISHED' : 'E_WRITE');
  }
}
