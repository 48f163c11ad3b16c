import { createHash } from 'node:crypto';
import { UserError } from '../kernel/errors.js';
import { count } from '../kernel/plural.js';
import type { JobContext, JobTicket, Jobs } from '../kernel/jobs.js';
import { bool, handler, id, ids, int, opt, optionalParams, params, text, v } from '../kernel/schema.js';
import {
  checkUndo,
  fileTagWriteBusy,
  undoFileTags,
  writeFileTags,
  type FileTagDeps,
  type FileTagUndoResult,
  type FileTagWriteOptions,
  type FileTagsResult,
} from './service.js';
import {
  listFileTagFolders,
  listRuns,
  runChanges,
  setFileTagFolder,
  type FileTagChange,
  type FileTagFolder,
  type FileTagRun,
} from './store.js';

/** What the file-tag handlers need: what the writer needs (database, analysis, scoring, logger) and the job registry. */
export interface FileTagHandlerDeps extends FileTagDeps {
  jobs: Jobs;
}

/** The most tracks one preview or write may name. */
const MAX_BATCH = 100_000;

/** Which tracks (default: every track of opted-in folders with tag changes) and whether to write scores too. */
const previewFields = { trackIds: opt(ids(MAX_BATCH)), includeScores: opt(bool()) };

/** The same files with the same options: the same work, so a second start joins the running job. */
function workKey(o: FileTagWriteOptions): string {
  const scope = o.trackIds
    ? `tracks:${createHash('sha256')
        .update([...new Set(o.trackIds)].sort((a, b) => a - b).join(','))
        .digest('hex')
        .slice(0, 16)}`
    : 'all';
  return `${scope}|scores:${o.includeScores === true}`;
}

/** A job title people read in the activity list. */
function filesTitle(verb: string, o: FileTagWriteOptions): string {
  const n = o.trackIds ? new Set(o.trackIds).size : null;
  return `${verb} mood tags ${n === null ? 'in the opted-in folders' : `of ${count(n, 'track')}`}`;
}

/** Handlers for writing tags into audio files (mood fields other players read), with preview and undo. */
export function createFileTagHandlers(deps: FileTagHandlerDeps) {
  const { db, jobs } = deps;
  // The writer gets its own deps only (not the job registry).
  const service: FileTagDeps = { db, analysis: deps.analysis, scoring: deps.scoring, log: deps.log };

  /** True when the same job (kind and key) runs now: starting it again joins it rather than being refused. */
  const running = (kind: string, key: string): boolean =>
    jobs.list().some((j) => j.state === 'running' && j.kind === kind && j.key === key);

  /** Refuses at once (E_BUSY) a write or undo while another one runs, unless it is that same job. */
  const refuseWhileWriting = (kind: string, key: string): void => {
    if (fileTagWriteBusy() && !running(kind, key))
      throw new UserError('Tags are already being written to files; wait for that run to finish', 'E_BUSY');
  };

  const startPreview = (o: FileTagWriteOptions): JobTicket<FileTagsResult> =>
    jobs.start({
      kind: 'filetags-preview',
      key: workKey(o),
      title: filesTitle('Previewing', o),
      run: (job: JobContext) => writeFileTags(service, { ...o, dryRun: true }, job),
    });

  const startWrite = (o: FileTagWriteOptions): JobTicket<FileTagsResult> => {
    const key = workKey(o);
    refuseWhileWriting('filetags-write', key);
    return jobs.start({
      kind: 'filetags-write',
      key,
      title: filesTitle('Writing', o),
      run: (job) => writeFileTags(service, { ...o, dryRun: false }, job),
    });
  };

  return {
    /** What a write would do, per file (as a job): current mood values, new values and fields touched. Changes nothing. */
    'filetags-preview': handler(optionalParams(previewFields), (p) => startPreview(p)),
    /**
     * Writes the tracks' tags into their files' mood fields (only in opted-in folders) as a job, file by
     * file; cancelled, it stops between files and what it wrote stays in the undo log. `dryRun` previews.
     */
    'filetags-write': handler(optionalParams({ ...previewFields, dryRun: opt(bool()) }), ({ dryRun, ...o }) =>
      dryRun ? startPreview(o) : startWrite(o),
    ),
    /** Restores the fields a write run changed to their previous values (a job; cancellable between files). */
    'filetags-undo': handler(params({ runId: id() }), ({ runId }): JobTicket<FileTagUndoResult> => {
      const key = `run:${runId}`;
      if (!running('filetags-undo', key)) checkUndo(db, runId);
      return jobs.start({
        kind: 'filetags-undo',
        key,
        title: `Undoing tag write run ${runId}`,
        run: (job) => undoFileTags(service, runId, job),
      });
    }),
    /** Recent write runs, newest first. */
    'filetags-runs': handler(optionalParams({ limit: opt(int(1, 1000)) }), ({ limit }): FileTagRun[] => listRuns(db, limit ?? 50)),
    /** The files one run changed, with their values before and after. */
    'filetags-run': handler(params({ runId: id() }), ({ runId }): FileTagChange[] => runChanges(db, runId)),
    /** Library folders and whether tags may be written into their files. */
    'filetags-folders': handler((): FileTagFolder[] => listFileTagFolders(db)),
    /** Opts a library folder (by id or path) in or out of writing tags into its files. */
    'filetags-set-folder': handler(
      v.pipe(
        params({ folderId: opt(id()), path: opt(text()), enabled: bool() }),
        v.check((p) => (p.folderId === undefined) !== (p.path === undefined), 'give "folderId" or "path"'),
      ),
      ({ folderId, path, enabled }): FileTagFolder => setFileTagFolder(db, folderId ?? (path as string), enabled),
    ),
  };
}

/** The filetags part of the API contract, derived from the implementation. */
export type FileTagHandlerDefs = ReturnType<typeof createFileTagHandlers>;
