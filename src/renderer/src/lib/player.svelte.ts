// The app's one player: a play queue filled from any list (the library's selection, a playlist preview,
// a label's top tracks, a journey), the transport (play/pause, previous/next, seek, volume) and the OS
// media controls (navigator.mediaSession: metadata with the cover, and action handlers, so media keys and
// the system's player widget work). It lives for the whole page, apart from any view: closing the
// inspector or picking another row never stops the music; the inspector follows the playing track only
// when asked ("show playing track").
//
// Gapless where the format allows: two <audio> elements take turns. Near the end of a track the other
// one loads the next track (preload="auto"), and on 'ended' it starts at once and the two swap roles. The
// gap left is the 'ended' event's dispatch plus the element's start (a few ms to tens of ms), and MP3/AAC
// encoder padding is not trimmed (Chromium's <audio> does not read the gapless info of LAME/iTunes tags):
// near-gapless, not sample-exact. The elements stay where they are in the page (moving one around a
// handover stalled playback in Chromium); `data-active="true"` marks the one playing.
import { hasCover } from './artwork.svelte.js';
import { artworkUrl, mediaUrl } from './bridge.js';

/** One entry of the play queue: what the play bar and the OS controls show without asking the core. */
export interface QueueItem {
  id: number;
  title: string;
  artist: string | null;
  album: string | null;
  /** Seconds, from the index (the element reports its own once loaded). */
  duration: number | null;
}

/** Anything a list holds for a track: a library row, a ranked track, a playlist or journey entry. */
export interface TrackLike {
  id?: number;
  trackId?: number;
  title?: string | null;
  artist?: string | null;
  album?: string | null;
  duration?: number | null;
  path?: string | null;
}

/** A queue entry from a list's row (its title, else its file name). */
export function queueItem(t: TrackLike): QueueItem {
  const id = t.id ?? t.trackId;
  if (id === undefined) throw new Error('A track to play needs an id');
  const file = t.path ? (t.path.split(/[\\/]/).pop() ?? t.path) : `Track ${id}`;
  return { id, title: t.title ?? file, artist: t.artist ?? null, album: t.album ?? null, duration: t.duration ?? null };
}

/** Seconds before a track's end at which the next one starts loading in the other element. */
const PRELOAD_BEFORE_END_S = 20;
/** "Previous" restarts the track when it has played longer than this; else it goes to the one before. */
const RESTART_AFTER_S = 3;
const VOLUME_KEY = 'moodshelf.volume';

/** The player's state and transport. */
export class Player {
  queue = $state<QueueItem[]>([]);
  /** The position in the queue of the current track (-1: none). */
  index = $state(-1);
  playing = $state(false);
  /** Waiting for data (loading or buffering). */
  waiting = $state(false);
  currentTime = $state(0);
  duration = $state(0);
  volume = $state(1);
  muted = $state(false);
  error = $state<string | null>(null);
  /** Set by "show playing track": the library opens the inspector on this track and clears it. */
  revealTrackId = $state<number | null>(null);
  /** Tracks started by 'ended' of the one before (gapless handovers), and how many used a preloaded element. */
  handovers = $state({ total: 0, preloaded: 0 });

  readonly current = $derived<QueueItem | null>(this.queue[this.index] ?? null);
  readonly hasNext = $derived(this.index >= 0 && this.index < this.queue.length - 1);
  readonly hasPrevious = $derived(this.index > 0);

  #elements: [HTMLAudioElement, HTMLAudioElement] | null = null;
  #active = 0;
  /** The queue index the standby element holds (loaded or loading), or -1. */
  #standbyIndex = -1;
  #host: HTMLElement | null = null;
  #lastPosition = 0;

  constructor() {
    if (typeof localStorage !== 'undefined') {
      const v = Number(localStorage.getItem(VOLUME_KEY));
      if (Number.isFinite(v) && v >= 0 && v <= 1 && localStorage.getItem(VOLUME_KEY) !== null) this.volume = v;
    }
  }

  /** The two elements, made on first use (and put in `host` once it mounts). */
  #els(): [HTMLAudioElement, HTMLAudioElement] {
    if (this.#elements) return this.#elements;
    const make = (n: number): HTMLAudioElement => {
      const a = document.createElement('audio');
      a.preload = 'metadata';
      a.dataset.player = String(n);
      // Which element plays now (the other holds the next track): for tests and debugging.
      a.dataset.active = String(n === this.#active);
      a.volume = this.volume;
      a.muted = this.muted;
      a.addEventListener('timeupdate', () => this.#onTime(a));
      a.addEventListener('durationchange', () => this.#is(a) && Number.isFinite(a.duration) && (this.duration = a.duration));
      a.addEventListener('play', () => this.#is(a) && (this.playing = true));
      a.addEventListener('playing', () => this.#is(a) && ((this.waiting = false), (this.error = null)));
      a.addEventListener('waiting', () => this.#is(a) && (this.waiting = true));
      a.addEventListener('pause', () => this.#is(a) && !a.ended && (this.playing = false));
      a.addEventListener('ended', () => this.#is(a) && this.#onEnded());
      a.addEventListener('error', () => this.#onError(a));
      a.addEventListener('volumechange', () => {
        if (!this.#is(a)) return;
        this.volume = a.volume;
        this.muted = a.muted;
        const other = this.#other();
        other.volume = a.volume;
        other.muted = a.muted;
      });
      return a;
    };
    this.#elements = [make(0), make(1)];
    if (this.#host) this.mount(this.#host);
    this.#setupMediaSession();
    return this.#elements;
  }

  #is(a: HTMLAudioElement): boolean {
    return this.#elements !== null && this.#elements[this.#active] === a;
  }

  #audio(): HTMLAudioElement {
    return this.#els()[this.#active] as HTMLAudioElement;
  }

  #other(): HTMLAudioElement {
    return this.#els()[1 - this.#active] as HTMLAudioElement;
  }

  /** Puts the elements in the page (the play bar's hidden slot), the playing one first. */
  mount(host: HTMLElement): () => void {
    this.#host = host;
    if (this.#elements) {
      host.append(this.#audio(), this.#other());
    }
    return () => {
      if (this.#host === host) this.#host = null;
    };
  }

  // ---- the queue ------------------------------------------------------------------------------------

  /** Replaces the queue with `items` and plays from `start`. */
  playAll(items: TrackLike[], start = 0): void {
    const q = items.map(queueItem);
    if (q.length === 0) return;
    this.queue = q;
    this.#load(Math.max(0, Math.min(start, q.length - 1)), true);
  }

  /** Plays one track now: it goes right after the current one in the queue (the rest stays). */
  playNow(item: TrackLike, at = 0): void {
    const q = queueItem(item);
    if (this.current?.id === q.id) {
      this.seek(at);
      this.play();
      return;
    }
    const pos = this.index < 0 ? this.queue.length : this.index + 1;
    this.queue = [...this.queue.slice(0, pos), q, ...this.queue.slice(pos)];
    this.#load(pos, true, at);
  }

  /** Adds tracks at the end of the queue (and starts playing when nothing was queued). */
  enqueue(items: TrackLike[]): void {
    const q = items.map(queueItem);
    if (q.length === 0) return;
    const wasEmpty = this.current === null;
    this.queue = [...this.queue, ...q];
    if (wasEmpty) this.#load(this.queue.length - q.length, false);
    this.#invalidateStandby();
  }

  /** Removes a queue entry (the current one skips to the next). */
  remove(i: number): void {
    if (i < 0 || i >= this.queue.length) return;
    const wasCurrent = i === this.index;
    this.queue = this.queue.filter((_, k) => k !== i);
    if (i < this.index) this.index -= 1;
    if (wasCurrent) {
      if (this.queue.length === 0) this.clear();
      else this.#load(Math.min(this.index, this.queue.length - 1), this.playing);
    }
    this.#invalidateStandby();
  }

  /** Empties the queue and stops. */
  clear(): void {
    for (const a of this.#elements ?? []) {
      a.pause();
      a.removeAttribute('src');
      a.load();
    }
    this.queue = [];
    this.index = -1;
    this.playing = false;
    this.currentTime = 0;
    this.duration = 0;
    this.#standbyIndex = -1;
    this.#updateMediaSession();
  }

  /** Plays the queue entry at `i`. */
  jumpTo(i: number): void {
    if (i >= 0 && i < this.queue.length) this.#load(i, true);
  }

  // ---- the transport --------------------------------------------------------------------------------

  play(): void {
    if (!this.current) return;
    const a = this.#audio();
    if (!a.src) {
      this.#load(this.index, true);
      return;
    }
    a.play().catch((err: unknown) => this.#playFailed(err));
  }

  pause(): void {
    this.#elements?.[this.#active]?.pause();
  }

  /** Space, the play bar's button and the OS play/pause key. */
  toggle(): void {
    if (!this.current) return;
    if (this.playing) this.pause();
    else this.play();
  }

  next(): void {
    if (this.hasNext) this.#load(this.index + 1, true);
  }

  previous(): void {
    if (this.currentTime > RESTART_AFTER_S || !this.hasPrevious) this.seek(0);
    else this.#load(this.index - 1, true);
  }

  /** Seeks the current track to `seconds`. */
  seek(seconds: number): void {
    if (!this.current) return;
    const a = this.#audio();
    const end = Number.isFinite(a.duration) ? a.duration : (this.current.duration ?? seconds);
    a.currentTime = Math.max(0, Math.min(seconds, end));
    this.currentTime = a.currentTime;
  }

  setVolume(v: number): void {
    const volume = Math.max(0, Math.min(1, v));
    for (const a of this.#elements ?? []) a.volume = volume;
    this.volume = volume;
    if (volume > 0 && this.muted) this.setMuted(false);
    try {
      localStorage.setItem(VOLUME_KEY, String(volume));
    } catch {
      // Storage full or unavailable: the volume still applies to this session.
    }
  }

  setMuted(m: boolean): void {
    for (const a of this.#elements ?? []) a.muted = m;
    this.muted = m;
  }

  /** Asks the library to open the inspector on the playing track (the caller shows the library). */
  reveal(): void {
    if (this.current) this.revealTrackId = this.current.id;
  }

  // ---- internals ------------------------------------------------------------------------------------

  #load(i: number, autoplay: boolean, at = 0): void {
    const item = this.queue[i];
    if (!item) return;
    this.index = i;
    this.error = null;
    this.currentTime = at;
    this.duration = item.duration ?? 0;
    const a = this.#audio();
    if (this.#standbyIndex === i && this.#other().src !== '') {
      // The other element already holds this track (preloaded): switch to it.
      a.pause();
      this.#swap();
    } else {
      this.#other().pause();
      a.src = mediaUrl(item.id);
      a.currentTime = at;
    }
    this.#standbyIndex = -1;
    const now = this.#audio();
    if (at > 0) now.currentTime = at;
    this.#updateMediaSession();
    if (autoplay) {
      this.waiting = true;
      now.play().catch((err: unknown) => this.#playFailed(err));
    } else {
      this.playing = false;
    }
  }

  #swap(): void {
    this.#active = 1 - this.#active;
    const a = this.#audio();
    a.dataset.active = 'true';
    this.#other().dataset.active = 'false';
    a.preload = 'auto';
  }

  #invalidateStandby(): void {
    if (this.#standbyIndex >= 0 && this.queue[this.#standbyIndex]?.id !== this.queue[this.index + 1]?.id) {
      this.#standbyIndex = -1;
      const o = this.#other();
      o.removeAttribute('src');
      o.load();
    }
    if (this.#standbyIndex !== this.index + 1) this.#standbyIndex = -1;
  }

  #onTime(a: HTMLAudioElement): void {
    if (!this.#is(a)) return;
    this.currentTime = a.currentTime;
    const left = (Number.isFinite(a.duration) ? a.duration : this.duration) - a.currentTime;
    const next = this.index + 1;
    if (left < PRELOAD_BEFORE_END_S && next < this.queue.length && this.#standbyIndex !== next) {
      const o = this.#other();
      o.preload = 'auto';
      o.src = mediaUrl((this.queue[next] as QueueItem).id);
      o.load();
      this.#standbyIndex = next;
    }
    if (Math.abs(a.currentTime - this.#lastPosition) >= 1) {
      this.#lastPosition = a.currentTime;
      this.#updatePosition();
    }
  }

  #onEnded(): void {
    const next = this.index + 1;
    if (next >= this.queue.length) {
      this.playing = false;
      return;
    }
    const preloaded = this.#standbyIndex === next;
    this.handovers = { total: this.handovers.total + 1, preloaded: this.handovers.preloaded + (preloaded ? 1 : 0) };
    this.#load(next, true);
  }

  #onError(a: HTMLAudioElement): void {
    if (!this.#is(a)) {
      // The preloaded next track failed: it loads again (and reports) when its turn comes.
      this.#standbyIndex = -1;
      return;
    }
    if (!a.src) return;
    this.waiting = false;
    this.playing = false;
    this.error = `“${this.current?.title ?? 'This track'}” cannot be played (${a.error?.message || 'the file could not be read'}).`;
  }

  #playFailed(err: unknown): void {
    // A newer load or pause interrupted this play(): not an error.
    if (err instanceof DOMException && err.name === 'AbortError') return;
    this.waiting = false;
    this.error = err instanceof Error ? err.message : String(err);
  }

  #setupMediaSession(): void {
    if (typeof navigator === 'undefined' || !('mediaSession' in navigator)) return;
    const ms = navigator.mediaSession;
    const set = (action: MediaSessionAction, fn: MediaSessionActionHandler): void => {
      try {
        ms.setActionHandler(action, fn);
      } catch {
        // An action this browser does not know.
      }
    };
    set('play', () => this.play());
    set('pause', () => this.pause());
    set('stop', () => this.pause());
    set('previoustrack', () => this.previous());
    set('nexttrack', () => this.next());
    set('seekbackward', (d) => this.seek(this.currentTime - (d.seekOffset ?? 10)));
    set('seekforward', (d) => this.seek(this.currentTime + (d.seekOffset ?? 10)));
    set('seekto', (d) => d.seekTime !== undefined && this.seek(d.seekTime));
  }

  #updateMediaSession(): void {
    if (typeof navigator === 'undefined' || !('mediaSession' in navigator)) return;
    const c = this.current;
    try {
      navigator.mediaSession.metadata = c
        ? new MediaMetadata({
            title: c.title,
            artist: c.artist ?? '',
            album: c.album ?? '',
            // Only a picture the core has (the OS would otherwise fetch a 404).
            artwork: hasCover(c.id) ? [{ src: absolute(artworkUrl(c.id)) }] : [],
          })
        : null;
    } catch {
      // MediaMetadata missing (an old host): the OS shows no details.
    }
  }

  #updatePosition(): void {
    if (typeof navigator === 'undefined' || !('mediaSession' in navigator)) return;
    const a = this.#audio();
    if (!Number.isFinite(a.duration) || a.duration <= 0) return;
    try {
      navigator.mediaSession.setPositionState({
        duration: a.duration,
        position: Math.min(a.currentTime, a.duration),
        playbackRate: a.playbackRate,
      });
    } catch {
      // Position outside the duration while it is still being worked out.
    }
  }
}

/** An absolute URL for the OS (the app's scheme already is; a test host's path gets the page's origin). */
function absolute(url: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : `${location.origin}${url}`;
}

/** The page's player. */
export const player = new Player();

/** Whether a key event comes from a place that types text or activates on Space (where Space is not play/pause). */
export function spaceBelongsToTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'BUTTON' || tag === 'A' || tag === 'SUMMARY') return true;
  if (tag === 'INPUT') return true;
  const role = el.getAttribute('role');
  return role === 'button' || role === 'checkbox' || role === 'switch' || role === 'option' || role === 'menuitem' || role === 'slider';
}
