// Moods in words a listener uses, and the small pure pieces the mood views share: percentiles as
// "more 'calm' than 87% of your library", the grouped and filtered list behind "Sort by mood", the union
// of a multi-selection's tags with counts, and the duplicate check before a label is made.
import { labelText } from './format.js';
import type { LabelEntry } from './types.js';

/** The most characters a tag or label may have (the core refuses more). */
export const MAX_LABEL_CHARS = 200;

/** A percentile (0-100) as a listener reads it: "more “calm” than 87% of your library". */
export function percentileWords(label: string, percentile: number): string {
  const p = Math.max(0, Math.min(100, Math.round(percentile)));
  const name = `“${labelText(label)}”`;
  if (p >= 100) return `more ${name} than anything else in your library`;
  if (p <= 0) return `less ${name} than anything else in your library`;
  return `more ${name} than ${p}% of your library`;
}

/** A group of "Sort by mood": one vocabulary's labels. */
export interface LabelGroup {
  vocabulary: string;
  /** The heading: "My labels" for the user's, else the vocabulary id. */
  title: string;
  mine: boolean;
  labels: LabelEntry[];
}

/**
 * The labels grouped by vocabulary, the user's own vocabularies first (they are the words the person chose),
 * then the built-in ones in their listed order, keeping each vocabulary's own label order; `filter` keeps
 * labels whose name (underscores read as spaces) or description contains it, case aside. Empty groups go.
 */
export function groupLabels(labels: readonly LabelEntry[], filter = ''): LabelGroup[] {
  const f = filter.trim().toLowerCase();
  const groups = new Map<string, LabelGroup>();
  for (const l of labels) {
    if (f && !labelText(l.name).toLowerCase().includes(f) && !(l.description ?? '').toLowerCase().includes(f)) continue;
    const g = groups.get(l.vocabulary) ?? {
      vocabulary: l.vocabulary,
      title: l.vocabulary === 'user' ? 'My labels' : l.vocabulary,
      mine: !l.builtin,
      labels: [],
    };
    g.labels.push(l);
    groups.set(l.vocabulary, g);
  }
  const all = [...groups.values()];
  return [...all.filter((g) => g.mine), ...all.filter((g) => !g.mine)];
}

/** One tag across a multi-selection: how many of the selected tracks carry it. */
export interface TagCount {
  label: string;
  count: number;
  /** Every carrier's tag is hand-typed. */
  manual: boolean;
}

/**
 * The union of several tracks' tags with how many tracks carry each (tags compare without case, the first
 * spelling seen stays), most shared first, then by name.
 */
export function tagUnion(lists: readonly { tags: readonly { label: string; source: string }[] }[]): TagCount[] {
  const byKey = new Map<string, TagCount>();
  for (const list of lists) {
    const seen = new Set<string>();
    for (const t of list.tags) {
      const key = t.label.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const c = byKey.get(key) ?? { label: t.label, count: 0, manual: true };
      c.count++;
      c.manual &&= t.source === 'manual';
      byKey.set(key, c);
    }
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** How two label names are compared: case, underscores and runs of spaces aside (as the core compares them). */
export function labelKey(name: string): string {
  return name.replace(/_/g, ' ').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The existing label a typed name duplicates (any vocabulary, built-in included), or undefined. */
export function existingLabel(labels: readonly LabelEntry[], text: string): LabelEntry | undefined {
  const key = labelKey(text);
  return key ? labels.find((l) => labelKey(l.name) === key) : undefined;
}
