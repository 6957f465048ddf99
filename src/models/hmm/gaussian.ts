// The Gaussian hidden Markov model (hmmlearn's GaussianHMM): a Gaussian emission density per state,
// with hmmlearn's four covariance types (spherical, diag, full, tied). Its emission kernels are the Gaussian ones shared with the mixture
// (src/models/shared/gaussian.ts), on frames padded to a multiple of 4 features; its first means come
// from the shared k-means (init.ts).

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { randn, type Generator } from '../../ops/random.js';
import { allFinite, checkFiniteLater } from '../../ops/checks.js';
import {
  gaussianSamples, kernelFamily, logDensities, packGaussians, padFeatures, uploadGaussians, weightedMoments, type GpuGaussians,
} from '../shared/gaussian.js';
import { choleskyFactors, diagonalFactors, rows } from '../shared/linalg.js';
import { BaseHMM, type HMMOptions, type HMMParameters } from './base.js';
import { initialGaussianEmission } from './init.js';
import { checkCovars, checkMatrix, covarsShape, gaussianCovarianceTypes, gaussianMStep, type GaussianCovarianceType } from './params.js';

export type { GaussianCovarianceType } from './params.js';

/** The most features a Gaussian model may have: every iteration factors K D x D covariances on the host in float64. */
export const MAX_FEATURES = 64;

/** Covariances as hmmlearn's covars_ setter takes them: spherical [K], diag [K][D], full [K][D][D], tied [D][D]. */
export type GaussianHMMCovars = number[] | number[][] | number[][][];

/** Options of {@link GaussianHMM}. */
export interface GaussianHMMOptions extends HMMOptions {
  /**
   * 'diag' (default, as hmmlearn), 'full', 'spherical' (one variance per state) or 'tied' (one full
   * covariance shared by every state).
   */
  covarianceType?: GaussianCovarianceType;
  /** Added to every variance by the M-step and the initialisation (default 1e-3, as hmmlearn). */
  minCovar?: number;
  /** [K][D] state means. */
  means?: number[][];
  /** Shaped by the covariance type (see GaussianHMMCovars). */
  covars?: GaussianHMMCovars;
}

/** The parameters `GaussianHMM.setParameters` takes. */
export interface GaussianHMMParameters extends HMMParameters {
  /** [K][D] state means. */
  means?: number[][];
  /**
   * Shaped by the covariance type (see GaussianHMMCovars): positive variances, or symmetric positive
   * definite matrices.
   */
  covars?: GaussianHMMCovars;
}

/** A hidden Markov model with a Gaussian emission density per state (hmmlearn's GaussianHMM). */
export class GaussianHMM extends BaseHMM<GpuGaussians> {
  /** 'spherical', 'diag', 'full' or 'tied'. */
  readonly covarianceType: GaussianCovarianceType;
  /** Added to every variance by the M-step and the initialisation. */
  readonly minCovar: number;
  protected readonly className = 'GaussianHMM';
  private dims: number | null = null;
  private meanValues: Float64Array | null = null;
  private covarValues: Float64Array | null = null;

  constructor(options: GaussianHMMOptions = {}) {
    super(options, 'stmc');
    this.covarianceType = options.covarianceType ?? 'diag';
    this.minCovar = options.minCovar ?? 1e-3;
    if (!gaussianCovarianceTypes.includes(this.covarianceType)) {
      this.fail('constructor', `covarianceType must be one of ${gaussianCovarianceTypes.map((t) => `'${t}'`).join(', ')}, got '${String(this.covarianceType)}'`);
    }
    if (!(this.minCovar >= 0 && Number.isFinite(this.minCovar))) this.fail('constructor', `minCovar must be a finite number >= 0, got ${this.minCovar}`);
    this.setParameters(options);
  }

  /** D, the feature count (once means or covariances are set, or after fit). */
  get nFeatures(): number {
    if (this.dims === null) this.fail('nFeatures', 'the model has no means yet; call fit() or setParameters() first');
    return this.dims;
  }

  /** [K][D] state means. */
  get means(): number[][] {
    return rows(this.emission('means').means, this.nFeatures);
  }

  /**
   * The covariances as stored, shaped by the covariance type (see GaussianHMMCovars): spherical [K]
   * variances, diag [K][D], full [K][D][D], tied [D][D]. (hmmlearn's covars_ getter expands every
   * type to full [K][D][D] matrices; its setter takes these shapes, as setParameters does.)
   */
  get covars(): GaussianHMMCovars {
    const { covars } = this.emission('covars');
    const D = this.nFeatures;
    switch (this.covarianceType) {
      case 'spherical':
        return Array.from(covars);
      case 'diag':
      case 'tied':
        return rows(covars, D);
      case 'full':
        return rows(covars, D * D).map((m) => rows(Float64Array.from(m), D));
    }
  }

  /** Replaces the given parameters (checked: probabilities sum to 1, covariances positive definite). */
  setParameters(params: GaussianHMMParameters): this {
    const where = 'GaussianHMM.setParameters';
    const K = this.nComponents;
    const type = this.covarianceType;
    this.setChain(params);
    const featuresOf = (value: unknown) => (Array.isArray(value) && Array.isArray(value[0]) ? value[0].length : null);
    const dims = featuresOf(params.means) ?? featuresOf(params.covars) ?? this.dims;
    if ((params.means !== undefined || params.covars !== undefined) && (dims === null || dims < 1 || dims > MAX_FEATURES)) {
      throw new Error(`${where}: means must be ${K} rows of 1 to ${MAX_FEATURES} numbers, and ${type} covars shaped ${covarsShape(type, K, 'D')} to match`);
    }
    const means = params.means === undefined ? null : checkMatrix(where, 'means', params.means, K, dims!);
    const covars = params.covars === undefined ? null : checkCovars(where, params.covars, type, K, dims!);
    if (this.dims !== null && dims !== this.dims && (!means || !covars)) {
      throw new Error(`${where}: the model has ${this.dims} features; give both means and covars to change it to ${dims}`);
    }
    this.dims = dims;
    if (means) this.meanValues = means;
    if (covars) this.covarValues = covars;
    return this;
  }

  protected checkX(op: string, x: Tensor, fitting: boolean): void {
    if (!(x instanceof Tensor)) this.fail(op, `X must be a Tensor [N, D], got ${typeof x}`);
    x.assertAlive(`GaussianHMM.${op}`);
    if (x.dtype !== 'f32') this.fail(op, `X must be f32, got ${x.dtype}`, x);
    if (x.rank !== 2 || x.shape[0] < 1 || x.shape[1] < 1) this.fail(op, `X must be [N, D] with N, D >= 1, got ${formatShape(x.shape)}`, x);
    const d = x.shape[1];
    if (d > MAX_FEATURES) this.fail(op, `X has ${d} features; at most ${MAX_FEATURES} are supported`, x);
    const reinitialised = fitting && this.initParams.includes('m') && this.initParams.includes('c');
    if (this.dims !== null && d !== this.dims && !reinitialised) this.fail(op, `X has ${d} features but the model has ${this.dims}`, x);
    if (fitting && this.initParams.includes('m') && x.shape[0] < this.nComponents) {
      this.fail(op, `nComponents (${this.nComponents}) must not exceed the number of frames (${x.shape[0]}) to initialise the means`, x);
    }
  }

  protected async checkValues(op: string, x: Tensor): Promise<void> {
    if (!(await allFinite(x))) this.fail(op, 'X contains NaN or Inf', x);
  }

  protected checkValuesLater(op: string, x: Tensor): void {
    checkFiniteLater(x, this.failure(op, 'X contains NaN or Inf', x));
  }

  protected kernelInput(x: Tensor): Tensor {
    return padFeatures(x);
  }

  protected async initializeEmission(x: Tensor, data: Tensor): Promise<void> {
    const initMeans = this.initParams.includes('m');
    const initCovars = this.initParams.includes('c');
    if (!initMeans && !initCovars) return;
    const initial = await initialGaussianEmission(x, data, {
      nComponents: this.nComponents, covarianceType: this.covarianceType, minCovar: this.minCovar, generator: this.generator, initMeans, initCovars,
    });
    if (initial.means) this.meanValues = initial.means;
    if (initial.covars) this.covarValues = initial.covars;
    this.dims = x.shape[1];
  }

  protected emissionReady(op: string): void {
    this.emission(op);
  }

  protected uploadEmission(): GpuGaussians {
    const { means, covars } = this.emission('uploadEmission');
    const common = { nComponents: this.nComponents, nFeatures: this.nFeatures, means };
    return uploadGaussians(kernelFamily(this.covarianceType) === 'diag'
      ? packGaussians({ ...common, family: 'diag', variances: this.variances(covars) })
      : packGaussians({ ...common, family: 'full', factors: this.covarianceFactors(covars), shared: this.covarianceType === 'tied' }));
  }

  protected emissionLogProb(data: Tensor, emission: GpuGaussians): Tensor {
    return logDensities(data, emission);
  }

  protected emissionStatistics(data: Tensor, posteriors: Tensor, emission: GpuGaussians): Tensor {
    return weightedMoments(data, posteriors, emission.means, emission.family);
  }

  protected emissionMStep(stats: Float32Array): void {
    const { means, covars } = this.emission('fit');
    const updated = gaussianMStep({
      type: this.covarianceType,
      k: this.nComponents,
      d: this.nFeatures,
      stats,
      shift: Float64Array.from(Float32Array.from(means)),
      previousMeans: means,
      previousCovars: covars,
      minCovar: this.minCovar,
      updateMeans: this.params.includes('m'),
      updateCovars: this.params.includes('c'),
    });
    this.meanValues = updated.means;
    this.covarValues = updated.covars;
  }

  protected sampleEmissions(states: Tensor, generator: Generator): Tensor {
    const { means, covars } = this.emission('sample');
    const K = this.nComponents;
    const D = this.nFeatures;
    return scope(() => {
      const noise = randn([states.size, D], { generator });
      const lower = kernelFamily(this.covarianceType) === 'diag' ? diagonalFactors(this.variances(covars), D) : this.covarianceFactors(covars);
      const factors = tensor(Float32Array.from(lower), [lower.length / (D * D), D, D]);
      return gaussianSamples(noise, states, tensor(Float32Array.from(means), [K, D]), factors, this.covarianceType === 'tied');
    });
  }

  protected emissionParameterCount(): number {
    const K = this.nComponents;
    const D = this.nFeatures;
    let count = 0;
    if (this.params.includes('m')) count += K * D;
    if (this.params.includes('c')) count += { spherical: K, diag: K * D, full: (K * D * (D + 1)) / 2, tied: (D * (D + 1)) / 2 }[this.covarianceType];
    return count;
  }

  /** The lower Cholesky factors of full covariances [K, D, D], or of the tied one [D, D]. */
  private covarianceFactors(covars: Float64Array): Float64Array {
    const tied = this.covarianceType === 'tied';
    return choleskyFactors(covars, this.nFeatures, tied ? 1 : this.nComponents, (state) => `GaussianHMM: the ${tied ? 'tied covariance' : `covariance of state ${state}`} is not positive definite`);
  }

  /** The variances of diag or spherical covariances as [K, D]: a spherical variance repeated D times. */
  private variances(covars: Float64Array): Float64Array {
    const D = this.nFeatures;
    return this.covarianceType === 'diag' ? covars : Float64Array.from({ length: this.nComponents * D }, (_, i) => covars[Math.floor(i / D)]);
  }

  private emission(op: string): { means: Float64Array; covars: Float64Array } {
    if (!this.meanValues || !this.covarValues) this.fail(op, 'the model has no means or covariances; call fit() or setParameters() first');
    return { means: this.meanValues, covars: this.covarValues };
  }
}
