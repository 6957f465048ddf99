// The differential fuzzer's full run: every op family against float64, values and gradients
// (tests/fuzz/cases.ts draws the cases, tests/fuzz/run.ts checks each with checkOp). Outside
// vitest: mismatches are caught and counted, not thrown.
//
//   npx tsx bench/robustness/fuzz.ts [--cases 10000] [--seed 1] [--from 0] [--family unary,conv] [--show 10]
//
// --from starts at that case index (cases are independent: `--from 1234 --cases 1` reruns case 1234
// of the seed alone); --family keeps only those families (this changes which case an index draws);
// --show is how many failing cases to print in full. Prints progress (cases done, mismatches,
// cases/s, ETA), then a summary by family and the first failing cases. Exits 1 on any mismatch.

import { init, shutdown } from '../../src/node.js';
import { FAMILIES, fuzzCase, type Family, type FuzzCase } from '../../tests/fuzz/cases.js';
import { reproduceCommand, runCase, type MismatchKind } from '../../tests/fuzz/run.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const count = Number(option('cases', '10000'));
const seed = Number(option('seed', '1'));
const from = Number(option('from', '0'));
const show = Number(option('show', '10'));
const familyOption = option('family', '');
const only = familyOption ? (familyOption.split(',') as Family[]) : undefined;
if (only?.some((f) => !FAMILIES.includes(f))) throw new Error(`--family: expected some of ${FAMILIES.join(', ')}, got ${familyOption}`);
for (const [name, v] of [['cases', count], ['seed', seed], ['from', from], ['show', show]] as const) {
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
}

const runtime = await init();
console.log(`fuzz: seed ${seed}, cases ${from}..${from + count - 1}${only ? `, families ${only.join(',')}` : ''}; adapter ${runtime.adapterInfo.vendor} ${runtime.adapterInfo.architecture}`);

interface Tally {
  cases: number;
  value: number;
  gradient: number;
  leak: number;
  error: number;
  ms: number;
}
const tallies = new Map<Family, Tally>(FAMILIES.map((f) => [f, { cases: 0, value: 0, gradient: 0, leak: 0, error: 0, ms: 0 }]));
const failures: { c: FuzzCase; kind: MismatchKind; message: string }[] = [];
const perOp = new Map<string, number>();

const started = performance.now();
let lastReport = started;
const formatTime = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(0)}s`);
function progress(done: number): void {
  const elapsed = (performance.now() - started) / 1000;
  const rate = done / Math.max(elapsed, 1e-9);
  const eta = (count - done) / Math.max(rate, 1e-9);
  const memory = runtime.memory();
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    `  ${done}/${count} cases, ${failures.length} mismatches, ${rate.toFixed(1)} cases/s, elapsed ${formatTime(elapsed)}, ETA ${formatTime(eta)}` +
      ` (GPU buffers: ${memory.liveBuffers} live, ${memory.pooledBuffers} pooled; JS heap ${heap.toFixed(0)} MiB)`,
  );
}

for (let i = 0; i < count; i++) {
  const c = fuzzCase(seed, from + i, only);
  const outcome = await runCase(c);
  const t = tallies.get(c.family)!;
  t.cases++;
  t.ms += outcome.ms;
  perOp.set(`${c.family} ${c.op}`, (perOp.get(`${c.family} ${c.op}`) ?? 0) + 1);
  if (!outcome.ok) {
    t[outcome.kind]++;
    failures.push({ c, kind: outcome.kind, message: outcome.message });
    if (failures.length <= show) console.log(`  MISMATCH (${outcome.kind}) ${c.description}\n    ${outcome.message}`);
  }
  const now = performance.now();
  if (now - lastReport > 10_000 || i + 1 === count) {
    lastReport = now;
    progress(i + 1);
  }
}

const seconds = (performance.now() - started) / 1000;
console.log(`\nsummary: ${count} cases (seed ${seed}, from ${from}) in ${formatTime(seconds)}, ${(count / seconds).toFixed(1)} cases/s; ${failures.length} mismatches\n`);
const header = ['family', 'cases', 'value', 'gradient', 'leak', 'error', 'ms/case'];
const rows = [...tallies].filter(([, t]) => t.cases > 0).map(([f, t]) => [f, t.cases, t.value, t.gradient, t.leak, t.error, (t.ms / t.cases).toFixed(1)].map(String));
const total = [...tallies.values()].reduce((a, t) => ({ cases: a.cases + t.cases, value: a.value + t.value, gradient: a.gradient + t.gradient, leak: a.leak + t.leak, error: a.error + t.error, ms: a.ms + t.ms }));
rows.push(['total', total.cases, total.value, total.gradient, total.leak, total.error, (total.ms / Math.max(total.cases, 1)).toFixed(1)].map(String));
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
const line = (r: string[]) => r.map((v, k) => (k === 0 ? v.padEnd(widths[k]) : v.padStart(widths[k]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

console.log(`\nops drawn: ${[...perOp].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join('; ')}`);

if (failures.length) {
  console.log(`\nfirst ${Math.min(show, failures.length)} of ${failures.length} failing cases:`);
  for (const { c, kind, message } of failures.slice(0, show)) {
    console.log(`- (${kind}) ${c.description}\n    ${message}\n    rerun: ${reproduceCommand(c)}${only ? ` --family ${only.join(',')}` : ''}`);
  }
}
shutdown();
process.exit(failures.length ? 1 : 0);
