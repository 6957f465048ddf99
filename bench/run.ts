// Benchmark entry point (`npm run bench`): runs the cases of bench/suites.ts in headless Chromium
// beside TensorFlow.js and jax-js on the same adapter (bench/bench.html), or in Node with `--node`,
// prints the Markdown table and writes bench/results/<date>.json and .md.
//   npm run bench                       the full run in Chromium
//   npm run bench -- --node             the same suites in Node (Dawn), gengpu only
//   npm run bench -- --quick            checks every library and row, one size per suite, times
//                                       nothing (CI); writes nothing unless --out is given
//   npm run bench -- --only matmul,GPT  only the cases whose "suite name" contains one of these
//   npm run bench -- --out DIR          where the report goes (default bench/results)
//   npm run bench -- --tune             runs gg.tune() first (gengpu's automatic rows then use the
//                                       measured choices) and prints its table in the report

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as gg from '../src/node.js';
import { openBrowser } from './harness/browser.js';
import { markdownReport, type BenchReport, type EnvironmentReport } from './harness/report.js';
import { runEnvironment, timingDefaults, type SuiteOptions } from './harness/runner.js';
import { allCases } from './suites.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const inNode = args.includes('--node');
const only = option('only')?.split(',').filter(Boolean) ?? [];
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const outDir = option('out') ?? (quick ? undefined : join(repoRoot, 'bench', 'results'));
const gengpuVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

const tune = args.includes('--tune');
const options = { ...timingDefaults, quick, only, tune, gengpuVersion };
const started = performance.now();
const log = (line: string) => console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s  ${line}`);

let environment: EnvironmentReport;
if (inNode) {
  environment = await runEnvironment('Node (Dawn)', `Node ${process.version}`, allCases, [], { ...options, log } satisfies SuiteOptions);
  gg.shutdown();
} else {
  const session = await openBrowser();
  try {
    // TensorFlow.js's webgpu backend reads its small-tensor CPU shortcut's threshold once, when the
    // module loads, so the flag that turns it off must come with the URL, before any script runs.
    const query = new URLSearchParams({ options: JSON.stringify(options), tfjsflags: 'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD:0' });
    environment = await session.run<EnvironmentReport>(`bench/bench.html?${query}`, {
      timeoutMs: 4 * 3600_000,
      onConsole: (line) => (line.startsWith('[bench] ') ? log(line.slice(8)) : undefined),
    });
  } finally {
    await session.close();
  }
}

const date = new Date().toISOString();
const report: BenchReport = {
  date,
  command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
  },
  environments: [environment],
};
const markdown = markdownReport(report);
console.log(`\n${markdown}`);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  const stem = join(outDir, `${date.slice(0, 19).replace(/:/g, '-')}${inNode ? '-node' : ''}${quick ? '-quick' : ''}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${stem}.md`, markdown);
  console.log(`wrote ${stem}.json and ${stem}.md`);
}
console.log(`bench finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(0);
