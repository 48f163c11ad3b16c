// Colours and geometry for the emotion strip (labels x time heat map).

/** A perceptual-ish sequential ramp (dark indigo -> magenta -> amber -> pale yellow), t in 0..1. */
export function heatColor(t: number): string {
  const stops: [number, number, number][] = [
    [33, 25, 82],
    [94, 38, 140],
    [170, 52, 130],
    [228, 96, 86],
    [250, 165, 60],
    [252, 236, 150],
  ];
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
