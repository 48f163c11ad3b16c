import { resolve } from 'node:path';
import { type Command, output, positional } from '../context.js';
import { count } from '../format.js';

/** True when `--force` was given (the option is declared with the CLI's options; read defensively until then). */
function forced(values: object): boolean {
  return 'force' in values && values.force === true;
}

/**
 * `export-features <out> [--force]`: features of analysed segments plus accepted tags, for the training
 * pipeline. An existing export in the folder is replaced only with --force.
 */
export const exportFeatures: Command = async (c) => {
  const target = resolve(positional(c.args, 1, 'output folder'));
  const r = await c.core.run('analysis-export-features', { target, overwrite: forced(c.args.values) });
  return output(c, r, () =>
    [
      `Wrote ${count(r.segments, 'segment')} of ${count(r.tracks, 'track')} (${r.packKey}) to ${r.outDir}: features.npy [${r.shape.join(', ')}], segments.json, labels.json`,
      ...r.skipped.map((s) => `  skipped track ${s.trackId}: ${s.reason}`),
    ].join('\n'),
  );
};
