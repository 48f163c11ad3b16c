import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function ruleIds(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('lint enforces the architecture', () => {
  it('keeps electron and hosts out of src/core', async () => {
    expect(await ruleIds('src/core/library/formats.ts', "import { app } from 'electron';\nexport const x = app;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await ruleIds('src/core/library/formats.ts', "import { x } from '../../main/index.js';\nexport const y = x;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('lets the renderer import only types from src/core', async () => {
    const file = 'src/renderer/src/lib/bridge.ts';
    expect(await ruleIds(file, "import { listTracks } from '../../../core/tracks/queries.js';\nexport const f = listTracks;\n")).toContain(
      '@typescript-eslint/no-restricted-imports',
    );
    expect(await ruleIds(file, "import type { Track } from '../../../core/tracks/queries.js';\nexport type T = Track;\n")).not.toContain(
      '@typescript-eslint/no-restricted-imports',
    );
  });

  it('keeps src/core layered: no import cycle, the kernel imports no domain, no domain imports the composition root', async () => {
    // kernel/jobs.ts imports kernel/errors.ts, so errors.ts importing jobs.ts closes a cycle.
    expect(await ruleIds('src/core/kernel/errors.ts', "import { createJobs } from './jobs.js';\nexport const f = createJobs;\n")).toContain(
      'import-x/no-cycle',
    );
    expect(
      await ruleIds('src/core/kernel/errors.ts', "import { listFolders } from '../library/store.js';\nexport const f = listFolders;\n"),
    ).toContain('no-restricted-imports');
    for (const root of ['../compose.js', '../index.js', '../contract.js']) {
      expect(await ruleIds('src/core/playlists/rule.ts', `import type { Core } from '${root}';\nexport type C = Core;\n`)).toContain(
        'no-restricted-imports',
      );
    }
    expect(
      await ruleIds('src/core/playlists/rule.ts', "import { UserError } from '../kernel/errors.js';\nexport const E = UserError;\n"),
    ).toEqual([]);
  });

  it('forbids console and floating promises', async () => {
    const ids = await ruleIds('src/core/library/formats.ts', 'console.log(1);\nasync function f() {}\nf();\n');
    expect(ids).toEqual(expect.arrayContaining(['no-console', '@typescript-eslint/no-floating-promises']));
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('file naming', () => {
  it('uses kebab-case for .ts and PascalCase for .svelte under src/', () => {
    for (const f of walk(join(ROOT, 'src'))) {
      const name = basename(f);
      if (name.endsWith('.svelte')) expect(name, f).toMatch(/^[A-Z][A-Za-z0-9]*\.svelte$/);
      else if (name.endsWith('.ts')) expect(name, f).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*(\.d)?(\.svelte)?\.ts$/);
    }
  });
});
