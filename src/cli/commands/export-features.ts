import { resolve } from 'node:path';
import { type Command, output, positional } from '../context.js';
import { count } from '../format.js';

/** `export-features <out>`: features of analysed segments plus accepted tags, for the training pipeline. */
export const exportFeatures: Command = async (c) => {
  const outDir = resolve(positional(c.args, 1, 'output folder'));
  const r = await c.core.run('analysis-export-features', { outDir });
  return output(c, r, () =>
    [
      `Wrote ${count(r.segments, 'segment')} of ${count(r.tracks, 'track')} (${r.packKey}) to ${r.outDir}: features.npy [${r.shape.join(', ')}], segments.json, labels.json`,
      ...r.skipped.map((s) => `  skipped track ${s.trackId}: ${s.reason}`),
    ].join('\n'),
  );
};
