// Checks of tensor values that report at the next read instead of syncing now: the kernel records a
// failure in the runtime's check flag (Runtime.deferredCheck) and the next read of any tensor throws
// the message. For methods that return tensors without reading the GPU but must still reject bad
// input (GaussianMixture.predict, HMM predict / predictProba, greedy sampling), and for training's
// NaN/Inf watch, which the optimizers' update kernels report through (nonFiniteCheck). Each check is
// one pass over the values, or none where a kernel that reads them anyway does it; nothing is allocated.

import { runtime } from '../context.js';
import type { BufferRef, DeferredCheck } from '../gpu/runtime.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { grid1d } from './shape.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Thrown when a loss, parameter or gradient first holds NaN or Inf. */
export class NonFiniteError extends Error {
  /** The first step at which a watched tensor held NaN or Inf. */
  readonly step: number;
  /** Which tensor: 'the loss', a watched name, or 'the gradient of' one. */
  readonly tensorName: string;
  constructor(step: number, tensorName: string) {
    super(nonFiniteMessage(tensorName, step));
    this.step = step;
    this.tensorName = tensorName;
    this.name = 'NonFiniteError';
  }
}

/**
 * A deferred check whose failure is a {@link NonFiniteError}: `tensorName` became NaN or Inf, at the step
 * the kernel records as the check's value. The optimizers' update kernels report through these. For a
 * kernel over several tensors, `nameAt` names the one at the place it reports (report_check_at's `where`).
 */
export function nonFiniteCheck(tensorName: string, nameAt?: (where: number) => string): DeferredCheck {
  return runtime().deferredCheck(nonFiniteMessage(tensorName, '{value}'), (_, step, where) => new NonFiniteError(step, nameAt ? nameAt(where) : tensorName));
}

/** NonFiniteError's message; with step '{value}', the deferred check's template of it. */
function nonFiniteMessage(tensorName: string, step: number | string): string {
  return `training stopped: ${tensorName} became NaN or Inf at step ${step}`;
}

/**
 * Launches shaders/finite_check.wgsl over f32 `x`: if x holds NaN or an infinity and `flag` (two u32, or
 * the runtime's check flag) is still 0, it records `record` (non-zero) and then `index`.
 */
export function recordNonFinite(x: Tensor, flag: BufferRef, record: number, index: number): void {
  if (x.size === 0) return;
  runtime().dispatch({
    shader: wgsl.finite_check,
    params: { n: x.size, step_plus_one: record, watch_index: index },
    buffers: { x: x.buffer, flag },
    workgroups: [Math.min(64, Math.ceil(x.size / 256))],
  });
}

/** Whether f32 `x` holds no NaN and no infinity (one pass and one readback). */
export async function allFinite(x: Tensor): Promise<boolean> {
  const flag = zeros([2], { dtype: 'u32' });
  try {
    recordNonFinite(x, flag.buffer, 1, 0);
    const [bad] = await flag.data();
    return bad === 0;
  } finally {
    flag.dispose();
  }
}

/** Reports `message` at the next read if f32 `x` holds NaN or an infinity. */
export function checkFiniteLater(x: Tensor, message: string): void {
  if (x.size === 0) return;
  const { flag, site } = runtime().deferredCheck(message);
  recordNonFinite(x, flag, site, 0);
}

/**
 * Reports at the next read an i32 value of `x` below 0 (`negativeMessage`) or at or above `limit`
 * (`largeMessage`); {value} is the value (shaders/value_check.wgsl).
 */
export function checkSymbolsLater(x: Tensor, limit: number, negativeMessage: string, largeMessage: string): void {
  if (x.size === 0) return;
  const negative = runtime().deferredCheck(negativeMessage);
  const large = runtime().deferredCheck(largeMessage);
  runtime().dispatch({
    shader: wgsl.value_check,
    entryPoint: 'symbol_range',
    params: { n: x.size, site: negative.site, site2: large.site, width: 0, limit },
    buffers: { values: x.buffer, check_flag: negative.flag },
    workgroups: grid1d(x.size),
  });
}

/**
 * Reports at the next read a row of f32 `logits` [..., width] that holds NaN or +Infinity
 * (`invalidMessage`) or is all -Infinity (`emptyMessage`); {value} is the row number.
 */
export function checkLogitRowsLater(logits: Tensor, invalidMessage: string, emptyMessage: string): void {
  const width = logits.shape[logits.rank - 1];
  const rows = logits.size / width;
  if (!(rows > 0)) return;
  const invalid = runtime().deferredCheck(invalidMessage);
  const empty = runtime().deferredCheck(emptyMessage);
  runtime().dispatch({
    shader: wgsl.value_check,
    entryPoint: 'logit_rows',
    params: { n: rows, site: invalid.site, site2: empty.site, width, limit: 0 },
    buffers: { values: logits.buffer, check_flag: invalid.flag },
    workgroups: grid1d(rows),
  });
}
