// Shared e2e plumbing: a real core on a temporary data folder behind the test server (which relays to it
// through the desktop shell's own client code), and Debian's Chromium (playwright-core) with the bridge
// init script.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createCore, type Core, type CoreOptions } from '../../../src/core/index.js';
import { browserBridgeScript, startTestServer, type TestServer, type TestServerOptions } from './test-server.js';

/** Where screenshots go (gitignored). */
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '..', '..', '..', 'test-results', 'e2e');

/** Chromium flags for a quiet, headless, sandbox-free run in CI containers. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--autoplay-policy=no-user-gesture-required',
];

/** The Chromium binary (Debian's by default). */
export const CHROMIUM_PATH = process.env.MOODSHELF_CHROMIUM ?? '/usr/bin/chromium';

/** A running app: core, server, browser and page. */
export interface App {
  root: string;
  core: Core;
  server: TestServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors seen so far (a test asserts there are none). */
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a core on a fresh data folder (or `dataDir`), the test server and a page showing the app. */
export async function launchApp(
  options: {
    dataDir?: string;
    core?: Partial<CoreOptions>;
    viewport?: { width: number; height: number };
    /** The stand-in shell: e.g. a short request timeout, to show long work does not depend on it. */
    shell?: Omit<TestServerOptions, 'rendererDir'>;
  } = {},
): Promise<App> {
  const root = mkdtempSync(join(tmpdir(), 'moodshelf-e2e-'));
  const dataDir = options.dataDir ?? join(root, 'data');
  mkdirSync(dataDir, { recursive: true });
  const core = await createCore({ dataDir, threads: 1, ...options.core });
  const server = await startTestServer(core, options.shell);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 900 }, colorScheme: 'light' });
  await context.addInitScript({ content: browserBridgeScript() });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(server.url);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    root,
    core,
    server,
    browser,
    context,
    page,
    errors,
    async screenshot(name) {
      const file = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await browser.close().catch(() => {});
      await server.close();
      await core.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
