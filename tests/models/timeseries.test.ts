// The time-series family: the accuracy measures against hand-computed values; calendar covariates
// against known dates; the row builder against a plain-JS reference; the forecast distribution's
// moments, quantiles and log density against their definitions; GaussianMlp's forward pass and every
// parameter gradient against a float64 reference; the forecaster on a seeded synthetic weekly series
// (it beats the seasonal naive, its predictive log-likelihood is finite and beats a constant-variance
// Gaussian, runs repeat exactly); regimes of a weekday / weekend series; clear errors for bad input;
// GPU memory back to its baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  ForecastDistribution, ForecasterTrainer, GaussianForecaster, GaussianMlp, calendarCovariates, dateOfDay, dayNumber, dayOfWeek, detectRegimes, detrendByMovingAverage,
  gaussianLogDensity, lagReach, mase, meanLogLikelihood, seasonalNaiveForecast, seasonalNaiveGaussian, seasonalNaiveScale, usFederalHolidays,
  windowRows, type Covariates,
} from '../../src/models/timeseries/index.js';
import { checkModule } from '../nn/helpers.js';
import { linearRef } from '../nn/helpers.js';
import { expectClose } from '../helpers/check.js';
import { normalCdf, ref, type Ref } from '../helpers/reference.js';

const quiet = () => undefined;

const WEEKLY_PATTERN = [10, 11, 11.5, 11, 10.5, 7, 6.5];
const PHI = 0.6;

/** The weekly pattern plus AR(1) noise (PHI, innovations of sd 0.5), seeded: the values and the noise. */
function weeklySeries(length: number, seed: number): { values: Float64Array; noise: Float64Array } {
  const random = new gg.data.SeededRandom(seed);
  const noise = new Float64Array(length);
  for (let t = 0; t < length; t++) noise[t] = (t > 0 ? PHI * noise[t - 1] : 0) + 0.5 * random.normal();
  return { values: Float64Array.from(noise, (e, t) => WEEKLY_PATTERN[t % 7] + e), noise };
}

describe('forecast accuracy measures', () => {
  const train = [1, 2, 4, 7, 11];

  it('seasonalNaiveForecast repeats the last season; the scale is the in-sample seasonal-naive MAE', () => {
    expect(Array.from(seasonalNaiveForecast(train, 5, 2))).toEqual([7, 11, 7, 11, 7]);
    expect(Array.from(seasonalNaiveForecast(train, 3, 1))).toEqual([11, 11, 11]);
    // |4 - 1|, |7 - 2|, |11 - 4|: 15 / 3.
    expect(seasonalNaiveScale(train, 2)).toBe(5);
  });

  it('mase divides the mean absolute error by that scale (Hyndman and Koehler 2006)', () => {
    // Errors |4 - 6| and |5 - 3|: MAE 2, scale 5.
    expect(mase([4, 5], [6, 3], train, 2)).toBeCloseTo(0.4, 15);
    // The seasonal naive's own forecast of a series that continues its pattern exactly scores 0.
    expect(mase(seasonalNaiveForecast([1, 2, 1, 3], 2, 2), [1, 3], [1, 2, 1, 3], 2)).toBe(0);
    expect(mase([NaN, 1], [1, 1], train, 2)).toBeNaN();
  });

  it('seasonalNaiveGaussian: the residuals root mean square, constant or growing by season', () => {
    const sigma = Math.sqrt((9 + 25 + 49) / 3);
    const constant = seasonalNaiveGaussian(train, 4, 2);
    expect(Array.from(constant.mean)).toEqual([7, 11, 7, 11]);
    expectClose(constant.std, [sigma, sigma, sigma, sigma], 1e-12, 0, 'constant std');
    const growing = seasonalNaiveGaussian(train, 5, 2, { variance: 'growing' });
    expectClose(growing.std, [sigma, sigma, sigma * Math.SQRT2, sigma * Math.SQRT2, sigma * Math.sqrt(3)], 1e-12, 0, 'growing std');
  });

  it('gaussianLogDensity and meanLogLikelihood', () => {
    const half = 0.5 * Math.log(2 * Math.PI);
    const logs = gaussianLogDensity([0, 2], [0, 1], [1, 2]);
    expectClose(logs, [-half, -0.125 - Math.log(2) - half], 1e-14, 0, 'log density');
    expect(meanLogLikelihood(logs)).toBeCloseTo((logs[0] + logs[1]) / 2, 15);
  });

  it('names the function and the lengths in its errors', () => {
    expect(() => mase([1, 2, 3], [1, 2], train, 2)).toThrow('mase: forecast and truth must be non-empty and of the same length, got 3 and 2');
    expect(() => mase([1], [1], [5, 5, 5, 5], 2)).toThrow('mase: the training series repeats exactly every 2 steps, so the scale (its seasonal-naive error) is 0');
    expect(() => seasonalNaiveForecast(train, 3, 0)).toThrow('seasonalNaiveForecast: seasonality m must be an integer >= 1, got 0');
    expect(() => seasonalNaiveForecast(train, 3, 5)).toThrow('seasonalNaiveForecast: the training series needs more than m = 5 values, got 5');
    expect(() => seasonalNaiveForecast(train, 0, 2)).toThrow('seasonalNaiveForecast: horizon must be an integer >= 1, got 0');
    expect(() => seasonalNaiveGaussian(train, 2, 2, { variance: 'linear' as 'growing' })).toThrow("seasonalNaiveGaussian: variance must be 'constant' or 'growing', got 'linear'");
    expect(() => gaussianLogDensity([1, 2], [1], [1, 1])).toThrow('gaussianLogDensity: x, mean and std must have the same length, got 2, 1 and 2');
    expect(() => gaussianLogDensity([1], [1], [0])).toThrow('gaussianLogDensity: std must be > 0, got std[0] = 0');
  });
});

describe('calendar covariates', () => {
  it('days, weekdays and the US federal holidays of known years', () => {
    expect(dayNumber({ year: 1970, month: 1, day: 1 })).toBe(0);
    expect(dateOfDay(dayNumber({ year: 1988, month: 2, day: 29 }))).toEqual({ year: 1988, month: 2, day: 29 });
    expect(dayOfWeek(dayNumber({ year: 1969, month: 1, day: 1 }))).toBe(2); // a Wednesday
    const dates = Object.fromEntries(usFederalHolidays(1988).map((h) => [h.name, `${h.date.month}/${h.date.day}`]));
    expect(dates).toEqual({ newYear: '1/1', memorialDay: '5/30', independenceDay: '7/4', laborDay: '9/5', thanksgiving: '11/24', christmas: '12/25' });
    expect(usFederalHolidays(1970)[1].date).toEqual({ year: 1970, month: 5, day: 30 });
    expect(usFederalHolidays(1987)[1].date).toEqual({ year: 1987, month: 5, day: 25 });
  });

  it('writes weekday one-hot, day-of-year harmonics and holiday flags of step t', () => {
    const start = { year: 1969, month: 1, day: 1 };
    const covariates = calendarCovariates(start, { yearlyHarmonics: 2, holidays: usFederalHolidays });
    expect(covariates.width).toBe(7 + 4 + 24);
    const at = (date: { year: number; month: number; day: number }) => {
      const out = new Float64Array(covariates.width);
      covariates.write(dayNumber(date) - dayNumber(start), out, 0);
      return Object.fromEntries(covariates.names.map((name, i) => [name, out[i]]));
    };
    const april2 = at({ year: 1969, month: 4, day: 2 }); // a Wednesday, day 91 of 365
    expect(april2['dayOfWeek.wed']).toBe(1);
    expect(Object.entries(april2).filter(([name, v]) => name.startsWith('dayOfWeek') && v !== 0)).toHaveLength(1);
    expect(april2['dayOfYear.sin1']).toBeCloseTo(Math.sin((2 * Math.PI * 91) / 365), 12);
    expect(april2['dayOfYear.cos2']).toBeCloseTo(Math.cos((4 * Math.PI * 91) / 365), 12);
    const flags = (values: Record<string, number>) => Object.keys(values).filter((name) => name.includes('.') && !name.startsWith('day') && values[name] === 1);
    expect(flags(april2)).toEqual([]);
    expect(flags(at({ year: 1969, month: 12, day: 31 }))).toEqual(['newYear.before']);
    expect(flags(at({ year: 1969, month: 12, day: 26 }))).toEqual(['christmas.after']);
    // July 4 1970 was a Saturday, observed on Friday the 3rd; 1976's was a Sunday, observed Monday the 5th.
    expect(flags(at({ year: 1970, month: 7, day: 3 }))).toEqual(['independenceDay.before', 'independenceDay.observed']);
    expect(flags(at({ year: 1976, month: 7, day: 5 }))).toEqual(['independenceDay.after', 'independenceDay.observed']);
    // A leap year has 366 days in its harmonics.
    expect(at({ year: 1988, month: 12, day: 31 })['dayOfYear.sin1']).toBeCloseTo(Math.sin((2 * Math.PI * 365) / 366), 12);
  });

  it('rejects dates that do not exist and holidays that change names', () => {
    expect(() => calendarCovariates({ year: 1987, month: 2, day: 29 })).toThrow('calendarCovariates: expected a calendar date { year, month 1-12, day 1-31 } that exists, got {"year":1987,"month":2,"day":29}');
    expect(() => calendarCovariates({ year: 1987, month: 1, day: 1 }, { yearlyHarmonics: -1 })).toThrow('calendarCovariates: yearlyHarmonics must be an integer >= 0, got -1');
    const renamed = calendarCovariates({ year: 1987, month: 1, day: 1 }, { holidays: (year) => [{ name: year === 1987 ? 'a' : 'b', date: { year, month: 3, day: 1 } }] });
    expect(() => renamed.write(400, new Float64Array(renamed.width), 0)).toThrow("calendarCovariates: holidays(1988) names 'b', which holidays(1987) did not");
  });
});

describe('window rows', () => {
  it('lags, window means and covariates of each step, as a plain-JS reference builds them', () => {
    const random = new gg.data.SeededRandom(3);
    const values = Float64Array.from({ length: 41 }, () => random.normal());
    const spec = { lags: [1, 3, 5], windows: [[1, 4], [6, 9]] as [number, number][] };
    const covariates: Covariates = {
      width: 2,
      names: ['t', 'tMod3'],
      write: (t, out, offset) => {
        out[offset] = t / 10;
        out[offset + 1] = t % 3;
      },
    };
    const rows = windowRows(values, spec, covariates);
    expect(lagReach(spec)).toBe(9);
    expect([rows.count, rows.width]).toEqual([32, 7]);
    const mean = (from: number, to: number) => values.slice(from, to + 1).reduce((s, v) => s + v, 0) / (to - from + 1);
    const expected: number[] = [];
    const targets: number[] = [];
    for (let t = 9; t < 41; t++) {
      expected.push(values[t - 1], values[t - 3], values[t - 5], mean(t - 4, t - 1), mean(t - 9, t - 6), t / 10, t % 3);
      targets.push(values[t]);
    }
    expectClose(rows.inputs, expected.map(Math.fround), 0, 0, 'inputs');
    expectClose(rows.targets, targets.map(Math.fround), 0, 0, 'targets');
    expect(Array.from(rows.steps)).toEqual(Array.from({ length: 32 }, (_, i) => i + 9));
    const ranged = windowRows(values, spec, null, { start: 20, end: 25 });
    expect([ranged.count, ranged.width, ranged.steps[0]]).toEqual([5, 5, 20]);
  });

  it('names the builder, the lags and the lengths in its errors', () => {
    const values = new Float64Array(10);
    expect(() => windowRows(values, { lags: [0, 1] })).toThrow('windowRows: lags must be a list of integers >= 1, got [0,1]');
    expect(() => windowRows(values, { lags: [1], windows: [[3, 2]] })).toThrow('windowRows: windows must be a list of [from, to] lag ranges with integers 1 <= from <= to, got [[3,2]]');
    expect(() => windowRows(values, { lags: [10] })).toThrow('windowRows: no rows: the series has 10 values, the lags reach back 10 steps and the range is [0, 10)');
    expect(() => windowRows(values, { lags: [] })).toThrow('windowRows: give at least one lag or window');
  });
});

describe('ForecastDistribution', () => {
  // Two paths, two steps: N(1, 1) and N(3, 2^2) at step 0; N(0, 0.5^2) twice at step 1.
  const mixture = new ForecastDistribution(2, 2, 'none', Float64Array.from([1, 0, 3, 0]), Float64Array.from([1, 0.5, 2, 0.5]), new Float64Array(4));

  it('the mixture mean, standard deviation, distribution function and quantiles', () => {
    expectClose(mixture.mean(), [2, 0], 1e-12, 0, 'mean');
    // E[Y^2] = (1 + 1 + 9 + 4) / 2 = 7.5 at step 0.
    expectClose(mixture.std(), [Math.sqrt(7.5 - 4), 0.5], 1e-12, 0, 'std');
    expect(mixture.cdf(0, 2)).toBeCloseTo(0.5 * normalCdf(1) + 0.5 * normalCdf(-0.5), 6);
    for (const p of [0.1, 0.5, 0.9]) {
      const q = mixture.quantile(p);
      expect(mixture.cdf(0, q[0])).toBeCloseTo(p, 6);
      expect(q[1]).toBeCloseTo(0.5 * Math.SQRT2 * inverseErfApprox(2 * p - 1), 3);
    }
  });

  it('log density of the mixture, and of the log-normal mixture with its Jacobian', () => {
    const normal = (x: number, m: number, s: number) => Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
    expectClose(mixture.logDensity([2, 0.25]), [Math.log(0.5 * normal(2, 1, 1) + 0.5 * normal(2, 3, 2)), Math.log(normal(0.25, 0, 0.5))], 1e-12, 0, 'log density');
    const logNormal = new ForecastDistribution(1, 2, 'log', Float64Array.from([0, 1]), Float64Array.from([0.5, 0.25]), new Float64Array(2));
    const y = 1.7;
    expectClose(logNormal.logDensity([y]), [Math.log((0.5 * normal(Math.log(y), 0, 0.5) + 0.5 * normal(Math.log(y), 1, 0.25)) / y)], 1e-12, 0, 'log-normal');
    expectClose(logNormal.mean(), [0.5 * Math.exp(0.125) + 0.5 * Math.exp(1 + 0.03125)], 1e-12, 0, 'log-normal mean');
    expect(logNormal.logDensity([-1])[0]).toBe(-Infinity);
    expect(logNormal.logDensity([NaN])[0]).toBeNaN();
  });

  it('checks its arguments', () => {
    expect(() => mixture.quantile(1)).toThrow('ForecastDistribution.quantile: p must be in (0, 1), got 1');
    expect(() => mixture.logDensity([1])).toThrow('ForecastDistribution.logDensity: expected 2 values, one per step, got 1');
    expect(() => mixture.cdf(2, 0)).toThrow('ForecastDistribution.cdf: step h must be an integer in [0, 2), got 2');
    expect(() => new ForecastDistribution(2, 2, 'none', new Float64Array(3), new Float64Array(4), new Float64Array(4))).toThrow('ForecastDistribution: loc, scale and samples must hold paths x horizon = 2 x 2 values, got 3, 4 and 4');
  });
});

/** erf^-1 by Newton's method on the reference normalCdf (test-side only). */
function inverseErfApprox(y: number): number {
  let x = 0;
  for (let i = 0; i < 50; i++) {
    const erf = 2 * normalCdf(x * Math.SQRT2) - 1;
    x -= (erf - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}

describe('GaussianMlp', () => {
  it('mean and log-variance, and the gradient of every parameter, against a float64 reference', async () => {
    const [B, F, H] = [3, 5, 4];
    const model = new GaussianMlp({ inputSize: F, hiddenSize: H, numLayers: 2 }, { generator: new gg.Generator(4) });
    const gelu = (x: Ref) => ref(x.shape, (i) => x.data[i] * normalCdf(x.data[i]));
    await checkModule({
      module: model,
      inputs: [[B, F]],
      ref: ([x], p) => {
        const h1 = gelu(linearRef(x, p['layers.0.weight'], p['layers.0.bias']));
        const h2 = gelu(linearRef(h1, p['layers.2.weight'], p['layers.2.bias']));
        return linearRef(h2, p['layers.4.weight'], p['layers.4.bias']);
      },
    });
    const x = gg.tensor(new Float32Array(2 * F).fill(0.5), [2, F]);
    const { mean, logVar } = model.gaussian(x);
    const both = await model.forward(x).data();
    expect(Array.from(await mean.data())).toEqual([both[0], both[2]]);
    expect(Array.from(await logVar.data())).toEqual([both[1], both[3]]);
    const [wide, three] = [gg.zeros([2, F + 1]), gg.zeros([3])];
    expect(() => model.forward(wide)).toThrow('GaussianMlp.forward: expected rows [B, 5], got [2, 6] f32');
    expect(() => new GaussianMlp({ inputSize: 0 })).toThrow('GaussianMlp: inputSize must be a positive integer, got 0');
    const trainer = new ForecasterTrainer(model);
    expect(() => trainer.step({ inputs: x, targets: three })).toThrow('ForecasterTrainer.step: expected targets [2] for inputs [2, 5], got [3]');
    trainer.dispose();
    for (const t of [x, mean, logVar, wide, three]) t.dispose();
    model.dispose();
  });
});

describe('GaussianForecaster', () => {
  const { values: series, noise } = weeklySeries(420, 11);
  const horizon = 56;
  const T = series.length - horizon;
  const train = series.subarray(0, T);
  const truth = series.subarray(T);
  const start = { year: 2001, month: 1, day: 1 }; // a Monday, so step t falls on weekday t % 7
  const options = () => ({ lags: [1, 2, 7], covariates: calendarCovariates(start, { yearlyHarmonics: 0 }), hiddenSize: 32, seed: 5 });

  it('learns a seeded weekly series: beats the seasonal naive, with a finite log-likelihood above a constant-variance Gaussian', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const forecaster = new GaussianForecaster(options());
    const fit = await forecaster.fit(train, { steps: 600, batchSize: 64, lr: 5e-3, onProgress: quiet });
    expect(fit.rows).toBe(train.length - 7);
    const losses = fit.history.points.map((p) => p.losses.loss);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 0.5);
    const forecast = await forecaster.forecast(horizon, { paths: 64 });
    const model = mase(forecast.mean(), truth, train, 7);
    const naive = mase(seasonalNaiveForecast(train, horizon, 7), truth, train, 7);
    // The best forecast there is: the pattern plus the last noise decayed, PHI^h e[T - 1].
    const oracle = mase(Array.from({ length: horizon }, (_, h) => WEEKLY_PATTERN[(T + h) % 7] + PHI ** (h + 1) * noise[T - 1]), truth, train, 7);
    expect(model).toBeLessThan(0.8 * naive);
    expect(model).toBeLessThan(oracle + 0.08);
    const logLik = meanLogLikelihood(forecast.logDensity(truth));
    const constant = seasonalNaiveGaussian(train, horizon, 7);
    expect(Number.isFinite(logLik)).toBe(true);
    expect(logLik).toBeGreaterThan(meanLogLikelihood(gaussianLogDensity(truth, constant.mean, constant.std)));
    // The 10% and 90% quantiles bracket the mean, and the paths' draws are spread around it.
    const [low, high, mean] = [forecast.quantile(0.1), forecast.quantile(0.9), forecast.mean()];
    for (let h = 0; h < horizon; h++) expect(low[h] < mean[h] && mean[h] < high[h]).toBe(true);
    // The same seed draws the same paths; another seed other ones.
    const again = await forecaster.forecast(horizon, { paths: 64 });
    expect(Array.from(again.samples)).toEqual(Array.from(forecast.samples));
    const other = await forecaster.forecast(horizon, { paths: 64, seed: 6 });
    expect(Array.from(other.samples)).not.toEqual(Array.from(forecast.samples));
    // A forecast from a longer history continues that history.
    const extended = await forecaster.forecast(7, { paths: 8, history: series.subarray(0, series.length - 7) });
    expect(extended.horizon).toBe(7);
    forecaster.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  }, 180_000); // 600 training steps take a while on a software adapter whose cores are shared

  it('repeats a run exactly from its seed', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const forecaster = new GaussianForecaster(options());
      await forecaster.fit(train, { steps: 15, batchSize: 32, onProgress: quiet });
      runs.push(Array.from((await forecaster.forecast(5, { paths: 4 })).samples));
      forecaster.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('names the method, the values and the lengths in its errors', async () => {
    expect(() => new GaussianForecaster({ lags: [1, -7] })).toThrow('GaussianForecaster: lags must be a list of integers >= 1, got [1,-7]');
    expect(() => new GaussianForecaster({ transform: 'sqrt' as 'log' })).toThrow("GaussianForecaster: transform must be 'none' or 'log', got 'sqrt'");
    expect(() => new GaussianForecaster({ hiddenSize: 0 })).toThrow('GaussianForecaster: hiddenSize must be a positive integer, got 0');
    const forecaster = new GaussianForecaster({ lags: [1, 7] });
    await expect(forecaster.forecast(3)).rejects.toThrow('GaussianForecaster.forecast: not fitted yet; call fit() first');
    await expect(forecaster.fit([1, 2, 3, 4, 5, 6, 7])).rejects.toThrow('GaussianForecaster.fit: the series has 7 values, but the lags reach back 7 steps; give more than 7');
    await expect(forecaster.fit([1, 2, 3, NaN, 5, 6, 7, 8, 9])).rejects.toThrow('GaussianForecaster.fit: value 3 of the series is NaN; the series must be finite');
    await expect(forecaster.fit(new Array(9).fill(4))).rejects.toThrow('GaussianForecaster.fit: the series is constant (4); there is nothing to model');
    await expect(forecaster.fit(train, { steps: 0 })).rejects.toThrow('GaussianForecaster.fit: steps must be a positive integer, got 0');
    await expect(new GaussianForecaster({ lags: [1], transform: 'log' }).fit([1, 2, 0, 3])).rejects.toThrow("GaussianForecaster.fit: value 2 of the series is 0; transform 'log' needs positive values");
    await forecaster.fit(train, { steps: 2, batchSize: 4, onProgress: quiet });
    await expect(forecaster.forecast(0)).rejects.toThrow('GaussianForecaster.forecast: horizon must be an integer >= 1, got 0');
    await expect(forecaster.forecast(3, { paths: 1.5 })).rejects.toThrow('GaussianForecaster.forecast: paths must be an integer >= 1, got 1.5');
    forecaster.dispose();
  });
});

describe('detectRegimes', () => {
  it('finds the weekday and weekend levels of a series, lowest state first', async () => {
    const random = new gg.data.SeededRandom(2);
    const weekdays = Int32Array.from({ length: 140 }, (_, t) => t % 7);
    const values = Float64Array.from(weekdays, (d) => (d >= 5 ? 70 : 100) + random.normal());
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const report = await detectRegimes(values, { nComponents: 2, labels: weekdays, seed: 1 });
    expect(rt.memory().liveBuffers).toBe(baseline);
    expect(Array.from(report.states)).toEqual(Array.from(weekdays, (d) => (d >= 5 ? 0 : 1)));
    expect(report.regimes[0].labelCounts).toEqual([0, 0, 0, 0, 0, 20, 20]);
    expect(report.regimes[1].labelCounts).toEqual([20, 20, 20, 20, 20, 0, 0]);
    expect(report.regimes[0].mean).toBeLessThan(75);
    expect(report.regimes[1].fraction).toBeCloseTo(5 / 7, 12);
    // 1 / (1 - p_stay): weekends stay 20 times (Sat to Sun) and leave 19 (the last Sunday ends the series); weekdays 80 and 20.
    expect(report.regimes[0].meanDuration).toBeCloseTo(39 / 19, 2);
    expect(report.regimes[1].meanDuration).toBeCloseTo(5, 2);
    expect(report.transmat[0][0] + report.transmat[0][1]).toBeCloseTo(1, 6);
    expect(Number.isFinite(report.logLikelihood)).toBe(true);
    // Detrending divides by the centred moving average, its window shifted inward at the ends.
    expectClose(detrendByMovingAverage([1, 2, 3, 4, 5], 3), [0.5, 1, 1, 1, 1.25], 1e-15, 0, 'detrended');
    expectClose(detrendByMovingAverage([1, 3], 4), [0.5, 1.5], 1e-15, 0, 'shorter than the window');
    const trend = await detectRegimes(Float64Array.from(values, (v, t) => v * (1 + t / 200)), { nComponents: 2, detrendWindow: 7, seed: 1 });
    expect(trend.regimes[0].count).toBe(40);
  });

  it('names the function and the values in its errors', async () => {
    await expect(detectRegimes([1, 2, 3], { nComponents: 1 })).rejects.toThrow('detectRegimes: nComponents must be an integer from 2 to the series\' length 3, got 1');
    await expect(detectRegimes([1, Infinity, 3])).rejects.toThrow('detectRegimes: value 1 of the series is Infinity; the series must be finite');
    await expect(detectRegimes([1, 2, 3], { nComponents: 2, labels: [0, 1] })).rejects.toThrow('detectRegimes: labels must have one entry per step (3), got 2');
    await expect(detectRegimes([1, 2, 3], { nComponents: 2, detrendWindow: 0 })).rejects.toThrow('detrendByMovingAverage: window must be an integer >= 1, got 0');
  });
});
