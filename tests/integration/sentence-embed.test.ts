import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelRuntime } from '../../src/core/model/runtime.js';
import { embedSentences } from '../../src/core/model/sentence-embed.js';
import { TINY_PACK } from '../support/packs.js';

const runtime = new ModelRuntime({ threads: 1 });
afterAll(() => runtime.dispose());

describe('sentence embeddings pooled outside the pipeline', () => {
  // Texts of different lengths: the batch is padded, and mean pooling must skip the padding.
  const texts = ['calm', 'a melancholic rainy drive through the night', 'x', 'bright summer party with friends'];

  it('equal what the feature-extraction pipeline gives, bit for bit, for every pooling and normalisation', async () => {
    const extractor = await runtime.textPipeline(join(TINY_PACK, 'label-encoder'));
    for (const pooling of ['mean', 'cls'] as const) {
      for (const normalize of [true, false]) {
        const want = await extractor(texts, { pooling, normalize });
        const got = await embedSentences(extractor, texts, { pooling, normalize });
        expect(got.dims).toEqual(want.dims);
        expect(new Uint32Array(got.data.buffer)).toEqual(new Uint32Array((want.data as Float32Array).slice().buffer));
        // One text alone gives its row of the batch (padding changes nothing).
        const one = await embedSentences(extractor, [texts[1] as string], { pooling, normalize });
        const hidden = got.dims[1] as number;
        const row = got.data.subarray(hidden, 2 * hidden);
        for (let k = 0; k < row.length; k++) expect(one.data[k]).toBeCloseTo(row[k] as number, 5);
      }
    }
  });
});
