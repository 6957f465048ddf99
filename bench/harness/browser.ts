// Runs a page of this repo in headless Chromium with WebGPU and returns what the page reports.
// A vite dev server serves the repo (TypeScript compiled on the fly, COOP/COEP headers so WASM peers
// get threads); puppeteer drives Chromium (see chromiumPath) with the flags from shared/webgpu.md. A page
// reports by assigning `window.__gengpuResult` (any JSON value) or `window.__gengpuError` (a string).
// Used by the browser tests (tests/browser/) and the benchmarks.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Flags measured to give WebGPU (SwiftShader) in headless Chromium on a closed network. */
export const chromiumFlags = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Browsers installed system-wide that carry SwiftShader for WebGPU without a GPU. */
const systemBrowsers = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/**
 * The Chromium to drive: PUPPETEER_EXECUTABLE_PATH if set; else a system Chrome/Chromium or puppeteer's
 * own download, where they exist; else the headless Chromium with SwiftShader that the npm package
 * @sparticuz/chromium ships (unpacked into the temporary directory on first use), so a fresh machine
 * needs no system browser. `GENGPU_BROWSER=bundled` goes straight to that one (CI proves it works).
 */
export async function chromiumPath(): Promise<string> {
  if (process.env.PUPPETEER_EXECUTABLE_PATH) return process.env.PUPPETEER_EXECUTABLE_PATH;
  if (process.env.GENGPU_BROWSER !== 'bundled') {
    const installed = [...systemBrowsers, puppeteer.executablePath()].find((path) => existsSync(path));
    if (installed) return installed;
  }
  const { default: chromium } = await import('@sparticuz/chromium');
  return chromium.executablePath();
}

export interface BrowserSession {
  browser: Browser;
  server: ViteDevServer;
  baseUrl: string;
  /** Opens `path` (relative to the repo root, e.g. 'tests/browser/smoke.html') and waits for its report. */
  run<T = unknown>(path: string, options?: { timeoutMs?: number; onConsole?: (line: string) => void }): Promise<T>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const server = await createServer({
    root: repoRoot,
    logLevel: 'error',
    configFile: false,
    server: {
      host: '127.0.0.1',
      port: 0,
      // No file watching or hot reload: an edit elsewhere in the repo must not reload a running page.
      hmr: false,
      watch: null,
      headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('openBrowser: the vite server has no TCP address');
  const baseUrl = `http://127.0.0.1:${address.port}`;

  const profile = mkdtempSync(join(tmpdir(), 'gengpu-chromium-'));
  const executablePath = await chromiumPath();
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      // A benchmark page may keep its main thread busy for minutes (WASM peers run synchronously).
      protocolTimeout: 4 * 3600_000,
      args: [...chromiumFlags, `--user-data-dir=${profile}`],
    });
  } catch (error) {
    await server.close();
    throw new Error(`openBrowser: could not start ${executablePath} (set PUPPETEER_EXECUTABLE_PATH to a Chrome or Chromium): ${(error as Error).message}`);
  }

  return {
    browser,
    server,
    baseUrl,
    async run<T>(path: string, options: { timeoutMs?: number; onConsole?: (line: string) => void } = {}): Promise<T> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (message) => options.onConsole?.(message.text()));
      page.on('pageerror', (error) => errors.push(String(error)));
      try {
        await page.goto(`${baseUrl}/${path}`);
        await page.waitForFunction('window.__gengpuResult !== undefined || window.__gengpuError !== undefined', {
          timeout: options.timeoutMs ?? 120_000,
          polling: 100,
        });
        const error = await page.evaluate('window.__gengpuError');
        if (error !== undefined) throw new Error(`${path} reported: ${String(error)}`);
        return (await page.evaluate('window.__gengpuResult')) as T;
      } catch (error) {
        if (errors.length) throw new Error(`${(error as Error).message}\npage errors:\n${errors.join('\n')}`);
        throw error;
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
