// The Electron main process: one window, a menu, and a relay between the renderer and the core, which
// runs in a utility process (core-host.ts). The renderer only ever sees `window.moodshelf` and
// `window.moodshelfShell` (preload); the page itself is served from moodshelf-app://app/ (app-protocol.ts).
import { app, BrowserWindow, dialog, ipcMain, protocol } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_EVENT, IPC_INVOKE, type InvokeReply } from '../core/contract.js';
import { APP_NAME } from '../core/kernel/data-dir.js';
import { createLogger } from '../core/kernel/logger.js';
import { installAppMenu } from './app-menu.js';
import { APP_URL, appScheme, handleAppProtocol } from './app-protocol.js';
import { parseInvokeRequest, type GrantKind, type GrantReply } from './core-channel.js';
import { checkNativeBinding, nativeBindingPath, startCoreProcess, type CoreProcess } from './core-process.js';
import { handleMediaProtocol, mediaScheme } from './media-protocol.js';
import { hardenSessions, isTrustedSender } from './security.js';
import { registerShellDialogs } from './shell-dialogs.js';

const log = createLogger('main');
const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = join(here, '../renderer');
// `electron-vite dev` serves the renderer itself (with its own fresh nonce per load, see electron.vite.config.ts).
const appUrl = process.env.ELECTRON_RENDERER_URL ?? APP_URL;

// The same folder the CLI uses by default (defaultDataDir): <appData>/Moodshelf.
app.setName(APP_NAME);
app.setPath('userData', join(app.getPath('appData'), APP_NAME));
// Before ready, in one call (Electron allows only one): the page comes from moodshelf-app://app/, the
// player streams tracks from moodshelf-media://track/<id>.
protocol.registerSchemesAsPrivileged([appScheme, mediaScheme]);

let win: BrowserWindow | null = null;
let core: CoreProcess | null = null;
let quitting = false;
let closeMedia: (() => void) | null = null;

function fail(title: string, message: string): void {
  log.error(title, { message });
  dialog.showErrorBox(title, message);
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 420,
    title: APP_NAME,
    show: false,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  w.once('ready-to-show', () => w.show());
  w.on('closed', () => {
    if (win === w) win = null;
  });
  w.loadURL(appUrl).catch((err: unknown) =>
    log.error('the app page did not load', { err: err instanceof Error ? err.message : String(err) }),
  );
  return w;
}

async function invoke(name: string, args: unknown[]): Promise<InvokeReply> {
  if (!core) return { ok: false, error: { message: 'The Moodshelf core is not running.', code: 'E_HOST_GONE' } };
  return core.client.invoke(name, args);
}

async function grantWrite(path: string, kind: GrantKind, overwrite: boolean): Promise<GrantReply> {
  if (!core) return { ok: false, error: { message: 'The Moodshelf core is not running.', code: 'E_HOST_GONE' } };
  return core.client.grantWrite(path, kind, overwrite);
}

function startCore(dataDir: string): void {
  const nativeBinding = nativeBindingPath(app.getAppPath());
  checkNativeBinding(nativeBinding);
  core = startCoreProcess({
    hostModule: join(here, 'core-host.js'),
    dataDir,
    nativeBinding,
    log: log.child('core-process'),
    onEvent: (name, payload) => {
      if (win && !win.isDestroyed()) win.webContents.send(IPC_EVENT, { name, payload });
    },
    onFatal: (message) => fail('Moodshelf could not open its library', message),
    onUnexpectedExit: (code) => {
      if (!quitting) fail('Moodshelf core stopped', `The library process exited unexpectedly (code ${code}). Restart Moodshelf.`);
    },
  });
}

ipcMain.handle(IPC_INVOKE, async (event, request: unknown): Promise<InvokeReply> => {
  if (!isTrustedSender(event.sender, event.senderFrame, win, appUrl)) {
    log.warn('rejected IPC from an untrusted sender', { url: event.senderFrame?.url ?? null });
    return { ok: false, error: { message: 'Untrusted sender', code: 'E_FORBIDDEN' } };
  }
  const r = parseInvokeRequest(request);
  if (!r) return { ok: false, error: { message: 'Malformed request', code: 'E_INVALID' } };
  return invoke(r.name, r.args);
});

registerShellDialogs({
  window: () => (win && !win.isDestroyed() ? win : null),
  trusted: (event) => isTrustedSender(event.sender, event.senderFrame, win, appUrl),
  grant: grantWrite,
  log: log.child('dialogs'),
});

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    event.preventDefault();
    quitting = true;
    closeMedia?.();
    void core.stop().finally(() => app.quit());
  });

  app.on('window-all-closed', () => app.quit());

  void app.whenReady().then(() => {
    hardenSessions(appUrl);
    const dataDir = process.env.MOODSHELF_DATA_DIR ?? app.getPath('userData');
    try {
      handleAppProtocol(rendererDir, log.child('app-protocol'));
      startCore(dataDir);
      closeMedia = handleMediaProtocol(dataDir, nativeBindingPath(app.getAppPath()), log.child('media'));
    } catch (err) {
      fail('Moodshelf cannot start', err instanceof Error ? err.message : String(err));
      app.quit();
      return;
    }
    installAppMenu({
      rescan: () => {
        void invoke('library-scan', []).then((reply) => {
          if (!reply.ok && reply.error.code !== 'E_HOST_GONE') fail('Rescan failed', reply.error.message);
        });
      },
    });
    win = createWindow();
    app.on('activate', () => {
      if (!win) win = createWindow();
    });
  });
}
