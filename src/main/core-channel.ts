/**
 * core-channel: host-independent message routing between the Electron main process and the core
 * running in a utility process. Nothing here imports Electron or Node APIs, so it can be unit-tested
 * with a pair of in-memory transports (and the e2e test server runs the very same client).
 *
 * Wire protocol (plain, structured-cloneable objects):
 *   main -> host   { type: 'invoke', id, name, args }            run one handler (what the page asked)
 *                  { type: 'grant', id, path, kind, overwrite }   record a write grant (the shell only)
 *                  { type: 'shutdown' }                           close the core, then exit
 *   host -> main   { type: 'reply', id, reply }                   the InvokeReply for request `id`
 *                  { type: 'event', name, payload }               a core event, forwarded verbatim
 *                  { type: 'ready' }                              the core opened its library
 *                  { type: 'fatal', message }                     the core could not start
 *
 * The page reaches only `invoke` (through IPC_INVOKE); `grant` is sent by the main process after the
 * user picked a file or folder in an OS dialog, so a page can never mint a grant for itself.
 *
 * API:
 *   - {@link createCoreClient}(transport, options?) -> {@link CoreClient}: used by the main process (and
 *     the e2e test server). `invoke(name, args)` and `grantWrite(...)` never reject: they resolve with a
 *     reply, an `E_TIMEOUT` error after the request timeout ({@link DEFAULT_TIMEOUT_MS} unless set), or
 *     `E_HOST_GONE` once `close()` was called (host exited).
 *   - {@link serveCore}(transport, core) -> {@link CoreServer}: used by the utility process. Answers invoke
 *     requests with `core.invokeUntrusted`, grant requests with `core.grantWrite`, forwards
 *     `core.events.onAny`, posts `ready`/`fatal`.
 *   - {@link isHostMessage} / {@link isMainMessage}: shape guards for untrusted messages.
 *   - {@link parseInvokeRequest}: the shell's check of what the page sends (IPC, or the e2e server's POST).
 */
import type { InvokeReply, InvokeRequest, WriteGrant } from '../core/contract.js';

/** What the user picked: one file to write, or a folder to write into. */
export type GrantKind = WriteGrant['kind'];

/** A message the main process sends to the core host. */
export type MainMessage =
  | { type: 'invoke'; id: number; name: string; args: unknown[] }
  | { type: 'grant'; id: number; path: string; kind: GrantKind; overwrite: boolean }
  | { type: 'shutdown' };

/** A message the core host sends to the main process. */
export type HostMessage =
  | { type: 'reply'; id: number; reply: InvokeReply }
  | { type: 'event'; name: string; payload: unknown }
  | { type: 'ready' }
  | { type: 'fatal'; message: string };

/** The answer to a grant request: the grant, or an error a person can read. */
export type GrantReply = { ok: true; value: WriteGrant } | { ok: false; error: { message: string; code: string } };

/**
 * One end of a message pipe: `post` sends, `onMessage` subscribes and returns an unsubscribe function.
 * `In` is what arrives, `Out` what is sent.
 */
export interface Transport<Out, In = unknown> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): () => void;
}

/**
 * How long the shell waits for any request: long work (a scan, an install, an export) answers at once
 * with a job ticket and reports its end as events, so every request is short and a silent core is a
 * fault the user should hear about.
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isReply(value: unknown): value is InvokeReply {
  if (!isRecord(value)) return false;
  if (value.ok === true) return 'value' in value;
  return value.ok === false && isRecord(value.error) && typeof value.error.message === 'string' && typeof value.error.code === 'string';
}

function isGrantKind(value: unknown): value is GrantKind {
  return value === 'file' || value === 'folder';
}

/** True when `value` has the shape of a {@link WriteGrant} (the shell checks what the host answers). */
export function isWriteGrant(value: unknown): value is WriteGrant {
  return (
    isRecord(value) &&
    typeof value.token === 'string' &&
    typeof value.path === 'string' &&
    isGrantKind(value.kind) &&
    typeof value.overwrite === 'boolean'
  );
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
  switch (value.type) {
    case 'shutdown':
      return true;
    case 'invoke':
      return Number.isSafeInteger(value.id) && typeof value.name === 'string' && Array.isArray(value.args);
    case 'grant':
      return (
        Number.isSafeInteger(value.id) && typeof value.path === 'string' && isGrantKind(value.kind) && typeof value.overwrite === 'boolean'
      );
    default:
      return false;
  }
}

/**
 * A page's invoke request, checked before it is relayed: a handler name and an argument list (the core
 * checks the rest). Shared by the desktop shell (IPC_INVOKE) and the e2e test server (POST /invoke).
 */
export function parseInvokeRequest(raw: unknown): InvokeRequest | null {
  if (!isRecord(raw) || typeof raw.name !== 'string' || !Array.isArray(raw.args)) return null;
  return { name: raw.name, args: raw.args };
}

/** An error reply with a readable message. */
function failure(message: string, code: string): { ok: false; error: { message: string; code: string } } {
  return { ok: false, error: { message, code } };
}

/** "3 s" or "250 ms", for timeout messages. */
function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** Options for {@link createCoreClient}. */
export interface CoreClientOptions {
  /** Per-request timeout in ms, the same for every request (default {@link DEFAULT_TIMEOUT_MS}; 0 or Infinity: none). */
  timeoutMs?: number;
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
  /**
   * Asks the core to record what the user picked in a shell dialog; resolves with the grant whose token
   * the page then passes as a write target. Only the shell calls this, never on the page's behalf
   * without a dialog. Never rejects.
   */
  grantWrite(path: string, kind: GrantKind, overwrite: boolean): Promise<GrantReply>;
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

/** Checks a grant request's reply: the host must answer with a grant. */
function toGrantReply(reply: InvokeReply): GrantReply {
  if (!reply.ok) return reply;
  return isWriteGrant(reply.value)
    ? { ok: true, value: reply.value }
    : failure('The core answered a write grant request oddly', 'E_INTERNAL');
}

/**
 * Creates the main-process client over `transport`. Request ids are assigned here, replies are matched
 * to them, unknown or duplicate replies are ignored, and each request is settled exactly once.
 */
export function createCoreClient(transport: Transport<MainMessage>, options: CoreClientOptions = {}): CoreClient {
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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

  /** Sends the message built for a fresh id and waits for its reply (or the timeout, or the host's end). */
  const request = (label: string, build: (id: number) => MainMessage): Promise<InvokeReply> => {
    if (closedReason !== null) return Promise.resolve(failure(closedReason, 'E_HOST_GONE'));
    const id = nextId++;
    return new Promise<InvokeReply>((resolve) => {
      const timer =
        timeoutMs > 0 && Number.isFinite(timeoutMs)
          ? setTimer(() => settle(id, failure(`${label} did not answer within ${formatMs(timeoutMs)}`, 'E_TIMEOUT')), timeoutMs)
          : undefined;
      pending.set(id, { resolve, timer });
      try {
        transport.post(build(id));
      } catch (err) {
        settle(id, failure(`Could not reach the core: ${err instanceof Error ? err.message : String(err)}`, 'E_HOST_GONE'));
      }
    });
  };

  return {
    invoke: (name, args) => request(name, (id) => ({ type: 'invoke', id, name, args })),
    grantWrite: async (path, kind, overwrite) =>
      toGrantReply(await request('The write grant', (id) => ({ type: 'grant', id, path, kind, overwrite }))),
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
  grantWrite(path: string, kind: GrantKind, overwrite: boolean): WriteGrant;
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

type Started = { core: ServableCore } | { error: string };

/** The error code a thrown error carries (a core UserError has one), else E_INTERNAL. */
function errorCode(err: unknown): string {
  const code = isRecord(err) ? err.code : undefined;
  return typeof code === 'string' && code.startsWith('E_') ? code : 'E_INTERNAL';
}

/** Records a grant in a started core; a refused path (not absolute) comes back as an error reply. */
function grantReply(s: Started, m: Extract<MainMessage, { type: 'grant' }>, describe: (err: unknown) => string): InvokeReply {
  if ('error' in s) return failure(`The library could not be opened: ${s.error}`, 'E_STARTUP');
  try {
    return { ok: true, value: s.core.grantWrite(m.path, m.kind, m.overwrite) };
  } catch (err) {
    return failure(describe(err), errorCode(err));
  }
}

/** Runs one request against the started core and resolves with its reply. */
async function answer(s: Started, m: Exclude<MainMessage, { type: 'shutdown' }>, describe: (err: unknown) => string): Promise<InvokeReply> {
  if (m.type === 'grant') return grantReply(s, m, describe);
  if ('error' in s) return failure(`The library could not be opened: ${s.error}`, 'E_STARTUP');
  return s.core.invokeUntrusted(m.name, m.args);
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
  const started: Promise<Started> = core.then(
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

  const reply = (id: number, label: string, value: InvokeReply): void => {
    try {
      transport.post({ type: 'reply', id, reply: value });
    } catch (err) {
      transport.post({ type: 'reply', id, reply: failure(`${label}: the result could not be sent (${describe(err)})`, 'E_INTERNAL') });
    }
  };

  const unsubscribe = transport.onMessage((message) => {
    if (!isMainMessage(message)) return;
    if (message.type === 'shutdown') {
      void close().finally(() => options.onShutdown?.());
      return;
    }
    const label = message.type === 'invoke' ? message.name : 'grant';
    void started
      .then((s) => answer(s, message, describe))
      .catch((err: unknown) => failure(describe(err), 'E_INTERNAL'))
      .then((value) => reply(message.id, label, value));
  });

  return { close };
}
