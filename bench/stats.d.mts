/** Types of bench/stats.mjs (see there). */
export function startLatencyProbe(request: () => Promise<unknown>, periodMs?: number): { stop: () => Promise<number[]> };
export function percentile(xs: readonly number[], p: number): number;
export function median(xs: readonly number[]): number;
export const round1: (x: number) => number;
export const round3: (x: number) => number;
export function loadAverage(): number[];
export function cpuSecondsSince(start: NodeJS.CpuUsage): number;
