import { asObject, optionalInt, optionalNumber, requireInt, requireIntArray, requireString } from '../kernel/validate-legacy.js';
import { UserError } from '../kernel/errors.js';
import { MAX_LIMIT, parseFilters, parseRule, type PlaylistRule, type RuleFilters } from './rule.js';

/** "More like this": the tracks nearest to one or more seed tracks by embedding cosine. */
export interface SimilarDefinition {
  kind: 'similar';
  trackIds: number[];
  /** Default {@link DEFAULT_SIMILAR_LIMIT}. */
  limit?: number;
  perArtist?: number;
  filters?: RuleFilters;
}

/** A mood journey from label `from` to label `to` over `steps` tracks. */
export interface JourneyDefinition {
  kind: 'journey';
  from: string;
  to: string;
  steps: number;
  /** 0 (default) picks purely by the step's target; higher values avoid big jumps between neighbours. */
  jumpPenalty?: number;
  perArtist?: number;
  filters?: RuleFilters;
}

/** What a saved playlist is re-evaluated from. */
export type PlaylistDefinition = { kind: 'rule'; rule: PlaylistRule } | SimilarDefinition | JourneyDefinition;

/** Tracks "more like this" returns when no limit is set. */
export const DEFAULT_SIMILAR_LIMIT = 50;
/** The longest mood journey. */
export const MAX_JOURNEY_STEPS = 1000;
const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Checks untrusted "more like this" parameters. */
export function parseSimilar(o: Record<string, unknown>, where: string): SimilarDefinition {
  const d: SimilarDefinition = { kind: 'similar', trackIds: [...new Set(requireIntArray(o, 'trackIds', where, 1, MAX_ID, 1000))] };
  const limit = optionalInt(o, 'limit', where, 1, MAX_LIMIT);
  const perArtist = optionalInt(o, 'perArtist', where, 1, MAX_LIMIT);
  if (limit !== undefined) d.limit = limit;
  if (perArtist !== undefined) d.perArtist = perArtist;
  if (o.filters !== undefined) d.filters = parseFilters(o.filters, `${where}: filters`);
  return d;
}

/** Checks untrusted mood journey parameters. */
export function parseJourney(o: Record<string, unknown>, where: string): JourneyDefinition {
  const d: JourneyDefinition = {
    kind: 'journey',
    from: requireString(o, 'from', where).trim(),
    to: requireString(o, 'to', where).trim(),
    steps: requireInt(o, 'steps', where, 2, MAX_JOURNEY_STEPS),
  };
  const jumpPenalty = optionalNumber(o, 'jumpPenalty', where, 0, 2);
  const perArtist = optionalInt(o, 'perArtist', where, 1, MAX_LIMIT);
  if (jumpPenalty !== undefined) d.jumpPenalty = jumpPenalty;
  if (perArtist !== undefined) d.perArtist = perArtist;
  if (o.filters !== undefined) d.filters = parseFilters(o.filters, `${where}: filters`);
  return d;
}

/** Checks an untrusted playlist definition of any kind. */
export function parseDefinition(value: unknown, where: string): PlaylistDefinition {
  if (value === undefined || value === null) throw new UserError(`${where}: "definition" is required`, 'E_INVALID');
  const o = asObject(value, `${where}: definition`);
  switch (o.kind) {
    case 'rule':
      return { kind: 'rule', rule: parseRule(o.rule, where) };
    case 'similar':
      return parseSimilar(o, `${where}: definition`);
    case 'journey':
      return parseJourney(o, `${where}: definition`);
    default:
      throw new UserError(`${where}: definition "kind" must be rule, similar or journey`, 'E_INVALID');
  }
}
