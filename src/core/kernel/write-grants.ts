/**
 * The renderer asks, the shell decides. A page must never choose where the core writes: a compromised
 * or buggy renderer could otherwise overwrite any file the user can. So a write target that arrives
 * through the untrusted entry point (IPC from the page) must be a grant: an opaque token the shell
 * handed out after the user picked the file or folder in an OS dialog (which also asked before
 * replacing an existing file). Trusted callers (the CLI, tests calling the core in process) pass
 * plain paths. Each handler that writes asks {@link WriteGrants.target} and gets the path and whether
 * an existing file may be replaced, or a clear E_FORBIDDEN error.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative, resolve } from 'node:path';
import { UserError } from './errors.js';

/** What the user chose: one file (to create or replace) or a folder to write into. */
export type GrantKind = 'file' | 'folder';

/** A grant as the shell receives it. */
export interface WriteGrant {
  token: string;
  path: string;
  kind: GrantKind;
  /** The user agreed to replace what is there (the save dialog asked). */
  overwrite: boolean;
}

/** Where a write goes, once allowed. */
export interface WriteTarget {
  path: string;
  /** True when an existing file there may be replaced. */
  overwrite: boolean;
}

/** The grant registry of one core. */
export interface WriteGrants {
  /** Records what the user picked in a shell dialog; only the shell (never the page) can call this. */
  grant(path: string, kind: GrantKind, overwrite: boolean): WriteGrant;
  /** Runs `fn` as an untrusted (page) request: write targets must then be grants. */
  untrusted<T>(fn: () => T): T;
  /**
   * The path a handler may write for `requested` (a grant token from the page, a path from a trusted
   * caller). `overwrite` is what a trusted caller asked for (`--force`); a page gets what its grant says.
   */
  target(handler: string, requested: string, kind: GrantKind, overwrite?: boolean): WriteTarget;
}

const TOKEN = /^grant:[0-9a-f]{32}$/;

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Creates an empty registry. */
export function createWriteGrants(): WriteGrants {
  const grants = new Map<string, WriteGrant>();
  const caller = new AsyncLocalStorage<'page'>();
  return {
    grant(path, kind, overwrite) {
      if (!isAbsolute(path)) throw new UserError(`A write grant needs an absolute path, not "${path}"`, 'E_INVALID');
      const g: WriteGrant = { token: `grant:${randomBytes(16).toString('hex')}`, path: resolve(path), kind, overwrite };
      grants.set(g.token, g);
      return { ...g };
    },
    untrusted: (fn) => caller.run('page', fn),
    target(handler, requested, kind, overwrite = false) {
      if (caller.getStore() !== 'page') {
        if (TOKEN.test(requested)) return fromGrant(handler, requested, kind);
        return { path: resolve(requested), overwrite };
      }
      if (!TOKEN.test(requested))
        throw new UserError(
          `${handler}: the app writes only where you chose in a Save or folder dialog; "${requested}" was not chosen there`,
          'E_FORBIDDEN',
        );
      return fromGrant(handler, requested, kind);
    },
  };

  function fromGrant(handler: string, token: string, kind: GrantKind): WriteTarget {
    const g = grants.get(token);
    if (!g) throw new UserError(`${handler}: that save location is no longer valid; choose it again`, 'E_FORBIDDEN');
    if (g.kind !== kind) throw new UserError(`${handler}: needs a ${kind} to write, but a ${g.kind} was chosen (${g.path})`, 'E_FORBIDDEN');
    return { path: g.path, overwrite: g.overwrite };
  }
}

/** True when `path` is `folder` or inside it (for handlers that write several files into a granted folder). */
export function isInside(folder: string, path: string): boolean {
  return inside(resolve(folder), resolve(path));
}
