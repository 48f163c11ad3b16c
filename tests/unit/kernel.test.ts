import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../src/core/kernel/events.js';
import { createJobs, isJobTicket, type JobEvents, type JobInfo } from '../../src/core/kernel/jobs.js';
import { bindHandlers, handler, id, int, oneOf, opt, optionalParams, params, text } from '../../src/core/kernel/schema.js';
import { UserError, asUserError } from '../../src/core/kernel/errors.js';

function recorder() {
  const bus = createEventBus<JobEvents>();
  const log: string[] = [];
  const finished: JobInfo[] = [];
  bus.onAny((name, payload) => log.push(`${name} ${(payload as { kind: string }).kind}`));
  bus.on('job-finished', (j) => finished.push(j));
  return { bus, log, finished };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('jobs', () => {
  it('start returns a ticket at once; the same kind and key joins; the result arrives by event and wait', async () => {
    const { bus, log, finished } = recorder();
    const jobs = createJobs(bus);
    const gate = deferred<number>();
    const a = jobs.start({ kind: 'scan', title: 'Scanning', run: () => gate.promise });
    const b = jobs.start({ kind: 'scan', title: 'Scanning', run: () => Promise.resolve(-1) });
    const other = jobs.start({ kind: 'scan', key: 'other', title: 'Scanning', run: () => Promise.resolve(7) });
    expect(isJobTicket(a)).toBe(true);
    expect(b).toEqual({ jobId: a.jobId, kind: 'scan', joined: true });
    expect(other.jobId).not.toBe(a.jobId);
    expect(jobs.get(a.jobId)?.state).toBe('running');
    gate.resolve(42);
    expect(await jobs.wait(a)).toBe(42);
    expect(await jobs.wait(b)).toBe(42);
    expect(await jobs.wait(other)).toBe(7);
    expect(jobs.get(a.jobId)).toMatchObject({ state: 'done', result: 42, error: null });
    expect(finished.map((j) => j.result).sort()).toEqual([42, 7].sort());
    expect(log.filter((l) => l.startsWith('job-started'))).toHaveLength(2);
    // A new start after the end is new work.
    const c = jobs.start({ kind: 'scan', title: 'Scanning', run: () => Promise.resolve(1) });
    expect(c.joined).toBe(false);
    expect(c.jobId).not.toBe(a.jobId);
  });

  it('reports failures with their code, and cancellation through the signal and onCancel', async () => {
    const { bus } = recorder();
    const jobs = createJobs(bus);
    const failed = jobs.start({
      kind: 'install',
      title: 'Installing',
      run: () => Promise.reject(new UserError('hub.example: offline', 'E_DOWNLOAD')),
    });
    await expect(jobs.wait(failed)).rejects.toThrow('hub.example: offline');
    expect(jobs.get(failed.jobId)).toMatchObject({ state: 'failed', error: { message: 'hub.example: offline', code: 'E_DOWNLOAD' } });

    let cancelled = 0;
    const t = jobs.start({
      kind: 'write',
      title: 'Writing tags',
      onCancel: () => cancelled++,
      run: (job) => new Promise((_, reject) => job.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true })),
    });
    expect(jobs.cancel(t.jobId)).toBe(true);
    expect(jobs.cancel(t.jobId)).toBe(false);
    await expect(jobs.wait(t)).rejects.toMatchObject({ code: 'E_CANCELLED', message: 'Writing tags was cancelled' });
    expect(jobs.get(t.jobId)?.state).toBe('cancelled');
    expect(cancelled).toBe(1);

    const fixed = jobs.start({ kind: 'migrate', title: 'Migrating', cancellable: false, run: () => Promise.resolve('ok') });
    expect(jobs.cancel(fixed.jobId)).toBe(false);
    expect(await jobs.wait(fixed)).toBe('ok');
    await expect(jobs.wait('nope')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('throttles progress events, lists running jobs first and keeps only recent finished ones', async () => {
    const { bus, log } = recorder();
    const jobs = createJobs(bus, { keepFinished: 2, progressIntervalMs: 50 });
    const gate = deferred<void>();
    const t = jobs.start({
      kind: 'analysis',
      title: 'Analysing',
      run: async (job) => {
        for (let i = 1; i <= 100; i++) job.progress({ done: i, total: 100 });
        await gate.promise;
      },
    });
    for (let i = 0; i < 4; i++) await jobs.wait(jobs.start({ kind: 'quick', key: String(i), title: 'Quick', run: async () => i }));
    const list = jobs.list();
    expect(list[0]).toMatchObject({ id: t.jobId, state: 'running', progress: { done: 100, total: 100 } });
    expect(list.slice(1).map((j) => j.key)).toEqual(['3', '2']);
    await new Promise((r) => setTimeout(r, 80));
    const progressEvents = log.filter((l) => l === 'job-progress analysis').length;
    expect(progressEvents).toBeGreaterThanOrEqual(1);
    expect(progressEvents).toBeLessThanOrEqual(3);
    gate.resolve();
    await jobs.wait(t);
    await jobs.close();
  });

  it('close cancels what runs and waits for it to settle', async () => {
    const { bus } = recorder();
    const jobs = createJobs(bus);
    let settled = false;
    jobs.start({
      kind: 'long',
      title: 'Long',
      run: (job) =>
        new Promise<void>((resolve) =>
          job.signal.addEventListener('abort', () => setTimeout(() => ((settled = true), resolve()), 10), { once: true }),
        ),
    });
    await jobs.close();
    expect(settled).toBe(true);
    expect(jobs.list()[0]?.state).toBe('cancelled');
  });
});

describe('handler schemas', () => {
  const h = bindHandlers({
    add: handler(params({ path: text(), depth: opt(int(0, 5)) }), ({ path, depth }) => `${path}:${depth ?? 0}`),
    list: handler(optionalParams({ sort: opt(oneOf(['title', 'year'])) }), ({ sort }) => sort ?? 'title'),
    get: handler(params({ id: id() }), ({ id }) => id),
    status: handler(() => 'ok'),
  });

  it('type and check parameters from one schema, with messages naming handler and parameter', () => {
    expect(h.add({ path: '/music', depth: 2 })).toBe('/music:2');
    expect(h.list()).toBe('title');
    expect(h.list({ sort: 'year' })).toBe('year');
    expect(h.status()).toBe('ok');
    const call =
      (fn: (...a: unknown[]) => unknown, ...args: unknown[]) =>
      () =>
        fn(...args);
    expect(call(h.add as never, { path: '' })).toThrow('add: "path" must be a non-empty string');
    expect(call(h.add as never, { path: 'a\0b' })).toThrow('add: "path" contains a NUL character');
    expect(call(h.add as never, { path: '/m', depth: 9 })).toThrow('add: "depth" must be an integer from 0 to 5');
    expect(call(h.add as never, { path: '/m', dpeth: 1 })).toThrow('add: "dpeth" is not a parameter it takes');
    expect(call(h.add as never, 'x')).toThrow('add: parameters must be an object');
    expect(call(h.add as never, {})).toThrow('add: "path" is required');
    expect(call(h.add as never)).toThrow('add: parameters must be an object');
    expect(call(h.list as never, { sort: 'mood' })).toThrow('list: "sort" must be one of title, year');
    expect(call(h.get as never, { id: 0 })).toThrow(/get: "id" must be an integer from 1/);
    expect(call(h.status as never, { x: 1 })).toThrow('status: takes no parameters');
    expect(call(h.status as never, {}, {})).toThrow('status: expected at most one parameters object');
    try {
      (h.get as (p: unknown) => unknown)({ id: 1.5 });
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).code).toBe('E_INVALID');
    }
  });
});

describe('event bus', () => {
  it('keeps emitting when a listener throws, and unsubscribes', () => {
    const errors: unknown[] = [];
    const bus = createEventBus<{ a: number; b: string }>((e) => errors.push(e));
    const got: string[] = [];
    bus.on('a', () => {
      throw new Error('boom');
    });
    const off = bus.on('a', (n) => got.push(`a${n}`));
    bus.onAny((name, payload) => got.push(`any ${name}=${String(payload)}`));
    bus.emit('a', 1);
    off();
    bus.emit('a', 2);
    bus.emit('b', 'x');
    expect(got).toEqual(['a1', 'any a=1', 'any a=2', 'any b=x']);
    expect(errors).toHaveLength(2);
  });
});

describe('errors', () => {
  it('tells a person that another process holds the library, instead of an internal error', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(asUserError(busy)).toMatchObject({ code: 'E_BUSY', message: expect.stringContaining('another Moodshelf process') });
    const other = new Error('x');
    expect(asUserError(other)).toBe(other);
  });
});
