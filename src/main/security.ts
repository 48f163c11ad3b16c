import { app, session, type BrowserWindow, type WebContents, type WebFrameMain } from 'electron';
import { isAppUrl } from './app-url.js';

/** True when an IPC message came from the top frame of our window, showing our page. */
export function isTrustedSender(sender: WebContents, frame: WebFrameMain | null, win: BrowserWindow | null, appUrl: string): boolean {
  if (!frame || !win || win.isDestroyed() || sender !== win.webContents) return false;
  return frame.parent === null && isAppUrl(frame.url, appUrl);
}

/** Denies permissions, popups, webviews and navigation away from the app, for every web contents. */
export function hardenSessions(appUrl: string): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event, url) => {
      if (!isAppUrl(url, appUrl)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAppUrl(url, appUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
