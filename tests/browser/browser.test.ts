// The smoke subset in real headless Chromium (WebGPU on SwiftShader): the same cases as in Node must
// give the same numbers (the RNG's raw words bit for bit), a short training loop must lower its
// loss, and no buffer may leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from '../../bench/harness/browser.js';
import { expectClose } from '../helpers/check.js';
import { runSmokeCases, type SmokeResults } from './smoke-cases.js';

describe('headless Chromium', () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await openBrowser();
  }, 120_000);
  afterAll(async () => {
    await session?.close();
  });

  it('runs the smoke cases with the same results as Node', async () => {
    const { results: browser, adapter } = await session.run<{ results: SmokeResults; adapter: { architecture: string } }>('tests/browser/smoke.html');
    const node = await runSmokeCases();
    expect(adapter.architecture).toBeTruthy();
    expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
    expect(browser.randomBits, 'Philox words are bit-identical').toEqual(node.randomBits);
    for (const name of Object.keys(node)) expectClose(browser[name], node[name], 1e-6, 1e-5, name);
    const losses = browser.losses;
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.05);
    expect(browser.liveBuffers[0]).toBe(0);
  }, 180_000);
});
