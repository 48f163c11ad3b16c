import type { AnalysisProgress, AnalysisSummary } from '../analysis/service.js';
import type { ScanProgress, ScanResult } from '../library/scanner.js';
import type { InstallProgress } from '../model/install.js';

/**
 * Every event the core emits, with its payload. Hosts forward these verbatim (IPC, CLI progress bar),
 * so this map is the single source of truth for event names and shapes.
 */
export interface CoreEvents {
  'scan-progress': ScanProgress;
  'scan-finished': ScanResult;
  'library-changed': { reason: 'scan' | 'folders' };
  'watcher-error': { folder: string; message: string };
  'analysis-progress': AnalysisProgress;
  'analysis-track-done': { trackId: number; ok: boolean; error: string | null };
  'analysis-finished': AnalysisSummary;
  'model-install-progress': InstallProgress;
  'models-changed': { activePack: string | null };
  /** Tags were accepted, rejected, added, removed, undone or redone on these tracks. */
  'tags-changed': { trackIds: number[] };
  /** A saved playlist was created, changed or deleted. */
  'playlists-changed': { id: number; change: 'saved' | 'renamed' | 'deleted' };
}

/** A listener for one event. */
export type Listener<K extends keyof CoreEvents> = (payload: CoreEvents[K]) => void;

/** A small typed event bus; `on` returns an unsubscribe function so callers cannot leak listeners. */
export interface EventBus {
  on<K extends keyof CoreEvents>(name: K, listener: Listener<K>): () => void;
  onAny(listener: <K extends keyof CoreEvents>(name: K, payload: CoreEvents[K]) => void): () => void;
  emit<K extends keyof CoreEvents>(name: K, payload: CoreEvents[K]): void;
}

type AnyListener = <K extends keyof CoreEvents>(name: K, payload: CoreEvents[K]) => void;

/** Creates the core's event bus. A throwing listener never breaks the emitter or other listeners. */
export function createEventBus(onListenerError: (err: unknown) => void = () => {}): EventBus {
  const listeners = new Map<keyof CoreEvents, Set<(payload: never) => void>>();
  const anyListeners = new Set<AnyListener>();
  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      onListenerError(err);
    }
  };
  return {
    on(name, listener) {
      const set = listeners.get(name) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(name, set);
      return () => set.delete(listener as (payload: never) => void);
    },
    onAny(listener) {
      anyListeners.add(listener);
      return () => anyListeners.delete(listener);
    },
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) safely(() => (l as Listener<typeof name>)(payload));
      for (const l of anyListeners) safely(() => l(name, payload));
    },
  };
}
