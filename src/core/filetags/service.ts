/**
 * Writing a track's tags into its file's mood field, previewed first, opt-in per library folder, and
 * undoable per run. Safety rules: only opted-in folders; never a file being played or analysed; a
 * read-only or vanished file is reported and skipped; every write goes through a temporary copy, fsync
 * and an atomic rename (safe-write); each file's previous field values are logged before it is replaced.
 */
import type { CoreContext } from '../api/context.js';
import { trackLabelScores } from '../analysis/song-tags.js';
import { fingerprintFile } from '../library/probe.js';
import { updateTrackIdentity } from '../library/store.js';
import { UserError, errnoCode, errorMessage } from '../kernel/errors.js';
import { fileBusyReason } from './busy.js';
import { cleanMoodValues, fieldsOf, splitFieldValues, type MoodTagFormat } from './mood-fields.js';
import { notWritableReason, snapshotFile, writeMoodTagsAtomic, type FileSnapshot } from './safe-write.js';
import {
  finishRun,
  forgetChange,
  getRun,
  markChange,
  markRunUndone,
  recordChange,
  removedLabels,
  runChanges,
  startRun,
  trackPath,
  trackTagLabels,
  tracksByIds,
  tracksWithTagState,
  type CandidateTrack,
} from './store.js';
import { plannedChanges, readMoodTags, sameValues, type FieldChanges, type FieldValues } from './tag-io.js';

/** What happens (dry run) or happened to one file. */
export type FileTagStatus = 'write' | 'written' | 'unchanged' | 'skipped' | 'failed';

/** One file of a preview or write: its mood fields now and after, and the fields touched. */
export interface FileTagReport {
  trackId: number | null;
  path: string;
  format: MoodTagFormat | null;
  /** The managed fields' current values (field -> values; absent fields are left out). */
  current: FieldValues;
  /** The managed fields' values after the write (the same as `current` when nothing changes). */
  next: FieldValues;
  /** The mood values the file will carry (or carries, after a write). */
  moods: string[];
  fieldsTouched: string[];
  status: FileTagStatus;
  /** Why a file was skipped or failed. */
  reason?: string;
}

/** A preview or a write: per file, plus counts and the run to undo it with (null: dry run or nothing written). */
export interface FileTagsResult {
  runId: number | null;
  dryRun: boolean;
  files: FileTagReport[];
  counts: Record<FileTagStatus, number>;
}

/** What undoing a run did per file. */
export interface FileTagUndoResult {
  runId: number;
  complete: boolean;
  files: { path: string; trackId: number | null; status: 'restored' | 'already' | 'skipped'; reason?: string }[];
}

/** Options of a preview or a write. */
export interface FileTagWriteOptions {
  trackIds?: number[];
  dryRun?: boolean;
  includeScores?: boolean;
}

let writing = false;

function emptyCounts(): Record<FileTagStatus, number> {
  return { write: 0, written: 0, unchanged: 0, skipped: 0, failed: 0 };
}

/** Why a file must be left alone right now: busy in this process, or the analysis is decoding it. */
function busyReason(ctx: CoreContext, trackId: number | null, path: string): string | null {
  const mark = fileBusyReason(path);
  if (mark) return `the file is in use (${mark})`;
  if (trackId !== null && ctx.analysis.status().currentTrackId === trackId) return 'the file is being analysed';
  return null;
}

function fsReason(err: unknown): string {
  return errnoCode(err) === 'ENOENT' ? 'the file is no longer on disk' : errorMessage(err);
}

/**
 * After Moodshelf rewrote a file (a tag write or its undo): the track takes the file's new size, mtime
 * and content fingerprint, so a rename or move before the next scan still keeps its id, tags and
 * analysis. `before` is the file as it was just before the rewrite. Never throws: the write itself
 * succeeded, and the next scan reads the file again anyway.
 */
async function followRewrite(ctx: CoreContext, trackId: number | null, path: string, before: FileSnapshot | null): Promise<void> {
  if (trackId === null) return;
  try {
    const now = await snapshotFile(path);
    const fingerprint = await fingerprintFile(path, now.size);
    updateTrackIdentity(ctx.db, trackId, before ?? { size: -1, mtimeMs: -1 }, { ...now, fingerprint });
  } catch (err) {
    ctx.log.warn('could not record the identity of a rewritten file', { path, err: errorMessage(err) });
  }
}

/** The mood values a file should carry: values it has that were not removed in Moodshelf, then the track's tags. */
export function desiredMoods(current: FieldValues, format: MoodTagFormat, tags: readonly string[], removed: ReadonlySet<string>): string[] {
  const inFile = cleanMoodValues(fieldsOf(format).mood.flatMap((f) => splitFieldValues(format, current[f] ?? [])));
  const tagKeys = new Set(tags.map((t) => t.toLowerCase()));
  const kept = inFile.filter((v) => tagKeys.has(v.toLowerCase()) || !removed.has(v.toLowerCase()));
  return cleanMoodValues([...kept, ...tags]);
}

async function scoresJson(ctx: CoreContext, trackId: number, moods: readonly string[]): Promise<string | null> {
  if (moods.length === 0) return null;
  let t: Awaited<ReturnType<typeof trackLabelScores>>;
  try {
    t = await trackLabelScores(ctx, trackId);
  } catch {
    return null; // not analysed under the active pack (or no pack): no scores to write
  }
  const byLabel = new Map<string, number>();
  t.labels.forEach((l, i) => {
    const s = t.segmentScores[i] ?? [];
    if (s.length === 0) return;
    const mean = s.reduce((a, b) => a + b, 0) / s.length;
    const key = l.label.toLowerCase();
    byLabel.set(key, Math.max(byLabel.get(key) ?? -Infinity, mean));
  });
  const out: Record<string, number> = {};
  for (const m of moods) {
    const s = byLabel.get(m.toLowerCase());
    if (s !== undefined) out[m] = Math.round(s * 1000) / 1000;
  }
  return Object.keys(out).length > 0 ? JSON.stringify(out) : null;
}

function applyChanges(current: FieldValues, changes: FieldChanges): FieldValues {
  const next: FieldValues = { ...current };
  for (const [field, values] of Object.entries(changes)) {
    if (values === null) delete next[field];
    else next[field] = values;
  }
  return next;
}

async function planTrack(
  ctx: CoreContext,
  track: CandidateTrack,
  includeScores: boolean,
): Promise<{ report: FileTagReport; changes: FieldChanges; snapshot: FileSnapshot | null }> {
  const report: FileTagReport = {
    trackId: track.id,
    path: track.path,
    format: null,
    current: {},
    next: {},
    moods: [],
    fieldsTouched: [],
    status: 'skipped',
  };
  const skip = (reason: string): { report: FileTagReport; changes: FieldChanges; snapshot: null } => ({
    report: { ...report, reason },
    changes: {},
    snapshot: null,
  });
  if (!track.folderEnabled) return skip(`writing tags is not enabled for the library folder ${track.folderPath}`);
  if (track.status === 'missing') return skip('the file is no longer on disk');
  if (track.status !== 'ok') return skip('the file could not be read when it was scanned');
  let snapshot: FileSnapshot;
  let state: ReturnType<typeof readMoodTags>;
  try {
    snapshot = await snapshotFile(track.path);
    state = readMoodTags(track.path);
  } catch (err) {
    return skip(err instanceof UserError ? err.message : fsReason(err));
  }
  const moods = desiredMoods(state.fields, state.format, trackTagLabels(ctx.db, track.id), removedLabels(ctx.db, track.id));
  const scores = includeScores ? await scoresJson(ctx, track.id, moods) : null;
  const changes = plannedChanges(state, moods, scores);
  const touched = Object.keys(changes);
  return {
    report: {
      ...report,
      format: state.format,
      current: state.fields,
      next: applyChanges(state.fields, changes),
      moods,
      fieldsTouched: touched,
      status: touched.length === 0 ? 'unchanged' : 'write',
    },
    changes,
    snapshot,
  };
}

async function blockReason(ctx: CoreContext, trackId: number | null, path: string): Promise<string | null> {
  const busy = busyReason(ctx, trackId, path);
  if (busy) return busy;
  try {
    return await notWritableReason(path);
  } catch (err) {
    return fsReason(err);
  }
}

/**
 * Previews (dryRun) or writes tags into files: the given tracks, or every track of opted-in folders
 * with tag changes. A dry run reads files and changes nothing, not even the database.
 */
export async function writeFileTags(ctx: CoreContext, options: FileTagWriteOptions): Promise<FileTagsResult> {
  const dryRun = options.dryRun ?? false;
  const includeScores = options.includeScores ?? false;
  const tracks = options.trackIds ? tracksByIds(ctx.db, options.trackIds) : tracksWithTagState(ctx.db);
  if (!dryRun && writing) throw new UserError('Tags are already being written to files; wait for that run to finish', 'E_BUSY');
  if (!dryRun) writing = true;
  try {
    const runId = dryRun ? null : startRun(ctx.db, includeScores);
    const files: FileTagReport[] = [];
    for (const track of tracks) {
      const { report, changes, snapshot } = await planTrack(ctx, track, includeScores);
      if (report.status === 'write') {
        const blocked = await blockReason(ctx, track.id, track.path);
        if (blocked) {
          files.push({ ...report, status: 'skipped', reason: blocked });
          continue;
        }
      }
      if (report.status !== 'write' || runId === null) {
        files.push(report);
        continue;
      }
      recordChange(ctx.db, {
        runId,
        path: track.path,
        trackId: track.id,
        format: report.format as string,
        before: report.current,
        after: report.next,
      });
      try {
        const after = await writeMoodTagsAtomic(track.path, changes, snapshot ?? undefined);
        await followRewrite(ctx, track.id, track.path, snapshot);
        files.push({ ...report, next: after.fields, status: 'written' });
        ctx.log.info('wrote mood tags', { path: track.path, fields: report.fieldsTouched });
      } catch (err) {
        forgetChange(ctx.db, runId, track.path);
        const reason = err instanceof UserError ? err.message : errorMessage(err);
        const vanishedOrLocked = err instanceof UserError && ['E_VANISHED', 'E_READONLY', 'E_CHANGED'].includes(err.code);
        files.push({ ...report, next: report.current, fieldsTouched: [], status: vanishedOrLocked ? 'skipped' : 'failed', reason });
        ctx.log.warn('mood tag write failed', { path: track.path, err: reason });
      }
    }
    const counts = emptyCounts();
    for (const f of files) counts[f.status] += 1;
    const kept =
      runId !== null &&
      finishRun(ctx.db, runId, { written: counts.written, unchanged: counts.unchanged, skipped: counts.skipped + counts.failed });
    return { runId: kept ? runId : null, dryRun, files, counts };
  } finally {
    if (!dryRun) writing = false;
  }
}

function sameFields(a: FieldValues, b: FieldValues, fields: Iterable<string>): boolean {
  for (const f of fields) if (!sameValues(a[f] ?? null, b[f] ?? null)) return false;
  return true;
}

/**
 * Restores the fields a run changed to their previous values, file by file. A file whose fields no longer
 * hold what the run wrote (a later run or another program changed them) is left alone and reported, as
 * is a busy, read-only or vanished one; undo can be run again for those later.
 */
export async function undoFileTags(ctx: CoreContext, runId: number): Promise<FileTagUndoResult> {
  const run = getRun(ctx.db, runId);
  if (!run) throw new UserError(`No tag write run ${runId} (see: moodshelf tags runs)`, 'E_NOT_FOUND');
  if (run.status === 'undone') throw new UserError(`Tag write run ${runId} was already undone`, 'E_INVALID');
  if (writing) throw new UserError('Tags are being written to files; wait for that run to finish', 'E_BUSY');
  writing = true;
  try {
    const files: FileTagUndoResult['files'] = [];
    for (const c of runChanges(ctx.db, runId)) {
      if (c.state === 'undone') {
        files.push({ path: c.path, trackId: c.trackId, status: 'already' });
        continue;
      }
      const fields = new Set([...Object.keys(c.before), ...Object.keys(c.after)]);
      // A file moved or renamed since the run (and rescanned: same track) is undone where it is now.
      const path = (c.trackId !== null ? trackPath(ctx.db, c.trackId) : undefined) ?? c.path;
      const skip = (reason: string): void => {
        markChange(ctx.db, runId, c.path, 'written', reason);
        files.push({ path, trackId: c.trackId, status: 'skipped', reason });
      };
      const blocked = await blockReason(ctx, c.trackId, path);
      if (blocked) {
        skip(`${path}: ${blocked}`);
        continue;
      }
      let snapshot: FileSnapshot;
      let now: FieldValues;
      try {
        snapshot = await snapshotFile(path);
        now = readMoodTags(path).fields;
      } catch (err) {
        skip(err instanceof UserError ? err.message : `${path}: ${fsReason(err)}`);
        continue;
      }
      if (sameFields(now, c.before, fields)) {
        markChange(ctx.db, runId, c.path, 'undone', null);
        files.push({ path, trackId: c.trackId, status: 'already' });
        continue;
      }
      if (!sameFields(now, c.after, fields)) {
        skip(`${path}: its mood tags changed after run ${runId} (by a later run or another program), so they were left as they are`);
        continue;
      }
      const changes: FieldChanges = {};
      for (const f of fields) changes[f] = c.before[f] ?? null;
      try {
        await writeMoodTagsAtomic(path, changes, snapshot);
        await followRewrite(ctx, c.trackId, path, snapshot);
        markChange(ctx.db, runId, c.path, 'undone', null);
        files.push({ path, trackId: c.trackId, status: 'restored' });
      } catch (err) {
        skip(err instanceof UserError ? err.message : `${path}: ${errorMessage(err)}`);
      }
    }
    const complete = files.every((f) => f.status !== 'skipped');
    if (complete) markRunUndone(ctx.db, runId);
    return { runId, complete, files };
  } finally {
    writing = false;
  }
}
