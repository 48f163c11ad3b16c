// One-at-a-time work: each view's undoable actions, undos and redos go through one queue (undo.svelte.ts),
// so a shortcut pressed while a request is on its way is done after it, in order, and never dropped.

/** Runs tasks one at a time, in the order they were queued; a task that fails does not stop the next. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Queues `task`; resolves or rejects with it once every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
