import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/core/contract.js';
import {
  createCoreClient,
  DEFAULT_TIMEOUT_MS,
  isMainMessage,
  parseInvokeRequest,
  serveCore,
  type HostMessage,
  type MainMessage,
  type Transport,
} from '../../src/main/core-channel.js';
import { createCore } from '../../src/core/index.js';
import { generateLibrary } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { TINY_PACK } from '../support/packs.js';
import { startBigHub } from '../e2e/support/big-hub.js';

const tempDir = useTempDirs();

/** Two connected in-memory transports with structured cloning, as between Electron processes. */
function pipe(): { main: Transport<MainMessage>; host: Transport<HostMessage>; toMain: (m: unknown) => void } {
  const mainListeners = new Set<(m: unknown) => void>();
  const hostListeners = new Set<(m: unknown) => void>();
  const deliver = (set: Set<(m: unknown) => void>, m: unknown) => queueMicrotask(() => set.forEach((l) => l(structuredClone(m))));
  return {
    main: { post: (m) => deliver(hostListeners, m), onMessage: (l) => (mainListeners.add(l), () => mainListeners.delete(l)) },
    host: { post: (m) => deliver(mainListeners, m), onMessage: (l) => (hostListeners.add(l), () => hostListeners.delete(l)) },
    toMain: (m) => deliver(mainListeners, m),
  };
}

/** Collects the events a client receives and resolves when a job finishes (events may come before the ticket). */
function jobEvents(): { onEvent: (name: string, payload: unknown) => void; names: string[]; finished(id: string): Promise<JobInfo> } {
  const names: string[] = [];
  const done = new Map<string, JobInfo>();
  const waiters = new Map<string, (info: JobInfo) => void>();
  return {
    names,
    onEvent(name, payload) {
      names.push(name);
      if (name !== 'job-finished') return;
      const info = payload as JobInfo;
      done.set(info.id, info);
      waiters.get(info.id)?.(info);
    },
    finished: (id) => new Promise((resolve) => (done.has(id) ? resolve(done.get(id) as JobInfo) : waiters.set(id, resolve))),
  };
}

/** The ticket in a reply (the test fails clearly when there is none). */
function ticketOf(reply: unknown): { jobId: string; kind: string; joined: boolean } {
  expect(reply).toMatchObject({ ok: true, value: { jobId: expect.any(String), kind: expect.any(String) } });
  return (reply as { value: { jobId: string; kind: string; joined: boolean } }).value;
}

describe('core channel (main <-> utility process)', () => {
  it('relays invocations, job tickets and events to and from a real core', async () => {
    const root = tempDir();
    const lib = generateLibrary(join(root, 'lib'), 30);
    const p = pipe();
    const jobs = jobEvents();
    let ready = false;
    const client = createCoreClient(p.main, { onEvent: jobs.onEvent, onReady: () => (ready = true) });
    const server = serveCore(p.host, createCore({ dataDir: join(root, 'data') }));
    expect(await client.invoke('library-add', [{ path: lib.root }])).toMatchObject({ ok: true, value: { path: lib.root } });
    const ticket = ticketOf(await client.invoke('library-scan', []));
    expect(ticket.kind).toBe('library-scan');
    const scan = await jobs.finished(ticket.jobId);
    expect(scan).toMatchObject({ state: 'done', result: { filesSeen: 30, failed: lib.bad.length } });
    expect(ready).toBe(true);
    expect(jobs.names).toEqual(
      expect.arrayContaining(['job-started', 'scan-progress', 'scan-finished', 'library-changed', 'job-finished']),
    );
    expect(await client.invoke('no-such-thing', [])).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN' } });
    expect(client.pendingCount()).toBe(0);
    await server.close();
  });

  it('a model install outlasting the request timeout: the ticket comes at once, the job finishes later (same client as the app)', async () => {
    const root = tempDir();
    // The tiny pack plus 6 MB at 3 MB/s: about 2 s, twenty times the 100 ms timeout below.
    const hub = await startBigHub({
      repo: 'test/slow',
      base: TINY_PACK,
      id: 'slow-joint',
      extraFile: 'audio/extra.bin',
      extraBytes: 6_000_000,
      bytesPerSecond: 3_000_000,
    });
    const p = pipe();
    const jobs = jobEvents();
    const client = createCoreClient(p.main, { timeoutMs: 100, onEvent: jobs.onEvent });
    const server = serveCore(p.host, createCore({ dataDir: join(root, 'data'), hubEndpoint: hub.url }));
    try {
      const started = Date.now();
      const ticket = ticketOf(await client.invoke('models-install', [{ source: hub.source }]));
      expect(ticket).toMatchObject({ kind: 'models-install', joined: false });
      // Asking again while it runs joins the same job: one download, one pack.
      expect(ticketOf(await client.invoke('models-install', [{ source: hub.source }]))).toMatchObject({
        jobId: ticket.jobId,
        joined: true,
      });
      expect(await client.invoke('status-get', [])).toMatchObject({ ok: true });
      const info = await jobs.finished(ticket.jobId);
      expect(Date.now() - started).toBeGreaterThan(1000);
      expect(info).toMatchObject({ state: 'done', error: null, result: { key: hub.key } });
      expect(jobs.names.filter((n) => n === 'job-progress').length).toBeGreaterThan(2);
      expect(hub.requests.filter((r) => r.path.endsWith('/audio/extra.bin'))).toHaveLength(1);
      expect(await client.invoke('models-list', [])).toMatchObject({ ok: true, value: [{ key: hub.key }] });
      expect(client.pendingCount()).toBe(0);
    } finally {
      await server.close();
      await hub.close();
    }
  });

  it('records write grants only through the shell message, never through invoke', async () => {
    const root = tempDir();
    const p = pipe();
    const client = createCoreClient(p.main, {});
    const core = createCore({ dataDir: join(root, 'data') });
    const server = serveCore(p.host, core);
    try {
      const target = join(root, 'out', 'mood.m3u8');
      const granted = await client.grantWrite(target, 'file', true);
      expect(granted).toEqual({
        ok: true,
        value: { token: expect.stringMatching(/^grant:[0-9a-f]{32}$/), path: target, kind: 'file', overwrite: true },
      });
      if (!granted.ok) throw new Error('unreachable');
      expect((await core).context.grants.target('test', granted.value.token, 'file')).toEqual({ path: target, overwrite: true });
      expect(await client.grantWrite('relative/x.m3u8', 'file', false)).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      // The page's only way in is invoke, and no handler mints grants.
      expect(await client.invoke('grant', [{ path: target, kind: 'file', overwrite: true }])).toMatchObject({
        ok: false,
        error: { code: 'E_UNKNOWN' },
      });
      expect(isMainMessage({ type: 'grant', id: 1, path: target, kind: 'disk', overwrite: true })).toBe(false);
      expect(isMainMessage({ type: 'grant', id: 1, path: target, kind: 'folder', overwrite: 'yes' })).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('checks what the page sends before relaying it', () => {
    expect(parseInvokeRequest({ name: 'status-get', args: [] })).toEqual({ name: 'status-get', args: [] });
    expect(parseInvokeRequest({ name: 'status-get', args: [], extra: 1 })).toEqual({ name: 'status-get', args: [] });
    for (const bad of [null, 'status-get', { name: 1, args: [] }, { name: 'status-get' }, { name: 'x', args: {} }])
      expect(parseInvokeRequest(bad)).toBeNull();
  });

  it('gives every request the 60 s timeout by default', async () => {
    const p = pipe();
    const armed: number[] = [];
    const client = createCoreClient(p.main, { setTimer: (_fn, ms) => (armed.push(ms), armed.length), clearTimer: () => undefined });
    void client.invoke('models-install', [{ source: 'hf:x/y' }]);
    void client.invoke('status-get', []);
    void client.grantWrite('/tmp/x', 'file', false);
    expect(armed).toEqual([DEFAULT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS]);
    expect(DEFAULT_TIMEOUT_MS).toBe(60_000);
    client.close('done');
  });

  it('ignores malformed and unknown replies and times requests out', async () => {
    const p = pipe();
    let fire: (() => void) | null = null;
    const client = createCoreClient(p.main, { timeoutMs: 5, setTimer: (fn) => ((fire = fn), 1), clearTimer: () => undefined });
    const pending = client.invoke('status-get', []);
    p.toMain({ type: 'reply', id: 999, reply: { ok: true, value: 1 } });
    p.toMain({ type: 'reply', id: 1, reply: { ok: 'maybe' } });
    p.toMain('garbage');
    await new Promise((r) => setTimeout(r, 5));
    expect(client.pendingCount()).toBe(1);
    (fire as unknown as () => void)();
    expect(await pending).toMatchObject({ ok: false, error: { code: 'E_TIMEOUT', message: 'status-get did not answer within 5 ms' } });
  });

  it('settles pending requests when the host goes away and answers startup failures', async () => {
    const p = pipe();
    const client = createCoreClient(p.main, { timeoutMs: 0 });
    const pending = client.invoke('status-get', []);
    const grant = client.grantWrite('/tmp/x', 'file', false);
    client.close('The core process exited (code 1)');
    expect(await pending).toEqual({ ok: false, error: { message: 'The core process exited (code 1)', code: 'E_HOST_GONE' } });
    expect(await grant).toMatchObject({ ok: false, error: { code: 'E_HOST_GONE' } });
    expect(await client.invoke('status-get', [])).toMatchObject({ error: { code: 'E_HOST_GONE' } });

    const q = pipe();
    let fatal = '';
    const c2 = createCoreClient(q.main, { onFatal: (m) => (fatal = m) });
    serveCore(q.host, Promise.reject(new Error('database is newer')));
    expect(await c2.invoke('status-get', [])).toMatchObject({
      ok: false,
      error: { code: 'E_STARTUP', message: expect.stringContaining('database is newer') },
    });
    expect(await c2.grantWrite('/tmp/x', 'file', false)).toMatchObject({ ok: false, error: { code: 'E_STARTUP' } });
    expect(fatal).toBe('database is newer');
  });
});
