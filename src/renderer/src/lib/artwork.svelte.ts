// Cover pictures in the page: the core finds them after a scan (in the background), so a thumbnail shown
// before its picture was found must reload when the `artwork-updated` event names its track. Each track
// has a version that changes its URL then; a picture that answers 404 shows the placeholder. The library
// table shows pictures only for the tracks the core says have one (`artwork-tracks`), so scrolling a big
// library without covers requests nothing.
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { artworkUrl, getBridge } from './bridge.js';

const versions = new SvelteMap<number, number>();
/** Tracks known to have a picture. */
const known = new SvelteSet<number>();
let generation = 0;

/** The URL of a track's cover, changed when the core reports a new picture for it. */
export function coverUrl(trackId: number): string {
  return artworkUrl(trackId, versions.get(trackId) ?? 0);
}

/** Whether the core reported a picture for this track (the table's thumbnails ask only then). */
export function hasCover(trackId: number): boolean {
  return known.has(trackId);
}

/** Loads which tracks have pictures and follows `artwork-updated` (the play bar connects it once for the page). */
export function connectArtwork(): () => void {
  const bridge = getBridge();
  const off = bridge.on('artwork-updated', (e) => {
    generation += 1;
    for (const id of e.trackIds) {
      versions.set(id, generation);
      known.add(id);
    }
  });
  const offLibrary = bridge.on('library-changed', () => void load());
  const load = async (): Promise<void> => {
    try {
      const ids = await bridge.invoke('artwork-tracks');
      known.clear();
      for (const id of ids) known.add(id);
    } catch {
      // Thumbnails stay placeholders; the inspector and the play bar still ask for their pictures.
    }
  };
  void load();
  return () => {
    off();
    offLibrary();
  };
}
