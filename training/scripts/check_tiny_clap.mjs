// Loads tests/fixtures/packs/tiny-clap with @huggingface/transformers (JS) exactly as the app would
// (ClapAudioModelWithProjection, ClapTextModelWithProjection, AutoProcessor, AutoTokenizer) and compares with
// tests/fixtures/packs/reference-clap.json (written by Python). Prints one JSON line; exit 1 on mismatch.
// Usage (repo root, after npm install): node training/scripts/check_tiny_clap.mjs [packDir] [reference.json]
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pack = resolve(process.argv[2] ?? `${repo}/tests/fixtures/packs/tiny-clap`);
const ref = JSON.parse(readFileSync(process.argv[3] ?? `${repo}/tests/fixtures/packs/reference-clap.json`, 'utf8'));
const hf = await import(`${repo}/node_modules/@huggingface/transformers/dist/transformers.node.mjs`);
const { env, ClapAudioModelWithProjection, ClapTextModelWithProjection, AutoProcessor, AutoTokenizer } = hf;

const manifest = JSON.parse(readFileSync(`${pack}/manifest.json`, 'utf8'));
const folder = manifest.labelEncoder.path; // "clap"
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${pack}/`; // transformers.js resolves model ids under localModelPath
const opts = { dtype: 'fp32', local_files_only: true };
const processor = await AutoProcessor.from_pretrained(folder, opts);
const tokenizer = await AutoTokenizer.from_pretrained(folder, opts);
const audioModel = await ClapAudioModelWithProjection.from_pretrained(folder, opts); // onnx/audio_model.onnx
const textModel = await ClapTextModelWithProjection.from_pretrained(folder, opts); // onnx/text_model.onnx

const sr = ref.waveform.sampleRate;
const w = new Float32Array(ref.waveform.samples);
for (let i = 0; i < w.length; i++) {
  const t = i / sr;
  w[i] = 0.5 * Math.sin(2 * Math.PI * 220 * t) + 0.25 * Math.sin(2 * Math.PI * 554.37 * t + 0.3) + 0.1 * Math.sin(2 * Math.PI * 3 * t);
}
const inputs = await processor(w);
const f = inputs.input_features;
const F = f.dims[3];
const T = f.dims[2];
let featDiff = 0;
for (const [row, key] of [[0, 'first8'], [500, 'frame500First8'], [T - 1, 'lastFrameFirst8']]) {
  for (let j = 0; j < 8; j++) featDiff = Math.max(featDiff, Math.abs(f.data[row * F + j] - ref.inputFeatures[key][j]));
}
const norm = (v) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const { audio_embeds } = await audioModel(inputs);
const a = norm(Array.from(audio_embeds.data));
let audioDiff = 0;
a.forEach((v, i) => { audioDiff = Math.max(audioDiff, Math.abs(v - ref.audioEmbeds.normalized[i])); });
let textDiff = 0;
let cosDiff = 0;
let idsEqual = true;
for (const [text, r] of Object.entries(ref.texts)) {
  const tin = tokenizer(text);
  idsEqual &&= JSON.stringify(Array.from(tin.input_ids.data, Number)) === JSON.stringify(r.inputIds);
  const { text_embeds } = await textModel(tin);
  const e = norm(Array.from(text_embeds.data));
  e.forEach((v, i) => { textDiff = Math.max(textDiff, Math.abs(v - r.normalized[i])); });
  cosDiff = Math.max(cosDiff, Math.abs(e.reduce((s, v, i) => s + v * a[i], 0) - r.cosine));
}
const tol = ref.tolerance;
const ok = idsEqual && JSON.stringify(f.dims) === JSON.stringify(ref.inputFeatures.shape) && featDiff <= tol &&
  audioDiff <= tol && textDiff <= tol && cosDiff <= tol;
console.log(JSON.stringify({ ok, featureDims: f.dims, featDiff, audioDiff, textDiff, cosDiff, idsEqual }));
process.exit(ok ? 0 : 1);
