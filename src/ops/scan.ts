// Inclusive scans along one dimension: cumsum and cumprod, composed from slice, pad and the elementwise
// ops as a Hillis-Steele scan (log2(n) steps, each combining every element with the one `shift` places
// before it). Composed, their gradients are exact and differentiable again: cumsum's is the reversed
// cumsum of the incoming gradient, and cumprod's comes from the chain rule through products, never by
// dividing by the input, so zeros in the input get their true gradient.

import { composite } from '../autograd.js';
import { type Tensor } from '../tensor.js';
import { defineMethods } from './methods.js';
import { assertRank, normalizeAxis, opError } from './shape.js';
import { add, mul } from './elementwise.js';
import { pad, slice } from './indexing.js';
import { clone } from './movement.js';

/** y combined with itself shifted `shift` places along `axis` (the first `shift` places see `identity`). */
function shifted(y: Tensor, axis: number, shift: number, identity: number): Tensor {
  const n = y.shape[axis];
  const head = slice(y, axis, 0, n - shift);
  // torch.nn.functional.pad's order: pairs from the last dimension back to `axis`.
  const pads = new Array<number>(2 * (y.rank - axis)).fill(0);
  pads[2 * (y.rank - 1 - axis)] = shift;
  return pad(head, pads, identity);
}

function scan(name: string, x: Tensor, dim: number, combine: (a: Tensor, b: Tensor) => Tensor, identity: number): Tensor {
  x.assertAlive(name);
  assertRank(name, x);
  if (typeof dim !== 'number') throw opError(name, `dim must be a number, got ${String(dim)}`, [x]);
  const axis = normalizeAxis(name, dim, x.rank, x.shape);
  if (x.rank === 0 || x.shape[axis] <= 1) return clone(x);
  return composite([x], () => {
    let y = x;
    for (let shift = 1; shift < x.shape[axis]; shift *= 2) y = combine(y, shifted(y, axis, shift, identity));
    return y;
  });
}

/**
 * Running sum along `dim` (torch.cumsum): out[..., i, ...] = x[..., 0, ...] + ... + x[..., i, ...]. f32,
 * i32 or u32 (the result keeps the dtype). The gradient is the incoming one summed from the end back
 * (a reversed cumsum).
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  return scan('cumsum', x, dim, add, 0);
}

/**
 * Running product along `dim` (torch.cumprod): out[..., i, ...] = x[..., 0, ...] * ... * x[..., i, ...].
 * f32, i32 or u32 (the result keeps the dtype). The gradient goes through the products without dividing
 * by x, so it is exact where x has zeros too.
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  return scan('cumprod', x, dim, mul, 1);
}

declare module '../tensor.js' {
  interface Tensor {
    /** Running sum along `dim`. See {@link cumsum}. */
    cumsum(dim: number): Tensor;
    /** Running product along `dim`. See {@link cumprod}. */
    cumprod(dim: number): Tensor;
  }
}

defineMethods({ cumsum, cumprod });
