import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadJointModel, normalizeSegment, poolHiddenStates } from '../../src/core/model/joint-model.js';
import { parseManifest } from '../../src/core/model/manifest.js';
import { readManifest } from '../../src/core/model/files.js';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { installPack, parseHubSource } from '../../src/core/model/install.js';
import { songVote, percentiles, percentileOf } from '../../src/core/analysis/scoring.js';
import { dot } from '../../src/core/analysis/vectors.js';
import { startHub } from '../support/hub-server.js';
import { folderFiles, writeZip } from '../support/zip-writer.js';
import { TINY_CLAP, TINY_PACK, packReference, referenceWaveform, writeClapRepo, writeSentenceRepo } from '../support/packs.js';
import { gitBlobSha1, listRepoFiles, resolveRevision } from '../../src/core/model/hub-api.js';
import { clapFiles, DEFAULT_ALIGNMENT, planClapInstall, sentenceFiles } from '../../src/core/model/hub-adapters.js';
import { catalogEntries } from '../../src/core/model/catalog.js';
import { PRECISIONS } from '../../src/core/model/precision.js';
import { useTempDirs } from '../support/temp.js';
import { createCore } from '../../src/core/index.js';
import { openDatabase } from '../../src/core/kernel/database.js';
import { setActivePack } from '../../src/core/model/pack-store.js';

const tempDir = useTempDirs();
const ref = packReference();
const runtime = new ModelRuntime({ threads: 1 });
afterAll(() => runtime.dispose());

function expectClose(actual: ArrayLike<number>, expected: number[], tol = ref.tolerance): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('tiny joint pack: numbers match the generator (tolerance 1e-4)', async () => {
  const manifest = await readManifest(TINY_PACK);
  const model = loadJointModel(TINY_PACK, manifest, runtime);
  const wave = referenceWaveform(ref.waveform.sampleRate, ref.waveform.samples);

  it('normalises the input like Wav2Vec2FeatureExtractor', () => {
    expectClose(wave.subarray(0, 16), ref.waveform.first);
    const x = normalizeSegment(wave);
    expectClose(x.subarray(0, 16), ref.normalizedInput.first);
    expectClose(x.subarray(x.length - 4), ref.normalizedInput.last);
  });

  it('pools the encoder hidden states into the head input', async () => {
    const h = await runtime.run(
      join(TINY_PACK, manifest.audio.encoder),
      'input_values',
      { data: normalizeSegment(wave), dims: [1, wave.length] },
      'hidden_states',
    );
    expect(h.dims).toEqual([1, 3, 749, 32]);
    expectClose(poolHiddenStates(h, ref.features.layers, 'first-frame').data, ref.features.values);
  });

  it('projects a segment into the joint space', async () => {
    const [e] = await model.embedAudio([wave]);
    expectClose(e as Float32Array, ref.embedding.normalized);
  });

  it('embeds label texts as sentence-transformers does (mean pooling, L2) and scores them by cosine', async () => {
    const texts = Object.keys(ref.labels);
    const vectors = await model.embedText(texts);
    const [audio] = await model.embedAudio([wave]);
    texts.forEach((t, i) => {
      expectClose(vectors[i] as Float32Array, ref.labels[t]?.embedding ?? []);
      expect(dot(audio as Float32Array, vectors[i] as Float32Array)).toBeCloseTo(ref.labels[t]?.cosine ?? NaN, 4);
    });
  });

  it('tags with each vocabulary top-k as the reference does', async () => {
    const [audio] = await model.embedAudio([wave]);
    for (const v of manifest.vocabularies) {
      const r = ref.vocabularies[v.id];
      const vecs = await model.embedText(v.labels);
      const cos = vecs.map((x) => dot(audio as Float32Array, x));
      expectClose(cos, r?.cosines ?? []);
      expect(songVote([Float32Array.from(cos)], v.topK).map((x) => v.labels[x.label])).toEqual(r?.topLabels);
    }
  });
});

describe('scoring', () => {
  it('takes the k labels with most segment votes (ties by mean cosine)', () => {
    const seg = (...xs: number[]) => Float32Array.from(xs);
    const votes = songVote([seg(0.9, 0.8, 0.1), seg(0.2, 0.9, 0.8), seg(0.95, 0.1, 0.85), seg(0.1, 0.2, 0.9)], 2);
    // Votes: label 0 twice, labels 1 and 2 three times each; 2 has the higher mean cosine.
    expect(votes.map((v) => [v.label, v.votes])).toEqual([
      [2, 3],
      [1, 3],
    ]);
  });

  it('turns scores into percentiles of the library', () => {
    const p = percentiles(Float32Array.from([0.1, 0.5, 0.3, 0.5]));
    expect([...p]).toEqual([25, 100, 50, 100]);
    expect(percentileOf(0.3, Float32Array.from([0.1, 0.3, 0.5, 0.5]))).toBe(50);
    expect(percentileOf(0.5000000001, Float32Array.from([0.1, 0.3, 0.5, 0.5]))).toBe(100);
  });
});

describe('manifest validation', () => {
  const raw = () => JSON.parse(readFileSync(join(TINY_PACK, 'manifest.json'), 'utf8')) as Record<string, unknown>;

  it('refuses unknown format versions and inconsistent shapes, naming the field', () => {
    expect(() => parseManifest({ ...raw(), formatVersion: 2 }, 'm.json')).toThrow(/m\.json: manifest formatVersion 2 is not supported/);
    const m = raw();
    (m.head as Record<string, unknown>).inputDim = 65;
    expect(() => parseManifest(m, 'm.json')).toThrow(/head.inputDim is 65 but audio.layers x audio.hiddenSize is 64/);
    const m2 = raw();
    (m2.labelEncoder as Record<string, unknown>).dim = 384;
    expect(() => parseManifest(m2, 'm.json')).toThrow(/labelEncoder.dim is 384 but head.outputDim is 32/);
    const m3 = raw();
    (m3.audio as Record<string, unknown>).encoder = '../evil.onnx';
    expect(() => parseManifest(m3, 'm.json')).toThrow(/relative path inside the pack/);
  });

  it('parses hub sources, with a precision suffix', () => {
    expect(parseHubSource('hf:org/repo')).toStrictEqual({ repo: 'org/repo', revision: 'main' });
    expect(parseHubSource('hf:org/repo@v1.2')).toStrictEqual({ repo: 'org/repo', revision: 'v1.2' });
    expect(parseHubSource('hf:org/repo@abc:fp16')).toStrictEqual({ repo: 'org/repo', revision: 'abc', precision: 'fp16' });
    expect(parseHubSource('hf:org/repo:quantized')).toStrictEqual({ repo: 'org/repo', revision: 'main', precision: 'q8' });
    expect(() => parseHubSource('hf:org/repo@main:fp8')).toThrow(/hf:org\/repo@main:fp8: unknown precision "fp8" \(use fp32, fp16, q8/);
    expect(parseHubSource('hf:nope')).toBeNull();
  });
});

describe('pack installation', () => {
  it('installs from a folder, verifying every file', async () => {
    const packs = join(tempDir(), 'packs');
    const r = await installPack(TINY_PACK, { packsDir: packs });
    expect(r.path).toBe(join(packs, 'tiny-joint@1.0.0'));
    expect(r.manifest.id).toBe('tiny-joint');
  });

  it('installs from a zip (pack at the root or in one folder) and refuses zip-slip entries', async () => {
    const dir = tempDir();
    writeZip(join(dir, 'pack.zip'), folderFiles(TINY_PACK, 'tiny-joint/'));
    const r = await installPack(join(dir, 'pack.zip'), { packsDir: join(dir, 'packs') });
    expect(r.manifest.id).toBe('tiny-joint');
    writeZip(join(dir, 'evil.zip'), { '../../evil.txt': Buffer.from('x'), ...folderFiles(TINY_PACK) });
    await expect(installPack(join(dir, 'evil.zip'), { packsDir: join(dir, 'packs') })).rejects.toThrow(
      /points outside the pack|invalid relative path/,
    );
    writeFileSync(join(dir, 'junk.zip'), 'not a zip');
    await expect(installPack(join(dir, 'junk.zip'), { packsDir: join(dir, 'packs') })).rejects.toThrow(/junk.zip: not a readable zip file/);
  });

  it('installs a zip from an http(s) URL', async () => {
    const dir = tempDir();
    const zips = join(dir, 'zips');
    mkdirSync(zips);
    writeZip(join(zips, 'pack.zip'), folderFiles(TINY_PACK, 'tiny-joint/'));
    const hub = await startHub({ repos: { 'test/zips': zips } });
    try {
      const seen: string[] = [];
      const r = await installPack(`${hub.url}/test/zips/resolve/main/pack.zip`, {
        packsDir: join(dir, 'packs'),
        onProgress: (p) => seen.push(p.phase),
      });
      expect(r.manifest.id).toBe('tiny-joint');
      expect(seen).toEqual(expect.arrayContaining(['downloading', 'extracting', 'verifying', 'installing']));
      await expect(installPack(`${hub.url}/test/zips/resolve/main/missing.zip`, { packsDir: join(dir, 'packs') })).rejects.toThrow(
        /missing.zip: not found on the server \(HTTP 404\)/,
      );
    } finally {
      await hub.close();
    }
  });

  it('refuses a corrupt or incomplete folder and leaves nothing behind', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad');
    cpSync(TINY_PACK, bad, { recursive: true });
    const f = join(bad, 'head', 'head.onnx');
    const bytes = readFileSync(f);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(f, bytes);
    const packs = join(dir, 'packs');
    await expect(installPack(bad, { packsDir: packs })).rejects.toThrow(/file head\/head.onnx is corrupt \(sha256/);
    rmSync(f);
    await expect(installPack(bad, { packsDir: packs })).rejects.toThrow(/file head\/head.onnx is missing/);
    mkdirSync(join(dir, 'empty'));
    await expect(installPack(join(dir, 'empty'), { packsDir: packs })).rejects.toThrow(/manifest.json: not found/);
  });

  it('installs from a localhost hub with progress, resumes a cut download by Range, catches corruption, reports 404', async () => {
    const dir = tempDir();
    const good = join(dir, 'good');
    cpSync(TINY_PACK, good, { recursive: true });
    const corrupt = join(dir, 'corrupt');
    cpSync(TINY_PACK, corrupt, { recursive: true });
    const enc = join(corrupt, 'audio', 'encoder.onnx');
    const b = readFileSync(enc);
    b[100] = (b[100] as number) ^ 1;
    writeFileSync(enc, b);
    const hub = await startHub({ repos: { 'test/tiny': good, 'test/corrupt': corrupt }, cutAfterBytes: { 'audio/encoder.onnx': 50_000 } });
    try {
      const packs = join(dir, 'packs');
      const seen: number[] = [];
      // First attempt: the server cuts the encoder download after 50 kB.
      await expect(
        installPack('hf:test/tiny', { packsDir: packs, hubEndpoint: hub.url, onProgress: (p) => seen.push(p.receivedBytes) }),
      ).rejects.toThrow(/hf:test\/tiny: audio\/encoder.onnx: download interrupted after 50000 bytes/);
      // Second attempt resumes it with a Range request.
      const r = await installPack('hf:test/tiny@main', {
        packsDir: packs,
        hubEndpoint: hub.url,
        onProgress: (p) => seen.push(p.receivedBytes),
      });
      expect(r.manifest.id).toBe('tiny-joint');
      expect(hub.requests.some((q) => q.path.endsWith('audio/encoder.onnx') && q.range === 'bytes=50000-' && q.status === 206)).toBe(true);
      expect(seen.length).toBeGreaterThan(2);
      await expect(installPack('hf:test/corrupt', { packsDir: packs, hubEndpoint: hub.url })).rejects.toThrow(
        /audio\/encoder.onnx: corrupt download \(sha256/,
      );
      await expect(installPack('hf:test/nothing', { packsDir: packs, hubEndpoint: hub.url })).rejects.toThrow(
        /hf:test\/nothing: not found on the hub \(no repository test\/nothing with a revision "main"\)/,
      );
      await expect(installPack('hf:test/tiny', { packsDir: packs, hubEndpoint: hub.url, precision: 'q8' })).rejects.toThrow(
        /hf:test\/tiny: is a Moodshelf pack with its own files; a precision applies only to transformers.js CLAP repositories/,
      );
      await expect(installPack(TINY_PACK, { packsDir: packs, precision: 'q8' })).rejects.toThrow(/a precision applies only to hf: sources/);
    } finally {
      await hub.close();
    }
  });
});

describe('the active pack', () => {
  it('follows models-use at once and a switch made by another process on the same library', async () => {
    const dir = tempDir();
    const core = await createCore({ dataDir: join(dir, 'data'), threads: 1 });
    const other = openDatabase({ file: join(dir, 'data', 'moodshelf.db') });
    try {
      const joint = await core.run('models-install', { source: TINY_PACK });
      const clap = await core.run('models-install', { source: TINY_CLAP });
      expect(core.context.models.active().pack.key).toBe(joint.key);
      await core.invoke('models-use', { ref: clap.key });
      expect(core.context.models.active().manifest.kind).toBe('clap');
      // The CLI (another connection) switches back: the next request sees it without a restart.
      setActivePack(other, joint.key);
      expect(core.context.models.active()).toMatchObject({ pack: { key: joint.key }, manifest: { kind: 'joint' } });
      // And removes it: the service no longer answers with the removed pack.
      other.prepare('DELETE FROM model_packs WHERE key = ?').run(joint.key);
      expect(() => core.context.models.active()).toThrow(/No installed model pack/);
    } finally {
      other.close();
      await core.close();
    }
  });
});

describe('installs run as jobs', () => {
  it('a second models-install of the same pack while one runs joins its job (the double click): one download, one pack', async () => {
    const dir = tempDir();
    const hub = await startHub({ repos: { 'test/tiny': TINY_PACK } });
    const core = await createCore({ dataDir: join(dir, 'data'), threads: 1, hubEndpoint: hub.url });
    try {
      // The second spells the same pack differently: the job key is the normalised source.
      const [a, b] = await Promise.all([
        core.invoke('models-install', { source: 'hf:test/tiny' }),
        core.invoke('models-install', { source: 'hf:test/tiny@main' }),
      ]);
      expect(a).toMatchObject({ kind: 'models-install', joined: false });
      expect(b).toStrictEqual({ jobId: a.jobId, kind: 'models-install', joined: true });
      const [pa, pb] = await Promise.all([core.jobs.wait(a), core.jobs.wait(b)]);
      expect(pa.key).toBe(pb.key);
      expect(hub.requests.filter((q) => q.path.endsWith('audio/encoder.onnx') && q.range === null)).toHaveLength(1);
      expect(await core.invoke('models-list')).toHaveLength(1);
      expect(core.jobs.get(a.jobId)).toMatchObject({ state: 'done', key: 'hf:test/tiny@main:', result: { key: pa.key } });
      // Once finished, installing again is a new install (not a join of a settled one).
      const again = await core.invoke('models-install', { source: 'hf:test/tiny' });
      expect(again.jobId).not.toBe(a.jobId);
      expect((await core.jobs.wait(again)).key).toBe(pa.key);
    } finally {
      await core.close();
      await hub.close();
    }
  });

  it('returns a ticket at once; cancelling mid-download installs nothing and leaves the partial file for a resume', async () => {
    const dir = tempDir();
    const encoder = 'audio/encoder.onnx';
    const hub = await startHub({ repos: { 'test/tiny': TINY_PACK }, throttle: { files: [encoder], bytes: 4096, everyMs: 20 } });
    const core = await createCore({ dataDir: join(dir, 'data'), threads: 1, hubEndpoint: hub.url });
    try {
      const changed: unknown[] = [];
      core.events.on('models-changed', (e) => changed.push(e));
      const midway = new Promise<void>((reached) => {
        const off = core.events.on('model-install-progress', (p) => {
          if (p.file === encoder && p.receivedBytes >= 16_384) {
            off();
            reached();
          }
        });
      });
      const ticket = await core.invoke('models-install', { source: 'hf:test/tiny' });
      expect(ticket).toMatchObject({ kind: 'models-install', joined: false });
      expect(core.jobs.get(ticket.jobId)).toMatchObject({ state: 'running', cancellable: true, title: 'Installing hf:test/tiny' });
      await midway;
      const job = core.jobs.get(ticket.jobId);
      expect(job?.progress).toMatchObject({ message: `Downloading ${encoder}` });
      expect(job?.progress.done).toBeGreaterThan(0);
      expect(job?.progress.total).toBeGreaterThan(job?.progress.done ?? 0);

      expect(await core.invoke('jobs-cancel', { id: ticket.jobId })).toEqual({ cancelled: true });
      await expect(core.jobs.wait(ticket)).rejects.toMatchObject({ code: 'E_CANCELLED' });
      expect(core.jobs.get(ticket.jobId)?.state).toBe('cancelled');
      expect(await core.invoke('models-list')).toEqual([]);
      expect(changed).toEqual([]);
      const part = join(dir, 'data', 'packs', '.downloads', 'test--tiny@main', `${encoder}.part`);
      const kept = statSync(part).size;
      expect(kept).toBeGreaterThanOrEqual(16_384);
      expect(kept).toBeLessThan(statSync(join(TINY_PACK, encoder)).size);
      expect(readdirSync(join(dir, 'data', 'packs')).filter((f) => !f.startsWith('.'))).toEqual([]);

      // The next install resumes the partial file with a Range request.
      const pack = await core.run('models-install', { source: 'hf:test/tiny' });
      expect(pack).toMatchObject({ key: 'tiny-joint@1.0.0', active: true });
      expect(hub.requests.some((q) => q.path.endsWith(encoder) && q.range === `bytes=${kept}-` && q.status === 206)).toBe(true);
      expect(changed).toEqual([{ activePack: 'tiny-joint@1.0.0' }]);
    } finally {
      await core.close();
      await hub.close();
    }
  });

  it('checks its parameters at the boundary', async () => {
    const core = await createCore({ dataDir: join(tempDir(), 'data'), threads: 1 });
    try {
      await expect(core.invoke('models-install', { source: '' })).rejects.toThrow(/models-install: "source" must be a non-empty string/);
      await expect(core.invoke('models-install', { source: TINY_PACK, precision: 'fp8' })).rejects.toThrow(/unknown precision "fp8"/);
      await expect(core.invoke('models-use', { ref: 'nope', extra: 1 } as never)).rejects.toThrow(/"extra" is not a parameter it takes/);
      expect(core.jobs.list()).toEqual([]);
    } finally {
      await core.close();
    }
  });
});

describe('hub listing, install plans and the catalog', () => {
  const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  it('reads exact sizes and hashes from the tree API, following its pages; git blob ids match git', async () => {
    const repo = writeClapRepo(join(tempDir(), 'clap'));
    const hub = await startHub({ repos: { 'org/clap': repo }, treePageSize: 3 });
    try {
      const commit = await resolveRevision({ endpoint: hub.url }, 'org/clap', 'main');
      expect(commit).toBe(hub.commitOf('org/clap'));
      const files = await listRepoFiles({ endpoint: hub.url }, 'org/clap', commit);
      expect(hub.requests.filter((q) => q.path.startsWith('/api/models/org/clap/tree/')).length).toBeGreaterThan(3);
      expect([...files.keys()]).toContain('onnx/text_model_quantized.onnx');
      for (const [path, f] of files) {
        expect(f.size).toBe(statSync(join(repo, path)).size);
        if (path.endsWith('.onnx')) expect(f).toStrictEqual({ path, size: f.size, sha256: sha256(join(repo, path)) });
        else {
          // The blob id the hub lists is git's own: checked with git itself.
          const git = execFileSync('git', ['hash-object', join(repo, path)], { encoding: 'utf8' }).trim();
          expect(f).toStrictEqual({ path, size: f.size, gitSha1: git });
          expect(await gitBlobSha1(join(repo, path))).toBe(git);
        }
      }
    } finally {
      await hub.close();
    }
  });

  it('plans only the chosen precision: the towers, the configuration and the matching MiniLM, with the listed sizes', async () => {
    const dir = tempDir();
    const clap = writeClapRepo(join(dir, 'clap'));
    const mini = writeSentenceRepo(join(dir, 'mini'));
    const hub = await startHub({
      repos: { 'org/clap': clap, [DEFAULT_ALIGNMENT.repo]: { commits: { [DEFAULT_ALIGNMENT.revision]: mini } } },
    });
    try {
      for (const precision of ['q8', 'fp16', 'fp32'] as const) {
        const plan = await planClapInstall('hf:org/clap', { endpoint: hub.url, repo: 'org/clap', revision: 'main', precision });
        expect(plan.clap.files.map((f) => f.path)).toEqual(clapFiles(precision));
        expect(plan.alignment).toMatchObject({ commit: DEFAULT_ALIGNMENT.revision, precision });
        expect(plan.alignment.files.map((f) => f.path)).toEqual(sentenceFiles(precision));
        const onDisk = [
          ...clapFiles(precision).map((f) => statSync(join(clap, f)).size),
          ...sentenceFiles(precision).map((f) => statSync(join(mini, f)).size),
        ];
        expect(plan.totalBytes).toBe(onDisk.reduce((a, b) => a + b, 0));
      }
      expect(clapFiles('q8')).toEqual([
        'config.json',
        'preprocessor_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'onnx/audio_model_quantized.onnx',
        'onnx/text_model_quantized.onnx',
      ]);
      await expect(
        planClapInstall('hf:org/clap', { endpoint: hub.url, repo: 'org/clap', revision: 'main', precision: 'q4' }),
      ).rejects.toThrow(
        /hf:org\/clap: onnx\/audio_model_q4.onnx is not in commit [0-9a-f]{12} of the repository; it offers fp32, fp16, q8/,
      );
      await expect(
        planClapInstall('hf:org/clap', {
          endpoint: hub.url,
          repo: 'org/clap',
          revision: 'main',
          precision: 'q8',
          alignment: { repo: DEFAULT_ALIGNMENT.repo, revision: 'main' },
        }),
      ).rejects.toThrow(/not found on the hub \(no repository Xenova\/all-MiniLM-L6-v2 with a revision "main"\)/);
    } finally {
      await hub.close();
    }
  });

  it('recommends the music CLAP, pinned, in a small precision, with fp32 offered and exact per-file sources', () => {
    const entries = catalogEntries();
    const rec = entries.find((e) => e.default);
    expect(entries.filter((e) => e.default)).toHaveLength(1);
    expect(rec).toMatchObject({
      repo: 'Xenova/larger_clap_music_and_speech',
      revision: 'e9fd5ac1dbf3280936a7fc3ec8a020453ff184db',
      kind: 'clap',
      precision: 'q8',
      source: 'hf:Xenova/larger_clap_music_and_speech@e9fd5ac1dbf3280936a7fc3ec8a020453ff184db:q8',
      alignment: DEFAULT_ALIGNMENT,
      installed: false,
    });
    expect(rec?.sizeBytes).toBeGreaterThan(200e6);
    expect(rec?.sizeBytes).toBeLessThan(400e6);
    expect(rec?.variants.map((v) => v.precision)).toEqual(['q8', 'fp16', 'fp32']);
    expect(rec?.variants.find((v) => v.precision === 'fp32')?.sizeBytes).toBeGreaterThan(800e6);
    for (const e of entries) {
      expect(e.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(e.alignment).toStrictEqual(DEFAULT_ALIGNMENT);
      for (const v of e.variants) {
        // The catalog lists exactly what the installer downloads for that precision, from the pinned commits.
        expect(v.files.filter((f) => f.folder === 'clap').map((f) => f.path)).toEqual(clapFiles(v.precision));
        expect(v.files.filter((f) => f.folder === 'alignment-encoder').map((f) => f.path)).toEqual(sentenceFiles(v.precision));
        for (const f of v.files) expect(f.revision).toBe(f.folder === 'clap' ? e.revision : DEFAULT_ALIGNMENT.revision);
        expect(v.sizeBytes).toBe(v.files.reduce((s, f) => s + f.size, 0));
        expect(v.sizeIsEstimate).toBe(true);
        expect(parseHubSource(v.source)).toStrictEqual({ repo: e.repo, revision: e.revision, precision: v.precision });
        expect(PRECISIONS).toContain(v.precision);
      }
    }
    const fp16 = rec?.variants.find((v) => v.precision === 'fp16');
    const marked = catalogEntries(new Set([fp16?.source ?? '']));
    expect(marked.find((e) => e.default)).toMatchObject({ installed: true });
    expect(marked.find((e) => e.default)?.variants.map((v) => v.installed)).toEqual([false, true, false]);
  });
});
