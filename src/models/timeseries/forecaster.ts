// GaussianForecaster: a small autoregressive forecaster with a Gaussian output. The series is
// transformed (optionally to logarithms) and standardised with the training values' mean and
// standard deviation; a GaussianMlp maps a row of past values (windows.ts) and known-ahead
// covariates (calendar.ts) to the mean and log-variance of the next value, and is trained on the GPU
// by Adam on the Gaussian NLL (trainer.ts) through trainLoop. Forecasting is recursive over sampled
// paths: at each step every path's row goes through the network in one batch, a value is drawn from
// its Gaussian (on the host, from a seeded stream) and appended to the path, and the step's Gaussian
// is kept; the forecast distribution is the mixture over the paths (distribution.ts). Everything
// random is seeded: the initial weights, the training batches and the paths.

import { noGrad } from '../../autograd.js';
import { tensor } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';
import { Generator } from '../../ops/random.js';
import { SeededRandom } from '../../data/random.js';
import { scope } from '../../tensor.js';
import { trainLoop, type TrainHistory } from '../../train/loop.js';
import type { Progress } from '../../train/progress.js';
import type { Covariates } from './calendar.js';
import { ForecastDistribution, type SeriesTransform } from './distribution.js';
import { GaussianMlp } from './network.js';
import { ForecasterTrainer } from './trainer.js';
import { checkWindowSpec, lagReach, rowWidth, windowRows, writeWindowRow, type WindowSpec } from './windows.js';

/** Options of {@link GaussianForecaster}. */
export interface GaussianForecasterOptions {
  /** Lags k >= 1 whose values feed the network (default 1 ... 14). */
  lags?: readonly number[];
  /** Ranges [from, to] of lags whose mean values feed the network (default none). */
  windows?: readonly (readonly [number, number])[];
  /** Known-ahead features of each step, e.g. calendarCovariates(start) (default none). */
  covariates?: Covariates | null;
  /** Model the values ('none', default) or their logarithms ('log': positive series, multiplicative effects). */
  transform?: SeriesTransform;
  /** Width of the network's hidden layers (default 64). */
  hiddenSize?: number;
  /** Hidden layers (default 2). */
  numLayers?: number;
  /** Seeds the initial weights and the training batches (default 0). */
  seed?: number;
}

/** Options of `GaussianForecaster.fit`. */
export interface ForecasterFitOptions {
  /** Adam steps (default 2000). */
  steps?: number;
  /** Rows per step, drawn with replacement (default 256). */
  batchSize?: number;
  /** Adam's learning rate, decayed by a cosine to minLr over the steps (default 2e-3). */
  lr?: number;
  /** The learning rate at the last step (default lr / 20). */
  minLr?: number;
  /** Steps between progress lines (default: about 20 per run). */
  logEvery?: number;
  /** Receives each progress line's numbers (default: prints it, as trainLoop does). */
  onProgress?: (progress: Progress) => unknown;
}

/** How the series is standardised: the network sees (transform(y) - center) / spread. */
export interface Standardization {
  /** The mean of the transformed training values. */
  center: number;
  /** Their standard deviation. */
  spread: number;
}

/** What `GaussianForecaster.fit` returns. */
export interface ForecasterFitResult {
  /** Training rows (steps with a full window of past values). */
  rows: number;
  /** trainLoop's history: the mean loss (Gaussian NLL, nats per standardised value) at each progress line, the steps and the seconds. */
  history: TrainHistory;
}

/** Options of `GaussianForecaster.forecast`. */
export interface ForecastOptions {
  /** Sampled paths (default 200). */
  paths?: number;
  /** Seeds the paths' draws (default: the forecaster's seed). */
  seed?: number;
  /**
   * Continue this series instead of the fitted one. Its step 0 must be the fitted series' step 0 (the
   * covariates count steps from there); it may hold values observed after fitting.
   */
  history?: ArrayLike<number>;
}

/**
 * A Gaussian autoregressive forecaster: fit(series) trains the network on one-step-ahead rows;
 * forecast(horizon) samples paths recursively and returns their mixture (see the file's comment).
 */
export class GaussianForecaster {
  /** The lags and windows of each row. */
  readonly spec: Required<WindowSpec>;
  /** The known-ahead features of each step, or null. */
  readonly covariates: Covariates | null;
  /** The series' transform before standardising. */
  readonly transform: SeriesTransform;
  /** The network's hidden width. */
  readonly hiddenSize: number;
  /** The network's hidden layers. */
  readonly numLayers: number;
  /** The seed of the weights, the batches and (by default) the paths. */
  readonly seed: number;
  private net: GaussianMlp | null = null;
  private fitted: { history: Float64Array; center: number; spread: number } | null = null;

  constructor(options: GaussianForecasterOptions = {}) {
    const op = 'GaussianForecaster';
    const { lags = Array.from({ length: 14 }, (_, i) => i + 1), windows = [], covariates = null, transform = 'none', hiddenSize = 64, numLayers = 2, seed = 0 } = options;
    this.spec = { lags: [...lags], windows: windows.map((w) => [w[0], w[1]] as const) };
    checkWindowSpec(op, this.spec);
    if (transform !== 'none' && transform !== 'log') throw new Error(`${op}: transform must be 'none' or 'log', got '${String(transform)}'`);
    if (!Number.isSafeInteger(seed)) throw new Error(`${op}: seed must be a safe integer, got ${seed}`);
    if (covariates !== null && (!Number.isInteger(covariates.width) || typeof covariates.write !== 'function')) {
      throw new Error(`${op}: covariates must have an integer width and a write(t, out, offset) function`);
    }
    for (const [name, value] of [['hiddenSize', hiddenSize], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${value}`);
    }
    this.covariates = covariates;
    this.transform = transform;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.seed = seed;
  }

  /** Features per row: lags, windows, covariates. */
  get inputSize(): number {
    return rowWidth(this.spec, this.covariates);
  }

  /** The trained network (after fit). */
  get network(): GaussianMlp {
    if (!this.net) throw new Error('GaussianForecaster.network: not fitted yet; call fit() first');
    return this.net;
  }

  /** The mean and standard deviation of the transformed training values, which standardise the series. */
  get standardization(): Standardization {
    if (!this.fitted) throw new Error('GaussianForecaster.standardization: not fitted yet; call fit() first');
    return { center: this.fitted.center, spread: this.fitted.spread };
  }

  /** The series (checked) in the network's space, transformed and standardised. */
  private standardize(series: ArrayLike<number>, center: number, spread: number): Float64Array {
    return Float64Array.from({ length: series.length }, (_, t) => ((this.transform === 'log' ? Math.log(series[t]) : series[t]) - center) / spread);
  }

  private checkSeries(op: string, series: ArrayLike<number>): void {
    if (!series || typeof series.length !== 'number') throw new Error(`${op}: expected an array of numbers, got ${String(series)}`);
    const reach = lagReach(this.spec);
    if (series.length <= reach) throw new Error(`${op}: the series has ${series.length} values, but the lags reach back ${reach} steps; give more than ${reach}`);
    for (let t = 0; t < series.length; t++) {
      const v = series[t];
      if (!Number.isFinite(v)) throw new Error(`${op}: value ${t} of the series is ${v}; the series must be finite`);
      if (this.transform === 'log' && v <= 0) throw new Error(`${op}: value ${t} of the series is ${v}; transform 'log' needs positive values`);
    }
  }

  /**
   * Trains a fresh network (seeded) on every step of `series` with a full window of past values,
   * each row's target the value at its step. Replaces any earlier fit.
   */
  async fit(series: ArrayLike<number>, options: ForecasterFitOptions = {}): Promise<ForecasterFitResult> {
    const op = 'GaussianForecaster.fit';
    const { steps = 2000, batchSize = 256, lr = 2e-3 } = options;
    const minLr = options.minLr ?? lr / 20;
    this.checkSeries(op, series);
    for (const [name, value] of [['steps', steps], ['batchSize', batchSize]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${value}`);
    }
    let sum = 0;
    let squares = 0;
    for (let t = 0; t < series.length; t++) {
      const x = this.transform === 'log' ? Math.log(series[t]) : series[t];
      sum += x;
      squares += x * x;
    }
    const center = sum / series.length;
    const spread = Math.sqrt(Math.max(0, squares / series.length - center * center));
    if (!(spread > 0)) throw new Error(`${op}: the series is constant (${center}); there is nothing to model`);
    const values = this.standardize(series, center, spread);
    const rows = windowRows(values, this.spec, this.covariates);
    this.dispose();
    this.net = new GaussianMlp({ inputSize: rows.width, hiddenSize: this.hiddenSize, numLayers: this.numLayers }, { generator: new Generator(this.seed) });
    this.fitted = { history: Float64Array.from(series), center, spread };
    const inputs = tensor(rows.inputs, [rows.count, rows.width]).keep();
    const targets = tensor(rows.targets, [rows.count]).keep();
    const trainer = new ForecasterTrainer(this.net, { lr, minLr, decaySteps: steps });
    try {
      const history = await trainLoop({
        trainer,
        batches: (step: number) => {
          const random = new SeededRandom(this.seed, step);
          const index = tensor(Int32Array.from({ length: batchSize }, () => random.int(rows.count)), [batchSize]);
          return { inputs: indexSelect(inputs, 0, index), targets: indexSelect(targets, 0, index) };
        },
        steps,
        examplesPerStep: batchSize,
        unit: 'rows',
        logEvery: options.logEvery,
        onProgress: options.onProgress,
      });
      return { rows: rows.count, history };
    } finally {
      this.net.zeroGrad();
      trainer.dispose();
      inputs.dispose();
      targets.dispose();
    }
  }

  /**
   * The distribution of the `horizon` steps after the fitted series (or options.history), from
   * `paths` recursively sampled paths (see the file's comment).
   */
  async forecast(horizon: number, options: ForecastOptions = {}): Promise<ForecastDistribution> {
    const op = 'GaussianForecaster.forecast';
    const { paths = 200, seed = this.seed } = options;
    const net = this.net;
    if (!net || !this.fitted) throw new Error(`${op}: not fitted yet; call fit() first`);
    if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`${op}: horizon must be an integer >= 1, got ${horizon}`);
    if (!Number.isInteger(paths) || paths < 1) throw new Error(`${op}: paths must be an integer >= 1, got ${paths}`);
    if (!Number.isSafeInteger(seed)) throw new Error(`${op}: seed must be a safe integer, got ${seed}`);
    const observed = options.history ?? this.fitted.history;
    if (options.history !== undefined) this.checkSeries(op, observed);
    const { center, spread } = this.fitted;
    const T = observed.length;
    const base = this.standardize(observed, center, spread);
    const tracks = Array.from({ length: paths }, () => {
      const track = new Float64Array(T + horizon);
      track.set(base);
      return track;
    });
    const width = this.inputSize;
    const rows = new Float32Array(paths * width);
    const loc = new Float64Array(paths * horizon);
    const scale = new Float64Array(paths * horizon);
    const samples = new Float64Array(paths * horizon);
    const random = new SeededRandom(seed);
    const wasTraining = net.training;
    net.eval();
    try {
      for (let h = 0; h < horizon; h++) {
        const t = T + h;
        for (let n = 0; n < paths; n++) writeWindowRow(tracks[n], t, this.spec, this.covariates, rows, n * width);
        const out = scope(() => noGrad(() => net.forward(tensor(rows, [paths, width]))));
        const gaussians = (await out.data()) as Float32Array;
        out.dispose();
        for (let n = 0; n < paths; n++) {
          const mean = gaussians[2 * n];
          const std = Math.exp(0.5 * gaussians[2 * n + 1]);
          if (!Number.isFinite(mean) || !Number.isFinite(std) || std === 0) {
            throw new Error(`${op}: the network gave path ${n} at step ${h} the Gaussian mean ${mean}, standard deviation ${std}`);
          }
          const z = mean + std * random.normal();
          tracks[n][t] = z;
          loc[n * horizon + h] = center + spread * mean;
          scale[n * horizon + h] = spread * std;
          const x = center + spread * z;
          samples[n * horizon + h] = this.transform === 'log' ? Math.exp(x) : x;
        }
      }
    } finally {
      net.train(wasTraining);
    }
    return new ForecastDistribution(horizon, paths, this.transform, loc, scale, samples);
  }

  /** Frees the network's weights; fit() again before forecasting. */
  dispose(): void {
    this.net?.dispose();
    this.net = null;
    this.fitted = null;
  }
}
