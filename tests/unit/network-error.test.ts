// Offline installs: a fetch that cannot reach the hub says so in plain words (and offers the folder/zip
// install) instead of a raw "getaddrinfo ENOTFOUND huggingface.co".
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/core/kernel/errors.js';
import { fetchFailure } from '../../src/core/model/network-error.js';
import { closedPort } from '../support/electron-mirror.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/** What undici's fetch throws: TypeError('fetch failed') with the system error as its cause. */
function fetchError(code: string, message: string): Error {
  const cause = Object.assign(new Error(message), { code });
  return new TypeError('fetch failed', { cause });
}

describe('fetchFailure', () => {
  it.each([
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND huggingface.co'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 1.2.3.4:443'],
    ['ECONNRESET', 'read ECONNRESET'],
  ])('maps %s to a readable user error naming the host', (code, raw) => {
    const err = fetchFailure(fetchError(code, raw), 'https://huggingface.co/api/models/x', 'hf:x/y', 'the hub cannot be reached');
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('E_OFFLINE');
    expect(err.message).toMatch(/^Can't reach huggingface\.co: you seem to be offline/);
    expect(err.message).toContain('from a folder or a .zip');
    expect(err.message).not.toContain('getaddrinfo');
  });

  it('finds the code inside an AggregateError (several addresses tried)', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED ::1:9'), { code: 'ECONNREFUSED' });
    const err = fetchFailure(new TypeError('fetch failed', { cause: new AggregateError([inner]) }), 'http://localhost:9/x', 'l', 'w');
    expect(err.message).toMatch(/^Can't reach localhost:9:/);
  });

  it('keeps other failures as they were, after the label', () => {
    const err = fetchFailure(
      new TypeError('fetch failed', { cause: new Error('certificate has expired') }),
      'https://h/x',
      'hf:a/b',
      'download failed',
    );
    expect(err.code).toBe('E_DOWNLOAD');
    expect(err.message).toBe('hf:a/b: download failed (certificate has expired)');
  });
});

describe('models-install offline', () => {
  it('reports an unreachable hub in plain words', async () => {
    const { createCore } = await import('../../src/core/index.js');
    // A port nothing listens on (fetch refuses well-known ports such as 9 before connecting).
    const port = await closedPort();
    const core = await createCore({ dataDir: tempDir(), hubEndpoint: `http://127.0.0.1:${port}` });
    try {
      const err = await core.run('models-install', { source: 'hf:test/pack@main' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(new RegExp(`^Can't reach 127\\.0\\.0\\.1:${port}: you seem to be offline`));
    } finally {
      await core.close();
    }
  });
});
