// Changes to user labels, each on the Labels view's undo stack: adding (undo removes it), deleting
// (asked first; undo adds it back with its description), renaming or re-describing (undo calls
// labels-update back with the previous name and description). Each runs in turn with the view's undos
// (undoStacks.perform), so Ctrl+Z right after one undoes it.
import type { HandlerResult } from '../../../core/contract.js';
import { app } from './app-state.svelte.js';
import { getBridge } from './bridge.js';
import { confirmAction } from './confirm.svelte.js';
import { labelText } from './format.js';
import type { LabelEntry } from './types.js';
import { undoStacks } from './undo.svelte.js';

/** A label's name and description at one moment. */
export interface LabelState {
  name: string;
  description: string | null;
}

async function update(vocabulary: string, from: LabelState, to: LabelState): Promise<LabelEntry> {
  const entry = await getBridge().invoke('labels-update', {
    text: from.name,
    vocabulary,
    ...(to.name !== from.name ? { newText: to.name } : {}),
    description: to.description,
  });
  app.labelsVersion++;
  return entry;
}

async function add(vocabulary: string, state: LabelState): Promise<HandlerResult<'labels-add'>> {
  const r = await getBridge().invoke('labels-add', {
    text: state.name,
    vocabulary,
    ...(state.description ? { description: state.description } : {}),
  });
  app.labelsVersion++;
  return r;
}

async function remove(vocabulary: string, name: string): Promise<LabelEntry> {
  const entry = await getBridge().invoke('labels-remove', { text: name, vocabulary });
  app.labelsVersion++;
  return entry;
}

/** Adds a user label; resolves with what labels-add answered (undefined on failure, with a notice). */
export function addLabel(text: string, description: string | null): Promise<HandlerResult<'labels-add'> | undefined> {
  return undoStacks.perform('labels', async () => {
    const r = await app.attempt(
      'Could not add the label',
      () => getBridge().invoke('labels-add', { text, ...(description ? { description } : {}) }),
      'labels',
    );
    if (!r) return undefined;
    const { vocabulary, name } = r.label;
    const state = { name, description: r.label.description };
    undoStacks.record('labels', {
      text: `Added the label “${labelText(name)}”.`,
      name: `adding “${labelText(name)}”`,
      group: 'labels',
      undo: async () => {
        await remove(vocabulary, name);
      },
      redo: async () => {
        await add(vocabulary, state);
      },
    });
    return r;
  });
}

/** Deletes a user label after asking; resolves true when it was deleted. */
export async function deleteLabel(label: LabelEntry): Promise<boolean> {
  const choice = await confirmAction({
    title: `Delete the label “${labelText(label.name)}”?`,
    message: 'Tracks are no longer ranked or suggested by it. Tags you gave tracks stay. Undo adds it back.',
    confirm: 'Delete label',
  });
  if (choice === null) return false;
  return undoStacks.perform('labels', async () => {
    const removed = await app.attempt('Could not delete the label', () => remove(label.vocabulary, label.name), 'labels');
    if (!removed) return false;
    const state = { name: label.name, description: label.description };
    undoStacks.record('labels', {
      text: `Deleted the label “${labelText(label.name)}”.`,
      name: `deleting “${labelText(label.name)}”`,
      group: 'labels',
      undo: async () => {
        await add(label.vocabulary, state);
      },
      redo: async () => {
        await remove(label.vocabulary, label.name);
      },
    });
    return true;
  });
}

/** Renames and/or re-describes `label`; resolves with the updated entry (undefined on failure, with a notice). */
export function updateLabel(label: LabelEntry, to: LabelState): Promise<LabelEntry | undefined> {
  return undoStacks.perform('labels', async () => {
    const from = { name: label.name, description: label.description };
    const entry = await app.attempt('Could not update the label', () => update(label.vocabulary, from, to), 'labels');
    if (!entry) return undefined;
    const after = { name: entry.name, description: entry.description };
    const renamed = entry.name !== from.name;
    undoStacks.record('labels', {
      text: renamed
        ? `Renamed “${labelText(from.name)}” to “${labelText(entry.name)}”.`
        : `Updated the description of “${labelText(entry.name)}”.`,
      name: renamed ? `renaming “${labelText(from.name)}”` : `the description of “${labelText(entry.name)}”`,
      group: 'labels',
      undo: async () => {
        await update(label.vocabulary, after, from);
      },
      redo: async () => {
        await update(label.vocabulary, from, after);
      },
    });
    return entry;
  });
}
