// Tag changes made in the library (the inspector's tag editor), with undo that reverses exactly the
// change it names: the core undoes that operation by id, and refuses (saying why) when a newer change
// to the same tracks and label, from another view or another window, is still in effect.
import { app } from './app-state.svelte.js';
import { getBridge } from './bridge.js';
import { labelText } from './format.js';
import { undoStacks } from './undo.svelte.js';

/** The tag handlers the editor calls. */
export type TagKind = 'tags-accept' | 'tags-reject' | 'tags-add' | 'tags-remove';

const VERB: Record<TagKind, { done: string; doing: string }> = {
  'tags-accept': { done: 'Accepted', doing: 'accepting' },
  'tags-reject': { done: 'Rejected', doing: 'rejecting' },
  'tags-add': { done: 'Tagged', doing: 'tagging' },
  'tags-remove': { done: 'Removed', doing: 'removing' },
};

/** Undoes tag operation `id` exactly; the core refuses when a later change to the same tags is in effect. */
async function undoOperation(id: number): Promise<void> {
  const op = await getBridge().invoke('tags-undo', { id });
  if (op?.id !== id) throw new Error('the tag history changed meanwhile');
  app.libraryVersion++;
}

/** Redoes tag operation `id` exactly; the core refuses when tags changed since in a way it would overwrite. */
async function redoOperation(id: number): Promise<void> {
  const op = await getBridge().invoke('tags-redo', { id });
  if (op?.id !== id) throw new Error('the tag history changed meanwhile');
  app.libraryVersion++;
}

/**
 * Applies a tag change to `target` (one track or a selection) and records it on the library's undo
 * stack; resolves with the tracks it changed (empty when nothing changed; undefined on failure, with a
 * notice). Changes run in turn with the library's other changes, undos and redos, so the stack's order is
 * the order the core applied them in, and a Ctrl+Z pressed before the answer arrives undoes this change.
 */
export function changeTags(
  kind: TagKind,
  target: { trackId: number } | { trackIds: number[] },
  label: string,
): Promise<number[] | undefined> {
  return undoStacks.perform('library', async () => {
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
        undo: () => undoOperation(op.id),
        redo: () => redoOperation(op.id),
      });
      app.libraryVersion++;
    }
    return r.changed;
  });
}
