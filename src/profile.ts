// GPU time per kernel, from timestamp queries: what a performance engineer asks first of a slow step
// ("which kernels take the time?"). Works wherever the device offers 'timestamp-query' (Dawn in Node,
// Chrome with the feature enabled).

import { runtime } from './context.js';
import type { KernelTiming } from './gpu/runtime.js';

/** One kernel's share of a profile: how many dispatches it made and their GPU time together. */
export interface KernelShare {
  /** The kernel's name. */
  kernel: string;
  /** Its dispatches. */
  calls: number;
  /** Their GPU time together, ms. */
  ms: number;
}

/** The GPU time of each dispatch a function recorded (see {@link profile}). */
export class Profile {
  /** Every dispatch in the order it was recorded. */
  readonly dispatches: readonly KernelTiming[];
  constructor(dispatches: readonly KernelTiming[]) {
    this.dispatches = dispatches;
  }

  /** The GPU time of all dispatches, ms. */
  get totalMs(): number {
    return this.dispatches.reduce((sum, d) => sum + d.ms, 0);
  }

  /** Dispatches grouped by kernel, the most time first. */
  byKernel(): KernelShare[] {
    const shares = new Map<string, KernelShare>();
    for (const { kernel, ms } of this.dispatches) {
      const share = shares.get(kernel) ?? { kernel, calls: 0, ms: 0 };
      share.calls++;
      share.ms += ms;
      shares.set(kernel, share);
    }
    return [...shares.values()].sort((a, b) => b.ms - a.ms);
  }

  /** A text table of byKernel(): time, share of the total, calls and kernel, one line each. */
  table(limit = 20): string {
    const total = this.totalMs;
    const shares = this.byKernel();
    const lines = shares.slice(0, limit).map((s) => `${s.ms.toFixed(3).padStart(10)} ms ${((100 * s.ms) / total).toFixed(1).padStart(5)}% ${String(s.calls).padStart(5)}x  ${s.kernel}`);
    if (shares.length > limit) lines.push(`${''.padStart(33)} and ${shares.length - limit} more kernels`);
    lines.push(`${total.toFixed(3).padStart(10)} ms  total, ${this.dispatches.length} dispatches`);
    return lines.join('\n');
  }
}

/**
 * Runs `record` (which records GPU work, and may await reads) and returns the GPU time of every dispatch
 * it made. Each dispatch runs in a compute pass of its own while profiling, so times are per kernel, and
 * their total can exceed a plain run's slightly. Throws where the device has no timestamp queries.
 */
export async function profile(record: () => unknown): Promise<Profile> {
  const rt = runtime();
  rt.startProfile();
  let timings: KernelTiming[];
  try {
    await record();
  } finally {
    timings = await rt.stopProfile();
  }
  return new Profile(timings);
}
