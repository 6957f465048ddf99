// Masking ops: tril and triu (keep one triangle of the last two dimensions) and maskedFill. Each is a
// `where` over a mask, so the gradient is the incoming one with the masked-out places zeroed, and NaN or
// infinity in a removed place is replaced rather than multiplied by zero (as PyTorch).

import { composite } from '../autograd.js';
import { Tensor } from '../tensor.js';
import { defineMethods } from './methods.js';
import { broadcastShapes, opError, sameShape } from './shape.js';
import { arange } from './creation.js';
import { le, ge, ne, sub, where } from './elementwise.js';
import { reshape } from './movement.js';

/**
 * The f32 mask of a [rows, cols] matrix that is 1 where column - row <= diagonal (lower) or
 * >= diagonal (upper).
 */
function triangleMask(rows: number, cols: number, diagonal: number, lower: boolean): Tensor {
  const r = reshape(arange(0, rows, 1, { dtype: 'i32' }), [rows, 1]);
  const c = reshape(arange(0, cols, 1, { dtype: 'i32' }), [1, cols]);
  const offset = sub(c, r);
  return lower ? le(offset, diagonal) : ge(offset, diagonal);
}

function triangle(name: string, x: Tensor, diagonal: number, lower: boolean): Tensor {
  x.assertAlive(name);
  if (x.rank < 2) throw opError(name, `needs at least 2 dimensions (the matrix is the last two), got rank ${x.rank}`, [x]);
  if (!Number.isInteger(diagonal)) throw opError(name, `diagonal must be an integer, got ${diagonal}`, [x]);
  const [rows, cols] = x.shape.slice(-2);
  return composite([x], () => where(triangleMask(rows, cols, diagonal, lower), x, 0));
}

/**
 * The lower triangle of the last two dimensions (torch.tril): x[..., i, j] where j - i <= diagonal, else 0.
 * diagonal 0 keeps the main diagonal, 1 one more above it, -1 starts one below. Any dtype; the gradient
 * is the incoming one on the kept triangle, 0 elsewhere.
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle('tril', x, diagonal, true);
}

/**
 * The upper triangle of the last two dimensions (torch.triu): x[..., i, j] where j - i >= diagonal, else 0.
 * diagonal 0 keeps the main diagonal, 1 starts one above it, -1 one below. Any dtype; the gradient is the
 * incoming one on the kept triangle, 0 elsewhere.
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle('triu', x, diagonal, false);
}

/**
 * `value` where `mask` is non-zero, else x (torch.Tensor.masked_fill): a mask of any dtype that
 * broadcasts to x's shape (the result has x's shape and dtype), and a number or a 0-d tensor of x's
 * dtype for the value. The gradient flows to x where it was kept, and to a tensor value summed over the
 * filled places.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  x.assertAlive('maskedFill');
  mask.assertAlive('maskedFill');
  if (!sameShape(broadcastShapes('maskedFill', x.shape, mask.shape), x.shape)) {
    throw opError('maskedFill', `mask must broadcast to x's shape ${`[${x.shape.join(', ')}]`}`, [x, mask]);
  }
  if (value instanceof Tensor) {
    value.assertAlive('maskedFill');
    if (value.rank !== 0 || value.dtype !== x.dtype) throw opError('maskedFill', `value must be a number or a 0-d tensor of x's dtype`, [x, mask, value]);
  }
  return composite([x, mask, value instanceof Tensor ? value : null], () => where(mask.dtype === 'f32' ? mask : ne(mask, 0), value, x));
}

declare module '../tensor.js' {
  interface Tensor {
    /** The lower triangle of the last two dimensions. See {@link tril}. */
    tril(diagonal?: number): Tensor;
    /** The upper triangle of the last two dimensions. See {@link triu}. */
    triu(diagonal?: number): Tensor;
    /** `value` where `mask` is non-zero, else this. See {@link maskedFill}. */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
  }
}

defineMethods({ tril, triu, maskedFill });
