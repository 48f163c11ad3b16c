// Undo belongs to the view whose action it reverses. Each view keeps its own stack (tags in the library
// and its inspector, label edits in Labels, playlists in Playlists, folders in Settings, file-tag runs in
// File tags); Ctrl+Z and Ctrl+Shift+Z act on the current view's stack only, and every undoable action's
// notice carries an "Undo" button that reverses exactly that action.
//
// Each view's undoable actions, undos and redos run one at a time, in the order they were asked for
// (`perform`, `step`, `undoEntry`, `redoEntry` share one queue per view). So Ctrl+Z pressed while the
// action it should undo is still on its way to the core waits for it and undoes it (instead of finding
// nothing, or the action before), a second Ctrl+Z or Ctrl+Shift+Z pressed while the first is in flight is
// done after it (never dropped), and actions land on the stack in the order the core applied them.
import { app } from './app-state.svelte.js';
import { errorText } from './bridge.js';
import { SerialQueue } from './serial.js';
import type { View } from './types.js';

/** One action that can be taken back (and done again). */
export interface UndoAction {
  /** What was done, for people: "Accepted “calm” on 3 tracks". */
  text: string;
  /** A short name for the Undo button's accessible label: "accepting calm". */
  name: string;
  /** Reverses the action; throws (with a readable message) when it no longer can. */
  undo: () => Promise<void>;
  /** Does it again after an undo; absent when it cannot be redone. */
  redo?: () => Promise<void>;
  /** The notice group of this kind of action's errors: its success clears them. */
  group?: string;
}

interface Entry extends UndoAction {
  id: number;
}

interface Stacks {
  undo: Entry[];
  redo: Entry[];
}

/** Entries kept per view. */
const LIMIT = 50;

function empty(): Stacks {
  return { undo: [], redo: [] };
}

class UndoStacks {
  #stacks = $state<Partial<Record<View, Stacks>>>({});
  #next = 1;
  /** Per view, the queue its actions, undos and redos run through. */
  #queues: Partial<Record<View, SerialQueue>> = {};

  #of(view: View): Stacks {
    return this.#stacks[view] ?? empty();
  }

  /** Runs `task` after everything queued for `view` before it; resolves or rejects with `task`. */
  #enqueue<T>(view: View, task: () => Promise<T>): Promise<T> {
    const queue = (this.#queues[view] ??= new SerialQueue());
    return queue.run(task);
  }

  /**
   * Does an undoable action of `view` (one that may {@link record} itself): in turn with the view's other
   * actions and its undos and redos, so a Ctrl+Z pressed meanwhile undoes this action once it is done.
   * `work` must not wait for a person (ask before calling this) nor call `perform` for the same view.
   */
  perform<T>(view: View, work: () => Promise<T>): Promise<T> {
    return this.#enqueue(view, work);
  }

  /** Whether `view` has something to undo (or to redo). */
  can(view: View, redo = false): boolean {
    const s = this.#of(view);
    return (redo ? s.redo : s.undo).length > 0;
  }

  /** The text of what Ctrl+Z would undo in `view`, or null. */
  peek(view: View): string | null {
    return this.#of(view).undo.at(-1)?.text ?? null;
  }

  /** Records an action done in `view` and shows its notice with an Undo button. */
  record(view: View, action: UndoAction): void {
    const entry: Entry = { ...action, id: this.#next++ };
    const s = this.#of(view);
    this.#stacks[view] = { undo: [...s.undo, entry].slice(-LIMIT), redo: [] };
    if (action.group) app.dismissGroup(action.group);
    this.#announce(view, entry);
  }

  #announce(view: View, entry: Entry): void {
    app.notify(entry.text, 'info', {
      group: `undo:${view}`,
      action: { label: 'Undo', description: `Undo ${entry.name}`, run: () => this.undoEntry(view, entry.id) },
    });
  }

  /**
   * Undoes (or redoes) the latest action of `view` once the actions and undos asked for before it are
   * done; says so when there is none.
   */
  step(view: View, redo = false): Promise<void> {
    return this.#enqueue(view, async () => {
      const s = this.#of(view);
      const entry = (redo ? s.redo : s.undo).at(-1);
      if (!entry) {
        app.notify(redo ? 'Nothing to redo in this view.' : 'Nothing to undo in this view.', 'info', { group: `undo:${view}` });
        return;
      }
      await (redo ? this.#redoNow(view, entry.id) : this.#undoNow(view, entry.id));
    });
  }

  /** Undoes exactly the action `id` of `view` (the notice's Undo button), in turn. */
  undoEntry(view: View, id: number): Promise<void> {
    return this.#enqueue(view, () => this.#undoNow(view, id));
  }

  /** Redoes exactly the undone action `id` of `view`, in turn. */
  redoEntry(view: View, id: number): Promise<void> {
    return this.#enqueue(view, () => this.#redoNow(view, id));
  }

  async #undoNow(view: View, id: number): Promise<void> {
    // Gone already: undone by the other way in (Ctrl+Z and the notice's button), or dropped.
    const entry = this.#of(view).undo.find((e) => e.id === id);
    if (!entry) return;
    try {
      await entry.undo();
      const s = this.#of(view);
      this.#stacks[view] = { undo: s.undo.filter((e) => e.id !== id), redo: entry.redo ? [...s.redo, entry] : s.redo };
      app.notify(`Undid: ${entry.text}`, 'info', { group: `undo:${view}` });
    } catch (err) {
      // It cannot be taken back any more (changed since): drop it so the stack does not stick on it.
      const s = this.#of(view);
      this.#stacks[view] = { ...s, undo: s.undo.filter((e) => e.id !== id) };
      app.notify(`Could not undo ${entry.name}: ${errorText(err)}`, 'error', { group: `undo:${view}` });
    }
  }

  async #redoNow(view: View, id: number): Promise<void> {
    const entry = this.#of(view).redo.find((e) => e.id === id);
    if (!entry?.redo) return;
    try {
      await entry.redo();
      const s = this.#of(view);
      this.#stacks[view] = { undo: [...s.undo, entry], redo: s.redo.filter((e) => e.id !== id) };
      this.#announce(view, entry);
    } catch (err) {
      const s = this.#of(view);
      this.#stacks[view] = { ...s, redo: s.redo.filter((e) => e.id !== id) };
      app.notify(`Could not redo ${entry.name}: ${errorText(err)}`, 'error', { group: `undo:${view}` });
    }
  }
}

/** The undo stacks of every view. */
export const undoStacks = new UndoStacks();
