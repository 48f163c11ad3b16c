// Library actions shared by the settings panel and the first-run flow: add a folder and scan, scan,
// remove a folder (asking first, with Undo).
import { errorText, getBridge } from './bridge.js';
import { app } from './app-state.svelte.js';
import { confirmAction } from './confirm.svelte.js';
import { count } from './format.js';
import { isCancelled, runJob } from './job-client.js';
import { undoStacks } from './undo.svelte.js';

/** Adds a folder and scans the library; returns an error message, or null. */
export async function addFolderAndScan(path: string): Promise<string | null> {
  try {
    await getBridge().invoke('library-add', { path });
  } catch (err) {
    return errorText(err);
  }
  // The scan starts at once; the folder list refreshes meanwhile.
  const [reloaded] = await Promise.all([
    app.reload().then(
      () => null,
      (err: unknown) => errorText(err),
    ),
    scanLibrary(),
  ]);
  return reloaded;
}

/**
 * Scans the library folders as a job (joining a scan already running) and resolves when it ends; the
 * result lands in `app.lastScan`. Progress shows in the activity list and the scan panel meanwhile.
 */
export async function scanLibrary(): Promise<void> {
  try {
    app.lastScan = await runJob(getBridge().invoke('library-scan'));
    // A scan that worked clears the error of an earlier one.
    app.dismissWhere((n) => n.kind === 'error' && n.group === 'scan');
  } catch (err) {
    if (isCancelled(err)) app.notify('Scan cancelled; what was read so far is kept.', 'info', { group: 'scan' });
    else app.notify(`The scan failed: ${errorText(err)}`, 'error', { group: 'scan' });
  } finally {
    app.scan = null;
    app.libraryVersion++;
    await app.attempt('Could not refresh', () => app.reload());
  }
}

/** Adds a folder back (undoing its removal): its kept tags and analyses return with the scan. */
async function addBack(path: string): Promise<void> {
  await getBridge().invoke('library-add', { path });
  // The scan is what restores the tracks (and with them their kept tags): start it at once, show the
  // folder meanwhile, and wait for both.
  const [scan] = await Promise.all([runJob(getBridge().invoke('library-scan')), app.reload()]);
  app.lastScan = scan;
  app.libraryVersion++;
}

/**
 * Removes a library folder after asking. The index forgets its tracks (files stay on disk); tags and
 * analyses are kept by content and come back when the folder is added again, which the notice's Undo
 * does. Purging them instead is a separate, clearly worded choice in the same dialog.
 */
export async function removeFolder(path: string): Promise<void> {
  const choice = await confirmAction({
    title: 'Remove this folder from the library?',
    message: `${path} leaves the library; the files on disk are not touched. Your tags and analyses of its tracks are kept and come back if you add the folder again.`,
    confirm: 'Remove folder',
    alternative: {
      value: 'purge',
      label: 'Remove and delete its tags',
      detail: '“Remove and delete its tags” also deletes the tags and analyses of its tracks for good; that cannot be undone.',
    },
  });
  if (choice === null) return;
  await undoStacks.perform('settings', async () => {
    const purge = choice === 'purge';
    const r = await app.attempt(
      'Could not remove the folder',
      () => getBridge().invoke('library-remove', purge ? { path, purge: true } : { path }),
      'folders',
    );
    app.libraryVersion++;
    await app.attempt('Could not refresh', () => app.reload());
    if (!r) return;
    const tracks = count(r.tracksRemoved, 'track');
    if (purge) {
      app.notify(`Removed ${r.folder.path} (${tracks}) and deleted its tags and analyses.`, 'info', { group: 'folders' });
      return;
    }
    undoStacks.record('settings', {
      text: `Removed ${r.folder.path} (${tracks}${r.kept > 0 ? '; tags and analyses kept for when it comes back' : ''}).`,
      name: `removing ${r.folder.path}`,
      group: 'folders',
      undo: () => addBack(r.folder.path),
      redo: async () => {
        await getBridge().invoke('library-remove', { path: r.folder.path });
        app.libraryVersion++;
        await app.reload();
      },
    });
  });
}
