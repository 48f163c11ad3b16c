// Geometry of the 2-D label map: fitting the alignment's points into the drawing, one marker shape per
// vocabulary, a colour slot per aligned concept and spatial keyboard navigation between points.
import type { RunResult } from '../../../core/contract.js';

/** The result of the labels-align job. */
export type LabelAlignment = RunResult<'labels-align'>;
/** One label on the map. */
export type AlignedLabel = LabelAlignment['labels'][number];
/** One aligned concept. */
export type AlignedCluster = LabelAlignment['clusters'][number];

/** How many cluster colours the theme defines (--cluster-0 … --cluster-9 in app.css). */
export const CLUSTER_COLORS = 10;

/** A label placed in drawing coordinates. */
export interface MapPoint extends AlignedLabel {
  /** Index in the alignment's label list. */
  index: number;
  px: number;
  py: number;
}

/**
 * Places the points in a `width` × `height` drawing with `pad` margins, keeping the map's aspect ratio.
 * Distances from the median point are raised to `gamma` (default 0.5) first, so a few far-out labels do not
 * squeeze the dense middle of the map into a corner; directions and the order of distances are kept.
 */
export function layoutPoints(labels: readonly AlignedLabel[], width: number, height: number, pad: number, gamma = 0.5): MapPoint[] {
  if (labels.length === 0) return [];
  const median = (v: number[]): number => {
    const s = [...v].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  };
  const cx = median(labels.map((l) => l.x));
  const cy = median(labels.map((l) => l.y));
  const warped = labels.map((l) => {
    const dx = l.x - cx;
    const dy = l.y - cy;
    const d = Math.hypot(dx, dy);
    const k = d > 0 ? d ** (gamma - 1) : 0;
    return { x: dx * k, y: dy * k };
  });
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const l of warped) {
    minX = Math.min(minX, l.x);
    maxX = Math.max(maxX, l.x);
    minY = Math.min(minY, l.y);
    maxY = Math.max(maxY, l.y);
  }
  const spanX = maxX - minX || 1;
  const spanY = maxY - minY || 1;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  // y grows upwards on the map and downwards on screen.
  return labels.map((l, index) => {
    const w = warped[index] as { x: number; y: number };
    return { ...l, index, px: offX + (w.x - minX) * scale, py: height - (offY + (w.y - minY) * scale) };
  });
}

/** The marker shapes, one per vocabulary (in the order vocabularies are listed). */
export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star'] as const;
export type Shape = (typeof SHAPES)[number];

/** An SVG path for a marker of `shape` centred on the origin with radius about `r`. */
export function shapePath(shape: Shape, r: number): string {
  const f = (n: number): string => n.toFixed(2);
  switch (shape) {
    case 'circle':
      return `M${f(-r)},0a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0z`;
    case 'square': {
      const s = r * 0.88;
      return `M${f(-s)},${f(-s)}h${f(2 * s)}v${f(2 * s)}h${f(-2 * s)}z`;
    }
    case 'triangle': {
      const t = r * 1.25;
      return `M0,${f(-t)}L${f(t * 0.866)},${f(t * 0.5)}L${f(-t * 0.866)},${f(t * 0.5)}z`;
    }
    case 'diamond': {
      const d = r * 1.25;
      return `M0,${f(-d)}L${f(d)},0L0,${f(d)}L${f(-d)},0z`;
    }
    case 'star': {
      const pts: string[] = [];
      for (let i = 0; i < 10; i++) {
        const rad = i % 2 === 0 ? r * 1.35 : r * 0.6;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        pts.push(`${f(Math.cos(a) * rad)},${f(Math.sin(a) * rad)}`);
      }
      return `M${pts.join('L')}z`;
    }
  }
}

/** The shape of each vocabulary, in the given order (cycling when there are more than five). */
export function vocabularyShapes(vocabularies: readonly string[]): Map<string, Shape> {
  return new Map(vocabularies.map((v, i) => [v, SHAPES[i % SHAPES.length] as Shape]));
}

/**
 * Colour slots for concepts: clusters with more than one label get slots 0…9 in id order (cycling);
 * singletons get none (drawn in the muted colour so the aligned concepts stand out).
 */
export function clusterSlots(clusters: readonly AlignedCluster[]): Map<number, number | null> {
  const m = new Map<number, number | null>();
  let next = 0;
  for (const c of [...clusters].sort((a, b) => a.id - b.id)) {
    m.set(c.id, c.members.length > 1 ? next++ % CLUSTER_COLORS : null);
  }
  return m;
}

/** The CSS colour of a concept's slot. */
export function slotColor(slot: number | null | undefined): string {
  return slot === null || slot === undefined ? 'var(--muted)' : `var(--cluster-${slot})`;
}

/** Arrow-key directions. */
export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The point an arrow key moves to from `from`: the nearest point lying in that direction, favouring
 * points straight ahead over points off to the side; `from` itself when there is none.
 */
export function neighbour(points: readonly MapPoint[], from: number, dir: Direction): number {
  const p = points[from];
  if (!p) return from;
  let best = from;
  let bestCost = Infinity;
  for (const q of points) {
    if (q.index === from) continue;
    const dx = q.px - p.px;
    const dy = q.py - p.py;
    const ahead = dir === 'right' ? dx : dir === 'left' ? -dx : dir === 'down' ? dy : -dy;
    const side = dir === 'right' || dir === 'left' ? Math.abs(dy) : Math.abs(dx);
    if (ahead <= 0 || (ahead === 0 && side === 0)) continue;
    const cost = ahead + 2 * side;
    if (cost < bestCost) {
      bestCost = cost;
      best = q.index;
    }
  }
  return best;
}

/** A label's text box on the map (top-left corner, size), where it is drawn. */
export interface LabelBox {
  /** The point's index in the alignment (MapPoint.index). */
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Where the text's baseline starts and how it is anchored (SVG text-anchor). */
  textX: number;
  textY: number;
  anchor: 'start' | 'middle' | 'end';
}

/** Whether two boxes overlap (touching edges do not). */
export function boxesOverlap(
  a: Pick<LabelBox, 'x' | 'y' | 'width' | 'height'>,
  b: Pick<LabelBox, 'x' | 'y' | 'width' | 'height'>,
): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Options of {@link placeLabels}. */
export interface PlaceOptions {
  width: number;
  height: number;
  /** The text's width in pixels (measured with the map's font). */
  measure: (text: string) => number;
  /** Line height of a label's box. */
  lineHeight?: number;
  /** Gap between a marker and its label. */
  gap?: number;
  /** Marker radius: labels keep clear of every marker too. */
  radius?: number;
  /** Points placed first (the focused concept, the selected label): they win where space is short. */
  first?: ReadonlySet<number>;
}

/**
 * Places one text label beside each point where it fits: tries eight positions around the marker (right,
 * left, above, below, then the diagonals) and takes the first whose box stays inside the drawing and
 * overlaps neither an already placed label nor another point's marker (a point in `first` only keeps clear of
 * the other `first` markers). Labels that fit nowhere are not
 * drawn (the point's tooltip still names it), so the map never shows text on top of text. Points in
 * `first`, then points nearer the edges of dense areas, get their pick first; the result is deterministic.
 */
export function placeLabels(points: readonly MapPoint[], text: (p: MapPoint) => string, o: PlaceOptions): LabelBox[] {
  const h = o.lineHeight ?? 13;
  const gap = o.gap ?? 4;
  const r = o.radius ?? 6;
  const markers = points.map((p) => ({ index: p.index, x: p.px - r, y: p.py - r, width: 2 * r, height: 2 * r }));
  // Spatial buckets keep the overlap tests local (a few hundred labels, eight candidates each).
  const CELL = 64;
  const grid = new Map<string, LabelBox[]>();
  const cells = (b: Pick<LabelBox, 'x' | 'y' | 'width' | 'height'>): string[] => {
    const keys: string[] = [];
    for (let cx = Math.floor(b.x / CELL); cx <= Math.floor((b.x + b.width) / CELL); cx++)
      for (let cy = Math.floor(b.y / CELL); cy <= Math.floor((b.y + b.height) / CELL); cy++) keys.push(`${cx},${cy}`);
    return keys;
  };
  const order = [...points].sort((a, b) => {
    const fa = o.first?.has(a.index) ? 0 : 1;
    const fb = o.first?.has(b.index) ? 0 : 1;
    return fa - fb || a.index - b.index;
  });
  const placed: LabelBox[] = [];
  for (const p of order) {
    const label = text(p);
    if (!label) continue;
    const w = Math.ceil(o.measure(label));
    const candidates: [number, number, LabelBox['anchor']][] = [
      [p.px + r + gap, p.py - h / 2, 'start'],
      [p.px - r - gap - w, p.py - h / 2, 'end'],
      [p.px - w / 2, p.py - r - gap - h, 'middle'],
      [p.px - w / 2, p.py + r + gap, 'middle'],
      [p.px + r, p.py - r - h, 'start'],
      [p.px - r - w, p.py - r - h, 'end'],
      [p.px + r, p.py + r, 'start'],
      [p.px - r - w, p.py + r, 'end'],
    ];
    for (const [x, y, anchor] of candidates) {
      const box = { x, y, width: w, height: h };
      if (x < 0 || y < 0 || x + w > o.width || y + h > o.height) continue;
      const near = cells(box).flatMap((k) => grid.get(k) ?? []);
      if (near.some((b) => boxesOverlap(b, box))) continue;
      // A point given priority may cover the markers of points without it (they are dimmed then).
      const mine = o.first?.has(p.index) ?? false;
      if (markers.some((m) => m.index !== p.index && (!mine || o.first?.has(m.index)) && boxesOverlap(m, box))) continue;
      const textX = anchor === 'start' ? x : anchor === 'end' ? x + w : x + w / 2;
      const placedBox: LabelBox = { index: p.index, ...box, textX, textY: y + h * 0.78, anchor };
      placed.push(placedBox);
      for (const k of cells(box)) grid.set(k, [...(grid.get(k) ?? []), placedBox]);
      break;
    }
  }
  return placed;
}
