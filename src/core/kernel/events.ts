/**
 * A generic typed event bus. Each domain declares its own event map (`<domain>/events.ts`) and its
 * service takes an `Emitter` of just that map; the composition root merges the maps into the core's
 * `CoreEvents` and creates one bus for all of them. Nothing here knows any domain.
 */

/** An event map: event name -> payload type. */
export type EventMap = { [name: string]: unknown };

/** A listener for one event of map `E`. */
export type Listener<E extends EventMap, K extends keyof E> = (payload: E[K]) => void;

/** A listener for every event of map `E`. */
export type AnyListener<E extends EventMap> = <K extends keyof E & string>(name: K, payload: E[K]) => void;

/** What a service needs to announce its events: nothing more, so it cannot listen to other domains by accident. */
export interface Emitter<E extends EventMap> {
  emit<K extends keyof E & string>(name: K, payload: E[K]): void;
}

/** A subscribable bus; `on` and `onAny` return an unsubscribe function so callers cannot leak listeners. */
export interface EventBus<E extends EventMap> extends Emitter<E> {
  on<K extends keyof E & string>(name: K, listener: Listener<E, K>): () => void;
  onAny(listener: AnyListener<E>): () => void;
}

/** Creates a bus. A throwing listener never breaks the emitter or the other listeners. */
export function createEventBus<E extends EventMap>(onListenerError: (err: unknown) => void = () => {}): EventBus<E> {
  const listeners = new Map<keyof E, Set<(payload: never) => void>>();
  const anyListeners = new Set<AnyListener<E>>();
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
      for (const l of listeners.get(name) ?? []) safely(() => (l as (p: typeof payload) => void)(payload));
      for (const l of anyListeners) safely(() => l(name, payload));
    },
  };
}
