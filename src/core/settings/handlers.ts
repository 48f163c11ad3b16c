import type { CoreContext } from '../api/context.js';
import { asObject, optionalEnum, optionalInt, optionalString } from '../kernel/validate-legacy.js';
import { parsePolicy, policyToString } from '../analysis/service.js';
import { getSetting, setSetting } from '../model/pack-store.js';
import type { Db } from '../kernel/database.js';

/** Preferences people set in the settings panel (stored in the database, shared by app and CLI). */
export interface Settings {
  /** Default analysis policy for the library: "quick:N" or "full". */
  analysisPolicy: string;
  /** ONNX Runtime threads for analysis (0 = automatic). Applies from the next start. */
  threads: number;
  theme: 'system' | 'light' | 'dark';
}

const DEFAULTS: Settings = { analysisPolicy: 'quick:3', threads: 0, theme: 'system' };
const THEMES = ['system', 'light', 'dark'] as const;

/** Reads the settings, defaults filled in. */
export function readSettings(db: Db): Settings {
  return {
    analysisPolicy: getSetting(db, 'analysis_policy') ?? DEFAULTS.analysisPolicy,
    threads: Number(getSetting(db, 'threads') ?? DEFAULTS.threads),
    theme: (getSetting(db, 'theme') as Settings['theme'] | undefined) ?? DEFAULTS.theme,
  };
}

/** Handlers for settings. Their signatures are the API contract. */
export function createSettingsHandlers(ctx: CoreContext) {
  return {
    /** Current settings. */
    'settings-get': (): Settings => readSettings(ctx.db),
    /** Changes some settings (each validated) and returns all of them. */
    'settings-set': (params: Partial<Settings>): Settings => {
      const o = asObject(params, 'settings-set');
      const policy = optionalString(o, 'analysisPolicy', 'settings-set');
      if (policy !== undefined) setSetting(ctx.db, 'analysis_policy', policyToString(parsePolicy(policy)));
      const threads = optionalInt(o, 'threads', 'settings-set', 0, 64);
      if (threads !== undefined) setSetting(ctx.db, 'threads', String(threads));
      const theme = optionalEnum(o, 'theme', 'settings-set', THEMES);
      if (theme !== undefined) setSetting(ctx.db, 'theme', theme);
      return readSettings(ctx.db);
    },
  };
}

/** The settings part of the API contract, derived from the implementation. */
export type SettingsHandlers = ReturnType<typeof createSettingsHandlers>;
