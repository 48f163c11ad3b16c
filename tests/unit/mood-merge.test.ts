import { describe, expect, it } from 'vitest';
import type { EmbeddingIndex } from '../../src/core/analysis/embedding-index.js';
import { findLabelClash, labelKey } from '../../src/core/labels/store.js';
import { trackMap } from '../../src/core/playlists/track-map.js';
import { conceptLookup, mergeSuggestions, type TagSuggestion } from '../../src/core/tags/suggest-merge.js';

const s = (vocabulary: string, label: string, votes: number, meanScore = 0.3): TagSuggestion => ({ vocabulary, label, votes, meanScore });

// Concepts as an alignment would place them: "sad"/"sadness"/"melancholic" together, "powerful" with
// "powerful, strong" and "power", and "calm" alone.
const aligned = [
  { vocabulary: 'mtg-jamendo', name: 'sad', cluster: 1 },
  { vocabulary: 'mtg-jamendo', name: 'melancholic', cluster: 1 },
  { vocabulary: 'cal500', name: 'sad', cluster: 1 },
  { vocabulary: 'emotify', name: 'sadness', cluster: 1 },
  { vocabulary: 'mtg-jamendo', name: 'powerful', cluster: 2 },
  { vocabulary: 'cal500', name: 'powerful, strong', cluster: 2 },
  { vocabulary: 'emotify', name: 'power', cluster: 2 },
  { vocabulary: 'mtg-jamendo', name: 'calm', cluster: 3 },
];

describe('suggestions merged by aligned concept', () => {
  const voted = [
    s('emotify', 'sadness', 2),
    s('mtg-jamendo', 'powerful', 3),
    s('cal500', 'powerful, strong', 3, 0.4),
    s('mtg-jamendo', 'sad', 3, 0.2),
    s('cal500', 'sad', 2),
    s('mtg-jamendo', 'calm', 1),
    s('user', 'rainy sunday', 1, 0.1),
  ];

  it('shows one suggestion per concept, the best-voted label leading and the others related', () => {
    const merged = mergeSuggestions(voted, [], conceptLookup(aligned));
    expect(merged.map((m) => m.label)).toEqual(['powerful, strong', 'sad', 'calm', 'rainy sunday']);
    expect(merged[0]?.related.map((r) => r.label)).toEqual(['powerful']);
    // "sad" twice (two vocabularies) comes once; "sadness" joins its concept.
    expect(merged[1]?.related.map((r) => `${r.vocabulary}/${r.label}`)).toEqual(['emotify/sadness']);
    expect(merged[3]).toMatchObject({ concept: null, related: [] });
  });

  it('drops a concept whose label is tagged or rejected, by any name, in any case', () => {
    const merged = mergeSuggestions(voted, ['SADNESS', 'Calm'], conceptLookup(aligned));
    expect(merged.map((m) => m.label)).toEqual(['powerful, strong', 'rainy sunday']);
  });

  it('without an alignment keeps every fresh label, once', () => {
    const merged = mergeSuggestions(voted, ['calm'], null);
    expect(merged.map((m) => m.label)).toEqual(['powerful, strong', 'powerful', 'sad', 'sadness', 'rainy sunday']);
  });
});

describe('label duplicates', () => {
  const entries = [
    { vocabulary: 'mtg-jamendo', name: 'calm', description: null, builtin: true },
    { vocabulary: 'emotify', name: 'joyful_activation', description: null, builtin: true },
    { vocabulary: 'user', name: 'Rainy Sunday', description: null, builtin: false },
  ];
  it('compares names without case, underscores or extra spaces', () => {
    expect(labelKey('  Joyful_Activation ')).toBe('joyful activation');
    expect(findLabelClash(entries, 'CALM')?.vocabulary).toBe('mtg-jamendo');
    expect(findLabelClash(entries, 'joyful  activation')?.name).toBe('joyful_activation');
    expect(findLabelClash(entries, 'rainy sunday')?.name).toBe('Rainy Sunday');
    expect(findLabelClash(entries, 'rainy sundays')).toBeUndefined();
    // A label being renamed does not clash with itself.
    expect(findLabelClash(entries, 'RAINY SUNDAY', { vocabulary: 'user', name: 'Rainy Sunday' })).toBeUndefined();
  });
});

describe('the track map', () => {
  /** An index of `n` tracks (ids 101..) in `dim` dimensions laid out along two directions. */
  function index(n: number, dim: number): EmbeddingIndex {
    const tracks = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      tracks[i * dim] = 1;
      tracks[i * dim + 1] = Math.cos(i / 3);
      tracks[i * dim + 2] = 0.3 * Math.sin(i / 3);
      for (let k = 3; k < dim; k++) tracks[i * dim + k] = 0.01 * ((i * k) % 5);
    }
    const trackIds = Int32Array.from({ length: n }, (_, i) => 101 + i);
    return {
      packKey: 'p',
      dim,
      trackIds,
      tracks,
      rowOf: { get: (id: number) => (id >= 101 && id < 101 + n ? id - 101 : undefined) },
      stamp: 's',
      version: 1,
    } as unknown as EmbeddingIndex;
  }

  it('places the asked tracks in order, leaves out unknown ones, and samples the rest of the library', () => {
    const map = trackMap(index(60, 8), [105, 9999, 130, 101], 20);
    expect(map.points.map((p) => p.trackId)).toEqual([105, 130, 101]);
    expect(map.background).toHaveLength(20);
    expect(map.background.some((p) => [105, 130, 101].includes(p.trackId))).toBe(false);
    // Tracks with different embeddings land at different places; the two axes show most of the variance.
    const [a, b] = map.points;
    expect(Math.hypot((a?.x ?? 0) - (b?.x ?? 0), (a?.y ?? 0) - (b?.y ?? 0))).toBeGreaterThan(0.1);
    expect(map.explained).toBeGreaterThan(0.8);
    expect(map.explained).toBeLessThanOrEqual(1);
    // Same input, same map.
    expect(trackMap(index(60, 8), [105, 9999, 130, 101], 20)).toEqual(map);
  });
});
