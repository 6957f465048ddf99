// Principal component analysis shaped like scikit-learn's PCA, with its probabilistic reading
// (Tipping & Bishop's PPCA, as PCA.score_samples): the covariance of the data is computed on the GPU
// (one matmul), decomposed in float64 on the host (src/models/shared/eigen.ts), and projections,
// reconstructions and log-likelihoods of new rows run on the GPU. The log-likelihood and the
// reconstruction error are anomaly scores in their own right, and the projections are features a
// Gaussian mixture can model (src/models/anomaly/detectors.ts).

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { add, mul, sub } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { sum } from '../../ops/reduce.js';
import { dataMoments } from '../shared/linalg.js';
import { symmetricEigen } from '../shared/eigen.js';

/** Options of {@link Pca}. */
export interface PcaOptions {
  /** k, the components kept (default min(N, D): all, as scikit-learn). */
  nComponents?: number;
  /** Divide each projection by its component's standard deviation, so the features have unit variance (default false). */
  whiten?: boolean;
}

/** What a fitted PCA holds on the host (float64). */
interface Fitted {
  d: number;
  k: number;
  mean: Float64Array;
  /** [k, D] row-major unit components. */
  components: Float64Array;
  /** [k] variances along the components (denominator N - 1, as scikit-learn). */
  explainedVariance: Float64Array;
  /** The total variance, for the ratios. */
  totalVariance: number;
  /** The mean variance of the discarded directions (PPCA's σ², as scikit-learn; 0 when none are discarded). */
  noiseVariance: number;
  /** GPU copies: the mean [D], the projection [D, k] (scaled when whitening), the components [k, D]. */
  gpu: { mean: Tensor; projection: Tensor; components: Tensor; inverseScale: Tensor | null };
}

/**
 * PCA of the rows of an [N, D] f32 matrix. `fit` finds the components; `transform` projects rows onto
 * them ([N, k]), `inverseTransform` maps projections back, `reconstructionError` is each row's squared
 * distance from its reconstruction, and `scoreSamples` each row's log-likelihood under the probabilistic
 * PCA model (scikit-learn's score_samples). Call `dispose()` to free the GPU copies.
 */
export class Pca {
  /** The components to keep, as given (undefined: all). */
  readonly nComponents: number | undefined;
  /** Whether transform() divides by the components' standard deviations. */
  readonly whiten: boolean;
  private state: Fitted | null = null;

  constructor(options: PcaOptions = {}) {
    const { nComponents, whiten = false } = options;
    if (nComponents !== undefined && !(Number.isInteger(nComponents) && nComponents >= 1)) {
      throw new Error(`Pca: nComponents must be a positive integer, got ${nComponents}`);
    }
    this.nComponents = nComponents;
    this.whiten = whiten;
  }

  /** Fits the components to the rows of x [N, D] f32 (N >= 2). */
  async fit(x: Tensor): Promise<this> {
    this.checkRows('Pca.fit', x, null);
    const [n, d] = x.shape;
    if (n < 2) throw new Error(`Pca.fit: needs at least 2 rows, got x ${formatShape(x.shape)} ${x.dtype}`);
    const k = this.nComponents ?? Math.min(n, d);
    if (k > Math.min(n, d)) throw new Error(`Pca.fit: nComponents ${k} exceeds min(N, D) = ${Math.min(n, d)} for x ${formatShape(x.shape)}`);
    const { means, covariance } = await dataMoments(x, true);
    if (!means.every(Number.isFinite)) throw new Error(`Pca.fit: x ${formatShape(x.shape)} contains NaN or Inf`);
    // dataMoments gives the population covariance; scikit-learn's variances divide by N - 1.
    const sampleCovariance = Float64Array.from(covariance!, (v) => (v * n) / (n - 1));
    const { values, vectors } = symmetricEigen(sampleCovariance, d);
    // Rounding leaves the null directions' eigenvalues a hair below zero.
    const variances = Float64Array.from(values, (v) => Math.max(v, 0));
    const totalVariance = variances.reduce((a, b) => a + b, 0);
    // As scikit-learn: the mean of the min(N, D) - k smallest variances.
    const discarded = variances.slice(k, Math.min(n, d));
    const noiseVariance = discarded.length > 0 ? discarded.reduce((a, b) => a + b, 0) / discarded.length : 0;
    const components = vectors.slice(0, k * d);
    const explainedVariance = variances.slice(0, k);
    this.dispose();
    const projectionValues = new Float32Array(d * k);
    for (let c = 0; c < k; c++) for (let i = 0; i < d; i++) projectionValues[i * k + c] = components[c * d + i];
    const inverseScale = this.whiten ? tensor(Float32Array.from(explainedVariance, (v) => (v > 0 ? 1 / Math.sqrt(v) : 0)), [k]) : null;
    this.state = {
      d, k, mean: means, components, explainedVariance, totalVariance, noiseVariance,
      gpu: { mean: tensor(Float32Array.from(means), [d]).keep(), projection: tensor(projectionValues, [d, k]).keep(), components: tensor(Float32Array.from(components), [k, d]).keep(), inverseScale: inverseScale?.keep() ?? null },
    };
    return this;
  }

  /** [k, D] the unit components, largest variance first (scikit-learn's components_). */
  get components(): number[][] {
    const { components, k, d } = this.fitted('components');
    return Array.from({ length: k }, (_, c) => Array.from(components.subarray(c * d, (c + 1) * d)));
  }

  /** [D] the training rows' mean (mean_). */
  get mean(): number[] {
    return Array.from(this.fitted('mean').mean);
  }

  /** [k] the variance along each component (explained_variance_, denominator N - 1). */
  get explainedVariance(): number[] {
    return Array.from(this.fitted('explainedVariance').explainedVariance);
  }

  /** [k] each component's share of the total variance (explained_variance_ratio_). */
  get explainedVarianceRatio(): number[] {
    const { explainedVariance, totalVariance } = this.fitted('explainedVarianceRatio');
    return Array.from(explainedVariance, (v) => (totalVariance > 0 ? v / totalVariance : 0));
  }

  /** PPCA's isotropic noise variance: the mean variance of the discarded directions (noise_variance_). */
  get noiseVariance(): number {
    return this.fitted('noiseVariance').noiseVariance;
  }

  /** [N, k] the rows' coordinates along the components (divided by their standard deviations when whitening). */
  transform(x: Tensor): Tensor {
    const { gpu, d } = this.fitted('Pca.transform');
    this.checkRows('Pca.transform', x, d);
    return scope(() => {
      const projected = matmul(sub(x, gpu.mean), gpu.projection);
      return gpu.inverseScale ? mul(projected, gpu.inverseScale) : projected;
    });
  }

  /** [N, D] the rows whose coordinates are z [N, k] (inverse_transform). */
  inverseTransform(z: Tensor): Tensor {
    const { gpu, k, explainedVariance } = this.fitted('Pca.inverseTransform');
    if (z.rank !== 2 || z.shape[1] !== k || z.dtype !== 'f32') {
      throw new Error(`Pca.inverseTransform: expected coordinates [N, ${k}] f32, got ${formatShape(z.shape)} ${z.dtype}`);
    }
    return scope(() => {
      const unscaled = this.whiten ? mul(z, tensor(Float32Array.from(explainedVariance, Math.sqrt), [k])) : z;
      return add(matmul(unscaled, gpu.components), gpu.mean);
    });
  }

  /** [N] each row's squared Euclidean distance from its reconstruction from k components. */
  reconstructionError(x: Tensor): Tensor {
    const { gpu, d } = this.fitted('Pca.reconstructionError');
    this.checkRows('Pca.reconstructionError', x, d);
    return scope(() => {
      const centred = sub(x, gpu.mean);
      const residual = sub(centred, matmul(matmul(centred, gpu.projection), gpu.components));
      return sum(mul(residual, residual), -1);
    });
  }

  /**
   * [N] each row's log-density under probabilistic PCA: a Gaussian whose covariance is the components'
   * variances along them and the noise variance in every other direction (scikit-learn's
   * score_samples). Needs a positive noise variance: keep fewer components than the data's rank.
   */
  scoreSamples(x: Tensor): Tensor {
    const { gpu, d, k, explainedVariance, noiseVariance } = this.fitted('Pca.scoreSamples');
    this.checkRows('Pca.scoreSamples', x, d);
    if (!(noiseVariance > 0)) {
      throw new Error(`Pca.scoreSamples: the noise variance is 0 (all ${k} components kept, or the data have no variance beyond them); fit with fewer components`);
    }
    // Mahalanobis distance by Woodbury: |r|²/σ² + Σ z_c² (1/λ_c - 1/σ²), with z the unwhitened coordinates.
    const weights = Float32Array.from(explainedVariance, (v) => 1 / v - 1 / noiseVariance);
    let logDeterminant = (d - k) * Math.log(noiseVariance);
    for (const v of explainedVariance) logDeterminant += Math.log(v);
    const constant = -0.5 * (d * Math.log(2 * Math.PI) + logDeterminant);
    return scope(() => {
      const centred = sub(x, gpu.mean);
      const z = matmul(centred, gpu.projection);
      const distance = add(mul(sum(mul(centred, centred), -1), 1 / noiseVariance), sum(mul(mul(z, z), tensor(weights, [k])), -1));
      return add(mul(distance, -0.5), constant);
    });
  }

  /** Frees the GPU copies (the model must be fitted again to be used). */
  dispose(): void {
    if (!this.state) return;
    const { mean, projection, components, inverseScale } = this.state.gpu;
    for (const t of [mean, projection, components, inverseScale]) t?.dispose();
    this.state = null;
  }

  private fitted(op: string): Fitted {
    if (!this.state) throw new Error(`${op}: the PCA is not fitted; call fit(x) first`);
    return this.state;
  }

  private checkRows(op: string, x: Tensor, d: number | null): void {
    x.assertAlive(op);
    if (x.rank !== 2 || x.dtype !== 'f32' || (d !== null && x.shape[1] !== d)) {
      throw new Error(`${op}: expected rows [N, ${d ?? 'D'}] f32, got ${formatShape(x.shape)} ${x.dtype}`);
    }
  }
}
