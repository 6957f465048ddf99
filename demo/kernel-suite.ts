// The Kernels page's suite (demo/pages/kernels.ts), run on the visitor's own GPU: pipeline compile
// times, matmul GFLOPS for every kernel variant and the automatic choice, and the per-op dispatch
// overhead, one part at a time so the page can draw between them. The full benchmark with peers is
// bench/run.ts (npm run bench); both time GPU work with bench/harness/timing.ts: each timed
// iteration records a batch of work and reads back one value at the end, so the GPU is measured,
// not the round trip.

import * as gg from '../src/index.js';
import { settle, settledIteration, timeIterations } from '../bench/harness/timing.js';

export interface CompileRow {
  variant: string;
  ms: number;
  summary: string;
}

export interface MatmulRow {
  n: number;
  variant: string;
  msPerProduct: number;
  gflopsMedian: number;
  gflopsBest: number;
  iterations: number;
}

export interface DispatchResult {
  chain: number;
  submits: number;
  usPerOpMedian: number;
  usPerOpBest: number;
  usRecordingPerOp: number;
}

/** How long each measurement runs; the demo's quick ladder passes less than the defaults. */
export interface SuiteTiming {
  /** tinybench's minimum time per task (default 1500 ms). */
  taskMs?: number;
  /** tinybench's minimum iterations per matmul task (default 3). */
  iterations?: number;
  /** Scales the products recorded per matmul iteration (default 1: about 0.5 GFLOP per iteration). */
  workScale?: number;
}

/** The matmul variants this adapter can run (the quad kernel needs subgroups). */
export function availableVariants(rt: gg.Runtime): gg.MatmulVariant[] {
  return gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || rt.hasSubgroups);
}

/** Time to the first result of each variant: pipeline compilation dominates it. */
export async function measureCompile(rt: gg.Runtime): Promise<CompileRow[]> {
  const rows: CompileRow[] = [];
  for (const variant of availableVariants(rt)) {
    const start = performance.now();
    const c = gg.scope(() => gg.matmul(gg.ones([4, 4]), gg.ones([4, 4]), { variant }));
    await settle(c, performance.now(), 0);
    c.dispose();
    rows.push({ variant, ms: performance.now() - start, summary: gg.matmulVariantSpecs[variant].summary });
  }
  return rows;
}

/** GFLOPS of every variant and of the automatic choice on n x n products. */
export async function measureMatmul(rt: gg.Runtime, n: number, timing: SuiteTiming = {}): Promise<MatmulRow[]> {
  const { taskMs = 1500, iterations = 3, workScale = 1 } = timing;
  const available = availableVariants(rt);
  const rows: MatmulRow[] = [];
  const generator = new gg.Generator(1);
  const [a, b] = [gg.uniform([n, n], -1, 1, { generator }), gg.uniform([n, n], -1, 1, { generator })];
  try {
    // Enough products per iteration to keep the GPU busy for a while, one readback per iteration.
    const reps = Math.max(1, Math.round(Math.round(2 ** 26 / n ** 3) * 4 * workScale));
    const gflops = (ms: number) => (2 * n ** 3 * reps) / (ms * 1e6);
    for (const variant of [...available, undefined]) {
      const measured = await timeIterations(settledIteration(() => gg.scope(() => {
        let c = gg.matmul(a, b, { variant });
        for (let i = 1; i < reps; i++) {
          c.dispose();
          c = gg.matmul(a, b, { variant });
        }
        return c;
      })), { budgetMs: taskMs, iterations });
      rows.push({
        n,
        variant: variant ?? `auto (${gg.chooseMatmulVariant(n, n, n)})`,
        msPerProduct: measured.median / reps,
        gflopsMedian: gflops(measured.median),
        gflopsBest: gflops(measured.min),
        iterations: measured.samples,
      });
    }
  } finally {
    a.dispose();
    b.dispose();
  }
  return rows;
}

/** The cost per op of a chain of 1000 small elementwise ops recorded into one encoder. */
export async function measureDispatch(rt: gg.Runtime, timing: SuiteTiming = {}): Promise<DispatchResult> {
  const { taskMs = 1500 } = timing;
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
  try {
    const submitsBefore = rt.counters.submits;
    const once = addChain();
    const submits = rt.counters.submits - submitsBefore;
    await settle(once, performance.now(), 0);
    once.dispose();
    const recordingMs: number[] = [];
    const measured = await timeIterations(settledIteration(addChain, (ms) => recordingMs.push(ms)), { budgetMs: taskMs, iterations: 5 });
    const median = [...recordingMs].sort((p, q) => p - q)[Math.floor(recordingMs.length / 2)];
    return {
      chain,
      submits,
      usPerOpMedian: (measured.median / chain) * 1000,
      usPerOpBest: (measured.min / chain) * 1000,
      usRecordingPerOp: (median / chain) * 1000,
    };
  } finally {
    x.dispose();
  }
}
