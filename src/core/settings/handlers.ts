import { parsePolicy, policyToString } from '../analysis/service.js';
import { getSetting, setSetting } from '../model/pack-store.js';
import type { Db } from '../kernel/database.js';
import { errorMessage } from '../kernel/errors.js';
import { bool, handler, int, oneOf, opt, params, text, v } from '../kernel/schema.js';

/** What the settings handlers need: settings live in the database. */
export interface SettingsHandlerDeps {
  db: Db;
}

/** Preferences people set in the settings panel (stored in the database, shared by app and CLI). */
export interface Settings {
  /** Default analysis policy for the library: "quick:N" or "full". */
  analysisPolicy: string;
  /** ONNX Runtime threads for analysis (0 = automatic). Applies from the next start. */
  threads: number;
  theme: 'system' | 'light' | 'dark';
  /**
   * The person chose "Skip for now" (or Esc) in the first-run dialog: it stays closed across reloads and
   * restarts until they clear this (e.g. by finishing setup from the panels, which needs no dialog).
   */
  firstRunSkipped: boolean;
}

const DEFAULTS: Settings = { analysisPolicy: 'quick:3', threads: 0, theme: 'system', firstRunSkipped: false };
const THEMES = ['system', 'light', 'dark'] as const;

/** Reads the settings, defaults filled in. */
export function readSettings(db: Db): Settings {
  return {
    analysisPolicy: getSetting(db, 'analysis_policy') ?? DEFAULTS.analysisPolicy,
    threads: Number(getSetting(db, 'threads') ?? DEFAULTS.threads),
    theme: (getSetting(db, 'theme') as Settings['theme'] | undefined) ?? DEFAULTS.theme,
    firstRunSkipped: (getSetting(db, 'first_run_skipped') ?? String(DEFAULTS.firstRunSkipped)) === 'true',
  };
}

/** An analysis policy ("quick", "quick:N", "full"), refused with parsePolicy's own explanation. */
function policy() {
  return v.pipe(
    text(100),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      try {
        parsePolicy(dataset.value);
      } catch (err) {
        addIssue({ message: `is not valid: ${errorMessage(err)}` });
      }
    }),
  );
}

/** The settings to change; each field may be left out (it then keeps its value). */
const setSchema = params({
  analysisPolicy: opt(policy()),
  threads: opt(int(0, 64)),
  theme: opt(oneOf(THEMES)),
  firstRunSkipped: opt(bool()),
});

/** Handlers for settings. Their definitions (schemas and results) are the API contract. */
export function createSettingsHandlers(deps: SettingsHandlerDeps) {
  const { db } = deps;
  return {
    /** Current settings. */
    'settings-get': handler((): Settings => readSettings(db)),
    /** Changes some settings (each validated) and returns all of them. */
    'settings-set': handler(setSchema, ({ analysisPolicy, threads, theme, firstRunSkipped }): Settings => {
      if (analysisPolicy !== undefined) setSetting(db, 'analysis_policy', policyToString(parsePolicy(analysisPolicy)));
      if (threads !== undefined) setSetting(db, 'threads', String(threads));
      if (theme !== undefined) setSetting(db, 'theme', theme);
      if (firstRunSkipped !== undefined) setSetting(db, 'first_run_skipped', String(firstRunSkipped));
      return readSettings(db);
    }),
  };
}

/** The settings part of the API contract, derived from the implementation. */
export type SettingsHandlerDefs = ReturnType<typeof createSettingsHandlers>;
