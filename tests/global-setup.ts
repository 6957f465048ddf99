// Runs once in vitest's main process before the test workers start: finds the GPU and the browser the
// way the tests will, so that an npm-shipped Chromium and SwiftShader driver are unpacked here once
// instead of by parallel workers racing each other. The driver it chose (VK_ICD_FILENAMES) is then
// inherited by every worker.
import { chromiumPath } from '../bench/harness/browser.js';
import { init, shutdown } from '../src/node.js';

export default async function setup(): Promise<void> {
  const runtime = await init();
  const { vendor, architecture } = runtime.adapterInfo;
  shutdown();
  console.log(`tests: GPU adapter ${vendor} ${architecture}${process.env.VK_ICD_FILENAMES ? ` (Vulkan driver ${process.env.VK_ICD_FILENAMES})` : ''}; browser ${await chromiumPath()}`);
}
