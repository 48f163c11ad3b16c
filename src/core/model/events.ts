import type { InstallProgress } from './install.js';

/** The model domain's events: install progress and a change of the installed or active packs. */
export type ModelEvents = {
  'model-install-progress': InstallProgress;
  'models-changed': { activePack: string | null };
};
