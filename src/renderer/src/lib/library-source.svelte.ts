// The library table's data: a sparse, paged window over the query's rows. Column sorts page through
// tracks-list as rows scroll into view; a label sort ranks with scores-top (a quick first page, then
// the whole ranking); filters the core does not offer (artist, genre, year, analysed) load the query
// once and filter here.
import { getBridge } from './bridge.js';
import type { Track } from './types.js';

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
/** Rows scores-top returns first, so a label sort shows at once. */
const FIRST_RANK_PAGE = 300;
/** The largest ranking scores-top returns. */
const MAX_RANK = 100_000;

/** A row's label score while the table is sorted by a label. */
export interface RowScore {
  score: number;
  percentile: number;
}

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

function matchesSearch(t: Track, search: string): boolean {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = `${t.title ?? ''} ${t.artist ?? ''} ${t.album ?? ''} ${t.albumArtist ?? ''}`.toLowerCase();
  return words.every((w) => hay.includes(w));
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
  /** Whether the whole ranking (label sort) or the whole filtered set has arrived. */
  complete = $state(false);
  /** A note about what the rows are (label sorts cover analysed tracks only). */
  note = $state<string | null>(null);

  #rows: (Track | undefined)[] = [];
  // Plain collections on purpose: `version` signals changes, so 50,000 entries carry no signal each.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #scores = new Map<number, RowScore>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pagesRequested = new Set<number>();
  #query: LibraryQuery = defaultQuery();
  #generation = 0;
  #analysed: Set<number> | null = null;
  /** Only column sorts without client filters page lazily. */
  #paged = true;

  /** The row at `index`, or undefined while loading. */
  row(index: number): Track | undefined {
    return this.#rows[index];
  }

  /** A track's score for the label the table is sorted by. */
  score(trackId: number): RowScore | undefined {
    return this.#scores.get(trackId);
  }

  /** The loaded rows (for select-all and batch actions). */
  loadedRows(): Track[] {
    return this.#rows.filter((t): t is Track => t !== undefined);
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
    this.#scores.clear();
    this.error = null;
    this.note = null;
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

  /** Asks for the pages covering rows [from, to). */
  ensure(from: number, to: number): void {
    if (!this.#paged) return;
    const first = Math.max(0, Math.floor(from / PAGE_SIZE));
    const last = Math.floor(Math.max(from, to - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      if (p * PAGE_SIZE >= this.total || this.#pagesRequested.has(p)) continue;
      this.#pagesRequested.add(p);
      void this.#loadPage(this.#generation, p);
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

  #acceptRanked(t: Track): boolean {
    const q = this.#query;
    if (q.status !== 'all' && t.status !== q.status) return false;
    if (q.folderId !== null && t.folderId !== q.folderId) return false;
    if (!matchesSearch(t, q.search)) return false;
    return this.#clientFilter(t);
  }

  #applyRanking(ranked: { track: Track; score: number; percentile: number }[]): void {
    const rows = ranked.filter((r) => this.#acceptRanked(r.track));
    // Descending (the default for a label) is best first, the ranking's own order.
    if (!this.#query.descending) rows.reverse();
    this.#rows = rows.map((r) => r.track);
    for (const r of rows) this.#scores.set(r.track.id, { score: r.score, percentile: r.percentile });
    this.total = this.#rows.length;
    this.version++;
  }

  async #loadRanking(gen: number, label: string): Promise<void> {
    this.#paged = false;
    this.note = `Ranked by “${label}”: analysed tracks only.`;
    const bridge = getBridge();
    if (this.#query.descending) {
      const first = await bridge.invoke('scores-top', { label, limit: FIRST_RANK_PAGE });
      if (gen !== this.#generation) return;
      this.#applyRanking(first);
      this.loading = false;
    }
    const all = await bridge.invoke('scores-top', { label, limit: MAX_RANK });
    if (gen !== this.#generation) return;
    this.#applyRanking(all);
    this.complete = true;
  }
}
