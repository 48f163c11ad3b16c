/**
 * peaks: a track's waveform, computed once in the core and kept in SQLite, so the inspector draws it the
 * moment it opens instead of the page fetching and decoding the whole file (seconds for a 4-minute AAC).
 * The file is decoded in a decode worker (audio/decode-pool.ts: the same decoders, seeking and resampler
 * as the analysis) at a low rate, reduced to {@link PEAK_BUCKETS} peaks (the loudest sample of each
 * bucket, scaled so the loudest bucket is 1) and stored as bytes with the file's size and mtime; a changed
 * file is computed again. Computing takes a second or more, so a request never waits for it: it answers
 * "computing" and the `peaks-ready` event follows (long work never rides on a request that can time out).
 * After an analysis run, tracks it analysed get their peaks in the background, one at a time, while the
 * analysis is idle.
 */
import type { Db } from '../kernel/database.js';
import { errorMessage, UserError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { createDecodePool, type DecodePool } from '../audio/decode-pool.js';
import type { DecodedSegments } from '../audio/decode.js';

/** Peaks per track: a few per bar of the inspector's waveform, which takes the loudest of each bar's share. */
export const PEAK_BUCKETS = 1200;
/** The rate tracks are decoded at for peaks (what the page decoded at before); lower for long files. */
const PEAK_RATE = 8000;
/** Decoded samples at most per track (1 hour at 1 kHz), so an hour-long mix stays a few MB in memory. */
const MAX_SAMPLES = 10 * 60 * PEAK_RATE;

/** A track's stored waveform. */
export interface TrackPeaks {
  trackId: number;
  /** The decoded duration, seconds. */
  duration: number;
  /** PEAK_BUCKETS values in 0..1 (3 decimals). */
  peaks: number[];
}

/** What `tracks-peaks` answers: the peaks, or that they are being computed (`peaks-ready` follows), or why not. */
export type PeaksReply =
  ({ status: 'ready' } & TrackPeaks) | { status: 'computing'; trackId: number } | { status: 'failed'; trackId: number; reason: string };

/** The peaks domain's events. */
export type PeaksEvents = {
  /** A track's peaks were computed (ok) or could not be (error says why). */
  'peaks-ready': { trackId: number; ok: boolean; error: string | null };
};

/** Reduces mono samples to `buckets` peaks (max |x| per bucket), scaled to the loudest bucket, as bytes 0..255. */
export function reducePeaks(samples: Float32Array, length: number, buckets: number = PEAK_BUCKETS): Uint8Array {
  const n = Math.max(0, Math.min(length, samples.length));
  const raw = new Float32Array(buckets);
  let loudest = 0;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.max(from + (n > 0 ? 1 : 0), Math.floor(((b + 1) * n) / buckets));
    let m = 0;
    for (let i = from; i < to && i < n; i++) {
      const v = Math.abs(samples[i] as number);
      if (v > m) m = v;
    }
    raw[b] = m;
    if (m > loudest) loudest = m;
  }
  const out = new Uint8Array(buckets);
  if (loudest > 0) for (let b = 0; b < buckets; b++) out[b] = Math.round(((raw[b] as number) / loudest) * 255);
  return out;
}

/** The decode rate for a track of `duration` seconds: PEAK_RATE, lower for files over 20 minutes. */
export function peakRate(duration: number): number {
  if (!(duration > 0)) return PEAK_RATE;
  return Math.max(500, Math.min(PEAK_RATE, Math.floor(MAX_SAMPLES / duration)));
}

/** Decodes a whole file as one mono window at `targetRate` (the decode pool's call). */
export type WholeFileDecoder = (path: string, duration: number, targetRate: number) => Promise<DecodedSegments>;

interface TrackRow {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
  duration: number | null;
  status: string;
}

interface PeaksRow {
  size: number;
  mtime_ms: number;
  duration: number;
  peaks: Buffer;
}

function toReply(trackId: number, row: PeaksRow): { status: 'ready' } & TrackPeaks {
  const peaks = Array.from(row.peaks, (v) => Math.round((v / 255) * 1000) / 1000);
  return { status: 'ready', trackId, duration: row.duration, peaks };
}

/** The peaks of the library's tracks: see the module comment. */
export interface PeaksService {
  /** A track's stored peaks, or starts computing them (then `peaks-ready` follows). Throws for an unknown track. */
  get(trackId: number): PeaksReply;
  /** Computes (or reuses) a track's peaks and resolves when they are stored. */
  ensure(trackId: number): Promise<PeaksReply>;
  /** Computes peaks for analysed tracks that lack them, one at a time, until `busy()` says to stop. */
  backfill(busy: () => boolean): void;
  /** Decodes done so far (the tests check peaks are computed once). */
  readonly computed: number;
  close(): Promise<void>;
}

/** Options for {@link createPeaksService}. */
export interface PeaksServiceOptions {
  /** Replaces the decode pool (tests). */
  decode?: WholeFileDecoder;
  onReady?: (e: PeaksEvents['peaks-ready']) => void;
}

/** Creates the peaks service over `db`; its decode worker starts with the first computation. */
export function createPeaksService(db: Db, log: Logger, options: PeaksServiceOptions = {}): PeaksService {
  let pool: DecodePool | null = null;
  const decode: WholeFileDecoder =
    options.decode ??
    ((path, duration, targetRate) =>
      (pool ??= createDecodePool(1, log.child('decode'))).decode(path, [{ index: 0, start: 0 }], {
        targetRate,
        segmentSeconds: Math.max(1, Math.ceil(duration) + 1),
        duration,
      }));
  const trackStmt = db.prepare('SELECT id, path, size, mtime_ms, duration, status FROM tracks WHERE id = ?');
  const peaksStmt = db.prepare('SELECT size, mtime_ms, duration, peaks FROM track_peaks WHERE track_id = ?');
  const store = db.prepare(
    `INSERT INTO track_peaks (track_id, size, mtime_ms, duration, buckets, peaks) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(track_id) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, duration = excluded.duration,
       buckets = excluded.buckets, peaks = excluded.peaks, computed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  );
  const inFlight = new Map<number, Promise<PeaksReply>>();
  const failures = new Map<number, { size: number; mtime: number; reason: string }>();
  let computed = 0;
  let closed = false;
  let backfilling = false;
  /** One decode at a time: peaks are background work beside the analysis and playback. */
  let chain: Promise<unknown> = Promise.resolve();

  const stored = (track: TrackRow): PeaksRow | null => {
    const row = peaksStmt.get(track.id) as PeaksRow | undefined;
    return row && row.size === track.size && row.mtime_ms === track.mtime_ms ? row : null;
  };

  const lookup = (trackId: number): TrackRow => {
    const track = trackStmt.get(trackId) as TrackRow | undefined;
    if (!track) throw new UserError(`No track with id ${trackId}`, 'E_NOT_FOUND');
    return track;
  };

  const compute = (track: TrackRow): Promise<PeaksReply> => {
    const running = inFlight.get(track.id);
    if (running) return running;
    const work = chain.then(async (): Promise<PeaksReply> => {
      if (closed) throw new Error('the core is closing');
      const again = stored(track);
      if (again) return toReply(track.id, again);
      const duration = track.duration ?? 0;
      const rate = peakRate(duration);
      const decoded = await decode(track.path, duration, rate);
      const samples = decoded.segments[0]?.samples ?? new Float32Array(0);
      const length = duration > 0 ? Math.min(samples.length, Math.round(duration * decoded.sampleRate)) : samples.length;
      const peaks = reducePeaks(samples, length);
      const actual = length / decoded.sampleRate;
      computed += 1;
      store.run(track.id, track.size, track.mtime_ms, actual, PEAK_BUCKETS, Buffer.from(peaks));
      return toReply(track.id, { size: track.size, mtime_ms: track.mtime_ms, duration: actual, peaks: Buffer.from(peaks) });
    });
    chain = work.catch(() => undefined);
    const settled = work.then(
      (reply) => {
        failures.delete(track.id);
        options.onReady?.({ trackId: track.id, ok: true, error: null });
        return reply;
      },
      (err: unknown): PeaksReply => {
        const reason = `The waveform could not be computed: ${errorMessage(err)}`;
        // Stopped by the core closing: nothing is wrong with the file, and the next session computes it.
        if (closed) return { status: 'failed', trackId: track.id, reason: 'The core is closing' };
        failures.set(track.id, { size: track.size, mtime: track.mtime_ms, reason });
        log.warn('peaks failed', { trackId: track.id, path: track.path, reason: errorMessage(err) });
        options.onReady?.({ trackId: track.id, ok: false, error: reason });
        return { status: 'failed', trackId: track.id, reason };
      },
    );
    const tracked = settled.finally(() => inFlight.delete(track.id));
    inFlight.set(track.id, tracked);
    return tracked;
  };

  const get = (trackId: number): PeaksReply => {
    const track = lookup(trackId);
    if (track.status !== 'ok') return { status: 'failed', trackId, reason: `This file cannot be played (${track.status})` };
    const row = stored(track);
    if (row) return toReply(trackId, row);
    const failed = failures.get(trackId);
    if (failed && failed.size === track.size && failed.mtime === track.mtime_ms)
      return { status: 'failed', trackId, reason: failed.reason };
    void compute(track);
    return { status: 'computing', trackId };
  };

  const backfillStmt = db.prepare(
    `SELECT t.id FROM tracks t JOIN track_embeddings e ON e.track_id = t.id
     LEFT JOIN track_peaks p ON p.track_id = t.id
     WHERE t.status = 'ok' AND (p.track_id IS NULL OR p.size != t.size OR p.mtime_ms != t.mtime_ms)
     GROUP BY t.id ORDER BY t.id LIMIT 50`,
  );

  return {
    get,
    async ensure(trackId) {
      const track = lookup(trackId);
      const row = stored(track);
      if (row) return toReply(trackId, row);
      return compute(track);
    },
    backfill(busy) {
      if (backfilling || closed) return;
      backfilling = true;
      const tried = new Set<number>();
      const step = async (): Promise<void> => {
        while (!closed && !busy()) {
          const next = (backfillStmt.all() as { id: number }[]).map((r) => r.id).find((id) => !tried.has(id));
          if (next === undefined) return;
          tried.add(next);
          await compute(lookup(next));
        }
      };
      void step()
        .catch((err: unknown) => log.warn('peaks backfill stopped', { reason: errorMessage(err) }))
        .finally(() => (backfilling = false));
    },
    get computed() {
      return computed;
    },
    async close() {
      closed = true;
      // Stopping the worker fails a decode in flight at once (an hour-long file must not hold up the exit).
      await pool?.close();
      await chain;
    },
  };
}
