/**
 * core-channel: host-independent message routing between the Electron main process and the core
 * running in a utility process. Nothing here imports Electron or Node APIs, so it can be unit-tested
 * with a pair of in-memory transports.
 *
 * Wire protocol (plain, structured-cloneable objects):
 *   main -> host   { type: 'invoke', id, name, args }     run one handler
 *                  { type: 'shutdown' }                    close the core, then exit
 *   host -> main   { type: 'reply', id, reply }            the InvokeReply for request `id`
 *                  { type: 'event', name, payload }        a core event, forwarded verbatim
 *                  { type: 'ready' }                       the core opened its library
 *                  { type: 'fatal', message }              the core could not start
 *
 * API:
 *   - {@link createCoreClient}(transport, options?) -> {@link CoreClient}: used by the main process.
 *     `invoke(name, args)` never rejects: it resolves with an InvokeReply, an `E_TIMEOUT` error after the
 *     request's timeout, or `E_HOST_GONE` once `close()` was called (host exited).
 *   - {@link serveCore}(transport, core) -> {@link CoreServer}: used by the utility process. Answers invoke
 *     requests with `core.invokeUntrusted`, forwards `core.events.onAny`, posts `ready`/`fatal`.
 *   - {@link isHostMessage} / {@link isMainMessage}: shape guards for untrusted messages.
 *   - {@link defaultTimeoutMs}: the client's default per-request timeout policy.
 */
import type { InvokeReply } from '../core/contract.js';

/** A message the main process sends to the core host. */
export type MainMessage = { type: 'invoke'; id: number; name: string; args: unknown[] } | { type: 'shutdown' };

/** A message the core host sends to the main process. */
export type HostMessage =
  | { type: 'reply'; id: number; reply: InvokeReply }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'ready' }
  | { type: 'fatal'; message: string };

/**
 * One end of a message pipe: `post` sends, `onMessage` subscribes and returns an unsubscribe function.
 * `In` is what arrives, `Out` what is sent.
 */
export interface Transport<Out, In = unknown> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isReply(value: unknown): value is InvokeReply {
  if (!isRecord(value)) return false;
  if (value.ok === true) return 'value' in value;
  return value.ok === false && isRecord(value.error) && typeof value.error.message === 'string' && typeof value.error.code === 'string';
}

/** True when `value` is a well-formed {@link HostMessage} (anything else is ignored by the client). */
export function isHostMessage(value: unknown): value is HostMessage {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'reply':
      return Number.isSafeInteger(value.id) && isReply(value.reply);
    case 'event':
      return typeof value.name === 'string';
    case 'ready':
      return true;
    case 'fatal':
      return typeof value.message === 'string';
    default:
      return false;
  }
}

/** True when `value` is a well-formed {@link MainMessage} (anything else is ignored by the server). */
export function isMainMessage(value: unknown): value is MainMessage {
  if (!isRecord(value)) return false;
  if (value.type === 'shutdown') return true;
  return value.type === 'invoke' && Number.isSafeInteger(value.id) && typeof value.name === 'string' && Array.isArray(value.args);
}

/** An error reply with a readable message. */
function failure(message: string, code: string): InvokeReply {
  return { ok: false, error: { message, code } };
}

/**
 * Requests that run as long as their work does and report progress as events meanwhile: a full scan, a model
 * install (hundreds of MB on a slow line), waiting for the analysis, writing or previewing tags in many files,
 * the feature export and an alignment over a big vocabulary. A timeout on them would report a failure while
 * the work goes on.
 */
export const LONG_REQUESTS: ReadonlySet<string> = new Set([
  'library-scan',
  'models-install',
  'analysis-wait',
  'analysis-export-features',
  'filetags-preview',
  'filetags-write',
  'filetags-undo',
  'labels-align',
]);

/** The default timeout policy: none for {@link LONG_REQUESTS}, 60 s for everything else. 0 means no timeout. */
export function defaultTimeoutMs(name: string): number {
  return LONG_REQUESTS.has(name) ? 0 : 60_000;
}

/** Options for {@link createCoreClient}. */
export interface CoreClientOptions {
  /** Per-request timeout in ms (0 or Infinity: none); a number or a function of the handler name. */
  timeoutMs?: number | ((name: string) => number);
  /** Called for every forwarded core event. */
  onEvent?: (name: string, payload: unknown) => void;
  /** Called once when the host reports it has opened the library. */
  onReady?: () => void;
  /** Called when the host reports it could not start. */
  onFatal?: (message: string) => void;
  /** Timer functions, injectable for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** The main-process side of the channel. */
export interface CoreClient {
  /** Sends one request; resolves with the reply, a timeout error or a host-gone error. Never rejects. */
  invoke(name: string, args: unknown[]): Promise<InvokeReply>;
  /** Asks the host to close the core and exit. */
  shutdown(): void;
  /** Marks the host as gone: resolves every pending request with `E_HOST_GONE` and refuses new ones. */
  close(reason: string): void;
  /** Number of requests awaiting a reply. */
  pendingCount(): number;
}

interface Pending {
  resolve: (reply: InvokeReply) => void;
  timer: unknown;
}

/**
 * Creates the main-process client over `transport`. Request ids are assigned here, replies are matched
 * to them, unknown or duplicate replies are ignored, and each request is settled exactly once.
 */
export function createCoreClient(transport: Transport<MainMessage>, options: CoreClientOptions = {}): CoreClient {
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const timeoutFor = (name: string): number => {
    const t = options.timeoutMs ?? defaultTimeoutMs;
    return typeof t === 'function' ? t(name) : t;
  };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closedReason: string | null = null;

  const settle = (id: number, reply: InvokeReply): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (p.timer !== undefined) clearTimer(p.timer);
    p.resolve(reply);
  };

  const unsubscribe = transport.onMessage((message) => {
    if (!isHostMessage(message)) return;
    switch (message.type) {
      case 'reply':
        settle(message.id, message.reply);
        break;
      case 'event':
        options.onEvent?.(message.name, message.payload);
        break;
      case 'ready':
        options.onReady?.();
        break;
      case 'fatal':
        options.onFatal?.(message.message);
        break;
    }
  });

  return {
    invoke(name, args) {
      if (closedReason !== null) return Promise.resolve(failure(closedReason, 'E_HOST_GONE'));
      const id = nextId++;
      return new Promise<InvokeReply>((resolve) => {
        const ms = timeoutFor(name);
        const timer =
          ms > 0 && Number.isFinite(ms)
            ? setTimer(
                () =>
                  settle(
                    id,
                    failure(`${name} did not answer within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`, 'E_TIMEOUT'),
                  ),
                ms,
              )
            : undefined;
        pending.set(id, { resolve, timer });
        try {
          transport.post({ type: 'invoke', id, name, args });
        } catch (err) {
          settle(id, failure(`Could not reach the core: ${err instanceof Error ? err.message : String(err)}`, 'E_HOST_GONE'));
        }
      });
    },
    shutdown() {
      if (closedReason === null) transport.post({ type: 'shutdown' });
    },
    close(reason) {
      if (closedReason !== null) return;
      closedReason = reason;
      unsubscribe();
      for (const id of [...pending.keys()]) settle(id, failure(reason, 'E_HOST_GONE'));
    },
    pendingCount: () => pending.size,
  };
}

/** The part of a core the server needs (structurally satisfied by `Core` from src/core). */
export interface ServableCore {
  invokeUntrusted(name: unknown, args: unknown): Promise<InvokeReply>;
  events: { onAny(listener: (name: string, payload: unknown) => void): () => void };
  close(): Promise<void>;
}

/** Options for {@link serveCore}. */
export interface CoreServerOptions {
  /** Called after a `shutdown` request closed the core (the host exits here). */
  onShutdown?: () => void;
  /** Turns a startup failure into a message; defaults to the error's message. */
  describeError?: (err: unknown) => string;
}

/** The utility-process side of the channel. */
export interface CoreServer {
  /** Stops forwarding events, closes the core (once the start finished) and detaches from the transport. */
  close(): Promise<void>;
}

/**
 * Serves `core` (a promise, so requests that arrive while the library opens wait for it) over
 * `transport`. Posts `ready` or `fatal` once the start settles; while failed, every request is answered
 * with an `E_STARTUP` error carrying the startup message.
 */
export function serveCore(transport: Transport<HostMessage>, core: Promise<ServableCore>, options: CoreServerOptions = {}): CoreServer {
  const describe = options.describeError ?? ((err: unknown) => (err instanceof Error ? err.message : String(err)));
  let stopEvents: (() => void) | null = null;
  let closing: Promise<void> | null = null;
  const started: Promise<{ core: ServableCore } | { error: string }> = core.then(
    (c) => ({ core: c }),
    (err: unknown) => ({ error: describe(err) }),
  );

  void started.then((s) => {
    if ('error' in s) return transport.post({ type: 'fatal', message: s.error });
    if (closing) return;
    stopEvents = s.core.events.onAny((name, payload) => transport.post({ type: 'event', name, payload }));
    transport.post({ type: 'ready' });
  });

  const close = (): Promise<void> => {
    closing ??= (async () => {
      unsubscribe();
      stopEvents?.();
      stopEvents = null;
      const s = await started;
      if ('core' in s) await s.core.close();
    })();
    return closing;
  };

  const unsubscribe = transport.onMessage((message) => {
    if (!isMainMessage(message)) return;
    if (message.type === 'shutdown') {
      void close().finally(() => options.onShutdown?.());
      return;
    }
    const { id, name, args } = message;
    void started
      .then((s) =>
        'error' in s ? failure(`The library could not be opened: ${s.error}`, 'E_STARTUP') : s.core.invokeUntrusted(name, args),
      )
      .catch((err: unknown) => failure(describe(err), 'E_INTERNAL'))
      .then((reply) => {
        try {
          transport.post({ type: 'reply', id, reply });
        } catch (err) {
          transport.post({ type: 'reply', id, reply: failure(`${name}: the result could not be sent (${describe(err)})`, 'E_INTERNAL') });
        }
      });
  });

  return { close };
}
