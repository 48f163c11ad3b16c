/**
 * Two connected in-memory transports, standing in for the message port between the Electron main process
 * and the core's utility process: delivery is asynchronous and every message is structured-cloned, so
 * what crosses is exactly what could cross between processes.
 */
import type { HostMessage, MainMessage, Transport } from '../../../src/main/core-channel.js';

/** The two ends: `main` for createCoreClient, `host` for serveCore. */
export interface MemoryPipe {
  main: Transport<MainMessage>;
  host: Transport<HostMessage>;
}

type Listener = (message: unknown) => void;

function deliver(listeners: Set<Listener>, message: unknown): void {
  const copy = structuredClone(message);
  setImmediate(() => {
    for (const l of [...listeners]) l(copy);
  });
}

function subscribe(listeners: Set<Listener>, listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Creates a connected pair. */
export function createMemoryPipe(): MemoryPipe {
  const toMain = new Set<Listener>();
  const toHost = new Set<Listener>();
  return {
    main: { post: (m) => deliver(toHost, m), onMessage: (l) => subscribe(toMain, l) },
    host: { post: (m) => deliver(toMain, m), onMessage: (l) => subscribe(toHost, l) },
  };
}
