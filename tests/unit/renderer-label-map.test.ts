// The label map's geometry and the theme's cluster colours (WCAG AA contrast in light and dark).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLUSTER_COLORS,
  clusterSlots,
  layoutPoints,
  neighbour,
  shapePath,
  vocabularyShapes,
} from '../../src/renderer/src/lib/label-map.js';

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5]
    .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (r as number) + 0.7152 * (g as number) + 0.0722 * (b as number);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** The custom properties of each theme block of app.css (light, OS dark, picked dark). */
function themeBlocks(): Record<string, string>[] {
  const css = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'renderer', 'src', 'app.css'), 'utf8');
  const blocks = [...css.matchAll(/(?::root|:root:not\(\[data-theme='light'\]\)|:root\[data-theme='dark'\])\s*\{([^}]*)\}/g)];
  return blocks
    .map((m) =>
      Object.fromEntries([...(m[1] ?? '').matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((x) => [x[1] as string, x[2] as string])),
    )
    .filter((vars) => vars.bg !== undefined);
}

describe('label map', () => {
  it('has cluster colours with at least 4.5:1 contrast against the background in every theme', () => {
    const themes = themeBlocks();
    expect(themes.length).toBe(3);
    for (const t of themes) {
      for (let i = 0; i < CLUSTER_COLORS; i++) {
        const c = t[`cluster-${i}`] as string;
        expect(c, `--cluster-${i}`).toMatch(/^#/);
        expect(contrast(c, t.bg as string)).toBeGreaterThanOrEqual(4.5);
        expect(contrast(c, t.surface as string)).toBeGreaterThanOrEqual(4.5);
      }
      expect(contrast(t.muted as string, t.surface as string)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('fits the points into the drawing, keeps directions and compresses outliers', () => {
    const labels = [
      { vocabulary: 'a', name: 'x', cluster: 0, x: 0, y: 0 },
      { vocabulary: 'a', name: 'y', cluster: 0, x: 1, y: 0 },
      { vocabulary: 'b', name: 'z', cluster: 1, x: 0, y: 1 },
      { vocabulary: 'b', name: 'far', cluster: 2, x: 100, y: 0 },
    ];
    const pts = layoutPoints(labels, 400, 300, 20);
    for (const p of pts) {
      expect(p.px).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(p.px).toBeLessThanOrEqual(380 + 1e-9);
      expect(p.py).toBeGreaterThanOrEqual(20 - 1e-9);
      expect(p.py).toBeLessThanOrEqual(280 + 1e-9);
    }
    const [a, b, c, far] = pts as [(typeof pts)[0], (typeof pts)[0], (typeof pts)[0], (typeof pts)[0]];
    expect(b.px).toBeGreaterThan(a.px);
    expect(c.py).toBeLessThan(a.py); // up on the map is up on screen
    expect(far.px).toBeGreaterThan(b.px);
    // The dense part keeps a visible share of the width despite the far point.
    expect((b.px - a.px) / (far.px - a.px)).toBeGreaterThan(0.05);
    expect(layoutPoints([], 10, 10, 1)).toEqual([]);
  });

  it('moves between points with the arrow keys', () => {
    const pts = layoutPoints(
      [
        { vocabulary: 'a', name: 'c', cluster: 0, x: 0, y: 0 },
        { vocabulary: 'a', name: 'r', cluster: 0, x: 1, y: 0.1 },
        { vocabulary: 'a', name: 'u', cluster: 0, x: 0, y: 1 },
        { vocabulary: 'a', name: 'l', cluster: 0, x: -1, y: 0 },
      ],
      400,
      400,
      10,
      1,
    );
    expect(neighbour(pts, 0, 'right')).toBe(1);
    expect(neighbour(pts, 0, 'up')).toBe(2);
    expect(neighbour(pts, 0, 'left')).toBe(3);
    expect(neighbour(pts, 3, 'left')).toBe(3);
  });

  it('gives aligned concepts colour slots, singletons none, and each vocabulary a shape', () => {
    const slots = clusterSlots([
      { id: 2, members: [{ vocabulary: 'a', name: 'x' }] },
      {
        id: 0,
        members: [
          { vocabulary: 'a', name: 'y' },
          { vocabulary: 'b', name: 'z' },
        ],
      },
      {
        id: 1,
        members: [
          { vocabulary: 'a', name: 'p' },
          { vocabulary: 'b', name: 'q' },
        ],
      },
    ]);
    expect([...slots.entries()]).toEqual([
      [0, 0],
      [1, 1],
      [2, null],
    ]);
    const shapes = vocabularyShapes(['a', 'b', 'c']);
    expect(new Set(shapes.values()).size).toBe(3);
    for (const s of shapes.values()) expect(shapePath(s, 5)).toMatch(/^M.*z$/);
  });
});
