import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UserError } from '../kernel/errors.js';
import { sha256File } from './files.js';
import { fetchFailure } from './network-error.js';

/** One file of a hub repository at one commit, as the hub's tree API lists it. */
export interface HubFile {
  path: string;
  /** Exact size in bytes. */
  size: number;
  /** sha256 of the content, for files stored with Git LFS (the hub's `lfs.oid`). */
  sha256?: string;
  /** The git blob id (sha1 of "blob <size>\0" + content): what the hub lists for every file. */
  gitSha1?: string;
}

/** Where and how to reach a hub. */
export interface HubAccess {
  endpoint: string;
  signal?: AbortSignal;
}

const SHA = /^[0-9a-f]{40}$/;

async function getJson(url: string, label: string, signal?: AbortSignal): Promise<{ body: unknown; next: string | null }> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' }, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw fetchFailure(err, url, label, 'the hub cannot be reached');
  }
  if (res.status === 404) throw new UserError(`${label}: not found on the hub (HTTP 404)`, 'E_DOWNLOAD_404');
  if (res.status === 401 || res.status === 403)
    throw new UserError(`${label}: the hub refused access (HTTP ${res.status}; a gated or private repository)`, 'E_DOWNLOAD');
  if (!res.ok) throw new UserError(`${label}: the hub answered HTTP ${res.status}`, 'E_DOWNLOAD');
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new UserError(`${label}: the hub's answer is not JSON`, 'E_DOWNLOAD');
  }
  // The tree API pages long listings: `Link: <…?cursor=…>; rel="next"`.
  const link = res.headers.get('link');
  const next = link ? (/<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] ?? null) : null;
  return { body, next: next ? new URL(next, url).toString() : null };
}

/**
 * The commit a revision (branch, tag or commit id) points at, from `GET /api/models/{repo}/revision/{rev}`.
 * Installs download from that commit, so a branch that moves half way through cannot mix two versions.
 */
export async function resolveRevision(hub: HubAccess, repo: string, revision: string): Promise<string> {
  const label = `hf:${repo}@${revision}`;
  const { body } = await getJson(`${hub.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`, label, hub.signal);
  const sha = (body as { sha?: unknown } | null)?.sha;
  if (typeof sha !== 'string' || !SHA.test(sha)) throw new UserError(`${label}: the hub did not say which commit this is`, 'E_DOWNLOAD');
  if (SHA.test(revision) && sha !== revision)
    throw new UserError(`${label}: the hub answered for commit ${sha}, not the one asked for`, 'E_DOWNLOAD');
  return sha;
}

function parseEntry(e: unknown, label: string): HubFile | null {
  const o = e as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } | null };
  if (o?.type !== 'file') return null;
  if (typeof o.path !== 'string' || typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 0)
    throw new UserError(`${label}: the hub's file listing has an entry without a path or size`, 'E_DOWNLOAD');
  const f: HubFile = { path: o.path, size: o.size };
  if (typeof o.oid === 'string' && SHA.test(o.oid)) f.gitSha1 = o.oid;
  if (o.lfs && typeof o.lfs.oid === 'string' && /^[0-9a-f]{64}$/.test(o.lfs.oid)) {
    f.sha256 = o.lfs.oid;
    // For an LFS file the blob id is that of the pointer, not of the content.
    delete f.gitSha1;
    if (typeof o.lfs.size === 'number' && o.lfs.size !== o.size)
      throw new UserError(`${label}: the hub lists ${o.path} with two sizes (${o.size} and ${o.lfs.size})`, 'E_DOWNLOAD');
  }
  return f;
}

/**
 * Every file of a repository at a commit, with exact sizes and hashes, from the hub's tree API
 * (`GET /api/models/{repo}/tree/{revision}?recursive=true`, following its pages).
 */
export async function listRepoFiles(hub: HubAccess, repo: string, revision: string): Promise<Map<string, HubFile>> {
  const label = `hf:${repo}@${revision}`;
  const files = new Map<string, HubFile>();
  let url: string | null = `${hub.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  for (let page = 0; url; page++) {
    if (page > 1000) throw new UserError(`${label}: the hub's file listing does not end`, 'E_DOWNLOAD');
    const { body, next }: { body: unknown; next: string | null } = await getJson(url, label, hub.signal);
    if (!Array.isArray(body)) throw new UserError(`${label}: the hub's file listing is not a list`, 'E_DOWNLOAD');
    for (const e of body) {
      const f = parseEntry(e, label);
      if (f) files.set(f.path, f);
    }
    url = next;
  }
  return files;
}

/** The git blob id of a file: sha1 over "blob <size>\0" and the content. */
export async function gitBlobSha1(path: string): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks a file on disk against its listing entry (size, then sha256 or the git blob id): null when it
 * matches, else why not ('missing' when there is no file). Each file is hashed once, with the hash the
 * listing gives for it.
 */
export async function checkAgainstListing(path: string, f: HubFile): Promise<string | null> {
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size < 0) return 'missing';
  if (size !== f.size) return `${size} bytes, the hub lists ${f.size}`;
  if (f.sha256) {
    const sha256 = await sha256File(path);
    if (sha256 !== f.sha256) return `sha256 ${sha256.slice(0, 12)}…, the hub lists ${f.sha256.slice(0, 12)}…`;
  } else if (f.gitSha1) {
    const blob = await gitBlobSha1(path);
    if (blob !== f.gitSha1) return `git blob ${blob.slice(0, 12)}…, the hub lists ${f.gitSha1.slice(0, 12)}…`;
  }
  return null;
}
