// The rule builder's editable tree and its conversion to the core's PlaylistRule.
import type { PlaylistRule, RuleNode } from '../../../core/playlists/rule.js';

/** One condition as edited: a label score above a percentile or threshold, or a tag; maybe negated. */
export interface EditCondition {
  type: 'condition';
  id: number;
  negate: boolean;
  kind: 'label' | 'tag';
  label: string;
  mode: 'percentile' | 'threshold';
  value: number;
}

/** A group of conditions joined by AND (all) or OR (any); maybe negated. */
export interface EditGroup {
  type: 'group';
  id: number;
  negate: boolean;
  join: 'and' | 'or';
  children: EditNode[];
}

/** A node of the edited tree. */
export type EditNode = EditCondition | EditGroup;

let nextId = 1;

/** A new condition (label above the 80th percentile). */
export function newCondition(label = ''): EditCondition {
  return { type: 'condition', id: nextId++, negate: false, kind: 'label', label, mode: 'percentile', value: 80 };
}

/** A new group holding one condition. */
export function newGroup(join: 'and' | 'or' = 'and', children: EditNode[] = [newCondition()]): EditGroup {
  return { type: 'group', id: nextId++, negate: false, join, children };
}

function negate(node: RuleNode, yes: boolean): RuleNode {
  return yes ? { op: 'not', child: node } : node;
}

/** The core rule node for an edited node; null when it has nothing to test yet (empty labels). */
export function toRuleNode(n: EditNode): RuleNode | null {
  if (n.type === 'condition') {
    const label = n.label.trim();
    if (!label) return null;
    if (n.kind === 'tag') return negate({ op: 'tag', label }, n.negate);
    // Passed as typed, never clamped: a percentile of 150 is refused by the core with a message naming the
    // field (and the editor marks the input), rather than silently becoming 100.
    const c: RuleNode = n.mode === 'percentile' ? { op: 'label', label, percentile: n.value } : { op: 'label', label, threshold: n.value };
    return negate(c, n.negate);
  }
  const children = n.children.map(toRuleNode).filter((c): c is RuleNode => c !== null);
  if (children.length === 0) return null;
  const inner: RuleNode = children.length === 1 ? (children[0] as RuleNode) : { op: n.join, children };
  return negate(inner, n.negate);
}

/** The edited tree back from a stored rule node (to edit a saved playlist). */
export function fromRuleNode(node: RuleNode | undefined): EditGroup {
  if (!node) return newGroup('and', []);
  const walk = (r: RuleNode, neg = false): EditNode => {
    switch (r.op) {
      case 'not':
        return walk(r.child, !neg);
      case 'and':
      case 'or':
        return { type: 'group', id: nextId++, negate: neg, join: r.op, children: r.children.map((c) => walk(c)) };
      case 'tag':
        return { ...newCondition(r.label), kind: 'tag', negate: neg };
      case 'label':
        return r.percentile !== undefined
          ? { ...newCondition(r.label), negate: neg, mode: 'percentile', value: r.percentile }
          : { ...newCondition(r.label), negate: neg, mode: 'threshold', value: r.threshold };
    }
  };
  const root = walk(node);
  return root.type === 'group' && !root.negate ? root : newGroup('and', [root]);
}

/** Filters and ordering edited beside the condition tree. */
export interface EditOptions {
  durationMin: string;
  durationMax: string;
  yearMin: string;
  yearMax: string;
  artists: string;
  genres: string;
  excludeArtists: string;
  folders: string[];
  sort: string;
  descending: boolean;
  limit: number;
  perArtist: string;
}

/** Default options: best first by the first label, 50 tracks. */
export function defaultOptions(): EditOptions {
  return {
    durationMin: '',
    durationMax: '',
    yearMin: '',
    yearMax: '',
    artists: '',
    genres: '',
    excludeArtists: '',
    folders: [],
    sort: 'score',
    descending: true,
    limit: 50,
    perArtist: '',
  };
}

function num(s: string): number | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function list(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function range(min: string, max: string): { min?: number; max?: number } | undefined {
  const lo = num(min);
  const hi = num(max);
  if (lo === undefined && hi === undefined) return undefined;
  return { ...(lo !== undefined ? { min: lo } : {}), ...(hi !== undefined ? { max: hi } : {}) };
}

/** The first label a tree tests (the default sort). */
export function firstLabel(n: EditNode): string | null {
  if (n.type === 'condition') return n.kind === 'label' && n.label.trim() && !n.negate ? n.label.trim() : null;
  for (const c of n.children) {
    const l = firstLabel(c);
    if (l) return l;
  }
  return null;
}

/** The core rule for an edited tree and options. */
export function toRule(root: EditGroup, o: EditOptions): PlaylistRule {
  // Numbers go as typed (an empty field takes the default): one out of range is refused by the core with a
  // message naming the field, never silently changed to something the person did not ask for.
  const limit = typeof o.limit === 'number' && Number.isFinite(o.limit) ? o.limit : 50;
  const rule: PlaylistRule = { limit };
  const match = toRuleNode(root);
  if (match) rule.match = match;
  const duration = range(o.durationMin, o.durationMax);
  const year = range(o.yearMin, o.yearMax);
  const artistIn = list(o.artists);
  const artistOut = list(o.excludeArtists);
  const genres = list(o.genres);
  const filters: NonNullable<PlaylistRule['filters']> = {};
  if (duration) filters.duration = duration;
  if (year) filters.year = year;
  if (artistIn.length || artistOut.length)
    filters.artist = { ...(artistIn.length ? { in: artistIn } : {}), ...(artistOut.length ? { notIn: artistOut } : {}) };
  if (genres.length) filters.genre = { in: genres };
  if (o.folders.length) filters.folders = o.folders;
  if (Object.keys(filters).length) rule.filters = filters;
  const label = firstLabel(root);
  if (o.sort === 'score') {
    if (label) rule.sort = { by: 'score', label };
  } else rule.sort = { by: o.sort as Exclude<NonNullable<PlaylistRule['sort']>['by'], 'score'>, descending: o.descending };
  const per = num(o.perArtist);
  if (per !== undefined) rule.perArtist = per;
  return rule;
}
