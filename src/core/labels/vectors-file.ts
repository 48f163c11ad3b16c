// Label vectors from a JSON file, and their mean-shift clustering by name: the core of
// `moodshelf labels cluster --vectors FILE`.
import { readFile } from 'node:fs/promises';
import { UserError, errnoCode, errorMessage } from '../kernel/errors.js';
import { type Logger } from '../kernel/logger.js';
import { count } from '../kernel/plural.js';
import { alignLabels } from './mean-shift.js';

/** Labels and their embedding vectors, parallel arrays of equal length and a single dimension. */
export interface LabelVectors {
  labels: string[];
  vectors: number[][];
}

/** Options of {@link clusterVectors}: estimate_bandwidth's, with sklearn's defaults. */
export interface ClusterVectorsOptions {
  quantile?: number;
  nSamples?: number;
  randomState?: number;
  logger?: Logger;
}

/** The aligned label groups, with the bandwidth used and whether it was a fallback (see alignLabels). */
export interface LabelClusters {
  bandwidth: number;
  estimatedBandwidth: number;
  fallback: boolean;
  reason?: string;
  clusters: { id: number; members: string[]; center: number[] }[];
}

/** Error code of every vectors-file problem, so the CLI can map it to its usage exit status. */
export const VECTORS_FILE_ERROR = 'E_VECTORS_FILE';

/**
 * Reads `{ "labels": [...], "vectors": [[...], ...] }`. Every failure is a UserError naming the file and the
 * reason (unreadable, not JSON, wrong shape, lengths differ, ragged dimensions, non-finite numbers), since
 * the message goes straight to the person who passed the file.
 */
export async function readVectorsFile(path: string): Promise<LabelVectors> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the file (${errnoCode(err) ?? errorMessage(err)})`, VECTORS_FILE_ERROR);
  }
  return parseVectors(text, path);
}

/** The parsing and validation half of {@link readVectorsFile}; `source` names the input in errors. */
export function parseVectors(text: string, source: string): LabelVectors {
  const fail = (reason: string): never => {
    throw new UserError(`${source}: ${reason}`, VECTORS_FILE_ERROR);
  };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${errorMessage(err)})`);
  }
  if (!isRecord(data) || !Array.isArray(data.labels) || !Array.isArray(data.vectors)) {
    return fail('expected an object { "labels": [...], "vectors": [[...], ...] }');
  }
  const labels = checkLabels(data.labels, fail);
  const vectors = checkVectors(data.vectors, fail);
  if (labels.length !== vectors.length) fail(`${count(labels.length, 'label')} but ${count(vectors.length, 'vector')}`);
  return { labels, vectors };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkLabels(labels: unknown[], fail: (reason: string) => never): string[] {
  if (labels.length === 0) fail('"labels" is empty');
  labels.forEach((label, i) => {
    if (typeof label !== 'string') fail(`label ${i} is not a string (${JSON.stringify(label)})`);
  });
  return labels as string[];
}

function checkVectors(vectors: unknown[], fail: (reason: string) => never): number[][] {
  let dims = -1;
  vectors.forEach((vector, i) => {
    if (!Array.isArray(vector)) return fail(`vector ${i} is not an array`);
    if (dims === -1) dims = vector.length;
    if (vector.length === 0) fail(`vector ${i} is empty`);
    if (vector.length !== dims) fail(`ragged vectors: vector ${i} has ${vector.length} numbers, vector 0 has ${dims}`);
    vector.forEach((x: unknown, k) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`vector ${i}, component ${k} is not a finite number (${JSON.stringify(x)})`);
    });
  });
  return vectors as number[][];
}

/**
 * Clusters labels as the paper aligns them (estimate_bandwidth + MeanShift) and names each cluster's members,
 * in sklearn's cluster order. A collapsed bandwidth is replaced and reported (`fallback`, `reason`).
 */
export function clusterVectors(input: LabelVectors, options: ClusterVectorsOptions = {}): LabelClusters {
  if (input.labels.length !== input.vectors.length) {
    throw new UserError(`${count(input.labels.length, 'label')} but ${count(input.vectors.length, 'vector')}`, VECTORS_FILE_ERROR);
  }
  const alignment = withUserErrors(() => alignLabels(input.vectors, options));
  return {
    bandwidth: alignment.bandwidth,
    estimatedBandwidth: alignment.estimatedBandwidth,
    fallback: alignment.fallback,
    ...(alignment.reason !== undefined ? { reason: alignment.reason } : {}),
    clusters: alignment.clusters.map((c) => ({
      id: c.id,
      members: c.members.map((i) => input.labels[i] as string),
      center: Array.from(c.center),
    })),
  };
}

/** Out-of-range settings (quantile, nSamples, ...) surface as RangeError deeper down; they are the user's to fix. */
function withUserErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof RangeError) throw new UserError(err.message, 'E_LABELS_CLUSTER');
    throw err;
  }
}
