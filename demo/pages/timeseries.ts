// The Time series page: daily US births 1969-1988 (CDC / NCHS, from an npm package, served under
// /data/births) forecast in the browser with the recipe of bench/models/timeseries.ts
// (bench/models/timeseries-recipe.ts) and a budget the visitor picks. Start runs, one after the
// other: GaussianForecaster.fit on all but the held-out days, a chunk at a time (demo/chunks.ts
// ChunkedRun); the forecast of the held-out days as the mixture over sampled paths, drawn against
// the truth with its 80% band and scored against the weekly seasonal-naive forecast (MASE and
// predictive log-likelihood); and a Gaussian HMM's regimes of the detrended series, which colour
// the days of the chart and of a year-by-day calendar.
import * as gg from '../../src/index.js';
import { FIT_SETTINGS, REGIME_SETTINGS, WEEK, birthSeries, birthsForecaster, type BirthRecord, type BirthSeries } from '../../bench/models/timeseries-recipe.js';
import { ChunkedRun } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, PageModule, ShellApi } from '../page.js';
import { colors, drawForecastChart, drawYearGrid, palette, sharpContext } from '../plot.js';

const DATA_URL = 'data/births/data.json';
/** Seeds the forecaster's weights, its batches and paths, and the HMM's start, as the benchmark's default. */
const SEED = 0;
/** Steps between the fit's progress lines: the finest a chunk can end on. */
const LOG_EVERY = 5;
/** Days of history the chart shows before the forecast (except in the longer views). */
const HISTORY_SHOWN = 120;
/** The 80% band: the 10% and 90% quantiles, and a Gaussian's mean +- this many standard deviations. */
const BAND_QUANTILES = [0.1, 0.9] as const;
const GAUSSIAN_BAND_Z = 1.2815515655446004;
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

type Stage = 'fit' | 'forecast' | 'regimes' | 'done';
type ChartView = 'start' | 'horizon' | 'years' | 'all';
const chartViews: Record<ChartView, string> = {
  start: `${HISTORY_SHOWN} days, then the first ${HISTORY_SHOWN} forecast`,
  horizon: `${HISTORY_SHOWN} days, then the whole forecast`,
  years: 'the last 3 years and the forecast',
  all: 'all 20 years',
};

/** One forecast's scores on the held-out days. */
interface ScoreRow {
  name: string;
  mase: number;
  /** Mean log density of the truth, nats per day. */
  logLikelihood: number;
  /** Share of the held-out days inside the 80% band. */
  coverage: number;
}

/** The forecast of the held-out days, and how long it took. */
interface ForecastResult {
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  score: ScoreRow;
  seconds: number;
}

const formatCount = (value: number) => Math.round(value).toLocaleString('en-US');
const formatDate = (day: number) => {
  const date = gg.models.dateOfDay(day);
  return `${WEEKDAYS[gg.models.dayOfWeek(day)]} ${date.day} ${MONTHS[date.month - 1]} ${date.year}`;
};

/** The share of `truth` inside [lower, upper], day by day. */
function coverage(truth: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  let inside = 0;
  for (let h = 0; h < truth.length; h++) if (truth[h] >= lower[h] && truth[h] <= upper[h]) inside++;
  return inside / truth.length;
}

class TimeSeriesPage implements DemoPage {
  readonly lossLabel = 'Gaussian NLL (nats per standardised log value)';
  readonly stepName = 'steps';

  private shell: ShellApi | null = null;
  private series: BirthSeries | null = null;
  private steps = 1500;
  private horizon = 365;
  private paths = 100;
  private states = 3;
  private chartView: ChartView = 'start';
  private stage: Stage = 'fit';
  private forecaster: gg.models.GaussianForecaster | null = null;
  private run: ChunkedRun | null = null;
  private lastProgress: gg.Progress | null = null;
  private naiveScores: ScoreRow[] = [];
  private result: ForecastResult | null = null;
  private regimes: gg.models.RegimeReport | null = null;
  /** The chart's window (its first day's index in the series) and the day index under a CSS x. */
  private shownFrom = 0;
  private indexAt: (x: number) => number | null = () => null;
  private highlight: number | null = null;

  private readonly stepsSlider = element('input', { type: 'range', min: '50', max: '5000', step: '50', value: String(this.steps), id: 'steps' });
  private readonly stepsValue = element('span', { id: 'steps-value' });
  private readonly chart = element('canvas', { class: 'plane', id: 'forecast-chart' });
  private readonly chartLegend = element('div', { class: 'legend' });
  private readonly readout = element('div', { class: 'caption', id: 'readout' });
  private readonly fitInfo = element('div', { class: 'caption', id: 'fit-info' });
  private readonly scores = element('table', { class: 'ladder', id: 'scores' });
  private readonly calendar = element('canvas', { class: 'plane', id: 'regimes' });
  private readonly regimeLegend = element('div', { class: 'legend', id: 'regime-legend' });
  private readonly regimeInfo = element('div', { class: 'caption', id: 'regime-info' });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const stepsLabel = element('label', {}, 'training steps');
    stepsLabel.append(this.stepsSlider, this.stepsValue);
    this.stepsSlider.oninput = () => this.showSteps();
    this.stepsSlider.onchange = () => {
      this.showSteps();
      this.steps = Number(this.stepsSlider.value);
      void shell.restart();
    };
    this.showSteps();
    const options = element('div', { class: 'options' });
    options.append(
      stepsLabel,
      choice('held out and forecast', 'horizon', [['28', '28 days'], ['91', '91 days'], ['182', '182 days'], ['365', 'the last year (365 days)']], String(this.horizon), (v) => {
        this.horizon = Number(v);
        void shell.restart();
      }),
      choice('sampled paths', 'paths', ['20', '50', '100', '200'].map((v) => [v, v] as const), String(this.paths), (v) => {
        this.paths = Number(v);
        void shell.restart();
      }),
    );
    const hint = element('div', { class: 'caption' },
      'With the default budget, training, the forecast and the regimes take under a minute on a software adapter (SwiftShader); a GPU trains in seconds. The benchmark (bench/models/timeseries.ts) trains 3,000 steps and samples 200 paths.');

    this.chart.style.height = '340px';
    this.chart.onmousemove = (event) => {
      this.highlight = this.indexAt(event.offsetX);
      this.drawChart();
    };
    this.chart.onmouseleave = () => {
      this.highlight = null;
      this.drawChart();
    };
    const viewRow = element('div', { class: 'options' });
    viewRow.append(choice('show', 'chart-view', Object.entries(chartViews).map(([id, label]) => [id, label] as const), this.chartView, (v) => {
      this.chartView = v as ChartView;
      this.highlight = null;
      this.drawChart();
    }));
    const chartCard = element('section', { class: 'card' });
    chartCard.append(element('h3', {}, 'US daily births: the truth and the forecast mean with its 80% band'), viewRow, this.chart, this.chartLegend, this.readout, this.fitInfo);

    const findButton = element('button', { id: 'find-regimes' }, 'Find regimes');
    findButton.onclick = () => void shell.run(async () => {
      await this.findRegimes();
      await this.render();
    });
    const regimeRow = element('div', { class: 'options' });
    regimeRow.append(
      choice('states', 'states', ['2', '3', '4', '5'].map((v) => [v, v] as const), String(this.states), (v) => {
        this.states = Number(v);
      }),
      findButton,
    );
    this.calendar.style.height = '260px';
    view.append(
      options,
      hint,
      chartCard,
      card('Scores on the held-out days', this.scores, element('div', { class: 'caption' },
        'MASE: mean absolute error over that of the weekly seasonal naive within the training days (below 1 beats it). Log-likelihood: the mean log density of the truth under each forecast, nats per day (higher is better); the seasonal naive as a Gaussian with its training residuals\' variance, constant or growing with the horizon.')),
      card('Regimes: a Gaussian HMM on births over their centred 365-day mean, one row per year', regimeRow, this.calendar, this.regimeLegend, this.regimeInfo),
    );

    shell.note('loading daily US births…');
    const response = await fetch(DATA_URL);
    if (!response.ok) throw new Error(`could not load ${DATA_URL}: HTTP ${response.status}`);
    this.series = birthSeries((await response.json()) as BirthRecord[], DATA_URL);
    const { start, births } = this.series;
    shell.note(`${births.length.toLocaleString('en-US')} days of US births from ${formatDate(gg.models.dayNumber(start))} (CDC / NCHS)`);
  }

  private showSteps(): void {
    this.stepsValue.textContent = Number(this.stepsSlider.value).toLocaleString('en-US');
  }

  /** The training days and the held-out days. */
  private split(): { train: Float64Array; truth: Float64Array } {
    const births = this.series!.births;
    const T = births.length - this.horizon;
    return { train: births.subarray(0, T), truth: births.subarray(T) };
  }

  async reset(): Promise<void> {
    await this.run?.stop();
    this.run = null;
    this.forecaster?.dispose();
    this.forecaster = birthsForecaster(this.series!.start, SEED);
    this.stage = 'fit';
    this.lastProgress = null;
    this.result = null;
    this.highlight = null;
    const { train, truth } = this.split();
    const naive = gg.models.seasonalNaiveForecast(train, this.horizon, WEEK);
    this.naiveScores = (['constant', 'growing'] as const).map((variance) => {
      const gaussian = gg.models.seasonalNaiveGaussian(train, this.horizon, WEEK, { variance });
      const lower = gaussian.mean.map((m, h) => m - GAUSSIAN_BAND_Z * gaussian.std[h]);
      const upper = gaussian.mean.map((m, h) => m + GAUSSIAN_BAND_Z * gaussian.std[h]);
      return {
        name: `seasonal naive (last week repeated), variance ${variance === 'constant' ? 'constant' : 'growing with the horizon'}`,
        mase: gg.models.mase(naive, truth, train, WEEK),
        logLikelihood: gg.models.meanLogLikelihood(gg.models.gaussianLogDensity(truth, gaussian.mean, gaussian.std)),
        coverage: coverage(truth, lower, upper),
      };
    });
  }

  async train() {
    const forecaster = this.forecaster!;
    const { train, truth } = this.split();
    if (this.stage === 'fit') {
      this.run ??= new ChunkedRun((onProgress) => forecaster.fit(train, { ...FIT_SETTINGS, steps: this.steps, logEvery: LOG_EVERY, onProgress }));
      const { progress, finished } = await this.run.next();
      if (finished) this.stage = 'forecast';
      const before = this.lastProgress?.step ?? 0;
      this.lastProgress = progress.at(-1) ?? this.lastProgress;
      const steps = (this.lastProgress?.step ?? 0) - before;
      // The chunk's mean loss: each progress line's mean weighted by the steps it covers.
      let weighted = 0;
      let previous = before;
      for (const line of progress) {
        weighted += line.losses.loss * (line.step - previous);
        previous = line.step;
      }
      return { steps, loss: steps > 0 ? weighted / steps : null };
    }
    if (this.stage === 'forecast') {
      this.shell!.note(`forecasting ${this.horizon} days over ${this.paths} sampled paths…`);
      const started = performance.now();
      const distribution = await forecaster.forecast(this.horizon, { paths: this.paths, seed: SEED });
      const [lower, upper] = BAND_QUANTILES.map((p) => distribution.quantile(p));
      const mean = distribution.mean();
      this.result = {
        mean,
        lower,
        upper,
        score: {
          name: `GaussianForecaster (the mixture over ${this.paths} paths)`,
          mase: gg.models.mase(mean, truth, train, WEEK),
          logLikelihood: gg.models.meanLogLikelihood(distribution.logDensity(truth)),
          coverage: coverage(truth, lower, upper),
        },
        seconds: (performance.now() - started) / 1000,
      };
      this.stage = 'regimes';
      return { steps: 0, loss: null };
    }
    if (this.stage === 'regimes') {
      if (this.regimes?.regimes.length !== this.states) await this.findRegimes();
      this.stage = 'done';
    }
    return { steps: 0, loss: null, done: true };
  }

  /** Fits the HMM with the chosen number of states to the whole series and decodes its days. */
  private async findRegimes(): Promise<void> {
    const { start, births } = this.series!;
    const first = gg.models.dayNumber(start);
    this.shell!.note(`finding ${this.states} regimes: Baum-Welch on ${births.length.toLocaleString('en-US')} days…`);
    const weekdays = Int32Array.from({ length: births.length }, (_, t) => gg.models.dayOfWeek(first + t));
    this.regimes = await gg.models.detectRegimes(births, { ...REGIME_SETTINGS, nComponents: this.states, seed: SEED, labels: weekdays });
    this.shell!.note(`${this.states} regimes after ${this.regimes.iterations} Baum-Welch iterations${this.regimes.converged ? '' : ' (not converged)'}`);
  }

  async render(): Promise<void> {
    this.drawChart();
    this.showFit();
    this.showScores();
    this.showRegimes();
  }

  /** The chart's window of days, from the chosen view. */
  private window(): { from: number; to: number } {
    const N = this.series!.births.length;
    const T = N - this.horizon;
    if (this.chartView === 'all') return { from: 0, to: N };
    const from = Math.max(0, T - (this.chartView === 'years' ? 3 * 365 : HISTORY_SHOWN));
    return { from, to: this.chartView === 'start' ? Math.min(N, T + HISTORY_SHOWN) : N };
  }

  private drawChart(): void {
    if (!this.series) return; // the pointer or the view picker moved while the data loads
    const { start, births } = this.series;
    const T = births.length - this.horizon;
    const { from, to } = this.window();
    const result = this.result;
    const labels = this.regimes ? this.regimes.states.subarray(from, to) : null;
    this.shownFrom = from;
    this.indexAt = drawForecastChart(
      this.chart,
      {
        firstDay: gg.models.dayNumber(start) + from,
        observed: births.subarray(from, to),
        forecastStart: T - from,
        forecast: result && { mean: result.mean.subarray(0, to - T), lower: result.lower.subarray(0, to - T), upper: result.upper.subarray(0, to - T) },
        labels,
      },
      this.highlight,
    );
    const legend: [string, string][] = [['the truth', colors.text]];
    if (result) legend.push(['forecast mean', palette[1]], ['80% band', 'rgba(242, 142, 43, 0.45)']);
    if (this.regimes) this.regimes.regimes.forEach((_, k) => legend.push([`state ${k + 1}`, palette[k % palette.length]]));
    this.chartLegend.replaceChildren(...legend.map(([text, color]) => {
      const item = element('span', {}, text);
      const dot = element('i');
      dot.style.background = color;
      item.prepend(dot);
      return item;
    }));
    this.showReadout();
  }

  /** The day under the pointer: its date, the truth, the forecast there and the day's regime. */
  private showReadout(): void {
    if (this.highlight === null) {
      this.readout.textContent = 'point at the chart for a day\'s numbers';
      return;
    }
    const { start, births } = this.series!;
    const t = this.shownFrom + this.highlight;
    const h = t - (births.length - this.horizon);
    const parts = [`${formatDate(gg.models.dayNumber(start) + t)}: ${formatCount(births[t])} births`];
    if (h >= 0 && this.result) parts.push(`forecast ${formatCount(this.result.mean[h])} (80%: ${formatCount(this.result.lower[h])}–${formatCount(this.result.upper[h])})`);
    else if (h >= 0) parts.push('held out');
    if (this.regimes) parts.push(`state ${this.regimes.states[t] + 1}`);
    this.readout.textContent = parts.join(' · ');
  }

  /** The fit's progress (step, loss, steps/s, ETA), then what the forecast took. */
  private showFit(): void {
    const p = this.lastProgress;
    const N = this.series!.births.length;
    const heldOut = `${formatDate(gg.models.dayNumber(this.series!.start) + N - this.horizon)} on`;
    if (!p) {
      this.fitInfo.textContent = `press Start to fit the forecaster on ${(N - this.horizon).toLocaleString('en-US')} days (${this.steps.toLocaleString('en-US')} steps of ${FIT_SETTINGS.batchSize} rows), then forecast the ${this.horizon} days from ${heldOut}`;
      return;
    }
    const fitLine = `step ${p.step} of ${p.totalSteps} · loss ${p.losses.loss.toFixed(3)} · ${p.stepsPerSecond.toFixed(p.stepsPerSecond < 10 ? 2 : 1)} steps/s`;
    if (this.stage === 'fit') this.fitInfo.textContent = `${fitLine} · ETA ${gg.formatDuration(p.etaSeconds)}`;
    else if (!this.result) this.fitInfo.textContent = `${fitLine}, trained in ${gg.formatDuration(p.elapsedSeconds)}; next: the forecast of the ${this.horizon} days from ${heldOut}`;
    else this.fitInfo.textContent = `${fitLine}, trained in ${gg.formatDuration(p.elapsedSeconds)}; ${this.horizon} days forecast over ${this.paths} paths in ${gg.formatDuration(this.result.seconds)}. Reset trains a fresh model.`;
  }

  private showScores(): void {
    const header = element('tr');
    header.append(...['forecast of the held-out days', 'MASE', 'log-likelihood (nats/day)', '80% band covers'].map((text) => element('th', {}, text)));
    const rows = [this.result?.score ?? null, ...this.naiveScores].map((score) => {
      const tr = element('tr');
      if (!score) {
        tr.append(element('td', {}, `GaussianForecaster (the mixture over ${this.paths} paths)`), ...[0, 1, 2].map(() => element('td', {}, 'after training')));
        return tr;
      }
      tr.append(
        element('td', {}, score.name),
        element('td', {}, score.mase.toFixed(3)),
        element('td', {}, score.logLikelihood.toFixed(3)),
        element('td', {}, `${(100 * score.coverage).toFixed(1)}%`),
      );
      return tr;
    });
    this.scores.replaceChildren(header, ...rows);
  }

  /** The calendar of decoded states and what each state is: its level, its days of the week, its holidays. */
  private showRegimes(): void {
    const report = this.regimes;
    const { start, births } = this.series!;
    const first = gg.models.dayNumber(start);
    if (!report) {
      sharpContext(this.calendar);
      this.regimeLegend.replaceChildren();
      this.regimeInfo.textContent = 'the regimes are found after the forecast, or now with Find regimes';
      return;
    }
    drawYearGrid(this.calendar, first, report.states);
    const holidays = new Set<number>();
    for (let year = start.year; year <= gg.models.dateOfDay(first + births.length - 1).year; year++) {
      for (const holiday of gg.models.usFederalHolidays(year)) holidays.add(gg.models.dayNumber(holiday.date) - first);
    }
    const weekdayTotals = WEEKDAYS.map((_, d) => report.regimes.reduce((sum, r) => sum + r.labelCounts![d], 0));
    this.regimeLegend.replaceChildren(...report.regimes.map((regime, k) => {
      const days = regime.labelCounts!.map((count, d) => [count / weekdayTotals[d], d] as const).filter(([share]) => share >= 0.25);
      const holidayCount = [...holidays].filter((t) => t >= 0 && t < births.length && report.states[t] === k).length;
      const item = element('span', {},
        `state ${k + 1}: ${(100 * regime.mean).toFixed(1)}% of the yearly mean, ${formatCount(regime.valueMean)} births/day, ${(100 * regime.fraction).toFixed(1)}% of days, stays ${regime.meanDuration.toFixed(1)} days; ` +
        `${days.map(([share, d]) => `${WEEKDAYS[d]} ${(100 * share).toFixed(0)}%`).join(', ') || 'no weekday in a quarter'}; ${holidayCount} of ${holidays.size} federal holidays`);
      const dot = element('i');
      dot.style.background = palette[k % palette.length];
      item.prepend(dot);
      return item;
    }));
    this.regimeInfo.textContent = `${report.regimes.length} states, ${report.iterations} Baum-Welch iterations${report.converged ? '' : ' (not converged)'}; each row a year, each column a day of the year; a weekday's share is of all its days`;
  }
}

export const timeSeriesPage: PageModule = {
  id: 'timeseries',
  label: 'Time series',
  blurb: 'A year of daily US births forecast by a Gaussian MLP over lags and the calendar: truth against the forecast with its 80% band, scored against the seasonal naive; and the regimes a Gaussian HMM finds.',
  create: () => new TimeSeriesPage(),
};
