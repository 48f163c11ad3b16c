import type { CoreContext } from '../api/context.js';
import { asObject, optionalInt, optionalString, requireInt, requireIntArray, requireString } from '../kernel/validate-legacy.js';
import { trackLabelScores, voteTags } from '../analysis/song-tags.js';
import { UserError } from '../kernel/errors.js';
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

/** Which tracks a tag operation applies to: one, or a multi-selection. */
export type TrackSelection = { trackId: number; trackIds?: never } | { trackIds: number[]; trackId?: never };

/** A track's tags and the suggestions it rejected. */
export interface TrackTags {
  trackId: number;
  tags: TrackTag[];
  rejected: string[];
}

/** A label the model suggests for a track (the song-level vote), not yet accepted or rejected. */
export interface TagSuggestion {
  vocabulary: string;
  label: string;
  votes: number;
  meanScore: number;
}

/** What a tag operation did: the logged operation (null when nothing changed) and the tracks it changed. */
export interface TagOperationResult {
  operation: TagOperation | null;
  changed: number[];
}

const MAX_BATCH = 100_000;
const MAX_ID = Number.MAX_SAFE_INTEGER;

function selection(o: Record<string, unknown>, handler: string): number[] {
  if (o.trackIds !== undefined && o.trackId !== undefined)
    throw new UserError(`${handler}: give "trackId" or "trackIds", not both`, 'E_INVALID');
  if (o.trackIds !== undefined) return requireIntArray(o, 'trackIds', handler, 1, MAX_ID, MAX_BATCH);
  return [requireInt(o, 'trackId', handler, 1, MAX_ID)];
}

/** Handlers for tags: ground truth people accept, reject or type, with multi-level undo. */
export function createTagHandlers(ctx: CoreContext) {
  const operate = (kind: TagOperationKind, handler: string, params: unknown): TagOperationResult => {
    const o = asObject(params, handler);
    const trackIds = selection(o, handler);
    const label = cleanTagLabel(requireString(o, 'label', handler));
    const operation = applyTagOperation(ctx.db, kind, trackIds, label);
    if (operation) ctx.events.emit('tags-changed', { trackIds: operation.trackIds });
    return { operation, changed: operation?.trackIds ?? [] };
  };
  const replay = (operation: TagOperation | null): TagOperation | null => {
    if (operation) ctx.events.emit('tags-changed', { trackIds: operation.trackIds });
    return operation;
  };

  return {
    /** A track's tags (with their source) and the labels rejected for it. */
    'tags-list': (params: { trackId: number }): TrackTags => {
      const trackId = requireInt(asObject(params, 'tags-list'), 'trackId', 'tags-list', 1, MAX_ID);
      assertTracksExist(ctx.db, [trackId]);
      return { trackId, tags: listTags(ctx.db, trackId), rejected: listRejected(ctx.db, trackId) };
    },
    /** Accepts a suggested label on one track or a batch (one undo step); clears an earlier rejection. */
    'tags-accept': (params: TrackSelection & { label: string }): TagOperationResult => operate('accept', 'tags-accept', params),
    /** Rejects a suggestion: removes the tag if present and never suggests the label for the track again. */
    'tags-reject': (params: TrackSelection & { label: string }): TagOperationResult => operate('reject', 'tags-reject', params),
    /** Adds a tag typed by hand (any text, not only vocabulary labels). */
    'tags-add': (params: TrackSelection & { label: string }): TagOperationResult => operate('add', 'tags-add', params),
    /** Removes a tag (without rejecting it: it may be suggested again). */
    'tags-remove': (params: TrackSelection & { label: string }): TagOperationResult => operate('remove', 'tags-remove', params),
    /** Undoes the latest tag operation; null when there is nothing left to undo. */
    'tags-undo': (): TagOperation | null => replay(undoTagOperation(ctx.db)),
    /** Redoes the operation undone last; null when there is nothing to redo. */
    'tags-redo': (): TagOperation | null => replay(redoTagOperation(ctx.db)),
    /** Recent tag operations, newest first (for an undo menu). */
    'tags-history': (params?: { limit?: number }): TagOperation[] =>
      tagHistory(ctx.db, optionalInt(asObject(params, 'tags-history'), 'limit', 'tags-history', 1, 500) ?? 50),
    /**
     * The paper's song-level vote labels for a track (per vocabulary, or one), minus labels already
     * tagged or rejected for it, best first.
     */
    'tags-suggest': async (params: {
      trackId: number;
      vocabulary?: string;
    }): Promise<{ trackId: number; packKey: string; suggestions: TagSuggestion[] }> => {
      const o = asObject(params, 'tags-suggest');
      const trackId = requireInt(o, 'trackId', 'tags-suggest', 1, MAX_ID);
      const t = await trackLabelScores(ctx, trackId, optionalString(o, 'vocabulary', 'tags-suggest'));
      const taken = new Set(
        [...listTags(ctx.db, trackId).map((x) => x.label), ...listRejected(ctx.db, trackId)].map((l) => l.toLowerCase()),
      );
      const suggestions = voteTags(t.vocabs, t.labels, t.segmentScores)
        .flatMap((v) => v.labels.map((l) => ({ vocabulary: v.vocabulary, ...l })))
        .sort((a, b) => b.votes - a.votes || b.meanScore - a.meanScore)
        .filter((s) => {
          const key = s.label.toLowerCase();
          if (taken.has(key)) return false;
          taken.add(key); // the same label voted by two vocabularies is suggested once
          return true;
        });
      return { trackId, packKey: t.packKey, suggestions };
    },
  };
}

/** The tags part of the API contract, derived from the implementation. */
export type TagHandlers = ReturnType<typeof createTagHandlers>;
