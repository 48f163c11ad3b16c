// The only module in the renderer that touches the preload API. Components call getBridge(); tests
// call setBridge() with a fake to drive the UI without Electron.
import type { MoodshelfApi } from '../../../core/contract.js';

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

/** The OS folder dialog when the host has one (the desktop app), else null (type the path instead). */
export function folderPicker(): (() => Promise<string | null>) | null {
  const shell = typeof window === 'undefined' ? undefined : window.moodshelfShell;
  return shell ? () => shell.pickFolder() : null;
}
