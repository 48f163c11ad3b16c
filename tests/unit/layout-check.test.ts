// The e2e layout check's geometry: it must report boxes that overlap or leave the viewport, and stay
// quiet for boxes that only touch.
import { describe, expect, it } from 'vitest';
import { contains, layoutProblems, overlapArea, visiblePart, type NamedBox } from '../e2e/support/layout-check.js';

const box = (name: string, x: number, y: number, width: number, height: number): NamedBox => ({ name, x, y, width, height });

describe('layout check', () => {
  it('measures the shared area of overlapping boxes, and none for boxes that only touch', () => {
    expect(overlapArea(box('a', 0, 0, 100, 40), box('b', 80, 20, 100, 40))).toBe(20 * 20);
    expect(overlapArea(box('a', 0, 0, 100, 40), box('b', 100, 0, 50, 40))).toBe(0);
    expect(overlapArea(box('a', 0, 0, 100, 40), box('b', 0, 40.3, 100, 40))).toBe(0);
    expect(overlapArea(box('a', 0, 0, 100, 100), box('b', 10, 10, 5, 5))).toBe(25);
  });

  it('reports a search box over the inspector title, and a control cut off by the window edge', () => {
    const problems = layoutProblems(
      [box('search', 220, 16, 400, 36), box('inspector title', 560, 30, 300, 28), box('sort', 870, 16, 120, 36)],
      { width: 900, height: 600 },
    );
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^sort .* is not fully inside the 900x600 viewport$/);
    expect(problems[1]).toMatch(/^search .* overlaps inspector title .* \(1320 px²\)$/);
  });

  it('reports an element with no size, accepts allowed pairs, and passes a sound layout', () => {
    expect(layoutProblems([box('status header', 10, 10, 0, 20)], { width: 900, height: 600 })).toEqual([
      'status header has no size [10,10 0x20]',
    ]);
    const nested = [box('table', 0, 0, 500, 400), box('header cell', 10, 0, 100, 38)];
    expect(layoutProblems(nested, { width: 900, height: 600 })).toHaveLength(1);
    expect(layoutProblems(nested, { width: 900, height: 600 }, [['header cell', 'table']])).toEqual([]);
    expect(contains(box('outer', 0, 0, 10, 10), box('inner', 0, 0, 10.2, 10))).toBe(true);
  });

  it('finds the part of an element its clipping containers leave visible', () => {
    const table = box('table', 200, 80, 680, 500);
    // A status column pushed past the table's right edge by a pane beside it: nothing of it shows.
    expect(visiblePart(box('status', 900, 90, 60, 24), [table])).toBeNull();
    // A column half out of the table.
    expect(visiblePart(box('moods', 800, 90, 160, 24), [table, box('main', 0, 0, 900, 600)])).toEqual({
      x: 800,
      y: 90,
      width: 80,
      height: 24,
    });
    expect(visiblePart(box('title', 220, 90, 100, 24), [table])).toEqual({ x: 220, y: 90, width: 100, height: 24 });
  });
});
