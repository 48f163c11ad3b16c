/** How much of a track to analyse. */
export type SegmentPolicy = { kind: 'quick'; count: number } | { kind: 'full' };

/** The default policy: three evenly spaced windows, enough for a library-wide first pass. */
export const DEFAULT_POLICY: { kind: 'quick'; count: number } = { kind: 'quick', count: 3 };

/** One analysis window: its index on the full grid (so quick results are reused by full), start in s. */
export interface SegmentSpec {
  index: number;
  start: number;
}

/**
 * The paper's protocol: non-overlapping windows from 0, `floor(duration / length)` of them, the
 * remainder dropped; a track shorter than one window gets a single zero-padded window.
 */
export function fullGrid(duration: number, segmentSeconds: number, hopSeconds: number = segmentSeconds): SegmentSpec[] {
  const n = duration >= segmentSeconds ? Math.floor((duration - segmentSeconds) / hopSeconds + 1e-9) + 1 : 0;
  if (n === 0) return [{ index: 0, start: 0 }];
  return Array.from({ length: n }, (_, i) => ({ index: i, start: i * hopSeconds }));
}

/**
 * The windows a policy analyses. `quick` picks `count` windows evenly spread over the full grid (at the
 * centre of each of `count` equal parts), so they are a subset of what `full` analyses.
 */
export function planSegments(
  duration: number,
  policy: SegmentPolicy,
  segmentSeconds: number,
  hopSeconds: number = segmentSeconds,
): SegmentSpec[] {
  const grid = fullGrid(duration, segmentSeconds, hopSeconds);
  if (policy.kind === 'full' || grid.length <= policy.count) return grid;
  const picked = new Map<number, SegmentSpec>();
  for (let i = 0; i < policy.count; i++) {
    const spec = grid[Math.floor(((i + 0.5) * grid.length) / policy.count)] as SegmentSpec;
    picked.set(spec.index, spec);
  }
  return [...picked.values()];
}
