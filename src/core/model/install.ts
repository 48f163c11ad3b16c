import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UserError } from '../kernel/errors.js';
import { userPath } from '../kernel/user-path.js';
import { downloadFile, type ByteProgress } from './download.js';
import { readManifest, verifyPackFiles } from './files.js';
import { packKey, parseManifest, type PackManifest } from './manifest.js';
import { extractZip } from './zip.js';
import { adaptClapRepo } from './hub-adapters.js';
import { parsePrecision, type Precision } from './precision.js';

/** Where an install is in its work, for progress bars. */
export interface InstallProgress {
  source: string;
  phase: 'downloading' | 'extracting' | 'verifying' | 'checking' | 'installing';
  file: string | null;
  receivedBytes: number;
  totalBytes: number | null;
}

/** Options for {@link installPack}. */
export interface InstallOptions {
  packsDir: string;
  /** Hub host for `hf:` sources (default $MOODSHELF_HF_ENDPOINT, $HF_ENDPOINT, then huggingface.co). */
  hubEndpoint?: string;
  onProgress?: (p: InstallProgress) => void;
  /** Cancels the install: downloads stop (their `.part` files stay for a resume) and nothing is installed. */
  signal?: AbortSignal;
  /** Loads the staged pack and checks tensor shapes before it is installed. */
  check?: (dir: string, manifest: PackManifest) => Promise<void>;
  /**
   * For `hf:` CLAP repositories: which towers to fetch (`fp32`, `fp16`, `q8`/`quantized`, ...); the same as
   * a `:precision` suffix on the source. Default fp32.
   */
  precision?: string;
  /** For `hf:` CLAP repositories: the sentence model used for label alignment (default all-MiniLM-L6-v2, pinned). */
  alignment?: { repo: string; revision: string };
}

/** The result of an install. */
export interface InstalledPackFiles {
  manifest: PackManifest;
  path: string;
  sizeBytes: number;
  /** The source to record: as given, or for a hub CLAP `hf:org/repo@<commit>:<precision>`. */
  source: string;
}

const HF_SOURCE = /^hf:([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?(?::([A-Za-z0-9]+))?$/;

/** A parsed `hf:` source. */
export interface HubSource {
  repo: string;
  revision: string;
  /** The precision suffix (`:fp16`, `:q8`, `:quantized`, ...), when there is one. */
  precision?: Precision;
}

/** Parses `hf:org/repo[@revision][:precision]`; null when the text is not of that form. */
export function parseHubSource(source: string): HubSource | null {
  const m = HF_SOURCE.exec(source);
  if (!m) return null;
  const hub: HubSource = { repo: m[1] as string, revision: m[2] ?? 'main' };
  if (m[3] !== undefined) hub.precision = parsePrecision(m[3], source);
  return hub;
}

/** The hub endpoint to use: option, environment, or the public hub. */
export function hubEndpoint(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return (explicit ?? env.MOODSHELF_HF_ENDPOINT ?? env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
  }
  return total;
}

/** A zip may hold the pack at its root or inside one top-level folder. */
async function packRoot(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  if (entries.some((e) => e.name === 'manifest.json')) return dir;
  const dirs = entries.filter((e) => e.isDirectory());
  if (dirs.length === 1 && dirs[0]) return join(dir, dirs[0].name);
  return dir;
}

async function stageFromHub(
  source: string,
  hub: HubSource,
  staging: string,
  downloads: string,
  o: InstallOptions,
): Promise<{ cache: string; source: string }> {
  const endpoint = hubEndpoint(o.hubEndpoint);
  const base = `${endpoint}/${hub.repo}/resolve/${encodeURIComponent(hub.revision)}`;
  const option = o.precision === undefined ? undefined : parsePrecision(o.precision);
  if (option && hub.precision && option !== hub.precision)
    throw new UserError(`${source}: the source asks for ${hub.precision} but the install for ${option}`, 'E_PACK_SOURCE');
  const precision = hub.precision ?? option;
  // Files download into a folder per repo, revision and precision that survives a failed attempt, so a
  // second `install` resumes with Range requests instead of starting over.
  const cache = join(
    downloads,
    `${hub.repo.replace('/', '--')}@${hub.revision.replace(/[^\w.-]/g, '_')}${precision ? `-${precision}` : ''}`,
  );
  let recorded = source;
  try {
    await downloadFile(`${base}/manifest.json`, join(cache, 'manifest.json.new'), { label: `${source}: manifest.json`, signal: o.signal });
    await rename(join(cache, 'manifest.json.new'), join(cache, 'manifest.json'));
    if (precision)
      throw new UserError(
        `${source}: is a Moodshelf pack with its own files; a precision applies only to transformers.js CLAP repositories`,
        'E_PACK_SOURCE',
      );
  } catch (err) {
    if (!(err instanceof UserError && err.code === 'E_DOWNLOAD_404')) throw err;
    // No Moodshelf manifest: a public transformers.js CLAP repository is adapted, only the chosen
    // precision's towers fetched, every file checked against the hub's listing; anything else is refused.
    const adapted = await adaptClapRepo(
      source,
      {
        endpoint,
        repo: hub.repo,
        revision: hub.revision,
        precision: precision ?? 'fp32',
        alignment: o.alignment,
        signal: o.signal,
        onProgress: (file, received, total) =>
          o.onProgress?.({ source, phase: 'downloading', file: file || null, receivedBytes: received, totalBytes: total }),
      },
      cache,
    );
    recorded = adapted.source;
  }
  const manifest = await readManifest(cache);
  const files = Object.entries(manifest.files);
  const totalBytes = files.reduce((s, [, f]) => s + f.size, 0);
  let done = 0;
  for (const [name, f] of files) {
    const dest = join(cache, name);
    const have = await stat(dest).then(
      (s) => s.size === f.size,
      () => false,
    );
    if (!have) {
      const progress: ByteProgress = (received) =>
        o.onProgress?.({ source, phase: 'downloading', file: name, receivedBytes: done + received, totalBytes });
      await downloadFile(`${base}/${name.split('/').map(encodeURIComponent).join('/')}`, dest, {
        label: `${source}: ${name}`,
        expectedSha256: f.sha256,
        expectedSize: f.size,
        onProgress: progress,
        signal: o.signal,
      });
    }
    done += f.size;
    o.onProgress?.({ source, phase: 'downloading', file: name, receivedBytes: done, totalBytes });
  }
  await cp(cache, staging, { recursive: true });
  return { cache, source: recorded };
}

async function stageFromUrl(source: string, staging: string, downloads: string, o: InstallOptions): Promise<void> {
  const zipPath = join(
    downloads,
    `${basename(new URL(source).pathname) || 'pack'}-${Buffer.from(source).toString('base64url').slice(0, 24)}.zip`,
  );
  await downloadFile(source, zipPath, {
    label: source,
    signal: o.signal,
    onProgress: (received, total) =>
      o.onProgress?.({ source, phase: 'downloading', file: basename(zipPath), receivedBytes: received, totalBytes: total }),
  });
  o.onProgress?.({ source, phase: 'extracting', file: null, receivedBytes: 0, totalBytes: null });
  await extractZip(zipPath, staging);
  await rm(zipPath, { force: true });
}

async function stageFromPath(typed: string, staging: string, o: InstallOptions): Promise<void> {
  const source = userPath(typed);
  const st = await stat(source).catch(() => null);
  if (!st) throw new UserError(`${source}: no such folder or file`, 'E_PACK_SOURCE');
  if (st.isDirectory()) {
    await cp(source, staging, { recursive: true });
  } else if (source.toLowerCase().endsWith('.zip')) {
    o.onProgress?.({ source, phase: 'extracting', file: null, receivedBytes: 0, totalBytes: null });
    await extractZip(source, staging);
  } else {
    throw new UserError(`${source}: not a model pack (expected a folder, a .zip, hf:org/repo or an https URL)`, 'E_PACK_SOURCE');
  }
}

/**
 * Installs a pack from a folder, a zip, `hf:org/repo[@revision][:precision]` or an http(s) URL of a zip.
 * Everything happens in a staging folder: the manifest is validated, every file's size and sha256
 * checked, the models loaded and their shapes checked; only then is the folder renamed into place, so a
 * failed or interrupted install never leaves a half pack and never touches an installed one.
 */
export async function installPack(source: string, o: InstallOptions): Promise<InstalledPackFiles> {
  const staging = join(o.packsDir, '.staging', randomBytes(6).toString('hex'));
  const downloads = join(o.packsDir, '.downloads');
  await mkdir(staging, { recursive: true });
  let hubCache: string | null = null;
  let recorded = source;
  try {
    const hub = parseHubSource(source);
    if (!hub && o.precision !== undefined)
      throw new UserError(`${source}: a precision applies only to hf: sources (transformers.js CLAP repositories)`, 'E_PACK_SOURCE');
    if (hub) ({ cache: hubCache, source: recorded } = await stageFromHub(source, hub, staging, downloads, o));
    else if (/^https?:\/\//i.test(source)) await stageFromUrl(source, staging, downloads, o);
    else if (source.startsWith('hf:'))
      throw new UserError(`${source}: expected hf:org/repo, hf:org/repo@revision or hf:org/repo@revision:precision`, 'E_PACK_SOURCE');
    else await stageFromPath(source, staging, o);
    o.signal?.throwIfAborted();
    const root = await packRoot(staging);
    const manifest = await readManifest(root);
    o.onProgress?.({ source, phase: 'verifying', file: null, receivedBytes: 0, totalBytes: null });
    await verifyPackFiles(root, manifest, (name) =>
      o.onProgress?.({ source, phase: 'verifying', file: name, receivedBytes: 0, totalBytes: null }),
    );
    o.onProgress?.({ source, phase: 'checking', file: null, receivedBytes: 0, totalBytes: null });
    await o.check?.(root, manifest);
    // The last point where a cancel leaves nothing installed; from here the pack is moved into place.
    o.signal?.throwIfAborted();
    o.onProgress?.({ source, phase: 'installing', file: null, receivedBytes: 0, totalBytes: null });
    const target = join(o.packsDir, packKey(manifest));
    const old = `${target}.old-${randomBytes(4).toString('hex')}`;
    const replacing = await stat(target).then(
      () => true,
      () => false,
    );
    if (replacing) await rename(target, old);
    await rename(root, target);
    if (replacing) await rm(old, { recursive: true, force: true });
    if (hubCache) await rm(hubCache, { recursive: true, force: true });
    return { manifest, path: target, sizeBytes: await dirSize(target), source: recorded };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export { parseManifest };
