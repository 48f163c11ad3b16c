import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createCoreClient,
  defaultTimeoutMs,
  LONG_REQUESTS,
  serveCore,
  type HostMessage,
  type MainMessage,
  type Transport,
} from '../../src/main/core-channel.js';
import { createCore } from '../../src/core/index.js';
import { generateLibrary } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { startHub } from '../support/hub-server.js';
import { TINY_PACK } from '../support/packs.js';

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

describe('core channel (main <-> utility process)', () => {
  it('relays invocations and events to and from a real core', async () => {
    const root = tempDir();
    const lib = generateLibrary(join(root, 'lib'), 30);
    const p = pipe();
    const events: string[] = [];
    let ready = false;
    const client = createCoreClient(p.main, { onEvent: (name) => events.push(name), onReady: () => (ready = true) });
    const server = serveCore(p.host, createCore({ dataDir: join(root, 'data') }));
    expect(await client.invoke('library-add', [{ path: lib.root }])).toMatchObject({ ok: true, value: { path: lib.root } });
    const scan = await client.run('library-scan', []);
    expect(scan).toMatchObject({ ok: true, value: { filesSeen: 30, failed: lib.bad.length } });
    expect(ready).toBe(true);
    expect(events).toEqual(expect.arrayContaining(['scan-progress', 'scan-finished', 'library-changed']));
    expect(await client.invoke('no-such-thing', [])).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN' } });
    expect(client.pendingCount()).toBe(0);
    await server.close();
  });

  it('gives long requests no timeout: a model install that outlasts the 60 s policy still succeeds (same client as the app)', async () => {
    const root = tempDir();
    const hub = await startHub({ repos: { 'test/tiny': TINY_PACK } });
    const p = pipe();
    const timers: (() => void)[] = [];
    // Default policy; any timer the client arms fires at once below, as if the request had taken minutes.
    const client = createCoreClient(p.main, { setTimer: (fn) => (timers.push(fn), timers.length), clearTimer: () => undefined });
    const core = createCore({ dataDir: join(root, 'data'), hubEndpoint: hub.url });
    const server = serveCore(p.host, core);
    try {
      const install = client.run('models-install', [{ source: 'hf:test/tiny' }]);
      const status = client.invoke('status-get', []);
      for (const fire of timers.splice(0)) fire();
      expect(await status).toMatchObject({ ok: false, error: { code: 'E_TIMEOUT' } });
      expect(await install).toMatchObject({ ok: true, value: { key: 'tiny-joint@1.0.0' } });
      const names = Object.keys((await core).handlers);
      for (const name of LONG_REQUESTS) expect(names).toContain(name);
      expect(defaultTimeoutMs('models-install')).toBe(0);
      expect(defaultTimeoutMs('status-get')).toBe(60_000);
    } finally {
      await server.close();
      await hub.close();
    }
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
    expect(await pending).toMatchObject({ ok: false, error: { code: 'E_TIMEOUT' } });
  });

  it('settles pending requests when the host goes away and answers startup failures', async () => {
    const p = pipe();
    const client = createCoreClient(p.main, { timeoutMs: 0 });
    const pending = client.invoke('status-get', []);
    client.close('The core process exited (code 1)');
    expect(await pending).toEqual({ ok: false, error: { message: 'The core process exited (code 1)', code: 'E_HOST_GONE' } });
    expect(await client.invoke('status-get', [])).toMatchObject({ error: { code: 'E_HOST_GONE' } });

    const q = pipe();
    let fatal = '';
    const c2 = createCoreClient(q.main, { onFatal: (m) => (fatal = m) });
    serveCore(q.host, Promise.reject(new Error('database is newer')));
    expect(await c2.invoke('status-get', [])).toMatchObject({
      ok: false,
      error: { code: 'E_STARTUP', message: expect.stringContaining('database is newer') },
    });
    expect(fatal).toBe('database is newer');
  });
});
