import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

/** Options for the test hub: which repos it serves and which faults it injects. */
export interface HubOptions {
  /** repo ("org/name") -> local folder with the repo's files. */
  repos: Record<string, string>;
  /** Cut the connection after this many bytes of a file's first full (non-Range) response. */
  cutAfterBytes?: Record<string, number>;
}

/** A running localhost server with the Hugging Face file layout: /{repo}/resolve/{revision}/{file}. */
export interface Hub {
  url: string;
  requests: { path: string; range: string | null; status: number }[];
  close(): Promise<void>;
}

/** Starts the hub on 127.0.0.1 with a random port; supports Range (206), 404 and cut connections. */
export async function startHub(options: HubOptions): Promise<Hub> {
  const requests: Hub['requests'] = [];
  const cut = new Map(Object.entries(options.cutAfterBytes ?? {}));
  const server: Server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
    const range = req.headers.range ?? null;
    const log = (status: number) => requests.push({ path: url, range, status });
    const root = m ? options.repos[m[1] as string] : undefined;
    if (!m || !root) {
      log(404);
      res.writeHead(404).end('Repository not found');
      return;
    }
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
      ...(rm ? { 'Content-Range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
