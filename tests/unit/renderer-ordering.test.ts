// Renderer helpers that keep the page's answers in order: one queue per view for undoable actions and
// their undos (a shortcut pressed while a request is in flight is done after it, never dropped), lists
// that apply only the latest load's answer, and counts in correct English.
import { describe, expect, it } from 'vitest';
import { count } from '../../src/renderer/src/lib/format.js';
import { latestOnly } from '../../src/renderer/src/lib/latest.js';
import { SerialQueue } from '../../src/renderer/src/lib/serial.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

/** A promise and the functions that settle it. */
function deferred<T>(): Deferred<T> {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A load whose answer the test gives later, through `answers`. */
function asked<T>(answers: Deferred<T>[]): Promise<T> {
  const d = deferred<T>();
  answers.push(d);
  return d.promise;
}

describe('serial queue', () => {
  it('runs a task queued while another is in flight after it, in order, with what the first left', async () => {
    const q = new SerialQueue();
    const first = deferred<void>();
    const log: string[] = [];
    const stack = ['a'];
    const one = q.run(async () => {
      log.push('undo start');
      await first.promise;
      stack.pop();
      log.push('undo end');
    });
    // The redo is asked for before the undo's answer arrived: it waits, and then sees the undo's result.
    const two = q.run(async () => {
      log.push(`redo sees ${stack.length}`);
    });
    await Promise.resolve();
    expect(log).toEqual(['undo start']);
    first.resolve();
    await Promise.all([one, two]);
    expect(log).toEqual(['undo start', 'undo end', 'redo sees 0']);
  });

  it('goes on after a task fails, and hands each caller its own outcome', async () => {
    const q = new SerialQueue();
    const failed = q.run(() => Promise.reject(new Error('refused')));
    const next = q.run(() => Promise.resolve(7));
    await expect(failed).rejects.toThrow('refused');
    await expect(next).resolves.toBe(7);
  });
});

describe('latest only', () => {
  it('drops an older answer that arrives after a newer one', async () => {
    const answers: Deferred<string[]>[] = [];
    let shown: string[] = [];
    const load = latestOnly(
      () => asked(answers),
      (v) => (shown = v),
    );
    const older = load();
    const newer = load();
    answers[1]?.resolve(['rainy sunday', 'rainy sundays']);
    await newer;
    answers[0]?.resolve(['rainy sunday']);
    await older;
    expect(shown).toEqual(['rainy sunday', 'rainy sundays']);
  });

  it('reports only the latest load failing', async () => {
    const answers: Deferred<number>[] = [];
    const applied: number[] = [];
    const load = latestOnly(
      () => asked(answers),
      (v) => applied.push(v),
    );
    const older = load();
    const newer = load();
    answers[0]?.reject(new Error('stale failure'));
    await expect(older).resolves.toBeUndefined();
    answers[1]?.reject(new Error('current failure'));
    await expect(newer).rejects.toThrow('current failure');
    expect(applied).toEqual([]);
  });
});

describe('count', () => {
  it('puts the noun in the right number', () => {
    expect(count(1, 'file')).toBe('1 file');
    expect(count(0, 'file')).toBe('0 files');
    expect(count(3, 'file')).toBe('3 files');
    expect(count(2, 'other label')).toBe('2 other labels');
    expect(count(2, 'analysis', 'analyses')).toBe('2 analyses');
  });
});
