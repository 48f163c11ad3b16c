import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadClapModel } from '../../src/core/model/clap-model.js';
import { readManifest } from '../../src/core/model/files.js';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { dot } from '../../src/core/analysis/vectors.js';
import { createCore } from '../../src/core/index.js';
import { TINY_PACK, referenceWaveform } from '../support/packs.js';
import { generateLibrary } from '../support/library-gen.js';
import { useTempDirs } from '../support/temp.js';
import { startHub } from '../support/hub-server.js';
import { installPack } from '../../src/core/model/install.js';

const TINY_CLAP = join(TINY_PACK, '..', 'tiny-clap');
const ref = JSON.parse(readFileSync(join(TINY_PACK, '..', 'reference-clap.json'), 'utf8')) as {
  tolerance: number;
  inputFeatures: { shape: number[]; first8: number[] };
  audioEmbeds: { normalized: number[] };
  texts: Record<string, { inputIds: number[]; normalized: number[]; cosine: number }>;
};
const runtime = new ModelRuntime({ threads: 1 });
afterAll(() => runtime.dispose());
const tempDir = useTempDirs();

function maxDiff(a: ArrayLike<number>, b: number[]): number {
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

  it('installs, analyses a library and ranks tracks for a new label', async () => {
    const root = tempDir();
    const lib = generateLibrary(join(root, 'lib'), 6, 0);
    const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
    try {
      expect(await core.invoke('models-install', { source: TINY_CLAP })).toMatchObject({ kind: 'clap', active: true });
      await core.invoke('library-add', { path: lib.root });
      await core.invoke('library-scan');
      await core.invoke('analysis-start', {});
      const s = await core.invoke('analysis-wait');
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
        await core.invoke('models-install', { source: 'hf:Xenova/clap-tiny' });
        const similar = await core.invoke('labels-similar', { text: 'sad', limit: 2 });
        expect(similar[0]).toMatchObject({ name: 'sad', cosine: expect.closeTo(1, 5) });
        expect((await core.invoke('labels-align', { vocabularies: ['cal500', 'emotify'] })).labels).toHaveLength(26);
      } finally {
        await core.close();
      }
    } finally {
      await hub.close();
    }
  });
});
