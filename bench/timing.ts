// Waiting for the GPU without stealing its core, shared by the benchmark suites (bench/suites.ts) and
// the demo's Kernels page (demo/kernel-suite.ts), so a fix to the wait reaches both.
import * as gg from '../src/index.js';

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
