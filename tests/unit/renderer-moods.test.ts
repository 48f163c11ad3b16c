// The mood views' pure parts: label placement on the map (no two drawn labels overlap), the heat strip's
// legend and stable rows, "Sort by mood" grouping and filtering, the batch tag union, the duplicate check
// and percentiles in words.
import { describe, expect, it } from 'vitest';
import { heatColor, heatGradient, stripRange, stripRows } from '../../src/renderer/src/lib/heat.js';
import { boxesOverlap, layoutPoints, placeLabels, type MapPoint } from '../../src/renderer/src/lib/label-map.js';
import { existingLabel, groupLabels, percentileWords, tagUnion } from '../../src/renderer/src/lib/mood-words.js';

/** A deterministic pseudo-random sequence (LCG), so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function clusteredPoints(n: number, seed: number): MapPoint[] {
  const r = random(seed);
  const centres = Array.from({ length: 6 }, () => [r() * 10, r() * 10] as const);
  const labels = Array.from({ length: n }, (_, i) => {
    const [cx, cy] = centres[i % centres.length] as readonly [number, number];
    return { vocabulary: 'v', name: `label ${i} ${'x'.repeat(i % 9)}`, cluster: i % 6, x: cx + r() - 0.5, y: cy + r() - 0.5 };
  });
  return layoutPoints(labels, 760, 540, 28);
}

const measure = (t: string): number => t.length * 6.2;

describe('label placement on the map', () => {
  for (const [n, seed] of [
    [20, 1],
    [85, 2],
    [300, 3],
  ] as const) {
    it(`never draws two labels over each other or over another point (${n} points)`, () => {
      const points = clusteredPoints(n, seed);
      const boxes = placeLabels(points, (p) => p.name, { width: 760, height: 540, measure, radius: 6 });
      expect(boxes.length).toBeGreaterThan(Math.min(n, 15));
      for (let i = 0; i < boxes.length; i++) {
        const a = boxes[i] as (typeof boxes)[number];
        expect(a.x).toBeGreaterThanOrEqual(0);
        expect(a.y).toBeGreaterThanOrEqual(0);
        expect(a.x + a.width).toBeLessThanOrEqual(760);
        expect(a.y + a.height).toBeLessThanOrEqual(540);
        expect(a.width).toBe(Math.ceil(measure(points[a.index]?.name ?? '')));
        for (let j = i + 1; j < boxes.length; j++) expect(boxesOverlap(a, boxes[j] as (typeof boxes)[number]), `${i} and ${j}`).toBe(false);
        for (const p of points)
          if (p.index !== a.index) expect(boxesOverlap(a, { x: p.px - 6, y: p.py - 6, width: 12, height: 12 })).toBe(false);
      }
      // One label per point at most, each beside its own point.
      expect(new Set(boxes.map((b) => b.index)).size).toBe(boxes.length);
      for (const b of boxes) {
        const p = points[b.index] as MapPoint;
        const dx = Math.max(b.x - p.px, 0, p.px - (b.x + b.width));
        const dy = Math.max(b.y - p.py, 0, p.py - (b.y + b.height));
        expect(Math.hypot(dx, dy)).toBeLessThan(20);
      }
    });
  }

  it('gives the focused points their labels first', () => {
    const points = clusteredPoints(300, 3);
    const focus = new Set(points.filter((p) => p.cluster === 4).map((p) => p.index));
    const plain = placeLabels(points, (p) => p.name, { width: 760, height: 540, measure });
    const focused = placeLabels(points, (p) => p.name, { width: 760, height: 540, measure, first: focus });
    const count = (boxes: typeof plain): number => boxes.filter((b) => focus.has(b.index)).length;
    expect(count(focused)).toBeGreaterThan(count(plain));
  });

  it('tells overlapping boxes from touching ones', () => {
    expect(boxesOverlap({ x: 0, y: 0, width: 10, height: 10 }, { x: 9, y: 9, width: 5, height: 5 })).toBe(true);
    expect(boxesOverlap({ x: 0, y: 0, width: 10, height: 10 }, { x: 10, y: 0, width: 5, height: 5 })).toBe(false);
  });
});

describe('the heat strip', () => {
  it('has a legend drawn from the same colours as the cells, low to high', () => {
    const g = heatGradient();
    expect(g.startsWith('linear-gradient(to right, ')).toBe(true);
    expect(g).toContain(`${heatColor(0)} 0%`);
    expect(g).toContain(`${heatColor(1)} 100%`);
  });

  it('keeps the vocabulary order for every track, whatever the scores', () => {
    const track = (scores: number[]) =>
      ['calm', 'sad', 'happy'].map((label, i) => ({ vocabulary: 'v', label, segmentScores: [scores[i] as number] }));
    const a = stripRows([...track([0.1, 0.5, 0.3]), { vocabulary: 'w', label: 'x', segmentScores: [1] }], 'v');
    const b = stripRows(track([0.9, 0.0, 0.4]), 'v');
    expect(a.map((r) => r.label)).toEqual(['calm', 'sad', 'happy']);
    expect(b.map((r) => r.label)).toEqual(['calm', 'sad', 'happy']);
    expect(stripRange(a)).toEqual({ lo: 0.1, hi: 0.5 });
    expect(stripRange([])).toEqual({ lo: 0, hi: 1 });
  });
});

describe('moods in words', () => {
  const labels = [
    { vocabulary: 'mtg-jamendo', name: 'calm', description: null, builtin: true },
    { vocabulary: 'mtg-jamendo', name: 'christmas', description: null, builtin: true },
    { vocabulary: 'emotify', name: 'joyful_activation', description: null, builtin: true },
    { vocabulary: 'user', name: 'rainy sunday', description: 'grey light, slow piano', builtin: false },
  ];

  it('groups "Sort by mood" by vocabulary, the user\'s labels first, and filters by name or description', () => {
    expect(groupLabels(labels).map((g) => [g.title, g.labels.length])).toEqual([
      ['My labels', 1],
      ['mtg-jamendo', 2],
      ['emotify', 1],
    ]);
    expect(groupLabels(labels, 'PIANO').map((g) => g.labels.map((l) => l.name))).toEqual([['rainy sunday']]);
    expect(groupLabels(labels, 'joyful act').map((g) => g.vocabulary)).toEqual(['emotify']);
    expect(groupLabels(labels, 'nothing like it')).toEqual([]);
  });

  it('finds an existing label whatever its case or underscores', () => {
    expect(existingLabel(labels, ' CALM ')?.vocabulary).toBe('mtg-jamendo');
    expect(existingLabel(labels, 'Joyful Activation')?.name).toBe('joyful_activation');
    expect(existingLabel(labels, 'Rainy  Sunday')?.vocabulary).toBe('user');
    expect(existingLabel(labels, 'rainy sundays')).toBeUndefined();
    expect(existingLabel(labels, '   ')).toBeUndefined();
  });

  it("counts the union of a selection's tags", () => {
    const union = tagUnion([
      { tags: [{ label: 'sad', source: 'accepted' }] },
      {
        tags: [
          { label: 'Sad', source: 'manual' },
          { label: 'road trip', source: 'manual' },
        ],
      },
      { tags: [{ label: 'sad', source: 'accepted' }] },
      { tags: [] },
    ]);
    expect(union).toEqual([
      { label: 'sad', count: 3, manual: false },
      { label: 'road trip', count: 1, manual: true },
    ]);
  });

  it('says a percentile the way a listener would', () => {
    expect(percentileWords('calm', 86.6)).toBe('more “calm” than 87% of your library');
    expect(percentileWords('joyful_activation', 100)).toBe('more “joyful activation” than anything else in your library');
    expect(percentileWords('calm', 0)).toBe('less “calm” than anything else in your library');
  });
});
