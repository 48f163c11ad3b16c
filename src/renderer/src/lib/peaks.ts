// Waveform peaks for the inspector, from the core: computed there once per file (a decode in a worker)
// and stored, so the page never fetches and decodes a whole track to draw it. A track whose peaks are
// not stored yet answers "computing"; the `peaks-ready` event says when to ask again.
import { getBridge } from './bridge.js';

/** Peaks (0..1, the loudest bucket 1) and the decoded duration in seconds. */
export interface Peaks {
  peaks: Float32Array;
  duration: number;
}

/** Peaks already fetched this session, by track id (a few hundred bytes each; the newest kept). */
const cache = new Map<number, Peaks>();
const CACHE_SIZE = 200;

function remember(id: number, p: Peaks): Peaks {
  cache.delete(id);
  cache.set(id, p);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as number);
  return p;
}

/** The peaks of a track already fetched, or undefined (draw at once without a request). */
export function cachedPeaks(trackId: number): Peaks | undefined {
  return cache.get(trackId);
}

/** A track's peaks from the core, waiting while it computes them; rejects with the core's reason. */
export async function loadPeaks(trackId: number, signal?: AbortSignal): Promise<Peaks> {
  const hit = cache.get(trackId);
  if (hit) return hit;
  const bridge = getBridge();
  let ready: Promise<void> | null = null;
  let off: (() => void) | null = null;
  try {
    for (;;) {
      // Listen before asking, so a computation that finishes in between is not missed.
      ready = new Promise<void>((resolve, reject) => {
        off = bridge.on('peaks-ready', (e) => {
          if (e.trackId === trackId) resolve();
        });
        signal?.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')), { once: true });
      });
      // Awaited below unless the answer is already there; a cancel after that must not go unhandled.
      ready.catch(() => undefined);
      const r = await bridge.invoke('tracks-peaks', { id: trackId });
      signal?.throwIfAborted();
      if (r.status === 'ready') return remember(trackId, { peaks: Float32Array.from(r.peaks), duration: r.duration });
      if (r.status === 'failed') throw new Error(r.reason);
      await ready;
      (off as (() => void) | null)?.();
      off = null;
    }
  } finally {
    (off as (() => void) | null)?.();
  }
}
