// Layout checks by bounding boxes: key elements of a view must lie fully inside the viewport and must not
// intersect each other (a search box over the inspector's title, a toast over the button that raised it).
// The geometry is plain functions (unit-tested on boxes that do overlap, so the check can fail); the
// page side reads the boxes of visible elements through playwright.
import type { Page } from 'playwright-core';

/** An element's box in CSS pixels, viewport coordinates. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A box with the name a failure message uses ("search", "inspector title"). */
export interface NamedBox extends Box {
  name: string;
}

/** Sub-pixel rounding of layout; boxes that share an edge or touch within this do not count as overlapping. */
const EPSILON = 0.5;

/** The area two boxes share (0 when they only touch or are apart). */
export function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > EPSILON && h > EPSILON ? w * h : 0;
}

/**
 * The part of `box` left visible by the boxes of its ancestors that clip (overflow other than visible),
 * or null when nothing of it shows: a table column pushed out of its table, a title squeezed out of view.
 */
export function visiblePart(box: Box, clips: readonly Box[]): Box | null {
  let x0 = box.x;
  let y0 = box.y;
  let x1 = box.x + box.width;
  let y1 = box.y + box.height;
  for (const c of clips) {
    x0 = Math.max(x0, c.x);
    y0 = Math.max(y0, c.y);
    x1 = Math.min(x1, c.x + c.width);
    y1 = Math.min(y1, c.y + c.height);
  }
  return x1 - x0 > EPSILON && y1 - y0 > EPSILON ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** True when `inner` lies fully inside `outer` (within rounding). */
export function contains(outer: Box, inner: Box): boolean {
  return (
    inner.x >= outer.x - EPSILON &&
    inner.y >= outer.y - EPSILON &&
    inner.x + inner.width <= outer.x + outer.width + EPSILON &&
    inner.y + inner.height <= outer.y + outer.height + EPSILON
  );
}

/**
 * Every problem with a set of boxes: one outside the viewport (or with no size: collapsed away), and
 * each pair that intersects. Pairs listed in `allowed` (by name, either order) may overlap, e.g. an
 * element and the container it sits in. An empty list means the layout is sound.
 */
export function layoutProblems(
  boxes: readonly NamedBox[],
  viewport: { width: number; height: number },
  allowed: readonly (readonly [string, string])[] = [],
): string[] {
  const screen: Box = { x: 0, y: 0, width: viewport.width, height: viewport.height };
  const ok = new Set(allowed.flatMap(([a, b]) => [`${a}\u0000${b}`, `${b}\u0000${a}`]));
  const problems: string[] = [];
  const fmt = (b: Box): string => `[${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}x${Math.round(b.height)}]`;
  for (const b of boxes) {
    if (b.width < 1 || b.height < 1) problems.push(`${b.name} has no size ${fmt(b)}`);
    else if (!contains(screen, b))
      problems.push(`${b.name} ${fmt(b)} is not fully inside the ${viewport.width}x${viewport.height} viewport`);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i] as NamedBox;
      const b = boxes[j] as NamedBox;
      if (ok.has(`${a.name}\u0000${b.name}`)) continue;
      const area = overlapArea(a, b);
      if (area > 0) problems.push(`${a.name} ${fmt(a)} overlaps ${b.name} ${fmt(b)} (${Math.round(area)} px²)`);
    }
  }
  return problems;
}

/**
 * The boxes of the visible elements each selector matches (`name` for the first match, `name#2` ... for
 * more). A selector that matches nothing visible is reported as missing when `required`; an element that
 * an ancestor with overflow hidden (or a scroll box) cuts is reported in `clipped`.
 */
export async function readBoxes(
  page: Page,
  targets: readonly { name: string; selector: string; required?: boolean; all?: boolean }[],
): Promise<{ boxes: NamedBox[]; missing: string[]; clipped: string[] }> {
  const boxes: NamedBox[] = [];
  const missing: string[] = [];
  const clipped: string[] = [];
  for (const t of targets) {
    const found = await page.evaluate(
      ({ selector, all }) => {
        type B = { x: number; y: number; width: number; height: number };
        const out: { box: B; clips: B[] }[] = [];
        for (const el of document.querySelectorAll(selector)) {
          const style = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          if (style.display === 'none' || style.visibility === 'hidden' || (r.width === 0 && r.height === 0)) continue;
          const clips: B[] = [];
          for (let a = el.parentElement; a; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
              const c = a.getBoundingClientRect();
              clips.push({ x: c.x, y: c.y, width: c.width, height: c.height });
            }
          }
          out.push({ box: { x: r.x, y: r.y, width: r.width, height: r.height }, clips });
          if (!all) break;
        }
        return out;
      },
      { selector: t.selector, all: t.all ?? false },
    );
    if (found.length === 0 && (t.required ?? true)) missing.push(t.name);
    found.forEach(({ box, clips }, i) => {
      const name = i === 0 ? t.name : `${t.name}#${i + 1}`;
      boxes.push({ name, ...box });
      const seen = visiblePart(box, clips);
      if (!seen || seen.width * seen.height < box.width * box.height * 0.98) {
        const pct = seen ? Math.round((100 * seen.width * seen.height) / (box.width * box.height)) : 0;
        clipped.push(`${name} is cut off by its container (${pct}% visible)`);
      }
    });
  }
  return { boxes, missing, clipped };
}
