// Renderer helpers that need no DOM: the rule builder's tree conversion, emotion-strip geometry and
// colours, formatting, and the job client (runJob against a fake bridge, the job list).
import { describe, expect, it } from 'vitest';
import type { JobInfo, JobTicket } from '../../src/core/contract.js';
import type { Bridge } from '../../src/renderer/src/lib/bridge.js';
import { isCancelled, isClaimed, JobBook, JobError, jobFraction, runJob, startJob } from '../../src/renderer/src/lib/job-client.js';
import { fromRuleNode, newCondition, newGroup, toRule, defaultOptions, type EditCondition } from '../../src/renderer/src/lib/rule-tree.js';
import { heatColor, segmentSpans } from '../../src/renderer/src/lib/heat.js';
import { formatBytes, labelText, ordinal, trackTitle } from '../../src/renderer/src/lib/format.js';

describe('rule tree', () => {
  it('turns the edited tree into a core rule with NOT, AND and OR', () => {
    const sad: EditCondition = { ...newCondition('sad'), negate: true };
    const tag: EditCondition = { ...newCondition('road trip'), kind: 'tag' };
    const root = newGroup('and', [newCondition('calm'), newGroup('or', [sad, tag]), newCondition('  ')]);
    const o = { ...defaultOptions(), limit: 20, perArtist: '2', yearMin: '1990', artists: 'A, B', durationMax: '300' };
    expect(toRule(root, o)).toEqual({
      limit: 20,
      perArtist: 2,
      match: {
        op: 'and',
        children: [
          { op: 'label', label: 'calm', percentile: 80 },
          {
            op: 'or',
            children: [
              { op: 'not', child: { op: 'label', label: 'sad', percentile: 80 } },
              { op: 'tag', label: 'road trip' },
            ],
          },
        ],
      },
      filters: { duration: { max: 300 }, year: { min: 1990 }, artist: { in: ['A', 'B'] } },
      sort: { by: 'score', label: 'calm' },
    });
  });

  it('leaves out empty conditions and round-trips a stored rule', () => {
    expect(toRule(newGroup('and', [newCondition('')]), defaultOptions())).toEqual({ limit: 50 });
    const rule = toRule(
      newGroup('or', [newCondition('calm'), { ...newCondition('dark'), mode: 'threshold', value: 0.3 }]),
      defaultOptions(),
    );
    expect(toRule(fromRuleNode(rule.match), defaultOptions()).match).toEqual(rule.match);
  });
});

describe('emotion strip geometry', () => {
  it('derives segment spans from the hop, also for quick (sparse) analyses', () => {
    expect(
      segmentSpans(
        [
          { index: 0, start: 0 },
          { index: 2, start: 20 },
          { index: 5, start: 50 },
        ],
        65,
      ),
    ).toEqual([
      { start: 0, end: 10 },
      { start: 20, end: 30 },
      { start: 50, end: 60 },
    ]);
    expect(segmentSpans([{ index: 0, start: 0 }], 4)).toEqual([{ start: 0, end: 4 }]);
  });

  it('colours from dark to light', () => {
    expect(heatColor(0)).toBe('rgb(33, 25, 82)');
    expect(heatColor(1)).toBe('rgb(252, 236, 150)');
    expect(heatColor(-1)).toBe(heatColor(0));
  });
});

describe('format', () => {
  it('formats labels, ordinals, bytes and titles', () => {
    expect(labelText('joyful_activation')).toBe('joyful activation');
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 100].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '100th',
    ]);
    expect(formatBytes(615_000_000)).toBe('615.0 MB');
    expect(trackTitle({ title: null, path: '/a/b/c.flac' })).toBe('c.flac');
  });
});

/** A fake bridge: handlers answer invokes, `emit` delivers events to subscribers. */
function fakeBridge(handlers: Record<string, (params: unknown) => unknown> = {}) {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bridge = {
    invoke: (name: string, ...args: unknown[]) => {
      const h = handlers[name];
      if (!h) return Promise.reject(new Error(`no handler ${name}`));
      try {
        return Promise.resolve(h(args[0]));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    on: (name: string, listener: (payload: unknown) => void) => {
      const set = listeners.get(name) ?? new Set();
      set.add(listener);
      listeners.set(name, set);
      return () => set.delete(listener);
    },
  } as unknown as Bridge;
  return {
    bridge,
    emit(name: string, payload: unknown) {
      for (const l of [...(listeners.get(name) ?? [])]) l(payload);
    },
    listeners: (name: string) => listeners.get(name)?.size ?? 0,
  };
}

function jobInfo(over: Partial<JobInfo> & { id: string }): JobInfo {
  return {
    kind: 'library-scan',
    key: '',
    title: 'Scanning the library',
    state: 'running',
    progress: { done: 0, total: null, message: null },
    cancellable: true,
    startedAt: 1,
    finishedAt: null,
    error: null,
    result: null,
    ...over,
  };
}

function ticket<R>(jobId: string): JobTicket<R> {
  return { jobId, kind: 'library-scan', joined: false };
}

describe('job client', () => {
  it('resolves with the result of a job that finished before its ticket arrived (subscribed first)', async () => {
    const fake = fakeBridge({ 'jobs-get': () => jobInfo({ id: 'j1' }) });
    let answer: (t: JobTicket<{ added: number }>) => void = () => {};
    const pending = new Promise<JobTicket<{ added: number }>>((resolve) => (answer = resolve));
    const result = runJob(pending, { bridge: fake.bridge });
    // The end event overtakes the invoke's reply; jobs-get would still (wrongly) say running.
    fake.emit('job-finished', jobInfo({ id: 'j1', state: 'done', finishedAt: 2, result: { added: 3 } }));
    answer(ticket('j1'));
    await expect(result).resolves.toEqual({ added: 3 });
    expect(fake.listeners('job-finished')).toBe(0);
  });

  it('asks jobs-get after subscribing, so a job that ended before the call is not awaited forever', async () => {
    const fake = fakeBridge({ 'jobs-get': () => jobInfo({ id: 'j2', state: 'done', finishedAt: 2, result: 'ok' }) });
    await expect(runJob(Promise.resolve(ticket<string>('j2')), { bridge: fake.bridge })).resolves.toBe('ok');
  });

  it('waits for the end event of a running job, ignoring other jobs', async () => {
    const fake = fakeBridge({ 'jobs-get': () => jobInfo({ id: 'j3' }) });
    const seen: JobTicket[] = [];
    const result = runJob(Promise.resolve(ticket<number>('j3')), { bridge: fake.bridge, onTicket: (t) => seen.push(t) });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen.map((t) => t.jobId)).toEqual(['j3']);
    fake.emit('job-finished', jobInfo({ id: 'other', state: 'done', result: 'wrong' }));
    fake.emit('job-finished', jobInfo({ id: 'j3', state: 'done', result: 42 }));
    await expect(result).resolves.toBe(42);
    expect(isClaimed('j3')).toBe(true);
  });

  it('rejects with the job error of a failed job', async () => {
    const fake = fakeBridge({ 'jobs-get': () => jobInfo({ id: 'j4' }) });
    const result = runJob(Promise.resolve(ticket('j4')), { bridge: fake.bridge });
    await new Promise((r) => setTimeout(r, 0));
    fake.emit('job-finished', jobInfo({ id: 'j4', state: 'failed', error: { message: 'Disk full', code: 'E_IO' } }));
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    expect(err).toMatchObject({ message: 'Disk full', code: 'E_IO' });
    expect(isCancelled(err)).toBe(false);
  });

  it('rejects a cancelled job with E_CANCELLED', async () => {
    const fake = fakeBridge({
      'jobs-get': () =>
        jobInfo({ id: 'j5', state: 'cancelled', error: { message: 'Scanning the library was cancelled', code: 'E_CANCELLED' } }),
    });
    const err = await runJob(Promise.resolve(ticket('j5')), { bridge: fake.bridge }).catch((e: unknown) => e);
    expect(isCancelled(err)).toBe(true);
    expect((err as JobError).job?.state).toBe('cancelled');
  });

  it('rejects with the start error when the invoke itself fails, and unsubscribes', async () => {
    const fake = fakeBridge();
    await expect(
      runJob(Promise.reject(new Error('models-install: "source" must be a non-empty string')), { bridge: fake.bridge }),
    ).rejects.toThrow(/must be a non-empty string/);
    expect(fake.listeners('job-finished')).toBe(0);
  });

  it('startJob hands back the whole start answer at once and the result later', async () => {
    const fake = fakeBridge({ 'jobs-get': () => jobInfo({ id: 'j6', kind: 'analysis' }) });
    const started = await startJob(Promise.resolve({ ...ticket<{ analyzed: number }>('j6'), queued: 7 }), { bridge: fake.bridge });
    expect(started.ticket.queued).toBe(7);
    fake.emit('job-finished', jobInfo({ id: 'j6', kind: 'analysis', state: 'done', result: { analyzed: 7 } }));
    await expect(started.result).resolves.toEqual({ analyzed: 7 });
  });
});

describe('job book', () => {
  it('replays events that arrive while jobs-list is in flight, so an ended job is not shown running', async () => {
    const book = new JobBook();
    let answer: (list: JobInfo[]) => void = () => {};
    const loading = book.load(() => new Promise((resolve) => (answer = resolve)));
    book.apply({ name: 'job-finished', payload: jobInfo({ id: 'a', state: 'done', finishedAt: 5 }) });
    book.apply({ name: 'job-started', payload: jobInfo({ id: 'b', startedAt: 6 }) });
    book.apply({
      name: 'job-progress',
      payload: { id: 'b', kind: 'library-scan', key: '', progress: { done: 2, total: 4, message: 'Reading' } },
    });
    // The list was taken before those events: it still shows "a" running and has no "b".
    answer([jobInfo({ id: 'a' })]);
    await loading;
    const list = book.list();
    expect(list.map((j) => [j.id, j.state])).toEqual([
      ['b', 'running'],
      ['a', 'done'],
    ]);
    expect(book.get('b')?.progress).toEqual({ done: 2, total: 4, message: 'Reading' });
    expect(jobFraction(book.get('b') as JobInfo)).toBe(0.5);
  });

  it('lists running jobs first and keeps only the latest ends', () => {
    const book = new JobBook(2);
    for (let i = 0; i < 4; i++) book.apply({ name: 'job-finished', payload: jobInfo({ id: `d${i}`, state: 'done', finishedAt: i }) });
    book.apply({ name: 'job-started', payload: jobInfo({ id: 'r' }) });
    // A late start event never turns an ended job back to running.
    book.apply({ name: 'job-started', payload: jobInfo({ id: 'd3' }) });
    expect(book.list().map((j) => j.id)).toEqual(['r', 'd3', 'd2']);
  });
});
