/**
 * The command line's way to write playlist rules, mapped onto the core's rule tree (playlists/rule.ts)
 * and back, so `playlists create` reads what `playlists list|show` print:
 *
 *   calm>=0.7        raw cosine score at or above 0.7 (also >, <, <=)
 *   calm>90%         above the library's 90th percentile: the top 10% (>= reads the same; < and <= invert)
 *   tag:sunday       carries the tag (accepted, manual or imported); !tag:sunday does not
 *   !calm>=0.7       any condition negated
 *   a>=0.5 | b>80%   one --rule value with alternatives: either matches
 *
 * Several --rule values must all match (AND), or any of them with --any (OR). Labels are any text,
 * spaces included ("rainy sunday>=0.2").
 */
import type { PlaylistDefinition } from '../core/playlists/definition.js';
import type { PlaylistRule, RangeFilter, RuleFilters, RuleNode, RuleSort } from '../core/playlists/rule.js';
import { TRACK_SORT_KEYS, type TrackSortKey } from '../core/tracks/queries.js';
import { UsageError } from './context.js';
import { count, formatDuration } from './format.js';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The next float32 above `x` (as float32): scores are float32, so "> t" is ">= the next float32 after t". */
function nextFloat32Up(x: number): number {
  f32[0] = x;
  const v = f32[0] as number;
  if (v === 0) {
    i32[0] = 1;
    return f32[0] as number;
  }
  i32[0] = (i32[0] as number) + (v > 0 ? 1 : -1);
  return f32[0] as number;
}

function nextFloat32Down(x: number): number {
  return -nextFloat32Up(-x);
}

/** The shortest decimal that is the same float32 as `v` ("0.7" rather than 0.699999988079071). */
function short32(v: number): string {
  const target = Math.fround(v);
  for (let digits = 1; digits <= 9; digits++) {
    const s = Number(v.toPrecision(digits));
    if (Math.fround(s) === target) return String(s);
  }
  return String(v);
}

function significantDigits(decimal: string): number {
  return decimal
    .replace(/e.*$/i, '')
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '').length;
}

const CONDITION = /^(.+?)\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*(%?)$/;

/** One condition of the command-line syntax as a rule node. */
export function parseCondition(input: string): RuleNode {
  let text = input.trim();
  let negate = false;
  const not = /^!\s*/.exec(text);
  if (not) {
    negate = true;
    text = text.slice(not[0].length).trim();
  }
  let node: RuleNode;
  const tag = /^tag\s*:\s*(.+)$/i.exec(text);
  const m = CONDITION.exec(text);
  if (tag) {
    node = { op: 'tag', label: (tag[1] as string).trim() };
  } else if (m) {
    const label = (m[1] as string).trim();
    const op = m[2] as '>=' | '<=' | '>' | '<';
    const value = Number(m[3]);
    if (m[4] === '%') {
      if (value < 0 || value > 100) throw new UsageError(`"${input}": a percentile is 0% to 100%`);
      node = { op: 'label', label, percentile: value };
      if (op === '<' || op === '<=') node = { op: 'not', child: node };
    } else {
      if (value < -1 || value > 1)
        throw new UsageError(`"${input}": a score is a cosine from -1 to 1 (or write a percentile: ${label}>90%)`);
      const strict = op === '>' || op === '<=';
      if (strict && value >= 1) throw new UsageError(`"${input}" can never match: no score is above 1`);
      node = { op: 'label', label, threshold: strict ? nextFloat32Up(value) : value };
      if (op === '<' || op === '<=') node = { op: 'not', child: node };
    }
  } else {
    throw new UsageError(
      `cannot read the rule "${input}": write LABEL>=SCORE (a cosine, e.g. calm>=0.3), LABEL>P% (a percentile, e.g. calm>90%) or tag:NAME`,
    );
  }
  if (node.op === 'label' && node.label === '') throw new UsageError(`"${input}" names no label`);
  if (node.op === 'tag' && node.label === '') throw new UsageError(`"${input}" names no tag`);
  return negate ? { op: 'not', child: node } : node;
}

/** Every --rule value as one condition tree: values are ANDed (ORed with `any`), "|" separates alternatives. */
export function parseRuleArgs(values: readonly string[], any: boolean): RuleNode | undefined {
  const parts = values.map((v): RuleNode => {
    const alternatives = v
      .split('|')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map(parseCondition);
    if (alternatives.length === 0) throw new UsageError('--rule needs a condition, e.g. --rule "calm>=0.3"');
    return alternatives.length === 1 ? (alternatives[0] as RuleNode) : { op: 'or', children: alternatives };
  });
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return { op: any ? 'or' : 'and', children: parts };
}

/** A --sort value: a track column (title, artist, year, …) or a label to sort by its score ("score:LABEL" when a label is named like a column). */
export function parseSort(value: string, descending: boolean): RuleSort {
  if ((TRACK_SORT_KEYS as readonly string[]).includes(value)) return { by: value as TrackSortKey, descending };
  const label = value.replace(/^score:/i, '').trim();
  if (label === '') throw new UsageError('--sort needs a column or a label');
  return { by: 'score', label };
}

function parseNumberOrTime(s: string, what: string): number {
  const t = /^(\d+):([0-5]?\d(?:\.\d+)?)$/.exec(s);
  const n = t ? Number(t[1]) * 60 + Number(t[2]) : Number(s);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${what}: "${s}" is not a number`);
  return n;
}

/** "1990-2000", "1990..2000", "1990-" or "-2000" (durations also as m:ss) as a range filter; one value is that value exactly. */
export function parseRange(value: string, what: string): RangeFilter {
  const v = value.trim();
  const sep = v.includes('..') ? '..' : v.indexOf('-', 1) > 0 || v.startsWith('-') ? '-' : null;
  if (sep === null) {
    const n = parseNumberOrTime(v, what);
    return { min: n, max: n };
  }
  const at = sep === '..' ? v.indexOf('..') : v.startsWith('-') ? 0 : v.indexOf('-', 1);
  const lo = v.slice(0, at).trim();
  const hi = v.slice(at + sep.length).trim();
  const r: RangeFilter = {};
  if (lo !== '') r.min = parseNumberOrTime(lo, what);
  if (hi !== '') r.max = parseNumberOrTime(hi, what);
  if (r.min === undefined && r.max === undefined) throw new UsageError(`${what}: give a range such as 1990-2000`);
  if (r.min !== undefined && r.max !== undefined && r.min > r.max) throw new UsageError(`${what}: "${value}" starts after it ends`);
  return r;
}

/** --artist / --genre values: "Name" keeps only that value, "!Name" leaves it out (case-insensitive). */
export function parseList(values: readonly string[] | undefined): { in?: string[]; notIn?: string[] } | undefined {
  if (!values || values.length === 0) return undefined;
  const keep = values.filter((v) => !v.startsWith('!')).map((v) => v.trim());
  const drop = values.filter((v) => v.startsWith('!')).map((v) => v.slice(1).trim());
  return { ...(keep.length ? { in: keep } : {}), ...(drop.length ? { notIn: drop } : {}) };
}

function describeLeaf(n: RuleNode, negated: boolean): string | null {
  if (n.op === 'tag') return `${negated ? '!' : ''}tag:${n.label}`;
  if (n.op !== 'label') return null;
  if (n.percentile !== undefined) return `${n.label}${negated ? '<=' : '>'}${n.percentile}%`;
  const t = n.threshold;
  const down = nextFloat32Down(t);
  // A threshold one float32 above a short number (as people type them: 0.7, 0.25) was written as "> x"
  // (or "<= x" when negated); a long one is a value as it is.
  if (significantDigits(short32(down)) <= 4 && significantDigits(short32(t)) >= 7)
    return `${n.label}${negated ? '<=' : '>'}${short32(down)}`;
  return `${n.label}${negated ? '<' : '>='}${short32(t)}`;
}

/** A condition tree in the command-line syntax ("calm>=0.7 and (tag:sunday | dreamy>80%)"). */
export function describeNode(n: RuleNode, nested = false): string {
  const leaf = describeLeaf(n, false);
  if (leaf !== null) return leaf;
  if (n.op === 'not') {
    const inner = describeLeaf(n.child, true);
    return inner ?? `not (${describeNode(n.child)})`;
  }
  if (n.op === 'and' || n.op === 'or') {
    const text = n.children.map((c) => describeNode(c, true)).join(n.op === 'and' ? ' and ' : ' | ');
    return nested ? `(${text})` : text;
  }
  return '?';
}

function describeRange(r: RangeFilter, unit: (n: number) => string): string {
  if (r.min !== undefined && r.max !== undefined) return r.min === r.max ? unit(r.min) : `${unit(r.min)}-${unit(r.max)}`;
  return r.min !== undefined ? `${unit(r.min)}-` : `-${unit(r.max as number)}`;
}

function describeFilters(f: RuleFilters | undefined): string[] {
  if (!f) return [];
  const out: string[] = [];
  const list = (name: string, l: { in?: string[]; notIn?: string[] }): void => {
    if (l.in?.length) out.push(`${name} ${l.in.join(', ')}`);
    if (l.notIn?.length) out.push(`${name} not ${l.notIn.join(', ')}`);
  };
  if (f.artist) list('artist', f.artist);
  if (f.genre) list('genre', f.genre);
  if (f.year) out.push(`year ${describeRange(f.year, String)}`);
  if (f.duration) out.push(`duration ${describeRange(f.duration, formatDuration)}`);
  if (f.folders?.length) out.push(`in ${f.folders.join(', ')}`);
  return out;
}

/** A rule's conditions, filters, order and limits on one line. */
function describeRule(rule: PlaylistRule): string {
  const parts = [rule.match ? describeNode(rule.match) : 'every analysed track', ...describeFilters(rule.filters)];
  if (rule.sort)
    parts.push(rule.sort.by === 'score' ? `by ${rule.sort.label}` : `by ${rule.sort.by}${rule.sort.descending ? ' (descending)' : ''}`);
  if (rule.perArtist) parts.push(`at most ${rule.perArtist} per artist`);
  if (rule.limit) parts.push(`limit ${rule.limit}`);
  return parts.join('; ');
}

/** Any saved playlist's definition on one line. */
export function describeDefinition(d: PlaylistDefinition): string {
  switch (d.kind) {
    case 'rule':
      return describeRule(d.rule);
    case 'similar':
      return [`more like track ${d.trackIds.join(', ')}`, ...describeFilters(d.filters), ...(d.limit ? [`limit ${d.limit}`] : [])].join(
        '; ',
      );
    case 'journey':
      return [`journey ${d.from} → ${d.to}, ${count(d.steps, 'step')}`, ...describeFilters(d.filters)].join('; ');
  }
}
