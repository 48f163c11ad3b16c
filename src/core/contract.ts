import type { CoreEvents, HandlerArgs, HandlerName, HandlerResult, RunResult } from './compose.js';
import type { WriteGrant } from './kernel/write-grants.js';

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

/** Channels of the shell's Save and export-folder dialogs (they answer with a write grant). */
export const IPC_PICK_SAVE_FILE = 'moodshelf:pick-save-file';
/** See {@link IPC_PICK_SAVE_FILE}. */
export const IPC_PICK_EXPORT_FOLDER = 'moodshelf:pick-export-folder';

/** What the page asks the Save dialog for. */
export interface SaveFileRequest {
  title?: string;
  defaultName: string;
  filters?: { name: string; extensions: string[] }[];
}

/**
 * What only the desktop shell offers the page, beside the core API. The page never names a path to
 * write: it asks the shell, the user picks in an OS dialog (which asks before replacing a file), and
 * the page gets a grant whose token it passes as a handler's `target`.
 */
export interface ShellApi {
  /** Opens the OS folder dialog; resolves with the chosen folder, or null when cancelled. */
  pickFolder(): Promise<string | null>;
  /** Opens the Save dialog; resolves with a file grant, or null when cancelled. */
  pickSaveFile(request: SaveFileRequest): Promise<WriteGrant | null>;
  /** Opens a folder dialog for an export; resolves with a folder grant, or null when cancelled. */
  pickExportFolder(request: { title?: string }): Promise<WriteGrant | null>;
}

export type { CoreEvents, HandlerArgs, HandlerName, HandlerResult, RunResult, WriteGrant };
export type { JobInfo, JobProgress, JobState, JobTicket } from './kernel/jobs.js';
