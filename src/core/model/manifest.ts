import { UserError } from '../kernel/errors.js';
import { PRECISIONS, type Precision } from './precision.js';

/** The manifest format versions this build reads. */
export const SUPPORTED_FORMAT_VERSIONS = [1] as const;

/** A vocabulary shipped in a pack (see docs/model-pack.md). */
export interface PackVocabulary {
  id: string;
  name: string;
  topK: number;
  labels: string[];
  descriptions?: Record<string, string>;
}

/** How audio becomes encoder input and how hidden states become head input. */
export interface AudioSpec {
  encoder: string;
  sampleRate: number;
  segmentSeconds: number;
  hopSeconds: number;
  normalize: 'zero-mean-unit-var' | 'none';
  layers: number[];
  pooling: 'first-frame' | 'mean';
  hiddenSize: number;
  /** CLAP packs: the transformers.js dtype of the audio tower (which `onnx/audio_model*.onnx` loads); default fp32. */
  dtype?: Precision;
}

/** The projection into the joint space. */
export type HeadSpec = { type: 'onnx'; file: string; inputDim: number; outputDim: number } | { type: 'identity'; outputDim: number };

/** The sentence encoder that embeds label text. */
export interface LabelEncoderSpec {
  path: string;
  pooling: 'mean' | 'cls';
  normalize: boolean;
  dim: number;
  promptTemplate?: string;
  /** The transformers.js dtype the encoder loads (`onnx/model_quantized.onnx` for q8, ...); default fp32. */
  dtype?: Precision;
}

/** Where a pack's part came from on the hub: the repository, the commit and the folder it fills. */
export interface UpstreamSpec {
  repo: string;
  revision: string;
  path: string;
  precision?: Precision;
}

/** A parsed, validated manifest.json. */
export interface PackManifest {
  formatVersion: 1;
  kind: 'joint' | 'clap';
  id: string;
  version: string;
  name: string;
  description?: string;
  license?: string;
  source?: string;
  audio: AudioSpec;
  head: HeadSpec;
  labelEncoder: LabelEncoderSpec;
  alignmentEncoder?: LabelEncoderSpec;
  vocabularies: PackVocabulary[];
  clusters?: unknown;
  /** Packs adapted from hub repositories: what was downloaded, from which commits. */
  upstream?: UpstreamSpec[];
  files: Record<string, { sha256: string; size: number }>;
}

/** The key that names a pack's joint space in the database. */
export function packKey(m: Pick<PackManifest, 'id' | 'version'>): string {
  return `${m.id}@${m.version}`;
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(private readonly where: string) {}
  fail(path: string, why: string): never {
    throw new UserError(`${this.where}: ${path} ${why}`, 'E_PACK_MANIFEST');
  }
  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'must be an object');
    return v as Obj;
  }
  str(v: unknown, path: string, re?: RegExp): string {
    if (typeof v !== 'string' || v === '') this.fail(path, 'must be a non-empty string');
    if (re && !re.test(v)) this.fail(path, `has an invalid value "${v}"`);
    return v;
  }
  int(v: unknown, path: string, min = 1): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(path, `must be an integer >= ${min}`);
    return v;
  }
  num(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(path, 'must be a positive number');
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.fail(path, `must be one of ${allowed.join(', ')}`);
    return v as T;
  }
  relPath(v: unknown, path: string): string {
    const s = this.str(v, path);
    if (s.startsWith('/') || s.includes('\\') || s.split('/').some((p) => p === '..' || p === ''))
      this.fail(path, `must be a relative path inside the pack ("${s}")`);
    return s;
  }
}

function parseLabelEncoder(c: Checker, v: unknown, path: string): LabelEncoderSpec {
  const o = c.obj(v, path);
  return {
    path: c.relPath(o.path, `${path}.path`),
    pooling: o.pooling === undefined ? 'mean' : c.oneOf(o.pooling, `${path}.pooling`, ['mean', 'cls'] as const),
    normalize: o.normalize === undefined ? true : o.normalize === true,
    dim: c.int(o.dim, `${path}.dim`),
    promptTemplate: o.promptTemplate === undefined ? undefined : c.str(o.promptTemplate, `${path}.promptTemplate`),
    dtype: o.dtype === undefined ? undefined : c.oneOf(o.dtype, `${path}.dtype`, PRECISIONS),
  };
}

function parseUpstream(c: Checker, v: unknown): UpstreamSpec[] {
  if (!Array.isArray(v)) c.fail('upstream', 'must be an array');
  return v.map((u, i) => {
    const o = c.obj(u, `upstream[${i}]`);
    return {
      repo: c.str(o.repo, `upstream[${i}].repo`),
      revision: c.str(o.revision, `upstream[${i}].revision`),
      path: c.relPath(o.path, `upstream[${i}].path`),
      precision: o.precision === undefined ? undefined : c.oneOf(o.precision, `upstream[${i}].precision`, PRECISIONS),
    };
  });
}

function parseVocabulary(c: Checker, v: unknown, path: string): PackVocabulary {
  const o = c.obj(v, path);
  if (!Array.isArray(o.labels) || o.labels.length === 0) c.fail(`${path}.labels`, 'must be a non-empty array');
  const labels = (o.labels as unknown[]).map((l, i) => c.str(l, `${path}.labels[${i}]`));
  const descriptions = o.descriptions === undefined ? undefined : (c.obj(o.descriptions, `${path}.descriptions`) as Record<string, string>);
  return {
    id: c.str(o.id, `${path}.id`),
    name: c.str(o.name ?? o.id, `${path}.name`),
    topK: c.int(o.topK, `${path}.topK`),
    labels,
    descriptions,
  };
}

/**
 * Validates a manifest and returns it typed. Every problem is reported with the manifest's location
 * and the field at fault; an unknown format version is refused rather than half-read.
 */
export function parseManifest(raw: unknown, where: string): PackManifest {
  const c = new Checker(where);
  const o = c.obj(raw, 'manifest');
  if (!SUPPORTED_FORMAT_VERSIONS.includes(o.formatVersion as 1)) {
    throw new UserError(
      `${where}: manifest formatVersion ${JSON.stringify(o.formatVersion)} is not supported by this version of Moodshelf (it reads ${SUPPORTED_FORMAT_VERSIONS.join(', ')})`,
      'E_PACK_VERSION',
    );
  }
  const a = c.obj(o.audio, 'audio');
  const audio: AudioSpec = {
    encoder: c.relPath(a.encoder, 'audio.encoder'),
    sampleRate: c.int(a.sampleRate, 'audio.sampleRate', 1000),
    segmentSeconds: c.num(a.segmentSeconds, 'audio.segmentSeconds'),
    hopSeconds: c.num(a.hopSeconds ?? a.segmentSeconds, 'audio.hopSeconds'),
    normalize: c.oneOf(a.normalize ?? 'none', 'audio.normalize', ['zero-mean-unit-var', 'none'] as const),
    layers: Array.isArray(a.layers) ? a.layers.map((l, i) => c.int(l, `audio.layers[${i}]`, 0)) : [],
    pooling: c.oneOf(a.pooling ?? 'first-frame', 'audio.pooling', ['first-frame', 'mean'] as const),
    hiddenSize: a.hiddenSize === undefined || a.hiddenSize === 0 ? 0 : c.int(a.hiddenSize, 'audio.hiddenSize'),
    dtype: a.dtype === undefined ? undefined : c.oneOf(a.dtype, 'audio.dtype', PRECISIONS),
  };
  const kind = c.oneOf(o.kind, 'kind', ['joint', 'clap'] as const);
  if (kind === 'joint' && (audio.layers.length === 0 || audio.hiddenSize === 0))
    c.fail('audio', 'must name layers and hiddenSize for a joint pack');
  const h = c.obj(o.head, 'head');
  const head: HeadSpec =
    h.type === 'identity'
      ? { type: 'identity', outputDim: c.int(h.outputDim, 'head.outputDim') }
      : {
          type: 'onnx',
          file: c.relPath(h.file, 'head.file'),
          inputDim: c.int(h.inputDim, 'head.inputDim'),
          outputDim: c.int(h.outputDim, 'head.outputDim'),
        };
  if (head.type === 'onnx' && head.inputDim !== audio.layers.length * audio.hiddenSize) {
    c.fail('head.inputDim', `is ${head.inputDim} but audio.layers x audio.hiddenSize is ${audio.layers.length * audio.hiddenSize}`);
  }
  const labelEncoder = parseLabelEncoder(c, o.labelEncoder, 'labelEncoder');
  if (labelEncoder.dim !== head.outputDim)
    c.fail('labelEncoder.dim', `is ${labelEncoder.dim} but head.outputDim is ${head.outputDim}: audio and labels must share one space`);
  const files = c.obj(o.files, 'files');
  const parsedFiles: PackManifest['files'] = {};
  for (const [name, f] of Object.entries(files)) {
    c.relPath(name, `files["${name}"]`);
    const fo = c.obj(f, `files["${name}"]`);
    parsedFiles[name] = {
      sha256: c.str(fo.sha256, `files["${name}"].sha256`, /^[0-9a-f]{64}$/),
      size: c.int(fo.size, `files["${name}"].size`, 0),
    };
  }
  const vocabularies = Array.isArray(o.vocabularies) ? o.vocabularies.map((v, i) => parseVocabulary(c, v, `vocabularies[${i}]`)) : [];
  return {
    formatVersion: 1,
    kind,
    id: c.str(o.id, 'id', /^[a-z0-9][a-z0-9._-]*$/),
    version: c.str(o.version, 'version', /^[A-Za-z0-9][A-Za-z0-9._+-]*$/),
    name: c.str(o.name ?? o.id, 'name'),
    description: typeof o.description === 'string' ? o.description : undefined,
    license: typeof o.license === 'string' ? o.license : undefined,
    source: typeof o.source === 'string' ? o.source : undefined,
    audio,
    head,
    labelEncoder,
    alignmentEncoder: o.alignmentEncoder === undefined ? undefined : parseLabelEncoder(c, o.alignmentEncoder, 'alignmentEncoder'),
    vocabularies,
    clusters: o.clusters,
    upstream: o.upstream === undefined ? undefined : parseUpstream(c, o.upstream),
    files: parsedFiles,
  };
}
