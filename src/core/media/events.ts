import type { PeaksEvents } from './peaks.js';

/** The media domain's events: pictures found by the artwork pass, waveform peaks computed. */
export type MediaEvents = PeaksEvents & {
  /** Tracks whose picture was found or changed (the page reloads their thumbnails). */
  'artwork-updated': { trackIds: number[] };
};
