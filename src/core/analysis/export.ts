import { existsSync } from 'node:fs';
import { open, mkdir, writeFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSegments } from '../audio/decode.js';
import type { JointModel } from '../model/joint-model.js';
import { getTrack } from '../tracks/queries.js';
import { UserError } from '../kernel/errors.js';
import type { ScoringDeps } from './scoring-deps.js';

/** What an export needs: the database and the active pack with its model (no embedding index). */
export type ExportDeps = Pick<ScoringDeps, 'db' | 'models'>;

/** What an export wrote. */
export interface FeatureExport {
  outDir: string;
  packKey: string;
  tracks: number;
  segments: number;
  shape: number[];
  skipped: { trackId: number; reason: string }[];
}

/**
 * Refuses to write into a folder that already holds an export unless `overwrite`, so a second export
 * never silently replaces features someone is training from.
 */
export function refuseExistingExport(outDir: string, overwrite: boolean): void {
  if (overwrite) return;
  const found = ['features.npy', 'export.json'].filter((f) => existsSync(join(outDir, f)));
  if (found.length > 0)
    throw new UserError(
      `${outDir} already holds a feature export (${found.join(', ')}); choose another folder, or replace it (moodshelf export-features --force)`,
      'E_EXISTS',
    );
}

/** The segments to export, checked before any work starts: the active pack and what is analysed with it. */
export interface ExportPlan {
  packKey: string;
  model: JointModel;
  /** Stored segments per track, in track and segment order. */
  byTrack: Map<number, { idx: number; start: number }[]>;
  segments: number;
}

/** Plans an export of every track analysed with the active pack; a UserError when there is nothing to export. */
export function planExport(deps: ExportDeps): ExportPlan {
  const { pack } = deps.models.active();
  const rows = deps.db
    .prepare(
      'SELECT track_id AS trackId, segment_index AS idx, start_sec AS start FROM segment_embeddings WHERE pack_key = ? ORDER BY track_id, segment_index',
    )
    .all(pack.key) as { trackId: number; idx: number; start: number }[];
  if (rows.length === 0)
    throw new UserError(`Nothing to export: no track is analysed with ${pack.key} yet (run: moodshelf analyze)`, 'E_NOT_ANALYZED');
  const byTrack = new Map<number, { idx: number; start: number }[]>();
  for (const r of rows) byTrack.set(r.trackId, [...(byTrack.get(r.trackId) ?? []), { idx: r.idx, start: r.start }]);
  return { packKey: pack.key, model: deps.models.activeModel(), byTrack, segments: rows.length };
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

/** Options of {@link exportFeatures}. */
export interface ExportOptions {
  /** Stops between tracks; nothing is left behind but what was there before. */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** The padded header of the .npy file for `shape`, exactly `size` bytes (room reserved before N was known). */
function paddedHeader(shape: number[], size: number): Buffer {
  const header = npyHeader(shape);
  const padded = Buffer.alloc(size, 0x20);
  header.copy(padded, 0, 0, header.length - 1);
  padded.writeUInt16LE(size - 10, 8);
  padded[size - 1] = 0x0a;
  return padded;
}

interface FeatureRows {
  shape: number[];
  segments: { track: string; segment: number; start: number; path: string }[];
  skipped: FeatureExport['skipped'];
}

/** Decodes and encodes each planned track again, appending its features to the open .npy file. */
async function writeFeatureRows(deps: ExportDeps, plan: ExportPlan, tmp: string, options: ExportOptions): Promise<FeatureRows> {
  const a = plan.model.manifest.audio;
  const fh = await open(tmp, 'w');
  const out: FeatureRows = { shape: [0, 0, 0], segments: [], skipped: [] };
  let done = 0;
  try {
    // Reserve room for the header; it is written last, when N is known.
    const headerSize = npyHeader([plan.segments, 9999, 99999]).length;
    await fh.write(Buffer.alloc(headerSize), 0, headerSize, 0);
    let offset = headerSize;
    for (const [trackId, segs] of plan.byTrack) {
      options.signal?.throwIfAborted();
      const track = getTrack(deps.db, trackId);
      try {
        if (!track) throw new Error('no longer in the library');
        const decoded = await decodeSegments(
          track.path,
          segs.map((s) => ({ index: s.idx, start: s.start })),
          { targetRate: a.sampleRate, segmentSeconds: a.segmentSeconds, duration: track.duration ?? undefined, signal: options.signal },
        );
        const enc = await plan.model.encodeFeatures(decoded.segments.map((s) => s.samples));
        out.shape = [0, enc.layers, enc.hidden];
        for (const [i, f] of enc.features.entries()) {
          const buf = Buffer.from(f.buffer, f.byteOffset, f.byteLength);
          await fh.write(buf, 0, buf.length, offset);
          offset += buf.length;
          const seg = segs[i] as { idx: number; start: number };
          out.segments.push({ track: String(trackId), segment: seg.idx, start: seg.start, path: track.path });
        }
      } catch (err) {
        options.signal?.throwIfAborted();
        out.skipped.push({ trackId, reason: err instanceof Error ? err.message : String(err) });
      }
      options.onProgress?.(++done, plan.byTrack.size);
    }
    out.shape[0] = out.segments.length;
    await fh.write(paddedHeader(out.shape, headerSize), 0, headerSize, 0);
    return out;
  } finally {
    await fh.close();
  }
}

/** Accepted, manual and imported tags of the exported tracks, by track id. */
function exportLabels(deps: ExportDeps, plan: ExportPlan): Record<string, string[]> {
  const tags = deps.db
    .prepare(
      "SELECT track_id AS trackId, label, source FROM track_tags WHERE source IN ('accepted', 'manual', 'imported') ORDER BY track_id, label",
    )
    .all() as { trackId: number; label: string; source: string }[];
  const labels: Record<string, string[]> = {};
  for (const t of tags) if (plan.byTrack.has(t.trackId)) (labels[String(t.trackId)] ??= []).push(t.label);
  return labels;
}

/**
 * Writes training features for every track of `plan`: `features.npy` [N, layers+1, hidden] float32
 * (every hidden state of each stored segment, pooled as the pack pools: the paper's feature layout),
 * `segments.json` ({track, segment, start, path} per row), `labels.json` (track id -> accepted and
 * imported tags) and `export.json` (pack and audio settings). The training pipeline reads this folder as
 * is. Audio is decoded again; nothing is written until a file is complete, and a cancelled export leaves
 * the folder as it was.
 */
export async function exportFeatures(
  deps: ExportDeps,
  plan: ExportPlan,
  outDir: string,
  options: ExportOptions = {},
): Promise<FeatureExport> {
  const a = plan.model.manifest.audio;
  await mkdir(outDir, { recursive: true });
  const tmp = join(outDir, 'features.npy.part');
  let rows: FeatureRows;
  try {
    rows = await writeFeatureRows(deps, plan, tmp, options);
    options.signal?.throwIfAborted();
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, join(outDir, 'features.npy'));
  await writeFile(join(outDir, 'segments.json'), JSON.stringify(rows.segments, null, 1));
  await writeFile(join(outDir, 'labels.json'), JSON.stringify(exportLabels(deps, plan), null, 1));
  const settings = {
    formatVersion: 1,
    packKey: plan.packKey,
    sampleRate: a.sampleRate,
    segmentSeconds: a.segmentSeconds,
    pooling: a.pooling,
    normalize: a.normalize,
    shape: rows.shape,
  };
  await writeFile(join(outDir, 'export.json'), JSON.stringify(settings, null, 2));
  const { segments, skipped, shape } = rows;
  return { outDir, packKey: plan.packKey, tracks: plan.byTrack.size - skipped.length, segments: segments.length, shape, skipped };
}
