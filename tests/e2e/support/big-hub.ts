/**
 * A localhost model hub serving one big pack over a throttled line, for tests of long installs. The pack
 * is a real, loadable pack (the files of `base`, e.g. the tiny joint pack) whose manifest lists one more
 * file of `extraBytes` bytes, generated deterministically on the fly: nothing big is ever written by the
 * hub or committed, yet the installer downloads, sha256-checks and installs every byte, exactly as it
 * would a 700 MB pack from Hugging Face. The big file is sent at `bytesPerSecond`, honouring Range
 * requests (resumes), so an install takes as long as the test wants.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';

/** Options for {@link startBigHub}. */
export interface BigHubOptions {
  /** The repository the pack is served as (`hf:<repo>`). */
  repo: string;
  /** A pack folder whose files and manifest the big pack starts from. */
  base: string;
  /** The pack's id in the manifest (its key is `<id>@<base version>`). */
  id: string;
  /** The extra file's path inside the pack and its size. */
  extraFile: string;
  extraBytes: number;
  /** How fast the extra file is sent. */
  bytesPerSecond: number;
}

/** One request the hub answered. */
export interface HubRequest {
  path: string;
  range: string | null;
  status: number;
}

/** A running hub. */
export interface BigHub {
  url: string;
  /** What to install: `hf:<repo>`. */
  source: string;
  /** The installed pack's key. */
  key: string;
  /** Bytes an install downloads (every file the manifest lists). */
  totalBytes: number;
  requests: HubRequest[];
  close(): Promise<void>;
}

/** The generator's block: 1 MiB, so any offset maps to a block and a position in it. */
const BLOCK = 1 << 20;
/** How much is written per throttle step. */
const STEP = 256 * 1024;

/** A pseudo-random 1 MiB block (xorshift32 from a fixed seed): incompressible, the same on every run. */
function baseBlock(): Buffer {
  const block = Buffer.alloc(BLOCK);
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  return block;
}

/** The extra file's bytes, as a function of the offset: block `i` is the base block with `i` in its first 8 bytes. */
function extraContent(size: number): { bytes(start: number, length: number): Buffer; sha256(): string } {
  const base = baseBlock();
  const last = { index: -1, block: Buffer.alloc(0) };
  const blockAt = (i: number): Buffer => {
    if (last.index !== i) {
      last.block = Buffer.from(base);
      last.block.writeBigUInt64LE(BigInt(i), 0);
      last.index = i;
    }
    return last.block;
  };
  const bytes = (start: number, length: number): Buffer => {
    const parts: Buffer[] = [];
    for (let at = start, left = Math.min(length, size - start); left > 0;) {
      const i = Math.floor(at / BLOCK);
      const from = at - i * BLOCK;
      const n = Math.min(BLOCK - from, left);
      parts.push(blockAt(i).subarray(from, from + n));
      at += n;
      left -= n;
    }
    return Buffer.concat(parts);
  };
  const sha256 = (): string => {
    const hash = createHash('sha256');
    for (let at = 0; at < size; at += BLOCK) hash.update(bytes(at, BLOCK));
    return hash.digest('hex');
  };
  return { bytes, sha256 };
}

/** The base manifest plus the extra file, under the new id. */
function bigManifest(
  o: BigHubOptions,
  extraSha256: string,
): { manifest: Record<string, unknown>; files: Record<string, { size: number }> } {
  const manifest = JSON.parse(readFileSync(join(o.base, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const files = { ...(manifest.files as Record<string, { sha256: string; size: number }>) };
  files[o.extraFile] = { sha256: extraSha256, size: o.extraBytes };
  return {
    manifest: { ...manifest, id: o.id, name: `Big test pack (${Math.round(o.extraBytes / 1e6)} MB)`, files },
    files,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `res` can take more, or resolves false when the connection closed. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** Sends `bytes(start..end)` at `rate` bytes per second, in small steps, honouring backpressure. */
async function sendThrottled(
  res: ServerResponse,
  bytes: (start: number, length: number) => Buffer,
  start: number,
  end: number,
  rate: number,
): Promise<void> {
  const t0 = performance.now();
  for (let at = start; at < end && !res.destroyed;) {
    const n = Math.min(STEP, end - at);
    const more = res.write(bytes(at, n));
    at += n;
    if (!more && !(await drained(res))) return;
    const ahead = ((at - start) / rate) * 1000 - (performance.now() - t0);
    if (ahead > 0) await sleep(ahead);
  }
  res.end();
}

/** The start offset of a `bytes=N-` Range header (0 without one); null for a range the hub does not serve. */
function rangeStart(range: string | null): number | null {
  if (range === null) return 0;
  const m = /^bytes=(\d+)-$/.exec(range);
  return m ? Number(m[1]) : null;
}

/**
 * Starts the hub on 127.0.0.1 (a free port). Computing the big file's sha256 takes a moment (about half a
 * second for 700 MB); the installer fetches `manifest.json` and then each listed file from
 * `/<repo>/resolve/<revision>/<path>`.
 */
export async function startBigHub(o: BigHubOptions): Promise<BigHub> {
  const extra = extraContent(o.extraBytes);
  const { manifest, files } = bigManifest(o, extra.sha256());
  const manifestText = JSON.stringify(manifest, null, 2);
  const requests: HubRequest[] = [];
  const root = normalize(o.base);

  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const range = req.headers.range ?? null;
    const log = (status: number): void => void requests.push({ path: url, range, status });
    const m = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url);
    const name = m && m[1] === o.repo ? (m[2] as string) : null;
    if (name === 'manifest.json') {
      log(200);
      res
        .writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(manifestText)) })
        .end(manifestText);
      return;
    }
    const listed = name === null ? undefined : files[name];
    const start = rangeStart(range);
    if (!listed || start === null) {
      log(404);
      res.writeHead(404).end('Entry not found');
      return;
    }
    if (start >= listed.size && range !== null) {
      log(416);
      res.writeHead(416, { 'Content-Range': `bytes */${listed.size}` }).end();
      return;
    }
    const status = range ? 206 : 200;
    log(status);
    res.writeHead(status, {
      'Content-Length': String(listed.size - start),
      'Accept-Ranges': 'bytes',
      ...(range ? { 'Content-Range': `bytes ${start}-${listed.size - 1}/${listed.size}` } : {}),
    });
    if (name === o.extraFile) {
      void sendThrottled(res, extra.bytes, start, listed.size, o.bytesPerSecond);
      return;
    }
    const file = normalize(join(root, name as string));
    if (!file.startsWith(root + sep)) return void res.destroy();
    res.end(readFileSync(file).subarray(start));
  };

  const server: Server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    source: `hf:${o.repo}`,
    key: `${o.id}@${String(manifest.version)}`,
    totalBytes: Object.values(files).reduce((s, f) => s + f.size, 0),
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
