import { open, type FileHandle } from 'node:fs/promises';

/** Random-access reads from one open file (the seeking decoders read headers, pages and frames by offset). */
export interface ByteReader {
  readonly path: string;
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the file), in a buffer of their own. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Opens `path` for reading by offset. A missing or unreadable file rejects here (ENOENT, EACCES). */
export async function openByteReader(path: string): Promise<ByteReader> {
  const handle: FileHandle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }
  return {
    path,
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      if (n === 0) return new Uint8Array(0);
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await handle.read(buf, got, n - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => handle.close(),
  };
}

/** The bytes of `parts` one after the other, in a buffer of their own (pages and frames read in pieces). */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Size of the ID3v2 tags at `at` (several may follow each other), 0 when there is none. */
export function id3v2Size(head: Uint8Array, at = 0): number {
  let p = at;
  while (p + 10 <= head.length && head[p] === 0x49 && head[p + 1] === 0x44 && head[p + 2] === 0x33) {
    const b = head.subarray(p + 6, p + 10);
    if (((b[0] as number) | (b[1] as number) | (b[2] as number) | (b[3] as number)) & 0x80) break;
    const size = ((b[0] as number) << 21) | ((b[1] as number) << 14) | ((b[2] as number) << 7) | (b[3] as number);
    p += 10 + size + ((head[p + 5] as number) & 0x10 ? 10 : 0);
  }
  return p - at;
}

/** Reads the ID3v2 size from the file (the tag may be larger than a first read). */
export async function skipId3v2(reader: ByteReader): Promise<number> {
  let at = 0;
  for (;;) {
    const head = await reader.read(at, 10);
    const n = id3v2Size(head);
    if (n === 0) return at;
    at += n;
  }
}

/** Thrown by a seeking decoder when this file cannot be decoded by seeking after all: decode it from the start. */
export class SeekUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeekUnavailable';
  }
}
