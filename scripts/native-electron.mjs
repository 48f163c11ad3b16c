#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/electron-<version>/, next to (not over) the
// Node build that tests and the CLI use. The Electron shell loads it through better-sqlite3's
// `nativeBinding` option, so `npm start` and `npm test` work in either order.
// --optional (postinstall): any failure (no network for Electron headers, no compiler) is reported
// as a warning and install goes on. Without it (prestart) a failure is an error.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const optional = process.argv.includes('--optional');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function say(msg) {
  process.stderr.write(`[native-electron] ${msg}\n`);
}

function electronVersion() {
  try {
    return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** An Electron-ABI addon must NOT load in plain Node; if it does, the build used the wrong headers. */
function loadsInNode(file) {
  try {
    process.dlopen({ exports: {} }, file);
    return true;
  } catch {
    return false;
  }
}

function main() {
  if (process.env.MOODSHELF_SKIP_ELECTRON_NATIVE === '1') return say('skipped (MOODSHELF_SKIP_ELECTRON_NATIVE=1)');
  const version = electronVersion();
  if (!version) return say('electron is not installed; nothing to build');
  const outDir = join(root, '.native', `electron-${version}`);
  const target = join(outDir, 'better_sqlite3.node');
  if (existsSync(target)) return say(`up to date: ${target}`);
  const src = dirname(require.resolve('better-sqlite3/package.json'));
  const work = join(root, '.native', 'build-better-sqlite3');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(src, work, { recursive: true, filter: (p) => !p.includes(`${join(src, 'build')}`) });
  const env = {
    ...process.env,
    npm_config_runtime: 'electron',
    npm_config_target: version,
    npm_config_disturl: 'https://electronjs.org/headers',
  };
  // A machine-wide `nodedir` (set here to Node's own headers) would silently build for Node's ABI.
  for (const key of Object.keys(env)) if (key.toLowerCase() === 'npm_config_nodedir') delete env[key];
  const steps = [
    ['prebuild-install', [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', version]],
    [
      'node-gyp',
      [
        require.resolve('node-gyp/bin/node-gyp.js', {
          paths: [dirname(process.execPath), join(dirname(process.execPath), '../lib/node_modules/npm')],
        }),
        'rebuild',
        '--release',
        '--runtime=electron',
        `--target=${version}`,
        '--dist-url=https://electronjs.org/headers',
      ],
    ],
  ];
  const errors = [];
  for (const [name, args] of steps) {
    try {
      execFileSync(process.execPath, args, { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
      const built = join(work, 'build', 'Release', 'better_sqlite3.node');
      if (!existsSync(built)) throw new Error('no better_sqlite3.node produced');
      if (loadsInNode(built)) throw new Error(`${built} was built for Node's ABI, not Electron's`);
      mkdirSync(outDir, { recursive: true });
      cpSync(built, target);
      writeFileSync(join(outDir, 'built-with.txt'), `${name}\n`);
      rmSync(work, { recursive: true, force: true });
      return say(`built with ${name}: ${target}`);
    } catch (err) {
      const detail = String(err?.stderr ?? err?.message ?? err)
        .trim()
        .split('\n')
        .slice(-1)[0];
      errors.push(`${name}: ${detail}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  const msg = `could not build better-sqlite3 for Electron ${version} (${errors.join('; ')})`;
  if (optional) return say(`${msg}. Skipped; \`npm start\` retries. Tests and the CLI use the Node build and are unaffected.`);
  say(msg);
  process.exit(1);
}

main();
