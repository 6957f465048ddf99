// The benchmark page's script (bench/bench.html): sets up the peers (TensorFlow.js webgpu and wasm,
// jax-js webgpu eager and jit, jax-js wasm), runs the cases of bench/suites.ts with the options
// bench/run.ts put in the URL, prints progress lines to the console, and reports the result.

import * as jax from '@jax-js/jax';
import type { PeerLibrary } from './harness/harness.js';
import { jaxPeer } from './harness/peers/jax.js';
import { configureTfjs, tfjsPeer } from './harness/peers/tfjs.js';
import { runEnvironment, type SuiteOptions } from './harness/runner.js';
import { allCases } from './suites.js';

type PageOptions = Omit<SuiteOptions, 'log'>;

async function main() {
  const options = JSON.parse(new URLSearchParams(location.search).get('options') ?? '{}') as PageOptions;
  const log = (line: string) => console.log(`[bench] ${line}`);
  log(`page: crossOriginIsolated ${self.crossOriginIsolated}, ${navigator.hardwareConcurrency} threads`);
  configureTfjs();
  const available = await jax.init('webgpu', 'wasm');
  const peers: PeerLibrary[] = [tfjsPeer('webgpu'), tfjsPeer('wasm')];
  if (available.includes('webgpu')) peers.push(jaxPeer({ device: 'webgpu', jit: false }), jaxPeer({ device: 'webgpu', jit: true }));
  if (available.includes('wasm')) peers.push(jaxPeer({ device: 'wasm', jit: true }));
  log(`jax-js devices: ${available.join(', ')}`);
  return runEnvironment('Chromium (headless)', navigator.userAgent, allCases, peers, { ...options, log });
}

main()
  .then((report) => ((window as unknown as { __gengpuResult: unknown }).__gengpuResult = report))
  .catch((error: unknown) => {
    (window as unknown as { __gengpuError: string }).__gengpuError = String(error instanceof Error && error.stack ? error.stack : error);
  });
