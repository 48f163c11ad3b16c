/**
 * The e2e test transport: a small HTTP server that hosts a real core and serves the built renderer to a
 * browser, standing in for the Electron shell. `POST /invoke` runs `core.invokeUntrusted`, `GET /events`
 * streams core events as Server-Sent Events, `GET /media/:id` serves indexed tracks with Range support
 * through the same media module as the app's `moodshelf-media` protocol. {@link browserBridgeScript}
 * is the page-side half: it defines `window.moodshelf` (MoodshelfApi) over fetch and EventSource.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Core } from '../../../src/core/index.js';
import { openMediaBody, respondMedia, trackIdFromMediaUrl } from '../../../src/core/media/media.js';

/** Where `npx electron-vite build` puts the renderer. */
export const RENDERER_DIR = resolve(import.meta.dirname, '..', '..', '..', 'out', 'renderer');

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** A running test server. */
export interface TestServer {
  url: string;
  /** How many invocations each handler received (the bench and tests check request counts). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Starts the server on 127.0.0.1 (a free port) over `core`, serving `rendererDir`. */
export async function startTestServer(core: Core, rendererDir: string = RENDERER_DIR): Promise<TestServer> {
  const calls = new Map<string, number>();
  const streams = new Set<ServerResponse>();
  const off = core.events.onAny((name, payload) => {
    const line = `data: ${JSON.stringify({ name, payload })}\n\n`;
    for (const s of streams) s.write(line);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/invoke') {
      let name: unknown;
      let args: unknown;
      try {
        ({ name, args } = JSON.parse(await readBody(req)) as { name: unknown; args: unknown });
      } catch {
        send(res, 400, 'application/json', JSON.stringify({ ok: false, error: { message: 'Malformed request', code: 'E_INVALID' } }));
        return;
      }
      calls.set(String(name), (calls.get(String(name)) ?? 0) + 1);
      const reply = await core.invokeUntrusted(name, args);
      send(res, 200, 'application/json', JSON.stringify(reply));
      return;
    }
    if (url.pathname === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    if (url.pathname.startsWith('/media/')) {
      const r = await respondMedia(core.context.db, {
        trackId: trackIdFromMediaUrl(url.pathname),
        method: req.method ?? 'GET',
        range: req.headers.range ?? null,
      });
      res.writeHead(r.status, r.headers);
      if (!r.body) {
        res.end();
        return;
      }
      const stream = openMediaBody(r.body);
      stream.on('error', () => res.destroy());
      res.on('close', () => stream.destroy());
      stream.pipe(res);
      return;
    }
    // The built renderer; anything outside it is a 404.
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(rendererDir, rel));
    if (!file.startsWith(rendererDir + sep)) {
      send(res, 404, 'text/plain', 'not found');
      return;
    }
    try {
      send(res, 200, STATIC_TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      send(res, 404, 'text/plain', 'not found');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: async () => {
      off();
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/**
 * The page-side bridge, injected with `page.addInitScript`: `window.moodshelf` implements MoodshelfApi
 * over `POST /invoke` and one shared EventSource on `/events`; `window.moodshelfMediaBase` points the
 * player at `/media/`.
 */
export function browserBridgeScript(): string {
  // Plain JavaScript (not a serialised TS function, which a transpiler may decorate with helpers).
  return `(() => {
  const listeners = new Map();
  let source = null;
  const connect = () => {
    if (source) return;
    source = new EventSource('/events');
    source.onmessage = (e) => {
      const { name, payload } = JSON.parse(e.data);
      for (const l of listeners.get(name) ?? []) {
        try { l(payload); } catch { /* one listener must not stop the others */ }
      }
    };
  };
  window.moodshelfMediaBase = '/media/';
  window.moodshelf = {
    async invoke(name, ...args) {
      const res = await fetch('/invoke', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, args }) });
      const reply = await res.json();
      if (!reply.ok) throw new Error(reply.error.message);
      return reply.value;
    },
    on(name, listener) {
      connect();
      const set = listeners.get(name) ?? new Set();
      set.add(listener);
      listeners.set(name, set);
      return () => { set.delete(listener); };
    },
  };
})();`;
}
