// The preload bridge: exposes `window.moodshelf` (MoodshelfApi) to the sandboxed renderer. It runs in a
// sandbox, so it is bundled as CommonJS and may only import `electron`; the contract module it
// imports holds types and two string constants, which get inlined.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC_EVENT,
  IPC_INVOKE,
  IPC_PICK_FOLDER,
  type CoreEvents,
  type InvokeReply,
  type MoodshelfApi,
  type ShellApi,
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

const shell: ShellApi = {
  pickFolder: async () => {
    const picked = (await ipcRenderer.invoke(IPC_PICK_FOLDER)) as unknown;
    return typeof picked === 'string' ? picked : null;
  },
};
contextBridge.exposeInMainWorld('moodshelfShell', shell);
