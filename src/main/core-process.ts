import { utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/kernel/logger.js';
import { coreProcessEnv } from '../core/kernel/process-env.js';
import { createCoreClient, type CoreClient, type MainMessage, type Transport } from './core-channel.js';
import { CORE_ENV } from './host-env.js';

/** Where `scripts/native-electron.mjs` puts the better-sqlite3 addon built for this Electron. */
export function nativeBindingPath(appPath: string, electronVersion: string = process.versions.electron): string {
  return join(appPath, '.native', `electron-${electronVersion}`, 'better_sqlite3.node');
}

/** What {@link startCoreProcess} needs. */
export interface CoreProcessOptions {
  /** The bundled core-host.js. */
  hostModule: string;
  dataDir: string;
  nativeBinding: string;
  log: Logger;
  onEvent: (name: string, payload: unknown) => void;
  onFatal: (message: string) => void;
  /** The process ended without being asked to (crash, or a failed start). */
  onUnexpectedExit: (code: number) => void;
}

/** A running core utility process and its request client. */
export interface CoreProcess {
  client: CoreClient;
  /** Asks the core to close its library; resolves when the process has exited (or after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Throws a readable error when the Electron build of better-sqlite3 is missing. */
export function checkNativeBinding(file: string): void {
  if (!existsSync(file)) {
    throw new Error(
      `The SQLite module built for Electron ${process.versions.electron} was not found:\n${file}\n\n` +
        'Run `npm start`, which builds it first (or run `node scripts/native-electron.mjs`).',
    );
  }
}

/** Forks the core host and wires its messages to a {@link CoreClient}. */
export function startCoreProcess(options: CoreProcessOptions): CoreProcess {
  const child = utilityProcess.fork(options.hostModule, [], {
    serviceName: 'Moodshelf core',
    stdio: 'inherit',
    env: { ...coreProcessEnv(process.env), [CORE_ENV.dataDir]: options.dataDir, [CORE_ENV.nativeBinding]: options.nativeBinding },
  });
  let exited = false;
  let stopping = false;
  const exitWaiters: (() => void)[] = [];

  const transport: Transport<MainMessage> = {
    post: (message) => child.postMessage(message),
    onMessage(listener) {
      child.on('message', listener);
      return () => child.off('message', listener);
    },
  };
  const client = createCoreClient(transport, { onEvent: options.onEvent, onFatal: options.onFatal });

  child.on('exit', (code) => {
    exited = true;
    client.close(`The Moodshelf core process stopped (exit code ${code}).`);
    for (const w of exitWaiters.splice(0)) w();
    if (!stopping) {
      options.log.error('core process exited', { code });
      options.onUnexpectedExit(code);
    }
  });

  return {
    client,
    stop(timeoutMs = 5000) {
      stopping = true;
      if (exited) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          options.log.warn('core process did not exit in time; killing it');
          child.kill();
          resolve();
        }, timeoutMs);
        exitWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        client.shutdown();
      });
    },
  };
}
