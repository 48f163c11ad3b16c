import type { FileHandle } from 'node:fs/promises';

/**
 * Random access to one open file by byte range. The duration readers look at a few small windows
 * (head, tail, a Xing header) instead of the whole file, which is what keeps a first scan fast.
 */
export interface FileRange {
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the file), as a fresh buffer. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Fills `into` from `offset` and returns how many bytes were read, to reuse one buffer in long loops. */
  readInto(into: Buffer, offset: number, length: number): Promise<number>;
}

/** Wraps an open handle so readers never read past the end or before the start. */
export function fileRange(handle: FileHandle, size: number): FileRange {
  const clamp = (offset: number, length: number): number => Math.max(0, Math.min(length, size - offset));
  return {
    size,
    async read(offset, length) {
      const n = clamp(offset, length);
      const buf = Buffer.allocUnsafe(n);
      if (n === 0 || offset < 0) return buf.subarray(0, 0);
      const { bytesRead } = await handle.read(buf, 0, n, offset);
      return buf.subarray(0, bytesRead);
    },
    async readInto(into, offset, length) {
      const n = clamp(offset, Math.min(length, into.length));
      if (n === 0 || offset < 0) return 0;
      const { bytesRead } = await handle.read(into, 0, n, offset);
      return bytesRead;
    },
  };
}

/** The part of a FileHandle that strtok3's FileTokenizer uses. */
interface TokenizerHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number; buffer: Uint8Array }>;
  close(): Promise<void>;
}

const BLOCK = 64 * 1024;

/**
 * Serves a tag parser's reads from `file` through two cached 64 KiB blocks. music-metadata reads token
 * by token (frame headers, atoms, tag fields: 15-60 reads per file, many of a few bytes, hopping between
 * the head and the tail); with the blocks a file costs a handful of reads. Reads larger than half a block
 * go straight to the file.
 */
export function blockCachedHandle(file: FileRange): TokenizerHandle {
  const blocks: { start: number; data: Buffer }[] = [];
  return {
    async read(buffer, offset, length, position) {
      if (length > BLOCK / 2) {
        const into = Buffer.from(buffer.buffer, buffer.byteOffset + offset, length);
        return { bytesRead: await file.readInto(into, position, length), buffer };
      }
      let i = blocks.findIndex((b) => position >= b.start && position + length <= b.start + b.data.length);
      if (i < 0) {
        // Past the end the block is short (or empty), so the hit test above fails there: read it anew.
        blocks.unshift({ start: position, data: await file.read(position, BLOCK) });
        blocks.length = Math.min(blocks.length, 2);
        i = 0;
      }
      const block = blocks[i] as { start: number; data: Buffer };
      const n = Math.max(0, Math.min(length, block.start + block.data.length - position));
      buffer.set(block.data.subarray(position - block.start, position - block.start + n), offset);
      return { bytesRead: n, buffer };
    },
    close: () => Promise.resolve(),
  };
}
