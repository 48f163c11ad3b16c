// Runs the TypeScript mean shift on cases from a JSON file and prints the results as JSON on stdout, for
// scripts/compare-mean-shift.py --check: `npx tsx tests/support/mean-shift-cli.ts CASES.json`.
// CASES.json: { "cases": [{ "id", "X", "quantile", "nSamples"?, "randomState"?, "bandwidth"?, "binSeeding"?,
// "clusterAll"? }] }. Without "bandwidth" the bandwidth is estimated as sklearn's estimate_bandwidth does.
import { readFileSync } from 'node:fs';
import { estimateBandwidth, meanShift, pca2d } from '../../src/core/labels/mean-shift.js';

interface Case {
  id: string;
  X: number[][];
  quantile: number;
  nSamples?: number | null;
  randomState?: number;
  bandwidth?: number | null;
  binSeeding?: boolean;
  clusterAll?: boolean;
  pca?: boolean;
}

function run(c: Case): Record<string, unknown> {
  const estimated = estimateBandwidth(c.X, { quantile: c.quantile, nSamples: c.nSamples ?? undefined, randomState: c.randomState ?? 0 });
  const bandwidth = c.bandwidth ?? estimated;
  try {
    const ms = meanShift(c.X, { bandwidth, binSeeding: c.binSeeding ?? false, clusterAll: c.clusterAll ?? true });
    const pca = c.pca ? pca2d(c.X).coordinates : undefined;
    return {
      id: c.id,
      estimatedBandwidth: estimated,
      bandwidth,
      labels: ms.labels,
      centers: ms.centers.map((r) => Array.from(r)),
      nIter: ms.nIter,
      pca,
    };
  } catch (err) {
    return { id: c.id, estimatedBandwidth: estimated, bandwidth, error: err instanceof Error ? err.message : String(err) };
  }
}

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: mean-shift-cli CASES.json\n');
  process.exit(2);
}
const { cases } = JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] };
process.stdout.write(`${JSON.stringify({ results: cases.map(run) })}\n`);
