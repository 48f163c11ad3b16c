import type { FileRange } from './file-range.js';

/** GUID of the ASF File Properties object, as stored (little-endian fields). */
const FILE_PROPERTIES = Buffer.from('a1dcab8c47a9cf118ee400c00c205365', 'hex');

/**
 * The file size an ASF (WMA) file's File Properties object declares, or null when it has none or is a
 * broadcast stream (whose size is not known when the header is written). A smaller file was cut off:
 * its header still states the full play time, so nothing else would show it.
 */
export async function asfDeclaredSize(file: FileRange): Promise<number | null> {
  const head = await file.read(0, 64 * 1024);
  const at = head.indexOf(FILE_PROPERTIES);
  if (at < 0 || at + 92 > head.length) return null;
  const broadcast = (head.readUInt32LE(at + 88) & 1) === 1;
  const size = Number(head.readBigUInt64LE(at + 40));
  return broadcast || size === 0 ? null : size;
}
