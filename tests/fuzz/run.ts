// The fuzzer's comparison core, shared by the quick vitest form (tests/fuzz/fuzz.test.ts) and the
// full run (bench/robustness/fuzz.ts): runs one case through tests/helpers/check.ts's checkOp and sorts the
// outcome. checkOp reports through vitest's `expect`, which throws an AssertionError on failure
// inside or outside a vitest worker alike, so the runner catches that error and classifies it by
// the label checkOp gives each comparison ('output shape', 'forward', 'gradient of input k',
// 'live GPU buffers after the check'); anything else the op threw is an 'error'.

import { checkOp } from '../helpers/check.js';
import type { FuzzCase } from './cases.js';

/** value: output shape or values differ; gradient: a gradient differs or is missing; leak: a GPU buffer outlived the check; error: the op threw. */
export type MismatchKind = 'value' | 'gradient' | 'leak' | 'error';

export type Outcome = { ok: true; ms: number } | { ok: false; kind: MismatchKind; message: string; ms: number };

export function classify(message: string): MismatchKind {
  if (message.startsWith('output shape') || message.startsWith('forward')) return 'value';
  if (message.startsWith('gradient of input') || message.includes('received no gradient')) return 'gradient';
  if (message.startsWith('live GPU buffers')) return 'leak';
  return 'error';
}

export async function runCase(c: FuzzCase): Promise<Outcome> {
  const start = performance.now();
  try {
    await checkOp(c.spec);
    return { ok: true, ms: performance.now() - start };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, kind: classify(message), message: message.split('\n')[0], ms: performance.now() - start };
  }
}

/** How to rerun one case alone. */
export function reproduceCommand(c: Pick<FuzzCase, 'seed' | 'index'>): string {
  return `npx tsx bench/robustness/fuzz.ts --seed ${c.seed} --from ${c.index} --cases 1`;
}
