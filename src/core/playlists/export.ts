import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, errnoCode, errorMessage } from '../kernel/errors.js';

/** Playlist file formats other players read. */
export const PLAYLIST_FORMATS = ['m3u8', 'xspf'] as const;
/** One of {@link PLAYLIST_FORMATS}. */
export type PlaylistFormat = (typeof PLAYLIST_FORMATS)[number];
/** How track locations are written: absolute, or relative to the playlist file's folder (portable with the music). */
export const PATH_MODES = ['absolute', 'relative'] as const;
/** One of {@link PATH_MODES}. */
export type PathMode = (typeof PATH_MODES)[number];

/** What an exported entry needs from a track. */
export interface ExportEntry {
  path: string;
  duration: number | null;
  artist: string | null;
  title: string | null;
  album: string | null;
}

/** A line-safe field: playlist formats are line based, so newlines in tags would break them. */
function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').trim();
}

function displayTitle(e: ExportEntry): string {
  return oneLine(e.title ?? '') || basename(e.path, extname(e.path));
}

/** A track's location as written: absolute, or relative to the playlist's folder when possible. */
export function entryPath(trackPath: string, playlistFile: string, mode: PathMode): string {
  if (mode === 'absolute') return trackPath;
  const rel = relative(dirname(playlistFile), trackPath);
  // Another drive (Windows) has no relative path: fall back to the absolute one.
  return rel === '' || isAbsolute(rel) ? trackPath : rel;
}

/**
 * A track's line in an M3U8. M3U is line based: players trim lines and skip those starting with "#",
 * so a relative path starting with "#" or a space gets a "./" prefix, and a path with a line break or
 * ending in a space or tab becomes a percent-encoded file:// URI. VLC reads every line that is not a
 * URI as a URI reference ("#" starts a fragment, "?" a query, "%20" is decoded), so an absolute path
 * with "#", "?" or "%" is written as a file:// URI too, which mpv, VLC and most players read. Relative
 * paths stay paths (the point of relative mode is a playlist that moves with the music); for VLC and
 * such names, XSPF is the portable choice.
 */
function m3uLocation(trackPath: string, playlistFile: string, mode: PathMode): string {
  if (/[\r\n]/.test(trackPath) || /[ \t]$/.test(trackPath)) return fileUri(trackPath);
  const p = entryPath(trackPath, playlistFile, mode);
  if (isAbsolute(p)) return /[#?%]/.test(p) ? fileUri(p) : p;
  return /^[#\s]/.test(p) ? `.${sep}${p}` : p;
}

/** UTF-8 extended M3U: #EXTM3U, a #PLAYLIST name, and #EXTINF:<seconds>,<artist> - <title> per track. */
export function toM3u8(name: string, entries: readonly ExportEntry[], playlistFile: string, mode: PathMode): string {
  const lines = ['#EXTM3U', `#PLAYLIST:${oneLine(name)}`];
  for (const e of entries) {
    const seconds = e.duration === null ? -1 : Math.round(e.duration);
    const artist = oneLine(e.artist ?? '');
    lines.push(`#EXTINF:${seconds},${artist ? `${artist} - ` : ''}${displayTitle(e)}`, m3uLocation(e.path, playlistFile, mode));
  }
  return `${lines.join('\n')}\n`;
}

function xmlAllowed(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Escapes text for XML content and drops characters XML 1.0 cannot carry at all (controls, lone surrogates). */
export function xmlEscape(s: string): string {
  let clean = '';
  for (const ch of s) if (xmlAllowed(ch.codePointAt(0) as number)) clean += ch;
  return clean.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * One path segment percent-encoded as RFC 3986 asks (UTF-8 bytes, %XX): everything but the unreserved
 * characters A-Z a-z 0-9 - . _ ~ is encoded, reserved ones included ("#", "?", "%", "&", "[", ...), so
 * the result means the same to every URI parser.
 */
function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (ch) => `%${(ch.codePointAt(0) as number).toString(16).toUpperCase()}`);
}

/**
 * An absolute path as a file:// URI with every segment encoded by {@link encodePathSegment}:
 * file:///music/Bj%C3%B6rk/... on POSIX, file:///C:/Music/... and file://server/share/... on Windows.
 */
function fileUri(absPath: string): string {
  // Node's converter knows the platform's path rules (drives, UNC hosts); its encoding is then made strict.
  const url = pathToFileURL(absPath);
  const segments = url.pathname.split('/').map((s, i) => (i === 1 && /^[A-Za-z]:$/.test(s) ? s : encodePathSegment(decodeURIComponent(s))));
  return `file://${url.host}${segments.join('/')}`;
}

/** A track's XSPF location: a file:// URI, or a percent-encoded URI reference relative to the playlist. */
export function xspfLocation(trackPath: string, playlistFile: string, mode: PathMode): string {
  const p = entryPath(trackPath, playlistFile, mode);
  if (isAbsolute(p)) return fileUri(p);
  return p.split(sep).map(encodePathSegment).join('/');
}

/** XSPF 1 (XML): title, then per track its location, title, creator, album and duration in ms. */
export function toXspf(name: string, entries: readonly ExportEntry[], playlistFile: string, mode: PathMode): string {
  const tracks = entries.map((e) => {
    const fields = [
      `      <location>${xmlEscape(xspfLocation(e.path, playlistFile, mode))}</location>`,
      `      <title>${xmlEscape(displayTitle(e))}</title>`,
    ];
    if (e.artist) fields.push(`      <creator>${xmlEscape(oneLine(e.artist))}</creator>`);
    if (e.album) fields.push(`      <album>${xmlEscape(oneLine(e.album))}</album>`);
    if (e.duration !== null) fields.push(`      <duration>${Math.round(e.duration * 1000)}</duration>`);
    return `    <track>\n${fields.join('\n')}\n    </track>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<playlist version="1" xmlns="http://xspf.org/ns/0/">',
    `  <title>${xmlEscape(oneLine(name))}</title>`,
    '  <trackList>',
    ...tracks,
    '  </trackList>',
    '</playlist>',
    '',
  ].join('\n');
}

function writeError(file: string, err: unknown): UserError {
  const code = errnoCode(err);
  const reason =
    code === 'ENOENT'
      ? `the folder ${dirname(file)} does not exist`
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a folder'
          : errorMessage(err);
  return new UserError(`Cannot write playlist ${file}: ${reason}`, 'E_WRITE');
}

/** The refusal to replace a file the user did not agree to replace. */
export function existsError(file: string): UserError {
  return new UserError(
    `Not replacing ${file}: it already exists. To replace it, agree to that in the Save dialog, or add --force on the command line`,
    'E_EXISTS',
  );
}

/**
 * Refuses early (before any work) a target in a folder that does not exist, a target that is a folder,
 * or an existing file without `overwrite`. The write itself checks again without a gap
 * ({@link writeFileAtomic}), as the file may appear meanwhile.
 */
export function checkTarget(file: string, overwrite: boolean): void {
  let isDir: boolean;
  try {
    isDir = statSync(file).isDirectory();
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw writeError(file, err);
    if (!existsSync(dirname(file))) throw writeError(file, err);
    return;
  }
  if (isDir) throw writeError(file, Object.assign(new Error('is a folder'), { code: 'EISDIR' }));
  if (!overwrite) throw existsError(file);
}

function writeTemp(tmp: string, text: string): void {
  const fd = openSync(tmp, 'wx');
  try {
    writeSync(fd, text, null, 'utf8');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** File systems that cannot hard-link (FAT, some network shares) answer link(2) with one of these. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Puts the finished temporary file at `file` only if nothing is there: a hard link is created or fails
 * with EEXIST in one step, so an existing file is never replaced. Where links are not supported, a
 * check then a rename (a tiny window, but still never a silent replace of what the check saw).
 */
function placeNew(tmp: string, file: string): void {
  try {
    linkSync(tmp, file);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') throw existsError(file);
    if (code === undefined || !NO_LINKS.has(code)) throw err;
    if (existsSync(file)) throw existsError(file);
    renameSync(tmp, file);
    return;
  }
  rmSync(tmp, { force: true });
}

/**
 * Writes text to `file` atomically: a temporary file in the same folder, flushed, then renamed over
 * the target (only with `overwrite`; otherwise an existing file is refused with E_EXISTS), so a player
 * never reads a half-written playlist and a failure leaves no debris.
 */
export function writeFileAtomic(file: string, text: string, overwrite: boolean): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeTemp(tmp, text);
    if (overwrite) renameSync(tmp, file);
    else placeNew(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err instanceof UserError ? err : writeError(file, err);
  }
}
