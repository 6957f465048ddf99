// Weights stored in half precision, computed with in f32: a u32 tensor whose words each pack two
// IEEE halves (element 2j in the low 16 bits, the order of a Uint16Array seen as u32s), half the
// memory of f32 for a large model's weights. WGSL's core unpack2x16float widens them in the kernels,
// so every adapter runs them; no shader-f16 feature is needed. The engine has no f16 dtype: these
// ops are the whole of the support, for inference (no gradients), as GPT-2's f16 weights need them.
//   toHalfBits / halfTensor   f32 values to halves on the host, rounded to nearest even (as torch's .half());
//   unpackHalves              packed halves widened to f32 on the GPU (shaders/half_unpack.wgsl);
//   linearHalf                x · wᵀ (+ bias) with w packed: read as halves for a few rows
//                             (shaders/matmul_half.wgsl), widened once for many.

import { composite, isGradEnabled } from '../autograd.js';
import { runtime } from '../context.js';
import * as wgsl from '../gpu/shaders.generated.js';
import { Tensor, checkFitsDevice, formatShape, shapeSize } from '../tensor.js';
import { add } from './elementwise.js';
import { matmul } from './matmul.js';
import { tensor } from './creation.js';
import { assertDtype, grid1d, opError } from './shape.js';

const f32Scratch = new Float32Array(1);
const bitsScratch = new Uint32Array(f32Scratch.buffer);

/** The IEEE half nearest to x (ties to even; beyond the largest half, infinity), as its 16 bits. NaN stays NaN. */
function halfBitsOf(x: number): number {
  f32Scratch[0] = x;
  const bits = bitsScratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0); // NaN (quiet) or infinity
  const e = exponent - 127 + 15; // the half's biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e < -10) return sign; // below half the smallest subnormal half: rounds to zero
  // A normal half keeps the top 10 mantissa bits; a subnormal one (e <= 0) fewer, its leading 1 made explicit.
  const significand = e > 0 ? mantissa : mantissa | 0x800000;
  const shift = e > 0 ? 13 : 14 - e;
  const kept = (e > 0 ? e << 10 : 0) | (significand >>> shift);
  const dropped = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  // A carry out of the mantissa moves into the exponent, up to infinity: the bit layout makes that exact.
  return sign | (dropped > half || (dropped === half && (kept & 1) === 1) ? kept + 1 : kept);
}

/** Each value as the nearest IEEE half's bits (ties to even, overflow to infinity, NaN kept), as torch's .half(). */
export function toHalfBits(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = halfBitsOf(values[i]);
  return out;
}

/**
 * A u32 tensor of packed halves from f32 values of `shape` (last dimension even): shape [..., K]
 * gives [..., K / 2]. Values round to the nearest half (see toHalfBits); `halves` already holding
 * half bits (an F16 file's) are taken as they are.
 */
export function halfTensor(values: ArrayLike<number> | Uint16Array, shape: readonly number[], { halves = false }: { halves?: boolean } = {}): Tensor {
  const last = shape[shape.length - 1];
  if (shape.length === 0 || last % 2 !== 0 || values.length !== shapeSize(shape)) {
    throw new Error(`halfTensor: expected ${shapeSize(shape)} values of a shape whose last dimension is even, got ${values.length} values for ${formatShape(shape)}`);
  }
  const bits = halves ? (values as Uint16Array) : toHalfBits(values);
  const words = new Uint32Array(bits.buffer, bits.byteOffset, bits.length / 2);
  return tensor(bits.byteOffset % 4 === 0 ? words : new Uint32Array(Uint16Array.from(bits).buffer), [...shape.slice(0, -1), last / 2], { dtype: 'u32' });
}

/** Packed halves u32 [..., W] widened to f32 [..., 2W] (exactly: every half is an f32). */
export function unpackHalves(packed: Tensor): Tensor {
  packed.assertAlive('unpackHalves');
  assertDtype('unpackHalves', packed, ['u32']);
  if (packed.rank === 0) throw opError('unpackHalves', 'expected packed halves [..., W], got a scalar', [packed]);
  const shape = [...packed.shape.slice(0, -1), 2 * packed.shape[packed.rank - 1]];
  checkFitsDevice('unpackHalves', shape, 'f32');
  const out = Tensor.empty(shape, 'f32');
  if (packed.size > 0) {
    runtime().dispatch({ shader: wgsl.half_unpack, params: { words: packed.size }, buffers: { x: packed.buffer, out: out.buffer }, workgroups: grid1d(packed.size) });
  }
  return out;
}

/** The most workgroups a dispatch may have along one dimension. */
const MAX_GROUPS = 65535;
/** Outputs per workgroup of matmul_half along M and along N. */
const TILE = 32;
/**
 * From this many rows on, linearHalf widens the weight and uses matmul's f32 kernels: with 128 rows
 * they are several times faster than matmul_half (bench/kernels/half.ts), whose 4 x 4 blocks per
 * invocation share no tiles; with one row, reading half the bytes is the better deal.
 */
const WIDEN_FROM_ROWS = 16;

/**
 * F.linear with the weight in half precision: x [..., K] · wᵀ + bias, where `weight` packs the
 * [N, K] weight's halves as u32 [N, K / 2] (K even; see halfTensor) and bias is f32 [N] or null.
 * Returns f32 [..., N], computed in f32 from the widened halves. For inference: no gradient flows
 * (x that requires grad, with gradients on, is an error rather than a silently cut graph).
 */
export function linearHalf(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const op = 'linearHalf';
  const inputs = bias ? [x, weight, bias] : [x, weight];
  for (const t of inputs) t.assertAlive(op);
  assertDtype(op, x, ['f32']);
  assertDtype(op, weight, ['u32']);
  if (bias) assertDtype(op, bias, ['f32']);
  const K = x.shape[x.rank - 1];
  if (x.rank < 1 || weight.rank !== 2 || 2 * weight.shape[1] !== K) {
    throw opError(op, 'expected x [..., K] and a packed weight [N, K / 2] (K even)', inputs);
  }
  const N = weight.shape[0];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N)) throw opError(op, `expected a bias [${N}]`, inputs);
  if (isGradEnabled() && x.requiresGrad) throw opError(op, 'is for inference and records no gradient; call it inside noGrad', inputs);
  const M = shapeSize(x.shape.slice(0, -1));
  checkFitsDevice(op, [M, N], 'f32');
  // Few rows (a token being decoded) read the halves directly: the product waits on reading the
  // weight. Many rows (a prompt) widen it once into a temporary and take the fast f32 kernels.
  const product = () => (M < WIDEN_FROM_ROWS ? productHalf(x, weight, M, N, K) : matmul(x, unpackHalves(weight), { transB: true }));
  return composite(inputs, () => (bias ? add(product(), bias) : product()));
}

/** x [..., K] times the packed weight [N, K / 2], transposed: [..., N] (shaders/matmul_half.wgsl). */
function productHalf(x: Tensor, weight: Tensor, M: number, N: number, K: number): Tensor {
  const out = Tensor.empty([...x.shape.slice(0, -1), N], 'f32');
  if (out.size > 0) {
    const groupsX = Math.ceil(N / TILE);
    const groupsY = Math.ceil(M / TILE);
    for (let y = 0; y < groupsY; y += MAX_GROUPS) {
      for (let gx = 0; gx < groupsX; gx += MAX_GROUPS) {
        runtime().dispatch({
          shader: wgsl.matmul_half,
          params: { M, N, K, tile_x: gx, tile_y: y },
          buffers: { a: x.buffer, w: weight.buffer, out: out.buffer },
          workgroups: [Math.min(MAX_GROUPS, groupsX - gx), Math.min(MAX_GROUPS, groupsY - y), 1],
        });
      }
    }
  }
  return out;
}
