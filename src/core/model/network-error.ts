import { UserError } from '../kernel/errors.js';

/** Node's error codes for "the network or the server is not there", as fetch reports them in `cause`. */
const UNREACHABLE: Record<string, string> = {
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name could not be looked up',
  ECONNREFUSED: 'the connection was refused',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the connection was dropped',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was dropped',
};

/** The system error code inside a fetch failure (fetch wraps it as `cause`, sometimes twice). */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code in UNREACHABLE) return code;
    // AggregateError (several addresses tried): the first inner error says enough.
    const inner = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(inner) && inner.length > 0) {
      const c = networkCode(inner[0]);
      if (c) return c;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The host of a URL for a message ("huggingface.co"), or the URL itself when it does not parse. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Turns a failed fetch into an error a person can act on. Being offline shows up as ENOTFOUND,
 * ECONNREFUSED, ETIMEDOUT or ECONNRESET, and a raw "getaddrinfo ENOTFOUND huggingface.co" says nothing
 * to someone installing a model: they hear that the host cannot be reached and that a pack can be
 * installed from a folder or a zip instead. Other failures keep their own reason after `label`.
 */
export function fetchFailure(err: unknown, url: string, label: string, what: string): UserError {
  const code = networkCode(err);
  if (code) {
    const host = hostOf(url);
    return new UserError(
      `Can't reach ${host}: you seem to be offline, or ${host} is down (${UNREACHABLE[code]}). ` +
        'Connect and try again, or install the model pack from a folder or a .zip file you already have.',
      'E_OFFLINE',
    );
  }
  const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return new UserError(`${label}: ${what} (${why})`, 'E_DOWNLOAD');
}
