import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clapAudioBatch, loadClapModel } from '../../src/core/model/clap-model.js';
import { readManifest } from '../../src/core/model/files.js';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { dot } from '../../src/core/analysis/vectors.js';
import { createCore } from '../../src/core/index.js';
import { TINY_CLAP, TINY_PACK, referenceWaveform, writeClapRepo, writeSentenceRepo } from '../support/packs.js';
import { generateLibrary } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { startHub } from '../support/hub-server.js';
import { installPack, type InstallProgress } from '../../src/core/model/install.js';
import { clapFiles, DEFAULT_ALIGNMENT, sentenceFiles } from '../../src/core/model/hub-adapters.js';
import { catalogEntries } from '../../src/core/model/catalog.js';
import type { Precision } from '../../src/core/model/precision.js';
const ref = JSON.parse(readFileSync(join(TINY_PACK, '..', 'reference-clap.json'), 'utf8')) as {
  tolerance: number;
  inputFeatures: { shape: number[]; first8: number[] };
  audioEmbeds: { normalized: number[] };
  texts: Record<string, { inputIds: number[]; normalized: number[]; cosine: number }>;
};
const runtime = new ModelRuntime({ threads: 1 });
afterAll(() => runtime.dispose());
const tempDir = useTempDirs();

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('CLAP pack (transformers.js layout)', async () => {
  const manifest = await readManifest(TINY_CLAP);
  const model = loadClapModel(TINY_CLAP, manifest, runtime);
  const wave = referenceWaveform(48000, 480000);

  it('computes the same log-mel features as the Python feature extractor', async () => {
    const clap = await runtime.clap(join(TINY_CLAP, 'clap'));
    const { input_features } = (await clap.processor(wave)) as { input_features: { dims: number[]; data: Float32Array } };
    expect(input_features.dims).toEqual(ref.inputFeatures.shape);
    expect(maxDiff(input_features.data.subarray(0, 8), ref.inputFeatures.first8)).toBeLessThan(1e-3);
  });

  it('embeds audio and prompted label text into one space with the reference numbers', async () => {
    const [audio] = await model.embedAudio([wave]);
    expect(maxDiff(audio as Float32Array, ref.audioEmbeds.normalized)).toBeLessThan(ref.tolerance * 10);
    const names = Object.keys(ref.texts).map((t) => /^This is a (.*) song\.$/.exec(t)?.[1] as string);
    const vectors = await model.embedText(names);
    Object.values(ref.texts).forEach((t, i) => {
      expect(maxDiff(vectors[i] as Float32Array, t.normalized)).toBeLessThan(ref.tolerance);
      expect(dot(audio as Float32Array, vectors[i] as Float32Array)).toBeCloseTo(t.cosine, 3);
    });
  });

  it('embeds a batch of segments as it embeds each alone (four per run, the rest in a smaller run)', async () => {
    expect(clapAudioBatch(runtime)).toBe(4);
    const segments = Array.from({ length: 6 }, (_, k) => wave.map((x, i) => x * (0.3 + 0.1 * k) + 0.01 * Math.sin(i * (k + 1) * 1e-3)));
    const batched = await model.embedAudio(segments);
    expect(batched).toHaveLength(6);
    for (let k = 0; k < segments.length; k++) {
      const [alone] = await model.embedAudio([segments[k] as Float32Array]);
      expect(maxDiff(batched[k] as Float32Array, alone as Float32Array)).toBeLessThan(1e-5);
    }
    // Different segments, different embeddings: the rows of a batch are not mixed up.
    expect(maxDiff(batched[0] as Float32Array, batched[5] as Float32Array)).toBeGreaterThan(1e-3);
  });

  it('installs, analyses a library and ranks tracks for a new label', async () => {
    const root = tempDir();
    const lib = generateLibrary(join(root, 'lib'), 6, 0);
    const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
    try {
      expect(await core.run('models-install', { source: TINY_CLAP })).toMatchObject({ kind: 'clap', active: true });
      await core.invoke('library-add', { path: lib.root });
      await core.run('library-scan');
      await core.invoke('analysis-start', {});
      const s = await core.run('analysis-wait');
      expect(s.failures).toEqual([]);
      expect(s.error).toBeNull();
      expect(s).toMatchObject({ analyzed: 6, failed: 0 });
      expect(await core.invoke('scores-top', { label: 'rainy sunday', limit: 3 })).toHaveLength(3);
    } finally {
      await core.close();
    }
  });

  it('installs a public transformers.js CLAP repository (no manifest) from the hub, with all-MiniLM for alignment', async () => {
    const root = tempDir();
    const hub = await startHub({
      repos: {
        'Xenova/clap-tiny': join(TINY_CLAP, 'clap'),
        'Xenova/all-MiniLM-L6-v2': join(TINY_PACK, 'label-encoder'),
        'Xenova/not-clap': join(TINY_PACK, 'label-encoder'),
      },
    });
    try {
      const r = await installPack('hf:Xenova/clap-tiny', { packsDir: join(root, 'packs'), hubEndpoint: hub.url });
      expect(r.manifest).toMatchObject({
        kind: 'clap',
        id: 'clap-tiny',
        head: { type: 'identity', outputDim: 16 },
        labelEncoder: { promptTemplate: 'This is a {} song.' },
        alignmentEncoder: { dim: 32 },
      });
      await expect(installPack('hf:Xenova/not-clap', { packsDir: join(root, 'packs'), hubEndpoint: hub.url })).rejects.toThrow(
        /not a CLAP model/,
      );
      const core = await createCore({ dataDir: join(root, 'data'), threads: 1, hubEndpoint: hub.url });
      try {
        await core.run('models-install', { source: 'hf:Xenova/clap-tiny' });
        const similar = await core.invoke('labels-similar', { text: 'sad', limit: 2 });
        expect(similar[0]).toMatchObject({ name: 'sad', cosine: expect.closeTo(1, 5) });
        expect((await core.run('labels-align', { vocabularies: ['cal500', 'emotify'] })).labels).toHaveLength(26);
      } finally {
        await core.close();
      }
    } finally {
      await hub.close();
    }
  });
});

/** Every file under a folder, as sorted relative paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return d / Math.sqrt(na * nb);
}

describe('the pack a new user gets: the music CLAP of the catalog in a chosen precision, from a pinned commit', () => {
  const recommended = catalogEntries().find((e) => e.default);
  const REPO = recommended?.repo as string;
  const PINNED = recommended?.revision as string;
  const NEWER = 'b'.repeat(40);
  const root = tempDir;

  /** A hub with the music CLAP at the pinned commit (and a newer one on main) and MiniLM at its pinned commit. */
  async function hubWithCatalogRepos(extra: { corrupt?: string[] } = {}) {
    const dir = root();
    const clap = writeClapRepo(join(dir, 'clap'));
    const newer = join(dir, 'clap-newer');
    cpSync(clap, newer, { recursive: true });
    // The newer commit has a different quantized audio tower (another size): a moved branch must not leak in.
    cpSync(join(clap, 'onnx', 'audio_model_fp16.onnx'), join(newer, 'onnx', 'audio_model_quantized.onnx'));
    const mini = writeSentenceRepo(join(dir, 'mini'));
    const hub = await startHub({
      repos: {
        [REPO]: { commits: { [PINNED]: clap, [NEWER]: newer }, refs: { main: NEWER } },
        [DEFAULT_ALIGNMENT.repo]: { commits: { [DEFAULT_ALIGNMENT.revision]: mini } },
      },
      ...extra,
    });
    return { dir, clap, mini, hub };
  }

  const expectedFiles = (p: Precision) => [
    ...clapFiles(p).map((f) => `clap/${f}`),
    ...sentenceFiles(p).map((f) => `alignment-encoder/${f}`),
  ];

  it('downloads only the quantized files from the pinned commits, reports the exact total, and loads them as q8', async () => {
    const { dir, clap, mini, hub } = await hubWithCatalogRepos();
    try {
      const progress: InstallProgress[] = [];
      const r = await installPack(`hf:${REPO}@${PINNED}:quantized`, {
        packsDir: join(dir, 'packs'),
        hubEndpoint: hub.url,
        onProgress: (p) => progress.push(p),
      });
      // Exactly the q8 files (and the manifest written for them); no fp32/fp16 tower, no combined model, no README.
      expect(filesUnder(r.path)).toEqual([...expectedFiles('q8'), 'manifest.json'].sort());
      const fetched = hub.requests.filter((q) => q.path.includes('/resolve/') && q.status === 200).map((q) => q.path);
      expect(fetched.sort()).toEqual(
        [
          ...clapFiles('q8').map((f) => `/${REPO}/resolve/${PINNED}/${f}`),
          ...sentenceFiles('q8').map((f) => `/${DEFAULT_ALIGNMENT.repo}/resolve/${DEFAULT_ALIGNMENT.revision}/${f}`),
        ].sort(),
      );
      expect(hub.requests.some((q) => q.path.includes(NEWER))).toBe(false);
      // The total is the exact sum of the listed sizes, known before the first byte arrives.
      const exact =
        clapFiles('q8').reduce((s, f) => s + statSync(join(clap, f)).size, 0) +
        sentenceFiles('q8').reduce((s, f) => s + statSync(join(mini, f)).size, 0);
      const downloading = progress.filter((p) => p.phase === 'downloading');
      expect(downloading[0]).toMatchObject({ receivedBytes: 0, totalBytes: exact });
      expect(new Set(downloading.map((p) => p.totalBytes))).toStrictEqual(new Set([exact]));
      expect(downloading.at(-1)?.receivedBytes).toBe(exact);
      expect(Object.values(r.manifest.files).reduce((s, f) => s + f.size, 0)).toBe(exact);
      expect(r.source).toBe(`hf:${REPO}@${PINNED}:q8`);
      expect(r.source).toBe(recommended?.source);
      expect(r.manifest).toMatchObject({
        id: 'larger_clap_music_and_speech-q8',
        version: PINNED.slice(0, 12),
        source: `hf:${REPO}@${PINNED}:q8`,
        audio: { encoder: 'clap/onnx/audio_model_quantized.onnx', dtype: 'q8' },
        labelEncoder: { path: 'clap', dtype: 'q8' },
        alignmentEncoder: { path: 'alignment-encoder', dtype: 'q8' },
        upstream: [
          { repo: REPO, revision: PINNED, path: 'clap', precision: 'q8' },
          { repo: DEFAULT_ALIGNMENT.repo, revision: DEFAULT_ALIGNMENT.revision, path: 'alignment-encoder', precision: 'q8' },
        ],
      });

      // Loaded through transformers.js with dtype q8: the int8 towers, close to the fp32 reference but not it.
      const model = loadClapModel(r.path, r.manifest, runtime);
      const [audio] = await model.embedAudio([referenceWaveform(48000, 480000)]);
      expect(cosine(audio as Float32Array, ref.audioEmbeds.normalized)).toBeGreaterThan(0.99);
      expect(maxDiff(audio as Float32Array, ref.audioEmbeds.normalized)).toBeGreaterThan(1e-4);
      const [text] = await model.embedText(['sad']);
      const refText = ref.texts['This is a sad song.']?.normalized ?? [];
      expect(cosine(text as Float32Array, refText)).toBeGreaterThan(0.99);
      expect(maxDiff(text as Float32Array, refText)).toBeGreaterThan(1e-5);
      const [aligned] = (await model.embedAlignmentText?.(['calm'])) ?? [];
      expect(aligned).toHaveLength(32);
    } finally {
      await hub.close();
    }
  });

  it('installs the catalog entry through the core in the precision picked, and the catalog shows which one is installed', async () => {
    const { dir, hub } = await hubWithCatalogRepos();
    try {
      const core = await createCore({ dataDir: join(dir, 'data'), threads: 1, hubEndpoint: hub.url });
      try {
        const entry = (await core.invoke('models-catalog')).find((c) => c.default);
        const fp16 = entry?.variants.find((v) => v.precision === 'fp16');
        const pack = await core.run('models-install', { source: `hf:${REPO}@${PINNED}`, precision: 'fp16' });
        expect(pack).toMatchObject({ key: `larger_clap_music_and_speech-fp16@${PINNED.slice(0, 12)}`, source: fp16?.source, active: true });
        expect(filesUnder(pack.path)).toEqual([...expectedFiles('fp16'), 'manifest.json'].sort());
        const after = (await core.invoke('models-catalog')).find((c) => c.default);
        expect(after?.installed).toBe(true);
        expect(after?.variants.map((v) => [v.precision, v.installed])).toEqual([
          ['q8', false],
          ['fp16', true],
          ['fp32', false],
        ]);
        // The fp16 towers and MiniLM run: label alignment and zero-shot neighbours work.
        const similar = await core.invoke('labels-similar', { text: 'sad', limit: 2 });
        expect(similar[0]).toMatchObject({ name: 'sad', cosine: expect.closeTo(1, 5) });
        await expect(core.run('models-install', { source: `hf:${REPO}@${PINNED}:q8`, precision: 'fp32' })).rejects.toThrow(
          /asks for q8 but the install for fp32/,
        );
      } finally {
        await core.close();
      }
    } finally {
      await hub.close();
    }
  });

  it('follows a branch to its commit, so a moved branch cannot mix two versions', async () => {
    const { dir, clap, hub } = await hubWithCatalogRepos();
    try {
      const r = await installPack(`hf:${REPO}:q8`, { packsDir: join(dir, 'packs'), hubEndpoint: hub.url });
      expect(r.source).toBe(`hf:${REPO}@${NEWER}:q8`);
      expect(r.manifest.version).toBe(NEWER.slice(0, 12));
      expect(r.manifest.files['clap/onnx/audio_model_quantized.onnx']?.size).toBe(
        statSync(join(clap, 'onnx', 'audio_model_fp16.onnx')).size,
      );
      expect(
        hub.requests
          .filter((q) => q.path.startsWith(`/${REPO}/resolve/`) && !q.path.endsWith('manifest.json'))
          .every((q) => q.path.includes(NEWER)),
      ).toBe(true);
    } finally {
      await hub.close();
    }
  });

  it('refuses a file that does not match the listing (sha256 or git blob), naming it, and installs nothing', async () => {
    const bad = await hubWithCatalogRepos({
      corrupt: [`${REPO}/onnx/text_model_quantized.onnx`, `${DEFAULT_ALIGNMENT.repo}/tokenizer.json`],
    });
    const packs = join(bad.dir, 'packs');
    try {
      await expect(installPack(`hf:${REPO}@${PINNED}:q8`, { packsDir: packs, hubEndpoint: bad.hub.url })).rejects.toThrow(
        new RegExp(
          `hf:${REPO}@${PINNED.slice(0, 12)}: onnx/text_model_quantized.onnx: corrupt download \\(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\\)`,
        ),
      );
    } finally {
      await bad.hub.close();
    }
    const half = await hubWithCatalogRepos({ corrupt: [`${DEFAULT_ALIGNMENT.repo}/tokenizer.json`] });
    try {
      await expect(installPack(`hf:${REPO}@${PINNED}:q8`, { packsDir: packs, hubEndpoint: half.hub.url })).rejects.toThrow(
        /hf:Xenova\/all-MiniLM-L6-v2@751bff37182d: tokenizer.json: corrupt download \(git blob [0-9a-f]{12}…, expected [0-9a-f]{12}…\)/,
      );
      // The files that did verify were kept for the next attempt; the bad one is gone.
      expect(readdirSync(packs).filter((f) => !f.startsWith('.'))).toEqual([]);
    } finally {
      await half.hub.close();
    }
    const good = await hubWithCatalogRepos();
    try {
      const r = await installPack(`hf:${REPO}@${PINNED}:q8`, { packsDir: packs, hubEndpoint: good.hub.url });
      expect(filesUnder(r.path)).toEqual([...expectedFiles('q8'), 'manifest.json'].sort());
      // Only the file that had failed and the ones after it were fetched again.
      expect(good.hub.requests.filter((q) => q.path.includes('/resolve/') && q.status === 200).map((q) => q.path)).toEqual(
        ['tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx'].map(
          (f) => `/${DEFAULT_ALIGNMENT.repo}/resolve/${DEFAULT_ALIGNMENT.revision}/${f}`,
        ),
      );
    } finally {
      await good.hub.close();
    }
  });

  it('refuses a precision the repository does not have, naming the ones it has', async () => {
    const dir = root();
    const hub = await startHub({
      repos: { 'Xenova/clap-tiny': join(TINY_CLAP, 'clap'), 'Xenova/all-MiniLM-L6-v2': join(TINY_PACK, 'label-encoder') },
    });
    try {
      await expect(installPack('hf:Xenova/clap-tiny:fp16', { packsDir: join(dir, 'packs'), hubEndpoint: hub.url })).rejects.toThrow(
        /hf:Xenova\/clap-tiny:fp16: onnx\/audio_model_fp16.onnx is not in commit [0-9a-f]{12} of the repository; it offers fp32$/,
      );
    } finally {
      await hub.close();
    }
  });
});
