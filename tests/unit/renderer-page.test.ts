import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppUrl } from '../../src/main/app-url.js';
import { NONCE_PLACEHOLDER, pageHeaders, renderPage, rendererContentType, rendererFile } from '../../src/main/renderer-page.js';
import { parseExportFolderRequest, parseSaveFileRequest } from '../../src/main/shell-requests.js';

/** The source index.html (the build copies its head verbatim). */
const TEMPLATE = readFileSync(resolve(import.meta.dirname, '..', '..', 'src', 'renderer', 'index.html'), 'utf8');

/** The CSP of a page's <meta>. */
function metaCsp(html: string): string {
  return /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1] ?? '';
}

describe('renderer page (per-load CSP nonce)', () => {
  it('gives two loads two different nonces', () => {
    const a = renderPage(TEMPLATE);
    const b = renderPage(TEMPLATE);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
  });

  it('puts exactly that nonce in the CSP (meta and header) and in the csp-nonce meta, without unsafe-inline', () => {
    const page = renderPage(TEMPLATE);
    expect(page.html).not.toContain(NONCE_PLACEHOLDER);
    expect(metaCsp(page.html)).toBe(page.csp);
    expect(pageHeaders(page)['Content-Security-Policy']).toBe(page.csp);
    expect(page.csp.match(/'nonce-[^']*'/g)).toEqual([`'nonce-${page.nonce}'`]);
    expect(page.csp).toMatch(new RegExp(`style-src 'self' 'nonce-${page.nonce.replace(/[+/]/g, '\\$&')}'`));
    expect(page.csp).not.toContain('unsafe-inline');
    expect(page.csp).not.toContain('unsafe-eval');
    expect(page.html).toContain(`<meta property="csp-nonce" nonce="${page.nonce}" />`);
  });

  it('refuses a template without the placeholder or the meta tags, and a nonce that is not base64', () => {
    expect(() => renderPage(TEMPLATE.replace(`'nonce-${NONCE_PLACEHOLDER}'`, "'nonce-fixed'"))).toThrow(/no 'nonce-/);
    expect(() => renderPage(TEMPLATE.replace(/<meta\s+property="csp-nonce"[^>]*>/, ''))).toThrow(/csp-nonce/);
    expect(() => renderPage('<html></html>')).toThrow(/Content-Security-Policy/);
    expect(() => renderPage(TEMPLATE, `x' 'unsafe-inline`)).toThrow(/base64/);
  });

  it('serves only files inside the renderer folder', () => {
    const dir = resolve('/srv/out/renderer');
    expect(rendererFile(dir, '/')).toEqual({ kind: 'page' });
    expect(rendererFile(dir, '/index.html')).toEqual({ kind: 'page' });
    expect(rendererFile(dir, '/assets/index-1.js')).toEqual({ kind: 'file', path: join(dir, 'assets', 'index-1.js') });
    for (const bad of ['/../main/index.js', '/assets/../../x', '/%2e%2e/secret', '/a%5c..%5c..%5cx', '/%00', '/%E0%A4%A', 'assets/x.js'])
      expect(rendererFile(dir, bad)).toEqual({ kind: 'none' });
    expect(rendererContentType('/a/b.JS')).toBe('text/javascript; charset=utf-8');
    expect(rendererContentType('/a/b.css')).toBe('text/css; charset=utf-8');
    expect(rendererContentType('/a/b.bin')).toBe('application/octet-stream');
  });
});

describe('isAppUrl', () => {
  it('accepts the app protocol page by scheme and host only', () => {
    const app = 'moodshelf-app://app/';
    expect(isAppUrl('moodshelf-app://app/', app)).toBe(true);
    expect(isAppUrl('moodshelf-app://app/index.html?x=1#y', app)).toBe(true);
    expect(isAppUrl('moodshelf-app://evil/', app)).toBe(false);
    expect(isAppUrl('moodshelf-media://app/', app)).toBe(false);
    // Node gives every custom-scheme URL the origin "null": an origin check would accept these.
    expect(isAppUrl('evil://app/', app)).toBe(false);
    expect(isAppUrl('data:text/html,hi', app)).toBe(false);
    expect(isAppUrl('moodshelf-app://user:pw@app/', app)).toBe(false);
    expect(isAppUrl('not a url', app)).toBe(false);
  });

  it('accepts the dev server by origin and a file page by its exact path', () => {
    expect(isAppUrl('http://localhost:5173/x', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('https://localhost:5173/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('file:///app/out/renderer/index.html?x', 'file:///app/out/renderer/index.html')).toBe(true);
    expect(isAppUrl('file:///tmp/evil.html', 'file:///app/out/renderer/index.html')).toBe(false);
  });
});

describe('shell dialog requests', () => {
  it('accepts a title, a bare file name and simple filters, copied', () => {
    const raw = {
      title: 'Export playlist',
      defaultName: 'Calm evening.m3u8',
      filters: [{ name: 'Playlists', extensions: ['m3u8', 'm3u'] }],
      extra: 1,
    };
    expect(parseSaveFileRequest(raw)).toEqual({
      title: 'Export playlist',
      defaultName: 'Calm evening.m3u8',
      filters: [{ name: 'Playlists', extensions: ['m3u8', 'm3u'] }],
    });
    expect(parseSaveFileRequest({ defaultName: 'features.csv' })).toEqual({ defaultName: 'features.csv' });
    expect(parseExportFolderRequest({ title: 'Export features' })).toEqual({ title: 'Export features' });
    expect(parseExportFolderRequest({})).toEqual({});
    expect(parseExportFolderRequest(undefined)).toEqual({});
  });

  it('refuses names that steer where the file goes, and anything malformed', () => {
    for (const defaultName of ['../x.m3u8', '/etc/passwd', 'a/b.csv', 'a\\b.csv', 'C:x', '.bashrc', '', '   ', 'x'.repeat(300), 3])
      expect(parseSaveFileRequest({ defaultName })).toBeNull();
    expect(parseSaveFileRequest({ defaultName: 'a.csv', title: 'two\nlines' })).toBeNull();
    expect(parseSaveFileRequest({ defaultName: 'a.csv', filters: [{ name: 'x', extensions: ['*'] }] })).toBeNull();
    expect(parseSaveFileRequest({ defaultName: 'a.csv', filters: [{ extensions: ['csv'] }] })).toBeNull();
    expect(parseSaveFileRequest({ defaultName: 'a.csv', filters: 'csv' })).toBeNull();
    expect(parseSaveFileRequest(null)).toBeNull();
    expect(parseExportFolderRequest({ title: 5 })).toBeNull();
    expect(parseExportFolderRequest('x')).toBeNull();
  });
});
