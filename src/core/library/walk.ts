import { opendir, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from '../kernel/errors.js';
import { isAudioPath } from './formats.js';

/** A file the walk found: either its stat facts, or why it could not be examined. */
export type WalkEntry =
  { kind: 'file'; path: string; size: number; mtimeMs: number } | { kind: 'unreadable'; path: string; reason: string };

/** A folder the walk could not enter, reported instead of aborting the walk. */
export interface WalkProblem {
  path: string;
  reason: string;
}

/** Turns a file-system error code into a sentence a person understands. */
export function describeFsError(err: unknown): string {
  switch (errnoCode(err)) {
    case 'EACCES':
    case 'EPERM':
      return 'Permission denied: Moodshelf is not allowed to read it';
    case 'ENOENT':
      return 'It no longer exists (deleted or moved while scanning, or a broken link)';
    case 'ELOOP':
      return 'Too many levels of symbolic links';
    case 'EIO':
      return 'Input/output error: the disk could not be read';
    case 'ENOTDIR':
      return 'Not a folder';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

/**
 * Walks a folder tree depth-first, yielding audio files. It follows symbolic links (people link albums
 * in from other disks) but visits each real folder once, so symlink loops end; folders it cannot open
 * and files that vanish mid-walk are reported through `onProblem` and skipped, never fatal.
 */
export async function* walkAudioFiles(root: string, onProblem: (p: WalkProblem) => void): AsyncGenerator<WalkEntry> {
  const visited = new Set<string>();
  const stack: string[] = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let dirStat: Stats;
    try {
      dirStat = await stat(dir);
    } catch (err) {
      onProblem({ path: dir, reason: describeFsError(err) });
      continue;
    }
    const key = `${dirStat.dev}:${dirStat.ino}`;
    if (visited.has(key)) continue;
    visited.add(key);
    let handle;
    try {
      handle = await opendir(dir);
    } catch (err) {
      onProblem({ path: dir, reason: describeFsError(err) });
      continue;
    }
    const subdirs: string[] = [];
    try {
      for await (const dirent of handle) {
        const path = join(dir, dirent.name);
        if (dirent.isDirectory()) {
          subdirs.push(path);
        } else if (dirent.isSymbolicLink() || isAudioPath(dirent.name)) {
          const entry = await examine(path, dirent.isSymbolicLink());
          if (entry === 'dir') subdirs.push(path);
          else if (entry) yield entry;
        }
      }
    } catch (err) {
      onProblem({ path: dir, reason: describeFsError(err) });
    }
    // Reverse so that the stack pops folders in name order (stable, predictable scans).
    subdirs.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    stack.push(...subdirs);
  }
}

async function examine(path: string, isLink: boolean): Promise<WalkEntry | 'dir' | null> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (err) {
    if (!isAudioPath(path)) return null;
    // A file that vanished between readdir and stat is simply not there any more.
    if (!isLink && errnoCode(err) === 'ENOENT') return null;
    return { kind: 'unreadable', path, reason: describeFsError(err) };
  }
  if (st.isDirectory()) return isLink ? 'dir' : null;
  if (!isAudioPath(path)) return null;
  if (!st.isFile()) return { kind: 'unreadable', path, reason: 'Not a regular file (a device, pipe or socket)' };
  return { kind: 'file', path, size: st.size, mtimeMs: Math.trunc(st.mtimeMs) };
}
