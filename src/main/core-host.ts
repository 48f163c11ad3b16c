// The core, hosted in an Electron utility process so scans and SQLite never block the window.
// The main process passes the data folder and the Electron-ABI better-sqlite3 addon in the environment
// (see CORE_ENV in host-env.ts) and talks to it through core-channel.ts over `process.parentPort`.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/index.js';
import { createLogger } from '../core/kernel/logger.js';
import { serveCore, type HostMessage, type ServableCore, type Transport } from './core-channel.js';
import { CORE_ENV } from './host-env.js';

const log = createLogger('core-host');
const port = process.parentPort;

const transport: Transport<HostMessage> = {
  post: (message) => port.postMessage(message),
  onMessage(listener) {
    const handler = (e: Electron.MessageEvent): void => listener(e.data);
    port.on('message', handler);
    return () => port.off('message', handler);
  },
};

async function start(): Promise<ServableCore> {
  const dataDir = process.env[CORE_ENV.dataDir];
  if (!dataDir) throw new Error(`${CORE_ENV.dataDir} is not set`);
  const core = await createCore({
    dataDir,
    nativeBinding: process.env[CORE_ENV.nativeBinding] || undefined,
    watch: true,
    // The app analyses in the background: a queue left by a previous run resumes, new tracks are queued.
    autoAnalyze: true,
    migrationsDir: join(dirname(fileURLToPath(import.meta.url)), 'migrations'),
    logger: log.child('core'),
  });
  return core;
}

const server = serveCore(transport, start(), {
  onShutdown: () => process.exit(0),
});

const stop = (): void => {
  void server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('uncaughtException', (err) => {
  log.error('uncaught exception', { err: err.message, stack: err.stack });
  process.exit(1);
});
