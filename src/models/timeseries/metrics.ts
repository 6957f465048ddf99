// Forecast accuracy in plain JavaScript (float64): the mean absolute scaled error of Hyndman and
// Koehler (2006), the seasonal-naive forecast it is scaled by (as a point forecast, and as a Gaussian
// whose variance comes from the training residuals), and Gaussian log densities for the predictive
// log-likelihood. NaN in any input gives NaN, as arithmetic does; lengths and seasonality are checked.

/** A forecast with a Gaussian at each step. */
export interface GaussianForecast {
  /** The mean at each step. */
  mean: Float64Array;
  /** The standard deviation at each step. */
  std: Float64Array;
}

/** Options of {@link seasonalNaiveGaussian}. */
export interface SeasonalNaiveGaussianOptions {
  /**
   * 'constant' (default): every step gets the training residuals' standard deviation sigma.
   * 'growing': step h gets sigma sqrt(floor((h - 1) / m) + 1), the seasonal random walk's (Hyndman
   * and Athanasopoulos, Forecasting: Principles and Practice, section 5.5).
   */
  variance?: 'constant' | 'growing';
}

function checkSeasonality(op: string, train: ArrayLike<number>, m: number): void {
  if (!Number.isInteger(m) || m < 1) throw new Error(`${op}: seasonality m must be an integer >= 1, got ${m}`);
  if (!train || typeof train.length !== 'number' || train.length <= m) {
    throw new Error(`${op}: the training series needs more than m = ${m} values, got ${train?.length}`);
  }
}

function checkHorizon(op: string, horizon: number): void {
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`${op}: horizon must be an integer >= 1, got ${horizon}`);
}

/**
 * The seasonal-naive forecast of the `horizon` steps after `train`: each step repeats the value one
 * season earlier, the last observed season repeated, y[T + h] = y[T + h - m (floor((h - 1) / m) + 1)]
 * for h = 1 ... horizon (T = train.length).
 */
export function seasonalNaiveForecast(train: ArrayLike<number>, horizon: number, m: number): Float64Array {
  const op = 'seasonalNaiveForecast';
  checkSeasonality(op, train, m);
  checkHorizon(op, horizon);
  const T = train.length;
  return Float64Array.from({ length: horizon }, (_, i) => train[T - m + (i % m)]);
}

/**
 * The in-sample mean absolute error of the one-season-back forecast, (1 / (T - m)) sum over t >= m of
 * |y[t] - y[t - m]|: the scale of MASE.
 */
export function seasonalNaiveScale(train: ArrayLike<number>, m: number): number {
  checkSeasonality('seasonalNaiveScale', train, m);
  let sum = 0;
  for (let t = m; t < train.length; t++) sum += Math.abs(train[t] - train[t - m]);
  return sum / (train.length - m);
}

/**
 * The mean absolute scaled error (Hyndman and Koehler 2006): the forecast's mean absolute error over
 * the test steps divided by the in-sample mean absolute error of the seasonal-naive forecast with
 * period m (seasonalNaiveScale). Below 1, the forecast beats what the one-step seasonal-naive
 * forecast achieved in sample. Throws when that scale is 0 (a training series that repeats exactly).
 */
export function mase(forecast: ArrayLike<number>, truth: ArrayLike<number>, train: ArrayLike<number>, seasonality: number): number {
  const op = 'mase';
  if (!forecast || !truth || forecast.length !== truth.length || truth.length === 0) {
    throw new Error(`${op}: forecast and truth must be non-empty and of the same length, got ${forecast?.length} and ${truth?.length}`);
  }
  checkSeasonality(op, train, seasonality);
  const scale = seasonalNaiveScale(train, seasonality);
  if (scale === 0) throw new Error(`${op}: the training series repeats exactly every ${seasonality} steps, so the scale (its seasonal-naive error) is 0`);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs(forecast[i] - truth[i]);
  return sum / truth.length / scale;
}

/**
 * The seasonal-naive forecast as a Gaussian: mean seasonalNaiveForecast, standard deviation from the
 * training residuals e[t] = y[t] - y[t - m], sigma = sqrt(mean of e^2) (their root mean square: the
 * forecast's bias counts as error), constant or growing with the horizon (see the options).
 */
export function seasonalNaiveGaussian(train: ArrayLike<number>, horizon: number, m: number, options: SeasonalNaiveGaussianOptions = {}): GaussianForecast {
  const op = 'seasonalNaiveGaussian';
  const { variance = 'constant' } = options;
  if (variance !== 'constant' && variance !== 'growing') throw new Error(`${op}: variance must be 'constant' or 'growing', got '${String(variance)}'`);
  checkSeasonality(op, train, m);
  checkHorizon(op, horizon);
  const mean = seasonalNaiveForecast(train, horizon, m);
  let squares = 0;
  for (let t = m; t < train.length; t++) squares += (train[t] - train[t - m]) ** 2;
  const sigma = Math.sqrt(squares / (train.length - m));
  const std = Float64Array.from({ length: horizon }, (_, i) => (variance === 'constant' ? sigma : sigma * Math.sqrt(Math.floor(i / m) + 1)));
  return { mean, std };
}

/** log N(x[i] | mean[i], std[i]^2) for each step, in nats. */
export function gaussianLogDensity(x: ArrayLike<number>, mean: ArrayLike<number>, std: ArrayLike<number>): Float64Array {
  if (!x || !mean || !std || x.length !== mean.length || x.length !== std.length) {
    throw new Error(`gaussianLogDensity: x, mean and std must have the same length, got ${x?.length}, ${mean?.length} and ${std?.length}`);
  }
  return Float64Array.from({ length: x.length }, (_, i) => {
    if (std[i] <= 0) throw new Error(`gaussianLogDensity: std must be > 0, got std[${i}] = ${std[i]}`);
    const z = (x[i] - mean[i]) / std[i];
    return -0.5 * z * z - Math.log(std[i]) - 0.5 * Math.log(2 * Math.PI);
  });
}

/** The mean of per-step log densities: the predictive log-likelihood in nats per step. */
export function meanLogLikelihood(logDensities: ArrayLike<number>): number {
  if (!logDensities || logDensities.length === 0) throw new Error('meanLogLikelihood: expected at least one log density');
  let sum = 0;
  for (let i = 0; i < logDensities.length; i++) sum += logDensities[i];
  return sum / logDensities.length;
}
