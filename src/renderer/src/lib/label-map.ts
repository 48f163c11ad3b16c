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
