/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { MoodshelfApi, ShellApi } from '../../core/contract.js';

declare global {
  interface Window {
    /** Exposed by the preload script (src/preload/index.ts); absent outside Electron. */
    moodshelf?: MoodshelfApi;
    /** Where tracks are played from (a test host serves them over HTTP); default `moodshelf-media://track/`. */
    moodshelfMediaBase?: string;
    /** Where cover pictures come from (the test host's override); default `moodshelf-media://artwork/`. */
    moodshelfArtworkBase?: string;
    /** Desktop-only features (a native folder dialog); absent in a browser host. */
    moodshelfShell?: ShellApi;
  }
}

export {};
