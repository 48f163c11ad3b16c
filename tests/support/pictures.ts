/**
 * Cover pictures for tests, made here rather than shipped: valid PNGs encoded with zlib (no image
 * library), a JPEG header that states a size (enough for the core's checks; the e2e test makes a real
 * JPEG with the page's canvas), bad pictures, and a picture embedded into an audio file's tags with
 * node-taglib-sharp (what a tagger does; ffmpeg may not exist in CI).
 */
import { deflateSync } from 'node:zlib';
import { ByteVector, File as TagFile, Picture, PictureType } from 'node-taglib-sharp';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A valid RGB PNG of `width` x `height`, one colour (a different colour per picture tells them apart). */
export function makePng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's marker structure (SOI, APP0, SOF0 stating `width` x `height`, EOI): what the core's check reads. */
export function jpegHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]);
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x03,
    1,
    0x22,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}

/** Bytes that claim to be a picture and are not one. */
export const BAD_PICTURE = Buffer.from('this is not an image, whatever its MIME type says', 'latin1');

/** Embeds `bytes` as the front cover of an audio file's tag (ID3v2 for MP3, a PICTURE block for FLAC, ...). */
export function embedPicture(path: string, bytes: Buffer, mime: string): void {
  const file = TagFile.createFromPath(path);
  try {
    file.tag.pictures = [Picture.fromFullData(ByteVector.fromByteArray(bytes), PictureType.FrontCover, mime, 'cover')];
    file.save();
  } finally {
    file.dispose();
  }
}
