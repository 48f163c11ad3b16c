/**
 * What a saved playlist is re-evaluated from: a rule, "more like this" seeds, or a mood journey. The
 * schemas are the one source of the check (handler parameters, definitions read back from the
 * database) and of the types; the "more like this" and journey handlers take the same fields as the
 * stored definitions, so a preview and a saved playlist can never accept different things.
 */
import { id, int, num, opt, parseInput, v } from '../kernel/schema.js';
import { MAX_LIMIT, filtersSchema, labelText, nested, ruleSchema } from './rule.js';

/** Tracks "more like this" returns when no limit is set. */
export const DEFAULT_SIMILAR_LIMIT = 50;
/** The longest mood journey. */
export const MAX_JOURNEY_STEPS = 1000;
/** The most seed tracks of one "more like this". */
const MAX_SEEDS = 1000;

const SEEDS = `must be a list of 1 to ${MAX_SEEDS} track ids`;

/** "More like this": the tracks nearest to one or more seed tracks (duplicates dropped) by embedding cosine. */
export const similarFields = {
  trackIds: v.pipe(
    v.array(id(), SEEDS),
    v.minLength(1, SEEDS),
    v.maxLength(MAX_SEEDS, SEEDS),
    v.transform((ids) => [...new Set(ids)]),
  ),
  /** Default {@link DEFAULT_SIMILAR_LIMIT}. */
  limit: opt(int(1, MAX_LIMIT)),
  perArtist: opt(int(1, MAX_LIMIT)),
  filters: opt(filtersSchema),
};

/** A mood journey from label `from` to label `to` over `steps` tracks. */
export const journeyFields = {
  from: labelText(),
  to: labelText(),
  steps: int(2, MAX_JOURNEY_STEPS),
  /** 0 (default) picks purely by the step's target; higher values avoid big jumps between neighbours. */
  jumpPenalty: opt(num(0, 2)),
  perArtist: opt(int(1, MAX_LIMIT)),
  filters: opt(filtersSchema),
};

/** Any playlist definition, told apart by `kind`. */
export const definitionSchema = v.variant(
  'kind',
  [
    nested({ kind: v.literal('rule'), rule: ruleSchema }),
    nested({ kind: v.literal('similar'), ...similarFields }),
    nested({ kind: v.literal('journey'), ...journeyFields }),
  ],
  (issue) => (issue.path ? 'must be rule, similar or journey' : 'must be an object'),
);

/** A checked playlist definition. */
export type PlaylistDefinition = v.InferOutput<typeof definitionSchema>;
/** A definition as callers write it, before the check. */
export type PlaylistDefinitionInput = v.InferInput<typeof definitionSchema>;
/** A checked "more like this" definition. */
export type SimilarDefinition = Extract<PlaylistDefinition, { kind: 'similar' }>;
/** A checked mood journey definition. */
export type JourneyDefinition = Extract<PlaylistDefinition, { kind: 'journey' }>;

/**
 * Checks a definition that did not come through a handler's parameters (one read back from the
 * database): `where` names it in the error ("playlist 3").
 */
export function parseDefinition(value: unknown, where: string): PlaylistDefinition {
  return parseInput(where, definitionSchema, value);
}
