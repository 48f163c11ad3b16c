import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, relative, sep } from 'node:path';

/** A repository with several commits: commit id -> folder, and branch or tag names -> commit id. */
export interface HubRepo {
  commits: Record<string, string>;
  refs?: Record<string, string>;
}

/** Options for the test hub: which repos it serves and which faults it injects. */
export interface HubOptions {
  /**
   * repo ("org/name") -> a folder with the repo's files, served at every revision (its commit id is
   * derived from the repo name, or is the revision itself when that is a commit id), or a {@link HubRepo}
   * that serves only its commits and refs.
   */
  repos: Record<string, string | HubRepo>;
  /** Cut the connection after this many bytes of a file's first full (non-Range) response. */
  cutAfterBytes?: Record<string, number>;
  /** "org/name/path" of files served with one byte flipped while the listing keeps the true hashes. */
  corrupt?: string[];
  /** Entries per page of the tree API (with a `Link: <…?cursor=…>; rel="next"` header); default all. */
  treePageSize?: number;
  /**
   * Serve these files (paths inside the repo) slowly, `bytes` every `everyMs`, so a test can cancel a
   * download midway; Range requests for them are throttled too.
   */
  throttle?: { files: string[]; bytes: number; everyMs: number };
}

/** A running localhost server with the Hugging Face layout: /{repo}/resolve/{revision}/{file} and the API. */
export interface Hub {
  url: string;
  requests: { path: string; range: string | null; status: number }[];
  /** The commit id a plain-folder repository answers for `main`. */
  commitOf(repo: string): string;
  close(): Promise<void>;
}

/** Files Git LFS stores on the hub (what its .gitattributes marks): the listing gives their sha256. */
const LFS = /\.(onnx|onnx_data|bin|safetensors|zip|msgpack|h5)$/;
const SHA = /^[0-9a-f]{40}$/;

/** The hub's tree entry for a file: size, git blob id, and for LFS files the content's sha256. */
function treeEntry(root: string, path: string): Record<string, unknown> {
  const bytes = readFileSync(join(root, path));
  if (!LFS.test(path)) {
    const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    return { type: 'file', oid, size: bytes.length, path };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.length}\n`;
  const oid = createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex');
  return { type: 'file', oid, size: bytes.length, lfs: { oid: sha256, size: bytes.length, pointerSize: pointer.length }, path };
}

function walk(root: string, dir = root): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = relative(root, join(dir, e.name)).split(sep).join('/');
    if (e.isDirectory()) {
      out.push({ type: 'directory', oid: createHash('sha1').update(rel).digest('hex'), size: 0, path: rel });
      out.push(...walk(root, join(dir, e.name)));
    } else if (e.isFile()) out.push(treeEntry(root, rel));
  }
  return out;
}

/** Writes `bytes` in pieces with a pause between them; stops when the client goes away. */
function sendSlowly(res: ServerResponse, bytes: Buffer, piece: number, everyMs: number): void {
  let at = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (at >= bytes.length) {
      res.end();
      return;
    }
    const chunk = bytes.subarray(at, at + piece);
    at += chunk.length;
    res.write(chunk, () => setTimeout(next, everyMs));
  };
  next();
}

/**
 * Starts the hub on 127.0.0.1 with a random port: files with Range (206), 404 and cut connections, and
 * the API calls the installer uses: `GET /api/models/{repo}/revision/{rev}` ({ sha }) and
 * `GET /api/models/{repo}/tree/{rev}?recursive=true` (entries with size, oid and lfs.oid, paged).
 */
export async function startHub(options: HubOptions): Promise<Hub> {
  const requests: Hub['requests'] = [];
  const cut = new Map(Object.entries(options.cutAfterBytes ?? {}));
  const corrupt = new Set(options.corrupt ?? []);
  const commitOf = (repo: string): string => createHash('sha1').update(`commit ${repo}`).digest('hex');

  /** The commit and folder a revision of a repo names, or null. */
  const lookup = (repo: string, revision: string): { commit: string; root: string } | null => {
    const spec = options.repos[repo];
    if (spec === undefined) return null;
    if (typeof spec === 'string') return { commit: SHA.test(revision) ? revision : commitOf(repo), root: spec };
    const commit = spec.commits[revision] !== undefined ? revision : spec.refs?.[revision];
    const root = commit === undefined ? undefined : spec.commits[commit];
    return commit === undefined || root === undefined ? null : { commit, root };
  };

  const json = (res: ServerResponse, log: (s: number) => void, status: number, body: unknown, headers: Record<string, string> = {}) => {
    log(status);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://x');
    const url = decodeURIComponent(parsed.pathname);
    const range = req.headers.range ?? null;
    const log = (status: number) => requests.push({ path: url, range, status });

    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)(?:\/(.*))?$/.exec(url);
    if (api) {
      const found = lookup(api[1] as string, api[3] as string);
      if (!found) return json(res, log, 404, { error: 'Repository or revision not found' }, { 'X-Error-Code': 'RevisionNotFound' });
      if (api[2] === 'revision') return json(res, log, 200, { id: api[1], sha: found.commit });
      const under = api[4] ?? '';
      const recursive = parsed.searchParams.get('recursive') === 'true';
      const all = walk(found.root).filter((e) => {
        const p = e.path as string;
        if (under && !p.startsWith(`${under}/`)) return false;
        const rest = under ? p.slice(under.length + 1) : p;
        return recursive || !rest.includes('/');
      });
      const size = options.treePageSize ?? all.length;
      const cursor = Number(parsed.searchParams.get('cursor') ?? 0);
      const page = all.slice(cursor, cursor + size);
      const next = cursor + size < all.length ? new URL(parsed.toString()) : null;
      next?.searchParams.set('cursor', String(cursor + size));
      return json(res, log, 200, page, next ? { Link: `<${next.pathname}${next.search}>; rel="next"` } : {});
    }

    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const found = m ? lookup(m[1] as string, m[2] as string) : null;
    if (!m || !found) {
      log(404);
      res.writeHead(404).end('Repository not found');
      return;
    }
    const root = found.root;
    const file = normalize(join(root, m[3] as string));
    let size: number;
    try {
      if (!file.startsWith(root + sep)) throw new Error('outside');
      size = statSync(file).size;
    } catch {
      log(404);
      res.writeHead(404).end('Entry not found');
      return;
    }
    const rm = range ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = rm ? Number(rm[1]) : 0;
    if (start >= size && rm) {
      log(416);
      res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const status = rm ? 206 : 200;
    log(status);
    res.writeHead(status, {
      'Content-Length': String(size - start),
      'Accept-Ranges': 'bytes',
      'X-Repo-Commit': found.commit,
      ...(rm ? { 'Content-Range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    if (corrupt.has(`${m[1]}/${m[3]}`)) {
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
      res.end(bytes.subarray(start));
      return;
    }
    const slow = options.throttle;
    if (slow?.files.includes(m[3] as string)) {
      sendSlowly(res, readFileSync(file).subarray(start), slow.bytes, slow.everyMs);
      return;
    }
    const limit = !rm ? cut.get(m[3] as string) : undefined;
    if (limit !== undefined) {
      cut.delete(m[3] as string);
      // Send the first `limit` bytes, let them reach the client, then drop the connection.
      res.write(readFileSync(file).subarray(0, limit), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    createReadStream(file, { start }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    commitOf,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
