// App-wide state shared by the views: library status, folders, packs, the analysis queue, install
// and scan progress, preferences and notices. It subscribes to core events once (connect()).
import type { CoreEvents, HandlerResult } from '../../../core/contract.js';
import { errorText, getBridge } from './bridge.js';
import type { AnalysisStatus, AnalysisSummary, InstallProgress, InstalledPack, LibraryFolder, View } from './types.js';

/** A transient message shown in the notice area. */
export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

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
}

function loadPrefs(): Prefs {
  const defaults: Prefs = { theme: 'system', policy: 'quick:3', vocabulary: 'emotify' };
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
  scan = $state<CoreEvents['scan-progress'] | null>(null);
  scanning = $state(false);
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
  /** The first-run flow was dismissed this session. */
  firstRunDismissed = $state(false);

  #nextNotice = 1;
  #connected = false;

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

  /** Shows a notice for a few seconds (errors stay until dismissed). */
  notify(text: string, kind: Notice['kind'] = 'info'): void {
    const id = this.#nextNotice++;
    this.notices = [...this.notices, { id, kind, text }].slice(-3);
    if (kind === 'info') setTimeout(() => this.dismiss(id), 5000);
  }

  /** Removes a notice. */
  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Runs an action, turning a failure into an error notice; returns undefined on failure. */
  async attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      this.notify(`${what}: ${errorText(err)}`, 'error');
      return undefined;
    }
  }

  /** Reloads status, folders, packs and the analysis state. */
  async reload(): Promise<void> {
    const b = getBridge();
    const [status, folders, packs, analysis] = await Promise.all([
      b.invoke('status-get'),
      b.invoke('library-folders'),
      b.invoke('models-list'),
      b.invoke('analysis-status'),
    ]);
    this.status = status;
    this.folders = folders;
    this.packs = packs;
    this.analysis = analysis;
    if (status.scanning) this.scanning = true;
    this.loaded = true;
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
        this.scanning = true;
        this.scan = p;
      }),
      b.on('scan-finished', (r) => {
        this.scanning = false;
        this.scan = null;
        this.lastScan = r;
        this.libraryVersion++;
        reloadSoon();
      }),
      b.on('library-changed', () => {
        this.libraryVersion++;
        reloadSoon();
      }),
      b.on('watcher-error', (e) => this.notify(`Watching ${e.folder} failed: ${e.message}`, 'error')),
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
