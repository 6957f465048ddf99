// What a kernel family (bench/kernels/*.ts) or the training steps (bench/models/steps.ts) hand the
// runner: cases, each with its host inputs, float64 reference, gengpu's implementations (the
// automatic choice, plus each numbered kernel variant where there is a ladder) and the operation the
// peers are asked for; and the pieces those files share to write gengpu's side.

import * as gg from '../../src/index.js';
import type { HostTensor, PeerOp, Prepared, Reference } from './harness.js';
import { settledIteration } from './timing.js';

export interface GengpuImpl {
  library: string;
  role: 'gengpu' | 'variant';
  prepare(): Prepared;
}

export interface Case {
  suite: string;
  name: string;
  unit: 'GFLOPS' | 'GB/s' | 'µs/op';
  /** Floating-point operations, bytes or ops per repetition, for the throughput column. */
  work: number;
  /** Repetitions per timed iteration (small cases repeat to amortise the readback). */
  reps: number;
  reference(): Reference;
  /** What the check compares when not the output itself (the RNG rows: a sample's moments). */
  checked?(output: ArrayLike<number>): ArrayLike<number>;
  gengpu: GengpuImpl[];
  /** What the peers run; a string is the reason they cannot. */
  peer: PeerOp | string;
  /** Peers are checked against gengpu's checked result (training steps: both losses). */
  peersMatchGengpu?: boolean;
}

/** A family's cases; `quick` keeps the first size of each suite (CI's check). */
export type CaseList = (quick: boolean) => Case[];

/** A gengpu case from a function recording one repetition and returning its result. */
export function gengpuCase(record: () => gg.Tensor, reps: number, inputs: gg.Tensor[]): Prepared {
  return {
    async check() {
      const t = gg.scope(record);
      const values = await t.data();
      t.dispose();
      return values;
    },
    iterate: settledIteration(() => gg.scope(() => {
      let t = record();
      for (let i = 1; i < reps; i++) {
        // Computed before it goes: a pending result (a deferred matmul, a fused chain) disposed unread never runs.
        t.realize();
        t.dispose();
        t = record();
      }
      return t;
    })),
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

export const upload = (t: HostTensor) => gg.tensor(t.data, t.shape);

/** Repetitions so that one iteration does about `target` units of work (at least one). */
export const repsFor = (work: number, target: number) => Math.max(1, Math.round(target / work));

/** Whether the module at `moduleUrl` is the script Node was started with (never in the page). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = typeof process === 'undefined' ? undefined : process.argv[1];
  return script !== undefined && decodeURIComponent(new URL(moduleUrl).pathname) === script;
}
