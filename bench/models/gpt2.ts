// Benchmark: GPT-2 inference at batch 1, through the same path as a real checkpoint (the measurement
// is bench/models/gpt2-measure.ts): the load time, prefill and decode tokens/s and peak GPU memory
// against the weights, in Node (Dawn) or, with --browser, in headless Chromium (bench/models/gpt2.html
// through the benchmarks' browser harness), which prints the page's lines here. In Node the random
// checkpoint is a Blob in memory; for the page it is written to a folder under bench/results/ (removed
// after) and fetched from the dev server, as the demo fetches a checkpoint by URL, because Chromium
// fails to read back a Blob of GPT-2's size ("network error").
//   npx tsx bench/models/gpt2.ts                       124M, a 128-token prompt, 8 decoded tokens
//   npx tsx bench/models/gpt2.ts --size 355M --prompt 64 --decode 4
//   npx tsx bench/models/gpt2.ts --from path/to/gpt2   a Hugging Face checkpoint directory (config.json, model.safetensors)
//   npx tsx bench/models/gpt2.ts --weights f32         f32 weights instead of packed halves (gpt2.load's default, f16)
//   npx tsx bench/models/gpt2.ts --browser             the same in headless Chromium (--from: a directory inside the repository)
// On a software adapter the 124M model is slow: keep --decode small.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gg from '../../src/node.js';
import { openBrowser } from '../harness/browser.js';
import { flag, option } from '../harness/options.js';
import { gpt2Sizes, measureGPT2, randomCheckpoint, type GPT2BenchOptions } from './gpt2-measure.js';

const options: GPT2BenchOptions = {
  from: option('from', undefined),
  size: option('size', '124M'),
  prompt: option('prompt', 128),
  decode: option('decode', 8),
  weights: option('weights', 'f16') as 'f16' | 'f32',
};

if (!flag('browser')) {
  await measureGPT2(options, (line) => console.log(line));
  gg.shutdown();
} else {
  // The page loads its checkpoint through the dev server, which serves the repository root only.
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  let written: string | undefined;
  if (options.from) {
    const inRepo = relative(repoRoot, resolve(options.from));
    if (inRepo.startsWith('..')) throw new Error(`gpt2 bench --browser: --from ${options.from} is outside the repository, which is all the page's server serves`);
    options.from = `/${inRepo}`;
  } else {
    const config = gpt2Sizes[options.size!];
    if (!config) throw new Error(`gpt2 bench: --size must be one of ${Object.keys(gpt2Sizes).join(', ')}, got ${options.size}`);
    const started = performance.now();
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    written = mkdtempSync(join(repoRoot, 'bench', 'results', 'gpt2-random-'));
    writeFileSync(join(written, 'config.json'), JSON.stringify(config));
    writeFileSync(join(written, 'model.safetensors'), new Uint8Array(await randomCheckpoint(config, 1234).arrayBuffer()));
    options.from = `/${relative(repoRoot, written)}`;
    console.log(`random ${options.size} checkpoint written to ${options.from} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const session = await openBrowser();
  try {
    const query = new URLSearchParams({ options: JSON.stringify(options) });
    await session.run(`bench/models/gpt2.html?${query}`, {
      timeoutMs: 4 * 3600_000,
      onConsole: (line) => (line.startsWith('[gpt2] ') ? console.log(line.slice(7)) : undefined),
    });
  } finally {
    await session.close();
    if (written) rmSync(written, { recursive: true, force: true });
  }
}
