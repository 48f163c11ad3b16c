/**
 * Which URLs are the app's own page. Host-independent (no Electron import) so the rule is unit-tested:
 * IPC is answered and navigation allowed only for this page, so a loose comparison here would hand the
 * core's API to any page that got into the window.
 */

/** The protocols whose URLs have a real origin in Node's URL parser (others report "null"). */
const WEB_PROTOCOLS = new Set(['http:', 'https:']);

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True when `url` is the app's own renderer page: same origin as the dev server URL (http), the same
 * scheme and host as the app protocol (`moodshelf-app://app/`), or the exact file:// path of index.html.
 * Query strings and fragments are ignored. Custom schemes are compared by protocol and host because
 * Node gives every non-web URL the origin "null", which would make any two of them "equal".
 */
export function isAppUrl(url: string, appUrl: string): boolean {
  const actual = parse(url);
  const expected = parse(appUrl);
  if (!actual || !expected || actual.protocol !== expected.protocol) return false;
  if (actual.username !== '' || actual.password !== '') return false;
  if (expected.protocol === 'file:') return actual.host === expected.host && actual.pathname === expected.pathname;
  if (WEB_PROTOCOLS.has(expected.protocol)) return actual.origin === expected.origin;
  return expected.host !== '' && actual.host === expected.host;
}
