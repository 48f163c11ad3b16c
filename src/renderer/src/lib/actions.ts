// Library actions shared by the settings panel and the first-run flow.
import { errorText, getBridge } from './bridge.js';
import { app } from './app-state.svelte.js';

/** Adds a folder and scans the library; returns an error message, or null. */
export async function addFolderAndScan(path: string): Promise<string | null> {
  try {
    await getBridge().invoke('library-add', { path });
    await app.reload();
  } catch (err) {
    return errorText(err);
  }
  await scanLibrary();
  return null;
}

/** Scans the library folders (progress arrives as events). */
export async function scanLibrary(): Promise<void> {
  app.scanning = true;
  try {
    app.lastScan = await getBridge().invoke('library-scan');
  } catch (err) {
    app.notify(`The scan failed: ${errorText(err)}`, 'error');
  } finally {
    app.scanning = false;
    app.scan = null;
    app.libraryVersion++;
    await app.attempt('Could not refresh', () => app.reload());
  }
}
