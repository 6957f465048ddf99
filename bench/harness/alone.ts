// Runs one kernel family alone in Node (Dawn), gengpu only, for working on a kernel without the
// whole suite or the browser: `npx tsx bench/kernels/<family>.ts [--quick] [--only text] [--no-fusion]`
// checks every case of the family against its float64 reference, times it (not with --quick) and
// prints the report's table; --no-fusion runs it with elementwise fusion off (gg.setFusion(false)). The family files call runAlone when they are the script Node was started with.

import { readFileSync } from 'node:fs';
import * as gg from '../../src/node.js';
import type { CaseList } from './cases.js';
import { markdownTable } from './report.js';
import { runEnvironment, timingDefaults } from './runner.js';

export async function runAlone(caseList: CaseList): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',').filter(Boolean) : [];
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  gg.setFusion(!args.includes('--no-fusion'));
  const started = performance.now();
  const environment = await runEnvironment(args.includes('--no-fusion') ? 'Node (Dawn), fusion off' : 'Node (Dawn)', `Node ${process.version}`, caseList, [], {
    ...timingDefaults, quick: args.includes('--quick'), only, gengpuVersion: version,
    log: (line) => console.log(`${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s  ${line}`),
  });
  gg.shutdown();
  const worst = Math.max(...environment.rows.map((r) => r.checkError ?? 0));
  console.log(`\n${markdownTable(environment)}\n\n${environment.rows.length} rows checked against float64, largest relative error ${worst.toExponential(2)}`);
}
