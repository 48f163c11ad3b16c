// Tag changes made in the library (the inspector's tag editor), with undo that reverses exactly the
// change it names. The core keeps one tag history and undoes its latest operation, so before undoing the
// page checks that the operation it means is still the latest one; if a newer tag change came after it
// (from another view or another window), it says so instead of undoing something else.
import type { HandlerResult } from '../../../core/contract.js';
import { app } from './app-state.svelte.js';
import { getBridge } from './bridge.js';
import { labelText } from './format.js';
import { undoStacks } from './undo.svelte.js';

/** The tag handlers the editor calls. */
export type TagKind = 'tags-accept' | 'tags-reject' | 'tags-add' | 'tags-remove';
type Operation = NonNullable<HandlerResult<'tags-undo'>>;

const VERB: Record<TagKind, { done: string; doing: string }> = {
  'tags-accept': { done: 'Accepted', doing: 'accepting' },
  'tags-reject': { done: 'Rejected', doing: 'rejecting' },
  'tags-add': { done: 'Tagged', doing: 'tagging' },
  'tags-remove': { done: 'Removed', doing: 'removing' },
};

/** How far back the history is searched for the operation an undo means. */
const HISTORY_DEPTH = 100;

async function history(): Promise<Operation[]> {
  return await getBridge().invoke('tags-history', { limit: HISTORY_DEPTH });
}

/** Undoes tag operation `id`, but only when it is the latest one still in effect. */
async function undoOperation(id: number, what: string): Promise<void> {
  const latest = (await history()).find((o) => !o.undone);
  if (latest?.id !== id)
    throw new Error(
      `a newer tag change (${latest ? `${latest.kind} “${labelText(latest.label)}”` : 'none'}) came after ${what}; undo that first`,
    );
  const op = await getBridge().invoke('tags-undo');
  if (op?.id !== id) throw new Error('the tag history changed meanwhile');
  app.libraryVersion++;
}

/** Redoes tag operation `id`, but only when it is the one the core would redo next. */
async function redoOperation(id: number, what: string): Promise<void> {
  const next = (await history()).filter((o) => o.undone).at(-1);
  if (next?.id !== id) throw new Error(`${what} can no longer be redone: tags changed since`);
  const op = await getBridge().invoke('tags-redo');
  if (op?.id !== id) throw new Error('the tag history changed meanwhile');
  app.libraryVersion++;
}

/**
 * Applies a tag change to `target` (one track or a selection) and records it on the library's undo
 * stack; resolves with the tracks it changed (empty when nothing changed; undefined on failure, with a
 * notice).
 */
export async function changeTags(
  kind: TagKind,
  target: { trackId: number } | { trackIds: number[] },
  label: string,
): Promise<number[] | undefined> {
  const r = await app.attempt('Tagging failed', () => getBridge().invoke(kind, { ...target, label }), 'tags');
  if (!r) return undefined;
  const op = r.operation;
  if (op && r.changed.length > 0) {
    const verb = VERB[kind];
    const on = r.changed.length > 1 ? ` on ${r.changed.length} tracks` : '';
    const name = `${verb.doing} “${labelText(label)}”${on}`;
    undoStacks.record('library', {
      text: `${verb.done} “${labelText(label)}”${on}.`,
      name,
      group: 'tags',
      undo: () => undoOperation(op.id, name),
      redo: () => redoOperation(op.id, name),
    });
    app.libraryVersion++;
  }
  return r.changed;
}
