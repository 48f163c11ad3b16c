import type { FileRange } from './file-range.js';

/** A WavPack block header's position facts (40-bit sample counts, split over two fields). */
interface WavPackBlock {
  /** Only meaningful in the first block. */
  totalSamples: number;
  blockIndex: number;
  blockSamples: number;
}

/** Reads the block header at `at`, or null unless "wvpk", a plausible size and a known version are there. */
function readBlock(b: Buffer, at: number): WavPackBlock | null {
  if (at + 32 > b.length || b.toString('latin1', at, at + 4) !== 'wvpk') return null;
  const size = b.readUInt32LE(at + 4);
  const version = b.readUInt16LE(at + 8);
  if (size < 24 || size > 1024 * 1024 || version < 0x402 || version > 0x410) return null;
  return {
    totalSamples: (b[at + 11] as number) * 2 ** 32 + b.readUInt32LE(at + 12),
    blockIndex: (b[at + 10] as number) * 2 ** 32 + b.readUInt32LE(at + 16),
    blockSamples: b.readUInt32LE(at + 20),
  };
}

const TAILS = [256 * 1024, 2 * 1024 * 1024];

/**
 * The sample just past the last block in the file, or null when none is found in its last 2 MiB (blocks
 * are at most 1 MiB). A header must have a known version, a plausible size and end within the stream's
 * total (from the first block); compared with that total, the end shows a file that was cut off.
 */
export async function wavpackEnd(file: FileRange, totalSamples: number): Promise<number | null> {
  for (const length of TAILS) {
    const tail = await file.read(Math.max(0, file.size - length), length);
    for (let at = tail.lastIndexOf('wvpk'); at >= 0; at = at === 0 ? -1 : tail.lastIndexOf('wvpk', at - 1)) {
      const block = readBlock(tail, at);
      const blockEnd = block ? block.blockIndex + block.blockSamples : 0;
      if (block && block.blockSamples > 0 && blockEnd <= totalSamples) return blockEnd;
    }
    if (length >= file.size) break;
  }
  return null;
}
