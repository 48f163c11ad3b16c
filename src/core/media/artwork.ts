/**
 * artwork: cover pictures for tracks, found once per file version and kept in a small cache in the data
 * folder. A track's picture is its embedded front cover (music-metadata reads ID3 APIC, FLAC/Vorbis
 * PICTURE, MP4 covr, ...) or, failing that, a cover image beside the file (cover, folder, front, albumart*,
 * as .jpg/.jpeg/.png, any case). Pictures are stored once per content (sha256), so an album's tracks share
 * one file; only JPEG and PNG whose header gives sensible dimensions, up to {@link MAX_ARTWORK_BYTES}, are
 * kept. They are stored as they are (not downscaled: that needs an image codec, and the project adds no
 * dependency for it); Chromium scales them for the table, the inspector and the play bar.
 *
 * The pass runs after each scan (and at start when tracks are pending), in the background: a bad picture
 * or an unreadable file is logged and recorded as "no artwork", never failing the scan. Hosts serve the
 * pictures by track id only ({@link respondArtwork}): a URL can never name an arbitrary file.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseFile, type IPicture } from 'music-metadata';
import type { Db } from '../kernel/database.js';
import { errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { artworkDir, artworkFile } from './artwork-serve.js';

/** The biggest picture kept (bytes). Front covers are usually 30-500 KB; scans of 3000 px art reach a few MB. */
export const MAX_ARTWORK_BYTES = 3 * 1024 * 1024;
/** A picture wider or taller than this is not a cover (or its header is wrong). */
const MAX_SIDE = 12_000;

/** A picture's type and size, read from its header. */
export interface ImageInfo {
  mime: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

/**
 * Reads a JPEG's or PNG's type and dimensions from its bytes, or says why it is not a usable picture (the
 * declared MIME type of an embedded picture is not trusted: the bytes decide).
 */
export function imageInfo(bytes: Uint8Array): ImageInfo | string {
  if (bytes.length === 0) return 'the picture is empty';
  if (bytes.length > MAX_ARTWORK_BYTES) return `the picture is ${bytes.length} bytes, over the ${MAX_ARTWORK_BYTES}-byte limit`;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let info: ImageInfo | null = null;
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) {
    if (b.toString('latin1', 12, 16) !== 'IHDR') return 'the PNG picture has no IHDR header';
    info = { mime: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } else if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    info = jpegSize(b);
    if (!info) return 'the JPEG picture has no frame header (damaged or truncated)';
  } else {
    return 'the picture is neither JPEG nor PNG data';
  }
  if (info.width < 1 || info.height < 1 || info.width > MAX_SIDE || info.height > MAX_SIDE) {
    return `the picture's header states an impossible size (${info.width} x ${info.height})`;
  }
  return info;
}

/** Walks a JPEG's markers to its start-of-frame, which holds the dimensions. */
function jpegSize(b: Buffer): ImageInfo | null {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame header
    const length = b.readUInt16BE(i + 2);
    if (length < 2) return null;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (i + 9 > b.length) return null;
      return { mime: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  return null;
}

/** Cover image names beside audio files, best first (compared in lower case, without the extension). */
const FOLDER_NAMES = ['cover', 'folder', 'front', 'albumart', 'album'];
const FOLDER_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/**
 * The cover image files in a folder listing, best first: cover, folder, front, then albumart* (Windows
 * Media Player's AlbumArt_{GUID}_Large.jpg and AlbumArtSmall.jpg, large first), then album.
 */
export function folderCoverCandidates(names: readonly string[]): string[] {
  const rank = (name: string): number => {
    const lower = name.toLowerCase();
    const ext = FOLDER_EXTENSIONS.find((e) => lower.endsWith(e));
    if (!ext) return -1;
    const stem = lower.slice(0, -ext.length);
    const exact = FOLDER_NAMES.indexOf(stem);
    if (exact >= 0 && stem !== 'albumart') return exact * 10;
    if (stem.startsWith('albumart')) return 30 + (stem.includes('large') ? 0 : stem.includes('small') ? 2 : 1);
    return -1;
  };
  return names
    .map((name) => ({ name, r: rank(name) }))
    .filter((c) => c.r >= 0)
    .sort((a, b) => a.r - b.r || a.name.localeCompare(b.name))
    .map((c) => c.name);
}

/** The embedded picture to use: the front cover if one is marked so, else the first. */
export function pickEmbedded(pictures: readonly IPicture[] | undefined): IPicture | null {
  if (!pictures || pictures.length === 0) return null;
  return pictures.find((p) => /front/i.test(p.type ?? '')) ?? pictures[0] ?? null;
}

/** A usable picture: its bytes and header facts. */
export interface FoundArtwork extends ImageInfo {
  bytes: Uint8Array;
  source: 'embedded' | 'folder';
}

/** The folder listings one pass has read (an album's tracks share a folder). */
type FolderCache = Map<string, Promise<string[]>>;

async function listFolder(dir: string, cache: FolderCache): Promise<string[]> {
  let names = cache.get(dir);
  if (!names) {
    names = readdir(dir).catch(() => []);
    cache.set(dir, names);
  }
  return names;
}

/**
 * Finds a track's artwork: the embedded picture, else a cover image beside the file. A picture that is
 * not usable is logged (naming the file and the reason) and the next candidate is tried; null when none.
 */
export async function findArtwork(path: string, log: Logger, folders: FolderCache = new Map()): Promise<FoundArtwork | null> {
  try {
    const meta = await parseFile(path, { duration: false, skipCovers: false, skipPostHeaders: true });
    const picture = pickEmbedded(meta.common.picture);
    if (picture) {
      const info = imageInfo(picture.data);
      if (typeof info !== 'string') return { ...info, bytes: picture.data, source: 'embedded' };
      log.warn('embedded picture skipped', { path, reason: info });
    }
  } catch (err) {
    log.warn('could not read the embedded pictures', { path, reason: errorMessage(err) });
  }
  const dir = dirname(path);
  for (const name of folderCoverCandidates(await listFolder(dir, folders))) {
    const file = join(dir, name);
    try {
      const s = await stat(file);
      if (!s.isFile()) continue;
      if (s.size > MAX_ARTWORK_BYTES) {
        log.warn('cover image skipped', { path: file, reason: `it is ${s.size} bytes, over the ${MAX_ARTWORK_BYTES}-byte limit` });
        continue;
      }
      const bytes = await readFile(file);
      const info = imageInfo(bytes);
      if (typeof info !== 'string') return { ...info, bytes, source: 'folder' };
      log.warn('cover image skipped', { path: file, reason: info });
    } catch (err) {
      log.warn('cover image skipped', { path: file, reason: errorMessage(err) });
    }
  }
  return null;
}

/** Stores a picture in the cache (once per content) and returns its hash. */
export async function storeArtwork(db: Db, dataDir: string, art: FoundArtwork): Promise<string> {
  const hash = createHash('sha256').update(art.bytes).digest('hex');
  const file = artworkFile(dataDir, hash, art.mime);
  if (!existsSync(file)) {
    await mkdir(artworkDir(dataDir), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, art.bytes);
    await rename(tmp, file);
  }
  db.prepare('INSERT OR IGNORE INTO artwork (hash, mime, bytes, width, height) VALUES (?, ?, ?, ?, ?)').run(
    hash,
    art.mime,
    art.bytes.length,
    art.width,
    art.height,
  );
  return hash;
}

/** A track the artwork pass has not looked at in its current version. */
interface PendingTrack {
  id: number;
  path: string;
  size: number;
  mtime_ms: number;
}

const PENDING_SQL = `SELECT t.id, t.path, t.size, t.mtime_ms FROM tracks t
  LEFT JOIN track_artwork a ON a.track_id = t.id
  WHERE t.status = 'ok' AND (a.track_id IS NULL OR a.size != t.size OR a.mtime_ms != t.mtime_ms)
  ORDER BY t.id LIMIT ?`;

/** What one artwork pass did. */
export interface ArtworkPassResult {
  checked: number;
  found: number;
}

/** What a pass run as a job gets: cancellation and a way to report progress (kernel/jobs.ts JobContext). */
export interface ArtworkPassContext {
  signal?: AbortSignal;
  progress?: (update: { done: number; total: number | null; message: string | null }) => void;
}

/** The artwork pass over a library: see the module comment. */
export interface ArtworkService {
  /** Looks at every track not yet checked in its current version; resolves when done (runs one at a time). */
  run(ctx?: ArtworkPassContext): Promise<ArtworkPassResult>;
  /** Tracks not yet checked in their current version. */
  pendingCount(): number;
  /** Starts a pass in the background unless one is running (a later call runs again after it). */
  schedule(): void;
  /** Waits for a running pass and stops further ones. */
  close(): Promise<void>;
}

/** Options for {@link createArtworkService}. */
export interface ArtworkServiceOptions {
  /** Called after each batch with the tracks whose artwork changed (the UI reloads their pictures). */
  onUpdated?: (trackIds: number[]) => void;
  /** Tracks per batch (default 100). */
  batch?: number;
}

/** Creates the artwork pass over `db`, caching pictures under `dataDir`. */
export function createArtworkService(db: Db, dataDir: string, log: Logger, options: ArtworkServiceOptions = {}): ArtworkService {
  const batch = options.batch ?? 100;
  let running: Promise<ArtworkPassResult> | null = null;
  let dirty = false;
  let closed = false;
  const pending = db.prepare(PENDING_SQL);
  const countPending = db.prepare(`SELECT COUNT(*) AS n FROM (${PENDING_SQL.replace('ORDER BY t.id LIMIT ?', '')})`);
  const record = db.prepare(
    `INSERT INTO track_artwork (track_id, size, mtime_ms, hash, source) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(track_id) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, hash = excluded.hash,
       source = excluded.source, checked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  );

  const pass = async (ctx: ArtworkPassContext): Promise<ArtworkPassResult> => {
    const result: ArtworkPassResult = { checked: 0, found: 0 };
    const folders: FolderCache = new Map();
    const failedThisPass = new Set<number>();
    const total = ctx.progress ? (countPending.get() as { n: number }).n : null;
    while (!closed && !ctx.signal?.aborted) {
      const rows = (pending.all(batch + failedThisPass.size) as PendingTrack[]).filter((r) => !failedThisPass.has(r.id)).slice(0, batch);
      if (rows.length === 0) break;
      const changed: number[] = [];
      for (const row of rows) {
        if (closed || ctx.signal?.aborted) break;
        let hash: string | null = null;
        let source: 'embedded' | 'folder' | null = null;
        try {
          const art = await findArtwork(row.path, log, folders);
          if (art) {
            hash = await storeArtwork(db, dataDir, art);
            source = art.source;
            result.found += 1;
          }
        } catch (err) {
          // Storing failed (disk full, permissions): try again on the next pass, not in a loop now.
          log.error('artwork could not be stored', { path: row.path, reason: errorMessage(err) });
          failedThisPass.add(row.id);
          continue;
        }
        try {
          record.run(row.id, row.size, row.mtime_ms, hash, source);
        } catch (err) {
          // The track was removed meanwhile (foreign key): nothing to record.
          log.debug('artwork not recorded', { trackId: row.id, reason: errorMessage(err) });
          failedThisPass.add(row.id);
          continue;
        }
        result.checked += 1;
        if (hash) changed.push(row.id);
      }
      if (changed.length > 0) options.onUpdated?.(changed);
      ctx.progress?.({ done: result.checked, total, message: `${result.found} picture${result.found === 1 ? '' : 's'} found` });
      // Yield between batches so requests to the core are answered meanwhile.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (result.checked > 0) log.info('artwork pass finished', { ...result });
    return result;
  };

  /** Passes until nothing new was asked for meanwhile (a scan that finishes during a pass asks again). */
  const loop = async (ctx: ArtworkPassContext): Promise<ArtworkPassResult> => {
    const total: ArtworkPassResult = { checked: 0, found: 0 };
    do {
      dirty = false;
      const r = await pass(ctx);
      total.checked += r.checked;
      total.found += r.found;
    } while (dirty && !closed && !ctx.signal?.aborted);
    return total;
  };

  const run = (ctx: ArtworkPassContext = {}): Promise<ArtworkPassResult> => {
    if (running) {
      dirty = true;
      return running;
    }
    const started = loop(ctx).finally(() => {
      running = null;
    });
    running = started;
    return started;
  };

  const schedule = (): void => {
    if (closed) return;
    run().catch((err: unknown) => log.error('artwork pass failed', { err: errorMessage(err) }));
  };

  return {
    run,
    schedule,
    pendingCount: () => (countPending.get() as { n: number }).n,
    async close() {
      closed = true;
      await running?.catch(() => undefined);
    },
  };
}
