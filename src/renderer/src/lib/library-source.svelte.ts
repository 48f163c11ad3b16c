// The library table's data: a sparse, paged window over the query's rows. Column sorts page through
// tracks-list as rows scroll into view. A label sort asks scores-top for the first screen with its
// records, then scores-label for the whole ranking as ids and scores (no 50,000 records over the
// channel), then, in the background, the records of the best-ranked 1,000 rows in one request; deeper
// rows' records are fetched by id as they come into view. Filters the core does not offer (artist,
// genre, year, analysed) load the query once and filter here.
import { getBridge } from './bridge.js';
import type { LabelRanking, Track } from './types.js';

/** Columns tracks-list sorts by. */
export type ColumnSort = 'title' | 'artist' | 'album' | 'year' | 'duration' | 'genre' | 'path' | 'addedAt' | 'status';

/** What the table shows. */
export interface LibraryQuery {
  search: string;
  status: 'all' | 'ok' | 'failed' | 'missing';
  folderId: number | null;
  /** A column, or a label text to rank by score. */
  sort: { kind: 'column'; key: ColumnSort } | { kind: 'label'; label: string };
  descending: boolean;
  artist: string;
  genre: string;
  year: string;
  analysed: 'all' | 'yes' | 'no';
}

/** The default query: every track, by artist. */
export function defaultQuery(): LibraryQuery {
  return {
    search: '',
    status: 'all',
    folderId: null,
    sort: { kind: 'column', key: 'artist' },
    descending: false,
    artist: '',
    genre: '',
    year: '',
    analysed: 'all',
  };
}

/** Rows per tracks-list page. */
export const PAGE_SIZE = 200;
/** Rows scores-top returns first with their records, so a label sort shows its first screen at once. */
const FIRST_RANK_PAGE = 100;
/**
 * The best-ranked rows whose records come in one request once the ranking is in (where people look
 * first); the rest come by id as they show.
 */
const PREFETCH_RANK = 1000;
/** Track records fetched at once for ranked rows coming into view. */
const RECORD_FETCHES = 12;
/** How long a view flying past must rest before the rows in it are loaded. */
const FLING_SETTLE_MS = 80;

function needsClientFilter(q: LibraryQuery): boolean {
  return q.artist.trim() !== '' || q.genre.trim() !== '' || q.year.trim() !== '' || q.analysed !== 'all';
}

function matchesText(value: string | null, wanted: string): boolean {
  return wanted === '' || (value ?? '').toLowerCase().includes(wanted.toLowerCase());
}

function matchesYear(year: number | null, wanted: string): boolean {
  const w = wanted.trim();
  if (w === '') return true;
  const m = /^(\d{4})\s*-\s*(\d{4})$/.exec(w);
  if (m) return year !== null && year >= Number(m[1]) && year <= Number(m[2]);
  return year !== null && String(year) === w;
}

/**
 * The table's rows of a label sort: the ranking's columns kept to the tracks in `keep` (when a filter the
 * core does not offer applies), best first when descending (the ranking's own order), else reversed.
 */
function rankedColumns(
  r: LabelRanking,
  descending: boolean,
  keep: Map<number, Track> | null,
): { ids: Int32Array; scores: Float32Array; percentiles: Float32Array } {
  const total = r.trackIds.length;
  let rows: number[] | null = null;
  if (keep) {
    rows = [];
    for (let k = 0; k < total; k++) if (keep.has(r.trackIds[k] as number)) rows.push(k);
  }
  const n = rows ? rows.length : total;
  const ids = new Int32Array(n);
  const scores = new Float32Array(n);
  const percentiles = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const at = descending ? i : n - 1 - i;
    const k = rows ? (rows[at] as number) : at;
    ids[i] = r.trackIds[k] as number;
    scores[i] = r.scores[k] as number;
    percentiles[i] = r.percentiles[k] as number;
  }
  return { ids, scores, percentiles };
}

/**
 * A reactive, sparse view of the rows a query matches. `rows[i]` is undefined until its page arrives;
 * `ensure(from, to)` asks for the pages covering a visible range.
 */
export class LibrarySource {
  /** Rows matched (length of the sparse list). */
  total = $state(0);
  /** Bumped whenever rows arrive, so views re-read `row(i)`. */
  version = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Whether the whole ranking (label sort) or the whole filtered set has arrived (page loads aside). */
  complete = $state(false);
  /** A note about what the rows are (label sorts cover analysed tracks only). */
  note = $state<string | null>(null);
  /** The label sort's scores come from the user's personal model of the label (core/personal), not zero-shot. */
  personal = $state(false);

  #rows: (Track | undefined)[] = [];
  // Plain collections on purpose: `version` signals changes, so 50,000 entries carry no signal each.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pagesRequested = new Set<number>();
  /** A label sort's rows: track id, score and percentile per row (records come by id as rows show). */
  #ranked: { ids: Int32Array; scores: Float32Array; percentiles: Float32Array } | null = null;
  /** Whether the ranked rows' records load as they come into view (no filter needs them all). */
  #lazyRecords = false;
  /** The rows in view, whose records are fetched first. */
  #want: [number, number] = [0, 0];
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #recordsRequested = new Set<number>();
  #fetching = 0;
  #flingTimer: ReturnType<typeof setTimeout> | null = null;
  #bumpPending = false;
  #query: LibraryQuery = defaultQuery();
  #generation = 0;
  #analysed: Set<number> | null = null;
  /** Only column sorts without client filters page lazily. */
  #paged = true;

  /** The row at `index`, or undefined while loading. */
  row(index: number): Track | undefined {
    return this.#rows[index];
  }

  /**
   * The raw score (mean cosine) of the row at `index` for the label the table is sorted by. Numbers, not
   * an object: a row that re-reads them re-renders only when they change.
   */
  scoreAt(index: number): number | undefined {
    const r = this.#ranked;
    return r && index >= 0 && index < r.ids.length ? r.scores[index] : undefined;
  }

  /** The library percentile (0-100) of the row at `index` for the label the table is sorted by. */
  percentileAt(index: number): number | undefined {
    const r = this.#ranked;
    return r && index >= 0 && index < r.ids.length ? r.percentiles[index] : undefined;
  }

  /** The track id of the row at `index` when known (its record loaded, or a ranked row), else undefined. */
  idAt(index: number): number | undefined {
    return this.#rows[index]?.id ?? (this.#ranked && index < this.#ranked.ids.length ? this.#ranked.ids[index] : undefined);
  }

  /** The ids of every row known (for select-all): a ranking's all, a paged list's loaded pages. */
  knownIds(): number[] {
    if (this.#ranked) return Array.from(this.#ranked.ids);
    return this.#rows.flatMap((t) => (t ? [t.id] : []));
  }

  /** The index of a track among the loaded rows, or -1. */
  indexOf(trackId: number): number {
    return this.#rows.findIndex((t) => t?.id === trackId);
  }

  /** Replaces the query and loads its first rows. Resolves when the first rows are in. */
  async setQuery(q: LibraryQuery, options: { analysed?: Set<number> | null } = {}): Promise<void> {
    const gen = ++this.#generation;
    this.#query = structuredClone($state.snapshot(q)) as LibraryQuery;
    if (options.analysed !== undefined) this.#analysed = options.analysed;
    this.#pagesRequested.clear();
    this.#recordsRequested.clear();
    this.#fetching = 0;
    if (this.#flingTimer) clearTimeout(this.#flingTimer);
    this.#flingTimer = null;
    this.#ranked = null;
    this.#lazyRecords = false;
    this.error = null;
    this.note = null;
    this.personal = false;
    this.loading = true;
    this.complete = false;
    try {
      if (q.sort.kind === 'label') await this.#loadRanking(gen, q.sort.label);
      else if (needsClientFilter(q)) await this.#loadFiltered(gen);
      else await this.#loadFirstPage(gen);
    } catch (err) {
      if (gen === this.#generation) this.error = err instanceof Error ? err.message : String(err);
    } finally {
      if (gen === this.#generation) this.loading = false;
    }
  }

  /** Reloads the current query (after a scan or an analysis). */
  refresh(): Promise<void> {
    return this.setQuery(this.#query);
  }

  /**
   * Asks for the pages (or a ranking's records) covering rows [from, to). A view that moved more than its
   * own height since the last call is flying past: loading rows that are gone when they arrive only
   * costs requests and frames, so those wait until it rests.
   */
  ensure(from: number, to: number): void {
    const jump = Math.abs(from - this.#want[0]);
    this.#want = [from, to];
    if (this.#flingTimer) clearTimeout(this.#flingTimer);
    this.#flingTimer = null;
    if (!this.#lazyRecords && !this.#paged) return;
    const gen = this.#generation;
    if (jump <= to - from) return this.#loadWanted(gen);
    this.#flingTimer = setTimeout(() => {
      this.#flingTimer = null;
      this.#loadWanted(gen);
    }, FLING_SETTLE_MS);
  }

  /** Loads what the rows in view need: a ranking's records, or a column sort's pages. */
  #loadWanted(gen: number): void {
    if (gen !== this.#generation) return;
    if (this.#lazyRecords) return this.#fetchRecords(gen);
    if (!this.#paged) return;
    const [from, to] = this.#want;
    const first = Math.max(0, Math.floor(from / PAGE_SIZE));
    const last = Math.floor(Math.max(from, to - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      if (p * PAGE_SIZE >= this.total || this.#pagesRequested.has(p)) continue;
      this.#pagesRequested.add(p);
      void this.#loadPage(gen, p);
    }
  }

  #listParams(extra: { limit: number; offset: number }) {
    const q = this.#query;
    return {
      ...(q.search.trim() ? { search: q.search.trim() } : {}),
      ...(q.status !== 'all' ? { status: q.status } : {}),
      ...(q.folderId !== null ? { folderId: q.folderId } : {}),
      sort: q.sort.kind === 'column' ? q.sort.key : 'artist',
      descending: q.descending,
      ...extra,
    };
  }

  async #loadFirstPage(gen: number): Promise<void> {
    this.#paged = true;
    this.#pagesRequested.add(0);
    const page = await getBridge().invoke('tracks-list', this.#listParams({ limit: PAGE_SIZE, offset: 0 }));
    if (gen !== this.#generation) return;
    this.#rows = new Array<Track | undefined>(page.total);
    page.tracks.forEach((t, i) => (this.#rows[i] = t));
    this.total = page.total;
    this.complete = page.total <= PAGE_SIZE;
    this.version++;
    // The view may be far from the top (a new sort keeps the scroll position): its pages too.
    this.#loadWanted(gen);
  }

  async #loadPage(gen: number, p: number): Promise<void> {
    try {
      const page = await getBridge().invoke('tracks-list', this.#listParams({ limit: PAGE_SIZE, offset: p * PAGE_SIZE }));
      if (gen !== this.#generation) return;
      page.tracks.forEach((t, i) => (this.#rows[p * PAGE_SIZE + i] = t));
      this.version++;
    } catch (err) {
      this.#pagesRequested.delete(p);
      if (gen === this.#generation) this.error = err instanceof Error ? err.message : String(err);
    }
  }

  #clientFilter(t: Track): boolean {
    const q = this.#query;
    if (!matchesText(t.artist, q.artist.trim()) || !matchesText(t.genre, q.genre.trim()) || !matchesYear(t.year, q.year)) return false;
    if (q.analysed !== 'all' && this.#analysed) return this.#analysed.has(t.id) === (q.analysed === 'yes');
    return true;
  }

  async #loadFiltered(gen: number): Promise<void> {
    this.#paged = false;
    const all: Track[] = [];
    const chunk = 5000;
    for (let offset = 0; ; offset += chunk) {
      const page = await getBridge().invoke('tracks-list', this.#listParams({ limit: chunk, offset }));
      if (gen !== this.#generation) return;
      all.push(...page.tracks);
      if (page.tracks.length < chunk) break;
    }
    this.#rows = all.filter((t) => this.#clientFilter(t));
    this.total = this.#rows.length;
    this.complete = true;
    this.version++;
  }

  /** Whether the query filters a ranking (then every matching record is loaded to filter it). */
  #filtersRanking(): boolean {
    const q = this.#query;
    return q.search.trim() !== '' || q.status !== 'all' || q.folderId !== null || needsClientFilter(q);
  }

  /** Re-reads rows at most once a frame, however many records arrive in it. */
  #bump(): void {
    if (this.#bumpPending) return;
    this.#bumpPending = true;
    requestAnimationFrame(() => {
      this.#bumpPending = false;
      this.version++;
    });
  }

  /** Fetches the records of ranked rows in view (a few at a time; rows scrolled past are skipped). */
  #fetchRecords(gen: number): void {
    const ranked = this.#ranked;
    if (!ranked || gen !== this.#generation) return;
    const to = Math.min(this.#want[1], ranked.ids.length);
    for (let i = Math.max(0, this.#want[0]); i < to && this.#fetching < RECORD_FETCHES; i++) {
      if (this.#rows[i] || this.#recordsRequested.has(i)) continue;
      this.#recordsRequested.add(i);
      this.#fetching++;
      void this.#fetchRecord(gen, i, ranked.ids[i] as number);
    }
  }

  async #fetchRecord(gen: number, index: number, trackId: number): Promise<void> {
    try {
      const track = await getBridge().invoke('tracks-get', { id: trackId });
      if (gen !== this.#generation) return;
      this.#rows[index] = track;
      this.#bump();
    } catch {
      // A track removed since the ranking: its row stays a placeholder until the refresh that follows.
    } finally {
      if (gen === this.#generation) {
        this.#fetching--;
        if (!this.#flingTimer) this.#fetchRecords(gen);
      }
    }
  }

  /** Every record the query's filters keep, by id (search, status and folder by the core, the rest here). */
  async #filteredRecords(gen: number): Promise<Map<number, Track> | null> {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built and handed over, never observed
    const byId = new Map<number, Track>();
    const chunk = 5000;
    for (let offset = 0; ; offset += chunk) {
      const page = await getBridge().invoke('tracks-list', this.#listParams({ limit: chunk, offset }));
      if (gen !== this.#generation) return null;
      for (const t of page.tracks) if (this.#clientFilter(t)) byId.set(t.id, t);
      if (page.tracks.length < chunk) return byId;
    }
  }

  async #loadRanking(gen: number, label: string): Promise<void> {
    this.#paged = false;
    this.note = `Ranked by “${label}”: analysed tracks only.`;
    const bridge = getBridge();
    const descending = this.#query.descending;
    const filtered = this.#filtersRanking();
    if (descending && !filtered) {
      // The first screen with its records; the label's text is encoded here, once.
      const first = await bridge.invoke('scores-top', { label, limit: FIRST_RANK_PAGE });
      if (gen !== this.#generation) return;
      this.#rows = first.map((r) => r.track);
      this.#ranked = {
        ids: Int32Array.from(first, (r) => r.track.id),
        scores: Float32Array.from(first, (r) => r.score),
        percentiles: Float32Array.from(first, (r) => r.percentile),
      };
      this.total = first.length;
      this.version++;
    }
    const ranked = await bridge.invoke('scores-label', { label });
    if (gen !== this.#generation) return;
    this.personal = ranked.personal;
    let records: Map<number, Track> | null = null;
    if (filtered) {
      records = await this.#filteredRecords(gen);
      if (!records) return;
    }
    const { ids, scores, percentiles } = rankedColumns(ranked, descending, records);
    const n = ids.length;
    // Records already here stay where they are (the first screen), the rest arrive as rows show.
    const rows = new Array<Track | undefined>(n);
    const known = this.#rows;
    for (let i = 0; i < n; i++) {
      const have = known[i];
      rows[i] = records ? records.get(ids[i] as number) : have?.id === ids[i] ? have : undefined;
    }
    this.#rows = rows;
    this.#ranked = { ids, scores, percentiles };
    this.#recordsRequested.clear();
    this.#lazyRecords = !records;
    this.total = n;
    this.complete = true;
    this.version++;
    this.#fetchRecords(gen);
    if (!records && n > FIRST_RANK_PAGE) void this.#prefetchTop(gen, label, descending);
  }

  /** The records of the best-ranked rows in one request (a background step: errors only cost the shortcut). */
  async #prefetchTop(gen: number, label: string, descending: boolean): Promise<void> {
    const top = await getBridge()
      .invoke('scores-top', { label, limit: PREFETCH_RANK })
      .catch(() => null);
    const ranked = this.#ranked;
    if (!top || !ranked || gen !== this.#generation) return;
    const n = ranked.ids.length;
    top.forEach((r, k) => {
      const i = descending ? k : n - 1 - k;
      if (!this.#rows[i] && ranked.ids[i] === r.track.id) this.#rows[i] = r.track;
    });
    this.#bump();
  }
}
