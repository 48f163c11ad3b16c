import { app, Menu, type MenuItemConstructorOptions } from 'electron';

/** Installs the minimal application menu: Rescan library and Quit, plus the standard Edit roles. */
export function installAppMenu(actions: { rescan: () => void }): void {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Rescan library', accelerator: 'CmdOrCtrl+Shift+R', click: () => actions.rescan() },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit', label: 'Quit' },
      ],
    },
    { role: 'editMenu' },
    ...(app.isPackaged ? [] : [{ role: 'viewMenu' as const }]),
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
