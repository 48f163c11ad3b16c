// The analysis's inference worker: the same vectors as embedding in this thread, a broken pack failing the
// same way (a UserError with its E_PACK code, which stops the analysis), and embedding in this thread when
// the worker cannot start.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbedder, defaultInferenceWorker, type Embedder } from '../../src/core/analysis/inference.js';
import { UserError } from '../../src/core/kernel/errors.js';
import type { Logger } from '../../src/core/kernel/logger.js';
import { readManifest } from '../../src/core/model/files.js';
import type { PackManifest } from '../../src/core/model/manifest.js';
import type { InstalledPack } from '../../src/core/model/pack-store.js';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { loadModel, type ModelService } from '../../src/core/model/service.js';
import { TINY_PACK, referenceWaveform } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();
const warnings: string[] = [];
const log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (msg: string, data?: unknown) => void warnings.push(`${msg} ${JSON.stringify(data)}`),
  error: () => undefined,
  child: () => log,
} as unknown as Logger;

const embedders: Embedder[] = [];
const runtimes: ModelRuntime[] = [];
afterEach(async () => {
  await Promise.all(embedders.splice(0).map((e) => e.close()));
  await Promise.all(runtimes.splice(0).map((r) => r.dispose()));
  warnings.length = 0;
});

async function models(manifest?: PackManifest): Promise<Pick<ModelService, 'active' | 'activeModel' | 'runtime'> & { loads: number }> {
  const m = manifest ?? (await readManifest(TINY_PACK));
  const runtime = new ModelRuntime({ threads: 1 });
  runtimes.push(runtime);
  const pack = { key: `${m.id}@${m.version}`, path: TINY_PACK } as InstalledPack;
  const fake = {
    loads: 0,
    runtime,
    active: () => ({ pack, manifest: m }),
    activeModel: () => {
      fake.loads += 1;
      return loadModel(TINY_PACK, m, runtime);
    },
  };
  return fake;
}

function segments(n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => referenceWaveform(24000, 24000 * (i + 1)).slice(0, 48000));
}

function embedder(m: Parameters<typeof createEmbedder>[0], options: Parameters<typeof createEmbedder>[2]): Embedder {
  const e = createEmbedder(m, log, options);
  embedders.push(e);
  return e;
}

describe('inference worker', () => {
  it('embeds in the worker exactly as in this thread', async () => {
    const m = await models();
    const inWorker = embedder(m, { worker: true });
    const got = await inWorker.embed(segments(3));
    expect(inWorker.inWorker).toBe(true);
    expect(m.loads).toBe(0);
    const here = await m.activeModel().embedAudio(segments(3));
    expect(got.map((v) => [...v])).toEqual(here.map((v) => [...v]));
    // A second call reuses the loaded pack.
    expect(await inWorker.embed(segments(1))).toHaveLength(1);
  });

  it('fails a broken pack with its UserError code, as this thread would', async () => {
    const manifest = { ...(await readManifest(TINY_PACK)), kind: 'other' } as unknown as PackManifest;
    const m = await models(manifest);
    const err = await embedder(m, { worker: true })
      .embed(segments(1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ code: 'E_PACK_KIND' });
  });

  it('embeds in this thread when the worker cannot start, or when switched off', async () => {
    const broken = join(tempDir(), 'broken-worker.mjs');
    writeFileSync(broken, 'throw new Error("cannot load");\n');
    const m = await models();
    const e = embedder(m, { worker: true, workerFile: broken });
    expect(await e.embed(segments(2))).toHaveLength(2);
    expect(e.inWorker).toBe(false);
    expect(m.loads).toBe(1);
    expect(warnings.join('\n')).toMatch(/embeds in the core thread/);
    const off = embedder(m, { worker: false });
    expect(await off.embed(segments(1))).toHaveLength(1);
    expect(off.inWorker).toBe(false);
    const before = process.env.MOODSHELF_INFERENCE_WORKER;
    try {
      process.env.MOODSHELF_INFERENCE_WORKER = '0';
      expect(defaultInferenceWorker()).toBe(false);
      delete process.env.MOODSHELF_INFERENCE_WORKER;
      expect(defaultInferenceWorker()).toBe(true);
    } finally {
      if (before === undefined) delete process.env.MOODSHELF_INFERENCE_WORKER;
      else process.env.MOODSHELF_INFERENCE_WORKER = before;
    }
  });
});
