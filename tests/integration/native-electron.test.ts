import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addonAbi,
  describeDownloadError,
  electronZipUrl,
  findExecutable,
  missingToolchain,
  nodeVersionProblem,
} from '../../scripts/native-electron.mjs';
import {
  closedPort,
  fakeElectronZip,
  projectCopy,
  sha256,
  shasums,
  startConnectProxy,
  startMirror,
  tarGz,
  withAbi,
} from '../support/electron-mirror.js';
import { useTempDirs } from '../support/temp.js';

// Everything runs against a throwaway copy of the project (tests/support/electron-mirror.ts: projectCopy) and
// localhost servers laid out as Electron's mirror, better-sqlite3's release host and Electron's headers host:
// the real node_modules/electron is never written, and nothing leaves the machine.
const ROOT = resolve(import.meta.dirname, '..', '..');
const REAL_ELECTRON = join(ROOT, 'node_modules', 'electron');
const electronPkg = JSON.parse(readFileSync(join(REAL_ELECTRON, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
const VERSION = electronPkg.version;
const ABI = Number(readFileSync(join(REAL_ELECTRON, 'abi_version'), 'utf8'));
const BS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string })
  .version;
const NODE_BUILD = join(ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const ZIP = `electron-v${VERSION}-${process.platform}-${process.arch}.zip`;
const PREBUILD = `better-sqlite3-v${BS_VERSION}-electron-v${ABI}-${process.platform}-${process.arch}.tar.gz`;
const NODE_TOO_OLD = nodeVersionProblem(process.versions.node, electronPkg.engines.node, VERSION) !== null;
const temp = useTempDirs();

interface Run {
  code: number;
  stderr: string;
  ms: number;
}

/** Runs the setup script of a project copy with a clean environment plus `extra`. */
async function setup(root: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runIn(root, process.execPath, [join(root, 'scripts', 'native-electron.mjs'), ...args], extra);
}

/** Runs a command in a project copy with this environment, less proxies, npm/Electron/Moodshelf settings, plus `extra`. */
async function runIn(root: string, cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run & { stdout: string }> {
  const env: NodeJS.ProcessEnv = {};
  const inherited = /^(https?_proxy|no_proxy|all_proxy|npm_config_.*|npm_package_.*|electron_.*|moodshelf_.*|force_no_cache)$/i;
  for (const [k, v] of Object.entries(process.env)) if (!inherited.test(k) || k === 'npm_config_node_gyp') env[k] = v;
  // Tools found on PATH come from the copy (npm puts <project>/node_modules/.bin first when it runs the tests).
  const bins = (env.PATH ?? '').split(delimiter).filter((d) => !d.endsWith(join('node_modules', '.bin')));
  env.PATH = [join(root, 'node_modules', '.bin'), ...bins].join(delimiter);
  Object.assign(
    env,
    {
      electron_config_cache: join(root, 'cache', 'electron'),
      npm_config_cache: join(root, 'cache', 'npm'),
      npm_config_devdir: join(root, 'cache', 'node-gyp'),
      ELECTRON_GET_NO_PROGRESS: '1',
      // The Node 22.12+ requirement has its own test; the download logic is the same on older Node.
      ...(NODE_TOO_OLD ? { MOODSHELF_IGNORE_NODE_VERSION: '1' } : {}),
    },
    extra,
  );
  const started = Date.now();
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { env, cwd: root, timeout: 240_000 });
    return { code: 0, stdout, stderr, ms: Date.now() - started };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), ms: Date.now() - started };
  }
}

/** A project copy whose electron/checksums.json vouches for `zip` (as the real one does for the real zip). */
function copyWithChecksum(zip: Buffer | null, options: { app?: boolean } = {}): ReturnType<typeof projectCopy> {
  const copy = projectCopy(temp(), ROOT, options);
  if (zip) {
    const file = join(copy.electronDir, 'checksums.json');
    const checksums = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    writeFileSync(file, JSON.stringify({ ...checksums, [ZIP]: sha256(zip) }, null, 2));
  }
  return copy;
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function mirror(files: Record<string, Buffer | string>) {
  const m = await startMirror(files);
  servers.push(m);
  return m;
}

// Linux: the stand-in Electron zip has the Linux layout (dist/electron).
describe.runIf(process.platform === 'linux')(
  'Electron setup before `npm start` (binary + better-sqlite3 for Electronʼs ABI)',
  { timeout: 180_000 },
  () => {
    it('downloads Electron from ELECTRON_MIRROR and a prebuilt better-sqlite3 from its binary host, then finds both up to date', async () => {
      const realBefore = existsSync(join(REAL_ELECTRON, 'path.txt'));
      const zip = fakeElectronZip(VERSION);
      const nodeAbi = addonAbi(NODE_BUILD) as number;
      const addon = withAbi(readFileSync(NODE_BUILD), nodeAbi, ABI);
      const m = await mirror({
        [`v${VERSION}/${ZIP}`]: zip,
        [`v${VERSION}/SHASUMS256.txt`]: shasums({ [ZIP]: zip }),
        [`better-sqlite3/v${BS_VERSION}/${PREBUILD}`]: tarGz({ 'build/Release/better_sqlite3.node': addon }),
      });
      const copy = copyWithChecksum(zip);
      const env = { ELECTRON_MIRROR: m.url, npm_config_better_sqlite3_binary_host: `${m.url}better-sqlite3` };

      const first = await setup(copy.root, [], env);
      expect(first.stderr).toContain(`Electron ${VERSION}: installed into`);
      expect(first.stderr).toContain(`from ${m.url}v${VERSION}/${ZIP}`);
      expect(first.stderr).toContain(`prebuilt binary from ${m.url}better-sqlite3/v${BS_VERSION}/${PREBUILD}`);
      expect(first.code).toBe(0);
      // Installed as install-electron installs it: what electron-vite (path.txt) and require('electron') look for.
      expect(readFileSync(join(copy.electronDir, 'path.txt'), 'utf8')).toBe('electron');
      const exe = join(copy.electronDir, 'dist', 'electron');
      expect(statSync(exe).mode & 0o111).not.toBe(0);
      expect((await promisify(execFile)(exe, ['--version'])).stdout.trim()).toBe(`v${VERSION}`);
      const { stdout: resolved } = await promisify(execFile)(process.execPath, ['-p', `require(${JSON.stringify(copy.electronDir)})`]);
      expect(resolved.trim()).toBe(exe);
      const target = join(copy.root, '.native', `electron-${VERSION}`, 'better_sqlite3.node');
      expect(readFileSync(target).equals(addon)).toBe(true);
      expect(addonAbi(target)).toBe(ABI);
      expect(m.requests.map((r) => r.path).filter((p) => !p.endsWith('SHASUMS256.txt'))).toEqual([
        `v${VERSION}/${ZIP}`,
        `better-sqlite3/v${BS_VERSION}/${PREBUILD}`,
      ]);

      const requestsBefore = m.requests.length;
      const second = await setup(copy.root, [], env);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(`Electron ${VERSION}: up to date`);
      expect(second.stderr).toMatch(/better-sqlite3 for Electron .*: up to date/);
      expect(m.requests).toHaveLength(requestsBefore);
      // The real package was never touched.
      expect(existsSync(join(REAL_ELECTRON, 'path.txt'))).toBe(realBefore);
      process.stdout.write(`  setup from the local mirror: first run ${first.ms} ms, second run ${second.ms} ms\n`);
    });

    it('`npm start` on a fresh copy: prestart installs both, then electron-vite finds Electron and starts it', async (ctx) => {
      if (!findExecutable('npm')) return ctx.skip('needs npm on PATH');
      const zip = fakeElectronZip(VERSION);
      const addon = withAbi(readFileSync(NODE_BUILD), addonAbi(NODE_BUILD) as number, ABI);
      const m = await mirror({
        [`v${VERSION}/${ZIP}`]: zip,
        [`better-sqlite3/v${BS_VERSION}/${PREBUILD}`]: tarGz({ 'build/Release/better_sqlite3.node': addon }),
      });
      const copy = copyWithChecksum(zip, { app: true });
      const run = await runIn(copy.root, 'npm', ['start'], {
        ELECTRON_MIRROR: m.url,
        npm_config_better_sqlite3_binary_host: `${m.url}better-sqlite3`,
      });
      expect(run.stderr).toContain(`Electron ${VERSION}: installed into node_modules/electron/dist`);
      expect(run.stderr).not.toContain('Electron uninstall');
      expect(run.code).toBe(0);
      // electron-vite preview built the app and ran the (stand-in) Electron binary, which prints its version.
      expect(run.stdout).toContain('starting electron app...');
      expect(run.stdout).toContain(`v${VERSION}`);
      expect(existsSync(join(copy.root, 'out', 'main', 'index.js'))).toBe(true);
      process.stdout.write(`  npm start in a fresh copy (setup + build + launch): ${run.ms} ms\n`);
    });

    it('goes through the proxy in HTTPS_PROXY/HTTP_PROXY for both downloads (ELECTRON_GET_USE_PROXY is set for it)', async () => {
      const zip = fakeElectronZip(VERSION);
      const addon = withAbi(readFileSync(NODE_BUILD), addonAbi(NODE_BUILD) as number, ABI);
      const m = await mirror({
        [`v${VERSION}/${ZIP}`]: zip,
        [`better-sqlite3/v${BS_VERSION}/${PREBUILD}`]: tarGz({ 'build/Release/better_sqlite3.node': addon }),
      });
      const proxy = await startConnectProxy();
      servers.push(proxy);
      const copy = copyWithChecksum(zip);
      const run = await setup(copy.root, [], {
        ELECTRON_MIRROR: m.url,
        npm_config_better_sqlite3_binary_host: `${m.url}better-sqlite3`,
        HTTPS_PROXY: proxy.url,
        HTTP_PROXY: proxy.url,
      });
      expect(run.stderr).toContain(`via proxy ${proxy.url}`);
      expect(run.code).toBe(0);
      const host = new URL(m.url).host;
      expect(proxy.tunnels.filter((t) => t === host).length).toBeGreaterThanOrEqual(2);
    });

    it('mirror unreachable: names the Electron download, its URL and the cause, and suggests ELECTRON_MIRROR and a proxy', async () => {
      const port = await closedPort();
      const dead = `http://127.0.0.1:${port}/`;
      const copy = copyWithChecksum(null);
      const env = {
        ELECTRON_MIRROR: dead,
        npm_config_better_sqlite3_binary_host: `${dead}better-sqlite3`,
        MOODSHELF_ELECTRON_HEADERS_URL: `${dead}headers`,
      };
      const prestart = await setup(copy.root, [], env);
      expect(prestart.code).toBe(1);
      expect(prestart.stderr).toContain(`ERROR: could not download Electron ${VERSION}`);
      expect(prestart.stderr).toContain(`url:  ${dead}v${VERSION}/${ZIP}`);
      expect(prestart.stderr).toMatch(/why: +connection refused by 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      expect(prestart.stderr).toContain(`ELECTRON_MIRROR is set to ${dead}`);
      expect(prestart.stderr).toMatch(/HTTPS_PROXY=http:\/\/HOST:PORT/);
      expect(prestart.stderr).toMatch(/ERROR: could not get better-sqlite3 for Electron/);
      expect(prestart.stderr).toContain(`${dead}better-sqlite3/v${BS_VERSION}/${PREBUILD}`);
      expect(prestart.stderr).not.toMatch(/^gyp ERR!/m);
      expect(existsSync(join(copy.electronDir, 'path.txt'))).toBe(false);

      // postinstall (better-sqlite3 only): the same as a warning, and install goes on.
      const postinstall = await setup(copy.root, ['--optional', '--no-binary'], env);
      expect(postinstall.code).toBe(0);
      expect(postinstall.stderr).toMatch(/WARNING: could not get better-sqlite3 for Electron/);
      expect(postinstall.stderr).not.toContain('downloading Electron');
      expect(postinstall.stderr).toContain('install goes on');
    });

    it('a mirror serving a different zip: says the checksum does not match and how to check against the mirror instead', async () => {
      const m = await mirror({ [`v${VERSION}/${ZIP}`]: fakeElectronZip(VERSION) });
      const copy = copyWithChecksum(null); // checksums.json still holds the real Electron's checksum
      const run = await setup(copy.root, ['--no-native'], { ELECTRON_MIRROR: m.url });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/why: +Generated checksum for "electron-v.*" did not match expected checksum/);
      expect(run.stderr).toContain('electron_use_remote_checksums=1');
      expect(existsSync(join(copy.electronDir, 'path.txt'))).toBe(false);
    });

    it('no prebuilt binary and no C++ toolchain on PATH: says so, and to install a C++ toolchain', async () => {
      const m = await mirror({});
      const copy = copyWithChecksum(null);
      const run = await setupWithoutToolchain(copy.root, `${m.url}better-sqlite3`);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/ERROR: could not get better-sqlite3 for Electron \S+ \(ABI \d+\)/);
      expect(run.stderr).toContain(
        `prebuilt: no prebuilt binary for this Electron/platform: the server answered HTTP 404 (${m.url}better-sqlite3/`,
      );
      expect(run.stderr).toMatch(/build from source: no C\+\+ toolchain: missing a C\+\+ compiler .*make/);
      expect(run.stderr).toContain('install a C++ toolchain');
      expect(run.stderr).toContain('build-essential');
      expect(existsSync(join(copy.root, '.native', `electron-${VERSION}`, 'better_sqlite3.node'))).toBe(false);
    });

    it('a broken compiler (CC=false CXX=false): the node-gyp build failure is explained, not dumped', async (ctx) => {
      const nodeInclude = resolve(dirname(process.execPath), '..', 'include', 'node');
      const env = { CC: 'false', CXX: 'false' };
      if (!existsSync(join(nodeInclude, 'common.gypi')) || missingToolchain({ ...process.env, ...env }).length)
        return ctx.skip('needs make, python3 and Node headers next to this node');
      // Enough of a headers tarball for node-gyp to configure (the compile fails at once anyway).
      const headers = tarGz(
        Object.fromEntries(
          ['common.gypi', 'config.gypi', 'node_version.h'].map((f) => [
            `node-v${VERSION}/include/node/${f}`,
            readFileSync(join(nodeInclude, f)),
          ]),
        ),
      );
      const tarball = `node-v${VERSION}-headers.tar.gz`;
      const m = await mirror({
        [`headers/v${VERSION}/${tarball}`]: headers,
        [`headers/v${VERSION}/SHASUMS256.txt`]: shasums({ [tarball]: headers }, 'node'),
      });
      const copy = copyWithChecksum(null);
      const run = await setup(copy.root, ['--no-binary'], {
        ...env,
        npm_config_better_sqlite3_binary_host: `${m.url}better-sqlite3`,
        MOODSHELF_ELECTRON_HEADERS_URL: `${m.url}headers`,
      });
      expect(m.requests.map((r) => r.path)).toContain(`headers/v${VERSION}/${tarball}`);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('build from source: the C/C++ build failed (compiler or make missing or broken)');
      expect(run.stderr).toContain('CC/CXX are set (CC=false CXX=false)');
      expect(run.stderr).toContain('install a C++ toolchain');
      expect(run.stderr).toMatch(/log: +.*node-gyp\.log \(the full output\)/);
      expect(run.stderr).not.toMatch(/^gyp ERR!/m);
    });

    it('rejects a prebuilt binary built for another ABI (here: Nodeʼs) instead of installing it', async () => {
      const m = await mirror({
        [`better-sqlite3/v${BS_VERSION}/${PREBUILD}`]: tarGz({ 'build/Release/better_sqlite3.node': readFileSync(NODE_BUILD) }),
      });
      const copy = copyWithChecksum(null);
      const run = await setupWithoutToolchain(copy.root, `${m.url}better-sqlite3`);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`produced an addon for ABI ${addonAbi(NODE_BUILD)}.*not Electron ${VERSION}'s ABI ${ABI}`));
      expect(existsSync(join(copy.root, '.native', `electron-${VERSION}`, 'better_sqlite3.node'))).toBe(false);
    });

    it.runIf(NODE_TOO_OLD)('on Node older than Electronʼs engines: prestart stops with "Electron 45 needs Node 22.12+"', async () => {
      const copy = copyWithChecksum(null);
      const run = await setup(copy.root, [], { MOODSHELF_IGNORE_NODE_VERSION: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`ERROR: ${nodeVersionProblem(process.versions.node, electronPkg.engines.node, VERSION)}`);
      expect(run.stderr).toContain('nvm install 22');
    });

    it('can be switched off for environments that never run the app', async () => {
      const copy = copyWithChecksum(null);
      const run = await setup(copy.root, [], { MOODSHELF_SKIP_ELECTRON_NATIVE: '1' });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/skipped \(MOODSHELF_SKIP_ELECTRON_NATIVE=1\)/);
    });
  },
);

/** Runs the native step only, with the prebuilt host given and no compiler, make or Python on PATH. */
function setupWithoutToolchain(root: string, binaryHost: string): ReturnType<typeof setup> {
  const emptyBin = join(root, 'empty-bin');
  mkdirSync(emptyBin);
  return setup(root, ['--no-binary'], { npm_config_better_sqlite3_binary_host: binaryHost, PATH: emptyBin, CC: '', CXX: '', PYTHON: '' });
}

describe('Electron setup helpers', () => {
  it('states the Node requirement as Electron 45 declares it', () => {
    expect(nodeVersionProblem('20.20.2', '>= 22.12.0', '45.4.1')).toBe('Electron 45 needs Node 22.12+; this is Node v20.20.2');
    expect(nodeVersionProblem('22.11.9', '>= 22.12.0', '45.4.1')).toMatch(/needs Node 22\.12\+/);
    expect(nodeVersionProblem('22.12.0', '>= 22.12.0', '45.4.1')).toBeNull();
    expect(nodeVersionProblem('24.1.0', '>= 22.12.0', '45.4.1')).toBeNull();
  });

  it('builds the download URL from the mirror variables the way @electron/get does', () => {
    expect(electronZipUrl('45.4.1', 'linux', 'x64', {})).toBe(
      'https://github.com/electron/electron/releases/download/v45.4.1/electron-v45.4.1-linux-x64.zip',
    );
    expect(electronZipUrl('45.4.1', 'linux', 'x64', { ELECTRON_MIRROR: 'https://m/electron/', ELECTRON_CUSTOM_DIR: '{{ version }}' })).toBe(
      'https://m/electron/45.4.1/electron-v45.4.1-linux-x64.zip',
    );
    expect(electronZipUrl('45.4.1', 'darwin', 'arm64', { npm_config_electron_mirror: 'https://n/' })).toBe(
      'https://n/v45.4.1/electron-v45.4.1-darwin-arm64.zip',
    );
  });

  it('explains network failures by their cause', () => {
    const dns = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND github.com'), { code: 'ENOTFOUND', hostname: 'github.com' }),
    });
    expect(describeDownloadError(dns)).toMatchObject({ kind: 'dns', text: expect.stringContaining('cannot resolve github.com') });
    const http = Object.assign(new Error('Response code 404 (Not Found) for https://m/x.zip'), {
      name: 'HTTPError',
      response: { status: 404 },
    });
    expect(describeDownloadError(http)).toMatchObject({ kind: 'http', status: 404 });
  });

  it('reads the ABI an addon was built for', () => {
    expect(addonAbi(NODE_BUILD)).toBeGreaterThan(100);
  });
});
