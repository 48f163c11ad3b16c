import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/index.js';
import type { InvokeReply } from '../../src/core/contract.js';
import { isJobTicket } from '../../src/core/kernel/jobs.js';
import { createWriteGrants, isInside } from '../../src/core/kernel/write-grants.js';
import { writeFileAtomic } from '../../src/core/playlists/export.js';
import { analysedLibrary } from '../support/analysed-library.js';
import { useTempDirs } from '../support/temp.js';

const tempDir = useTempDirs();

/** What the page would send for an export to `target`. */
function exportArgs(target: string, extra: Record<string, unknown> = {}): unknown[] {
  return [{ rule: { sort: { by: 'path' } }, format: 'm3u8', target, ...extra }];
}

/** Exports as the page does (invokeUntrusted) and, when the request is accepted, waits for its job. */
async function pageExport(core: Core, target: string, extra: Record<string, unknown> = {}): Promise<InvokeReply> {
  const reply = await core.invokeUntrusted('playlists-export', exportArgs(target, extra));
  if (!reply.ok || !isJobTicket(reply.value)) return reply;
  try {
    return { ok: true, value: await core.jobs.wait(reply.value) };
  } catch (err) {
    const e = err as { message: string; code?: string };
    return { ok: false, error: { message: e.message, code: e.code ?? 'E_INTERNAL' } };
  }
}

describe('write grants (kernel)', () => {
  it('hands out opaque tokens for absolute paths only, and resolves them to what the user chose', () => {
    const grants = createWriteGrants();
    expect(() => grants.grant('relative/list.m3u8', 'file', false)).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    const file = grants.grant('/music/lists/../lists/a.m3u8', 'file', false);
    expect(file).toMatchObject({ path: '/music/lists/a.m3u8', kind: 'file', overwrite: false });
    expect(file.token).toMatch(/^grant:[0-9a-f]{32}$/);
    expect(file.token).not.toContain('music');
    const again = grants.grant('/music/lists/a.m3u8', 'file', true);
    expect(again.token).not.toBe(file.token);

    // A page request (untrusted) gets exactly the grant: its path and its overwrite, whatever it asks for.
    expect(grants.untrusted(() => grants.target('h', file.token, 'file', true))).toEqual({ path: '/music/lists/a.m3u8', overwrite: false });
    expect(grants.untrusted(() => grants.target('h', again.token, 'file'))).toEqual({ path: '/music/lists/a.m3u8', overwrite: true });
    // A trusted caller may use a grant too, and also plain paths (resolved) with the overwrite it asks for.
    expect(grants.target('h', file.token, 'file', true)).toEqual({ path: '/music/lists/a.m3u8', overwrite: false });
    expect(grants.target('h', '/tmp/x.m3u8', 'file')).toEqual({ path: '/tmp/x.m3u8', overwrite: false });
    expect(grants.target('h', '/tmp/x.m3u8', 'file', true)).toEqual({ path: '/tmp/x.m3u8', overwrite: true });
    expect(grants.target('h', 'x.m3u8', 'file')).toEqual({ path: resolve('x.m3u8'), overwrite: false });
  });

  it('refuses a page plain paths, unknown or forged tokens and the wrong kind, naming the handler', () => {
    const grants = createWriteGrants();
    const folder = grants.grant('/exports', 'folder', false);
    const page =
      (requested: string, kind: 'file' | 'folder' = 'file') =>
      () =>
        grants.untrusted(() => grants.target('playlists-export', requested, kind));
    const forbidden = (message: RegExp) => expect.objectContaining({ code: 'E_FORBIDDEN', message: expect.stringMatching(message) });
    expect(page('/home/me/.bashrc')).toThrow(forbidden(/^playlists-export: the app writes only where you chose/));
    expect(page('grant:0123456789abcdef0123456789abcdef')).toThrow(forbidden(/no longer valid; choose it again/));
    expect(page('grant:../../etc/passwd')).toThrow(forbidden(/was not chosen there/));
    expect(page(` ${folder.token}`)).toThrow(forbidden(/was not chosen there/));
    expect(page(folder.token)).toThrow(forbidden(/needs a file to write, but a folder was chosen \(\/exports\)/));
    expect(grants.untrusted(() => grants.target('h', folder.token, 'folder'))).toEqual({ path: '/exports', overwrite: false });
    // Another core's grant means nothing here.
    const other = createWriteGrants().grant('/elsewhere/a.m3u8', 'file', true);
    expect(page(other.token)).toThrow(forbidden(/no longer valid/));
  });

  it('keeps a request untrusted across awaits, and only inside untrusted()', async () => {
    const grants = createWriteGrants();
    const later = grants.untrusted(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return grants.target('h', '/tmp/a', 'file');
    });
    await expect(later).rejects.toMatchObject({ code: 'E_FORBIDDEN' });
    expect(grants.untrusted(() => 42)).toBe(42);
    expect(grants.target('h', '/tmp/a', 'file')).toEqual({ path: '/tmp/a', overwrite: false });
  });

  it('tells whether a path is inside a granted folder', () => {
    expect(isInside('/exports', '/exports')).toBe(true);
    expect(isInside('/exports', '/exports/a/b.csv')).toBe(true);
    expect(isInside('/exports', '/exports/../etc/passwd')).toBe(false);
    expect(isInside('/exports', '/exports-other/a')).toBe(false);
    expect(isInside('/exports/', '/exports/a')).toBe(true);
  });
});

describe('the renderer API cannot write a file outside what the user chose', () => {
  it('through the page: refuses paths, forged and folder grants; writes the granted file only; replaces only when agreed', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 2);
    try {
      const out = join(root, 'out');
      mkdirSync(out);
      const a = join(out, 'a.m3u8');
      const b = join(out, 'b.m3u8');

      // A plain path from the page is refused, whatever else it says, and nothing is written.
      for (const extra of [{}, { overwrite: true }]) {
        expect(await core.invokeUntrusted('playlists-export', exportArgs(b, extra))).toEqual({
          ok: false,
          error: {
            message: `playlists-export: the app writes only where you chose in a Save or folder dialog; "${b}" was not chosen there`,
            code: 'E_FORBIDDEN',
          },
        });
      }
      // Forged, unknown and malformed tokens, and a folder grant for a file export, are refused too.
      const folder = core.grantWrite(out, 'folder', true).token;
      for (const token of ['grant:00000000000000000000000000000000', 'grant:x', `${folder}0`, folder]) {
        expect(await core.invokeUntrusted('playlists-export', exportArgs(token)), token).toMatchObject({
          ok: false,
          error: { code: 'E_FORBIDDEN' },
        });
      }
      expect(readdirSync(out)).toEqual([]);

      // A grant for A writes A, and only A.
      const grantA = core.grantWrite(a, 'file', false).token;
      const written = await pageExport(core, grantA);
      expect(written).toEqual({ ok: true, value: { path: a, format: 'm3u8', tracks: 2 } });
      expect(readdirSync(out)).toEqual(['a.m3u8']);
      expect(readFileSync(a, 'utf8').startsWith('#EXTM3U\n')).toBe(true);

      // A exists now: the same grant (no agreement to replace) is refused, even if the page asks to overwrite.
      writeFileSync(a, 'mine\n');
      for (const extra of [{}, { overwrite: true }]) {
        expect(await pageExport(core, grantA, extra)).toEqual({
          ok: false,
          error: {
            message: `Not replacing ${a}: it already exists. To replace it, agree to that in the Save dialog, or add --force on the command line`,
            code: 'E_EXISTS',
          },
        });
      }
      expect(readFileSync(a, 'utf8')).toBe('mine\n');
      // The Save dialog asked and the user agreed: replaced.
      const replace = core.grantWrite(a, 'file', true).token;
      expect(await pageExport(core, replace)).toMatchObject({ ok: true, value: { path: a } });
      expect(readFileSync(a, 'utf8').startsWith('#EXTM3U\n')).toBe(true);
      expect(readdirSync(out)).toEqual(['a.m3u8']);
      expect(existsSync(b)).toBe(false);
    } finally {
      await core.close();
    }
  });

  it('the CLI path (a trusted caller with a path) writes, and replaces only with overwrite', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 2);
    try {
      const file = join(root, 'cli.m3u8');
      const args = { rule: {}, format: 'm3u8', target: file } as const;
      expect(await core.run('playlists-export', args)).toEqual({ path: file, format: 'm3u8', tracks: 2 });
      writeFileSync(file, 'mine\n');
      await expect(core.run('playlists-export', args)).rejects.toMatchObject({
        code: 'E_EXISTS',
        message: expect.stringContaining(`Not replacing ${file}: it already exists`),
      });
      await expect(core.run('playlists-export', { ...args, overwrite: false })).rejects.toMatchObject({ code: 'E_EXISTS' });
      expect(readFileSync(file, 'utf8')).toBe('mine\n');
      expect(await core.run('playlists-export', { ...args, overwrite: true })).toMatchObject({ path: file, tracks: 2 });
      expect(readFileSync(file, 'utf8').startsWith('#EXTM3U\n')).toBe(true);
      // A folder is never a playlist file, replace or not.
      await expect(core.run('playlists-export', { ...args, target: root, overwrite: true })).rejects.toMatchObject({
        code: 'E_WRITE',
        message: `Cannot write playlist ${root}: it is a folder`,
      });
      expect(readdirSync(root).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    } finally {
      await core.close();
    }
  });

  it('the final step never replaces a file that appeared after the early check, unless replacing was agreed', () => {
    const root = tempDir();
    const file = join(root, 'late.m3u8');
    writeFileAtomic(file, 'first\n', false);
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expect(() => writeFileAtomic(file, 'second\n', false)).toThrow(expect.objectContaining({ code: 'E_EXISTS' }));
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    writeFileAtomic(file, 'third\n', true);
    expect(readFileSync(file, 'utf8')).toBe('third\n');
    expect(readdirSync(root)).toEqual(['late.m3u8']);
  });

  it('an export is a job: the same export joins the running one, and the job lists where it wrote', async () => {
    const root = tempDir();
    const { core } = await analysedLibrary(root, 2);
    try {
      const file = join(root, 'job.m3u8');
      const args = { rule: {}, format: 'm3u8', target: file } as const;
      // Both requests arrive before the first job can finish (a double click).
      const [first, second] = await Promise.all([core.invoke('playlists-export', args), core.invoke('playlists-export', args)]);
      expect(first).toMatchObject({ kind: 'playlists-export', joined: false });
      expect(second).toEqual({ ...first, joined: true });
      expect(await core.jobs.wait(first)).toEqual({ path: file, format: 'm3u8', tracks: 2 });
      expect(core.jobs.get(first.jobId)).toMatchObject({
        state: 'done',
        progress: { done: 1, total: 1 },
        key: expect.stringContaining(file),
      });
    } finally {
      await core.close();
    }
  });
});
