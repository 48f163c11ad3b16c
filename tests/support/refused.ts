import { expect } from 'vitest';
import type { Core } from '../../src/core/index.js';

/**
 * Sends `params` to handler `name` the way the page does (invokeUntrusted), expects the boundary check to
 * refuse it with E_INVALID, and resolves with the message, so a test can pin what a person reads.
 */
export async function refusedMessage(core: Core, name: string, params: unknown): Promise<string> {
  const reply = await core.invokeUntrusted(name, [params]);
  expect(reply, `${name} ${JSON.stringify(params)}`).toMatchObject({ ok: false, error: { code: 'E_INVALID' } });
  return reply.ok ? '' : reply.error.message;
}
