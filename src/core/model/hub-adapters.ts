import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';
import { BUILTIN_VOCABULARIES } from '../labels/vocabularies.js';
import { downloadFile } from './download.js';
import { sha256File } from './files.js';
import { checkAgainstListing, listRepoFiles, resolveRevision, type HubAccess, type HubFile } from './hub-api.js';
import { onnxFile, PRECISIONS, type Precision } from './precision.js';

/** Configuration files of a transformers.js CLAP repository (the Xenova/clap-* layout). */
export const CLAP_CONFIG_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** The two towers of a CLAP repository, without their precision suffix and `.onnx`. */
export const CLAP_TOWERS = ['onnx/audio_model', 'onnx/text_model'];
/** Configuration files of a transformers.js sentence-embedding repository (Xenova/all-MiniLM-L6-v2). */
export const SENTENCE_CONFIG_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** The model of a sentence-embedding repository, without its precision suffix and `.onnx`. */
export const SENTENCE_MODEL = 'onnx/model';

/**
 * The sentence model CLAP packs keep for label alignment, pinned to a commit (the one recorded by
 * independent projects that pin Xenova/all-MiniLM-L6-v2; the installer reads its files' sizes and
 * hashes from the hub's listing of that commit).
 */
export const DEFAULT_ALIGNMENT = { repo: 'Xenova/all-MiniLM-L6-v2', revision: '751bff37182d3f1213fa05d7196b954e230abad9' } as const;

/** The files a CLAP repository needs in one precision. */
export function clapFiles(precision: Precision): string[] {
  return [...CLAP_CONFIG_FILES, ...CLAP_TOWERS.map((t) => onnxFile(t, precision))];
}

/** The files a sentence-embedding repository needs in one precision. */
export function sentenceFiles(precision: Precision): string[] {
  return [...SENTENCE_CONFIG_FILES, onnxFile(SENTENCE_MODEL, precision)];
}

/** One repository of a planned install: the commit, the precision and exactly the files to fetch. */
export interface PlannedRepo {
  repo: string;
  /** The commit id the revision resolved to; every file downloads from it. */
  commit: string;
  precision: Precision;
  /** The folder of the pack the files go to. */
  folder: 'clap' | 'alignment-encoder';
  files: HubFile[];
}

/** What installing a CLAP repository in one precision downloads, with exact sizes from the hub. */
export interface ClapInstallPlan {
  precision: Precision;
  clap: PlannedRepo;
  alignment: PlannedRepo;
  /** The sum of the listed sizes of every file to download. */
  totalBytes: number;
}

/** Options for {@link planClapInstall} and {@link adaptClapRepo}. */
export interface ClapRepoOptions extends HubAccess {
  repo: string;
  revision: string;
  precision: Precision;
  /** The sentence model for alignment (default {@link DEFAULT_ALIGNMENT}). */
  alignment?: { repo: string; revision: string };
  /** Bytes received of the whole plan, as files arrive. */
  onProgress?: (file: string, received: number, total: number) => void;
}

function available(listing: Map<string, HubFile>, bases: string[]): Precision[] {
  return PRECISIONS.filter((p) => bases.every((b) => listing.has(onnxFile(b, p))));
}

function pick(source: string, commit: string, listing: Map<string, HubFile>, names: string[], offered: Precision[]): HubFile[] {
  return names.map((name) => {
    const f = listing.get(name);
    if (!f) {
      const towers = name.endsWith('.onnx') ? `; it offers ${offered.length ? offered.join(', ') : 'no complete set of towers'}` : '';
      throw new UserError(`${source}: ${name} is not in commit ${commit.slice(0, 12)} of the repository${towers}`, 'E_PACK_SOURCE');
    }
    return f;
  });
}

async function resolved(hub: HubAccess, source: string, repo: string, revision: string): Promise<string> {
  return resolveRevision(hub, repo, revision).catch((e: unknown) => {
    if (e instanceof UserError && e.code === 'E_DOWNLOAD_404')
      throw new UserError(`${source}: not found on the hub (no repository ${repo} with a revision "${revision}")`, 'E_DOWNLOAD_404');
    throw e;
  });
}

function planWith(
  source: string,
  o: ClapRepoOptions,
  commit: string,
  listing: Map<string, HubFile>,
  align: { repo: string; commit: string; listing: Map<string, HubFile> },
): ClapInstallPlan {
  const picked = pick(source, commit, listing, clapFiles(o.precision), available(listing, CLAP_TOWERS));
  // The alignment model follows the CLAP's precision where it has it, and is fp32 otherwise.
  const alignPrecision: Precision = align.listing.has(onnxFile(SENTENCE_MODEL, o.precision)) ? o.precision : 'fp32';
  const alignFiles = pick(
    `hf:${align.repo}@${align.commit}`,
    align.commit,
    align.listing,
    sentenceFiles(alignPrecision),
    available(align.listing, [SENTENCE_MODEL]),
  );
  return {
    precision: o.precision,
    clap: { repo: o.repo, commit, precision: o.precision, folder: 'clap', files: picked },
    alignment: { repo: align.repo, commit: align.commit, precision: alignPrecision, folder: 'alignment-encoder', files: alignFiles },
    totalBytes: [...picked, ...alignFiles].reduce((s, f) => s + f.size, 0),
  };
}

async function alignmentListing(o: ClapRepoOptions): Promise<{ repo: string; commit: string; listing: Map<string, HubFile> }> {
  const align = o.alignment ?? DEFAULT_ALIGNMENT;
  const commit = await resolved(o, `hf:${align.repo}@${align.revision}`, align.repo, align.revision);
  return { repo: align.repo, commit, listing: await listRepoFiles(o, align.repo, commit) };
}

/**
 * Works out what installing a transformers.js CLAP repository in one precision downloads: resolves both
 * revisions (the CLAP's and the alignment model's) to commits, reads each commit's file listing, and
 * picks only the files that precision loads. Nothing is downloaded; sizes and hashes are the hub's.
 */
export async function planClapInstall(source: string, o: ClapRepoOptions): Promise<ClapInstallPlan> {
  const commit = await resolved(o, source, o.repo, o.revision);
  const listing = await listRepoFiles(o, o.repo, commit);
  return planWith(source, o, commit, listing, await alignmentListing(o));
}

/** The canonical source of a CLAP install: `hf:org/repo@<commit>:<precision>`. */
export function clapSource(repo: string, commit: string, precision: Precision): string {
  return `hf:${repo}@${commit}:${precision}`;
}

/**
 * Downloads the planned files into `dest`, each checked against the hub's listing (size, then the sha256
 * of LFS files or the git blob id of the others), so nothing is trusted on first use. A file already in
 * `dest` from an interrupted attempt is kept only if it matches; a `.part` file resumes by Range.
 */
async function fetchPlanned(
  plan: ClapInstallPlan,
  r: PlannedRepo,
  dest: string,
  o: ClapRepoOptions,
  done: { bytes: number },
): Promise<void> {
  const base = `${o.endpoint}/${r.repo}/resolve/${r.commit}`;
  for (const f of r.files) {
    const target = join(dest, r.folder, f.path);
    const label = `hf:${r.repo}@${r.commit.slice(0, 12)}: ${f.path}`;
    const mismatch = await checkAgainstListing(target, f);
    if (mismatch !== null) {
      if (mismatch !== 'missing') await rm(target, { force: true });
      const start = done.bytes;
      await downloadFile(`${base}/${f.path.split('/').map(encodeURIComponent).join('/')}`, target, {
        label,
        expectedSize: f.size,
        expectedSha256: f.sha256,
        expectedGitSha1: f.sha256 ? undefined : f.gitSha1,
        signal: o.signal,
        onProgress: (received) => o.onProgress?.(`${r.folder}/${f.path}`, start + received, plan.totalBytes),
      });
    }
    done.bytes += f.size;
    o.onProgress?.(`${r.folder}/${f.path}`, done.bytes, plan.totalBytes);
  }
}

/**
 * A public CLAP repository has no Moodshelf manifest: this plans the install (only the chosen precision's
 * towers, plus the sentence model used for alignment), checks that the repository is a CLAP, downloads
 * and verifies every file against the hub's listing, then writes a manifest (kind clap, identity head, the
 * CLAP prompt, each tower's dtype, the commits it came from, sha256 of every file) so it installs and
 * verifies like any other pack. Returns the plan and the canonical source.
 */
export async function adaptClapRepo(source: string, o: ClapRepoOptions, dest: string): Promise<{ plan: ClapInstallPlan; source: string }> {
  const commit = await resolved(o, source, o.repo, o.revision);
  const listing = await listRepoFiles(o, o.repo, commit);
  const configEntry = listing.get('config.json');
  if (!configEntry)
    throw new UserError(
      `${source}: not a model pack (no manifest.json) and not a transformers.js model (no config.json in commit ${commit.slice(0, 12)})`,
      'E_PACK_MANIFEST',
    );
  // config.json first: a repository that is not a CLAP is refused before anything large is fetched.
  const configPath = join(dest, 'clap', 'config.json');
  if ((await checkAgainstListing(configPath, configEntry)) !== null) {
    await rm(configPath, { force: true });
    await downloadFile(`${o.endpoint}/${o.repo}/resolve/${commit}/config.json`, configPath, {
      label: `hf:${o.repo}@${commit.slice(0, 12)}: config.json`,
      expectedSize: configEntry.size,
      expectedSha256: configEntry.sha256,
      expectedGitSha1: configEntry.sha256 ? undefined : configEntry.gitSha1,
      signal: o.signal,
    });
  }
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { model_type?: string; projection_dim?: number };
  if (config.model_type !== 'clap') {
    throw new UserError(
      `${source}: has no manifest.json and is not a CLAP model (model_type "${config.model_type ?? 'unknown'}"), so it is not a Moodshelf pack`,
      'E_PACK_MANIFEST',
    );
  }
  const plan = planWith(source, o, commit, listing, await alignmentListing(o));
  const done = { bytes: 0 };
  o.onProgress?.('', 0, plan.totalBytes);
  await fetchPlanned(plan, plan.clap, dest, o, done);
  await fetchPlanned(plan, plan.alignment, dest, o, done);

  const alignConfig = JSON.parse(await readFile(join(dest, 'alignment-encoder', 'config.json'), 'utf8')) as { hidden_size?: number };
  const files: Record<string, { sha256: string; size: number }> = {};
  for (const r of [plan.clap, plan.alignment]) {
    for (const f of r.files) {
      // Every file was checked against the listing as it arrived; LFS files are listed with their sha256.
      files[`${r.folder}/${f.path}`] = { sha256: f.sha256 ?? (await sha256File(join(dest, r.folder, f.path))), size: f.size };
    }
  }
  const dim = config.projection_dim ?? 512;
  const p = plan.precision;
  const canonical = clapSource(o.repo, plan.clap.commit, p);
  const baseId =
    o.repo
      .split('/')[1]
      ?.toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-') ?? 'clap';
  const manifest = {
    formatVersion: 1,
    kind: 'clap',
    id: p === 'fp32' ? baseId : `${baseId}-${p}`,
    version: plan.clap.commit.slice(0, 12),
    name: `CLAP ${o.repo} (${p})`,
    description: `Zero-shot CLAP from ${canonical}; labels aligned with ${plan.alignment.repo} (${plan.alignment.precision}).`,
    source: canonical,
    audio: {
      encoder: `clap/${onnxFile('onnx/audio_model', p)}`,
      sampleRate: 48000,
      segmentSeconds: 10,
      hopSeconds: 10,
      normalize: 'none',
      layers: [],
      pooling: 'mean',
      hiddenSize: 0,
      dtype: p,
    },
    head: { type: 'identity', outputDim: dim },
    labelEncoder: { path: 'clap', pooling: 'mean', normalize: true, dim, promptTemplate: 'This is a {} song.', dtype: p },
    alignmentEncoder: {
      path: 'alignment-encoder',
      pooling: 'mean',
      normalize: true,
      dim: alignConfig.hidden_size ?? 384,
      dtype: plan.alignment.precision,
    },
    vocabularies: BUILTIN_VOCABULARIES.map((v) => ({ id: v.id, name: v.name, topK: v.topK, labels: v.labels })),
    upstream: [plan.clap, plan.alignment].map((r) => ({ repo: r.repo, revision: r.commit, path: r.folder, precision: r.precision })),
    files,
  };
  await writeFile(join(dest, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { plan, source: canonical };
}
