// The io helpers in real headless Chromium: the module loads without Node's fs, a save gives the same
// bytes as in Node, downloadBlob delivers the file to the download folder, and readBrowserFile reads a
// File back bit for bit.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from '../../bench/harness/browser.js';
import * as gg from '../../src/index.js';
import { caseTensors, type BrowserCaseResult } from './browser-case.js';

describe('io in headless Chromium', () => {
  let session: BrowserSession;
  let downloads = '';
  beforeAll(async () => {
    session = await openBrowser();
    downloads = await mkdtemp(join(tmpdir(), 'gengpu-downloads-'));
    const cdp = await session.browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  }, 120_000);
  afterAll(async () => {
    await session?.close();
    await rm(downloads, { recursive: true, force: true });
  });

  it('saves, downloads and reads back the same bytes as Node', async () => {
    const result = await session.run<BrowserCaseResult>('tests/io/browser-page.html');
    const tensors = caseTensors();
    const nodeBytes = await gg.io.serialize(tensors, { origin: 'io test' });
    for (const t of Object.values(tensors)) t.dispose();

    expect(result.bytes).toEqual([...nodeBytes]);
    expect(result.reloadedBits).toEqual([0x3fc00000, 0x7fc12345, 0x80000000, 0x00000001]);
    expect(result.readFileError).toMatch(/^readFile: needs a file system, which gengpu has in Node .*; in a browser use downloadBlob \/ readBrowserFile$/);
    expect(result.liveBuffers).toBe(0);

    const path = join(downloads, 'gengpu-io-test.safetensors');
    for (let i = 0; i < 100 && !(await readdir(downloads)).includes('gengpu-io-test.safetensors'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(new Uint8Array(await readFile(path))).toEqual(nodeBytes);
  }, 120_000);
});
