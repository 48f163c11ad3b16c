/**
 * renderer-page: turns the built index.html into the page one load gets. The page's Content Security
 * Policy allows inline styles only with a nonce (a style injected at run time, such as a shadow root's own
 * <style>, must carry it); a nonce baked into the build would be the same for every user and every load, so
 * it would prove nothing. Each load therefore gets a fresh random nonce, written into the CSP (the
 * <meta> and the response header) and into `<meta property="csp-nonce" nonce="…">`, where the renderer
 * reads it (`document.querySelector('meta[property="csp-nonce"]').nonce`).
 *
 * Host-independent (no Electron import): the desktop shell's `moodshelf-app:` protocol and the e2e test
 * server both serve index.html through {@link renderPage}, so the e2e suite exercises the real thing.
 */
import { randomBytes } from 'node:crypto';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';

/** What index.html holds in place of the nonce until a load fills it in. */
export const NONCE_PLACEHOLDER = '__MOODSHELF_CSP_NONCE__';

/** One load's page. */
export interface RendererPage {
  /** index.html with this load's nonce. */
  html: string;
  /** The page's Content-Security-Policy (as in its <meta>), to send as a response header too. */
  csp: string;
  nonce: string;
}

const CSP_META = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/i;
const NONCE_META = /<meta\s+property="csp-nonce"\s+nonce="([^"]*)"\s*\/?>/i;

/** A fresh nonce: 144 random bits, base64 (what CSP's nonce-source grammar allows). */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

/**
 * Fills `template` (the built index.html) with `nonce` (fresh by default). Throws when the template
 * lacks the CSP <meta>, the csp-nonce <meta> or the placeholder in the CSP, so a build that lost them
 * fails loudly instead of serving a page whose waveform silently breaks.
 */
export function renderPage(template: string, nonce: string = newNonce()): RendererPage {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(nonce)) throw new Error('A CSP nonce must be base64');
  const csp = CSP_META.exec(template)?.[1];
  if (csp === undefined) throw new Error('index.html has no Content-Security-Policy <meta>');
  if (!csp.includes(`'nonce-${NONCE_PLACEHOLDER}'`)) throw new Error(`index.html's CSP has no 'nonce-${NONCE_PLACEHOLDER}'`);
  if (NONCE_META.exec(template)?.[1] !== NONCE_PLACEHOLDER) throw new Error('index.html has no <meta property="csp-nonce">');
  return { html: template.replaceAll(NONCE_PLACEHOLDER, nonce), csp: csp.replaceAll(NONCE_PLACEHOLDER, nonce), nonce };
}

/** The headers index.html is served with: its CSP (also enforced from the header), and never cached. */
export function pageHeaders(page: RendererPage): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': page.csp,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** The Content-Type of a built renderer file (module scripts need a JavaScript type to run). */
export function rendererContentType(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** What a request path names inside the built renderer. */
export type RendererFile = { kind: 'page' } | { kind: 'file'; path: string } | { kind: 'none' };

/**
 * Maps a URL path (`/`, `/index.html`, `/assets/x.js`) to the page or to a file inside `rendererDir`;
 * anything that would leave the folder (`..`, encoded slashes, absolute paths, NUL) names nothing, so
 * only the build's own files are ever served.
 */
export function rendererFile(rendererDir: string, urlPath: string): RendererFile {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return { kind: 'none' };
  }
  if (rel === '/' || rel === '' || rel === '/index.html') return { kind: 'page' };
  if (!rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return { kind: 'none' };
  const root = resolve(rendererDir);
  const file = resolve(join(root, rel));
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return { kind: 'none' };
  return { kind: 'file', path: file };
}
