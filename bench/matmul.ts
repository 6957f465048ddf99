// Benchmark (not a test): matmul GFLOPS for each kernel variant and for the automatic choice at
// 256, 512 and 1024 (square), then the per-op dispatch overhead of a chain of 1000 small
// elementwise ops. Run with `npx tsx bench/matmul.ts` (or `npx tsx bench/matmul.ts 128 2048` for
// other sizes); on a machine without a GPU, init() finds SwiftShader by itself.
//
// Each timed iteration records a batch of products and reads back one value at the end, so the
// GPU is measured, not the round trip. While a readback is pending, Dawn's Node binding busy-polls
// a CPU core, which on SwiftShader is a core taken from the kernels; so each iteration first
// submits its work, sleeps through most of the time the fastest iteration so far took, and only
// then waits.

import { Bench } from 'tinybench';
import * as gg from '../src/index.js';

const rt = await gg.init();
const info = rt.adapterInfo;
console.log(`adapter: ${info.vendor} ${info.architecture} (${info.description})${info.isFallbackAdapter ? ', fallback adapter' : ''}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Submits the recorded work and waits until `t` is computed, sleeping through `expectedMs` first (see the header). */
async function settle(t: gg.Tensor, expectedMs: number): Promise<void> {
  rt.flush();
  if (expectedMs > 2) await sleep(expectedMs);
  await rt.read(t.buffer, 0, 4);
}

/**
 * A tinybench task whose iterations run `body` (recording GPU work) and wait for its result. The
 * time `body` itself takes (JS and Dawn encoding the commands) goes into `recordingMs`.
 */
function timedTask(body: () => gg.Tensor, recordingMs: number[] = []): () => Promise<{ overriddenDuration: number }> {
  let fastest = Infinity;
  return async () => {
    const start = performance.now();
    const result = body();
    recordingMs.push(performance.now() - start);
    await settle(result, Number.isFinite(fastest) ? fastest * 0.8 : 0);
    const ms = performance.now() - start;
    result.dispose();
    fastest = Math.min(fastest, ms);
    return { overriddenDuration: ms };
  };
}

function randomMatrix(n: number): gg.Tensor {
  return gg.tensor(Float32Array.from({ length: n * n }, () => Math.random() * 2 - 1), [n, n]);
}

const choices = [...gg.matmulVariants, 'auto'] as const;
type Choice = (typeof choices)[number];

// ---- compile times -------------------------------------------------------------------------------

const available = gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || rt.hasSubgroups);
console.log('\npipeline creation (first use, a 4 x 4 product):');
for (const variant of available) {
  const start = performance.now();
  const c = gg.scope(() => gg.matmul(gg.ones([4, 4]), gg.ones([4, 4]), { variant }));
  await settle(c, 0);
  c.dispose();
  console.log(`  ${variant.padEnd(8)} ${(performance.now() - start).toFixed(0).padStart(5)} ms   ${gg.matmulVariantSpecs[variant].summary}`);
}

// ---- matmul GFLOPS -------------------------------------------------------------------------------

const rows: Record<string, string | number>[] = [];
const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [256, 512, 1024];
for (const n of sizes) {
  const a = randomMatrix(n);
  const b = randomMatrix(n);
  // Enough products per iteration to keep the GPU busy for a while, one readback per iteration.
  const reps = Math.max(1, Math.round(2 ** 26 / n ** 3) * 4);
  const bench = new Bench({ name: `matmul ${n}`, time: 1500, iterations: 3, warmupIterations: 1, warmupTime: 0 });
  for (const choice of choices) {
    if (choice !== 'auto' && !available.includes(choice)) continue;
    const variant = choice === 'auto' ? undefined : choice;
    bench.add(choice, timedTask(() => gg.scope(() => {
      let c = gg.matmul(a, b, { variant });
      for (let i = 1; i < reps; i++) {
        c.dispose();
        c = gg.matmul(a, b, { variant });
      }
      return c;
    })));
  }
  await bench.run();
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`matmul ${n} ${task.name}: ${result.state}`);
    const gflops = (ms: number) => ((2 * n ** 3 * reps) / (ms * 1e6)).toFixed(2);
    const choice = task.name as Choice;
    rows.push({
      n,
      variant: choice === 'auto' ? `auto (${gg.chooseMatmulVariant(n, n, n)})` : choice,
      'ms / product': (result.latency.p50 / reps).toFixed(1),
      'GFLOPS (median)': gflops(result.latency.p50),
      'GFLOPS (best)': gflops(result.latency.min),
      iterations: result.latency.samplesCount,
    });
  }
  a.dispose();
  b.dispose();
}
console.log('\nsquare matmul, n x n times n x n:');
console.table(rows);

// ---- dispatch overhead ---------------------------------------------------------------------------

const chain = 1000;
const x = gg.ones([256]);
const addChain = () => gg.scope(() => {
  let y = x.add(1);
  for (let i = 1; i < chain; i++) {
    const next = y.add(1);
    y.dispose();
    y = next;
  }
  return y;
});
const submitsBefore = rt.counters.submits;
const once = addChain();
const submitsPerChain = rt.counters.submits - submitsBefore;
await settle(once, 0);
once.dispose();
const overhead = new Bench({ name: 'dispatch', time: 1500, iterations: 5, warmupIterations: 2 });
const recordingMs: number[] = [];
overhead.add(`chain of ${chain} x.add(1) on [256]`, timedTask(addChain, recordingMs));
await overhead.run();
const result = overhead.tasks[0].result;
if (result.state !== 'completed') throw new Error(`dispatch overhead: ${result.state}`);
const perOp = (ms: number) => `${((ms / chain) * 1000).toFixed(1)} µs`;
const medianRecording = [...recordingMs].sort((p, q) => p - q)[Math.floor(recordingMs.length / 2)];
console.log(
  `\ndispatch overhead, chain of ${chain} x.add(1) on [256] submitted in ${submitsPerChain} batches:\n` +
    `  ${perOp(result.latency.p50)} per op end to end (median; best ${perOp(result.latency.min)}), ` +
    `of which ${perOp(medianRecording)} recording it in JS and Dawn`,
);
x.dispose();
gg.shutdown();
process.exit(0);
