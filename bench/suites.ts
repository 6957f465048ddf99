// The benchmark suites, one definition for Node and the page: every kernel (matmul and its ladder of
// variants, batched matmul, softmax, conv2d and conv-transpose2d at DCGAN-on-MNIST shapes, attention,
// reductions, elementwise chains, RNG) and one training step of each model (MLP, VAE, DCGAN, GPT's
// CPU configuration, one GMM EM iteration). Each case carries its host inputs, a float64 reference,
// gengpu's implementations (the automatic choice, plus each numbered kernel variant where there
// is a ladder) and the operation the peers are asked for. runSuites checks every library's result
// before timing it; a peer that cannot run a case gets an "n/a" row with the reason.

import * as gg from '../src/index.js';
import { scaledDotProductAttention } from '../src/ops/attention.js';
import { GaussianMixture } from '../src/models/gmm.js';
import {
  HostRandom, NotAvailable, checkAgainst, samplePositions, timeIterations, unravel,
  type HostTensor, type PeerLibrary, type PeerOp, type Prepared, type Reference, type ResultRow, type TimingOptions,
} from './harness.js';
import type { EnvironmentReport } from './report.js';
import { settle } from './timing.js';

interface GengpuImpl {
  library: string;
  role: 'gengpu' | 'variant';
  prepare(): Prepared;
}

interface Case {
  suite: string;
  name: string;
  unit: 'GFLOPS' | 'GB/s' | 'µs/op';
  /** Floating-point operations, bytes or ops per repetition, for the throughput column. */
  work: number;
  /** Repetitions per timed iteration (small cases repeat to amortise the readback). */
  reps: number;
  reference(): Reference;
  gengpu: GengpuImpl[];
  /** What the peers run; a string is the reason they cannot. */
  peer: PeerOp | string;
  /** Peers are checked against gengpu's checked result (training steps: both losses). */
  peersMatchGengpu?: boolean;
}

export interface SuiteOptions extends TimingOptions {
  /** package.json's version, for the report. */
  gengpuVersion: string;
  /** Only the suites whose names contain one of these (all when empty). */
  only: string[];
  log(line: string): void;
}

// ---- running gengpu ------------------------------------------------------------------------------

/** A gengpu case from a function recording one repetition and returning its result. */
function gengpuCase(record: () => gg.Tensor, reps: number, inputs: gg.Tensor[]): Prepared {
  let fastest = Infinity;
  return {
    async check() {
      const t = gg.scope(record);
      const values = await t.data();
      t.dispose();
      return values;
    },
    async iterate() {
      const start = performance.now();
      const last = gg.scope(() => {
        let t = record();
        for (let i = 1; i < reps; i++) {
          t.dispose();
          t = record();
        }
        return t;
      });
      await settle(last, start, Number.isFinite(fastest) ? fastest * 0.8 : 0);
      last.dispose();
      fastest = Math.min(fastest, performance.now() - start);
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

const upload = (t: HostTensor) => gg.tensor(t.data, t.shape);

// ---- float64 references --------------------------------------------------------------------------

const at = (t: HostTensor, ...index: number[]) => {
  let flat = 0;
  for (let d = 0; d < index.length; d++) flat = flat * t.shape[d] + index[d];
  return t.data[flat];
};

/** (Batched) matmul at sampled output positions. */
function matmulReference(a: HostTensor, b: HostTensor): Reference {
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.shape.length - 1];
  const batch = a.shape.length === 3 ? a.shape[0] : 1;
  const positions = samplePositions(batch * M * N);
  const values = positions.map((p) => {
    const [z, m, n] = unravel(p, [batch, M, N]);
    let s = 0;
    for (let k = 0; k < K; k++) s += a.data[(z * M + m) * K + k] * b.data[(z * K + k) * N + n];
    return s;
  });
  return { values: Float64Array.from(values), at: positions, tolerance: 1e-4 };
}

/** PyTorch's conv2d ([N, C, H, W] with weight [O, C, kH, kW]) at sampled output positions. */
function conv2dReference(x: HostTensor, w: HostTensor, stride: number, padding: number): Reference {
  const [batch, channels, H, W] = x.shape;
  const [O, , kH, kW] = w.shape;
  const outH = Math.floor((H + 2 * padding - kH) / stride) + 1;
  const outW = Math.floor((W + 2 * padding - kW) / stride) + 1;
  const positions = samplePositions(batch * O * outH * outW);
  const values = positions.map((p) => {
    const [n, o, i, j] = unravel(p, [batch, O, outH, outW]);
    let s = 0;
    for (let c = 0; c < channels; c++) {
      for (let u = 0; u < kH; u++) {
        for (let v = 0; v < kW; v++) {
          const y = i * stride - padding + u;
          const xCol = j * stride - padding + v;
          if (y >= 0 && y < H && xCol >= 0 && xCol < W) s += at(x, n, c, y, xCol) * at(w, o, c, u, v);
        }
      }
    }
    return s;
  });
  return { values: Float64Array.from(values), at: positions, tolerance: 1e-4 };
}

/** PyTorch's conv_transpose2d (weight [C, O, kH, kW]) at sampled output positions. */
function convTranspose2dReference(x: HostTensor, w: HostTensor, stride: number, padding: number): Reference {
  const [batch, channels, H, W] = x.shape;
  const [, O, kH, kW] = w.shape;
  const outH = (H - 1) * stride - 2 * padding + kH;
  const outW = (W - 1) * stride - 2 * padding + kW;
  const positions = samplePositions(batch * O * outH * outW);
  const values = positions.map((p) => {
    const [n, o, i, j] = unravel(p, [batch, O, outH, outW]);
    let s = 0;
    for (let c = 0; c < channels; c++) {
      for (let u = 0; u < kH; u++) {
        for (let v = 0; v < kW; v++) {
          const yNum = i + padding - u;
          const xNum = j + padding - v;
          if (yNum % stride !== 0 || xNum % stride !== 0) continue;
          const y = yNum / stride;
          const xCol = xNum / stride;
          if (y >= 0 && y < H && xCol >= 0 && xCol < W) s += at(x, n, c, y, xCol) * at(w, c, o, u, v);
        }
      }
    }
    return s;
  });
  return { values: Float64Array.from(values), at: positions, tolerance: 1e-4 };
}

/** Causal softmax(q kᵀ / sqrt(D)) v over [B, H, T, D] at sampled output positions. */
function attentionReference(q: HostTensor, k: HostTensor, v: HostTensor): Reference {
  const [B, H, T, D] = q.shape;
  const positions = samplePositions(B * H * T * D);
  const values = positions.map((p) => {
    const [b, h, t, d] = unravel(p, [B, H, T, D]);
    const scores: number[] = [];
    for (let j = 0; j <= t; j++) {
      let s = 0;
      for (let e = 0; e < D; e++) s += at(q, b, h, t, e) * at(k, b, h, j, e);
      scores.push(s / Math.sqrt(D));
    }
    const top = Math.max(...scores);
    const weights = scores.map((s) => Math.exp(s - top));
    const total = weights.reduce((p, q2) => p + q2, 0);
    return weights.reduce((sum, wj, j) => sum + (wj / total) * at(v, b, h, j, d), 0);
  });
  return { values: Float64Array.from(values), at: positions, tolerance: 1e-4 };
}

function softmaxReference(x: HostTensor): Reference {
  const [rows, cols] = x.shape;
  const values = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let top = -Infinity;
    for (let c = 0; c < cols; c++) top = Math.max(top, x.data[r * cols + c]);
    let total = 0;
    for (let c = 0; c < cols; c++) total += (values[r * cols + c] = Math.exp(x.data[r * cols + c] - top));
    for (let c = 0; c < cols; c++) values[r * cols + c] /= total;
  }
  return { values, tolerance: 1e-5 };
}

function rowSumReference(x: HostTensor): Reference {
  const [rows, cols] = x.shape;
  const values = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r] += x.data[r * cols + c];
  return { values, tolerance: 1e-5 };
}

// ---- cases ---------------------------------------------------------------------------------------

/** Repetitions so that one iteration does about `target` units of work (at least one). */
const repsFor = (work: number, target: number) => Math.max(1, Math.round(target / work));

function matmulCase(suite: string, name: string, aShape: number[], bShape: number[], random: HostRandom, ladder: boolean): Case {
  const a = random.uniform(aShape);
  const b = random.uniform(bShape);
  const [M, K] = aShape.slice(-2);
  const N = bShape[bShape.length - 1];
  const batch = aShape.length === 3 ? aShape[0] : 1;
  const flops = 2 * batch * M * N * K;
  const reps = repsFor(flops, 2 ** 28);
  const impl = (variant: gg.MatmulVariant | undefined): GengpuImpl => ({
    library: variant ? `gengpu ${gg.matmulVariantSpecs[variant].shader.name}` : `gengpu (auto: ${gg.chooseMatmulVariant(M, N, K)})`,
    role: variant ? 'variant' : 'gengpu',
    prepare() {
      const [ga, gb] = [upload(a), upload(b)];
      return gengpuCase(() => gg.matmul(ga, gb, { variant }), reps, [ga, gb]);
    },
  });
  const variants = ladder ? gg.matmulVariants.filter((v) => !gg.matmulVariantSpecs[v].subgroups || gg.runtime().hasSubgroups) : [];
  return {
    suite, name, unit: 'GFLOPS', work: flops, reps,
    reference: () => matmulReference(a, b),
    gengpu: [impl(undefined), ...variants.map(impl)],
    peer: { kind: 'matmul', a, b },
  };
}

function convCases(batch: number, random: HostRandom): Case[] {
  // Discriminator convolutions and generator transposed convolutions of the DCGAN row below.
  const shapes: { name: string; transposed: boolean; x: number[]; w: number[] }[] = [
    { name: 'D conv1 1->64, 28x28 -> 14x14', transposed: false, x: [batch, 1, 28, 28], w: [64, 1, 4, 4] },
    { name: 'D conv2 64->128, 14x14 -> 7x7', transposed: false, x: [batch, 64, 14, 14], w: [128, 64, 4, 4] },
    { name: 'G convT1 128->64, 7x7 -> 14x14', transposed: true, x: [batch, 128, 7, 7], w: [128, 64, 4, 4] },
    { name: 'G convT2 64->1, 14x14 -> 28x28', transposed: true, x: [batch, 64, 14, 14], w: [64, 1, 4, 4] },
  ];
  return shapes.map(({ name, transposed, x: xShape, w: wShape }) => {
    const x = random.uniform(xShape);
    const w = random.uniform(wShape, -0.1, 0.1);
    // Multiply-adds over the input (transposed) or output (direct) positions, two flops each.
    const flops = transposed
      ? 2 * xShape[0] * xShape[1] * xShape[2] * xShape[3] * wShape[1] * wShape[2] * wShape[3]
      : 2 * xShape[0] * (xShape[2] / 2) * (xShape[3] / 2) * wShape[0] * wShape[1] * wShape[2] * wShape[3];
    const reps = repsFor(flops, 2 ** 27);
    const options = { stride: 2, padding: 1 };
    return {
      suite: transposed ? 'conv-transpose2d' : 'conv2d',
      name: `${name} (batch ${batch}, 4x4 stride 2)`,
      unit: 'GFLOPS' as const, work: flops, reps,
      reference: () => (transposed ? convTranspose2dReference : conv2dReference)(x, w, 2, 1),
      gengpu: [undefined, ...gg.convVariants].map((variant, rung) => ({
        library: variant ? `gengpu conv ${rung}: ${variant}` : `gengpu (auto: ${gg.chooseConvVariant(transposed ? 'convTranspose2d' : 'conv2d', 1)})`,
        role: variant ? 'variant' as const : 'gengpu' as const,
        prepare() {
          const [gx, gw] = [upload(x), upload(w)];
          const forced = { ...options, variant };
          return gengpuCase(() => (transposed ? gg.convTranspose2d(gx, gw, null, forced) : gg.conv2d(gx, gw, null, forced)), reps, [gx, gw]);
        },
      })),
      peer: { kind: transposed ? 'convTranspose2d' : 'conv2d', x, w, stride: 2, padding: 1 },
    };
  });
}

/** The discriminator's second convolution's weight gradient (gengpu's ladder; the peers' run inside their training steps). */
function weightGradCase(batch: number, random: HostRandom): Case {
  const x = random.uniform([batch, 64, 14, 14]);
  const dy = random.uniform([batch, 128, 7, 7]);
  const flops = 2 * batch * 7 * 7 * 128 * 64 * 16;
  const reps = repsFor(flops, 2 ** 27);
  return {
    suite: 'conv2d weight gradient', name: `D conv2 64->128, 14x14 -> 7x7 (batch ${batch}, 4x4 stride 2)`,
    unit: 'GFLOPS', work: flops, reps,
    reference() {
      const positions = samplePositions(128 * 64 * 16);
      const values = positions.map((p) => {
        const [o, c, u, v] = unravel(p, [128, 64, 4, 4]);
        let s = 0;
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < 7; i++) {
            for (let j = 0; j < 7; j++) {
              const [yy, xx] = [i * 2 - 1 + u, j * 2 - 1 + v];
              if (yy >= 0 && yy < 14 && xx >= 0 && xx < 14) s += at(x, n, c, yy, xx) * at(dy, n, o, i, j);
            }
          }
        }
        return s;
      });
      return { values: Float64Array.from(values), at: positions, tolerance: 1e-4 };
    },
    gengpu: [undefined, ...gg.convVariants].map((variant, rung) => ({
      library: variant ? `gengpu conv ${rung}: ${variant}` : `gengpu (auto: ${gg.chooseConvVariant('weightGrad', 1)})`,
      role: variant ? 'variant' as const : 'gengpu' as const,
      prepare() {
        const [gx, gdy] = [upload(x), upload(dy)];
        return gengpuCase(() => gg.conv2dWeightGrad(gx, gdy, 4, { stride: 2, padding: 1, variant }), reps, [gx, gdy]);
      },
    })),
    peer: 'weight gradients alone are not asked of the peers (they run inside the training steps)',
  };
}

function attentionCase(T: number, random: HostRandom): Case {
  const [B, H, D] = [4, 8, 64];
  const [q, k, v] = [0, 1, 2].map(() => random.uniform([B, H, T, D]));
  // q kᵀ and p v over the causal triangle (T (T + 1) / 2 pairs), two flops per multiply-add.
  const flops = 2 * 2 * B * H * D * ((T * (T + 1)) / 2);
  const reps = repsFor(flops, 2 ** 26);
  return {
    suite: 'attention', name: `causal, B=${B} H=${H} T=${T} Dh=${D}`, unit: 'GFLOPS', work: flops, reps,
    reference: () => attentionReference(q, k, v),
    gengpu: [{
      library: 'gengpu (fused flash kernel)', role: 'gengpu',
      prepare() {
        const [gq, gk, gv] = [upload(q), upload(k), upload(v)];
        return gengpuCase(() => scaledDotProductAttention(gq, gk, gv, { causal: true }), reps, [gq, gk, gv]);
      },
    }],
    peer: { kind: 'attention', q, k, v, causal: true },
  };
}

function softmaxCase(rows: number, cols: number, random: HostRandom): Case {
  const x = random.uniform([rows, cols], -4, 4);
  const bytes = 2 * 4 * rows * cols;
  const reps = repsFor(bytes, 2 ** 26);
  return {
    suite: 'softmax', name: `rows ${rows}x${cols}`, unit: 'GB/s', work: bytes, reps,
    reference: () => softmaxReference(x),
    gengpu: [{
      library: 'gengpu', role: 'gengpu',
      prepare() {
        const gx = upload(x);
        return gengpuCase(() => gg.softmax(gx, -1), reps, [gx]);
      },
    }],
    peer: { kind: 'softmax', x },
  };
}

function reductionCases(rows: number, cols: number, random: HostRandom): Case[] {
  const x = random.uniform([rows, cols]);
  const bytes = 4 * rows * cols;
  const reps = repsFor(bytes, 2 ** 26);
  const sumRows: Case = {
    suite: 'reductions', name: `sum over rows ${rows}x${cols} -> ${rows}`, unit: 'GB/s', work: bytes, reps,
    reference: () => rowSumReference(x),
    gengpu: [{
      library: 'gengpu', role: 'gengpu',
      prepare() {
        const gx = upload(x);
        return gengpuCase(() => gg.sum(gx, 1), reps, [gx]);
      },
    }],
    peer: { kind: 'sumRows', x },
  };
  const sumAll: Case = {
    suite: 'reductions', name: `sum of all ${rows * cols} values`, unit: 'GB/s', work: bytes, reps,
    reference: () => {
      let total = 0;
      for (const value of x.data) total += value;
      return { values: Float64Array.of(total), tolerance: 1e-4 };
    },
    gengpu: [{
      library: 'gengpu', role: 'gengpu',
      prepare() {
        const gx = upload(x);
        return gengpuCase(() => gg.sum(gx), reps, [gx]);
      },
    }],
    peer: { kind: 'sumAll', x },
  };
  return [sumRows, sumAll];
}

/** A chain of x + 1 ops: on a small vector it measures per-op overhead, on a large one bandwidth. */
function chainCase(size: number, length: number, random: HostRandom): Case {
  const x = random.uniform([size]);
  const perOp = size <= 4096;
  return {
    suite: 'elementwise chain',
    name: `${length} x (x + 1) on [${size}]${perOp ? ' (per-op overhead)' : ''}`,
    unit: perOp ? 'µs/op' : 'GB/s',
    work: perOp ? length : 2 * 4 * size * length,
    reps: 1,
    reference: () => ({ values: Float64Array.from(x.data, (v) => v + length), tolerance: 1e-6 }),
    gengpu: [
      {
        library: 'gengpu', role: 'gengpu',
        prepare() {
          const gx = upload(x);
          return gengpuCase(() => {
            let y = gx.add(1);
            for (let i = 1; i < length; i++) {
              const next = y.add(1);
              y.dispose();
              y = next;
            }
            return y;
          }, 1, [gx]);
        },
      },
      ...(perOp ? [{ library: 'raw WebGPU (the adapter\'s floor)', role: 'variant' as const, prepare: () => rawDispatchChain(x.data, length) }] : []),
    ],
    peer: { kind: 'addChain', x, length },
  };
}

/**
 * The same chain with no library at all: one `o = a + 1` pipeline and two bind groups made in advance,
 * then `length` dispatches ping-ponging between two buffers. What one dependent dispatch costs on this
 * adapter, the floor under every library's per-op figure.
 */
function rawDispatchChain(input: ArrayLike<number>, length: number): Prepared {
  const device = gg.runtime().device;
  const values = Float32Array.from(input);
  const code = `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&o)) { o[g.x] = a[g.x] + 1.0; }
}`;
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [0, 1].map(() => device.createBuffer({ size: values.byteLength, usage }));
  const bindGroups = [0, 1].map((k) =>
    device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buffers[k] } }, { binding: 1, resource: { buffer: buffers[1 - k] } }] }),
  );
  const run = async () => {
    device.queue.writeBuffer(buffers[0], 0, values);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < length; i++) {
      pass.setBindGroup(0, bindGroups[i % 2]);
      pass.dispatchWorkgroups(Math.ceil(values.length / 64));
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  return {
    async check() {
      await run();
      const staging = device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffers[length % 2], 0, staging, 0, values.byteLength);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return result;
    },
    iterate: run,
    dispose() {
      for (const buffer of buffers) buffer.destroy();
    },
  };
}

function rngCase(size: number): Case {
  const bytes = 4 * size;
  const reps = repsFor(bytes, 2 ** 26);
  const generator = new gg.Generator(5);
  return {
    suite: 'rng', name: `uniform [0, 1), ${size} values`, unit: 'GB/s', work: bytes, reps,
    // Not values but moments: a uniform sample's mean and variance, within 5 standard errors.
    reference: () => ({ values: Float64Array.of(0.5, 1 / 12), tolerance: 5 * Math.sqrt(1 / 12 / size) * 2 }),
    gengpu: [{
      library: 'gengpu (Philox)', role: 'gengpu',
      prepare: () => gengpuCase(() => gg.uniform([size], 0, 1, { generator }), reps, []),
    }],
    peer: { kind: 'uniform', size },
  };
}

/** The mean and variance of a sample: what the RNG rows are checked on. */
export function moments(values: ArrayLike<number>): number[] {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += (values[i] - mean) ** 2;
  return [mean, variance / values.length];
}

// ---- training steps ------------------------------------------------------------------------------

/** A gengpu training step: check() takes two steps and returns both losses; iterate() takes one. */
function trainingCase(step: () => gg.Tensor, cleanup: () => void): Prepared {
  let fastest = Infinity;
  return {
    async check() {
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const loss = gg.scope(step);
        losses.push(await loss.item());
        loss.dispose();
      }
      return losses;
    },
    async iterate() {
      const start = performance.now();
      const loss = gg.scope(step);
      await settle(loss, start, Number.isFinite(fastest) ? fastest * 0.8 : 0);
      loss.dispose();
      fastest = Math.min(fastest, performance.now() - start);
    },
    dispose: cleanup,
  };
}

/** Host weights of Linear layers in PyTorch layout ([out, in] then [out]), PyTorch's default init. */
function linearWeights(sizes: number[], random: HostRandom): HostTensor[] {
  const weights: HostTensor[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    weights.push(random.uniform([sizes[i + 1], sizes[i]], -bound, bound), random.uniform([sizes[i + 1]], -bound, bound));
  }
  return weights;
}

/** x W1ᵀ + b1 -> ReLU -> ... (the last layer without ReLU), in float64: [rows, out]. */
function mlpForward64(weights: HostTensor[], x: HostTensor, reluAfterLast = false): Float64Array {
  const rows = x.shape[0];
  let h = Float64Array.from(x.data);
  let width = x.shape[1];
  for (let l = 0; l < weights.length; l += 2) {
    const [w, b] = [weights[l], weights[l + 1]];
    const out = w.shape[0];
    const next = new Float64Array(rows * out);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < out; o++) {
        let s = b.data[o];
        for (let i = 0; i < width; i++) s += h[r * width + i] * w.data[o * width + i];
        next[r * out + o] = l + 2 < weights.length || reluAfterLast ? Math.max(0, s) : s;
      }
    }
    h = next;
    width = out;
  }
  return h;
}

function loadLinears(layers: gg.nn.Linear[], weights: HostTensor[]): void {
  gg.noGrad(() => layers.forEach((layer, i) => {
    for (const [target, source] of [[layer.weight, weights[2 * i]], [layer.bias!, weights[2 * i + 1]]] as const) {
      const t = upload(source);
      target.assign(t);
      t.dispose();
    }
  }));
}

function mlpCase(random: HostRandom): Case {
  const sizes = [784, 256, 256, 10];
  const batch = 128;
  const weights = linearWeights(sizes, random);
  const x = random.uniform([batch, 784], 0, 1);
  const labels = Int32Array.from({ length: batch }, () => random.int(10));
  const flops = 3 * 2 * batch * (784 * 256 + 256 * 256 + 256 * 10);
  return {
    suite: 'training step', name: `MLP 784-256-256-10, batch ${batch}, Adam`, unit: 'GFLOPS', work: flops, reps: 1,
    reference() {
      const logits = mlpForward64(weights, x);
      let loss = 0;
      for (let r = 0; r < batch; r++) {
        const row = logits.subarray(r * 10, r * 10 + 10);
        const top = Math.max(...row);
        loss += top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0)) - row[labels[r]];
      }
      return { values: Float64Array.of(loss / batch), at: [0], tolerance: 1e-4 };
    },
    gengpu: [{
      library: 'gengpu', role: 'gengpu',
      prepare() {
        const layers = [0, 1, 2].map((i) => new gg.nn.Linear(sizes[i], sizes[i + 1]));
        loadLinears(layers, weights);
        const model = new gg.nn.Sequential(layers[0], new gg.nn.ReLU(), layers[1], new gg.nn.ReLU(), layers[2]);
        const optimizer = new gg.optim.Adam(model.parameters(), { lr: 1e-3 });
        const [gx, gy] = [upload(x), gg.tensor(labels, [batch], { dtype: 'i32' })];
        return trainingCase(() => {
          optimizer.zeroGrad();
          const loss = gg.nn.crossEntropy(model.forward(gx), gy);
          loss.backward();
          optimizer.step();
          return loss;
        }, () => [model, optimizer, gx, gy].forEach((t) => t.dispose()));
      },
    }],
    peer: { kind: 'mlpStep', weights, x, labels, lr: 1e-3 },
    peersMatchGengpu: true,
  };
}

function vaeCase(random: HostRandom): Case {
  const batch = 128;
  // fc1 784->400, fc21 and fc22 400->20 (mu, log-variance), fc3 20->400, fc4 400->784.
  const weights = [
    ...linearWeights([784, 400], random), ...linearWeights([400, 20], random), ...linearWeights([400, 20], random),
    ...linearWeights([20, 400], random), ...linearWeights([400, 784], random),
  ];
  const x = random.uniform([batch, 784], 0, 1);
  const eps = random.normal([batch, 20]);
  const flops = 3 * 2 * batch * (784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784);
  return {
    suite: 'training step', name: `VAE 784-400-20 (MLP), batch ${batch}, Adam`, unit: 'GFLOPS', work: flops, reps: 1,
    reference() {
      const hidden = mlpForward64(weights.slice(0, 2), x, true);
      const hiddenT: HostTensor = { data: Float32Array.from(hidden), shape: [batch, 400] };
      const mu = mlpForward64(weights.slice(2, 4), hiddenT);
      const logVar = mlpForward64(weights.slice(4, 6), hiddenT);
      const z = mu.map((m, i) => m + Math.exp(0.5 * logVar[i]) * eps.data[i]);
      const logits = mlpForward64(weights.slice(6, 10), { data: Float32Array.from(z), shape: [batch, 20] });
      let loss = 0;
      // Bernoulli negative log-likelihood from logits (softplus(l) - x l) plus the Gaussian KL term.
      logits.forEach((l, i) => (loss += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - x.data[i] * l));
      mu.forEach((m, i) => (loss += -0.5 * (1 + logVar[i] - m * m - Math.exp(logVar[i]))));
      return { values: Float64Array.of(loss / batch), at: [0], tolerance: 1e-4 };
    },
    gengpu: [{
      library: 'gengpu (gg.models.MlpVae)', role: 'gengpu',
      prepare() {
        const vae = new gg.models.MlpVae({ inputDim: 784, hiddenDim: 400, latentDim: 20 });
        loadLinears([vae.fc1, vae.fc21, vae.fc22, vae.fc3, vae.fc4], weights);
        const optimizer = new gg.optim.Adam(vae.parameters(), { lr: 1e-3 });
        const [gx, ge] = [upload(x), upload(eps)];
        return trainingCase(() => {
          optimizer.zeroGrad();
          const { mu, logVar } = vae.encode(gx);
          const logits = vae.decode(mu.add(logVar.mul(0.5).exp().mul(ge)));
          const reconstruction = gg.nn.binaryCrossEntropyWithLogits(logits, gx, { reduction: 'sum' });
          const loss = reconstruction.add(gg.nn.klDivDiagonalGaussian(mu, logVar, { reduction: 'sum' })).mul(1 / batch);
          loss.backward();
          optimizer.step();
          return loss;
        }, () => [vae, optimizer, gx, ge].forEach((t) => t.dispose()));
      },
    }],
    peer: { kind: 'vaeStep', weights, x, eps, lr: 1e-3 },
    peersMatchGengpu: true,
  };
}

const notWritten = 'not written for the peers in this harness';

/** Host weights of the DCGAN in the order of the dcganStep peer op (PyTorch's default init, BatchNorm 1 and 0). */
function dcganWeights(random: HostRandom): HostTensor[] {
  const layer = (weightShape: number[], fanIn: number, outputs: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [random.uniform(weightShape, -bound, bound), random.uniform([outputs], -bound, bound)];
  };
  const norm = (features: number) => [{ data: new Float32Array(features).fill(1), shape: [features] }, { data: new Float32Array(features), shape: [features] }];
  return [
    ...layer([128 * 7 * 7, 100], 100, 128 * 7 * 7), ...norm(128 * 7 * 7),
    // PyTorch's fan-in of a transposed convolution's weight [C, O, kH, kW] is O kH kW.
    ...layer([128, 64, 4, 4], 64 * 16, 64), ...norm(64),
    ...layer([64, 1, 4, 4], 16, 1),
    ...layer([64, 1, 4, 4], 16, 64), ...layer([128, 64, 4, 4], 64 * 16, 128), ...layer([1, 128 * 7 * 7], 128 * 7 * 7, 1),
  ];
}

function dcganCase(batch: number, random: HostRandom): Case {
  const latent = 100;
  const z = random.normal([batch, latent]);
  const real = random.uniform([batch, 1, 28, 28]);
  const weights = dcganWeights(random);
  return {
    suite: 'training step', name: `DCGAN on MNIST shapes, batch ${batch}: D step + G step, Adam`, unit: 'GFLOPS', work: 0, reps: 1,
    // A sanity reference: with BCE on logits near zero, the first discriminator loss (real + fake) is near 2 ln 2.
    reference: () => ({ values: Float64Array.of(2 * Math.LN2), at: [0], tolerance: 0.5 }),
    gengpu: [{
      library: 'gengpu (gg.nn layers)', role: 'gengpu',
      prepare() {
        const G = new gg.nn.Sequential(
          new gg.nn.Linear(latent, 128 * 7 * 7), new gg.nn.BatchNorm1d(128 * 7 * 7), new gg.nn.ReLU(),
        );
        const G2 = new gg.nn.Sequential(
          new gg.nn.ConvTranspose2d(128, 64, 4, { stride: 2, padding: 1 }), new gg.nn.BatchNorm2d(64), new gg.nn.ReLU(),
          new gg.nn.ConvTranspose2d(64, 1, 4, { stride: 2, padding: 1 }), new gg.nn.Tanh(),
        );
        const D = new gg.nn.Sequential(
          new gg.nn.Conv2d(1, 64, 4, { stride: 2, padding: 1 }), new gg.nn.LeakyReLU(0.2),
          new gg.nn.Conv2d(64, 128, 4, { stride: 2, padding: 1 }), new gg.nn.LeakyReLU(0.2),
          new gg.nn.Flatten(), new gg.nn.Linear(128 * 7 * 7, 1),
        );
        const parameters = [...G.parameters(), ...G2.parameters(), ...D.parameters()];
        gg.noGrad(() => parameters.forEach((p, i) => {
          if (p.shape.join() !== weights[i].shape.join()) throw new Error(`DCGAN parameter ${i}: [${p.shape}] is not [${weights[i].shape}]`);
          const t = upload(weights[i]);
          p.assign(t);
          t.dispose();
        }));
        const generate = (noise: gg.Tensor) => G2.forward(G.forward(noise).reshape([batch, 128, 7, 7]));
        const adam = { lr: 2e-4, betas: [0.5, 0.999] as const };
        const optD = new gg.optim.Adam(D.parameters(), adam);
        const optG = new gg.optim.Adam([...G.parameters(), ...G2.parameters()], adam);
        const [gz, gReal] = [upload(z), upload(real)];
        const [ones, zeros] = [gg.ones([batch, 1]), gg.zeros([batch, 1])];
        return trainingCase(() => {
          optD.zeroGrad();
          const fake = generate(gz);
          const lossD = gg.nn.binaryCrossEntropyWithLogits(D.forward(gReal), ones)
            .add(gg.nn.binaryCrossEntropyWithLogits(D.forward(fake.detach()), zeros));
          lossD.backward();
          optD.step();
          optG.zeroGrad();
          const lossG = gg.nn.binaryCrossEntropyWithLogits(D.forward(fake), ones);
          lossG.backward();
          optG.step();
          return lossD;
        }, () => [G, G2, D, optD, optG, gz, gReal, ones, zeros].forEach((t) => t.dispose()));
      },
    }],
    peer: { kind: 'dcganStep', weights, z, real, lr: 2e-4, beta1: 0.5 },
    peersMatchGengpu: true,
  };
}

function gptCase(random: HostRandom): Case {
  const config = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
  const batch = 12;
  const tokens = Int32Array.from({ length: batch * (config.blockSize + 1) }, () => random.int(config.vocabSize));
  const input = new Int32Array(batch * config.blockSize);
  const target = new Int32Array(batch * config.blockSize);
  for (let b = 0; b < batch; b++) {
    input.set(tokens.subarray(b * (config.blockSize + 1), b * (config.blockSize + 1) + config.blockSize), b * config.blockSize);
    target.set(tokens.subarray(b * (config.blockSize + 1) + 1, (b + 1) * (config.blockSize + 1)), b * config.blockSize);
  }
  // nanoGPT's estimate: 6 flops per parameter per token, plus attention.
  const parameters = config.nLayer * 12 * config.nEmbd ** 2;
  const flops = 6 * parameters * batch * config.blockSize + 6 * config.nLayer * batch * config.blockSize ** 2 * config.nEmbd;
  return {
    suite: 'training step', name: `GPT (nanoGPT CPU config: 4 layers, 4 heads, 128 wide, T=64), batch ${batch}, AdamW`,
    unit: 'GFLOPS', work: flops, reps: 1,
    // Small-std initial weights predict nearly uniformly: the first loss is close to ln(vocab).
    reference: () => ({ values: Float64Array.of(Math.log(config.vocabSize)), at: [0], tolerance: 0.05 }),
    gengpu: [{
      library: 'gengpu (gg.models.GPT)', role: 'gengpu',
      prepare() {
        const model = new gg.models.GPT(config, { generator: new gg.Generator(1337) });
        const optimizer = new gg.optim.AdamW(model.parameters(), { lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1 });
        const x = gg.tensor(input, [batch, config.blockSize], { dtype: 'i32' });
        const y = gg.tensor(target, [batch, config.blockSize], { dtype: 'i32' });
        return trainingCase(() => {
          optimizer.zeroGrad();
          const loss = gg.nn.crossEntropy(model.forward(x), y, { axis: -1 });
          loss.backward();
          gg.optim.clipGradNorm(model.parameters(), 1);
          optimizer.step();
          return loss;
        }, () => [model, optimizer, x, y].forEach((t) => t.dispose()));
      },
    }],
    peer: notWritten,
  };
}

function gmmCase(points: number, random: HostRandom): Case {
  const [D, K] = [16, 32];
  const centers = Array.from({ length: K }, () => Array.from({ length: D }, () => 12 * (random.next() - 0.5)));
  const data = new Float32Array(points * D);
  for (let n = 0; n < points; n++) {
    const k = random.int(K);
    for (let i = 0; i < D; i++) data[n * D + i] = centers[k][i] + 0.5 * Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  }
  const params = {
    weights: new Array<number>(K).fill(1 / K),
    means: centers.map((c) => c.map((v) => v + 0.1)),
    covariances: centers.map(() => new Array<number>(D).fill(0.3)),
  };
  return {
    suite: 'training step', name: `GMM one EM iteration, ${points} x ${D}, ${K} diagonal components`, unit: 'GFLOPS',
    work: 0, reps: 1,
    // The iteration reports the mean log-likelihood under the parameters it starts from: in float64 here.
    reference() {
      let total = 0;
      for (let n = 0; n < points; n++) {
        const terms = params.means.map((mean, k) => {
          let s = Math.log(params.weights[k]);
          for (let i = 0; i < D; i++) {
            const variance = params.covariances[k][i];
            s += -0.5 * (Math.log(2 * Math.PI * variance) + (data[n * D + i] - mean[i]) ** 2 / variance);
          }
          return s;
        });
        const top = Math.max(...terms);
        total += top + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - top), 0));
      }
      return { values: Float64Array.of(total / points), at: [0], tolerance: 1e-4 };
    },
    gengpu: [{
      library: 'gengpu (gg.models.GaussianMixture)', role: 'gengpu',
      prepare() {
        const x = gg.tensor(data, [points, D]);
        const mixture = () => new GaussianMixture({ nComponents: K, covarianceType: 'diag', warmStart: true, maxIter: 1, tol: 0 }).setParameters(params);
        return {
          async check() {
            const model = await mixture().fit(x);
            return [model.lowerBound];
          },
          async iterate() {
            await mixture().fit(x);
          },
          dispose: () => x.dispose(),
        };
      },
    }],
    peer: 'jax-js and TensorFlow.js have no Gaussian mixture; an EM iteration was not written for them here',
  };
}

/** Every case, in report order; `quick` keeps the first size of each suite. */
export function buildCases(quick: boolean): Case[] {
  const random = new HostRandom(2026);
  const pick = <T>(sizes: T[]) => (quick ? sizes.slice(0, 1) : sizes);
  const cases: Case[] = [];
  for (const n of pick([256, 512, 1024, 2048])) cases.push(matmulCase('matmul', `${n}x${n}x${n}`, [n, n], [n, n], random, true));
  if (!quick) {
    cases.push(matmulCase('matmul', 'transformer 4096x128 @ 128x128', [4096, 128], [128, 128], random, true));
    cases.push(matmulCase('matmul', 'transformer 64x768 @ 768x3072', [64, 768], [768, 3072], random, true));
  }
  for (const [b, n] of pick([[48, 64], [16, 256]])) cases.push(matmulCase('batched matmul', `${b} x ${n}x${n}x${n}`, [b, n, n], [b, n, n], random, false));
  for (const [rows, cols] of pick([[1024, 1024], [4096, 256]])) cases.push(softmaxCase(rows, cols, random));
  // The quick check runs the peers' slowest kernels, so it uses a smaller batch.
  const conv = convCases(quick ? 8 : 64, random);
  cases.push(...(quick ? [conv[0], conv[2]] : conv), weightGradCase(quick ? 8 : 64, random));
  for (const T of pick([64, 256])) cases.push(attentionCase(T, random));
  for (const [rows, cols] of pick([[1024, 1024], [4096, 1024]])) cases.push(...reductionCases(rows, cols, random));
  for (const size of pick([256, 1 << 20])) cases.push(chainCase(size, size <= 4096 ? 1000 : 16, random));
  for (const size of pick([1 << 22])) cases.push(rngCase(size));
  cases.push(mlpCase(random), vaeCase(random), dcganCase(quick ? 4 : 64, random), gptCase(random), gmmCase(quick ? 10_000 : 100_000, random));
  return cases;
}

const throughputOf = (c: Case, ms: number) =>
  c.work === 0 ? undefined : c.unit === 'µs/op' ? (ms * 1000) / c.work : c.unit === 'GFLOPS' ? c.work / (ms * 1e6) : c.work / (ms * 1e6);

/** Checks and times one prepared case; failures of a peer become n/a rows, gengpu's are fatal. */
async function measure(
  c: Case, library: string, role: ResultRow['role'], prepare: () => Promise<Prepared> | Prepared,
  reference: () => Reference, options: SuiteOptions,
): Promise<{ row: ResultRow; output?: ArrayLike<number> }> {
  const base = { suite: c.suite, case: c.name, library, role };
  let prepared: Prepared | undefined;
  try {
    prepared = await prepare();
    let output = await prepared.check();
    if (c.suite === 'rng') output = moments(output);
    const checkError = checkAgainst(`${c.suite} ${c.name} ${library}`, output, reference());
    if (options.quick) return { row: { ...base, checkError }, output };
    const timing = await timeIterations(prepared, options);
    const ms = { median: timing.median / c.reps, min: timing.min / c.reps, max: timing.max / c.reps, samples: timing.samples };
    return { row: { ...base, ms, throughput: throughputOf(c, ms.median), unit: c.work === 0 ? undefined : c.unit, checkError }, output };
  } catch (error) {
    if (role === 'gengpu' || role === 'variant' || !(error instanceof Error)) throw error;
    return { row: { ...base, notAvailable: error instanceof NotAvailable ? error.message : `failed: ${error.message.split('\n')[0]}` } };
  } finally {
    prepared?.dispose();
  }
}

/** Runs the cases: gengpu's implementations, then each peer, checking each before timing it. */
export async function runSuites(peers: PeerLibrary[], options: SuiteOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const cases = buildCases(options.quick).filter((c) => options.only.length === 0 || options.only.some((s) => `${c.suite} ${c.name}`.includes(s)));
  for (const [index, c] of cases.entries()) {
    const started = performance.now();
    let cached: Reference | undefined;
    const reference = () => (cached ??= c.reference());
    let gengpuOutput: ArrayLike<number> | undefined;
    for (const impl of c.gengpu) {
      const { row, output } = await measure(c, impl.library, impl.role, () => impl.prepare(), reference, options);
      if (impl.role === 'gengpu') gengpuOutput = output;
      rows.push(row);
    }
    for (const peer of peers) {
      const { peer: op } = c;
      if (typeof op === 'string') {
        rows.push({ suite: c.suite, case: c.name, library: peer.name, role: peer.kind, notAvailable: op });
        continue;
      }
      const peerReference = c.peersMatchGengpu && gengpuOutput
        ? () => ({ values: Float64Array.from(gengpuOutput!), tolerance: 2e-3 })
        : reference;
      rows.push((await measure(c, peer.name, peer.kind, () => peer.prepare(op, c.reps), peerReference, options)).row);
    }
    const done = rows.filter((r) => r.case === c.name && r.suite === c.suite);
    const summary = done.map((r) => `${r.library} ${r.ms ? `${r.ms.median.toFixed(r.ms.median < 1 ? 3 : 1)} ms` : r.notAvailable ? 'n/a' : 'checked'}`).join(', ');
    options.log(`[${index + 1}/${cases.length}] ${c.suite}: ${c.name} (${((performance.now() - started) / 1000).toFixed(1)} s) ${summary}`);
  }
  return rows;
}

/** Initialises gengpu, runs every suite with the given peers, and describes the environment. */
export async function runEnvironment(
  environment: string, userAgent: string, peers: PeerLibrary[], options: SuiteOptions,
): Promise<EnvironmentReport> {
  const rt = await gg.init();
  const info = rt.adapterInfo;
  const adapter = `${info.vendor} ${info.architecture} (${info.description || 'no description'})${info.isFallbackAdapter ? ', fallback adapter' : ''}, subgroups ${rt.hasSubgroups ? 'yes' : 'no'}`;
  options.log(`${environment}: ${adapter}; peers: ${peers.map((p) => p.name).join(', ') || 'none'}`);
  const rows = await runSuites(peers, options);
  return {
    environment, userAgent, adapter,
    libraries: [{ name: 'gengpu', version: options.gengpuVersion, kind: 'gengpu' }, ...peers.map((p) => ({ name: p.name, version: p.version, kind: p.kind }))],
    rows,
  };
}
