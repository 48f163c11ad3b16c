import type { CoreEvents, HandlerArgs, HandlerName, HandlerResult, RunResult } from './compose.js';

/**
 * The API a host exposes to a client (the preload bridge to the renderer, the test transport to the
 * e2e suite): one invoke channel plus typed events, all derived from the core's handler maps.
 */
export interface MoodshelfApi {
  invoke<K extends HandlerName>(name: K, ...args: HandlerArgs<K>): Promise<HandlerResult<K>>;
  on<E extends keyof CoreEvents>(name: E, listener: (payload: CoreEvents[E]) => void): () => void;
}

/** An invocation as it crosses a process boundary. */
export interface InvokeRequest {
  name: string;
  args: unknown[];
}

/** The reply to an invocation: a value, or an error a person can read. */
export type InvokeReply = { ok: true; value: unknown } | { ok: false; error: { message: string; code: string } };

/** Channel names used by the Electron shell; one for invoke, one for events. */
export const IPC_INVOKE = 'moodshelf:invoke';
/** The event channel: payload `{ name, payload }`. */
export const IPC_EVENT = 'moodshelf:event';
/** The desktop shell's native folder dialog (not part of the core API: the CLI and tests have none). */
export const IPC_PICK_FOLDER = 'moodshelf:pick-folder';

/** What only the desktop shell offers the page, beside the core API. */
export interface ShellApi {
  /** Opens the OS folder dialog; resolves with the chosen folder, or null when cancelled. */
  pickFolder(): Promise<string | null>;
}

export type { CoreEvents, HandlerArgs, HandlerName, HandlerResult, RunResult };
export type { JobInfo, JobProgress, JobState, JobTicket } from './kernel/jobs.js';
export type { WriteGrant } from './kernel/write-grants.js';
