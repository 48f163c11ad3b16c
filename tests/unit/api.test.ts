import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { createCore } from '../../src/core/index.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/** The object schema inside a handler's input schema (through optional/nullish wrappers), if any. */
function objectEntries(schema: v.GenericSchema | undefined): Record<string, v.GenericSchema> | null {
  let s = schema as (v.GenericSchema & { wrapped?: v.GenericSchema; entries?: Record<string, v.GenericSchema> }) | undefined;
  while (s && s.wrapped) s = s.wrapped as typeof s;
  return s?.entries ?? null;
}

describe('the contract', () => {
  it('checks every handler input at the boundary: malformed input is E_INVALID naming the handler, before any work', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      const names = Object.keys(core.handlers);
      expect(names.length).toBeGreaterThan(50);
      const malformed: unknown[] = [42, 'x', [1], true, { 'not-a-parameter': 1 }];
      for (const name of names) {
        for (const bad of malformed) {
          const reply = await core.invokeUntrusted(name, [bad]);
          expect(reply, `${name} with ${JSON.stringify(bad)}`).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
          if (!reply.ok) expect(reply.error.message.startsWith(`${name}: `)).toBe(true);
        }
        expect(await core.invokeUntrusted(name, [{}, {}]), `${name} with two objects`).toMatchObject({
          ok: false,
          error: { code: 'E_INVALID' },
        });
      }
    } finally {
      await core.close();
    }
  });

  it('has a schema for every field of every handler that takes parameters, refusing a value of the wrong type', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      const checked: string[] = [];
      for (const [name, fn] of Object.entries(core.handlers)) {
        const input = (fn as { input?: v.GenericSchema }).input;
        if (!input) continue;
        const entries = objectEntries(input);
        expect(entries, `${name}: its input is a parameters object`).not.toBeNull();
        for (const key of Object.keys(entries ?? {})) {
          const r = v.safeParse(input, { [key]: Symbol('wrong') });
          expect(r.success, `${name}.${key}`).toBe(false);
          const paths = (r.issues ?? []).map((i) => i.path?.map((p) => String(p.key)).join('.'));
          expect(paths, `${name}.${key} is checked`).toContain(key);
        }
        checked.push(name);
      }
      expect(checked.length).toBeGreaterThan(35);
    } finally {
      await core.close();
    }
  });

  it('replies to unknown names and non-list arguments with readable errors', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      expect(await core.invokeUntrusted('nope', [])).toEqual({ ok: false, error: { message: 'Unknown command: nope', code: 'E_UNKNOWN' } });
      expect(await core.invokeUntrusted('constructor', [])).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN' } });
      expect(await core.invokeUntrusted('tracks-list', 'x')).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(await core.invokeUntrusted('library-add', [{ path: 42 }])).toEqual({
        ok: false,
        error: { message: 'library-add: "path" must be a non-empty string', code: 'E_INVALID' },
      });
      expect(await core.invokeUntrusted('tracks-list', [{ limit: -1 }])).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(await core.invokeUntrusted('tracks-get', [{ id: 12345 }])).toEqual({
        ok: false,
        error: { message: 'No track with id 12345', code: 'E_NOT_FOUND' },
      });
      expect(await core.invokeUntrusted('tracks-list', [{}])).toEqual({ ok: true, value: { total: 0, tracks: [] } });
      expect(await core.invokeUntrusted('library-folders', [])).toEqual({ ok: true, value: [] });
    } finally {
      await core.close();
    }
  });

  it('runs long work as jobs: a ticket at once, listed, joined by a second start, awaited by run()', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      const seen: string[] = [];
      core.events.on('job-started', (j) => seen.push(`started ${j.kind}`));
      core.events.on('job-finished', (j) => seen.push(`${j.state} ${j.kind}`));
      const first = await core.invoke('library-scan');
      const second = await core.invoke('library-scan');
      expect(first).toMatchObject({ kind: 'library-scan', joined: false });
      expect(second).toEqual({ jobId: first.jobId, kind: 'library-scan', joined: true });
      expect((await core.invoke('jobs-list')).map((j) => j.id)).toContain(first.jobId);
      const result = await core.jobs.wait(first);
      expect(result).toMatchObject({ added: 0, failed: 0 });
      expect(await core.invoke('jobs-get', { id: first.jobId })).toMatchObject({ state: 'done', result });
      expect(seen).toEqual(['started library-scan', 'done library-scan']);
      expect(await core.run('library-scan')).toMatchObject({ added: 0 });
    } finally {
      await core.close();
    }
  });
});

describe('settings', () => {
  it('validates, stores and applies the analysis policy', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      expect(await core.invoke('settings-get')).toEqual({ analysisPolicy: 'quick:3', threads: 0, theme: 'system', firstRunSkipped: false });
      expect(await core.invoke('settings-set', { analysisPolicy: 'full', theme: 'dark' })).toMatchObject({
        analysisPolicy: 'full',
        theme: 'dark',
      });
      expect(await core.invokeUntrusted('settings-set', [{ analysisPolicy: 'sometimes' }])).toMatchObject({
        ok: false,
        error: { message: expect.stringContaining('Unknown analysis policy') },
      });
      expect(await core.invokeUntrusted('settings-set', [{ theme: 'neon' }])).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect((await core.invoke('settings-get')).analysisPolicy).toBe('full');
    } finally {
      await core.close();
    }
  });
  it('remembers a skipped first run across restarts, and refuses a value that is not true or false', async () => {
    const dataDir = tempDir();
    const first = await createCore({ dataDir });
    try {
      expect((await first.invoke('settings-set', { firstRunSkipped: true })).firstRunSkipped).toBe(true);
      expect(await first.invokeUntrusted('settings-set', [{ firstRunSkipped: 'yes' }])).toMatchObject({
        ok: false,
        error: { code: 'E_INVALID', message: expect.stringContaining('true or false') },
      });
    } finally {
      await first.close();
    }
    const again = await createCore({ dataDir });
    try {
      expect((await again.invoke('settings-get')).firstRunSkipped).toBe(true);
    } finally {
      await again.close();
    }
  });
});
