// Timing GPU work, shared by the benchmark (bench/harness/cases.ts, bench/models/steps.ts) and the
// demo's Kernels page (demo/kernel-suite.ts), so a fix to the wait or the sampling reaches both: the
// wait that does not steal the GPU's core, an iteration that records work and waits for it, and
// tinybench's setup (one untimed warm iteration first; a case whose single iteration is already
// slow is reported from that one sample rather than stalling the run).

import { Bench } from 'tinybench';
import * as gg from '../../src/index.js';

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Submits the recorded work and waits for `t`. In Node, Dawn busy-polls a core while a readback is
 * pending (a core taken from SwiftShader), so the wait first sleeps until most of the expected time
 * since `start` (when recording began: the GPU works while later ops are still being recorded) is up.
 */
export async function settle(t: gg.Tensor, start: number, expectedMs: number): Promise<void> {
  const rt = gg.runtime();
  rt.flush();
  const left = start + expectedMs - performance.now();
  if (left > 2) await sleep(left);
  await rt.read(t.buffer, 0, 4);
}

/**
 * One timed iteration as a function: `record` records GPU work and returns its last result, which
 * is waited for (sleeping through most of the fastest iteration so far) and disposed.
 * `onRecorded` receives how long the recording itself took.
 */
export function settledIteration(record: () => gg.Tensor, onRecorded?: (ms: number) => void): () => Promise<void> {
  let fastest = Infinity;
  return async () => {
    const compiled = gg.runtime().counters.pipelinesCompiled;
    const start = performance.now();
    const result = record();
    onRecorded?.(performance.now() - start);
    await settle(result, start, Number.isFinite(fastest) ? fastest * 0.8 : 0);
    result.dispose();
    // An iteration that compiled kernels (a capture's recording call) is not the pace to sleep by.
    if (gg.runtime().counters.pipelinesCompiled === compiled) fastest = Math.min(fastest, performance.now() - start);
  };
}

export interface Timing {
  median: number;
  min: number;
  max: number;
  samples: number;
}

export interface TimingOptions {
  /** tinybench's time budget, ms. */
  budgetMs: number;
  /** tinybench's minimum number of timed iterations (default 3). */
  iterations?: number;
  /** A single iteration slower than this is reported alone instead of sampled (default: never). */
  slowMs?: number;
}

/** Times `iterate`: one untimed warm iteration, then tinybench (per-iteration ms). */
export async function timeIterations(iterate: () => Promise<void>, options: TimingOptions): Promise<Timing> {
  const start = performance.now();
  await iterate();
  const single = performance.now() - start;
  if (single > (options.slowMs ?? Infinity)) return { median: single, min: single, max: single, samples: 1 };
  const bench = new Bench({ time: options.budgetMs, iterations: options.iterations ?? 3, warmupIterations: 0, warmupTime: 0 });
  bench.add('case', iterate);
  await bench.run();
  const result = bench.tasks[0].result;
  if (result.state !== 'completed') throw new Error(`timing failed: ${result.state === 'errored' ? String(result.error) : result.state}`);
  return { median: result.latency.p50, min: result.latency.min, max: result.latency.max, samples: result.latency.samplesCount };
}
