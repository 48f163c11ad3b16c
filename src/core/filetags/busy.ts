/**
 * A process-wide registry of files something is reading right now (the player through the media
 * server, the analysis decoder), so the tag writer never replaces a file under them. Users mark a file
 * with {@link markFileBusy} and call the returned release function when done; marks nest (a file two
 * players stream stays busy until both release).
 */
import { resolve } from 'node:path';

const busy = new Map<string, Map<number, string>>();
let nextToken = 1;

/** Marks a file busy for a reason ("playing", "analysing"); returns the function that releases this mark. */
export function markFileBusy(path: string, reason: string): () => void {
  const key = resolve(path);
  const token = nextToken++;
  const marks = busy.get(key) ?? new Map<number, string>();
  marks.set(token, reason);
  busy.set(key, marks);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const m = busy.get(key);
    m?.delete(token);
    if (m && m.size === 0) busy.delete(key);
  };
}

/** Why a file is busy ("playing, analysing"), or null when nothing marked it. */
export function fileBusyReason(path: string): string | null {
  const marks = busy.get(resolve(path));
  return marks && marks.size > 0 ? [...new Set(marks.values())].join(', ') : null;
}
