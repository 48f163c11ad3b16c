// App-wide state shared by the views: library status, folders, packs, the analysis queue, install
// and scan progress, preferences and notices. It subscribes to core events once (connect()).
import type { CoreEvents, HandlerResult } from '../../../core/contract.js';
import { errorText, getBridge } from './bridge.js';
import { JOB_KIND, jobs } from './jobs.svelte.js';
import type { AnalysisStatus, AnalysisSummary, InstallProgress, InstalledPack, LibraryFolder, View } from './types.js';

/** A button on a notice (e.g. "Undo"): runs once, then the notice goes. */
export interface NoticeAction {
  label: string;
  /** An accessible name when the label alone is ambiguous (e.g. "Undo accepting calm"). */
  description?: string;
  run: () => Promise<void> | void;
}

/** A message shown in the notice area. */
export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
  /** Notices of one group replace each other: a success clears the group's stale errors. */
  group: string | null;
  action: NoticeAction | null;
}

/** Options for {@link AppState.notify}. */
export interface NotifyOptions {
  group?: string;
  action?: NoticeAction;
}

/** How long a success stays (longer when it offers an action such as Undo); errors stay until dismissed. */
const INFO_MS = 4000;
const ACTION_MS = 10_000;
/** At most this many notices at once; the oldest successes go first. */
const MAX_NOTICES = 4;

/** The user's theme choice; `system` follows the OS. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const PREFS_KEY = 'moodshelf:prefs';

/** Preferences kept in the renderer's local storage. */
export interface Prefs {
  theme: ThemeChoice;
  /** Policy new analyses use: quick:N or full. */
  policy: string;
  /** The vocabulary mood chips, the emotion strip and score bars show. */
  vocabulary: string;
  /** The sidebar shows icons only (the user collapsed it; remembered across reloads). */
  sidebarCollapsed: boolean;
  /** The docked inspector's width in px on wide windows (the user dragged its edge). */
  inspectorWidth: number;
}

function loadPrefs(): Prefs {
  const defaults: Prefs = { theme: 'system', policy: 'quick:3', vocabulary: 'emotify', sidebarCollapsed: false, inspectorWidth: 480 };
  try {
    const raw = localStorage.getItem(PREFS_KEY);
    return raw ? { ...defaults, ...(JSON.parse(raw) as Partial<Prefs>) } : defaults;
  } catch {
    return defaults;
  }
}

class AppState {
  view = $state<View>('library');
  status = $state<HandlerResult<'status-get'> | null>(null);
  folders = $state<LibraryFolder[]>([]);
  packs = $state<InstalledPack[]>([]);
  analysis = $state<AnalysisStatus | null>(null);
  lastSummary = $state<AnalysisSummary | null>(null);
  /** Failures seen by this session's analyses, newest first. */
  failures = $state<{ trackId: number; error: string }[]>([]);
  install = $state<InstallProgress | null>(null);
  /** The latest scan-progress event of the running scan (null before the first one, e.g. after a reload). */
  scan = $state<CoreEvents['scan-progress'] | null>(null);
  /** A scan the core runs outside a job (a watcher's rescan) announces itself only by its events. */
  #eventScan = $state(false);
  lastScan = $state<CoreEvents['scan-finished'] | null>(null);
  notices = $state<Notice[]>([]);
  prefs = $state<Prefs>(loadPrefs());
  loaded = $state(false);
  /** Bumped when tracks, analyses or tags change so views reload. */
  libraryVersion = $state(0);
  analysisVersion = $state(0);
  labelsVersion = $state(0);
  /** Seed tracks for "more like this", handed from the inspector to the playlists view. */
  similarSeeds = $state<{ id: number; title: string }[]>([]);
  /**
   * The first-run flow was dismissed: this session (it finished), or by Skip/Esc, which is stored in the
   * core's settings (`firstRunSkipped`) so a reload or restart does not bring the dialog back.
   */
  firstRunDismissed = $state(false);

  #nextNotice = 1;
  #connected = false;
  /** Counts reload() calls: an answer is applied only when no later reload was asked for. */
  #reloads = 0;
  #latestReload: Promise<void> = Promise.resolve();
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  /** True while a scan runs (a scan job, or a watcher's rescan). */
  get scanning(): boolean {
    return jobs.find(JOB_KIND.scan) !== null || this.#eventScan;
  }

  /** The active pack, if any. */
  get activePack(): InstalledPack | undefined {
    return this.packs.find((p) => p.active);
  }

  /** Saves preferences and applies the theme. */
  savePrefs(): void {
    try {
      localStorage.setItem(PREFS_KEY, JSON.stringify(this.prefs));
    } catch {
      // Storage may be unavailable; preferences then last for the session.
    }
    this.applyTheme();
  }

  /** Sets `data-theme` on the root element (absent: follow the OS). */
  applyTheme(): void {
    const root = document.documentElement;
    if (this.prefs.theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = this.prefs.theme;
  }

  /**
   * Shows a notice. Successes go after a few seconds (longer with an action button); errors stay until
   * dismissed. A notice replaces the earlier ones of its `group`, so a later success clears a stale error
   * of the same kind and a new Undo replaces the previous one of its view.
   */
  notify(text: string, kind: Notice['kind'] = 'info', options: NotifyOptions = {}): number {
    const id = this.#nextNotice++;
    // An ungrouped error is its own source: the same error again replaces it rather than stacking.
    const group = options.group ?? (kind === 'error' ? `error:${text}` : null);
    const kept = this.notices.filter((n) => group === null || n.group !== group);
    for (const n of this.notices) if (!kept.includes(n)) this.#clearTimer(n.id);
    let next = [...kept, { id, kind, text, group, action: options.action ?? null }];
    while (next.length > MAX_NOTICES) {
      const drop = next.find((n) => n.kind === 'info') ?? next[0];
      if (!drop) break;
      this.#clearTimer(drop.id);
      next = next.filter((n) => n !== drop);
    }
    this.notices = next;
    if (kind === 'info') this.holdNotice(id, false);
    return id;
  }

  /** Pauses (`hold`) or restarts a success's timer: it stays while the pointer is over it or focus is in it. */
  holdNotice(id: number, hold: boolean): void {
    this.#clearTimer(id);
    const n = this.notices.find((x) => x.id === id);
    if (hold || !n || n.kind !== 'info') return;
    this.#timers.set(
      id,
      setTimeout(() => this.dismiss(id), n.action ? ACTION_MS : INFO_MS),
    );
  }

  #clearTimer(id: number): void {
    const t = this.#timers.get(id);
    if (t) clearTimeout(t);
    this.#timers.delete(id);
  }

  /** Removes a notice. */
  dismiss(id: number): void {
    this.#clearTimer(id);
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Removes every notice of a group (e.g. an Undo that no longer applies). */
  dismissGroup(group: string): void {
    this.dismissWhere((n) => n.group === group);
  }

  /** Removes the notices `drop` picks. */
  dismissWhere(drop: (n: Notice) => boolean): void {
    const gone = this.notices.filter(drop);
    if (gone.length === 0) return;
    for (const n of gone) this.#clearTimer(n.id);
    this.notices = this.notices.filter((n) => !gone.includes(n));
  }

  /** Runs a notice's action once, then removes the notice. */
  async runNoticeAction(id: number): Promise<void> {
    const n = this.notices.find((x) => x.id === id);
    if (!n?.action) return;
    this.dismiss(id);
    await n.action.run();
  }

  /**
   * Runs an action, turning a failure into an error notice (grouped by `what` unless `group` is given);
   * a later success of the same group clears that error, so stale errors do not pile up. Returns
   * undefined on failure.
   */
  async attempt<T>(what: string, action: () => Promise<T>, group: string = what): Promise<T | undefined> {
    try {
      const value = await action();
      this.dismissWhere((n) => n.kind === 'error' && n.group === group);
      return value;
    } catch (err) {
      this.notify(`${what}: ${errorText(err)}`, 'error', { group });
      return undefined;
    }
  }

  /**
   * Reloads status, folders, packs and the analysis state. Reloads overlap (an event's and an action's),
   * and their answers may arrive in either order: only the latest reload's answer is applied, so an older
   * answer arriving last never brings back, say, a folder just removed. An earlier call resolves once the
   * latest one is applied.
   */
  reload(): Promise<void> {
    const mine = ++this.#reloads;
    const run = (async (): Promise<void> => {
      const b = getBridge();
      const [status, folders, packs, analysis, settings] = await Promise.all([
        b.invoke('status-get'),
        b.invoke('library-folders'),
        b.invoke('models-list'),
        b.invoke('analysis-status'),
        b.invoke('settings-get'),
      ]);
      if (mine !== this.#reloads) return this.#latestReload;
      if (settings.firstRunSkipped) this.firstRunDismissed = true;
      this.status = status;
      this.folders = folders;
      this.packs = packs;
      this.analysis = analysis;
      if (!status.scanning) this.#eventScan = false;
      this.loaded = true;
    })();
    this.#latestReload = run;
    return run;
  }

  /** Closes the first-run dialog for good (Skip or Esc): stored in the core, so a reload keeps it closed. */
  async skipFirstRun(): Promise<void> {
    this.firstRunDismissed = true;
    await this.attempt(
      'Could not remember skipping the setup',
      () => getBridge().invoke('settings-set', { firstRunSkipped: true }),
      'first-run',
    );
  }

  /** Re-reads the analysis state. */
  async reloadAnalysis(): Promise<void> {
    this.analysis = await getBridge().invoke('analysis-status');
  }

  /** Subscribes to the core's events (once). */
  connect(): () => void {
    if (this.#connected) return () => {};
    this.#connected = true;
    const b = getBridge();
    let reloadTimer: ReturnType<typeof setTimeout> | null = null;
    const reloadSoon = (): void => {
      if (reloadTimer) return;
      reloadTimer = setTimeout(() => {
        reloadTimer = null;
        void this.attempt('Could not refresh the library', () => this.reload());
      }, 150);
    };
    const offs = [
      b.on('scan-progress', (p) => {
        this.#eventScan = true;
        this.scan = p;
      }),
      b.on('scan-finished', (r) => {
        this.#eventScan = false;
        this.scan = null;
        this.lastScan = r;
        this.libraryVersion++;
        reloadSoon();
      }),
      b.on('library-changed', () => {
        this.libraryVersion++;
        reloadSoon();
      }),
      b.on('watcher-error', (e) => this.notify(`Watching ${e.folder} failed: ${e.message}`, 'error', { group: `watch:${e.folder}` })),
      b.on('analysis-progress', (p) => {
        this.analysis = { ...p, counts: this.analysis?.counts ?? null };
      }),
      b.on('analysis-track-done', (d) => {
        if (!d.ok && d.error) this.failures = [{ trackId: d.trackId, error: d.error }, ...this.failures].slice(0, 200);
      }),
      b.on('analysis-finished', (s) => {
        this.lastSummary = s;
        this.analysisVersion++;
        void this.attempt('Could not read the analysis state', () => this.reloadAnalysis());
      }),
      b.on('model-install-progress', (p) => {
        this.install = p;
      }),
      b.on('models-changed', () => {
        this.install = null;
        this.analysisVersion++;
        this.labelsVersion++;
        reloadSoon();
      }),
    ];
    return () => {
      this.#connected = false;
      offs.forEach((off) => off());
    };
  }
}

/** The one app state. */
export const app = new AppState();
