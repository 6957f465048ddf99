// The demo's entry: the nav, the page named by ?page=, the GPU adapter in the header, and a clear
// message (with how to turn it on) when the browser has no WebGPU.
import * as gg from '../src/index.js';
import { pages } from './pages/registry.js';
import { Shell } from './shell.js';

const app = document.getElementById('app')!;
const requested = new URLSearchParams(location.search).get('page');
const current = pages.find((p) => p.id === requested) ?? pages[0];

const nav = document.getElementById('nav')!;
for (const page of pages) {
  const link = document.createElement('a');
  link.href = `?page=${page.id}`;
  link.textContent = page.label;
  if (page === current) link.className = 'active';
  nav.append(link);
}
document.getElementById('title')!.textContent = current.label;
document.getElementById('blurb')!.textContent = current.blurb;
document.title = `${current.label} · gengpu`;

/** The panel shown instead of the page when there is no WebGPU adapter. */
function showNoWebGpu(reason: string): void {
  document.getElementById('adapter')!.textContent = 'GPU: none';
  const panel = document.createElement('section');
  panel.id = 'no-webgpu';
  panel.className = 'card no-webgpu';
  panel.innerHTML = `
    <h2>This browser has no WebGPU</h2>
    <p class="reason"></p>
    <p>gengpu trains its models on the GPU through WebGPU. To run this demo:</p>
    <ul>
      <li><b>Chrome or Edge 113+</b> on Windows, macOS or ChromeOS: WebGPU is on by default; update the browser.</li>
      <li><b>Chrome on Linux or Android</b>: open <code>chrome://flags/#enable-unsafe-webgpu</code>, set it to Enabled and restart
        (on Linux also <code>chrome://flags/#enable-vulkan</code>), or start Chromium with <code>--enable-unsafe-webgpu</code>.</li>
      <li><b>Firefox</b> 141+ on Windows has it on; elsewhere use Nightly with <code>dom.webgpu.enabled</code> set to true in <code>about:config</code>.</li>
      <li><b>Safari</b> 26+ (macOS Tahoe, iOS 26) has it on; older: Develop → Feature Flags → WebGPU.</li>
      <li>Open the page from <code>http://localhost</code> or <code>https://</code>: WebGPU needs a secure context.</li>
      <li>No GPU at all? Chromium's software adapter (SwiftShader) runs it slowly: see the README.</li>
    </ul>`;
  panel.querySelector('.reason')!.textContent = reason;
  app.append(panel);
}

async function main(): Promise<void> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    showNoWebGpu(window.isSecureContext ? 'navigator.gpu is missing.' : 'This page is not a secure context (use localhost or https), so navigator.gpu is missing.');
    return;
  }
  let runtime: gg.Runtime;
  try {
    runtime = await gg.init();
  } catch (error) {
    showNoWebGpu(`No adapter: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  const info = runtime.adapterInfo;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ');
  document.getElementById('adapter')!.textContent = `GPU: ${name || 'unnamed adapter'}${info.isFallbackAdapter ? ' (software)' : ''}`;
  gg.manualSeed(0);
  await new Shell(current.create(), app).mount();
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => {
  const failure = document.createElement('pre');
  failure.className = 'card failure';
  failure.textContent = `The demo failed to start: ${(error as Error).stack ?? String(error)}`;
  app.append(failure);
});
