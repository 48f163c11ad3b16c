/**
 * The two checksums the container parsers verify, in one place because both the scanner's duration
 * readers (library/) and the seeking decoders (audio/) check the same frames and pages: FLAC's frame
 * header CRC-8 and Ogg's page CRC-32.
 */

const CRC8_TABLE = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    t[i] = c;
  }
  return t;
})();

const OGG_CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

/** FLAC's frame-header CRC-8 (polynomial 0x07) over `b[from..to)`: a real frame header matches the byte at `to`. */
export function crc8(b: Uint8Array, from: number, to: number): number {
  let c = 0;
  for (let i = from; i < to; i++) c = CRC8_TABLE[c ^ (b[i] as number)] as number;
  return c;
}

/**
 * The Ogg page checksum (CRC-32, polynomial 0x04c11db7, no reflection) of a whole page, with its CRC field
 * (bytes 22-25) taken as zero, so it both verifies a read page and stamps a written one.
 */
export function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) {
    const byte = i >= 22 && i < 26 ? 0 : (page[i] as number);
    crc = ((crc << 8) ^ (OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return crc;
}
