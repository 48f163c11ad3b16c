// The shell's OS dialogs for the page: pick a music folder (a path to read), and pick where to write (a
// file in a Save dialog, or a folder for an export). A write choice is turned into a write grant by the
// core (CoreClient.grantWrite); the page only ever gets the grant's token, which the core then accepts as
// a handler's `target`. Every request is answered only for our own window showing our own page.
import { app, dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IPC_PICK_EXPORT_FOLDER, IPC_PICK_FOLDER, IPC_PICK_SAVE_FILE, type SaveFileRequest, type WriteGrant } from '../core/contract.js';
import type { Logger } from '../core/kernel/logger.js';
import type { GrantKind, GrantReply } from './core-channel.js';
import { parseExportFolderRequest, parseSaveFileRequest, type ExportFolderRequest } from './shell-requests.js';

/** What the dialogs need from the main process. */
export interface ShellDialogDeps {
  /** The app window (dialogs are modal to it), or null while there is none. */
  window(): BrowserWindow | null;
  /** True when the IPC came from our window's top frame showing our page. */
  trusted(event: IpcMainInvokeEvent): boolean;
  /** Asks the core to record a write grant. */
  grant(path: string, kind: GrantKind, overwrite: boolean): Promise<GrantReply>;
  log: Logger;
}

/** Where a Save dialog opens: the user's Documents folder, with the page's suggested name. */
function defaultSavePath(name: string): string {
  try {
    return join(app.getPath('documents'), name);
  } catch {
    return name;
  }
}

/** Turns the core's answer into what the page gets: the grant, or an error it shows. */
function grantOrThrow(reply: GrantReply, deps: ShellDialogDeps): WriteGrant {
  if (reply.ok) return reply.value;
  deps.log.error('the core refused a write grant', { code: reply.error.code, message: reply.error.message });
  throw new Error(reply.error.message);
}

/** The Save dialog: the OS asks before replacing a file, so the grant may overwrite exactly when the file exists. */
async function pickSaveFile(win: BrowserWindow, request: SaveFileRequest, deps: ShellDialogDeps): Promise<WriteGrant | null> {
  const r = await dialog.showSaveDialog(win, {
    title: request.title ?? 'Save',
    defaultPath: defaultSavePath(request.defaultName),
    filters: request.filters,
    properties: ['showOverwriteConfirmation', 'createDirectory'],
  });
  if (r.canceled || !r.filePath) return null;
  return grantOrThrow(await deps.grant(r.filePath, 'file', existsSync(r.filePath)), deps);
}

/** The export-folder dialog: a folder the export writes new files into (never replacing any). */
async function pickExportFolder(win: BrowserWindow, request: ExportFolderRequest, deps: ShellDialogDeps): Promise<WriteGrant | null> {
  const r = await dialog.showOpenDialog(win, {
    title: request.title ?? 'Choose a folder to export to',
    properties: ['openDirectory', 'createDirectory'],
  });
  const folder = r.canceled ? undefined : r.filePaths[0];
  if (!folder) return null;
  return grantOrThrow(await deps.grant(folder, 'folder', false), deps);
}

/** The music-folder dialog: a folder to read, so no grant. */
async function pickFolder(win: BrowserWindow): Promise<string | null> {
  const r = await dialog.showOpenDialog(win, { title: 'Add a music folder', properties: ['openDirectory'] });
  return r.canceled ? null : (r.filePaths[0] ?? null);
}

/** The window to show a dialog on, when the request came from our page; else null (the request is ignored). */
function dialogWindow(event: IpcMainInvokeEvent, deps: ShellDialogDeps, channel: string): BrowserWindow | null {
  const win = deps.window();
  if (!win || !deps.trusted(event)) {
    deps.log.warn('rejected a dialog request from an untrusted sender', { channel, url: event.senderFrame?.url ?? null });
    return null;
  }
  return win;
}

/** Registers the IPC handlers of the three dialogs (once, at start). */
export function registerShellDialogs(deps: ShellDialogDeps): void {
  ipcMain.handle(IPC_PICK_FOLDER, async (event): Promise<string | null> => {
    const win = dialogWindow(event, deps, IPC_PICK_FOLDER);
    return win ? pickFolder(win) : null;
  });
  ipcMain.handle(IPC_PICK_SAVE_FILE, async (event, raw: unknown): Promise<WriteGrant | null> => {
    const win = dialogWindow(event, deps, IPC_PICK_SAVE_FILE);
    if (!win) return null;
    const request = parseSaveFileRequest(raw);
    if (!request) throw new Error('The Save dialog was asked for with a malformed request');
    return pickSaveFile(win, request, deps);
  });
  ipcMain.handle(IPC_PICK_EXPORT_FOLDER, async (event, raw: unknown): Promise<WriteGrant | null> => {
    const win = dialogWindow(event, deps, IPC_PICK_EXPORT_FOLDER);
    if (!win) return null;
    const request = parseExportFolderRequest(raw);
    if (!request) throw new Error('The export folder dialog was asked for with a malformed request');
    return pickExportFolder(win, request, deps);
  });
}
