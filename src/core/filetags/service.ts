/**
 * Writing a track's tags into its file's mood field, previewed first, opt-in per library folder, and
 * undoable per run. Safety rules: only opted-in folders; never a file being played or analysed; a
 * read-only or vanished file is reported and skipped; every write goes through a temporary copy, fsync
 * and an atomic rename (safe-write); each file's previous field values are logged before it is replaced.
 * Previews, writes and undos run file by file under a job: they report progress per file and stop
 * between files when cancelled, keeping (and logging for undo) what was written so far.
 */
import type { AnalysisService } from '../analysis/service.js';
import type { ScoringDeps } from '../analysis/scoring-deps.js';
import { trackLabelScores } from '../analysis/song-tags.js';
import type { Db } from '../kernel/database.js';
import type { JobContext } from '../kernel/jobs.js';
import type { Logger } from '../kernel/logger.js';
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
  type FileTagChange,
} from './store.js';
import { plannedChanges, readMoodTags, sameValues, type FieldChanges, type FieldValues } from './tag-io.js';

/** What writing tags into files needs: the database, the analysis (which file it decodes), scoring (for scores) and a logger. */
export interface FileTagDeps {
  db: Db;
  analysis: Pick<AnalysisService, 'status'>;
  scoring: ScoringDeps;
  log: Logger;
}

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

/** One file of an undo. */
export type FileTagUndoFile = FileTagUndoResult['files'][number];

/** Options of a preview or a write. */
export interface FileTagWriteOptions {
  trackIds?: number[];
  dryRun?: boolean;
  includeScores?: boolean;
}

/** Process-wide: two cores of one process (app and tests) share the files, so only one writes at a time. */
let writing = false;

/** True while tags are being written to files or a write is being undone (another write must wait: E_BUSY). */
export function fileTagWriteBusy(): boolean {
  return writing;
}

/** A job context that is never cancelled and reports nowhere (callers without a job). */
const NO_JOB: JobContext = { signal: new AbortController().signal, progress: () => {} };

function emptyCounts(): Record<FileTagStatus, number> {
  return { write: 0, written: 0, unchanged: 0, skipped: 0, failed: 0 };
}

/** Why a file must be left alone right now: busy in this process, or the analysis is decoding it. */
function busyReason(deps: FileTagDeps, trackId: number | null, path: string): string | null {
  const mark = fileBusyReason(path);
  if (mark) return `the file is in use (${mark})`;
  if (trackId !== null && deps.analysis.status().currentTrackId === trackId) return 'the file is being analysed';
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
async function followRewrite(deps: FileTagDeps, trackId: number | null, path: string, before: FileSnapshot | null): Promise<void> {
  if (trackId === null) return;
  try {
    const now = await snapshotFile(path);
    const fingerprint = await fingerprintFile(path, now.size);
    updateTrackIdentity(deps.db, trackId, before ?? { size: -1, mtimeMs: -1 }, { ...now, fingerprint });
  } catch (err) {
    deps.log.warn('could not record the identity of a rewritten file', { path, err: errorMessage(err) });
  }
}

/** The mood values a file should carry: values it has that were not removed in Moodshelf, then the track's tags. */
export function desiredMoods(current: FieldValues, format: MoodTagFormat, tags: readonly string[], removed: ReadonlySet<string>): string[] {
  const inFile = cleanMoodValues(fieldsOf(format).mood.flatMap((f) => splitFieldValues(format, current[f] ?? [])));
  const tagKeys = new Set(tags.map((t) => t.toLowerCase()));
  const kept = inFile.filter((v) => tagKeys.has(v.toLowerCase()) || !removed.has(v.toLowerCase()));
  return cleanMoodValues([...kept, ...tags]);
}

async function scoresJson(deps: FileTagDeps, trackId: number, moods: readonly string[]): Promise<string | null> {
  if (moods.length === 0) return null;
  let t: Awaited<ReturnType<typeof trackLabelScores>>;
  try {
    t = await trackLabelScores(deps.scoring, trackId);
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

/** One file planned: its report (status 'write' when something changes), the changes and the file as read. */
interface PlannedFile {
  report: FileTagReport;
  changes: FieldChanges;
  snapshot: FileSnapshot | null;
}

async function planTrack(deps: FileTagDeps, track: CandidateTrack, includeScores: boolean): Promise<PlannedFile> {
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
  const skip = (reason: string): PlannedFile => ({ report: { ...report, reason }, changes: {}, snapshot: null });
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
  const moods = desiredMoods(state.fields, state.format, trackTagLabels(deps.db, track.id), removedLabels(deps.db, track.id));
  const scores = includeScores ? await scoresJson(deps, track.id, moods) : null;
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

async function blockReason(deps: FileTagDeps, trackId: number | null, path: string): Promise<string | null> {
  const busy = busyReason(deps, trackId, path);
  if (busy) return busy;
  try {
    return await notWritableReason(path);
  } catch (err) {
    return fsReason(err);
  }
}

/** Writes one planned file: logged for undo first, then replaced through safe-write; a failure is reported, not thrown. */
async function writeTrack(deps: FileTagDeps, runId: number, track: CandidateTrack, planned: PlannedFile): Promise<FileTagReport> {
  const { report, changes, snapshot } = planned;
  recordChange(deps.db, {
    runId,
    path: track.path,
    trackId: track.id,
    format: report.format as string,
    before: report.current,
    after: report.next,
  });
  try {
    const after = await writeMoodTagsAtomic(track.path, changes, snapshot ?? undefined);
    await followRewrite(deps, track.id, track.path, snapshot);
    deps.log.info('wrote mood tags', { path: track.path, fields: report.fieldsTouched });
    return { ...report, next: after.fields, status: 'written' };
  } catch (err) {
    forgetChange(deps.db, runId, track.path);
    const reason = err instanceof UserError ? err.message : errorMessage(err);
    const vanishedOrLocked = err instanceof UserError && ['E_VANISHED', 'E_READONLY', 'E_CHANGED'].includes(err.code);
    deps.log.warn('mood tag write failed', { path: track.path, err: reason });
    return { ...report, next: report.current, fieldsTouched: [], status: vanishedOrLocked ? 'skipped' : 'failed', reason };
  }
}

/** Plans one file and, in a write (`runId` set), writes it unless it is busy or read-only. */
async function processTrack(
  deps: FileTagDeps,
  track: CandidateTrack,
  includeScores: boolean,
  runId: number | null,
): Promise<FileTagReport> {
  const planned = await planTrack(deps, track, includeScores);
  if (planned.report.status !== 'write') return planned.report;
  const blocked = await blockReason(deps, track.id, track.path);
  if (blocked) return { ...planned.report, status: 'skipped', reason: blocked };
  return runId === null ? planned.report : writeTrack(deps, runId, track, planned);
}

/** Goes through the tracks one by one, reporting progress, and stops between files when the job is cancelled. */
async function eachTrack(
  deps: FileTagDeps,
  tracks: readonly CandidateTrack[],
  job: JobContext,
  work: (track: CandidateTrack) => Promise<FileTagReport>,
): Promise<FileTagReport[]> {
  const files: FileTagReport[] = [];
  job.progress({ done: 0, total: tracks.length, message: null });
  for (const track of tracks) {
    if (job.signal.aborted) break;
    job.progress({ done: files.length, message: track.path });
    files.push(await work(track));
  }
  job.progress({ done: files.length, message: null });
  return files;
}

/**
 * Previews (dryRun) or writes tags into files: the given tracks, or every track of opted-in folders
 * with tag changes. A dry run reads files and changes nothing, not even the database. Cancelled (through
 * `job`), it stops between files: the files written so far stay written and their run stays in the undo
 * log, and it then throws the cancellation.
 */
export async function writeFileTags(deps: FileTagDeps, options: FileTagWriteOptions, job: JobContext = NO_JOB): Promise<FileTagsResult> {
  const dryRun = options.dryRun ?? false;
  const includeScores = options.includeScores ?? false;
  const tracks = options.trackIds ? tracksByIds(deps.db, options.trackIds) : tracksWithTagState(deps.db);
  if (!dryRun && writing) throw new UserError('Tags are already being written to files; wait for that run to finish', 'E_BUSY');
  if (!dryRun) writing = true;
  try {
    const runId = dryRun ? null : startRun(deps.db, includeScores);
    const files = await eachTrack(deps, tracks, job, (track) => processTrack(deps, track, includeScores, runId));
    const counts = emptyCounts();
    for (const f of files) counts[f.status] += 1;
    const kept =
      runId !== null &&
      finishRun(deps.db, runId, { written: counts.written, unchanged: counts.unchanged, skipped: counts.skipped + counts.failed });
    if (job.signal.aborted && kept)
      deps.log.info('tag write cancelled; what was written stays in the undo log', { runId, written: counts.written });
    job.signal.throwIfAborted();
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
 * Refuses an undo that cannot start: an unknown run, one already undone, or while tags are being written.
 * Handlers call it before starting the job, so the refusal comes at once.
 */
export function checkUndo(db: Db, runId: number): void {
  const run = getRun(db, runId);
  if (!run) throw new UserError(`No tag write run ${runId} (see: moodshelf tags runs)`, 'E_NOT_FOUND');
  if (run.status === 'undone') throw new UserError(`Tag write run ${runId} was already undone`, 'E_INVALID');
  if (writing) throw new UserError('Tags are being written to files; wait for that run to finish', 'E_BUSY');
}

/** Restores one logged file, or says why it was left alone (and notes that in the log, so undo can be run again). */
async function undoChange(deps: FileTagDeps, runId: number, c: FileTagChange): Promise<FileTagUndoFile> {
  if (c.state === 'undone') return { path: c.path, trackId: c.trackId, status: 'already' };
  const fields = new Set([...Object.keys(c.before), ...Object.keys(c.after)]);
  // A file moved or renamed since the run (and rescanned: same track) is undone where it is now.
  const path = (c.trackId !== null ? trackPath(deps.db, c.trackId) : undefined) ?? c.path;
  const skip = (reason: string): FileTagUndoFile => {
    markChange(deps.db, runId, c.path, 'written', reason);
    return { path, trackId: c.trackId, status: 'skipped', reason };
  };
  const blocked = await blockReason(deps, c.trackId, path);
  if (blocked) return skip(`${path}: ${blocked}`);
  let snapshot: FileSnapshot;
  let now: FieldValues;
  try {
    snapshot = await snapshotFile(path);
    now = readMoodTags(path).fields;
  } catch (err) {
    return skip(err instanceof UserError ? err.message : `${path}: ${fsReason(err)}`);
  }
  if (sameFields(now, c.before, fields)) {
    markChange(deps.db, runId, c.path, 'undone', null);
    return { path, trackId: c.trackId, status: 'already' };
  }
  if (!sameFields(now, c.after, fields))
    return skip(`${path}: its mood tags changed after run ${runId} (by a later run or another program), so they were left as they are`);
  const changes: FieldChanges = {};
  for (const f of fields) changes[f] = c.before[f] ?? null;
  try {
    await writeMoodTagsAtomic(path, changes, snapshot);
    await followRewrite(deps, c.trackId, path, snapshot);
    markChange(deps.db, runId, c.path, 'undone', null);
    return { path, trackId: c.trackId, status: 'restored' };
  } catch (err) {
    return skip(err instanceof UserError ? err.message : `${path}: ${errorMessage(err)}`);
  }
}

/**
 * Restores the fields a run changed to their previous values, file by file. A file whose fields no longer
 * hold what the run wrote (a later run or another program changed them) is left alone and reported, as
 * is a busy, read-only or vanished one; undo can be run again for those later. Cancelled, it stops
 * between files (each restored file is recorded as such) and throws the cancellation.
 */
export async function undoFileTags(deps: FileTagDeps, runId: number, job: JobContext = NO_JOB): Promise<FileTagUndoResult> {
  checkUndo(deps.db, runId);
  writing = true;
  try {
    const changes = runChanges(deps.db, runId);
    const files: FileTagUndoFile[] = [];
    job.progress({ done: 0, total: changes.length, message: null });
    for (const c of changes) {
      if (job.signal.aborted) break;
      job.progress({ done: files.length, message: c.path });
      files.push(await undoChange(deps, runId, c));
    }
    job.progress({ done: files.length, message: null });
    job.signal.throwIfAborted();
    const complete = files.every((f) => f.status !== 'skipped');
    if (complete) markRunUndone(deps.db, runId);
    return { runId, complete, files };
  } finally {
    writing = false;
  }
}
