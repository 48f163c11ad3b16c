import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipBuffer } from './zip-writer.js';

/** A running localhost file server: exact paths -> bytes; anything else is a 404. */
export interface Mirror {
  /** http://127.0.0.1:PORT/ (with the trailing slash, as ELECTRON_MIRROR wants it). */
  url: string;
  requests: { path: string; status: number }[];
  close(): Promise<void>;
}

/** Serves `files` (URL path without the leading slash -> bytes) on 127.0.0.1 at a random port. */
export async function startMirror(files: Record<string, Buffer | string>): Promise<Mirror> {
  const requests: Mirror['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const body = files[path];
    requests.push({ path, status: body === undefined ? 404 : 200 });
    if (body === undefined) res.writeHead(404).end('Not Found');
    else res.writeHead(200, { 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, close: () => closeServer(server) };
}

/** A forward proxy that only tunnels (CONNECT), as undici's ProxyAgent and prebuild-install use it. */
export async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end('CONNECT only'));
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () => {
      for (const s of sockets) s.destroy();
      return closeServer(server);
    },
  };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHASUMS256.txt as Electron publishes it ("<sha256> *<name>" per line) or Node ("<sha256>  <name>"). */
export function shasums(files: Record<string, Buffer>, style: 'electron' | 'node' = 'electron'): string {
  return Object.entries(files)
    .map(([name, data]) => `${sha256(data)}${style === 'electron' ? ' *' : '  '}${name}\n`)
    .join('');
}

/** A stand-in for electron-v<version>-linux-<arch>.zip: an `electron` script that prints the version. */
export function fakeElectronZip(version: string): Buffer {
  return zipBuffer({
    electron: { data: Buffer.from(`#!/bin/sh\necho v${version}\n`), mode: 0o755 },
    version: { data: Buffer.from(version), mode: 0o644 },
    LICENSE: { data: Buffer.from('test stand-in, not Electron\n'), mode: 0o644 },
  });
}

/** A gzipped ustar archive of `files` (path -> bytes), as prebuild-install and node-gyp unpack them. */
export function tarGz(files: Record<string, Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of Object.entries(files)) {
    if (name.length > 100) throw new Error(`tar name too long: ${name}`);
    const h = Buffer.alloc(512);
    h.write(name, 0, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(
      Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0') + '\0',
      136,
    );
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** `addon` with its node_register_module_v<from> symbol renamed to v<to> (same length): "built for ABI <to>". */
export function withAbi(addon: Buffer, from: number, to: number): Buffer {
  const a = Buffer.from(`node_register_module_v${from}`);
  const b = Buffer.from(`node_register_module_v${to}`);
  if (a.length !== b.length) throw new Error(`cannot relabel ABI ${from} as ${to}`);
  const out = Buffer.from(addon);
  let hits = 0;
  for (let i = out.indexOf(a); i !== -1; i = out.indexOf(a, i + 1), hits++) b.copy(out, i);
  if (!hits) throw new Error(`no node_register_module_v${from} in the addon`);
  return out;
}

/**
 * A throwaway copy of the project for the setup script: the script, a package.json, and node_modules
 * linked to the real one entry by entry, except `electron`, which is copied (without any binary) so
 * that installing Electron into the copy never touches the real node_modules/electron.
 * With `app`, also the app's sources, config and package.json, and a copy of electron-vite (which finds
 * `electron` from where it really lies), so that `npm start` works in the copy.
 */
export function projectCopy(dir: string, projectRoot: string, { app = false } = {}): { root: string; script: string; electronDir: string } {
  const realModules = join(projectRoot, 'node_modules');
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  const script = join(dir, 'scripts', 'native-electron.mjs');
  cpSync(join(projectRoot, 'scripts', 'native-electron.mjs'), script);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'moodshelf-setup-copy', private: true, type: 'module' }));
  const copied = new Set(['electron', '.bin', ...(app ? ['electron-vite'] : [])]);
  for (const entry of readdirSync(realModules)) {
    if (copied.has(entry)) continue;
    symlinkSync(join(realModules, entry), join(dir, 'node_modules', entry), 'junction');
  }
  if (app) {
    // data/paper: the paper's label vectors, which the build ships beside the core (electron.vite.config.ts).
    for (const f of ['package.json', 'electron.vite.config.ts', 'tsconfig.json', 'src', 'data/paper'])
      cpSync(join(projectRoot, f), join(dir, f), { recursive: true });
    cpSync(join(realModules, 'electron-vite'), join(dir, 'node_modules', 'electron-vite'), { recursive: true });
    symlinkSync('../electron-vite/bin/electron-vite.js', join(dir, 'node_modules', '.bin', 'electron-vite'));
  }
  const electronDir = join(dir, 'node_modules', 'electron');
  const skip = new Set(['dist', 'path.txt']);
  cpSync(join(realModules, 'electron'), electronDir, {
    recursive: true,
    filter: (p) =>
      !skip.has(
        resolve(p)
          .slice(resolve(realModules, 'electron').length + 1)
          .split(/[\\/]/)[0] ?? '',
      ),
  });
  return { root: dir, script, electronDir };
}
