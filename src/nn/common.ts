// Helpers shared by the nn files: input checks whose errors name the layer or function, the shapes
// and the dtypes.

import { Tensor, formatShape } from '../tensor.js';
import { assertDtype, opError, sameShape } from '../ops/shape.js';

export { opError };

/** The tensors that are present, for error messages and graph inputs. */
export function present(tensors: readonly (Tensor | null)[]): Tensor[] {
  return tensors.filter((t): t is Tensor => t !== null);
}

/** Every tensor is alive and f32. */
export function checkFloat(op: string, tensors: readonly (Tensor | null)[]): void {
  for (const t of present(tensors)) {
    t.assertAlive(op);
    assertDtype(op, t, ['f32']);
  }
}

/** An optional per-feature tensor (a weight, a bias, a running statistic) has exactly `shape`. */
export function checkShapeOf(op: string, name: string, t: Tensor | null, shape: readonly number[], inputs: readonly (Tensor | null)[]): void {
  if (t && !sameShape(t.shape, shape)) {
    throw opError(op, `${name} must have shape ${formatShape(shape)}, got ${formatShape(t.shape)}`, present(inputs));
  }
}

/** A size given to a layer's constructor: a positive integer. */
export function checkPositiveInteger(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${value}`);
}

/** A probability such as dropout's p or label smoothing: a number in [0, 1]. */
export function checkProbability(op: string, name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`${op}: ${name} must be in [0, 1], got ${value}`);
}

/** A small positive constant such as eps: a finite number >= 0. */
export function checkNonNegative(op: string, name: string, value: number): void {
  if (!(value >= 0 && Number.isFinite(value))) throw new Error(`${op}: ${name} must be a finite number >= 0, got ${value}`);
}
