// The bad-input suite outside vitest: every case of tests/robustness/cases.ts (ops, modules, losses,
// optimizers, io, data loaders and models given wrong shapes, dtypes, axes, indices, options, NaN /
// Inf, empty and huge tensors), judged by tests/robustness/run.ts, then a summary: cases per
// category, clear errors, unclear errors (each listed with the message it gave), must-work cases
// that worked, GPU buffer leaks, poisoned runtimes, and the share of cases that passed all checks.
//
//   npx tsx bench/robustness/bad-input.ts [--category nn,loss] [--verbose]
//
// --verbose prints every case with its verdict and message. Exits 1 if any case failed.

import { init, shutdown } from '../../src/node.js';
import { CATEGORIES, badInputCases, type Category } from '../../tests/robustness/cases.js';
import { describeFailure, passed, runCase, type Outcome } from '../../tests/robustness/run.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}
const verbose = process.argv.includes('--verbose');
const only = option('category')?.split(',') as Category[] | undefined;
if (only?.some((c) => !CATEGORIES.includes(c))) throw new Error(`--category: expected some of ${CATEGORIES.join(', ')}, got ${only.join(',')}`);

const runtime = await init();
const selected = badInputCases.filter((c) => !only || only.includes(c.category));
console.log(`bad-input: ${selected.length} cases; adapter ${runtime.adapterInfo.vendor} ${runtime.adapterInfo.architecture}`);

const started = performance.now();
const outcomes: Outcome[] = [];
for (const c of selected) {
  const o = await runCase(c);
  outcomes.push(o);
  if (verbose) console.log(`  ${passed(o) ? 'ok  ' : 'FAIL'} [${c.category}/${c.kind}] ${c.name}: ${o.verdict}${o.when ? ` (${o.when})` : ''}${o.message ? ` — ${o.message}` : ''}`);
}
const seconds = (performance.now() - started) / 1000;

interface Row {
  cases: number;
  mustFail: number;
  clear: number;
  unclear: number;
  mustWork: number;
  works: number;
  leaks: number;
  poisoned: number;
  passed: number;
}
const empty = (): Row => ({ cases: 0, mustFail: 0, clear: 0, unclear: 0, mustWork: 0, works: 0, leaks: 0, poisoned: 0, passed: 0 });
const rows = new Map<string, Row>();
const total = empty();
for (const o of outcomes) {
  for (const row of [rows.get(o.c.category) ?? rows.set(o.c.category, empty()).get(o.c.category)!, total]) {
    row.cases++;
    if (o.c.expect === 'error') {
      row.mustFail++;
      if (o.verdict === 'clear') row.clear++;
      else row.unclear++;
    } else {
      row.mustWork++;
      if (o.verdict === 'works') row.works++;
    }
    if (o.leaked !== 0) row.leaks++;
    if (o.poisoned !== null) row.poisoned++;
    if (passed(o)) row.passed++;
  }
}

const percent = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const header = ['category', 'cases', 'must fail', 'clear', 'unclear', 'must work', 'works', 'leaks', 'poisoned', 'passed'];
const table = [...rows, ['total', total] as const].map(([name, r]) => [
  name, r.cases, r.mustFail, r.clear, r.unclear, r.mustWork, r.works, r.leaks, r.poisoned, `${r.passed} (${percent(r.passed, r.cases)})`,
].map(String));
const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k].length)));
const line = (r: string[]) => r.map((v, k) => (k === 0 ? v.padEnd(widths[k]) : v.padStart(widths[k]))).join('  ');
console.log(`\nsummary: ${outcomes.length} cases in ${seconds.toFixed(1)}s`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
table.forEach((r, i) => {
  if (i === table.length - 1) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  console.log(line(r));
});

const kinds = new Map<string, number>();
for (const o of outcomes) kinds.set(o.c.kind, (kinds.get(o.c.kind) ?? 0) + 1);
console.log(`\ncases per kind: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
console.log(`clear errors: ${total.clear} of ${total.mustFail} must-fail cases (${percent(total.clear, total.mustFail)}); ` +
  `must-work cases that worked: ${total.works} of ${total.mustWork}; leaks: ${total.leaks}; poisoned runtimes: ${total.poisoned}; ` +
  `passed: ${total.passed} of ${total.cases} (${percent(total.passed, total.cases)})`);

const unclear = outcomes.filter((o) => o.c.expect === 'error' && o.verdict !== 'clear');
if (unclear.length) {
  console.log(`\nunclear errors (${unclear.length}):`);
  for (const o of unclear) console.log(`- [${o.c.category}/${o.c.kind}] ${o.c.name}: ${o.verdict === 'silent' ? 'no error at all' : `lacks ${o.missing.join(', ')}: ${JSON.stringify(o.message)}`}`);
}
const failing = outcomes.filter((o) => !passed(o) && !(o.c.expect === 'error' && o.verdict !== 'clear' && o.leaked === 0 && o.poisoned === null));
if (failing.length) {
  console.log(`\nother failures (${failing.length}):`);
  for (const o of failing) console.log(`- ${describeFailure(o)}`);
}
shutdown();
process.exit(total.passed === total.cases ? 0 : 1);
