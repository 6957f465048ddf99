// Gaussian mixture models fitted by EM on the GPU, shaped like scikit-learn's GaussianMixture:
// four covariance types, scikit-learn's four initialisations (init_params) and given means, n_init
// restarts, fitPredict, predict, predictProba, scoreSamples, score, sample, bic, aic, the precisions
// and their Cholesky factors, and anomaly flags from a quantile of the training scores.
//
// Where the work runs. Every pass over the N samples is a WGSL kernel: the E-step computes each
// sample's log-density under every component from the Cholesky factors of the precisions and turns
// them into responsibilities with an online logsumexp (shaders/models/gaussian_logpdf.wgsl); the
// M-step's sufficient statistics n_k, Σ r x and Σ r x xᵀ are chunked reductions about the current
// means (shaders/models/gaussian_moments.wgsl); k-means++ scores its candidate centres in
// shaders/models/kmeans_distances.wgsl. These kernels are shared with the Gaussian HMM
// (src/models/shared/).
// One EM iteration then reads back one small buffer: the per-component statistics and partial sums
// of the per-sample log-likelihoods, which the convergence test needs (see LOWER_BOUND_BLOCK).
// From those, the host forms the new weights, means and covariances and their D x D Cholesky
// factors in float64 (params.ts): K tiny factorisations are not worth a GPU launch each.
//
// Stability. Log-densities stay in log space until the responsibilities; the covariance statistics
// are taken about each component's current mean, so f32 keeps its digits when the data sit far
// from the origin; every responsibility mass gets a floor of 10 ε = 2.2e-15 (as scikit-learn), so
// no weight is 0; an empty component keeps its last mean and covariance; regCovar (and, if rounding
// needs it, jitter) keeps each covariance positive definite. The parameters are never NaN.

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { div, ltScalar } from '../../ops/elementwise.js';
import { concat, oneHot, pad } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import { argmax, mean, sum } from '../../ops/reduce.js';
import { Generator, multinomial, rand, randn, type Seed } from '../../ops/random.js';
import { allFinite, checkFiniteLater } from '../../ops/checks.js';
import {
  componentSums, gaussianSamples, padFeatures, padRows, paddedFeatures, responsibilities, uploadGaussians, weightedMoments,
  type PackedGaussians, type Responsibilities,
} from '../shared/gaussian.js';
import { dataMoments, rows, type DataMoments } from '../shared/linalg.js';
import { defaultLocalTrials, kmeansPlusPlus, lloyd, nearestCenter, randomDistinctRows, roundedToF32 } from '../shared/kmeans.js';
import {
  covarianceFactors, covarianceLength, covarianceTypes, freeParameterCount, kernelFamily, kernelParameters, mStep, pointMasses,
  precisionCholesky, precisionMatrices, type CovarianceType, type MixtureShape, type MixtureState,
} from './params.js';

export type { CovarianceType as GaussianMixtureCovarianceType } from './params.js';

/**
 * scikit-learn's init_params, as it spells them: 'kmeans' (k-means), 'k-means++' (a point mass at
 * each k-means++ seed), 'random' (random responsibilities), 'random_from_data' (a point mass at
 * each of K distinct random samples).
 */
export type GaussianMixtureInitParams = 'kmeans' | 'k-means++' | 'random' | 'random_from_data';

/**
 * How the first parameters are chosen: one of scikit-learn's init_params, 'kmeans++' (the
 * k-means++ seeds with every sample assigned to its nearest seed), or given means [K][D].
 */
export type GaussianMixtureInit = GaussianMixtureInitParams | 'kmeans++' | number[][];

const initNames: readonly string[] = ['kmeans', 'k-means++', 'random', 'random_from_data', 'kmeans++'];

/** Options of {@link GaussianMixture} (scikit-learn's names in camelCase, same defaults). */
export interface GaussianMixtureOptions {
  /** K, the number of components (default 1). */
  nComponents?: number;
  /** 'full' (default), 'tied' (one shared matrix), 'diag' or 'spherical' (one variance per component). */
  covarianceType?: CovarianceType;
  /**
   * scikit-learn's init_params (default 'kmeans'): 'kmeans', k-means++ seeding refined by Lloyd
   * iterations, then one M-step from the hard assignment; 'k-means++', a point mass at each of the
   * K greedy k-means++ seeds (mean = the seed, covariance regCovar I, equal weights); 'random', an
   * M-step from uniformly random responsibilities; 'random_from_data', a point mass at each of K
   * distinct samples drawn uniformly. Give this or `init`, not both.
   */
  initParams?: GaussianMixtureInitParams;
  /**
   * The same choice under this library's older name, with two more: 'kmeans++', the M-step from
   * every sample's nearest k-means++ seed (scikit-learn's 'k-means++' is the point-mass start
   * above); and means [K][D], kept as the first means (as scikit-learn's means_init), with
   * covariances and weights from the nearest-mean assignment.
   */
  init?: GaussianMixtureInit;
  /** Added to the diagonal of every covariance (default 1e-6). */
  regCovar?: number;
  /**
   * EM stops when the mean log-likelihood changes by less than this between iterations (default 1e-3,
   * as scikit-learn). The mean is added up in float64 from f32 per-sample values, so it resolves
   * changes of ~5e-7 at scores of -20 to -40: a tol of 1e-6 works there, a tol of 1e-8 would not.
   */
  tol?: number;
  /** EM iterations per start (default 100). */
  maxIter?: number;
  /** Starts from different initialisations; the one with the highest final lower bound is kept (default 1). */
  nInit?: number;
  /** Seed of the GPU random stream behind initialisation and sampling (default 0). */
  seed?: Seed;
  /** Start fit() from the current parameters (a previous fit or setParameters) instead of initialising; nInit is then 1. */
  warmStart?: boolean;
}

/** Covariances as scikit-learn shapes them: full [K][D][D], tied [D][D], diag [K][D], spherical [K]. */
export type GaussianMixtureCovariances = number[][][] | number[][] | number[];

/** The parameters of a fitted mixture, for setParameters and for reading them out. */
export interface GaussianMixtureParameters {
  /** [K] mixture weights, summing to 1. */
  weights: number[];
  /** [K][D] component means. */
  means: number[][];
  /** Covariances shaped by the covariance type. */
  covariances: GaussianMixtureCovariances;
}

/** Points drawn by `GaussianMixture.sample`. */
export interface GaussianMixtureSample {
  /** [n, D] f32 samples. */
  samples: Tensor;
  /** [n] i32 component of each sample. */
  labels: Tensor;
}

/**
 * The most features a model may have: each EM iteration reads back O(K D²) statistics and factors
 * K D x D matrices on the host in float64, which stops paying past this.
 */
const MAX_FEATURES = 128;

interface RunResult {
  state: MixtureState;
  lowerBound: number;
  history: number[];
  converged: boolean;
  nIter: number;
}

/**
 * A Gaussian mixture model fitted by EM on the GPU, shaped like scikit-learn's GaussianMixture: four covariance types,
 * k-means / k-means++ / random / given-means initialisation, nInit restarts, predict, predictProba, scoreSamples,
 * score, sample, bic, aic and anomaly flags. Every pass over the samples is a WGSL kernel; the small per-component
 * M-step runs on the host in float64.
 */
export class GaussianMixture {
  /** K, the number of components. */
  readonly nComponents: number;
  /** How the covariances are shaped. */
  readonly covarianceType: CovarianceType;
  /** How fit() chooses the first parameters. */
  readonly init: GaussianMixtureInit;
  /** Added to the diagonal of every covariance. */
  readonly regCovar: number;
  /** EM stops when the mean log-likelihood changes by less than this. */
  readonly tol: number;
  /** EM iterations per start, at most. */
  readonly maxIter: number;
  /** Starts per fit(); the best is kept. */
  readonly nInit: number;
  /** Whether fit() continues from the current parameters. */
  readonly warmStart: boolean;

  /** Whether the kept run's EM met the tolerance before maxIter. */
  converged = false;
  /** EM iterations of the kept run. */
  nIter = 0;
  /** The mean log-likelihood of the training data at the last E-step of the kept run. */
  lowerBound = -Infinity;
  /** The mean log-likelihood at every E-step of the kept run (non-decreasing, up to f32 rounding). */
  lowerBoundHistory: number[] = [];
  /** Set by fitAnomalyThreshold: scores below it are flagged by isAnomaly. */
  anomalyThreshold: number | null = null;

  private readonly generator: Generator;
  private shape: MixtureShape | null = null;
  private state: MixtureState | null = null;

  constructor(options: GaussianMixtureOptions = {}) {
    this.nComponents = options.nComponents ?? 1;
    this.covarianceType = options.covarianceType ?? 'full';
    if (options.init !== undefined && options.initParams !== undefined) {
      fail('constructor', `give initParams or init, not both (got initParams '${String(options.initParams)}' and init ${String(options.init)})`);
    }
    if (options.initParams !== undefined && (typeof options.initParams !== 'string' || !initNames.slice(0, 4).includes(options.initParams))) {
      fail('constructor', `initParams must be one of ${initNames.slice(0, 4).map((n) => `'${n}'`).join(', ')}, got ${String(options.initParams)}`);
    }
    this.init = options.initParams ?? options.init ?? 'kmeans';
    this.regCovar = options.regCovar ?? 1e-6;
    this.tol = options.tol ?? 1e-3;
    this.maxIter = options.maxIter ?? 100;
    this.nInit = options.nInit ?? 1;
    this.warmStart = options.warmStart ?? false;
    if (!Number.isInteger(this.nComponents) || this.nComponents < 1) fail('constructor', `nComponents must be an integer >= 1, got ${this.nComponents}`);
    if (!covarianceTypes.includes(this.covarianceType)) {
      fail('constructor', `covarianceType must be one of ${covarianceTypes.join(', ')}, got '${this.covarianceType}'`);
    }
    if (typeof this.init === 'string' ? !initNames.includes(this.init) : !Array.isArray(this.init)) {
      fail('constructor', `init must be one of ${initNames.map((n) => `'${n}'`).join(', ')} or an array of ${this.nComponents} means, got ${String(this.init)}`);
    }
    if (Array.isArray(this.init) && this.init.length !== this.nComponents) {
      fail('constructor', `init gives ${this.init.length} means but nComponents is ${this.nComponents}`);
    }
    if (!(this.regCovar >= 0 && Number.isFinite(this.regCovar))) fail('constructor', `regCovar must be a finite number >= 0, got ${this.regCovar}`);
    if (!(this.tol >= 0 && Number.isFinite(this.tol))) fail('constructor', `tol must be a finite number >= 0, got ${this.tol}`);
    if (!Number.isInteger(this.maxIter) || this.maxIter < 1) fail('constructor', `maxIter must be an integer >= 1, got ${this.maxIter}`);
    if (!Number.isInteger(this.nInit) || this.nInit < 1) fail('constructor', `nInit must be an integer >= 1, got ${this.nInit}`);
    this.generator = new Generator(options.seed ?? 0);
  }

  // ---- parameters ----------------------------------------------------------------------------------

  /** True once the model has parameters (from fit() or setParameters()). */
  get isFitted(): boolean {
    return this.state !== null;
  }

  /** D, the feature count (after fit or setParameters). */
  get nFeatures(): number {
    return this.fitted('nFeatures').shape.nFeatures;
  }

  /** [K] mixing weights, summing to 1. */
  get weights(): number[] {
    return Array.from(this.fitted('weights').state.weights);
  }

  /** [K][D] component means. */
  get means(): number[][] {
    const { state, shape } = this.fitted('means');
    return rows(state.means, shape.nFeatures);
  }

  /** Covariances in scikit-learn's shape for the covariance type (see GaussianMixtureCovariances). */
  get covariances(): GaussianMixtureCovariances {
    const { state, shape } = this.fitted('covariances');
    return shapedLikeCovariances(state.covariances, shape);
  }

  /**
   * The precision matrices, the inverse covariances (scikit-learn's precisions_), in the
   * covariances' shape: full [K][D][D] and tied [D][D] as U Uᵀ from precisionsCholesky, diag [K][D]
   * and spherical [K] as 1 / variance.
   */
  get precisions(): GaussianMixtureCovariances {
    const { state, shape } = this.fitted('precisions');
    return shapedLikeCovariances(precisionMatrices(state, shape), shape);
  }

  /**
   * The Cholesky factors of the precisions (scikit-learn's precisions_cholesky_), in the
   * covariances' shape: for full and tied, the upper triangular U = L⁻ᵀ of each covariance's lower
   * Cholesky factor L, so that precision = U Uᵀ (scikit-learn's convention, which is not the lower
   * Cholesky factor of the precision); for diag and spherical, 1 / sqrt(variance).
   */
  get precisionsCholesky(): GaussianMixtureCovariances {
    const { state, shape } = this.fitted('precisionsCholesky');
    return shapedLikeCovariances(precisionCholesky(state, shape), shape);
  }

  /** All parameters at once, as setParameters takes them. */
  getParameters(): GaussianMixtureParameters {
    return { weights: this.weights, means: this.means, covariances: this.covariances };
  }

  /**
   * Sets the parameters directly (to sample from a known mixture, or to start a warmStart fit from
   * them). Weights must be positive (they are normalised); covariances positive definite.
   */
  setParameters(params: GaussianMixtureParameters): this {
    const K = this.nComponents;
    const { weights, means, covariances } = params;
    if (!Array.isArray(weights) || weights.length !== K || !weights.every((w) => w > 0 && Number.isFinite(w))) {
      fail('setParameters', `weights must be ${K} positive finite numbers, got [${String(weights)}]`);
    }
    const D = Array.isArray(means) && Array.isArray(means[0]) ? means[0].length : 0;
    if (means.length !== K || D < 1 || D > MAX_FEATURES || !means.every((m) => Array.isArray(m) && m.length === D && m.every(Number.isFinite))) {
      fail('setParameters', `means must be ${K} rows of the same length (1 to ${MAX_FEATURES} finite numbers)`);
    }
    const shape: MixtureShape = { nComponents: K, nFeatures: D, covarianceType: this.covarianceType };
    const flatCovariances = Float64Array.from((covariances as unknown[]).flat(2) as number[]);
    if (flatCovariances.length !== covarianceLength(shape) || !flatCovariances.every(Number.isFinite)) {
      const expected = { full: `[${K}][${D}][${D}]`, tied: `[${D}][${D}]`, diag: `[${K}][${D}]`, spherical: `[${K}]` }[this.covarianceType];
      fail('setParameters', `${this.covarianceType} covariances must be finite numbers shaped ${expected}`);
    }
    const total = weights.reduce((s, w) => s + w, 0);
    const state: MixtureState = {
      weights: Float64Array.from(weights, (w) => w / total),
      means: Float64Array.from(means.flat()),
      covariances: flatCovariances,
    };
    if (kernelFamily(shape.covarianceType) === 'diag' && !flatCovariances.every((v) => v > 0)) {
      fail('setParameters', `${shape.covarianceType} variances must be positive`);
    }
    if (kernelFamily(shape.covarianceType) === 'full' && !isSymmetric(flatCovariances, D)) {
      fail('setParameters', `${shape.covarianceType} covariance matrices must be symmetric`);
    }
    covarianceFactors(state, shape); // throws when a matrix is not positive definite
    this.shape = shape;
    this.state = state;
    return this;
  }

  // ---- fitting -------------------------------------------------------------------------------------

  /** Fits the mixture to x [N, D] (f32) by EM: nInit starts, each up to maxIter iterations. */
  async fit(x: Tensor): Promise<this> {
    this.checkData('fit', x);
    const [n, d] = x.shape;
    if (n < this.nComponents) {
      fail('fit', `nComponents (${this.nComponents}) must not exceed the number of samples (${n})`, x);
    }
    const warm = this.warmStart && this.state !== null;
    if (warm && this.shape!.nFeatures !== d) {
      fail('fit', `warmStart: x has ${d} features but the current parameters have ${this.shape!.nFeatures}`, x);
    }
    if (Array.isArray(this.init) && !warm) checkMeans('fit', this.init, d, x);
    if (!(await allFinite(x))) fail('fit', 'x contains NaN or Inf', x);
    const shape: MixtureShape = { nComponents: this.nComponents, nFeatures: d, covarianceType: this.covarianceType };
    const moments = warm ? null : await dataMoments(x, false);
    const padded = padFeatures(x);
    let best: RunResult | null = null;
    try {
      for (let run = 0; run < (warm ? 1 : this.nInit); run++) {
        const start = warm ? this.state! : await this.initialize(padded, shape, moments!);
        const result = await this.runEm(padded, shape, start);
        if (!best || result.lowerBound > best.lowerBound) best = result;
      }
    } finally {
      if (padded !== x) padded.dispose();
    }
    this.shape = shape;
    this.state = best!.state;
    this.lowerBound = best!.lowerBound;
    this.lowerBoundHistory = best!.history;
    this.converged = best!.converged;
    this.nIter = best!.nIter;
    this.anomalyThreshold = null;
    return this;
  }

  /**
   * Fits the mixture to x and returns the most probable component of each row, i32 [N]
   * (scikit-learn's fit_predict: the labels of a last E-step under the fitted parameters, the same
   * as predict(x) after fit(x)).
   */
  async fitPredict(x: Tensor): Promise<Tensor> {
    await this.fit(x);
    return this.predict(x);
  }

  /** EM on the padded data from `start` until the lower bound changes by less than tol, or maxIter. */
  private async runEm(x: Tensor, shape: MixtureShape, start: MixtureState): Promise<RunResult> {
    let state = start;
    let lowerBound = -Infinity;
    const history: number[] = [];
    for (let iteration = 1; iteration <= this.maxIter; iteration++) {
      const previous = lowerBound;
      const shift = roundedToF32(state.means);
      const parameters = kernelParameters(state, shape);
      const summary = scope(() => {
        const mixture = uploadGaussians(parameters);
        const { resp, logLikelihood } = responsibilities(x, mixture);
        const stats = weightedMoments(x, resp, mixture.means, mixture.family);
        return concat([stats, lowerBoundPartials(logLikelihood)]);
      });
      const values = (await summary.data()) as Float32Array;
      summary.dispose();
      const partials = values.subarray(values.length - lowerBoundBlocks(x.shape[0]));
      const stats = values.subarray(0, values.length - partials.length);
      lowerBound = exactLowerBound(partials, stats, parameters, shape, x.shape[0]);
      if (Number.isNaN(lowerBound)) fail('fit', `the log-likelihood became NaN at EM iteration ${iteration}`, x);
      state = mStep({ shape, stats, shift, regCovar: this.regCovar, fallback: state });
      history.push(lowerBound);
      if (Math.abs(lowerBound - previous) < this.tol) return { state, lowerBound, history, converged: true, nIter: iteration };
    }
    return { state, lowerBound, history, converged: false, nIter: this.maxIter };
  }

  /** The first parameters of one EM run, by the init option (`padded` is x with features padded for the kernels). */
  private async initialize(padded: Tensor, shape: MixtureShape, data: DataMoments): Promise<MixtureState> {
    const { nComponents: K, nFeatures: D } = shape;
    if (this.init === 'k-means++' || this.init === 'random_from_data') {
      const centers = this.init === 'k-means++'
        ? await kmeansPlusPlus(padded, D, K, this.generator, defaultLocalTrials(K))
        : await randomDistinctRows(padded, D, K, this.generator);
      return pointMasses(centers, shape, this.regCovar);
    }
    const fallbackCovariances = dataCovariances(data.variances, shape, this.regCovar);
    let shift: Float64Array;
    let resp: Tensor;
    if (this.init === 'random') {
      shift = roundedToF32(tile(data.means, K));
      resp = scope(() => {
        const weights = rand([padded.shape[0], K], { generator: this.generator });
        return div(weights, sum(weights, -1, true));
      });
    } else {
      const centers = Array.isArray(this.init)
        ? Float64Array.from(this.init.flat())
        : this.init === 'kmeans++'
          ? await kmeansPlusPlus(padded, D, K, this.generator, defaultLocalTrials(K))
          : await lloyd(padded, await kmeansPlusPlus(padded, D, K, this.generator, defaultLocalTrials(K)), data.variances);
      shift = roundedToF32(centers);
      resp = scope(() => oneHot(nearestCenter(padded, shift, K), K));
    }
    const statsTensor = scope(() => {
      const shiftTensor = tensor(padRows(shift, D), [K, paddedFeatures(D)]);
      return weightedMoments(padded, resp, shiftTensor, kernelFamily(shape.covarianceType));
    });
    resp.dispose();
    const stats = (await statsTensor.data()) as Float32Array;
    statsTensor.dispose();
    return mStep({
      shape, stats, shift, regCovar: this.regCovar,
      fallback: { means: shift, covariances: fallbackCovariances },
      keepMeans: Array.isArray(this.init),
    });
  }

  // ---- inference -----------------------------------------------------------------------------------

  // Each method checks x's shape and dtype at once and its values on the GPU: x holding NaN or Inf
  // makes the next read throw an error naming the method (predict and the others read nothing back).

  /** [N, K] posterior probability of each component for each row of x. */
  predictProba(x: Tensor): Tensor {
    return this.posterior('predictProba', x, 'resp');
  }

  /** [N] i32: the most probable component of each row of x. */
  predict(x: Tensor): Tensor {
    return scope(() => argmax(this.posterior('predict', x, 'resp'), -1));
  }

  /** [N] log-likelihood log p(x_n) of each row of x under the mixture. */
  scoreSamples(x: Tensor): Tensor {
    return this.posterior('scoreSamples', x, 'logLikelihood');
  }

  /** The mean log-likelihood of the rows of x (reads the GPU). */
  async score(x: Tensor): Promise<number> {
    return this.meanScore('score', x);
  }

  /** Bayesian information criterion on x: -2 N score + p log N (lower is better). */
  async bic(x: Tensor): Promise<number> {
    const score = await this.meanScore('bic', x);
    const n = x.shape[0];
    return -2 * score * n + this.parameterCount('bic') * Math.log(n);
  }

  /** Akaike information criterion on x: -2 N score + 2 p (lower is better). */
  async aic(x: Tensor): Promise<number> {
    const score = await this.meanScore('aic', x);
    return -2 * score * x.shape[0] + 2 * this.parameterCount('aic');
  }

  /** The number of free parameters p that bic and aic charge for. */
  freeParameters(): number {
    return this.parameterCount('freeParameters');
  }

  /**
   * n samples from the mixture, drawn on the GPU: component labels from the weights
   * (multinomial), then x = μ_k + L_k z with z ~ N(0, I). Uses the model's seeded stream unless a
   * generator is given.
   */
  sample(n: number, options: { generator?: Generator } = {}): GaussianMixtureSample {
    const { state, shape } = this.fitted('sample');
    if (!Number.isInteger(n) || n < 1) fail('sample', `n must be an integer >= 1, got ${n}`);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      fail('sample', `generator must be a Generator, got ${String(options.generator)}`);
    }
    const generator = options.generator ?? this.generator;
    const { nComponents: K, nFeatures: D } = shape;
    return scope(() => {
      const labels = multinomial(tensor(Float32Array.from(state.weights)), n, { generator });
      const z = randn([n, D], { generator });
      const means = tensor(Float32Array.from(state.means), [K, D]);
      const factors = tensor(Float32Array.from(covarianceFactors(state, shape)));
      return { samples: gaussianSamples(z, labels, means, factors, shape.covarianceType === 'tied'), labels };
    });
  }

  // ---- anomaly detection ---------------------------------------------------------------------------

  /**
   * Sets anomalyThreshold to the `quantile` (e.g. 0.01) of the scores of the training data x
   * (linear interpolation, as NumPy's quantile), and returns it.
   */
  async fitAnomalyThreshold(x: Tensor, quantile = 0.01): Promise<number> {
    if (!(quantile >= 0 && quantile <= 1)) fail('fitAnomalyThreshold', `quantile must be in [0, 1], got ${quantile}`);
    const scores = this.posterior('fitAnomalyThreshold', x, 'logLikelihood');
    let sorted: Float64Array;
    try {
      sorted = Float64Array.from((await scores.data()) as Float32Array).sort();
    } finally {
      scores.dispose();
    }
    const position = quantile * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, sorted.length - 1);
    this.anomalyThreshold = sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    return this.anomalyThreshold;
  }

  /** [N] f32 mask: 1 where a row's score falls below anomalyThreshold, else 0. */
  isAnomaly(x: Tensor): Tensor {
    const threshold = this.anomalyThreshold;
    if (threshold === null) fail('isAnomaly', 'no anomaly threshold; call fitAnomalyThreshold(trainingData, quantile) first');
    return scope(() => ltScalar(this.posterior('isAnomaly', x, 'logLikelihood'), threshold));
  }

  // ---- helpers -------------------------------------------------------------------------------------

  /**
   * The responsibilities or the log-likelihoods of x under the current parameters. The values of x
   * are checked on the GPU as well: NaN or Inf makes the next read throw (no sync here).
   */
  private posterior(op: string, x: Tensor, output: keyof Responsibilities): Tensor {
    const { state, shape } = this.fitted(op);
    this.checkData(op, x);
    if (x.shape[1] !== shape.nFeatures) {
      fail(op, `x has ${x.shape[1]} features but the model has ${shape.nFeatures}`, x);
    }
    checkFiniteLater(x, failure(op, 'x contains NaN or Inf', x));
    return scope(() => responsibilities(padFeatures(x), uploadGaussians(kernelParameters(state, shape)))[output]);
  }

  /** The mean log-likelihood of x, read back (score, bic, aic; `op` names the method in errors). */
  private async meanScore(op: string, x: Tensor): Promise<number> {
    const meanScore = scope(() => mean(this.posterior(op, x, 'logLikelihood')));
    try {
      return await meanScore.item();
    } finally {
      meanScore.dispose();
    }
  }

  private parameterCount(op: string): number {
    return freeParameterCount(this.fitted(op).shape);
  }

  private fitted(op: string): { state: MixtureState; shape: MixtureShape } {
    if (!this.state || !this.shape) fail(op, 'the model is not fitted; call fit(x) or setParameters() first');
    return { state: this.state, shape: this.shape };
  }

  private checkData(op: string, x: Tensor): void {
    if (!(x instanceof Tensor)) fail(op, `x must be a Tensor [N, D], got ${typeof x}`);
    x.assertAlive(`GaussianMixture.${op}`);
    if (x.dtype !== 'f32') fail(op, `x must be f32, got ${x.dtype}`, x);
    if (x.rank !== 2 || x.shape[0] < 1 || x.shape[1] < 1) fail(op, `x must be [N, D] with N, D >= 1, got ${formatShape(x.shape)}`, x);
    if (x.shape[1] > MAX_FEATURES) fail(op, `x has ${x.shape[1]} features; at most ${MAX_FEATURES} are supported (reduce the dimension first, e.g. with PCA)`, x);
  }
}

// ---- module helpers ------------------------------------------------------------------------------

function fail(op: string, message: string, x?: Tensor): never {
  throw new Error(failure(op, message, x));
}

/** The text of a GaussianMixture error: the method, the message and x's shape and dtype. */
function failure(op: string, message: string, x?: Tensor): string {
  const detail = x ? ` (x: ${formatShape(x.shape)} ${x.dtype})` : '';
  return `GaussianMixture.${op}: ${message}${detail}`;
}

/** Flat values in the covariances' layout, shaped as scikit-learn shapes them for the covariance type. */
function shapedLikeCovariances(values: Float64Array, shape: MixtureShape): GaussianMixtureCovariances {
  const D = shape.nFeatures;
  switch (shape.covarianceType) {
    case 'full':
      return rows(values, D * D).map((matrix) => rows(Float64Array.from(matrix), D));
    case 'tied':
    case 'diag':
      return rows(values, D);
    case 'spherical':
      return Array.from(values);
  }
}

/** Whether every D x D matrix in `matrices` equals its transpose (to 1e-9 relative). */
function isSymmetric(matrices: Float64Array, d: number): boolean {
  for (let m = 0; m < matrices.length; m += d * d) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = matrices[m + i * d + j];
        const b = matrices[m + j * d + i];
        if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) return false;
      }
    }
  }
  return true;
}

/**
 * The convergence test compares mean log-likelihoods that differ by tol (1e-6, say) at magnitudes of
 * 10 to 30, below one f32 step there (1.9e-6 at 16 to 32): a mean computed and read in f32 changes
 * by whole steps, plus the rounding of a long f32 sum, so EM "converged" only when two were
 * bit-identical. So the GPU only sums blocks of LOWER_BOUND_BLOCK per-sample values (f32 error
 * ~1e-5 each, independent from block to block) and the host adds the blocks in float64 (and takes
 * out the rounding of the log normalisers, exactLowerBound): the mean is then good to ~5e-7 at
 * scores of -20 to -40, the per-sample values' own f32 precision, against 4e-6 before. N / 64
 * floats more to read back per iteration.
 */
const LOWER_BOUND_BLOCK = 64;

function lowerBoundBlocks(n: number): number {
  return Math.ceil(n / LOWER_BOUND_BLOCK);
}

/**
 * The mean log-likelihood from the blocks' sums, added in float64, less the part that comes from
 * rounding each component's log normaliser to f32 for the kernel: that rounding (up to 1e-6 at
 * |log norm| ~ 20) shifts every sample's log-likelihood by its responsibility-weighted sum, the same
 * way for all samples and differently from one iteration to the next, so it would not average out.
 * To first order the shift is Σ_k n_k (f32(c_k) - c_k) / N, n_k the responsibility mass.
 */
function exactLowerBound(partials: Float32Array, stats: Float32Array, parameters: PackedGaussians, shape: MixtureShape, n: number): number {
  let total = partials.reduce((sum, v) => sum + v, 0);
  const family = kernelFamily(shape.covarianceType);
  for (let k = 0; k < shape.nComponents; k++) {
    const mass = componentSums(stats, family, shape.nFeatures, k).mass;
    total -= mass * (parameters.logNorm[k] - parameters.logNormExact[k]);
  }
  return total / n;
}

/** [ceil(N / LOWER_BOUND_BLOCK)] f32 sums of consecutive blocks of the per-sample log-likelihoods [N]. */
function lowerBoundPartials(logLikelihood: Tensor): Tensor {
  const n = logLikelihood.shape[0];
  const blocks = lowerBoundBlocks(n);
  const padded = pad(logLikelihood, [0, blocks * LOWER_BOUND_BLOCK - n]);
  return sum(reshape(padded, [blocks, LOWER_BOUND_BLOCK]), 1);
}

function tile(row: Float64Array, times: number): Float64Array {
  const out = new Float64Array(row.length * times);
  for (let i = 0; i < times; i++) out.set(row, i * row.length);
  return out;
}

function checkMeans(op: string, means: number[][], d: number, x: Tensor): void {
  if (!means.every((m) => Array.isArray(m) && m.length === d && m.every(Number.isFinite))) {
    fail(op, `init means must be ${means.length} rows of ${d} finite numbers (one per feature of x)`, x);
  }
}

/** The data's diagonal covariance (plus regCovar) in the layout of every component: what an empty component falls back to at initialisation. */
function dataCovariances(variances: Float64Array, shape: MixtureShape, regCovar: number): Float64Array {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  const out = new Float64Array(covarianceLength(shape));
  const matrices = type === 'full' ? K : 1;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < D; i++) {
      const v = variances[i] + regCovar;
      if (type === 'diag') out[k * D + i] = v;
      else if (type === 'spherical') out[k] += v / D;
      else if (k < matrices) out[k * D * D + i * D + i] = v;
    }
  }
  return out;
}
