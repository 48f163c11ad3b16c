import { trackLabelScores, voteTags } from '../analysis/song-tags.js';
import type { ScoringDeps } from '../analysis/scoring-deps.js';
import type { Db } from '../kernel/database.js';
import type { Emitter } from '../kernel/events.js';
import { errorMessage } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { alignVocabularies } from '../labels/alignment.js';
import { handler, id, ids, int, opt, optionalParams, params, text, v } from '../kernel/schema.js';
import type { TagEvents } from './events.js';
import { conceptLookup, mergeSuggestions, type ConceptLookup, type ConceptSuggestion, type TagSuggestion } from './suggest-merge.js';
import {
  applyTagOperation,
  assertTracksExist,
  cleanTagLabel,
  listRejected,
  listTags,
  redoTagOperation,
  tagHistory,
  undoTagOperation,
  type TagOperation,
  type TagOperationKind,
  type TrackTag,
} from './store.js';

/**
 * What the tag handlers need: the database, where to announce changes, scoring for suggestions, and a
 * logger (an alignment that cannot be computed leaves suggestions unmerged, logged).
 */
export interface TagHandlerDeps {
  db: Db;
  events: Emitter<TagEvents>;
  /** The active pack's scores of a track's segments, for tags-suggest. */
  scoring: ScoringDeps;
  log: Logger;
  /** Where the paper's label vectors are (tests name a file; default: found beside the core). */
  paperVectorsFile?: string;
}

/** A track's tags and the suggestions it rejected. */
export interface TrackTags {
  trackId: number;
  tags: TrackTag[];
  rejected: string[];
}

export type { ConceptSuggestion, TagSuggestion };

/** What a tag operation did: the logged operation (null when nothing changed) and the tracks it changed. */
export interface TagOperationResult {
  operation: TagOperation | null;
  changed: number[];
}

const MAX_BATCH = 100_000;

/**
 * A tag operation's parameters: the label and which tracks, one (`trackId`) or a multi-selection
 * (`trackIds`, one undo step), never both.
 */
const operationSchema = v.pipe(
  params({ trackId: opt(id()), trackIds: opt(ids(MAX_BATCH)), label: text() }),
  v.check((o) => o.trackId === undefined || o.trackIds === undefined, 'give "trackId" or "trackIds", not both'),
  v.check((o) => o.trackId !== undefined || o.trackIds !== undefined, 'give "trackId" or "trackIds"'),
);

/** The checked parameters of a tag operation. */
type OperationParams = v.InferOutput<typeof operationSchema>;

function selectedTracks(o: OperationParams): number[] {
  return o.trackIds ?? [o.trackId as number];
}

/** Handlers for tags: ground truth people accept, reject or type, with multi-level undo. */
export function createTagHandlers(deps: TagHandlerDeps) {
  const { db, events, scoring } = deps;
  /** The aligned concepts of every vocabulary (stored after the first computation), or null when none can be made. */
  const concepts = async (): Promise<ConceptLookup | null> => {
    try {
      const aligned = await alignVocabularies({ db, models: scoring.models, log: deps.log, paperVectorsFile: deps.paperVectorsFile });
      return conceptLookup(aligned.labels);
    } catch (err) {
      deps.log.warn('suggestions are not merged by concept: no alignment', { err: errorMessage(err) });
      return null;
    }
  };
  const announce = (operation: TagOperation | null): TagOperation | null => {
    if (operation) events.emit('tags-changed', { trackIds: operation.trackIds });
    return operation;
  };
  const operate =
    (kind: TagOperationKind) =>
    (o: OperationParams): TagOperationResult => {
      const operation = announce(applyTagOperation(db, kind, selectedTracks(o), cleanTagLabel(o.label)));
      return { operation, changed: operation?.trackIds ?? [] };
    };

  return {
    /** A track's tags (with their source) and the labels rejected for it. */
    'tags-list': handler(params({ trackId: id() }), ({ trackId }): TrackTags => {
      assertTracksExist(db, [trackId]);
      return { trackId, tags: listTags(db, trackId), rejected: listRejected(db, trackId) };
    }),
    /** Accepts a suggested label on one track or a batch (one undo step); clears an earlier rejection. */
    'tags-accept': handler(operationSchema, operate('accept')),
    /** Rejects a suggestion: removes the tag if present and never suggests the label for the track again. */
    'tags-reject': handler(operationSchema, operate('reject')),
    /** Adds a tag typed by hand (any text, not only vocabulary labels). */
    'tags-add': handler(operationSchema, operate('add')),
    /** Removes a tag (without rejecting it: it may be suggested again). */
    'tags-remove': handler(operationSchema, operate('remove')),
    /**
     * Undoes the latest tag operation, or operation `id` exactly (a toast's Undo: refused with E_CONFLICT
     * when a later change to the same tracks and label is still in effect); null when nothing is left.
     */
    'tags-undo': handler(optionalParams({ id: opt(id()) }), ({ id: op }): TagOperation | null => announce(undoTagOperation(db, op))),
    /** Redoes the operation undone last, or operation `id` exactly; null when there is nothing to redo. */
    'tags-redo': handler(optionalParams({ id: opt(id()) }), ({ id: op }): TagOperation | null => announce(redoTagOperation(db, op))),
    /** Recent tag operations, newest first (for an undo menu). */
    'tags-history': handler(optionalParams({ limit: opt(int(1, 500)) }), ({ limit }): TagOperation[] => tagHistory(db, limit ?? 50)),
    /**
     * The paper's song-level vote labels for a track (per vocabulary, or one), best first, merged by
     * aligned concept: one suggestion per concept (its best-voted label, the others in `related`), and
     * none for a label or concept already tagged or rejected for the track (see suggest-merge.ts).
     */
    'tags-suggest': handler(
      params({ trackId: id(), vocabulary: opt(text(200)) }),
      async ({ trackId, vocabulary }): Promise<{ trackId: number; packKey: string; suggestions: ConceptSuggestion[] }> => {
        const t = await trackLabelScores(scoring, trackId, vocabulary);
        const taken = [...listTags(db, trackId).map((x) => x.label), ...listRejected(db, trackId)];
        const personal = new Set(t.labels.flatMap((l, i) => (t.personal[i] ? [`${l.vocabulary}\u0000${l.label}`] : [])));
        const voted = voteTags(t.vocabs, t.labels, t.segmentScores).flatMap((vt) =>
          vt.labels.map((l) => ({ vocabulary: vt.vocabulary, ...l, personal: personal.has(`${vt.vocabulary}\u0000${l.label}`) })),
        );
        return { trackId, packKey: t.packKey, suggestions: mergeSuggestions(voted, taken, await concepts()) };
      },
    ),
  };
}

/** The tags part of the API contract, derived from the implementation. */
export type TagHandlerDefs = ReturnType<typeof createTagHandlers>;
