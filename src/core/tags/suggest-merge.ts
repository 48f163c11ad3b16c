/**
 * Tag suggestions merged by aligned concept. The built-in vocabularies name one idea several ways ("sad",
 * "sadness"; "powerful", "powerful, strong"), and the label alignment (labels/alignment.ts) already knows
 * which labels share a concept, so the inspector shows one chip per concept: the best-voted label, with the
 * concept's other voted labels beside it (shown on hover). A concept the track already has a tag for, or
 * had one rejected from, is not suggested again under another name.
 */
import { labelKey } from '../labels/store.js';

/** A label the model suggests for a track (the song-level vote), not yet accepted or rejected. */
export interface TagSuggestion {
  vocabulary: string;
  label: string;
  votes: number;
  meanScore: number;
  /** Scored with the user's personal model of the label (core/personal) rather than zero-shot. */
  personal?: boolean;
}

/** A suggestion with the other voted labels of its aligned concept (best first; empty when it stands alone). */
export interface ConceptSuggestion extends TagSuggestion {
  /** The aligned concept's id, or null when no alignment places the label. */
  concept: number | null;
  related: TagSuggestion[];
}

/** Which aligned concept a label is in: by (vocabulary, name), and every concept a bare name is in. */
export interface ConceptLookup {
  conceptOf(vocabulary: string, label: string): number | undefined;
  /** The concepts of every label with this name (compared by labelKey), in any vocabulary. */
  conceptsNamed(label: string): number[];
}

/** A lookup over an alignment's labels (LabelAlignment['labels']). */
export function conceptLookup(labels: readonly { vocabulary: string; name: string; cluster: number }[]): ConceptLookup {
  const exact = new Map<string, number>();
  const byName = new Map<string, number[]>();
  for (const l of labels) {
    exact.set(`${l.vocabulary}\u0000${l.name}`, l.cluster);
    const key = labelKey(l.name);
    byName.set(key, [...(byName.get(key) ?? []), l.cluster]);
  }
  return {
    conceptOf: (vocabulary, label) => exact.get(`${vocabulary}\u0000${label}`),
    conceptsNamed: (label) => byName.get(labelKey(label)) ?? [],
  };
}

/**
 * The suggestions to show: best first (votes, then mean score), without labels in `taken` (tagged or
 * rejected, compared by labelKey), one entry per label name and, given `concepts`, one entry per aligned
 * concept (the best label leads, the others go into `related`) with concepts a taken label belongs to
 * left out. Without `concepts` (no alignment yet) every fresh label stands alone.
 */
export function mergeSuggestions(
  suggestions: readonly TagSuggestion[],
  taken: Iterable<string>,
  concepts: ConceptLookup | null,
): ConceptSuggestion[] {
  const takenKeys = new Set([...taken].map(labelKey));
  const takenConcepts = new Set(concepts ? [...takenKeys].flatMap((k) => concepts.conceptsNamed(k)) : []);
  const seen = new Set<string>();
  const leaders = new Map<number, ConceptSuggestion>();
  const out: ConceptSuggestion[] = [];
  const sorted = [...suggestions].sort((a, b) => b.votes - a.votes || b.meanScore - a.meanScore);
  for (const s of sorted) {
    const key = labelKey(s.label);
    if (takenKeys.has(key) || seen.has(key)) continue;
    seen.add(key);
    const concept = concepts?.conceptOf(s.vocabulary, s.label);
    if (concept === undefined) {
      out.push({ ...s, concept: null, related: [] });
      continue;
    }
    if (takenConcepts.has(concept)) continue;
    const leader = leaders.get(concept);
    if (leader) {
      leader.related.push({ ...s });
      continue;
    }
    const entry: ConceptSuggestion = { ...s, concept, related: [] };
    leaders.set(concept, entry);
    out.push(entry);
  }
  return out;
}
