#!/usr/bin/env node
// Gets what `npm start` needs beyond `npm ci`, each step only when it is missing:
//
// 1. Electron's binary. Electron 45 has no install script: its binary is fetched on demand by
//    `install-electron` (node_modules/electron/install.js), which uses @electron/get and so honours
//    ELECTRON_MIRROR, ELECTRON_CUSTOM_DIR, ELECTRON_CUSTOM_FILENAME, electron_config_cache,
//    electron_use_remote_checksums and ELECTRON_GET_USE_PROXY (+ HTTPS_PROXY/HTTP_PROXY/NO_PROXY).
//    This script downloads the zip with that same @electron/get call (so that a failure keeps its cause,
//    which install.js drops), then runs install-electron, which unpacks it from @electron/get's cache.
// 2. better-sqlite3 for Electron's ABI, in .native/electron-<version>/, next to (not over) the Node build
//    that the tests and the CLI use (the app loads it through better-sqlite3's `nativeBinding`): a prebuilt
//    binary through prebuild-install (npm_config_better_sqlite3_binary_host redirects it,
//    npm_config_better_sqlite3_local_prebuilds points it at a folder), else a node-gyp build against
//    Electron's headers (MOODSHELF_ELECTRON_HEADERS_URL redirects them).
//
// Usage: node scripts/native-electron.mjs [--optional] [--no-binary] [--no-native]
//   prestart: both steps; a failure exits 1 after saying what failed, why, and what to do next.
//   postinstall (--optional --no-binary): step 2 only; a failure is a warning and install goes on.
// MOODSHELF_SKIP_ELECTRON_NATIVE=1 (or MOODSHELF_SKIP_ELECTRON_SETUP=1) skips everything, for
// environments that never run the app. MOODSHELF_IGNORE_NODE_VERSION=1 skips the Node version check.
import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TAG = '[electron-setup]';
const DEFAULT_ELECTRON_MIRROR = 'https://github.com/electron/electron/releases/download/';
const DEFAULT_HEADERS_URL = 'https://electronjs.org/headers';
/** A download that delivers no data for this long is abandoned (@electron/get itself never times out). */
const STALL_MS = 120_000;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const rel = (p) => relative(process.cwd(), p) || '.';

function say(msg) {
  process.stderr.write(`${TAG} ${msg}\n`);
}

/** A failure the user can act on: what failed, why, and the next steps. */
export class SetupFailure extends Error {
  /**
   * @param {string} what
   * @param {{ url?: string, why: string | string[], next: string[], log?: string }} details
   */
  constructor(what, { url, why, next, log }) {
    super(what);
    this.name = 'SetupFailure';
    this.what = what;
    this.url = url;
    this.why = Array.isArray(why) ? why : [why];
    this.next = next;
    this.log = log;
  }
}

/** The multi-line report of a failure (ERROR for prestart, WARNING under --optional), for say(). */
export function formatFailure(failure, level = 'ERROR') {
  const lines = [`${level}: ${failure.what}`];
  const field = (label, values) => values.forEach((v, i) => lines.push(`  ${(i === 0 ? `${label}:` : '').padEnd(6)}${v}`));
  if (failure.url) field('url', [failure.url]);
  field('why', failure.why);
  field('next', failure.next);
  if (failure.log) field('log', [`${failure.log} (the full output)`]);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// Node version

/** "Electron 45 needs Node 22.12+ ..." when `current` is older than `engines` (e.g. ">= 22.12.0"), else null. */
export function nodeVersionProblem(current, engines, electronVersion) {
  const min = /(\d+)\.(\d+)\.(\d+)/.exec(engines ?? '');
  const cur = /(\d+)\.(\d+)\.(\d+)/.exec(current);
  if (!min || !cur) return null;
  const a = cur.slice(1, 4).map(Number);
  const b = min.slice(1, 4).map(Number);
  const older = a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];
  if (!older) return null;
  return `Electron ${electronVersion.split('.')[0]} needs Node ${b[0]}.${b[1]}+; this is Node v${a.join('.')}`;
}

// ---------------------------------------------------------------------------------------------------
// Electron's binary

function platformPath(platform) {
  switch (platform) {
    case 'mas':
    case 'darwin':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/** The platform and arch install-electron downloads for (same variables, same order). */
function electronTarget(env = process.env) {
  return {
    platform: env.ELECTRON_INSTALL_PLATFORM || env.npm_config_platform || process.platform,
    arch: env.ELECTRON_INSTALL_ARCH || env.npm_config_arch || process.arch,
  };
}

/** install-electron's own test: dist/version matches, path.txt names the executable, and it exists. */
export function electronInstalled(electronDir, version, platform = electronTarget().platform) {
  try {
    const distVersion = readFileSync(join(electronDir, 'dist', 'version'), 'utf8')
      .trim()
      .replace(/^v/, '');
    if (distVersion !== version) return false;
    if (readFileSync(join(electronDir, 'path.txt'), 'utf8') !== platformPath(platform)) return false;
    return existsSync(join(electronDir, 'dist', platformPath(platform)));
  } catch {
    return false;
  }
}

/** The URL @electron/get downloads the Electron zip from (its mirror variables, in its order). */
export function electronZipUrl(version, platform, arch, env = process.env) {
  const v = version.startsWith('v') ? version : `v${version}`;
  const pick = (name, fallback) => {
    const snake = name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    return (
      env[`npm_config_electron_${name.toLowerCase()}`] ||
      env[`NPM_CONFIG_ELECTRON_${snake.toUpperCase()}`] ||
      env[`npm_config_electron_${snake}`] ||
      env[`npm_package_config_electron_${name}`] ||
      env[`npm_package_config_electron_${snake}`] ||
      env[`ELECTRON_${snake.toUpperCase()}`] ||
      fallback
    );
  };
  const base = pick('mirror', DEFAULT_ELECTRON_MIRROR);
  const dir = pick('customDir', v).replace('{{ version }}', v.slice(1));
  const file = pick('customFilename', `electron-${v}-${platform}-${arch}.zip`);
  return `${base}${dir}/${file}`;
}

/** The proxy in effect, from the environment or npm's config; makes @electron/get use it. */
function applyProxyEnv(env) {
  const fromNpm = (key, value) => {
    if (value && !env[key] && !env[key.toLowerCase()]) env[key] = value;
  };
  fromNpm('HTTPS_PROXY', env.npm_config_https_proxy);
  fromNpm('HTTP_PROXY', env.npm_config_proxy);
  fromNpm('NO_PROXY', env.npm_config_noproxy);
  const proxy = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  if (proxy && !env.ELECTRON_GET_USE_PROXY) env.ELECTRON_GET_USE_PROXY = '1';
  return proxy || null;
}

/** Why a download failed, in words, from an error and its `cause` chain. */
export function describeDownloadError(err) {
  const chain = [];
  for (let e = err; e && chain.length < 6; e = e.cause) chain.push(e);
  const codeOf = (e) => (typeof e?.code === 'string' ? e.code : undefined);
  const code = chain.map(codeOf).find((c) => c && !c.startsWith('ERR_INVALID')) ?? chain.map(codeOf).find(Boolean);
  const deepest = chain.at(-1);
  const where = deepest?.hostname ?? (deepest?.address ? `${deepest.address}:${deepest.port}` : undefined);
  const text = chain.map((e) => String(e?.message ?? e)).join(' <- ');
  if (err?.name === 'HTTPError' || /^Response code \d+/.test(err?.message ?? '')) {
    const status = err.response?.status ?? Number(/Response code (\d+)/.exec(err.message)?.[1]);
    return { kind: 'http', status, text: `the server answered HTTP ${status}${status === 404 ? ' (no such file there)' : ''}` };
  }
  if (/did not match expected checksum|No checksum found|checksum/i.test(text)) return { kind: 'checksum', text: err.message };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError' || /stalled/.test(text))
    return { kind: 'timeout', text: `no data arrived for ${STALL_MS / 1000} s (stalled connection)` };
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'dns', text: `cannot resolve ${where ?? 'the host name'} (${code}): offline, or DNS is blocked` };
    case 'ECONNREFUSED':
      return { kind: 'refused', text: `connection refused${where ? ` by ${where}` : ''} (ECONNREFUSED): nothing listens there` };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { kind: 'timeout', text: `the connection timed out (${code}): a firewall, or a proxy is needed` };
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return { kind: 'reset', text: `the connection was cut (${code}): a firewall or proxy interfered, or the network dropped` };
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_HAS_EXPIRED':
      return { kind: 'tls', text: `the TLS certificate is not trusted (${code}): usually an intercepting proxy` };
    default:
      return { kind: 'other', text: code ? `${text} (${code})` : text };
  }
}

function downloadNextSteps(kind, { url, version, proxy, env, fileName }) {
  const next = [];
  const mirror = env.ELECTRON_MIRROR || env.npm_config_electron_mirror;
  if (mirror)
    next.push(
      `ELECTRON_MIRROR is set to ${mirror}: check that it is up and serves ${new URL(url).pathname.split('/').slice(-2).join('/')}`,
    );
  if (kind === 'checksum')
    next.push(
      `the file does not match the checksum in node_modules/electron/checksums.json: a mirror serving a different build? ` +
        `set electron_use_remote_checksums=1 to check against the mirror's SHASUMS256.txt`,
      'a damaged cache? delete the electron cache folder (electron_config_cache, default ~/.cache/electron) and retry',
    );
  else if (kind === 'http')
    next.push(
      `the mirror does not have ${fileName}: check ELECTRON_MIRROR / ELECTRON_CUSTOM_DIR (e.g. ELECTRON_CUSTOM_DIR="{{ version }}" for mirrors without the "v")`,
    );
  else if (kind === 'tls')
    next.push('behind an intercepting proxy: NODE_EXTRA_CA_CERTS=/path/to/proxy-ca.pem, plus HTTPS_PROXY=http://HOST:PORT');
  else {
    if (proxy) next.push(`a proxy is in use (${proxy}): check it (HTTPS_PROXY / HTTP_PROXY / NO_PROXY); ELECTRON_GET_USE_PROXY=1 is set`);
    else next.push(`${NETWORK_NEXT}; ELECTRON_GET_USE_PROXY=1 is then set for you`);
    if (!mirror) next.push('GitHub blocked? use a mirror: ELECTRON_MIRROR=https://npmmirror.com/mirrors/electron/');
  }
  next.push(`already have Electron ${version} unpacked? run the app with it: ELECTRON_EXEC_PATH=/path/to/electron npm start`);
  next.push('then run `npm start` again (or `node scripts/native-electron.mjs`); a finished download is cached');
  return next;
}

async function downloadWithElectronGet(electronDir, version, platform, arch) {
  const electronRequire = createRequire(join(electronDir, 'package.json'));
  const { downloadArtifact } = await import(pathToFileURL(electronRequire.resolve('@electron/get')).href);
  const remoteChecksums = process.env.electron_use_remote_checksums || process.env.npm_config_electron_use_remote_checksums;
  const controller = new AbortController();
  let timer;
  const bump = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`stalled: no data for ${STALL_MS / 1000} s`)), STALL_MS);
  };
  bump();
  try {
    // The same call install.js makes, so that it finds the zip in @electron/get's cache afterwards.
    return await downloadArtifact({
      version,
      artifactName: 'electron',
      cacheRoot: process.env.electron_config_cache,
      checksums: remoteChecksums ? undefined : JSON.parse(readFileSync(join(electronDir, 'checksums.json'), 'utf8')),
      platform,
      arch,
      downloadOptions: { signal: controller.signal, getProgressCallback: bump },
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Step 1: Electron's binary, as install-electron installs it. Returns a line for the log. */
export async function ensureElectronBinary({ electronDir, version, logDir }) {
  const env = process.env;
  if (env.ELECTRON_EXEC_PATH) {
    if (existsSync(env.ELECTRON_EXEC_PATH)) return `Electron: using ELECTRON_EXEC_PATH=${env.ELECTRON_EXEC_PATH}`;
    throw new SetupFailure(`ELECTRON_EXEC_PATH points at ${env.ELECTRON_EXEC_PATH}, which does not exist`, {
      why: 'electron-vite runs the Electron executable named by ELECTRON_EXEC_PATH',
      next: ['fix ELECTRON_EXEC_PATH, or unset it to download Electron into node_modules/electron'],
    });
  }
  const { platform, arch } = electronTarget(env);
  if (electronInstalled(electronDir, version, platform)) return `Electron ${version}: up to date (${rel(join(electronDir, 'dist'))})`;
  const url = electronZipUrl(version, platform, arch, env);
  const fileName = url.split('/').at(-1);
  const proxy = applyProxyEnv(env);
  const started = Date.now();
  if (env.force_no_cache !== 'true') {
    say(`downloading Electron ${version} (${fileName}) from ${url}${proxy ? ` via proxy ${proxy}` : ''} ...`);
    try {
      await downloadWithElectronGet(electronDir, version, platform, arch);
    } catch (err) {
      const { kind, text } = describeDownloadError(err);
      throw new SetupFailure(`could not download Electron ${version} for ${platform}-${arch} (the app cannot start without it)`, {
        url,
        why: text,
        next: downloadNextSteps(kind, { url, version, proxy, env, fileName }),
      });
    }
  }
  // install-electron (the documented way): unpacks the cached zip into node_modules/electron/dist.
  const installer = join(electronDir, 'install.js');
  const result = await run(process.execPath, [installer], { cwd: root, env, timeoutMs: 20 * 60_000 });
  const log = writeLog(logDir, 'install-electron.log', `$ node ${installer}\n${result.out}`);
  if (result.code !== 0 || !electronInstalled(electronDir, version, platform)) {
    const cause = result.timedOut ? 'it ran for 20 minutes without finishing' : tail(result.out, 4) || `it exited with code ${result.code}`;
    throw new SetupFailure(`install-electron could not install Electron ${version} into ${rel(electronDir)}`, {
      url,
      why: cause,
      next: [
        'run it by hand to see its full output: npx install-electron --no',
        'if node_modules/electron looks damaged: delete it and run `npm ci` again',
        'then run `npm start` again',
      ],
      log: rel(log),
    });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return `Electron ${version}: installed into ${rel(join(electronDir, 'dist'))} from ${url} (${seconds} s)`;
}

// ---------------------------------------------------------------------------------------------------
// better-sqlite3 for Electron's ABI

/** The module ABI a Node addon was built for (its node_register_module_v<ABI> symbol), 'napi', or null. */
export function addonAbi(file) {
  const text = readFileSync(file).toString('latin1');
  const m = /node_register_module_v(\d+)/.exec(text);
  if (m) return Number(m[1]);
  return text.includes('napi_register_module_v1') ? 'napi' : null;
}

/** A file of the prebuild-install that better-sqlite3 depends on. */
function prebuildInstall(file) {
  return createRequire(require.resolve('better-sqlite3/package.json')).resolve(`prebuild-install/${file}`);
}

function electronAbi(electronDir, version) {
  try {
    const abi = Number(readFileSync(join(electronDir, 'abi_version'), 'utf8').trim());
    if (abi > 0) return abi;
  } catch {
    // older packages have no abi_version: ask node-abi (prebuild-install's copy)
  }
  try {
    const prebuildRequire = createRequire(prebuildInstall('package.json'));
    return Number(prebuildRequire('node-abi').getAbi(version, 'electron'));
  } catch {
    return null;
  }
}

/** An executable on PATH (or a path), or null. */
export function findExecutable(cmd, env = process.env) {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').concat('') : [''];
  const isExe = (p) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (isAbsolute(cmd) || cmd.includes('/') || cmd.includes(sep)) return exts.map((e) => cmd + e).find(isExe) ?? null;
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean))
    for (const e of exts) if (isExe(join(dir, cmd + e))) return join(dir, cmd + e);
  return null;
}

/** What node-gyp needs that this machine lacks (compilers, make, Python); [] where it cannot tell (Windows). */
export function missingToolchain(env = process.env, platform = process.platform) {
  if (platform === 'win32') return [];
  const first = (s) => s.trim().split(/\s+/)[0] ?? '';
  const has = (cmds) => cmds.some((c) => findExecutable(c, env));
  const missing = [];
  if (!has(env.CXX ? [first(env.CXX)] : ['c++', 'g++', 'clang++']))
    missing.push(env.CXX ? `the C++ compiler CXX=${env.CXX}` : 'a C++ compiler (c++, g++ or clang++)');
  if (!has(env.CC ? [first(env.CC)] : ['cc', 'gcc', 'clang']))
    missing.push(env.CC ? `the C compiler CC=${env.CC}` : 'a C compiler (cc, gcc or clang)');
  if (!has(['make', 'gmake'])) missing.push('make');
  const python = env.PYTHON || env.npm_config_python;
  if (!has(python ? [python] : ['python3', 'python'])) missing.push(python ? `Python (PYTHON=${python})` : 'Python 3 (python3)');
  return missing;
}

const NETWORK_NEXT = 'offline? connect and retry; behind a proxy? set HTTPS_PROXY=http://HOST:PORT (and NO_PROXY)';

const TOOLCHAIN_NEXT = [
  'install a C++ toolchain, then run `npm start` again:',
  '  Debian/Ubuntu: sudo apt install build-essential python3    Fedora: sudo dnf install gcc-c++ make python3',
  '  macOS: xcode-select --install    Windows: Visual Studio Build Tools, workload "Desktop development with C++"',
];

function findNodeGyp(env) {
  const candidates = [env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency: use npm's own copy
  }
  const npmDirs = [
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'),
    join(dirname(process.execPath), 'node_modules', 'npm'),
  ];
  const npmOnPath = findExecutable('npm', env);
  if (npmOnPath) {
    // bin/npm is usually a link to <npm>/bin/npm-cli.js
    const real = realpathSync(npmOnPath);
    npmDirs.push(
      resolve(dirname(real), '..'),
      join(dirname(real), '..', 'lib', 'node_modules', 'npm'),
      join(dirname(real), 'node_modules', 'npm'),
    );
  }
  for (const npmDir of npmDirs) candidates.push(join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && existsSync(c)) ?? null;
}

/** Why prebuild-install found nothing, from its --verbose log. */
function prebuildFailure(out, code, timedOut) {
  const url = /GET (\S+)/.exec(out)?.[1];
  const status = /prebuild-install http (\d{3}) /.exec(out)?.[1];
  const warn = [...out.matchAll(/prebuild-install warn install (.*)/g)].at(-1)?.[1];
  if (timedOut) return { url, kind: 'network', text: 'prebuild-install did not finish in 5 minutes' };
  if (/build-from-source specified/.test(out)) return { url, kind: 'skipped', text: 'skipped: npm_config_build_from_source is set' };
  if (status && status !== '200')
    return { url, kind: 'missing', text: `no prebuilt binary for this Electron/platform: the server answered HTTP ${status}` };
  if (warn && /No prebuilt binaries found/.test(warn)) return { url, kind: 'missing', text: `no prebuilt binary (${warn})` };
  if (warn) return { url, kind: 'network', text: `download failed: ${warn}` };
  return { url, kind: 'other', text: tail(out, 2) || `prebuild-install exited with code ${code}` };
}

/** Why a node-gyp build failed and what to do, from its output. */
function nodeGypFailure(out, headersTarball) {
  const stack = /gyp ERR! stack (.*)/.exec(out)?.[1]?.trim();
  const download =
    /request to (\S+) failed, reason: (.*)/.exec(out)?.[0] ??
    /(\d{3}) response downloading (\S+)/.exec(out)?.[0] ??
    /(\d{3}) +status code downloading checksum/.exec(out)?.[0];
  if (download || /gyp WARN install got an error|network connectivity/.test(out)) {
    const network = /network connectivity|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|Timeout|request to .* failed/.test(out);
    const cause = /network connectivity/.test(out)
      ? 'cannot reach the host (offline, DNS blocked, or a proxy is needed)'
      : (download ?? stack);
    return {
      kind: 'headers',
      why: `could not download Electron's headers (${headersTarball}): ${cause ?? 'see the log'}`,
      next: [
        ...(network ? [NETWORK_NEXT] : []),
        `Electron's headers (node-gyp needs them): MOODSHELF_ELECTRON_HEADERS_URL can point at a mirror of ${DEFAULT_HEADERS_URL} ` +
          '(v<version>/node-v<version>-headers.tar.gz and SHASUMS256.txt)',
      ],
    };
  }
  if (/Could not find any Python installation/.test(out))
    return {
      kind: 'python',
      why: 'node-gyp found no Python 3',
      next: ['install Python 3 (or set PYTHON=/path/to/python3)', ...TOOLCHAIN_NEXT],
    };
  if (/Could not find any Visual Studio installation/.test(out))
    return { kind: 'toolchain', why: 'node-gyp found no Visual Studio C++ build tools', next: TOOLCHAIN_NEXT };
  if (/gyp ERR! build error|make: \*\*\*|not found: make|gyp ERR! stack Error: `make` failed/.test(out)) {
    const compilerLines = out
      .split('\n')
      .filter((l) => !/^gyp (ERR!|info|verb|http)/.test(l) && /error|Error \d|not found|No such file|command not found/.test(l))
      .slice(-3)
      .map((l) => l.trim());
    return {
      kind: 'toolchain',
      why: ['the C/C++ build failed (compiler or make missing or broken)', ...compilerLines],
      next: [
        ...(process.env.CC || process.env.CXX
          ? [`CC/CXX are set (CC=${process.env.CC ?? ''} CXX=${process.env.CXX ?? ''}): check that they name working compilers`]
          : []),
        ...TOOLCHAIN_NEXT,
      ],
    };
  }
  const errors = out
    .split('\n')
    .filter((l) => /^gyp ERR! /.test(l) && !/^gyp ERR! (stack +at |System|command|cwd|node -v|node-gyp -v|\$npm_|not ok)/.test(l))
    .map((l) => l.replace(/^gyp ERR! (stack )?/, '').trim())
    .filter(Boolean);
  return {
    kind: 'other',
    why: errors.slice(0, 3).length ? errors.slice(0, 3) : tail(out, 3) || 'node-gyp failed',
    next: ['read the full log, then run `npm start` again'],
  };
}

/** Step 2: better-sqlite3 for Electron's ABI in .native/. Returns a line for the log. */
export async function ensureNativeAddon({ electronDir, version, logDir }) {
  const abi = electronAbi(electronDir, version);
  const outDir = join(root, '.native', `electron-${version}`);
  const target = join(outDir, 'better_sqlite3.node');
  const label = `better-sqlite3 for Electron ${version}${abi ? ` (ABI ${abi})` : ''}`;
  if (existsSync(target) && (!abi || addonAbi(target) === abi)) return `${label}: up to date (${rel(target)})`;
  const src = dirname(require.resolve('better-sqlite3/package.json'));
  const srcBuild = join(src, 'build');
  const work = join(root, '.native', 'build-better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(src, work, { recursive: true, filter: (p) => p !== srcBuild && !p.startsWith(srcBuild + sep) });
  const headersUrl = (process.env.MOODSHELF_ELECTRON_HEADERS_URL || DEFAULT_HEADERS_URL).replace(/\/+$/, '');
  const headersTarball = `${headersUrl}/v${version}/node-v${version}-headers.tar.gz`;
  applyProxyEnv(process.env);
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: version, npm_config_disturl: headersUrl };
  // A machine-wide `nodedir` (Node's own headers) would silently build for Node's ABI.
  for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key];
  const built = join(work, 'build', 'Release', 'better_sqlite3.node');
  const why = [];
  let next = []; // for the build from source, then for the prebuilt binary
  const prebuiltNext = [];
  let url;
  let gypLog;
  /** A produced addon is kept only if it is for Electron's ABI. */
  const accept = (how) => {
    if (!existsSync(built)) return `${how} produced no build/Release/better_sqlite3.node`;
    const got = addonAbi(built);
    if (abi && got !== null && got !== abi)
      return `${how} produced an addon for ABI ${got}${got === Number(process.versions.modules) ? " (this Node's)" : ''}, not Electron ${version}'s ABI ${abi}`;
    mkdirSync(outDir, { recursive: true });
    cpSync(built, target);
    writeFileSync(join(outDir, 'built-with.txt'), `${how}\n`);
    return null;
  };
  try {
    // 1. a prebuilt binary
    const pre = await run(process.execPath, [prebuildInstall('bin.js'), '--runtime', 'electron', '--target', version, '--verbose'], {
      cwd: work,
      env,
      timeoutMs: 5 * 60_000,
    });
    writeLog(logDir, 'prebuild-install.log', pre.out);
    url = /GET (\S+)/.exec(pre.out)?.[1];
    if (pre.code === 0) {
      const rejected = accept(`prebuild-install ${url ?? ''}`.trim());
      if (!rejected) return `${label}: prebuilt binary from ${url ?? 'a local prebuild'} -> ${rel(target)}`;
      why.push(`prebuilt: ${rejected}`);
    } else {
      const f = prebuildFailure(pre.out, pre.code, pre.timedOut);
      why.push(`prebuilt: ${f.text}${f.url ? ` (${f.url})` : ''}`);
      if (f.kind === 'network')
        prebuiltNext.push(
          NETWORK_NEXT,
          "the prebuilt binary: npm_config_better_sqlite3_binary_host can point at a mirror of better-sqlite3's GitHub releases, " +
            `or npm_config_better_sqlite3_local_prebuilds at a folder holding ${f.url ? f.url.split('/').at(-1) : 'the .tar.gz'}`,
        );
    }
    // 2. a build from source against Electron's headers
    const missing = missingToolchain(env);
    const nodeGyp = findNodeGyp(env);
    if (missing.length) {
      why.push(`build from source: no C++ toolchain: missing ${missing.join(', ')}`);
      next = TOOLCHAIN_NEXT;
    } else if (!nodeGyp) {
      why.push('build from source: node-gyp not found (it ships with npm)');
      next = ['run this through npm (`npm start`), or `npm i -g node-gyp`'];
    } else {
      say(`no usable prebuilt binary; building better-sqlite3 from source for Electron ${version} (a minute or two) ...`);
      const args = [nodeGyp, 'rebuild', '--release', '--runtime=electron', `--target=${version}`, `--dist-url=${headersUrl}`];
      const gyp = await run(process.execPath, args, { cwd: work, env, timeoutMs: 15 * 60_000 });
      const log = writeLog(logDir, 'node-gyp.log', `$ node ${args.join(' ')}\n${gyp.out}`);
      if (gyp.code === 0) {
        const rejected = accept('node-gyp');
        if (!rejected) return `${label}: built from source with node-gyp -> ${rel(target)}`;
        why.push(`build from source: ${rejected}`);
        next = [
          process.env.MOODSHELF_ELECTRON_HEADERS_URL
            ? `MOODSHELF_ELECTRON_HEADERS_URL=${process.env.MOODSHELF_ELECTRON_HEADERS_URL} served headers that are not Electron ${version}'s: check it`
            : 'check that no npm config (nodedir, target, runtime) overrides the build',
        ];
      } else {
        const f = nodeGypFailure(gyp.out, headersTarball);
        why.push(...(Array.isArray(f.why) ? f.why : [f.why]).map((w, i) => (i === 0 ? `build from source: ${w}` : `  ${w}`)));
        next = f.next;
        gypLog = rel(log);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  throw new SetupFailure(`could not get ${label} (the app's database needs it)`, {
    url,
    why,
    next: [...new Set([...next, ...prebuiltNext]), 'then run `npm start` again (or `node scripts/native-electron.mjs`)'],
    log: gypLog,
  });
}

// ---------------------------------------------------------------------------------------------------

function run(cmd, args, { cwd, env, timeoutMs }) {
  return new Promise((done) => {
    let out = '';
    let timedOut = false;
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ code: -1, out: `${out}\n${err.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, out, timedOut });
    });
  });
}

function tail(text, n) {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

function writeLog(logDir, name, text) {
  const file = join(logDir, name);
  try {
    mkdirSync(logDir, { recursive: true });
    writeFileSync(file, text);
  } catch {
    // a log is a convenience
  }
  return file;
}

export async function main(argv = process.argv.slice(2)) {
  const optional = argv.includes('--optional');
  const withBinary = !argv.includes('--no-binary');
  const withNative = !argv.includes('--no-native');
  const env = process.env;
  if (env.MOODSHELF_SKIP_ELECTRON_NATIVE === '1' || env.MOODSHELF_SKIP_ELECTRON_SETUP === '1')
    return void say(`skipped (MOODSHELF_SKIP_ELECTRON_${env.MOODSHELF_SKIP_ELECTRON_NATIVE === '1' ? 'NATIVE' : 'SETUP'}=1)`);
  let electronDir;
  try {
    electronDir = dirname(require.resolve('electron/package.json'));
  } catch {
    if (optional) return void say('electron is not installed (dev dependencies omitted?); nothing to set up');
    say('ERROR: the electron package is not installed\n  next: run `npm ci` (without --omit=dev), then `npm start`');
    return 1;
  }
  const pkg = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8'));
  const version = pkg.version;
  const logDir = join(root, '.native', 'logs');
  const failures = [];
  const nodeProblem =
    env.MOODSHELF_IGNORE_NODE_VERSION === '1' ? null : nodeVersionProblem(process.versions.node, pkg.engines?.node, version);
  if (nodeProblem) {
    const failure = new SetupFailure(nodeProblem, {
      why: `electron@${version} and its installer (@electron/get) declare engines.node "${pkg.engines.node}"`,
      next: [
        'install Node 22 LTS or newer (nvm install 22, fnm install 22, or https://nodejs.org),',
        "then run `npm ci` again (better-sqlite3's Node build follows the Node version) and `npm start`",
        'to try anyway with this Node: MOODSHELF_IGNORE_NODE_VERSION=1 npm start',
      ],
    });
    if (withBinary && !optional) {
      say(formatFailure(failure));
      return 1;
    }
    say(formatFailure(failure, 'WARNING'));
  }
  const steps = [];
  if (withBinary && !nodeProblem) {
    if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) say('Electron binary: skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set)');
    else steps.push(['Electron binary', ensureElectronBinary]);
  }
  if (withNative) steps.push(['better-sqlite3 for Electron', ensureNativeAddon]);
  for (const [name, step] of steps) {
    try {
      say(await step({ electronDir, version, logDir }));
    } catch (err) {
      failures.push(
        err instanceof SetupFailure
          ? err
          : new SetupFailure(`${name}: unexpected error`, {
              why: String(err?.stack ?? err)
                .split('\n')
                .slice(0, 4),
              next: ['please report this with the lines above; then run `npm start` again'],
            }),
      );
    }
  }
  for (const failure of failures) say(formatFailure(failure, optional ? 'WARNING' : 'ERROR'));
  if (failures.length && optional)
    say('install goes on: `npm start` retries these steps; the tests and the CLI use the Node build and are unaffected.');
  return failures.length && !optional ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (err) => {
      say(`unexpected error: ${err?.stack ?? err}`);
      process.exitCode = process.argv.includes('--optional') ? 0 : 1;
    },
  );
}
