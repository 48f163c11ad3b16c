import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { crc32 } from 'node:zlib';

/** One zip entry: its bytes, and a Unix mode where it matters (an executable stays executable when unpacked). */
export type ZipEntry = Buffer | { data: Buffer; mode: number };

/** A stored (uncompressed) zip of `files` (name -> bytes, or bytes with a Unix mode). */
export function zipBuffer(files: Record<string, ZipEntry>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, entry] of Object.entries(files)) {
    const { data, mode } = Buffer.isBuffer(entry) ? { data: entry, mode: null } : entry;
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    locals.push(local, n, data);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    // "made by Unix" when a mode is given: the high half of the external attributes is then st_mode
    central.writeUInt16LE(mode === null ? 20 : (3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    if (mode !== null) central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Writes a stored (uncompressed) zip of `files` (name -> bytes): enough to test pack installation. */
export function writeZip(path: string, files: Record<string, Buffer>): void {
  writeFileSync(path, zipBuffer(files));
}

/** Every file under `dir` keyed by its path relative to `prefix` (e.g. "pack/" + relative path). */
export function folderFiles(dir: string, prefix = ''): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    if (statSync(p).isFile()) out[prefix + relative(dir, p).split('\\').join('/')] = readFileSync(p);
  }
  return out;
}
