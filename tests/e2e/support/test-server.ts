/**
 * The e2e test transport: a small HTTP server that hosts a real core and serves the built renderer to a
 * browser, standing in for the Electron shell, and running the shell's own code wherever it can:
 *   - `POST /invoke` goes through the desktop shell's client (createCoreClient from src/main/core-channel.ts,
 *     with the shell's request timeout, configurable) to serveCore over an in-memory transport pair, as the
 *     main process talks to the core's utility process;
 *   - `GET /events` streams the core events that client receives, as Server-Sent Events;
 *   - `GET /` serves index.html through the shell's renderPage (a fresh CSP nonce per load, the CSP also as
 *     a header), other paths the built renderer's files only;
 *   - `POST /shell/pick-folder|pick-save-file|pick-export-folder` stand in for the OS dialogs: they answer
 *     with what the test chose beforehand (`server.nextSave = '/tmp/x.m3u8'`, ...), and a write choice
 *     becomes a write grant through the same client call the shell makes;
 *   - `GET /media/:id` serves indexed tracks with Range support through the same media module as the
 *     app's `moodshelf-media` protocol.
 * {@link browserBridgeScript} is the page-side half: `window.moodshelf` (MoodshelfApi) over fetch and
 * EventSource, and `window.moodshelfShell` (ShellApi) over the dialog endpoints.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Core } from '../../../src/core/index.js';
import { openMediaBody, respondMedia, trackIdFromMediaUrl } from '../../../src/core/media/media.js';
import { respondArtwork, trackIdFromArtworkUrl } from '../../../src/core/media/artwork-serve.js';
import {
  createCoreClient,
  DEFAULT_TIMEOUT_MS,
  parseInvokeRequest,
  serveCore,
  type CoreClient,
  type GrantKind,
  type ServableCore,
} from '../../../src/main/core-channel.js';
import { pageHeaders, renderPage, rendererContentType, rendererFile } from '../../../src/main/renderer-page.js';
import { parseExportFolderRequest, parseSaveFileRequest } from '../../../src/main/shell-requests.js';
import { createMemoryPipe } from './memory-pipe.js';

/** Where `npx electron-vite build` puts the renderer. */
export const RENDERER_DIR = resolve(import.meta.dirname, '..', '..', '..', 'out', 'renderer');

/** Options for {@link startTestServer}. */
export interface TestServerOptions {
  /** The built renderer (default {@link RENDERER_DIR}). */
  rendererDir?: string;
  /** The shell client's per-request timeout (default the app's, DEFAULT_TIMEOUT_MS). */
  requestTimeoutMs?: number;
}

/** Which stand-in dialog the page opened. */
export type DialogName = 'folder' | 'save' | 'export-folder';

/** A running test server. */
export interface TestServer {
  url: string;
  /** How many invocations each handler received (the bench and tests check request counts). */
  calls: Map<string, number>;
  /** Every error reply the page's invocations got, in order (a test asserts, say, that none timed out). */
  failures: { name: string; code: string; message: string }[];
  /** What the stand-in folder dialog answers next (the user's choice); null: the user cancels. Used once. */
  nextFolder: string | null;
  /** The file the stand-in Save dialog picks next (granted, overwrite when it exists); null: cancel. Used once. */
  nextSave: string | null;
  /** The folder the stand-in export dialog picks next (granted); null: cancel. Used once. */
  nextExportFolder: string | null;
  /** The dialogs the page opened, with what it asked for. */
  dialogs: { dialog: DialogName; request: unknown }[];
  /** The CSP nonce of every page load served, in order. */
  nonces: string[];
  close(): Promise<void>;
}

/** The reply to a malformed request from the page. */
const MALFORMED = JSON.stringify({ ok: false, error: { message: 'Malformed request', code: 'E_INVALID' } });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body as JSON; undefined when it is empty or not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * JSON with typed arrays kept: Electron's IPC structured-clones a reply (an Int32Array arrives as one), JSON
 * would turn it into an object of indexed keys, so each goes as `{ $typed: name, data: [...] }` and the page's
 * bridge (browserBridgeScript) revives it. Float32 values survive the trip exactly (float64 holds them).
 */
function typedReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return { $typed: value.constructor.name, data: Array.from(value as unknown as ArrayLike<number>) };
  return value;
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, 'application/json', JSON.stringify(value, typedReplacer));
}

/** The core as the host serves it; its lifetime stays with the caller (closing the server leaves it open). */
function servable(core: Core): ServableCore {
  return {
    invokeUntrusted: (name, args) => core.invokeUntrusted(name, args),
    grantWrite: (path, kind, overwrite) => core.grantWrite(path, kind, overwrite),
    events: core.events,
    close: async () => {},
  };
}

/** The SSE streams of the pages, fed with the events the shell client receives. */
function eventStreams(): { add(res: ServerResponse, req: IncomingMessage): void; send(name: string, payload: unknown): void; end(): void } {
  const streams = new Set<ServerResponse>();
  return {
    add(res, req) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
    },
    send(name, payload) {
      const line = `data: ${JSON.stringify({ name, payload })}\n\n`;
      for (const s of streams) s.write(line);
    },
    end() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}

async function serveMedia(core: Core, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const r = await respondMedia(core.context.db, {
    trackId: trackIdFromMediaUrl(pathname),
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
}

/** A track's cover picture, through the same module as the app's `moodshelf-media://artwork/<id>`. */
async function serveArtwork(core: Core, res: ServerResponse, pathname: string): Promise<void> {
  const r = await respondArtwork(core.context.db, core.context.dataDir, trackIdFromArtworkUrl(pathname));
  res.writeHead(r.status, r.headers);
  res.end(r.body ?? undefined);
}

/** The built renderer: index.html through renderPage (recording its nonce), its files, anything else 404. */
async function serveRenderer(rendererDir: string, pathname: string, res: ServerResponse, nonces: string[]): Promise<void> {
  const target = rendererFile(rendererDir, pathname);
  if (target.kind === 'none') return send(res, 404, 'text/plain', 'not found');
  if (target.kind === 'page') {
    const page = renderPage(await readFile(resolve(rendererDir, 'index.html'), 'utf8'));
    nonces.push(page.nonce);
    res.writeHead(200, pageHeaders(page));
    res.end(page.html);
    return;
  }
  const body = await readFile(target.path).catch(() => null);
  if (!body) return send(res, 404, 'text/plain', 'not found');
  send(res, 200, rendererContentType(target.path), body);
}

/** The stand-in dialogs: what the test chose, granted through the shell's client call when it is a write. */
async function answerDialog(
  dialog: DialogName,
  raw: unknown,
  server: Pick<TestServer, 'nextFolder' | 'nextSave' | 'nextExportFolder' | 'dialogs'>,
  client: CoreClient,
): Promise<unknown> {
  server.dialogs.push({ dialog, request: raw });
  if (dialog === 'folder') {
    const picked = server.nextFolder;
    server.nextFolder = null;
    return { ok: true, value: picked };
  }
  const valid = dialog === 'save' ? parseSaveFileRequest(raw) : parseExportFolderRequest(raw);
  if (!valid) return { ok: false, error: { message: `The ${dialog} dialog was asked for with a malformed request`, code: 'E_INVALID' } };
  const picked = dialog === 'save' ? server.nextSave : server.nextExportFolder;
  if (dialog === 'save') server.nextSave = null;
  else server.nextExportFolder = null;
  if (picked === null) return { ok: true, value: null };
  const kind: GrantKind = dialog === 'save' ? 'file' : 'folder';
  // As the shell does: the OS Save dialog asked before replacing, so a file that exists may be overwritten.
  return client.grantWrite(picked, kind, kind === 'file' && existsSync(picked));
}

const DIALOG_PATHS: Record<string, DialogName> = {
  '/shell/pick-folder': 'folder',
  '/shell/pick-save-file': 'save',
  '/shell/pick-export-folder': 'export-folder',
};

/** Starts the server on 127.0.0.1 (a free port) over `core`. */
export async function startTestServer(core: Core, options: TestServerOptions = {}): Promise<TestServer> {
  const rendererDir = options.rendererDir ?? RENDERER_DIR;
  const events = eventStreams();
  const pipe = createMemoryPipe();
  const client = createCoreClient(pipe.main, {
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    onEvent: (name, payload) => events.send(name, payload),
  });
  const host = serveCore(pipe.host, Promise.resolve(servable(core)));
  const state: Omit<TestServer, 'url' | 'close'> = {
    calls: new Map(),
    failures: [],
    nextFolder: null,
    nextSave: null,
    nextExportFolder: null,
    dialogs: [],
    nonces: [],
  };

  const invoke = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const request = parseInvokeRequest(await readJson(req));
    if (!request) return send(res, 400, 'application/json', MALFORMED);
    state.calls.set(request.name, (state.calls.get(request.name) ?? 0) + 1);
    const reply = await client.invoke(request.name, request.args);
    if (!reply.ok) state.failures.push({ name: request.name, ...reply.error });
    sendJson(res, reply);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? '/', 'http://127.0.0.1');
    const dialog = DIALOG_PATHS[pathname];
    if (req.method === 'POST' && pathname === '/invoke') return invoke(req, res);
    if (req.method === 'POST' && dialog) return sendJson(res, await answerDialog(dialog, await readJson(req), state, client));
    if (pathname === '/events') return events.add(res, req);
    if (pathname.startsWith('/media/')) return serveMedia(core, req, res, pathname);
    if (pathname.startsWith('/artwork/')) return serveArtwork(core, res, pathname);
    return serveRenderer(rendererDir, pathname, res, state.nonces);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const { port } = http.address() as AddressInfo;
  const server: TestServer = Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      client.close('The test server closed');
      await host.close();
      events.end();
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  });
  return server;
}

/**
 * The page-side bridge, injected with `page.addInitScript`: `window.moodshelf` implements MoodshelfApi
 * over `POST /invoke` and one shared EventSource on `/events`; `window.moodshelfShell` implements ShellApi
 * over the stand-in dialogs; `window.moodshelfMediaBase` points the player at `/media/`.
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
  const TYPED = new Set(['Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array']);
  const post = async (path, body) => {
    const res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? null) });
    const reply = JSON.parse(await res.text(), (_k, v) =>
      v && typeof v === 'object' && typeof v.$typed === 'string' && TYPED.has(v.$typed) && Array.isArray(v.data) ? new globalThis[v.$typed](v.data) : v);
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value;
  };
  window.moodshelfMediaBase = '/media/';
  window.moodshelfArtworkBase = '/artwork/';
  window.moodshelf = {
    invoke: (name, ...args) => post('/invoke', { name, args }),
    on(name, listener) {
      connect();
      const set = listeners.get(name) ?? new Set();
      set.add(listener);
      listeners.set(name, set);
      return () => { set.delete(listener); };
    },
  };
  window.moodshelfShell = {
    pickFolder: () => post('/shell/pick-folder', {}),
    pickSaveFile: (request) => post('/shell/pick-save-file', request),
    pickExportFolder: (request) => post('/shell/pick-export-folder', request ?? {}),
  };
})();`;
}
