/** The first byte offset of the top-level MP4 box `type` in `file`, or -1 (tests check where ffmpeg put the moov). */
export function boxOffset(file: Buffer, type: string): number {
  for (let off = 0; off + 8 <= file.length;) {
    const size = file.readUInt32BE(off);
    if (file.toString('latin1', off + 4, off + 8) === type) return off;
    if (size < 8) return -1;
    off += size;
  }
  return -1;
}
