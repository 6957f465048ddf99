/**
 * Time series: a small autoregressive forecaster with a Gaussian output, trained on the GPU, its
 * recursive forecasts over sampled paths, the accuracy measures forecasts are judged by, and regime
 * detection with the Gaussian HMM.
 *   calendar.ts      calendarCovariates (day of week, day of year, holidays) and usFederalHolidays;
 *   windows.ts       the rows of past values (lags, window means) and covariates the network reads;
 *   network.ts       GaussianMlp: a row to the mean and log-variance of the next value;
 *   trainer.ts       ForecasterTrainer, a Trainer: Adam on the Gaussian negative log-likelihood;
 *   forecaster.ts    GaussianForecaster: standardise, fit, and forecast by sampled paths;
 *   distribution.ts  ForecastDistribution: the paths' mixture (mean, quantiles, log density);
 *   metrics.ts       mase, seasonalNaiveForecast, seasonalNaiveGaussian, gaussianLogDensity;
 *   regimes.ts       detectRegimes: a GaussianHMM's decoded states, relabelled and described.
 *
 * @module
 */
export {
  calendarCovariates, usFederalHolidays, nthWeekday, dayNumber, dateOfDay, dayOfWeek,
  type CalendarDate, type CalendarOptions, type Covariates, type Holiday,
} from './calendar.js';
export { windowRows, writeWindowRow, lagReach, rowWidth, checkWindowSpec, type WindowSpec, type WindowRows } from './windows.js';
export { GaussianMlp, type GaussianMlpConfig, type GaussianOutput } from './network.js';
export { ForecasterTrainer, type ForecasterTrainerOptions, type ForecastBatch } from './trainer.js';
export {
  GaussianForecaster, type GaussianForecasterOptions, type ForecasterFitOptions, type ForecasterFitResult, type ForecastOptions, type Standardization,
} from './forecaster.js';
export { ForecastDistribution, normalCdf, type SeriesTransform } from './distribution.js';
export {
  mase, seasonalNaiveForecast, seasonalNaiveScale, seasonalNaiveGaussian, gaussianLogDensity, meanLogLikelihood,
  type GaussianForecast, type SeasonalNaiveGaussianOptions,
} from './metrics.js';
export { detectRegimes, detrendByMovingAverage, type Regime, type RegimeOptions, type RegimeReport } from './regimes.js';
