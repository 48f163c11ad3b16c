// The reactive list of core jobs for the views: running jobs (with progress) and recent ends, loaded
// from jobs-list at start-up and kept current by the job-* events, so progress survives switching views
// and reloading the page. The activity list in the sidebar shows it; panels look up their own job here.
import type { JobInfo } from '../../../core/contract.js';
import { getBridge } from './bridge.js';
import { isClaimed, JobBook } from './job-client.js';

/** The kinds of job the views look up (the core names them). */
export const JOB_KIND = {
  scan: 'library-scan',
  install: 'models-install',
  fileTagsPreview: 'filetags-preview',
  fileTagsWrite: 'filetags-write',
  fileTagsUndo: 'filetags-undo',
  playlistExport: 'playlists-export',
  labelsAlign: 'labels-align',
} as const;

/** How long a job's end waits for a caller on this page to claim it before the activity list reports it. */
const CLAIM_GRACE_MS = 1500;

/** What the activity list reports about a job nobody on this page waited for. */
export type JobEndReport = (info: JobInfo, adopted: boolean) => void;

class JobsState {
  /** Running jobs first (oldest first), then recent ends (newest first). */
  list = $state<JobInfo[]>([]);
  /** True once the first jobs-list answer is in. */
  loaded = $state(false);
  /** Bumped whenever a job ends (views that show a job's outcome reload on it). */
  ended = $state(0);

  #book = new JobBook();
  #connected = false;
  /** Jobs that were running when this page loaded (started before a reload, or elsewhere). */
  #adopted = new Set<string>();

  /** The running jobs. */
  get running(): JobInfo[] {
    return this.list.filter((j) => j.state === 'running');
  }

  /** The running job of `kind` (and `key`, when given), or null. */
  find(kind: string, key?: string): JobInfo | null {
    return this.list.find((j) => j.state === 'running' && j.kind === kind && (key === undefined || j.key === key)) ?? null;
  }

  /** A job by id (running or recent), or null. */
  get(id: string | null): JobInfo | null {
    return id === null ? null : (this.list.find((j) => j.id === id) ?? null);
  }

  /** Asks the core to cancel a job; resolves false when it was not running or cannot be cancelled. */
  async cancel(id: string): Promise<boolean> {
    const r = await getBridge().invoke('jobs-cancel', { id });
    return r.cancelled;
  }

  /**
   * Subscribes to the job events and loads the list (once). `report` hears about jobs that ended with
   * nobody on this page waiting for them: failures, and the ends of jobs adopted at start-up.
   */
  connect(report: JobEndReport): () => void {
    if (this.#connected) return () => {};
    this.#connected = true;
    const b = getBridge();
    const sync = (): void => {
      this.list = this.#book.list();
    };
    // Bookkeeping only (never rendered), so a plain set.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const offs = [
      b.on('job-started', (payload) => {
        this.#book.apply({ name: 'job-started', payload });
        sync();
      }),
      b.on('job-progress', (payload) => {
        this.#book.apply({ name: 'job-progress', payload });
        sync();
      }),
      b.on('job-finished', (payload) => {
        this.#book.apply({ name: 'job-finished', payload });
        sync();
        this.ended++;
        const adopted = this.#adopted.delete(payload.id);
        if (payload.state === 'cancelled') return;
        if (payload.state === 'done' && !adopted) return;
        // A job from before this page loaded has nobody here waiting unless a start joined it since.
        if (adopted) {
          if (!isClaimed(payload.id)) report(payload, adopted);
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!isClaimed(payload.id)) report(payload, adopted);
        }, CLAIM_GRACE_MS);
        timers.add(timer);
      }),
    ];
    void this.#book
      .load(() => b.invoke('jobs-list'))
      .then(() => {
        for (const j of this.#book.list()) if (j.state === 'running') this.#adopted.add(j.id);
        sync();
        this.loaded = true;
      })
      .catch(() => {
        // An older core without jobs: the views fall back to the domain events.
        this.loaded = true;
      });
    return () => {
      this.#connected = false;
      offs.forEach((off) => off());
      timers.forEach((t) => clearTimeout(t));
    };
  }
}

/** The one job list. */
export const jobs = new JobsState();
