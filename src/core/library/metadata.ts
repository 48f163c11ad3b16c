import type { FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import {
  CouldNotDetermineFileTypeError,
  parseBuffer,
  parseFromTokenizer,
  UnsupportedFileTypeError,
  type IAudioMetadata,
} from 'music-metadata';
import { FileTokenizer } from 'strtok3';
import { blockCachedHandle, type FileRange } from './file-range.js';
import { apeTagSize } from './mpeg-duration.js';

/**
 * A fresh options object per parse: music-metadata writes into it (the APEv2 footer it found), so a
 * shared one leaks one file's tag offset into another file parsed at the same time.
 */
function options(): { duration: boolean; skipCovers: boolean } {
  return { duration: false, skipCovers: true };
}
/** A WavPack block is at most 1 MiB by the format's definition; anything larger is not WavPack. */
const MAX_BLOCK = 1024 * 1024;
/** Tags larger than this (huge embedded art) are left to the full parser. */
const MAX_TAIL = 4 * 1024 * 1024;

/** Bytes of the APEv2 tag (header included) and ID3v1 tag at the end of a file, or null when there is none. */
async function trailingTags(file: FileRange): Promise<Buffer | null> {
  const last = await file.read(Math.max(0, file.size - 160), 160);
  const id3v1 = last.length >= 128 && last.toString('latin1', last.length - 128, last.length - 125) === 'TAG' ? 128 : 0;
  const footerAt = last.length - id3v1 - 32;
  if (footerAt < 0 || last.toString('latin1', footerAt, footerAt + 8) !== 'APETAGEX') {
    return id3v1 ? last.subarray(last.length - 128) : null;
  }
  const tagSize = apeTagSize(last, footerAt);
  if (tagSize > MAX_TAIL) return null;
  return file.read(file.size - id3v1 - tagSize, tagSize + id3v1);
}

/**
 * WavPack keeps its stream facts (total samples, rate, bits) in the first block header and its tags in
 * an APEv2 tag at the end. music-metadata walks every block in between (hundreds of small reads, tens
 * of ms for one album track); parsing just the first block followed by the tags gives the same result.
 * Null when the file does not look like that, so the caller falls back to the full parser. (The
 * bitrate it states then covers the first block only: duration.ts puts the whole file's in its place.)
 */
async function wavpackMetadata(file: FileRange): Promise<IAudioMetadata | null> {
  const head = await file.read(0, 32);
  if (head.length < 32 || head.toString('latin1', 0, 4) !== 'wvpk') return null;
  const blockLength = head.readUInt32LE(4) + 8;
  if (blockLength > MAX_BLOCK || blockLength >= file.size || head.readUInt32LE(12) === 0xffffffff) return null;
  const tags = await trailingTags(file);
  const parts = [await file.read(0, blockLength), ...(tags ? [tags] : [])];
  const meta = await parseBuffer(Buffer.concat(parts), { mimeType: 'audio/x-wavpack' }, options());
  return meta.format.duration ? meta : null;
}

/**
 * strtok3's random-access file tokenizer (what music-metadata's parseFile uses) over the probe's open
 * file and block cache (file-range.ts) instead of a second handle read token by token.
 */
class RangeTokenizer extends FileTokenizer {
  constructor(file: FileRange, path: string) {
    super(blockCachedHandle(file) as unknown as FileHandle, { fileInfo: { path, size: file.size } });
  }
}

/**
 * Tags and stream facts of a file, read without a full pass (no duration scan, covers skipped): the
 * measured facts for Ogg and MPEG come from duration.ts. WavPack takes a shortcut (see wavpackMetadata).
 */
export async function readMetadata(path: string, file: FileRange): Promise<IAudioMetadata> {
  if (extname(path).toLowerCase() === '.wv') {
    const meta = await wavpackMetadata(file);
    if (meta) return meta;
  }
  try {
    // The parser is chosen by the path's extension, as parseFile does.
    return await parseFromTokenizer(new RangeTokenizer(file, path), options());
  } catch (err) {
    // parseFile names the file in these two errors; stored reasons stay as they were.
    if (err instanceof CouldNotDetermineFileTypeError || err instanceof UnsupportedFileTypeError) err.message += `: ${path}`;
    throw err;
  }
}
