import { asObject, optionalBool, optionalInt, optionalNumber, optionalStringArray, requireString } from '../kernel/validate-legacy.js';
import { TRACK_SORT_KEYS, type TrackSortKey } from '../tracks/queries.js';
import { UserError } from '../kernel/errors.js';

/**
 * A label-score condition: tracks whose score for `label` (any text; a vocabulary label uses its
 * description) is above the library's `percentile` P (0-100: the track scores higher than P% of the
 * analysed library; 90 = the top 10%), or at or above the raw cosine `threshold` T (-1..1). Exactly one.
 */
export type LabelCondition =
  | { op: 'label'; label: string; percentile: number; threshold?: undefined }
  | { op: 'label'; label: string; threshold: number; percentile?: undefined };

/** Tracks carrying a tag (accepted, manual or imported), case-insensitively. */
export interface TagCondition {
  op: 'tag';
  label: string;
}

/** A rule's condition tree: label and tag conditions combined with AND, OR and NOT. */
export type RuleNode =
  LabelCondition | TagCondition | { op: 'and'; children: RuleNode[] } | { op: 'or'; children: RuleNode[] } | { op: 'not'; child: RuleNode };

/** An inclusive numeric range; either end may be left open. */
export interface RangeFilter {
  min?: number;
  max?: number;
}

/** Values a text column must be among (`in`) or must not be among (`notIn`), case-insensitively. */
export interface ListFilter {
  in?: string[];
  notIn?: string[];
}

/** Filters on track facts. A track with no value for a filtered fact does not pass `in` or a range. */
export interface RuleFilters {
  /** Seconds. */
  duration?: RangeFilter;
  year?: RangeFilter;
  artist?: ListFilter;
  genre?: ListFilter;
  /** Absolute folder paths: only tracks under one of them. */
  folders?: string[];
}

/** Order of a playlist: by a label's score (highest first) or by a track column. */
export type RuleSort = { by: 'score'; label: string } | { by: TrackSortKey; descending?: boolean };

/** A mood playlist rule, stored as JSON and re-evaluated against the library whenever it is opened. */
export interface PlaylistRule {
  /** Without a condition every analysed track passes (filters still apply). */
  match?: RuleNode;
  filters?: RuleFilters;
  /** Default: the first label condition's score, else by path. */
  sort?: RuleSort;
  /** Default {@link DEFAULT_LIMIT}. */
  limit?: number;
  /** At most this many tracks by one artist. */
  perArtist?: number;
}

/** Tracks a rule returns when it sets no limit. */
export const DEFAULT_LIMIT = 100;
/** The largest limit a rule may ask for. */
export const MAX_LIMIT = 100_000;
const MAX_NODES = 100;
const MAX_DEPTH = 12;
const MAX_LIST = 1000;

/** Checks an untrusted rule (from the UI, the CLI or the database) and returns a clean copy. */
export function parseRule(value: unknown, where: string): PlaylistRule {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`${where}: "rule" must be an object`, 'E_INVALID');
  }
  const o = value as Record<string, unknown>;
  const rule: PlaylistRule = {};
  const budget = { nodes: 0 };
  if (o.match !== undefined) rule.match = parseNode(o.match, `${where}: rule.match`, 0, budget);
  if (o.filters !== undefined) rule.filters = parseFilters(o.filters, `${where}: rule.filters`);
  if (o.sort !== undefined) rule.sort = parseSort(o.sort, `${where}: rule.sort`);
  const limit = optionalInt(o, 'limit', `${where}: rule`, 1, MAX_LIMIT);
  if (limit !== undefined) rule.limit = limit;
  const perArtist = optionalInt(o, 'perArtist', `${where}: rule`, 1, MAX_LIMIT);
  if (perArtist !== undefined) rule.perArtist = perArtist;
  return rule;
}

function parseNode(value: unknown, where: string, depth: number, budget: { nodes: number }): RuleNode {
  if (depth > MAX_DEPTH) throw new UserError(`${where}: conditions nest deeper than ${MAX_DEPTH} levels`, 'E_INVALID');
  if (++budget.nodes > MAX_NODES) throw new UserError(`${where}: a rule can have at most ${MAX_NODES} conditions`, 'E_INVALID');
  if (value === undefined || value === null) throw new UserError(`${where}: a condition must be an object`, 'E_INVALID');
  const o = asObject(value, where);
  switch (o.op) {
    case 'label':
      return parseLabelCondition(o, where);
    case 'tag':
      return { op: 'tag', label: requireString(o, 'label', where).trim() };
    case 'and':
    case 'or': {
      if (!Array.isArray(o.children) || o.children.length === 0)
        throw new UserError(`${where}: "${o.op}" needs a non-empty "children" list`, 'E_INVALID');
      return { op: o.op, children: o.children.map((c, i) => parseNode(c, `${where}.children[${i}]`, depth + 1, budget)) };
    }
    case 'not':
      return { op: 'not', child: parseNode(o.child, `${where}.child`, depth + 1, budget) };
    default:
      throw new UserError(`${where}: "op" must be one of label, tag, and, or, not`, 'E_INVALID');
  }
}

function parseLabelCondition(o: Record<string, unknown>, where: string): LabelCondition {
  const label = requireString(o, 'label', where).trim();
  const percentile = optionalNumber(o, 'percentile', where, 0, 100);
  const threshold = optionalNumber(o, 'threshold', where, -1, 1);
  if ((percentile === undefined) === (threshold === undefined)) {
    throw new UserError(`${where}: a label condition needs exactly one of "percentile" (0-100) or "threshold" (-1 to 1)`, 'E_INVALID');
  }
  return percentile !== undefined ? { op: 'label', label, percentile } : { op: 'label', label, threshold: threshold as number };
}

/** Checks an untrusted filters object (shared by rules, "more like this" and journeys). */
export function parseFilters(value: unknown, where: string): RuleFilters {
  const o = asObject(value, where);
  const out: RuleFilters = {};
  if (o.duration !== undefined) out.duration = parseRange(o.duration, `${where}.duration`, 0, 1e7);
  if (o.year !== undefined) out.year = parseRange(o.year, `${where}.year`, 0, 9999);
  if (o.artist !== undefined) out.artist = parseList(o.artist, `${where}.artist`);
  if (o.genre !== undefined) out.genre = parseList(o.genre, `${where}.genre`);
  const folders = optionalStringArray(o, 'folders', where, MAX_LIST);
  if (folders !== undefined) {
    if (folders.some((f) => !isAbsolutePath(f))) throw new UserError(`${where}: "folders" must be absolute paths`, 'E_INVALID');
    out.folders = folders;
  }
  return out;
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function parseRange(value: unknown, where: string, min: number, max: number): RangeFilter {
  const o = asObject(value, where);
  const r: RangeFilter = {};
  const lo = optionalNumber(o, 'min', where, min, max);
  const hi = optionalNumber(o, 'max', where, min, max);
  if (lo !== undefined) r.min = lo;
  if (hi !== undefined) r.max = hi;
  if (lo !== undefined && hi !== undefined && lo > hi) throw new UserError(`${where}: "min" is greater than "max"`, 'E_INVALID');
  return r;
}

function parseList(value: unknown, where: string): ListFilter {
  const o = asObject(value, where);
  const l: ListFilter = {};
  const inList = optionalStringArray(o, 'in', where, MAX_LIST);
  const notIn = optionalStringArray(o, 'notIn', where, MAX_LIST);
  if (inList !== undefined) l.in = inList;
  if (notIn !== undefined) l.notIn = notIn;
  return l;
}

function parseSort(value: unknown, where: string): RuleSort {
  const o = asObject(value, where);
  if (o.by === 'score') return { by: 'score', label: requireString(o, 'label', where).trim() };
  if (typeof o.by !== 'string' || !(TRACK_SORT_KEYS as readonly string[]).includes(o.by)) {
    throw new UserError(`${where}: "by" must be score or one of ${TRACK_SORT_KEYS.join(', ')}`, 'E_INVALID');
  }
  return { by: o.by as TrackSortKey, descending: optionalBool(o, 'descending', where) ?? false };
}

/** Every label text a rule scores (conditions, then the sort label), without duplicates. */
export function ruleLabels(rule: PlaylistRule): string[] {
  const out: string[] = [];
  const walk = (n: RuleNode): void => {
    if (n.op === 'label') out.push(n.label);
    else if (n.op === 'and' || n.op === 'or') n.children.forEach(walk);
    else if (n.op === 'not') walk(n.child);
  };
  if (rule.match) walk(rule.match);
  if (rule.sort?.by === 'score') out.push(rule.sort.label);
  return [...new Set(out)];
}
