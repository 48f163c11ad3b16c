// Colours and geometry for the emotion strip (labels x time heat map), and its legend.

/** The ramp's colour stops, low to high. */
const HEAT_STOPS: readonly [number, number, number][] = [
  [33, 25, 82],
  [94, 38, 140],
  [170, 52, 130],
  [228, 96, 86],
  [250, 165, 60],
  [252, 236, 150],
];

/** A perceptual-ish sequential ramp (dark indigo -> magenta -> amber -> pale yellow), t in 0..1. */
export function heatColor(t: number): string {
  const stops = HEAT_STOPS;
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i] as [number, number, number];
  const b = stops[i + 1] as [number, number, number];
  const c = (k: 0 | 1 | 2): number => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${c(0)}, ${c(1)}, ${c(2)})`;
}

/** A segment's time span. */
export interface Span {
  start: number;
  end: number;
}

/**
 * Time spans of analysed segments. Segments are cut on a fixed hop, so the hop follows from any two
 * (start difference over index difference); each segment spans one hop, clipped to the duration.
 */
export function segmentSpans(segments: { index: number; start: number }[], duration: number): Span[] {
  let hop = 10;
  for (let k = 1; k < segments.length; k++) {
    const a = segments[k - 1] as { index: number; start: number };
    const b = segments[k] as { index: number; start: number };
    if (b.index > a.index) {
      hop = (b.start - a.start) / (b.index - a.index);
      break;
    }
  }
  return segments.map((s) => ({ start: s.start, end: Math.min(duration || s.start + hop, s.start + hop) }));
}

/**
 * The ramp as a CSS gradient, low on the left, for the strip's legend: the legend is drawn from the same
 * stops as the cells, so the two can never disagree.
 */
export function heatGradient(): string {
  const last = HEAT_STOPS.length - 1;
  return `linear-gradient(to right, ${HEAT_STOPS.map((c, i) => `rgb(${c.join(', ')}) ${Math.round((i / last) * 100)}%`).join(', ')})`;
}

/** A strip row: a label with its per-segment scores. */
export interface StripLabel {
  vocabulary: string;
  label: string;
  segmentScores: number[];
}

/**
 * The strip's rows for one vocabulary, in the vocabulary's own order (the order the core lists its
 * labels in), so a label keeps its row from track to track and the eye finds "calm" in the same place.
 */
export function stripRows<T extends StripLabel>(labels: readonly T[], vocabulary: string): T[] {
  return labels.filter((l) => l.vocabulary === vocabulary);
}

/**
 * The score range the colours span: the lowest and highest segment score of the rows (a degenerate range
 * is widened a hair so the scale divides).
 */
export function stripRange(rows: readonly StripLabel[]): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows)
    for (const v of r.segmentScores) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  return { lo, hi: hi > lo ? hi : lo + 1e-6 };
}
