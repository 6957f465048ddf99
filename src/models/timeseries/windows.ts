// The autoregressive inputs of a forecaster: for step t, the series at chosen lags (t - 1, t - 7,
// t - 364, ...), the means of the series over chosen ranges of lags (the last four weeks, the same
// four weeks a year ago: a level and its change, less noisy than single days), and the covariates of
// step t. One builder makes the training rows from the observed series and the forecast's rows from
// each sampled path, so the two cannot disagree.

import type { Covariates } from './calendar.js';

/** Which past values feed the forecaster. */
export interface WindowSpec {
  /** Lags k >= 1: the value at t - k is an input for step t. */
  lags: readonly number[];
  /** Ranges [from, to] of lags, 1 <= from <= to: the mean of the values at t - to ... t - from is an input. */
  windows?: readonly (readonly [number, number])[];
}

/** Training rows: inputs [count, width] row-major, and each row's target, the value at its step. */
export interface WindowRows {
  /** Rows of `width` features: the lags, then the window means, then the covariates. */
  inputs: Float32Array;
  /** The value at each row's step. */
  targets: Float32Array;
  /** The step t of each row. */
  steps: Int32Array;
  /** Rows. */
  count: number;
  /** Features per row. */
  width: number;
}

/** Checks a spec; `op` names the caller in the error. */
export function checkWindowSpec(op: string, spec: WindowSpec): void {
  const { lags, windows = [] } = spec ?? ({} as WindowSpec);
  if (!Array.isArray(lags) || lags.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new Error(`${op}: lags must be a list of integers >= 1, got ${JSON.stringify(lags)}`);
  }
  if (!Array.isArray(windows) || windows.some((w) => !Array.isArray(w) || w.length !== 2 || !Number.isInteger(w[0]) || !Number.isInteger(w[1]) || w[0] < 1 || w[1] < w[0])) {
    throw new Error(`${op}: windows must be a list of [from, to] lag ranges with integers 1 <= from <= to, got ${JSON.stringify(windows)}`);
  }
  if (lags.length + windows.length === 0) throw new Error(`${op}: give at least one lag or window; the forecaster needs some past values`);
}

/** The furthest lag a spec reads: a row needs this many earlier values. */
export function lagReach(spec: WindowSpec): number {
  return Math.max(0, ...spec.lags, ...(spec.windows ?? []).map((w) => w[1]));
}

/** Features of a row: the lags, the windows and the covariates. */
export function rowWidth(spec: WindowSpec, covariates: Covariates | null): number {
  return spec.lags.length + (spec.windows?.length ?? 0) + (covariates?.width ?? 0);
}

/**
 * Writes the row of step t into `out` from `offset`: values[t - k] for each lag, the mean of
 * values[t - to .. t - from] for each window, then the covariates of step t. `values` must hold
 * every value the row reads (t >= lagReach(spec)); what it holds at t and later is not read.
 */
export function writeWindowRow(values: ArrayLike<number>, t: number, spec: WindowSpec, covariates: Covariates | null, out: Float32Array | Float64Array, offset: number): void {
  let at = offset;
  for (const k of spec.lags) out[at++] = values[t - k];
  for (const [from, to] of spec.windows ?? []) {
    let sum = 0;
    for (let k = from; k <= to; k++) sum += values[t - k];
    out[at++] = sum / (to - from + 1);
  }
  covariates?.write(t, out, at);
}

/**
 * The training rows of a series: one per step t in [max(start, lagReach(spec)), end) (default: every
 * step with a full window), its inputs from writeWindowRow and its target values[t].
 */
export function windowRows(values: ArrayLike<number>, spec: WindowSpec, covariates: Covariates | null = null, range: { start?: number; end?: number } = {}): WindowRows {
  const op = 'windowRows';
  checkWindowSpec(op, spec);
  const reach = lagReach(spec);
  const first = Math.max(range.start ?? 0, reach);
  const end = range.end ?? values.length;
  if (!Number.isInteger(first) || !Number.isInteger(end) || end > values.length) {
    throw new Error(`${op}: the range must be integer steps within the series of ${values.length} values, got start ${range.start} end ${range.end}`);
  }
  const count = Math.max(0, end - first);
  if (count === 0) throw new Error(`${op}: no rows: the series has ${values.length} values, the lags reach back ${reach} steps and the range is [${range.start ?? 0}, ${end})`);
  const width = rowWidth(spec, covariates);
  const inputs = new Float32Array(count * width);
  const targets = new Float32Array(count);
  const steps = new Int32Array(count);
  for (let row = 0; row < count; row++) {
    const t = first + row;
    writeWindowRow(values, t, spec, covariates, inputs, row * width);
    targets[row] = values[t];
    steps[row] = t;
  }
  return { inputs, targets, steps, count, width };
}
