#!/usr/bin/env node
// The `moodshelf` command. The CLI is TypeScript run through tsx, so it works straight after
// `npm install` with no build step, on the Node build of better-sqlite3.
import { register } from 'tsx/esm/api';

register();
const { coreProcessEnv, hasCoreProcessEnv } = await import('../src/core/kernel/process-env.ts');
if (process.argv.slice(2).includes('analyze') && !hasCoreProcessEnv()) {
  // `moodshelf analyze` hosts a whole analysis, as the app's core process does: it runs again in the
  // core's environment (process-env.ts), which the C library reads only when a process starts. The
  // terminal's Ctrl-C reaches that process itself; this one waits for it and passes its exit status on.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: coreProcessEnv(process.env),
  });
  process.on('SIGINT', () => {}); // the terminal sends it to the child too
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await import('../src/cli/bin.ts');
}
