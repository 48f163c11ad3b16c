/**
 * Mood playlist rules: a condition tree (label and tag conditions combined with AND, OR and NOT),
 * filters on track facts, an order and limits. Rules arrive from the page, the CLI and the database, so
 * each is checked by the valibot schemas below; the same schemas give the rule types, so the check and
 * the type can never drift apart. The condition tree's depth is part of the schema (one schema per
 * level, the last refusing), so a hostile, deeply nested tree is refused without deep recursion.
 */
import { bool, int, num, text, texts, opt, v } from '../kernel/schema.js';
import { TRACK_SORT_KEYS } from '../tracks/queries.js';

/** Tracks a rule returns when it sets no limit. */
export const DEFAULT_LIMIT = 100;
/** The largest limit a rule may ask for. */
export const MAX_LIMIT = 100_000;
/** The most conditions (tree nodes) one rule may have. */
export const MAX_CONDITIONS = 100;
/** How deep conditions may nest below the rule's `match`. */
export const MAX_DEPTH = 12;
/** The longest value list (artists, genres, folders) a filter may hold. */
const MAX_LIST = 1000;

/**
 * The message of a nested object's issues: a wrong value, a missing field or a field it does not take
 * (valibot reports all three with the object's message, so it tells them apart by the issue's path).
 */
function objectMessage(issue: v.BaseIssue<unknown>): string {
  if (!issue.path) return 'must be an object';
  return issue.expected === 'never' ? 'is not a field it takes' : 'is required';
}

/** A nested object with exactly these fields; unknown ones are refused (typos, drift). */
export function nested<E extends v.ObjectEntries>(entries: E) {
  return v.strictObject(entries, objectMessage);
}

/** A label or tag as written in a rule: any non-empty text, trimmed. */
export function labelText() {
  return v.pipe(text(), v.trim());
}

/** The message of a variant's issues: its deciding field is missing or unknown (`allowed` says what it may be), or it is no object. */
function variantMessage(allowed: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => (issue.path ? `must be ${allowed}` : 'must be an object');
}

const labelFields = nested({ op: v.literal('label'), label: labelText(), percentile: opt(num(0, 100)), threshold: opt(num(-1, 1)) });
const tagCondition = nested({ op: v.literal('tag'), label: labelText() });

/**
 * A label-score condition: tracks whose score for `label` (any text; a vocabulary label uses its
 * description) is above the library's `percentile` P (0-100: the track scores higher than P% of the
 * analysed library; 90 = the top 10%), or at or above the raw cosine `threshold` T (-1..1). Exactly one.
 */
export type LabelCondition =
  | { op: 'label'; label: string; percentile: number; threshold?: undefined }
  | { op: 'label'; label: string; threshold: number; percentile?: undefined };

/** Tracks carrying a tag (accepted, manual or imported), case-insensitively. */
export type TagCondition = v.InferOutput<typeof tagCondition>;

/** A rule's condition tree: label and tag conditions combined with AND, OR and NOT. */
export type RuleNode =
  LabelCondition | TagCondition | { op: 'and'; children: RuleNode[] } | { op: 'or'; children: RuleNode[] } | { op: 'not'; child: RuleNode };

/** A condition tree as callers write it (a label condition's two scores are both optional until checked). */
export type RuleNodeInput =
  | v.InferInput<typeof labelFields>
  | TagCondition
  | { op: 'and'; children: RuleNodeInput[] }
  | { op: 'or'; children: RuleNodeInput[] }
  | { op: 'not'; child: RuleNodeInput };

type NodeSchema = v.GenericSchema<RuleNodeInput, RuleNode>;

const EXACTLY_ONE_SCORE = 'needs exactly one of "percentile" (0-100) or "threshold" (-1 to 1)';
const CHILDREN = `must be a list of 1 to ${MAX_CONDITIONS} conditions`;

/** A label condition in its clean shape: the score it does not use is left out. */
function cleanNode(n: v.InferOutput<typeof labelFields> | Exclude<RuleNode, LabelCondition>): RuleNode {
  if (n.op !== 'label') return n;
  return n.percentile !== undefined
    ? { op: 'label', label: n.label, percentile: n.percentile }
    : { op: 'label', label: n.label, threshold: n.threshold as number };
}

const levels: NodeSchema[] = [];

/** The schema of a condition `depth` levels below `match` (memoised: valibot calls a lazy getter per parse). */
function nodeAt(depth: number): NodeSchema {
  return (levels[depth] ??= buildNode(depth));
}

/** One level of the tree; below {@link MAX_DEPTH} every condition is refused, so parsing never recurses deeper. */
function buildNode(depth: number): NodeSchema {
  if (depth > MAX_DEPTH) return v.custom<RuleNode>(() => false, `nests conditions deeper than ${MAX_DEPTH} levels`);
  const child = v.lazy(() => nodeAt(depth + 1));
  const children = v.pipe(v.array(child, CHILDREN), v.minLength(1, CHILDREN), v.maxLength(MAX_CONDITIONS, CHILDREN));
  return v.pipe(
    v.variant(
      'op',
      [
        labelFields,
        tagCondition,
        nested({ op: v.literal('and'), children }),
        nested({ op: v.literal('or'), children }),
        nested({ op: v.literal('not'), child }),
      ],
      variantMessage('one of label, tag, and, or, not'),
    ),
    v.check((n) => n.op !== 'label' || (n.percentile === undefined) !== (n.threshold === undefined), EXACTLY_ONE_SCORE),
    v.transform(cleanNode),
  );
}

/** How many conditions a tree has. */
export function countConditions(n: RuleNode): number {
  if (n.op === 'and' || n.op === 'or') return n.children.reduce((sum, c) => sum + countConditions(c), 1);
  return n.op === 'not' ? 1 + countConditions(n.child) : 1;
}

/** A rule's condition tree: at most {@link MAX_DEPTH} levels and {@link MAX_CONDITIONS} conditions. */
export const ruleNodeSchema = v.pipe(
  nodeAt(0),
  v.check(
    (n) => countConditions(n) <= MAX_CONDITIONS,
    `has more than ${MAX_CONDITIONS} conditions (a rule can have at most ${MAX_CONDITIONS})`,
  ),
);

function rangeSchema(min: number, max: number) {
  return v.pipe(
    nested({ min: opt(num(min, max)), max: opt(num(min, max)) }),
    v.check((r) => r.min === undefined || r.max === undefined || r.min <= r.max, 'has "min" greater than "max"'),
  );
}

const listSchema = nested({ in: opt(texts(MAX_LIST)), notIn: opt(texts(MAX_LIST)) });

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/** Filters on track facts (shared by rules, "more like this" and journeys). A track with no value for a filtered fact does not pass `in` or a range. */
export const filtersSchema = nested({
  /** Seconds. */
  duration: opt(rangeSchema(0, 1e7)),
  year: opt(rangeSchema(0, 9999)),
  artist: opt(listSchema),
  genre: opt(listSchema),
  /** Absolute folder paths: only tracks under one of them. */
  folders: opt(
    v.pipe(
      texts(MAX_LIST),
      v.check((fs) => fs.every(isAbsolutePath), 'must be absolute paths'),
    ),
  ),
});

/** Order of a playlist: by a label's score (highest first) or by a track column. */
export const sortSchema = v.variant(
  'by',
  [nested({ by: v.literal('score'), label: labelText() }), nested({ by: v.picklist(TRACK_SORT_KEYS), descending: opt(bool()) })],
  variantMessage(`score or one of ${TRACK_SORT_KEYS.join(', ')}`),
);

/** A mood playlist rule, stored as JSON and re-evaluated against the library whenever it is opened. */
export const ruleSchema = nested({
  /** Without a condition every analysed track passes (filters still apply). */
  match: opt(ruleNodeSchema),
  filters: opt(filtersSchema),
  /** Default: the first label condition's score, else by path. */
  sort: opt(sortSchema),
  /** Default {@link DEFAULT_LIMIT}. */
  limit: opt(int(1, MAX_LIMIT)),
  /** At most this many tracks by one artist. */
  perArtist: opt(int(1, MAX_LIMIT)),
});

/** A checked rule. */
export type PlaylistRule = v.InferOutput<typeof ruleSchema>;
/** A rule as callers write it, before the check. */
export type PlaylistRuleInput = v.InferInput<typeof ruleSchema>;
/** Checked filters. */
export type RuleFilters = v.InferOutput<typeof filtersSchema>;
/** An inclusive numeric range; either end may be left open. */
export type RangeFilter = v.InferOutput<ReturnType<typeof rangeSchema>>;
/** Values a text column must be among (`in`) or must not be among (`notIn`), case-insensitively. */
export type ListFilter = v.InferOutput<typeof listSchema>;
/** A checked sort. */
export type RuleSort = v.InferOutput<typeof sortSchema>;

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
