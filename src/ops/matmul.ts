// Matrix multiplication with torch.matmul's rules (1-D operands, batch dimensions broadcast NumPy
// style) and transposed operands read in place (`transA`, `transB`: the kernels take strides, so
// A·Bᵀ and Aᵀ·B cost no copy). Five kernel variants, a ladder from naive to fast, live in
// shaders/matmul_1..5_*.wgsl; `chooseMatmulVariant` picks one per shape and adapter, and
// `matmul(a, b, {variant})` forces one. The backward rule is written with matmul, so it is
// differentiable again. With fusion on, the product is computed when first needed (deferProduct in
// src/ops/fusion.ts), so that the elementwise ops reading it (bias, activation, residual, an
// activation's gradient) run in the kernel's store stage as its epilogue.

import { record } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor, checkFitsDevice, formatShape, shapeSize } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertDtype, assertRank, broadcastShapes, broadcastStrides, opError } from './shape.js';
import { reshape } from './movement.js';
import { zeros } from './creation.js';
import { tunedMatmulVariant } from './tuning.js';
import { deferProduct, type ProductLaunch } from './fusion.js';
import type { KernelBuffers } from '../gpu/runtime.js';
import * as wgsl from '../gpu/shaders.generated.js';
import type { Shader } from '../gpu/shaders.generated.js';

/**
 * The kernel variants, in ladder order (see each shader's header): naive, register-blocked,
 * workgroup-tiled (the GPUs' default), register-blocked with quad sharing (the fast one on
 * SwiftShader), and wide workgroup tiles with double-buffered panels (a GPU rung that `tune` can pick).
 */
export const matmulVariants = ['naive', 'blocked', 'tiled', 'quad', 'wide'] as const;
/** One of {@link matmulVariants}. */
export type MatmulVariant = (typeof matmulVariants)[number];

interface VariantSpec {
  shader: wgsl.Shader<wgsl.Matmul1NaiveParams, 'a' | 'b' | 'out'>;
  /** Outputs covered by one workgroup: rows (M) x columns (N). */
  tileRows: number;
  tileCols: number;
  /** Needs the adapter's 'subgroups' feature (quadBroadcast). */
  subgroups: boolean;
  summary: string;
}

/** How each variant is launched, and a one-line summary (the benchmark prints these). */
export const matmulVariantSpecs: Readonly<Record<MatmulVariant, VariantSpec>> = {
  naive: { shader: wgsl.matmul_1_naive, tileRows: 16, tileCols: 16, subgroups: false, summary: 'one invocation per output' },
  blocked: { shader: wgsl.matmul_2_blocked, tileRows: 64, tileCols: 64, subgroups: false, summary: '8x8 outputs per invocation in registers' },
  tiled: { shader: wgsl.matmul_3_tiled, tileRows: 64, tileCols: 64, subgroups: false, summary: '64x64 tiles staged in workgroup memory' },
  quad: { shader: wgsl.matmul_4_quad, tileRows: 32, tileCols: 64, subgroups: true, summary: '32x16 outputs per invocation, A shared by quadBroadcast' },
  wide: { shader: wgsl.matmul_5_wide, tileRows: 128, tileCols: 128, subgroups: false, summary: '128x128 tiles, 8x8 outputs per invocation, double-buffered panels' },
};

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Use the transpose of a's last two dimensions (ignored for a 1-D a: a vector is its own transpose). */
  transA?: boolean;
  /** Use the transpose of b's last two dimensions (ignored for a 1-D b). */
  transB?: boolean;
  /** Force a kernel variant (default: chooseMatmulVariant). */
  variant?: MatmulVariant;
}

/** The most workgroups a dispatch may have along one dimension. */
const MAX_GROUPS_PER_DIMENSION = 65535;

/** True on a CPU implementation of WebGPU (SwiftShader), where the register-blocked kernels win. */
export function isSoftwareAdapter(): boolean {
  const info = runtime().adapterInfo;
  return info.architecture === 'swiftshader' || info.isFallbackAdapter;
}

/**
 * The variant the automatic choice uses for an M x K by K x N product (per batch entry): the one
 * `tune` measured fastest on this adapter for the shape's class (src/ops/tuning.ts), else
 * {@link defaultMatmulVariant}'s.
 */
export function chooseMatmulVariant(M: number, N: number, K: number): MatmulVariant {
  return tunedMatmulVariant(M, N, K) ?? defaultMatmulVariant(M, N, K);
}

/**
 * The hand-picked variant for an M x K by K x N product, used where nothing was tuned. On
 * SwiftShader, workgroup memory loses, so the register-blocked kernels are used: the quad kernel
 * from 16 rows on (measured: it beats the 8 x 8 blocked kernel even with half its 32-row tile
 * idle, and at any N), the blocked one for fewer rows. On GPUs, the workgroup-tiled kernel for
 * large matrices, the naive one (most parallel) for small ones.
 */
export function defaultMatmulVariant(M: number, N: number, K: number): MatmulVariant {
  if (isSoftwareAdapter()) {
    return runtime().hasSubgroups && M >= 16 ? 'quad' : 'blocked';
  }
  return M >= 64 && N >= 64 && K >= 16 ? 'tiled' : 'naive';
}

/** The product of A (M x K, per batch entry) and B (K x N) as laid out in memory, described for the kernels. */
interface Product {
  M: number;
  N: number;
  K: number;
  /** Element strides of A(m, k) and B(k, n) inside one matrix. */
  aStrideM: number;
  aStrideK: number;
  bStrideK: number;
  bStrideN: number;
  /** Output batch dimensions and each operand's element strides over them (0 where broadcast). */
  batchShape: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
}

/**
 * Records the dispatches of `product` with `kernel` (the variant's shader, or an epilogue made from it,
 * with the Params fields, constants and buffers it adds), split when a grid dimension exceeds the limit.
 */
function launchMatmul(spec: VariantSpec, product: Product, kernel: Parameters<ProductLaunch['run']>[1] & { shader: Shader }): void {
  const { M, N, K, batchShape } = product;
  const batch = shapeSize(batchShape);
  const groupsX = Math.ceil(N / spec.tileCols);
  const groupsY = Math.ceil(M / spec.tileRows);
  const step = MAX_GROUPS_PER_DIMENSION;
  for (let z = 0; z < batch; z += step) {
    for (let y = 0; y < groupsY; y += step) {
      for (let x = 0; x < groupsX; x += step) {
        runtime().dispatch({
          shader: kernel.shader,
          constants: kernel.constants,
          params: {
            M,
            N,
            K,
            batch_rank: batchShape.length,
            a_stride_m: product.aStrideM,
            a_stride_k: product.aStrideK,
            b_stride_k: product.bStrideK,
            b_stride_n: product.bStrideN,
            tile_offset: [x, y, z],
            batch_shape: batchShape,
            a_batch_strides: product.aBatchStrides,
            b_batch_strides: product.bBatchStrides,
            ...kernel.params,
          },
          buffers: kernel.buffers as KernelBuffers,
          workgroups: [Math.min(step, groupsX - x), Math.min(step, groupsY - y), Math.min(step, batch - z)],
        });
      }
    }
  }
}

function checkVariant(variant: MatmulVariant, a: Tensor, b: Tensor): void {
  const spec = matmulVariantSpecs[variant];
  if (!spec) throw opError('matmul', `unknown variant '${variant}'; expected one of ${matmulVariants.join(', ')}`, [a, b]);
  if (spec.subgroups && !runtime().hasSubgroups) {
    throw opError('matmul', `variant '${variant}' needs the 'subgroups' feature, which this adapter does not offer`, [a, b]);
  }
}

/** matmul for operands of rank >= 2: the recorded op that the 1-D cases reshape into. */
function matmulMatrices(a: Tensor, b: Tensor, transA: boolean, transB: boolean, variant: MatmulVariant | undefined): Tensor {
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const [M, K] = transA ? [aCols, aRows] : [aRows, aCols];
  const [bK, N] = transB ? [bCols, bRows] : [bRows, bCols];
  if (K !== bK) {
    const aDescribed = `a ${formatShape(a.shape)}${transA ? ' (transposed)' : ''} is ${M} x ${K}`;
    const bDescribed = `b ${formatShape(b.shape)}${transB ? ' (transposed)' : ''} is ${bK} x ${N}`;
    throw opError('matmul', `inner dimensions differ: ${aDescribed} but ${bDescribed} (${K} != ${bK})`, [a, b]);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matmul', aBatch, bBatch);
  } catch {
    throw opError('matmul', `batch dimensions ${formatShape(aBatch)} and ${formatShape(bBatch)} cannot be broadcast together`, [a, b]);
  }
  const shape = [...batchShape, M, N];
  checkFitsDevice('matmul', shape, 'f32');
  let out: Tensor;
  if (shapeSize(shape) === 0 || K === 0) {
    out = K === 0 ? zeros(shape) : Tensor.empty(shape);
  } else {
    const strides = {
      aStrideM: transA ? 1 : K, aStrideK: transA ? M : 1,
      bStrideK: transB ? 1 : N, bStrideN: transB ? K : 1,
    };
    // With one B for the whole batch and A not transposed, the batch of A is one tall matrix.
    const foldBatch = shapeSize(bBatch) === 1 && !transA;
    const product: Product = foldBatch
      ? { M: M * shapeSize(batchShape), N, K, ...strides, batchShape: [], aBatchStrides: [], bBatchStrides: [] }
      : {
          M, N, K, ...strides, batchShape,
          aBatchStrides: broadcastStrides(aBatch, batchShape).map((s) => s * M * K),
          bBatchStrides: broadcastStrides(bBatch, batchShape).map((s) => s * K * N),
        };
    const spec = matmulVariantSpecs[variant ?? chooseMatmulVariant(product.M, N, K)];
    const launch: ProductLaunch = { shader: spec.shader, run: (shader, kernel) => launchMatmul(spec, product, { shader, ...kernel }) };
    // With fusion on, the product waits for its first use, so that elementwise ops on it can be its epilogue.
    const deferred = deferProduct(shape, [a, b], launch);
    if (deferred) {
      out = deferred;
    } else {
      out = Tensor.empty(shape);
      launch.run(spec.shader, { params: {}, constants: {}, buffers: { a: a.buffer, b: b.buffer, out: out.buffer } });
    }
  }
  return record('matmul', [a, b], out, (g) => [
    a.requiresGrad ? gradA(g, b, transA, transB, variant) : null,
    b.requiresGrad ? gradB(g, a, b, transA, transB, variant) : null,
  ]);
}

/** dA for C = op(A) op(B): dC op(B)ᵀ, or its transpose when A was read transposed. */
function gradA(g: Tensor, b: Tensor, transA: boolean, transB: boolean, variant?: MatmulVariant): Tensor {
  return transA ? matmul(b, g, { transA: transB, transB: true, variant }) : matmul(g, b, { transB: !transB, variant });
}

/**
 * dB for C = op(A) op(B): op(A)ᵀ dC, or its transpose when B was read transposed, summed over the
 * batch dimensions B was broadcast along. When B is a single matrix and A is a whole batch (a
 * linear layer on [batch, ..., features]), the batch folds into the shared dimension instead: one
 * product of the stacked matrices, no [batch, K, N] intermediate and no reduction.
 */
function gradB(g: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean, variant?: MatmulVariant): Tensor {
  const batch = shapeSize(g.shape.slice(0, -2));
  if (shapeSize(b.shape.slice(0, -2)) === 1 && !transA && shapeSize(a.shape.slice(0, -2)) === batch && batch > 1) {
    const aStack = reshape(a, [-1, a.shape[a.rank - 1]]);
    const gStack = reshape(g, [-1, g.shape[g.rank - 1]]);
    const grad = transB ? matmul(gStack, aStack, { transA: true, variant }) : matmul(aStack, gStack, { transA: true, variant });
    return reshape(grad, b.shape);
  }
  // At g's batch shape; where b was broadcast over batches, backward sums it down to b's shape.
  return transB ? matmul(g, a, { transA: true, transB: transA, variant }) : matmul(a, g, { transA: !transA, variant });
}

/**
 * The matrix product of `a` and `b`, as torch.matmul: 1-D operands are vectors (a row on the left,
 * a column on the right, and that dimension is dropped from the result); operands of rank >= 2 are
 * batches of matrices over their last two dimensions, and the batch dimensions broadcast.
 * `transA` / `transB` use the transpose of an operand's last two dimensions without copying it.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  a.assertAlive('matmul');
  b.assertAlive('matmul');
  assertDtype('matmul', a, ['f32']);
  assertDtype('matmul', b, ['f32']);
  assertRank('matmul', a);
  assertRank('matmul', b);
  if (a.rank === 0 || b.rank === 0) {
    throw opError('matmul', 'both operands need at least 1 dimension (use mul for a scalar factor)', [a, b]);
  }
  if (options.variant !== undefined) checkVariant(options.variant, a, b);
  if (a.rank >= 2 && b.rank >= 2) return matmulMatrices(a, b, options.transA ?? false, options.transB ?? false, options.variant);

  // A vector becomes a 1-row (left) or 1-column (right) matrix, and that dimension leaves the result.
  const kA = a.rank === 1 ? a.shape[0] : a.shape[a.rank - (options.transA ? 2 : 1)];
  const kB = b.rank === 1 ? b.shape[0] : b.shape[b.rank - (options.transB ? 1 : 2)];
  if (kA !== kB) {
    throw opError('matmul', `inner dimensions differ (${kA} != ${kB}); a 1-D operand is a row vector on the left, a column vector on the right`, [a, b]);
  }
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  let product: Tensor;
  try {
    product = matmulMatrices(a2, b2, a.rank === 1 ? false : (options.transA ?? false), b.rank === 1 ? false : (options.transB ?? false), options.variant);
  } catch (error) {
    for (const t of [a2, b2]) if (t !== a && t !== b) t.dispose();
    throw error;
  }
  const shape = product.shape.filter((_, i) => !(a.rank === 1 && i === product.rank - 2) && !(b.rank === 1 && i === product.rank - 1));
  const result = reshape(product, shape);
  if (!result.requiresGrad) {
    // Nothing records these views, so they can go now (they only hold references to buffers).
    for (const t of [a2, b2, product]) if (t !== a && t !== b) t.dispose();
  }
  return result;
}

declare module '../tensor.js' {
  interface Tensor {
    /** The matrix product (see matmul). */
    matmul(other: Tensor, options?: MatmulOptions): Tensor;
  }
}

defineMethods({ matmul });
