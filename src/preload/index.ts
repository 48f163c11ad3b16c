// The preload bridge: exposes `window.moodshelf` (MoodshelfApi) and `window.moodshelfShell` (ShellApi: the
// OS dialogs) to the sandboxed renderer. It runs in a sandbox, so it is bundled as CommonJS and may only
// import `electron`; the contract module it imports holds types and string constants, which get inlined.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC_EVENT,
  IPC_INVOKE,
  IPC_PICK_EXPORT_FOLDER,
  IPC_PICK_FOLDER,
  IPC_PICK_SAVE_FILE,
  type CoreEvents,
  type InvokeReply,
  type MoodshelfApi,
  type ShellApi,
  type WriteGrant,
} from '../core/contract.js';

type AnyListener = (payload: unknown) => void;
const listeners = new Map<string, Set<AnyListener>>();

ipcRenderer.on(IPC_EVENT, (_event: IpcRendererEvent, message: unknown) => {
  if (typeof message !== 'object' || message === null) return;
  const { name, payload } = message as { name?: unknown; payload?: unknown };
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) {
    try {
      listener(payload);
    } catch {
      // A throwing listener must not stop the others.
    }
  }
});

const api: MoodshelfApi = {
  async invoke(name, ...args) {
    const reply = (await ipcRenderer.invoke(IPC_INVOKE, { name, args })) as InvokeReply;
    // contextBridge copies only an Error's message across the world boundary; the message is the part
    // written for people.
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value as never;
  },
  on<E extends keyof CoreEvents>(name: E, listener: (payload: CoreEvents[E]) => void) {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const set = listeners.get(name) ?? new Set<AnyListener>();
    const l = listener as AnyListener;
    set.add(l);
    listeners.set(name, set);
    return () => {
      set.delete(l);
    };
  },
};

contextBridge.exposeInMainWorld('moodshelf', api);

/** What the shell answered a write dialog with: a grant (copied, so the page gets plain data), or null. */
function asGrant(value: unknown): WriteGrant | null {
  if (typeof value !== 'object' || value === null) return null;
  const { token, path, kind, overwrite } = value as Partial<WriteGrant>;
  if (typeof token !== 'string' || typeof path !== 'string' || (kind !== 'file' && kind !== 'folder') || typeof overwrite !== 'boolean')
    return null;
  return { token, path, kind, overwrite };
}

const shell: ShellApi = {
  pickFolder: async () => {
    const picked = (await ipcRenderer.invoke(IPC_PICK_FOLDER)) as unknown;
    return typeof picked === 'string' ? picked : null;
  },
  pickSaveFile: async (request) => asGrant(await ipcRenderer.invoke(IPC_PICK_SAVE_FILE, request)),
  pickExportFolder: async (request) => asGrant(await ipcRenderer.invoke(IPC_PICK_EXPORT_FOLDER, request)),
};
contextBridge.exposeInMainWorld('moodshelfShell', shell);
