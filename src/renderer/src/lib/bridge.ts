// The only module in the renderer that touches the preload API. Components call getBridge(); tests
// call setBridge() with a fake to drive the UI without Electron.
import type { MoodshelfApi, SaveFileRequest, ShellApi, WriteGrant } from '../../../core/contract.js';

/** What the renderer can do: invoke a core handler, subscribe to core events. */
export type Bridge = MoodshelfApi;

let override: Bridge | null = null;

/** The active bridge: the one set by {@link setBridge}, else `window.moodshelf` from the preload. */
export function getBridge(): Bridge {
  if (override) return override;
  const api = typeof window === 'undefined' ? undefined : window.moodshelf;
  if (!api) throw new Error('The Moodshelf bridge is not available: the preload script did not run.');
  return api;
}

/** Replaces the bridge (tests); `null` restores the default. */
export function setBridge(bridge: Bridge | null): void {
  override = bridge;
}

/**
 * Personal labels (a label's zero-shot vector moved by the user's own tags, used where it ranks them
 * better): each label's cross-validated figures, the per-label switch, and "why is this here".
 */
export const personalLabels = {
  list: () => getBridge().invoke('labels-personal-list'),
  figures: (label: string) => getBridge().invoke('labels-personal', { label }),
  setEnabled: (label: string, enabled: boolean) => getBridge().invoke('labels-personal-set', { label, enabled }),
  why: (trackId: number, label?: string) => getBridge().invoke('tracks-why', label === undefined ? { trackId } : { trackId, label }),
  /** Calls `listener` when a label's personal model changes (refit, dropped, switched); returns the unsubscribe. */
  onChange: (listener: () => void) => getBridge().on('personal-model-changed', listener),
};

/** The readable message of anything thrown by an invoke. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.replace(/^Error invoking remote method '[^']*': (Error: )?/, '');
  return String(err);
}

/** The URL the player loads a track from: the app's `moodshelf-media` protocol, or the host's override. */
export function mediaUrl(trackId: number): string {
  const base = typeof window === 'undefined' ? undefined : window.moodshelfMediaBase;
  return `${base ?? 'moodshelf-media://track/'}${trackId}`;
}

/**
 * The URL of a track's cover picture (`moodshelf-media://artwork/<id>`, or the host's override); it answers
 * 404 when the track has none (show a placeholder). `version` changes it when the picture was just found.
 */
export function artworkUrl(trackId: number, version = 0): string {
  const base = typeof window === 'undefined' ? undefined : window.moodshelfArtworkBase;
  return `${base ?? 'moodshelf-media://artwork/'}${trackId}${version ? `?v=${version}` : ''}`;
}

/** The OS folder dialog when the host has one (the desktop app), else null (type the path instead). */
export function folderPicker(): (() => Promise<string | null>) | null {
  const shell = typeof window === 'undefined' ? undefined : window.moodshelfShell;
  return shell ? () => shell.pickFolder() : null;
}

/** What the page asks the shell's Save dialog for (the shell contract's type). */
export type SaveFileOptions = SaveFileRequest;

/** A write grant: where the user chose to write, and the token the page passes as a handler's `target`. */
export type WriteGrantInfo = WriteGrant;

/** The shell's dialogs that hand out write grants (absent in a host without dialogs, or an older shell). */
type ShellDialogs = Partial<Pick<ShellApi, 'pickSaveFile' | 'pickExportFolder'>>;

function shellDialogs(): ShellDialogs | undefined {
  return typeof window === 'undefined' ? undefined : window.moodshelfShell;
}

/**
 * The shell's Save dialog when the host has one, else null: the page then cannot write files (it never
 * names a path itself) and says so. Resolves with a file grant, or null when the user cancelled.
 */
export function saveFilePicker(): ((o: SaveFileOptions) => Promise<WriteGrantInfo | null>) | null {
  const shell = shellDialogs();
  const pick = shell?.pickSaveFile;
  return typeof pick === 'function' ? (o) => pick.call(shell, o) : null;
}

/** The shell's export-folder dialog when the host has one, else null; resolves with a folder grant or null. */
export function exportFolderPicker(): ((o: { title?: string }) => Promise<WriteGrantInfo | null>) | null {
  const shell = shellDialogs();
  const pick = shell?.pickExportFolder;
  return typeof pick === 'function' ? (o) => pick.call(shell, o) : null;
}

/** What the page says where a write needs a dialog the host does not have. */
export const NO_SAVE_DIALOG =
  'Saving files needs the desktop app: this window has no Save dialog, and the page never writes where you did not choose.';
