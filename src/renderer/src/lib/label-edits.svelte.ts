// Renames and re-descriptions of user labels (labels-update), with undo and redo: undoing calls
// labels-update back with the previous name and description.
import { app } from './app-state.svelte.js';
import { getBridge } from './bridge.js';
import { labelText } from './format.js';
import type { LabelEntry } from './types.js';

/** A label's name and description at one moment. */
export interface LabelState {
  name: string;
  description: string | null;
}

/** One edit: the label in `vocabulary` went from `from` to `to`. */
export interface LabelEdit {
  vocabulary: string;
  from: LabelState;
  to: LabelState;
}

class LabelEdits {
  undoStack = $state<LabelEdit[]>([]);
  redoStack = $state<LabelEdit[]>([]);

  /** Whether Ctrl+Z has a label edit to undo. */
  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  async #apply(vocabulary: string, from: LabelState, to: LabelState): Promise<LabelEntry> {
    const entry = await getBridge().invoke('labels-update', {
      text: from.name,
      vocabulary,
      ...(to.name !== from.name ? { newText: to.name } : {}),
      description: to.description,
    });
    app.labelsVersion++;
    return entry;
  }

  /** Renames and/or re-describes `label`; returns the updated entry (undefined on failure, with a notice). */
  async update(label: LabelEntry, to: LabelState): Promise<LabelEntry | undefined> {
    const from = { name: label.name, description: label.description };
    const entry = await app.attempt('Could not update the label', () => this.#apply(label.vocabulary, from, to));
    if (!entry) return undefined;
    this.undoStack = [
      ...this.undoStack,
      { vocabulary: label.vocabulary, from, to: { name: entry.name, description: entry.description } },
    ].slice(-50);
    this.redoStack = [];
    app.notify(
      entry.name !== from.name
        ? `Renamed “${labelText(from.name)}” to “${labelText(entry.name)}” · Ctrl+Z to undo`
        : `Updated the description of “${labelText(entry.name)}” · Ctrl+Z to undo`,
    );
    return entry;
  }

  /** Undoes (or redoes) the last label edit; false when there is none. */
  async undo(redo = false): Promise<boolean> {
    const stack = redo ? this.redoStack : this.undoStack;
    const edit = stack[stack.length - 1];
    if (!edit) return false;
    const [from, to] = redo ? [edit.from, edit.to] : [edit.to, edit.from];
    const entry = await app.attempt(redo ? 'Redo failed' : 'Undo failed', () => this.#apply(edit.vocabulary, from, to));
    if (!entry) return true;
    if (redo) {
      this.redoStack = this.redoStack.slice(0, -1);
      this.undoStack = [...this.undoStack, edit];
    } else {
      this.undoStack = this.undoStack.slice(0, -1);
      this.redoStack = [...this.redoStack, edit];
    }
    app.notify(`${redo ? 'Redid' : 'Undid'} the edit of “${labelText(to.name)}”.`);
    return true;
  }
}

/** The one label-edit history. */
export const labelEdits = new LabelEdits();
