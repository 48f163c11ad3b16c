import { open, mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSegments } from '../audio/decode.js';
import type { CoreContext } from '../api/context.js';
import { getTrack } from '../tracks/queries.js';
import { UserError } from '../kernel/errors.js';

/** What an export wrote. */
export interface FeatureExport {
  outDir: string;
  packKey: string;
  tracks: number;
  segments: number;
  shape: number[];
  skipped: { trackId: number; reason: string }[];
}

/** The header of a .npy (format 1.0) file for a C-ordered float32 array. */
export function npyHeader(shape: number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const pad = (64 - (unpadded % 64)) % 64;
  const header = `${dict}${' '.repeat(pad)}\n`;
  const buf = Buffer.alloc(10 + header.length);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf.writeUInt8(1, 6);
  buf.writeUInt8(0, 7);
  buf.writeUInt16LE(header.length, 8);
  buf.write(header, 10, 'latin1');
  return buf;
}

/**
 * Writes training features for every track analysed with the active pack: `features.npy` [N, layers+1,
 * hidden] float32 (every hidden state of each stored segment, pooled as the pack pools: the paper's
 * feature layout), `segments.json` ({track, segment, start, path} per row), `labels.json`
 * (track id -> accepted and imported tags) and `export.json` (pack and audio settings). The training
 * pipeline reads this folder as is. Audio is decoded again; nothing is written until a file is complete.
 */
export async function exportFeatures(
  ctx: CoreContext,
  outDir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<FeatureExport> {
  const { pack } = ctx.models.active();
  const model = ctx.models.activeModel();
  const a = model.manifest.audio;
  const rows = ctx.db
    .prepare(
      'SELECT track_id AS trackId, segment_index AS idx, start_sec AS start FROM segment_embeddings WHERE pack_key = ? ORDER BY track_id, segment_index',
    )
    .all(pack.key) as { trackId: number; idx: number; start: number }[];
  if (rows.length === 0)
    throw new UserError(`Nothing to export: no track is analysed with ${pack.key} yet (run: moodshelf analyze)`, 'E_NOT_ANALYZED');
  const byTrack = new Map<number, { idx: number; start: number }[]>();
  for (const r of rows) byTrack.set(r.trackId, [...(byTrack.get(r.trackId) ?? []), { idx: r.idx, start: r.start }]);
  await mkdir(outDir, { recursive: true });
  const tmp = join(outDir, 'features.npy.part');
  const fh = await open(tmp, 'w');
  const segmentsOut: { track: string; segment: number; start: number; path: string }[] = [];
  const skipped: FeatureExport['skipped'] = [];
  let shape: number[] = [0, 0, 0];
  let done = 0;
  try {
    // Reserve room for the header; it is written last, when N is known.
    const headerSize = npyHeader([rows.length, 9999, 99999]).length;
    await fh.write(Buffer.alloc(headerSize), 0, headerSize, 0);
    let offset = headerSize;
    for (const [trackId, segs] of byTrack) {
      const track = getTrack(ctx.db, trackId);
      try {
        if (!track) throw new Error('no longer in the library');
        const decoded = await decodeSegments(
          track.path,
          segs.map((s) => ({ index: s.idx, start: s.start })),
          { targetRate: a.sampleRate, segmentSeconds: a.segmentSeconds, duration: track.duration ?? undefined },
        );
        const enc = await model.encodeFeatures(decoded.segments.map((s) => s.samples));
        shape = [0, enc.layers, enc.hidden];
        for (const [i, f] of enc.features.entries()) {
          const buf = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
          await fh.write(buf, 0, buf.length, offset);
          offset += buf.length;
          const seg = segs[i] as { idx: number; start: number };
          segmentsOut.push({ track: String(trackId), segment: seg.idx, start: seg.start, path: track.path });
        }
      } catch (err) {
        skipped.push({ trackId, reason: err instanceof Error ? err.message : String(err) });
      }
      onProgress?.(++done, byTrack.size);
    }
    shape[0] = segmentsOut.length;
    const header = npyHeader(shape);
    const padded = Buffer.alloc(headerSize, 0x20);
    header.copy(padded, 0, 0, header.length - 1);
    padded.writeUInt16LE(headerSize - 10, 8);
    padded[headerSize - 1] = 0x0a;
    await fh.write(padded, 0, headerSize, 0);
  } finally {
    await fh.close();
  }
  await rename(tmp, join(outDir, 'features.npy'));
  const tags = ctx.db
    .prepare(
      "SELECT track_id AS trackId, label, source FROM track_tags WHERE source IN ('accepted', 'manual', 'imported') ORDER BY track_id, label",
    )
    .all() as { trackId: number; label: string; source: string }[];
  const labels: Record<string, string[]> = {};
  for (const t of tags) if (byTrack.has(t.trackId)) (labels[String(t.trackId)] ??= []).push(t.label);
  await writeFile(join(outDir, 'segments.json'), JSON.stringify(segmentsOut, null, 1));
  await writeFile(join(outDir, 'labels.json'), JSON.stringify(labels, null, 1));
  await writeFile(
    join(outDir, 'export.json'),
    JSON.stringify(
      {
        formatVersion: 1,
        packKey: pack.key,
        sampleRate: a.sampleRate,
        segmentSeconds: a.segmentSeconds,
        pooling: a.pooling,
        normalize: a.normalize,
        shape,
      },
      null,
      2,
    ),
  );
  return { outDir, packKey: pack.key, tracks: byTrack.size - skipped.length, segments: segmentsOut.length, shape, skipped };
}
