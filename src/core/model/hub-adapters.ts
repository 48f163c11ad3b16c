import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { downloadFile, type ByteProgress } from './download.js';
import { sha256File } from './files.js';
import { BUILTIN_VOCABULARIES } from '../labels/vocabularies.js';

/** Files of a transformers.js CLAP repository (the Xenova/clap-* layout). */
export const CLAP_FILES = [
  'config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/audio_model.onnx',
  'onnx/text_model.onnx',
];
/** Files of a transformers.js sentence-embedding repository (Xenova/all-MiniLM-L6-v2). */
export const SENTENCE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'];
/** The sentence model CLAP packs keep for label alignment. */
export const DEFAULT_ALIGNMENT_REPO = 'Xenova/all-MiniLM-L6-v2';

/** Where and how to fetch one repository's files. */
export interface RepoFetch {
  endpoint: string;
  repo: string;
  revision: string;
  onProgress?: (file: string, received: number) => void;
  signal?: AbortSignal;
}

async function fetchFiles(r: RepoFetch, files: string[], dest: string, label: string): Promise<void> {
  const base = `${r.endpoint}/${r.repo}/resolve/${encodeURIComponent(r.revision)}`;
  for (const file of files) {
    const target = join(dest, file);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    )
      continue;
    const progress: ByteProgress = (received) => r.onProgress?.(file, received);
    await downloadFile(`${base}/${file}`, target, { label: `${label}: ${file}`, onProgress: progress, signal: r.signal });
  }
}

/**
 * A public CLAP repository has no Moodshelf manifest: this fetches its files and the sentence model used
 * for alignment, then writes a manifest (kind clap, identity head, the CLAP prompt, sha256 of every file
 * as downloaded) so it installs and verifies like any other pack.
 */
export async function adaptClapRepo(
  source: string,
  clap: RepoFetch,
  dest: string,
  alignRepo: string = DEFAULT_ALIGNMENT_REPO,
): Promise<void> {
  await fetchFiles(clap, ['config.json'], join(dest, 'clap'), source);
  const config = JSON.parse(await readFile(join(dest, 'clap', 'config.json'), 'utf8')) as { model_type?: string; projection_dim?: number };
  if (config.model_type !== 'clap') {
    throw new UserError(
      `${source}: has no manifest.json and is not a CLAP model (model_type "${config.model_type ?? 'unknown'}"), so it is not a Moodshelf pack`,
      'E_PACK_MANIFEST',
    );
  }
  await fetchFiles(clap, CLAP_FILES, join(dest, 'clap'), source);
  await fetchFiles({ ...clap, repo: alignRepo, revision: 'main' }, SENTENCE_FILES, join(dest, 'alignment-encoder'), `hf:${alignRepo}`);
  const alignConfig = JSON.parse(await readFile(join(dest, 'alignment-encoder', 'config.json'), 'utf8')) as { hidden_size?: number };
  const files: Record<string, { sha256: string; size: number }> = {};
  for (const f of [...CLAP_FILES.map((x) => `clap/${x}`), ...SENTENCE_FILES.map((x) => `alignment-encoder/${x}`)]) {
    files[f] = { sha256: await sha256File(join(dest, f)), size: (await stat(join(dest, f))).size };
  }
  const dim = config.projection_dim ?? 512;
  const manifest = {
    formatVersion: 1,
    kind: 'clap',
    id:
      clap.repo
        .split('/')[1]
        ?.toLowerCase()
        .replace(/[^a-z0-9._-]/g, '-') ?? 'clap',
    version: clap.revision,
    name: `CLAP (${clap.repo})`,
    description: `Zero-shot CLAP from ${source}; labels aligned with ${alignRepo}.`,
    source,
    audio: {
      encoder: 'clap/onnx/audio_model.onnx',
      sampleRate: 48000,
      segmentSeconds: 10,
      hopSeconds: 10,
      normalize: 'none',
      layers: [],
      pooling: 'mean',
      hiddenSize: 0,
    },
    head: { type: 'identity', outputDim: dim },
    labelEncoder: { path: 'clap', pooling: 'mean', normalize: true, dim, promptTemplate: 'This is a {} song.' },
    alignmentEncoder: { path: 'alignment-encoder', pooling: 'mean', normalize: true, dim: alignConfig.hidden_size ?? 384 },
    vocabularies: BUILTIN_VOCABULARIES.map((v) => ({ id: v.id, name: v.name, topK: v.topK, labels: v.labels })),
    files,
  };
  await writeFile(join(dest, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}
