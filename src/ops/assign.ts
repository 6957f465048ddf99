// In-place update: copies another tensor's values into a tensor's buffer (ordered with the ops
// around it). This is how parameters change during training; views made by reshape see the change.

import { isGradEnabled } from '../autograd.js';
import { runtime } from '../context.js';
import { Tensor } from '../tensor.js';
import { defineMethods } from './methods.js';
import { opError, sameShape } from './shape.js';

/** target <- source (same shape and dtype), in place: bumps target's version (see Tensor.version). Returns target. */
export function assign(target: Tensor, source: Tensor): Tensor {
  target.assertAlive('assign');
  source.assertAlive('assign');
  if (!sameShape(target.shape, source.shape) || target.dtype !== source.dtype) {
    throw opError('assign', 'source and target must have the same shape and dtype', [target, source]);
  }
  if (isGradEnabled() && target.requiresGrad) {
    throw opError('assign', 'in-place update of a tensor that requires grad; do it inside noGrad()', [target]);
  }
  // An in-place write: a graph that saved `target` (or a view of it) can no longer use it for backward,
  // and pending tensors that read it compute their values before the copy.
  target.bumpVersion();
  if (target.buffer !== source.buffer && target.size > 0) {
    runtime().copy(source.buffer, 0, target.buffer, 0, target.size * 4);
  }
  return target;
}

declare module '../tensor.js' {
  interface Tensor {
    /** Copies `source`'s values into this tensor, in place. */
    assign(source: Tensor): Tensor;
  }
}

defineMethods({ assign });
