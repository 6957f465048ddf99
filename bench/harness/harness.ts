// The benchmark's shared vocabulary, used by Node and the page alike: what a library hands the
// harness for one row (a prepared case that can be checked and then timed), the peer-library
// interface the page fills with TensorFlow.js and jax-js, the report's rows, seeded host data, and
// the check of a result against its float64 reference (tests/helpers/op-references.ts computes
// the references themselves).

import { ref, type Ref } from '../../tests/helpers/reference.js';
import type { Timing } from './timing.js';

/** Row-major host data with its shape: the inputs every library of a row starts from. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** One library's ready-to-run case. */
export interface Prepared {
  /** Runs the case once and reads the result back (compiles whatever needs compiling). */
  check(): Promise<ArrayLike<number>>;
  /** One timed iteration: the case's repetitions, recorded and waited for. */
  iterate(): Promise<void>;
  dispose(): void;
}

/** Thrown by a peer for a row it cannot run; the row shows "n/a" with the reason. */
export class NotAvailable extends Error {}

/** The operations the harness asks peers for (gengpu's side is written in bench/kernels/ and bench/models/steps.ts). */
export type PeerOp =
  | { kind: 'matmul'; a: HostTensor; b: HostTensor }
  | { kind: 'softmax'; x: HostTensor }
  | { kind: 'conv2d'; x: HostTensor; w: HostTensor; stride: number; padding: number }
  | { kind: 'convTranspose2d'; x: HostTensor; w: HostTensor; stride: number; padding: number }
  | { kind: 'attention'; q: HostTensor; k: HostTensor; v: HostTensor; causal: boolean }
  | { kind: 'sumRows'; x: HostTensor }
  | { kind: 'sumAll'; x: HostTensor }
  | { kind: 'addChain'; x: HostTensor; length: number }
  /** GELU(x W1ᵀ + b1) W2ᵀ + b2 + x, exact GELU, weights in PyTorch's [out, in] layout (bench/kernels/blocks.ts). */
  | { kind: 'mlpBlock'; x: HostTensor; w1: HostTensor; b1: HostTensor; w2: HostTensor; b2: HostTensor }
  | { kind: 'uniform'; size: number }
  | { kind: 'mlpStep'; weights: HostTensor[]; x: HostTensor; labels: Int32Array; lr: number }
  | { kind: 'vaeStep'; weights: HostTensor[]; x: HostTensor; eps: HostTensor; lr: number }
  /**
   * The DCGAN step of bench/models/steps.ts. Weights in PyTorch layouts, generator then discriminator:
   * Linear(100, 6272) weight, bias; BatchNorm1d(6272) weight, bias; ConvTranspose2d(128, 64, 4)
   * weight, bias; BatchNorm2d(64) weight, bias; ConvTranspose2d(64, 1, 4) weight, bias; then
   * Conv2d(1, 64, 4) weight, bias; Conv2d(64, 128, 4) weight, bias; Linear(6272, 1) weight, bias.
   */
  | { kind: 'dcganStep'; weights: HostTensor[]; z: HostTensor; real: HostTensor; lr: number; beta1: number };

/** A peer library in the page: TensorFlow.js or jax-js on one backend. */
export interface PeerLibrary {
  name: string;
  version: string;
  /** 'webgpu' peers set the 3x target; 'cpu' (WASM) peers are the CPU reference. */
  kind: 'webgpu' | 'cpu';
  /** Prepares `op` to run `reps` times per iteration; throws NotAvailable for what it cannot run. */
  prepare(op: PeerOp, reps: number): Promise<Prepared>;
}

/** A row of the report: one library (or gengpu kernel variant) on one case. */
export interface ResultRow {
  suite: string;
  case: string;
  library: string;
  /** 'gengpu' (the automatic choice), 'variant' (a numbered gengpu kernel), 'webgpu' or 'cpu' peer. */
  role: 'gengpu' | 'variant' | 'webgpu' | 'cpu';
  /** Per repetition of the case, in ms; absent for n/a rows. */
  ms?: Timing;
  /** Throughput from the median: GFLOPS or GB/s per the case's unit. */
  throughput?: number;
  unit?: 'GFLOPS' | 'GB/s' | 'µs/op';
  /** Largest error of the check, relative to the reference's largest magnitude. */
  checkError?: number;
  /** gengpu's compute dispatches per repetition, counted over one iteration after the check (steady state). */
  dispatches?: number;
  notAvailable?: string;
}

// ---- host data -----------------------------------------------------------------------------------

/** A small seeded generator (mulberry32) so every library starts from the same numbers. */
export class HostRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  uniform(shape: number[], low = -1, high = 1): HostTensor {
    const data = new Float32Array(shape.reduce((p, q) => p * q, 1));
    for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * this.next();
    return { data, shape };
  }
  normal(shape: number[], std = 1): HostTensor {
    const data = new Float32Array(shape.reduce((p, q) => p * q, 1));
    for (let i = 0; i < data.length; i++) {
      data[i] = std * Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
    }
    return { data, shape };
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Host data as a float64 reference array, for tests/helpers/op-references.ts's functions. */
export const hostRef = (t: HostTensor): Ref => ref(t.shape, t.data);

/** Reorders a row-major tensor's axes (host side, untimed: peers that want another layout). */
export function permuteHost(t: HostTensor, axes: number[]): HostTensor {
  const shape = axes.map((a) => t.shape[a]);
  const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((p, q) => p * q, 1));
  const out = new Float32Array(t.data.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let d = 0; d < shape.length; d++) source += index[d] * strides[axes[d]];
    out[o] = t.data[source];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { data: out, shape };
}

// ---- checks --------------------------------------------------------------------------------------

/** Reference values at some flat positions of an output (or all of them when `at` is absent). */
export interface Reference {
  values: Float64Array;
  at?: number[];
  /** Allowed error relative to the reference's largest magnitude. */
  tolerance: number;
}

/** Flat positions spread over an output of `size` values (all of them when small). */
export function samplePositions(size: number, count = 256, random = new HostRandom(7)): number[] {
  if (size <= count) return Array.from({ length: size }, (_, i) => i);
  const positions = [0, size - 1];
  while (positions.length < count) positions.push(random.int(size));
  return positions;
}

/** The check's relative error; throws when it exceeds the reference's tolerance. */
export function checkAgainst(name: string, actual: ArrayLike<number>, reference: Reference): number {
  const { values, at } = reference;
  if (!at && actual.length !== values.length) throw new Error(`${name}: ${actual.length} values, reference has ${values.length}`);
  let scale = 1e-6;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const got = actual[at ? at[i] : i];
    const error = Number.isFinite(got) ? Math.abs(got - values[i]) / scale : Infinity;
    if (error > worst) worst = error;
    if (!(error <= reference.tolerance)) {
      throw new Error(`${name}: check failed at ${at ? at[i] : i}: got ${got}, reference ${values[i]} (relative error ${error.toExponential(2)} > ${reference.tolerance})`);
    }
  }
  return worst;
}
