// The paper's published label vectors and when they stand for the built-in labels.
//
// The paper (AMAAI-Lab, arXiv 2410.11522; github.com/AMAAI-Lab/cross-dataset-emotion-alignment, MIT licence)
// represents each label of MTG-Jamendo, CAL500 and Emotify by an all-MiniLM-L6-v2 embedding of an
// LLM-expanded description. Only the 384-d vectors were published (data/paper/label-embeddings.json, with
// the bare-string "plain" vectors beside them), so under that encoder the built-in labels are represented
// by those vectors instead of an embedding of the bare label string.
//
// Which encoder is the paper's: one whose manifest description matches all-MiniLM-L6-v2 as the paper uses
// it (384-d, mean pooling, L2-normalised, no prompt template, and not recorded as downloaded from another
// repository) AND which reproduces the paper's plain vectors: embedding a few bare label strings gives
// vectors within cosine PAPER_PROBE_MIN_COSINE of the published ones. The description alone is a cheap
// gate (a pack's manifest names no model id, and a random 384-d stand-in has the same description); the
// probe is the evidence. Any other encoder keeps embedding the label text, as before.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../kernel/database.js';
import { UserError, errnoCode, errorMessage } from '../kernel/errors.js';
import type { ModelService } from '../model/service.js';
import { labelVectors, scoringSpace, type LabelSpace } from './embeddings.js';
import { BUILTIN_VOCABULARIES } from './vocabularies.js';

/** The paper's label encoder: sentence-transformers all-MiniLM-L6-v2 and the repositories that serve it. */
export const PAPER_ENCODER = {
  model: 'sentence-transformers/all-MiniLM-L6-v2',
  repos: ['sentence-transformers/all-MiniLM-L6-v2', 'Xenova/all-MiniLM-L6-v2'],
  dim: 384,
} as const;

/** The cosine every probe label's embedding must reach against the paper's plain vector of it. */
export const PAPER_PROBE_MIN_COSINE = 0.999;

/** The bare label strings embedded to recognise the paper's encoder (one or two per vocabulary). */
export const PAPER_PROBES: readonly { vocabulary: string; label: string }[] = [
  { vocabulary: 'mtg-jamendo', label: 'melancholic' },
  { vocabulary: 'mtg-jamendo', label: 'party' },
  { vocabulary: 'cal500', label: 'angry, aggressive' },
  { vocabulary: 'emotify', label: 'joyful_activation' },
];

/** The data file's name, in data/paper/ of the source tree and in paper/ beside the Electron bundle. */
export const PAPER_VECTORS_FILE = 'label-embeddings.json';

/** The licence shipped with the data (copied beside it in the Electron build). */
export const PAPER_LICENSE_FILE = 'LICENSE-AMAAI-Lab.txt';

/** Error code of every problem with the paper's data file. */
export const PAPER_DATA_ERROR = 'E_PAPER_DATA';

/** One label's published vectors (384-d, L2-normalised). */
export interface PaperLabelVector {
  plain: Float64Array;
  expanded: Float64Array;
}

/** The published vectors of the built-in vocabularies, with the file they came from and its sha256. */
export interface PaperVectors {
  file: string;
  digest: string;
  /** By vocabulary id, then by label (the exact strings of vocabularies.ts). */
  vocabularies: ReadonlyMap<string, ReadonlyMap<string, PaperLabelVector>>;
}

/**
 * Folders the data may be in, in order: `paper/` beside the bundled core (out/main/, or out/main/chunks/
 * when the core lands in a chunk) as electron.vite.config.ts copies it, then data/paper/ of the source
 * tree (tests and the CLI run the sources).
 */
export function paperDataDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'paper'), resolve(here, '..', 'paper'), resolve(here, '..', '..', '..', 'data', 'paper')];
}

/** The data file this build reads: the first of paperDataDirs() that has it; a UserError naming every path tried. */
export function findPaperVectorsFile(): string {
  const tried = paperDataDirs().map((d) => join(d, PAPER_VECTORS_FILE));
  const found = tried.find((f) => existsSync(f));
  if (found) return found;
  throw new UserError(
    `The paper's label vectors are missing: no ${tried.join(', no ')} (they ship with Moodshelf from data/paper/${PAPER_VECTORS_FILE})`,
    PAPER_DATA_ERROR,
  );
}

const loaded = new Map<string, PaperVectors>();

/**
 * Reads and checks the paper's label vectors (default: findPaperVectorsFile()), once per file. Every
 * problem (missing, unreadable, not JSON, a vocabulary, label or vector missing or malformed) is a
 * UserError naming the file.
 */
export function loadPaperVectors(file: string = findPaperVectorsFile()): PaperVectors {
  const path = resolve(file);
  const cached = loaded.get(path);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    const why = code === 'ENOENT' ? 'the file is missing' : `cannot read it (${code ?? errorMessage(err)})`;
    throw new UserError(`The paper's label vectors: ${path}: ${why}`, PAPER_DATA_ERROR);
  }
  const data = parsePaperVectors(text, path);
  loaded.set(path, data);
  return data;
}

/** The parsing and checking half of {@link loadPaperVectors}; `file` names the input in errors. */
export function parsePaperVectors(text: string, file: string): PaperVectors {
  const fail = (reason: string): never => {
    throw new UserError(`The paper's label vectors: ${file}: ${reason}`, PAPER_DATA_ERROR);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${errorMessage(err)})`);
  }
  if (!isRecord(raw)) return fail('expected an object keyed by vocabulary id');
  const vocabularies = new Map<string, Map<string, PaperLabelVector>>();
  for (const vocab of BUILTIN_VOCABULARIES) {
    const set = raw[vocab.id];
    if (!isRecord(set) || !Array.isArray(set.labels) || !Array.isArray(set.plain) || !Array.isArray(set.expanded))
      return fail(`"${vocab.id}" must be { labels, plain, expanded }`);
    const { labels, plain, expanded } = set as { labels: unknown[]; plain: unknown[]; expanded: unknown[] };
    if (plain.length !== labels.length || expanded.length !== labels.length)
      fail(`"${vocab.id}" has ${labels.length} labels, ${plain.length} plain and ${expanded.length} expanded vectors`);
    const byLabel = new Map<string, PaperLabelVector>();
    labels.forEach((label, i) => {
      if (typeof label !== 'string') fail(`"${vocab.id}" label ${i} is not a string`);
      const where = `"${vocab.id}" label "${String(label)}"`;
      byLabel.set(label as string, {
        plain: vector(plain[i], `${where} plain`, fail),
        expanded: vector(expanded[i], `${where} expanded`, fail),
      });
    });
    const absent = vocab.labels.filter((l) => !byLabel.has(l));
    if (absent.length > 0) fail(`"${vocab.id}" lacks ${absent.map((l) => `"${l}"`).join(', ')}`);
    vocabularies.set(vocab.id, byLabel);
  }
  return { file, digest: createHash('sha256').update(text).digest('hex'), vocabularies };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function vector(value: unknown, where: string, fail: (reason: string) => never): Float64Array {
  if (!Array.isArray(value) || value.length !== PAPER_ENCODER.dim) return fail(`${where} is not a ${PAPER_ENCODER.dim}-number vector`);
  if (!value.every((x) => typeof x === 'number' && Number.isFinite(x))) return fail(`${where} has a non-finite component`);
  return Float64Array.from(value as number[]);
}

/**
 * Why an encoder cannot be the paper's, judged from the manifest's description of it alone; null when it
 * may be (then {@link checkPaperEncoder} decides).
 */
export function paperEncoderMismatch(space: Pick<LabelSpace, 'encoder' | 'upstreamRepo'>): string | null {
  const e = space.encoder;
  if (e.dim !== PAPER_ENCODER.dim) return `it is ${e.dim}-d, not ${PAPER_ENCODER.dim}-d`;
  if (e.pooling !== 'mean') return `it pools ${e.pooling}, not mean`;
  if (!e.normalize) return 'it is not L2-normalised';
  if ((e.promptTemplate ?? '{}') !== '{}') return `it has the prompt template "${e.promptTemplate ?? ''}"`;
  const repo = space.upstreamRepo;
  if (repo !== null && !PAPER_ENCODER.repos.some((r) => r.toLowerCase() === repo.toLowerCase())) return `it was downloaded from ${repo}`;
  return null;
}

/**
 * The paper's vectors when an encoder is described like the paper's (read from `file`, default
 * findPaperVectorsFile(); a missing or broken file is a UserError naming it), else null without reading
 * anything. Cheap after the first call: no embedding.
 */
export function paperVectorsFor(space: Pick<LabelSpace, 'encoder' | 'upstreamRepo'>, file?: string): PaperVectors | null {
  return paperEncoderMismatch(space) === null ? loadPaperVectors(file) : null;
}

/** What probing an encoder found: whether it reproduces the paper's plain vectors, and the worst cosine. */
export interface PaperEncoderCheck {
  matches: boolean;
  minCosine: number;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

/**
 * Embeds the probe labels' bare strings with the space's encoder (cached like any label text) and
 * compares them with the paper's plain vectors: the encoder is the paper's when every cosine reaches
 * PAPER_PROBE_MIN_COSINE (a wrong dimension counts as no match).
 */
export async function checkPaperEncoder(db: Db, space: LabelSpace, paper: PaperVectors): Promise<PaperEncoderCheck> {
  const probes = PAPER_PROBES.map((p) => ({ text: p.label, plain: paper.vocabularies.get(p.vocabulary)?.get(p.label)?.plain }));
  const embedded = await labelVectors(
    db,
    space.key,
    space.embedder,
    probes.map((p) => p.text),
  );
  const cosines = probes.map((p, i) => (p.plain ? cosine(embedded[i] as Float32Array, p.plain) : Number.NaN));
  const minCosine = cosines.reduce((m, c) => (Number.isNaN(c) ? -Infinity : Math.min(m, c)), Infinity);
  return { matches: minCosine >= PAPER_PROBE_MIN_COSINE, minCosine };
}

/** A label to represent: its vocabulary, its name and the text embedded for it (store.ts embeddedText). */
export interface LabelRef {
  vocabulary: string;
  name: string;
  text: string;
}

/** How the built-in labels were represented: the paper's expanded vectors, or embeddings of their text. */
export type BuiltinLabelVectors = 'paper-expanded' | 'encoder';

/** Label vectors in one space, in the order asked, and how the built-in labels were represented. */
export interface RepresentedLabels {
  vectors: Float64Array[];
  builtinVectors: BuiltinLabelVectors;
  /** The probe's outcome when the encoder was described like the paper's, else null. */
  check: PaperEncoderCheck | null;
}

/** The paper's expanded vector standing for a label: a built-in label embedded as its bare string. */
function expandedFor(paper: PaperVectors, ref: LabelRef): Float64Array | undefined {
  return ref.text === ref.name ? paper.vocabularies.get(ref.vocabulary)?.get(ref.name)?.expanded : undefined;
}

/**
 * The vectors of labels in one space. With `paper` (from {@link paperVectorsFor}) and an encoder that
 * passes {@link checkPaperEncoder}, each built-in label that would be embedded as its bare string gets the
 * paper's expanded vector instead (a label a pack describes keeps its description); every other label,
 * user labels included, is embedded from its text (a user label's description when it has one, see
 * embeddedText). Without `paper`, or when the probe fails, everything is embedded from its text, as before.
 */
export async function representLabels(
  db: Db,
  space: LabelSpace,
  refs: readonly LabelRef[],
  paper: PaperVectors | null,
): Promise<RepresentedLabels> {
  const check = paper ? await checkPaperEncoder(db, space, paper) : null;
  const usePaper = paper !== null && check?.matches === true;
  const fixed = refs.map((r) => (usePaper ? expandedFor(paper, r) : undefined));
  const toEmbed = refs.filter((_, i) => fixed[i] === undefined).map((r) => r.text);
  const embedded = await labelVectors(db, space.key, space.embedder, toEmbed);
  let next = 0;
  const vectors = fixed.map((v) => v ?? Float64Array.from(embedded[next++] as Float32Array));
  return { vectors, builtinVectors: usePaper ? 'paper-expanded' : 'encoder', check };
}

/** What label vectors for scoring need: the database, the active pack and its model, and where the paper's data is (tests). */
export interface ScoringLabelDeps {
  db: Db;
  models: Pick<ModelService, 'active' | 'activeModel'>;
  /** The paper's data file; default findPaperVectorsFile(). */
  paperVectorsFile?: string;
}

/**
 * The vectors zero-shot scoring compares audio with, for labels of the active pack's vocabularies: in the
 * pack's label-encoder space, the built-in labels as the paper's expanded vectors when that encoder is the
 * paper's (see {@link representLabels}), else every label embedded from its text.
 */
export async function scoringLabelVectors(deps: ScoringLabelDeps, refs: readonly LabelRef[]): Promise<Float32Array[]> {
  const { pack } = deps.models.active();
  const space = scoringSpace(pack.key, deps.models.activeModel());
  const { vectors } = await representLabels(deps.db, space, refs, paperVectorsFor(space, deps.paperVectorsFile));
  return vectors.map((v) => Float32Array.from(v));
}
