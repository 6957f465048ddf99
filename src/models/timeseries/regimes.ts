// Regime detection: a GaussianHMM (src/models/hmm) fitted to a series and decoded by Viterbi, its
// states relabelled from the lowest mean to the highest and described (mean, spread, share of the
// steps, how long a visit lasts, and how they fall on given labels such as the day of the week), so
// a reader can name them: weekday, weekend and holiday levels in daily births. A slow trend would
// otherwise claim the states (the 1970s against the 1980s), so the series can first be divided by
// its centred moving average.

import { tensor } from '../../ops/creation.js';
import { GaussianHMM } from '../hmm/gaussian.js';

/** Options of {@link detectRegimes}. */
export interface RegimeOptions {
  /** Hidden states (default 3). */
  nComponents?: number;
  /** Divide each value by the mean of the `detrendWindow` values centred on it (default: no detrending). */
  detrendWindow?: number | null;
  /** Most Baum-Welch iterations (default 100). */
  nIter?: number;
  /** Seeds the HMM's initialisation (default 0). */
  seed?: number;
  /** An integer label >= 0 per step (e.g. the day of the week); each regime counts its steps per label. */
  labels?: ArrayLike<number>;
}

/** One hidden state, described. */
export interface Regime {
  /** Mean of the signal the HMM saw (the detrended ratio, or the values) in this state. */
  mean: number;
  /** Standard deviation of the signal in this state. */
  std: number;
  /** Mean of the series' own values in this state. */
  valueMean: number;
  /** Steps decoded to this state. */
  count: number;
  /** Share of the steps, count / N. */
  fraction: number;
  /** Expected steps per visit, 1 / (1 - transmat[k][k]). */
  meanDuration: number;
  /** Steps in this state per label (labels given), index = label. */
  labelCounts: number[] | null;
}

/** What {@link detectRegimes} found. */
export interface RegimeReport {
  /** The decoded state of each step, 0 = the lowest mean. */
  states: Int32Array;
  /** Each state, in the same order. */
  regimes: Regime[];
  /** Transition probabilities between the relabelled states, row = from. */
  transmat: number[][];
  /** The signal the HMM saw: the series, or its ratio to the moving average. */
  signal: Float64Array;
  /** log p(signal) under the fitted model, in nats. */
  logLikelihood: number;
  /** Baum-Welch iterations run. */
  iterations: number;
  /** Whether the log-likelihood gain fell below the tolerance. */
  converged: boolean;
}

/**
 * values[t] / mean(values[s .. s + w - 1]) with s = t - floor(w / 2): the centred moving average, its
 * window shifted inward at the ends rather than cut, so that it always spans w steps (a cut window
 * would hold a period's high days without its low ones). A series shorter than w is divided by its mean.
 */
export function detrendByMovingAverage(values: ArrayLike<number>, window: number): Float64Array {
  const op = 'detrendByMovingAverage';
  if (!Number.isInteger(window) || window < 1) throw new Error(`${op}: window must be an integer >= 1, got ${window}`);
  const N = values.length;
  const prefix = new Float64Array(N + 1);
  for (let t = 0; t < N; t++) prefix[t + 1] = prefix[t] + values[t];
  const half = Math.floor(window / 2);
  const span = Math.min(window, N);
  return Float64Array.from({ length: N }, (_, t) => {
    const from = Math.min(Math.max(0, t - half), N - span);
    return values[t] / ((prefix[from + span] - prefix[from]) / span);
  });
}

/**
 * Fits a GaussianHMM with `nComponents` states to the series (optionally detrended), decodes the most
 * probable state path (Viterbi) and describes each state (see RegimeReport).
 */
export async function detectRegimes(series: ArrayLike<number>, options: RegimeOptions = {}): Promise<RegimeReport> {
  const op = 'detectRegimes';
  const { nComponents = 3, detrendWindow = null, nIter = 100, seed = 0, labels } = options;
  if (!series || typeof series.length !== 'number' || series.length < 2) throw new Error(`${op}: expected a series of at least 2 values, got ${series?.length}`);
  for (let t = 0; t < series.length; t++) {
    if (!Number.isFinite(series[t])) throw new Error(`${op}: value ${t} of the series is ${series[t]}; the series must be finite`);
  }
  if (!Number.isInteger(nComponents) || nComponents < 2 || nComponents > series.length) {
    throw new Error(`${op}: nComponents must be an integer from 2 to the series' length ${series.length}, got ${nComponents}`);
  }
  if (labels !== undefined) {
    if (labels.length !== series.length) throw new Error(`${op}: labels must have one entry per step (${series.length}), got ${labels.length}`);
    for (let t = 0; t < labels.length; t++) {
      if (!Number.isInteger(labels[t]) || labels[t] < 0) throw new Error(`${op}: labels must be integers >= 0, got labels[${t}] = ${labels[t]}`);
    }
  }
  const signal = detrendWindow === null ? Float64Array.from(series) : detrendByMovingAverage(series, detrendWindow);
  const N = signal.length;
  // Standardised for the HMM, whose k-means start and variance floor (minCovar) assume unit-scale data.
  const center = signal.reduce((s, v) => s + v, 0) / N;
  const spread = Math.sqrt(signal.reduce((s, v) => s + (v - center) ** 2, 0) / N);
  if (!(spread > 0)) throw new Error(`${op}: the signal is constant (${center}); there are no regimes to find`);
  const model = new GaussianHMM({ nComponents, nIter, seed, tol: 1e-4 });
  const x = tensor(Float32Array.from(signal, (v) => (v - center) / spread), [N, 1]);
  let decoded: Int32Array;
  let logLikelihood: number;
  try {
    await model.fit(x);
    logLikelihood = (await model.score(x)) - N * Math.log(spread); // back to the signal's own units
    const { states } = await model.decode(x, { algorithm: 'viterbi' });
    decoded = (await states.data()) as Int32Array;
    states.dispose();
  } finally {
    x.dispose();
  }
  const order = model.means.map((m, k) => [m[0], k] as const).sort((a, b) => a[0] - b[0]).map(([, k]) => k);
  const rank = new Int32Array(nComponents);
  order.forEach((k, r) => (rank[k] = r));
  const states = Int32Array.from(decoded, (k) => rank[k]);
  const fitted = model.transmat;
  const transmat = order.map((from) => order.map((to) => fitted[from][to]));
  const labelCount = labels === undefined ? 0 : Math.max(...Array.from(labels)) + 1;
  const regimes = order.map((_, r): Regime => {
    let count = 0;
    let sum = 0;
    let squares = 0;
    let valueSum = 0;
    const labelCounts = labels === undefined ? null : new Array<number>(labelCount).fill(0);
    for (let t = 0; t < N; t++) {
      if (states[t] !== r) continue;
      count++;
      sum += signal[t];
      squares += signal[t] ** 2;
      valueSum += series[t];
      if (labelCounts) labelCounts[labels![t]]++;
    }
    const mean = count > 0 ? sum / count : NaN;
    return {
      mean,
      std: count > 0 ? Math.sqrt(Math.max(0, squares / count - mean * mean)) : NaN,
      valueMean: count > 0 ? valueSum / count : NaN,
      count,
      fraction: count / N,
      meanDuration: 1 / (1 - transmat[r][r]),
      labelCounts,
    };
  });
  return { states, regimes, transmat, signal, logLikelihood, iterations: model.monitor.iter, converged: model.monitor.converged };
}
