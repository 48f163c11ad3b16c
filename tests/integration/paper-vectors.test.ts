// The paper's published label vectors stand for the built-in labels under the paper's encoder
// (src/core/labels/paper-vectors.ts). Expected values come from the paper's artefacts in data/paper/
// (label-embeddings.json, clusters/mtg-jamendo+cal500.json), read here independently of the core.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/index.js';
import { createLogger, type Logger } from '../../src/core/kernel/logger.js';
import { alignmentVectors, alignVocabularies, planAlignment, type AlignmentDeps } from '../../src/core/labels/alignment.js';
import { labelVectors, type TextEmbedder } from '../../src/core/labels/embeddings.js';
import { createLabelHandlers } from '../../src/core/labels/handlers.js';
import {
  checkPaperEncoder,
  findPaperVectorsFile,
  loadPaperVectors,
  paperEncoderMismatch,
  PAPER_PROBES,
  scoringLabelVectors,
} from '../../src/core/labels/paper-vectors.js';
import { addUserLabel } from '../../src/core/labels/store.js';
import type { JointModel } from '../../src/core/model/joint-model.js';
import type { LabelEncoderSpec, PackManifest, PackVocabulary, UpstreamSpec } from '../../src/core/model/manifest.js';
import type { ModelService } from '../../src/core/model/service.js';
import { TINY_PACK } from '../support/packs.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

const PAPER_DIR = fileURLToPath(new URL('../../data/paper/', import.meta.url));
type PaperSet = { labels: string[]; plain: number[][]; expanded: number[][] };
const published = JSON.parse(readFileSync(join(PAPER_DIR, 'label-embeddings.json'), 'utf8')) as Record<string, PaperSet>;
const committed = JSON.parse(readFileSync(join(PAPER_DIR, 'clusters', 'mtg-jamendo+cal500.json'), 'utf8')) as {
  clusters: number;
  assignments: { dataset: string; label: string; cluster: number }[];
};

/** The published vector of one label. */
function paperVector(dataset: string, label: string, kind: 'plain' | 'expanded'): number[] {
  const set = published[dataset] as PaperSet;
  const v = set[kind][set.labels.indexOf(label)];
  if (!v) throw new Error(`no ${kind} vector for ${dataset} "${label}"`);
  return v;
}

/** The published plain vector of each bare label string (a string in two datasets has the same one to 2e-7). */
const plainByText = new Map(Object.entries(published).flatMap(([d, s]) => s.labels.map((l) => [l, paperVector(d, l, 'plain')] as const)));

/** A deterministic unit vector for any text: a stand-in sentence embedding. */
function hashVector(text: string, dim: number): Float32Array {
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = createHash('sha256').update(`${i}:${text}`).digest().readInt32LE(0) / 2 ** 31;
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/**
 * A fake sentence encoder that records what it embeds. `minilm`: the paper's plain vector for a bare label
 * string (what all-MiniLM-L6-v2 gives for it), a hash vector for any other text. `other`: hash vectors only.
 */
function fakeEncoder(kind: 'minilm' | 'other', dim = 384): TextEmbedder & { seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    embedText: (texts) => {
      seen.push(...texts);
      const plain = (t: string): number[] | undefined => (kind === 'minilm' ? plainByText.get(t) : undefined);
      return Promise.resolve(texts.map((t) => Float32Array.from(plain(t) ?? hashVector(t, dim))));
    },
  };
}

const MINILM: LabelEncoderSpec = { path: 'label-encoder', pooling: 'mean', normalize: true, dim: 384, promptTemplate: '{}' };

interface FakePack {
  labelEncoder?: LabelEncoderSpec;
  embed: TextEmbedder;
  alignment?: { spec: LabelEncoderSpec; embed: TextEmbedder };
  upstream?: UpstreamSpec[];
  vocabularies?: PackVocabulary[];
}

/** An active pack and model as the model service gives them, without any model files. */
function fakeModels(p: FakePack): Pick<ModelService, 'active' | 'activeModel'> {
  const labelEncoder = p.labelEncoder ?? MINILM;
  const manifest: PackManifest = {
    formatVersion: 1,
    kind: p.alignment ? 'clap' : 'joint',
    id: 'fake',
    version: '1.0.0',
    name: 'Fake pack',
    audio: {
      encoder: 'audio/encoder.onnx',
      sampleRate: 24000,
      segmentSeconds: 10,
      hopSeconds: 10,
      normalize: 'none',
      layers: [1],
      pooling: 'mean',
      hiddenSize: labelEncoder.dim,
    },
    head: { type: 'identity', outputDim: labelEncoder.dim },
    labelEncoder,
    alignmentEncoder: p.alignment?.spec,
    upstream: p.upstream,
    vocabularies: p.vocabularies ?? [],
    files: {},
  };
  const noAudio = (): Promise<never> => Promise.reject(new Error('the fake pack has no audio encoder'));
  const model: JointModel = {
    manifest,
    dim: labelEncoder.dim,
    embedAudio: noAudio,
    encodeFeatures: noAudio,
    embedText: (texts) => p.embed.embedText(texts),
    embedAlignmentText: p.alignment ? (texts) => (p.alignment as { embed: TextEmbedder }).embed.embedText(texts) : undefined,
  };
  const pack = {
    key: 'fake@1.0.0',
    id: 'fake',
    version: '1.0.0',
    kind: manifest.kind,
    name: manifest.name,
    path: '/nonexistent',
    sizeBytes: 0,
    source: null,
    installedAt: '2025-01-01T00:00:00Z',
    active: true,
  };
  return { active: () => ({ pack, manifest }), activeModel: () => model };
}

/** A logger that keeps its lines. */
function keptLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(
    createLogger('test', 'warn', (l) => lines.push(l)),
    { lines },
  );
}

/** A core without a pack, for its migrated database and job registry; closed after `fn`. */
async function withCore<T>(fn: (core: Core) => Promise<T>): Promise<T> {
  const core = await createCore({ dataDir: join(tempDir(), 'data'), threads: 1 });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** True when a and b put the same items together (cluster ids may differ). */
function samePartition(a: readonly number[], b: readonly number[]): boolean {
  const fwd = new Map<number, number>();
  const back = new Map<number, number>();
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i] as number;
      if ((fwd.get(x) ?? y) !== y || (back.get(y) ?? x) !== x) return false;
      fwd.set(x, y);
      back.set(y, x);
      return true;
    })
  );
}

describe("identifying the paper's label encoder", () => {
  it('rules out by the manifest what cannot be all-MiniLM-L6-v2 as the paper uses it', () => {
    const space = (encoder: Partial<LabelEncoderSpec>, upstreamRepo: string | null = null) => ({
      encoder: { ...MINILM, ...encoder },
      upstreamRepo,
    });
    expect(paperEncoderMismatch(space({}))).toBeNull();
    expect(paperEncoderMismatch(space({ promptTemplate: undefined }))).toBeNull();
    expect(paperEncoderMismatch(space({}, 'Xenova/all-MiniLM-L6-v2'))).toBeNull();
    expect(paperEncoderMismatch(space({}, 'sentence-transformers/all-MiniLM-L6-v2'))).toBeNull();
    expect(paperEncoderMismatch(space({ dim: 32 }))).toBe('it is 32-d, not 384-d');
    expect(paperEncoderMismatch(space({ pooling: 'cls' }))).toMatch(/pools cls/);
    expect(paperEncoderMismatch(space({ normalize: false }))).toMatch(/not L2-normalised/);
    expect(paperEncoderMismatch(space({ promptTemplate: 'This is a {} song.' }))).toMatch(/prompt template/);
    expect(paperEncoderMismatch(space({}, 'sentence-transformers/all-MiniLM-L12-v2'))).toMatch(/downloaded from .*L12/);
    // The committed tiny packs are not: a 32-d random BERT, a 16-d CLAP with a prompt.
    const tiny = JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8')) as PackManifest;
    expect(paperEncoderMismatch({ encoder: tiny.labelEncoder, upstreamRepo: null })).toBe('it is 32-d, not 384-d');
  });

  it("accepts an encoder only when it reproduces the paper's plain vectors of the probe labels", async () => {
    await withCore(async (core) => {
      const paper = loadPaperVectors();
      const space = (embedder: TextEmbedder, key: string) => ({ key, embedder, encoder: MINILM, upstreamRepo: null });
      const minilm = fakeEncoder('minilm');
      const yes = await checkPaperEncoder(core.context.db, space(minilm, 'a'), paper);
      expect(yes.matches).toBe(true);
      expect(yes.minCosine).toBeGreaterThan(0.9999);
      expect(minilm.seen).toEqual(PAPER_PROBES.map((p) => p.label));
      const no = await checkPaperEncoder(core.context.db, space(fakeEncoder('other'), 'b'), paper);
      expect(no.matches).toBe(false);
      expect(no.minCosine).toBeLessThan(0.5);
      // A wrong dimension is no match either.
      const wrongDim = await checkPaperEncoder(core.context.db, space(fakeEncoder('other', 32), 'c'), paper);
      expect(wrongDim.matches).toBe(false);
    });
  });
});

describe("the paper's expanded vectors for the built-in labels", () => {
  it('are the vectors alignment clusters under the paper encoder, with no built-in label embedded', async () => {
    await withCore(async (core) => {
      const encoder = fakeEncoder('minilm');
      const deps: AlignmentDeps = { db: core.context.db, models: fakeModels({ embed: encoder }), log: keptLogger() };
      const plan = planAlignment(deps, { vocabularies: ['mtg-jamendo', 'cal500', 'emotify'] });
      expect(plan.paper?.file).toBe(resolve(PAPER_DIR, 'label-embeddings.json'));
      const { vectors, builtinVectors } = await alignmentVectors(deps, plan);
      expect(builtinVectors).toBe('paper-expanded');
      expect(vectors).toHaveLength(82);
      plan.entries.forEach((e, i) =>
        expect(Array.from(vectors[i] ?? []), `${e.vocabulary} ${e.name}`).toEqual(paperVector(e.vocabulary, e.name, 'expanded')),
      );
      expect(encoder.seen).toEqual(PAPER_PROBES.map((p) => p.label)); // only the probe
    });
  });

  it("align MTG-Jamendo + CAL500 into the paper's committed 42 clusters", async () => {
    await withCore(async (core) => {
      const deps: AlignmentDeps = { db: core.context.db, models: fakeModels({ embed: fakeEncoder('minilm') }), log: keptLogger() };
      const aligned = await alignVocabularies(deps, { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(aligned).toMatchObject({ builtinVectors: 'paper-expanded', quantile: 0.03, nSamples: 73, cached: false });
      expect(committed.clusters).toBe(42);
      expect(aligned.clusters).toHaveLength(42);
      const ours = committed.assignments.map((a) => {
        const l = aligned.labels.find((x) => x.vocabulary === a.dataset && x.name === a.label);
        if (!l) throw new Error(`${a.dataset} "${a.label}" is not in the alignment`);
        return l.cluster;
      });
      expect(aligned.labels).toHaveLength(committed.assignments.length);
      expect(
        samePartition(
          ours,
          committed.assignments.map((a) => a.cluster),
        ),
      ).toBe(true);
      // Stored with how the built-in labels were represented.
      expect(await alignVocabularies(deps, { vocabularies: ['mtg-jamendo', 'cal500'] })).toEqual({ ...aligned, cached: true });
    });
  });

  it('score the built-in labels under the paper label encoder; a label a pack describes keeps its description', async () => {
    await withCore(async (core) => {
      const encoder = fakeEncoder('minilm');
      const models = fakeModels({ embed: encoder });
      const refs = [
        { vocabulary: 'mtg-jamendo', name: 'happy', text: 'happy' },
        { vocabulary: 'cal500', name: 'happy', text: 'happy' },
        { vocabulary: 'emotify', name: 'joyful_activation', text: 'joyful_activation' },
        { vocabulary: 'cal500', name: 'sad', text: 'a slow, heavy song about loss' },
      ];
      const vectors = await scoringLabelVectors({ db: core.context.db, models }, refs);
      expect(vectors[0]).toEqual(Float32Array.from(paperVector('mtg-jamendo', 'happy', 'expanded')));
      expect(vectors[1]).toEqual(Float32Array.from(paperVector('cal500', 'happy', 'expanded')));
      expect(vectors[0]).not.toEqual(vectors[1]); // the two datasets' expansions differ
      expect(vectors[2]).toEqual(Float32Array.from(paperVector('emotify', 'joyful_activation', 'expanded')));
      expect(vectors[3]).toEqual(hashVector('a slow, heavy song about loss', 384));
      expect(encoder.seen).toEqual([...PAPER_PROBES.map((p) => p.label), 'a slow, heavy song about loss']);
    });
  });

  it("embed a user label's description (its expanded form) in the same space, and its name when it has none", async () => {
    await withCore(async (core) => {
      const { db } = core.context;
      const encoder = fakeEncoder('minilm');
      const deps: AlignmentDeps = { db, models: fakeModels({ embed: encoder }), log: keptLogger() };
      addUserLabel(db, 'rainy sunday', '  grey skies, slow piano, rain on the window  ');
      addUserLabel(db, 'road trip', null);
      const aligned = await alignVocabularies(deps);
      expect(aligned.builtinVectors).toBe('paper-expanded');
      expect(aligned.labels.filter((l) => l.vocabulary === 'user').map((l) => l.name)).toEqual(['rainy sunday', 'road trip']);
      expect(encoder.seen).toEqual([...PAPER_PROBES.map((p) => p.label), 'grey skies, slow piano, rain on the window', 'road trip']);
      const [described] = await scoringLabelVectors({ db, models: deps.models }, [
        { vocabulary: 'user', name: 'rainy sunday', text: 'grey skies, slow piano, rain on the window' },
      ]);
      expect(described).toEqual(hashVector('grey skies, slow piano, rain on the window', 384));
    });
  });

  it("use a CLAP pack's all-MiniLM-L6-v2 alignment encoder for alignment, never for scoring in CLAP's space", async () => {
    await withCore(async (core) => {
      const { db } = core.context;
      const clapText = fakeEncoder('other', 512);
      const models = fakeModels({
        labelEncoder: { path: 'clap', pooling: 'mean', normalize: true, dim: 512, promptTemplate: 'This is a {} song.' },
        embed: clapText,
        alignment: { spec: { path: 'alignment-encoder', pooling: 'mean', normalize: true, dim: 384 }, embed: fakeEncoder('minilm') },
        upstream: [
          { repo: 'Xenova/larger_clap_music_and_speech', revision: 'x', path: 'clap' },
          { repo: 'Xenova/all-MiniLM-L6-v2', revision: 'y', path: 'alignment-encoder' },
        ],
      });
      const deps: AlignmentDeps = { db, models, log: keptLogger() };
      const aligned = await alignVocabularies(deps, { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(aligned.builtinVectors).toBe('paper-expanded');
      expect(aligned.clusters).toHaveLength(42);
      const [happy] = await scoringLabelVectors({ db, models }, [{ vocabulary: 'mtg-jamendo', name: 'happy', text: 'happy' }]);
      expect(happy).toEqual(hashVector('happy', 512));
      expect(clapText.seen).toEqual(['happy']);
    });
  });
});

describe('any other encoder keeps the plain path', () => {
  it('embeds every label from its text when an encoder described like MiniLM fails the probe, and says so', async () => {
    await withCore(async (core) => {
      const { db } = core.context;
      const encoder = fakeEncoder('other');
      const log = keptLogger();
      const deps: AlignmentDeps = { db, models: fakeModels({ embed: encoder }), log };
      const plan = planAlignment(deps, { vocabularies: ['cal500', 'emotify'] });
      const { vectors, builtinVectors, check } = await alignmentVectors(deps, plan);
      expect(builtinVectors).toBe('encoder');
      expect(check?.matches).toBe(false);
      expect(log.lines.join('\n')).toMatch(/does not reproduce the paper's plain label vectors/);
      plan.entries.forEach((e, i) => expect(vectors[i]).toEqual(Float64Array.from(hashVector(e.name, 384))));
      expect(new Set(encoder.seen)).toEqual(new Set([...PAPER_PROBES.map((p) => p.label), ...plan.entries.map((e) => e.text)]));
      expect((await alignVocabularies(deps, { vocabularies: ['cal500', 'emotify'] })).builtinVectors).toBe('encoder');
      const [happy] = await scoringLabelVectors({ db, models: deps.models }, [{ vocabulary: 'cal500', name: 'happy', text: 'happy' }]);
      expect(happy).toEqual(hashVector('happy', 384));
    });
  });

  it("never reads the paper's data for an encoder that cannot be the paper's (the tiny pack)", async () => {
    await withCore(async (core) => {
      await core.run('models-install', { source: TINY_PACK });
      const { db, models, log } = core.context;
      const missing = join(tempDir(), 'missing.json');
      const deps: AlignmentDeps = { db, models, log, paperVectorsFile: missing };
      const plan = planAlignment(deps, { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(plan.paper).toBeNull();
      const aligned = await alignVocabularies(deps, { vocabularies: ['mtg-jamendo', 'cal500'] });
      expect(aligned.builtinVectors).toBe('encoder');
      const { pack } = models.active();
      const refs = plan.entries.map((e) => ({ vocabulary: e.vocabulary, name: e.name, text: e.text }));
      const scored = await scoringLabelVectors({ db, models, paperVectorsFile: missing }, refs);
      expect(scored).toEqual(
        await labelVectors(
          db,
          pack.key,
          models.activeModel(),
          plan.entries.map((e) => e.name),
        ),
      );
    });
  });
});

describe("the paper's data file", () => {
  it('is found in the source tree, and checked', () => {
    expect(findPaperVectorsFile()).toBe(resolve(PAPER_DIR, 'label-embeddings.json'));
    const paper = loadPaperVectors();
    expect([...paper.vocabularies.keys()]).toEqual(['mtg-jamendo', 'cal500', 'emotify']);
    expect(paper.vocabularies.get('cal500')?.size).toBe(17);
    expect(paper.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('missing: a clear error naming the path, before any alignment job starts or any scoring', async () => {
    await withCore(async (core) => {
      const { db } = core.context;
      const missing = join(tempDir(), 'gone', 'label-embeddings.json');
      const models = fakeModels({ embed: fakeEncoder('minilm') });
      const message = `The paper's label vectors: ${missing}: the file is missing`;
      expect(() => planAlignment({ db, models, paperVectorsFile: missing })).toThrow(message);
      const handlers = createLabelHandlers({ db, models, jobs: core.jobs, log: keptLogger(), paperVectorsFile: missing });
      let refused: unknown;
      try {
        handlers['labels-align'].run({});
      } catch (err) {
        refused = err;
      }
      expect(refused).toMatchObject({ code: 'E_PAPER_DATA', message });
      expect(core.jobs.list().filter((j) => j.kind === 'labels-align')).toEqual([]);
      await expect(scoringLabelVectors({ db, models, paperVectorsFile: missing }, [])).rejects.toMatchObject({
        code: 'E_PAPER_DATA',
        message,
      });
    });
  });

  it('broken: a clear error naming the file and what is wrong', () => {
    const dir = tempDir();
    let n = 0;
    // A new file per case: a file read once is kept.
    const load = (data: unknown): (() => unknown) => {
      const file = join(dir, `case-${n++}.json`);
      writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
      return () => loadPaperVectors(file);
    };
    expect(load('{ nope')).toThrow(`The paper's label vectors: ${join(dir, 'case-0.json')}: not JSON`);
    const { emotify: _dropped, ...withoutEmotify } = published;
    expect(load(withoutEmotify)).toThrow(/"emotify" must be \{ labels, plain, expanded \}/);
    const short = { ...published, cal500: { ...published.cal500, expanded: published.cal500?.expanded.slice(1) } };
    expect(load(short)).toThrow(/"cal500" has 17 labels, 17 plain and 16 expanded vectors/);
    const cal = published.cal500 as PaperSet;
    const renamed = { ...published, cal500: { ...cal, labels: cal.labels.map((l) => (l === 'happy' ? 'Happy' : l)) } };
    expect(load(renamed)).toThrow(/"cal500" lacks "happy"/);
  });
});
