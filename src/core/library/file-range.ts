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
