// The `moodshelf-app` protocol: the built renderer is served from moodshelf-app://app/ instead of a
// file:// URL, so that index.html can be rewritten on every load with a fresh CSP nonce (renderer-page.ts),
// the CSP also arrives as a response header, and the page has a real origin of its own. Only files inside
// the built renderer folder (out/renderer) are ever served.
import { protocol, type CustomScheme } from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/kernel/logger.js';
import { pageHeaders, renderPage, rendererContentType, rendererFile } from './renderer-page.js';

/** The scheme of the app's own page. */
export const APP_SCHEME = 'moodshelf-app';
/** The host the page is served from (a standard scheme needs one). */
export const APP_HOST = 'app';
/** The URL the window loads. */
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/`;

/**
 * The scheme's privileges: standard (relative URLs and an origin), secure (a secure context, like https),
 * fetch and the V8 code cache. Not `corsEnabled`: that would let other origins read it without any
 * Access-Control check; same-origin module scripts load without it.
 */
export const appScheme: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

function notFound(): Response {
  return new Response('Not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
}

/** Answers one request for the app's page or one of its files. */
async function respond(rendererDir: string, template: () => Promise<string>, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return notFound();
  if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405 });
  const target = rendererFile(rendererDir, url.pathname);
  if (target.kind === 'none') return notFound();
  if (target.kind === 'page') {
    const page = renderPage(await template());
    return new Response(request.method === 'HEAD' ? null : page.html, { status: 200, headers: pageHeaders(page) });
  }
  const body = await readFile(target.path).catch(() => null);
  if (!body) return notFound();
  return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
    status: 200,
    headers: { 'Content-Type': rendererContentType(target.path), 'X-Content-Type-Options': 'nosniff' },
  });
}

/**
 * Serves the scheme from `rendererDir` (call once the app is ready). index.html is read once and filled
 * with a fresh nonce on every load.
 */
export function handleAppProtocol(rendererDir: string, log: Logger): void {
  let cached: Promise<string> | null = null;
  const template = (): Promise<string> => {
    cached ??= readFile(join(rendererDir, 'index.html'), 'utf8').catch((err: unknown) => {
      cached = null;
      throw err;
    });
    return cached;
  };
  protocol.handle(APP_SCHEME, async (request) => {
    try {
      return await respond(rendererDir, template, request);
    } catch (err) {
      log.error('app page request failed', { url: request.url, err: err instanceof Error ? err.message : String(err) });
      return new Response(null, { status: 500 });
    }
  });
}
