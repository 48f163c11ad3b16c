import { join } from 'node:path';
import { createCore, type Core } from '../../src/core/index.js';
import { generateLibrary, type GeneratedLibrary } from './library-gen.js';
import { TINY_PACK } from './packs.js';

/** A core over a generated library of `count` good files, scanned and analysed with the tiny pack. */
export async function analysedLibrary(
  root: string,
  count: number,
  libDir = join(root, 'lib'),
): Promise<{ core: Core; lib: GeneratedLibrary }> {
  const lib = generateLibrary(libDir, count, 0);
  const core = await createCore({ dataDir: join(root, 'data'), threads: 1 });
  try {
    await core.invoke('library-add', { path: lib.root });
    await core.run('library-scan');
    await core.run('models-install', { source: TINY_PACK });
    await core.invoke('analysis-start', {});
    await core.run('analysis-wait');
    return { core, lib };
  } catch (err) {
    await core.close();
    throw err;
  }
}
