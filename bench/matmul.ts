// Benchmark (not a test): the core suite (bench/core-suite.ts) — pipeline compile times, matmul
// GFLOPS per kernel variant and the automatic choice at 256, 512 and 1024, per-op dispatch overhead —
// in Node and then in headless Chromium, printed side by side.
// Run: `npm run bench` or `npx tsx bench/matmul.ts [--node | --browser] [sizes...]`.

import * as gg from '../src/index.js';
import { openBrowser } from './browser.js';
import { runCoreSuite, type CoreSuiteReport } from './core-suite.js';

const args = process.argv.slice(2);
const sizes = args.filter((a) => /^\d+$/.test(a)).map(Number);
const runNode = !args.includes('--browser');
const runBrowser = !args.includes('--node');

const reports: CoreSuiteReport[] = [];
if (runNode) {
  console.log('running in Node...');
  reports.push(await runCoreSuite('Node (Dawn)', sizes.length ? sizes : undefined));
  gg.shutdown();
}
if (runBrowser) {
  console.log('running in headless Chromium...');
  const session = await openBrowser();
  try {
    const query = sizes.length ? `?sizes=${sizes.join(',')}` : '';
    reports.push(await session.run<CoreSuiteReport>(`bench/core.html${query}`, { timeoutMs: 600_000 }));
  } finally {
    await session.close();
  }
}

for (const report of reports) {
  console.log(`\n== ${report.environment}: ${report.adapter}`);
  console.log('pipeline creation (first use):');
  for (const row of report.compile) console.log(`  ${row.variant.padEnd(8)} ${row.ms.toFixed(0).padStart(5)} ms   ${row.summary}`);
  console.log('square matmul, n x n times n x n:');
  console.table(report.matmul.map((r) => ({
    n: r.n,
    variant: r.variant,
    'ms / product': r.msPerProduct.toFixed(1),
    'GFLOPS (median)': r.gflopsMedian.toFixed(2),
    'GFLOPS (best)': r.gflopsBest.toFixed(2),
    iterations: r.iterations,
  })));
  const d = report.dispatch;
  console.log(
    `dispatch overhead, a chain of ${d.chain} x.add(1) on [256] submitted in ${d.submits} batches: ` +
      `${d.usPerOpMedian.toFixed(1)} µs per op end to end (median; best ${d.usPerOpBest.toFixed(1)} µs), ` +
      `${d.usRecordingPerOp.toFixed(1)} µs of it recording in JS`,
  );
}
process.exit(0);
