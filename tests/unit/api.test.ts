import { describe, expect, it } from 'vitest';
import { HANDLER_FACTORIES, mergeHandlerMaps } from '../../src/core/api/handlers.js';
import type { CoreContext } from '../../src/core/api/context.js';
import { createCore } from '../../src/core/index.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

describe('handler maps', () => {
  it('have unique names across domains', () => {
    const names = HANDLER_FACTORIES.flatMap((f) => Object.keys(f({} as CoreContext)));
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['library-add', 'library-scan', 'tracks-list', 'status-get']));
  });

  it('refuse to merge two maps that claim one name', () => {
    expect(() => mergeHandlerMaps([{ a: 1 }, { a: 2 }])).toThrow(/Duplicate handler name: a/);
  });
});

describe('untrusted invocation (the IPC path)', () => {
  it('validates names and parameters and replies with readable errors', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      expect(await core.invokeUntrusted('nope', [])).toEqual({ ok: false, error: { message: 'Unknown command: nope', code: 'E_UNKNOWN' } });
      expect(await core.invokeUntrusted('constructor', [])).toMatchObject({ ok: false, error: { code: 'E_UNKNOWN' } });
      expect(await core.invokeUntrusted('library-add', [{ path: 42 }])).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(await core.invokeUntrusted('tracks-list', [{ limit: -1 }])).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(await core.invokeUntrusted('tracks-list', ['x', 'y'])).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
      expect(await core.invokeUntrusted('tracks-get', [{ id: 12345 }])).toEqual({
        ok: false,
        error: { message: 'No track with id 12345', code: 'E_NOT_FOUND' },
      });
      expect(await core.invokeUntrusted('tracks-list', [{}])).toEqual({ ok: true, value: { total: 0, tracks: [] } });
    } finally {
      await core.close();
    }
  });
});

describe('settings', () => {
  it('validates, stores and applies the analysis policy', async () => {
    const core = await createCore({ dataDir: tempDir() });
    try {
      expect(await core.invoke('settings-get')).toEqual({ analysisPolicy: 'quick:3', threads: 0, theme: 'system' });
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
});
