import { describe, expect, it } from 'vitest';
import { CORE_PROCESS_ENV, coreProcessEnv } from '../../src/core/kernel/process-env.js';

describe('the core process environment', () => {
  it('adds two malloc arenas where the user set nothing, and keeps what the user set', () => {
    expect(CORE_PROCESS_ENV).toEqual({ MALLOC_ARENA_MAX: '2' });
    const base = { PATH: '/bin' };
    expect(coreProcessEnv(base)).toEqual({ PATH: '/bin', MALLOC_ARENA_MAX: '2' });
    expect(base).toEqual({ PATH: '/bin' });
    expect(coreProcessEnv({ MALLOC_ARENA_MAX: '8' })).toEqual({ MALLOC_ARENA_MAX: '8' });
  });
});
