import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed tiny joint pack (made by `python -m moodshelf_train make-tiny-packs`). */
export const TINY_PACK = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'packs', 'tiny-joint');

/** Reference outputs the pack generator computed with PyTorch/ONNX Runtime/sentence-transformers. */
export interface PackReference {
  tolerance: number;
  waveform: { sampleRate: number; samples: number; first: number[] };
  normalizedInput: { first: number[]; last: number[] };
  features: { layers: number[]; values: number[] };
  embedding: { raw: number[]; normalized: number[] };
  labels: Record<string, { inputIds: number[]; embedding: number[]; cosine: number }>;
  vocabularies: Record<string, { cosines: number[]; topK: number; topIndices: number[]; topLabels: string[] }>;
}

/** Loads tests/fixtures/packs/reference.json. */
export function packReference(): PackReference {
  return JSON.parse(readFileSync(join(TINY_PACK, '..', 'reference.json'), 'utf8')) as PackReference;
}

/** The reference waveform (formula in reference.json). */
export function referenceWaveform(rate: number, samples: number): Float32Array {
  const w = new Float32Array(samples);
  for (let n = 0; n < samples; n++) {
    const t = n / rate;
    w[n] = 0.5 * Math.sin(2 * Math.PI * 220 * t) + 0.25 * Math.sin(2 * Math.PI * 554.37 * t + 0.3) + 0.1 * Math.sin(2 * Math.PI * 3 * t);
  }
  return w;
}
