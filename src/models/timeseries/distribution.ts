// The forecast distribution of sampled paths. Each path n carries, at each step h, the Gaussian the
// network gave for that step given the path's own earlier values: N(loc[n, h], scale[n, h]^2) in the
// transformed space (the values, or their logarithms). The distribution of step h is the equal
// mixture of those Gaussians over the paths: a Rao-Blackwellised Monte Carlo estimate of the
// marginal predictive density, which carries the spread that recursive forecasting adds (earlier
// steps' noise moves the later steps' means) as well as each step's own noise. Densities, means,
// standard deviations and quantiles are those of the mixture, in the series' own units.

/** How forecast values map to the network's space: 'none' (as they are) or 'log' (their logarithms). */
export type SeriesTransform = 'none' | 'log';

/** erfc(x) to a relative error below 1.2e-7 (Numerical Recipes' Chebyshev fit, erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(poly);
  return x >= 0 ? r : 2 - r;
}

/** The standard normal distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** A forecast over `horizon` steps as the mixture over `paths` sampled paths (see the file's comment). */
export class ForecastDistribution {
  /** Steps forecast. */
  readonly horizon: number;
  /** Sampled paths. */
  readonly paths: number;
  /** How the network's space maps to the series' units. */
  readonly transform: SeriesTransform;
  /** [paths * horizon], path-major: each path's conditional mean in the transformed space. */
  readonly loc: Float64Array;
  /** [paths * horizon], path-major: each path's conditional standard deviation in the transformed space. */
  readonly scale: Float64Array;
  /** [paths * horizon], path-major: the sampled values, in the series' units. */
  readonly samples: Float64Array;

  constructor(horizon: number, paths: number, transform: SeriesTransform, loc: Float64Array, scale: Float64Array, samples: Float64Array) {
    const size = horizon * paths;
    if (loc.length !== size || scale.length !== size || samples.length !== size) {
      throw new Error(`ForecastDistribution: loc, scale and samples must hold paths x horizon = ${paths} x ${horizon} values, got ${loc.length}, ${scale.length} and ${samples.length}`);
    }
    this.horizon = horizon;
    this.paths = paths;
    this.transform = transform;
    this.loc = loc;
    this.scale = scale;
    this.samples = samples;
  }

  /** The mixture's mean at each step (for 'log', the mean of each log-normal, exp(loc + scale^2 / 2)). */
  mean(): Float64Array {
    return this.moments().mean;
  }

  /** The mixture's standard deviation at each step (the paths' own variances plus the spread of their means). */
  std(): Float64Array {
    return this.moments().std;
  }

  private moments(): { mean: Float64Array; std: Float64Array } {
    const { horizon, paths, loc, scale } = this;
    const mean = new Float64Array(horizon);
    const std = new Float64Array(horizon);
    for (let h = 0; h < horizon; h++) {
      let first = 0;
      let second = 0;
      for (let n = 0; n < paths; n++) {
        const m = loc[n * horizon + h];
        const s2 = scale[n * horizon + h] ** 2;
        if (this.transform === 'log') {
          first += Math.exp(m + s2 / 2);
          second += Math.exp(2 * m + 2 * s2);
        } else {
          first += m;
          second += m * m + s2;
        }
      }
      mean[h] = first / paths;
      std[h] = Math.sqrt(Math.max(0, second / paths - mean[h] ** 2));
    }
    return { mean, std };
  }

  /** P(Y[h] <= y) under the mixture, for step h (0-based). */
  cdf(h: number, y: number): number {
    if (!Number.isInteger(h) || h < 0 || h >= this.horizon) throw new Error(`ForecastDistribution.cdf: step h must be an integer in [0, ${this.horizon}), got ${h}`);
    const x = this.transform === 'log' ? (y > 0 ? Math.log(y) : -Infinity) : y;
    let sum = 0;
    for (let n = 0; n < this.paths; n++) sum += normalCdf((x - this.loc[n * this.horizon + h]) / this.scale[n * this.horizon + h]);
    return sum / this.paths;
  }

  /** The p-quantile of each step (bisection on the mixture's distribution function, to 1e-9 of the spread). */
  quantile(p: number): Float64Array {
    if (!(p > 0 && p < 1)) throw new Error(`ForecastDistribution.quantile: p must be in (0, 1), got ${p}`);
    const { horizon, paths, loc, scale } = this;
    return Float64Array.from({ length: horizon }, (_, h) => {
      // Every component's quantile lies within 9 standard deviations of its mean, so the mixture's does too.
      let low = Infinity;
      let high = -Infinity;
      for (let n = 0; n < paths; n++) {
        low = Math.min(low, loc[n * horizon + h] - 9 * scale[n * horizon + h]);
        high = Math.max(high, loc[n * horizon + h] + 9 * scale[n * horizon + h]);
      }
      const target = (x: number) => (this.transform === 'log' ? Math.exp(x) : x);
      const tolerance = (high - low) * 1e-9;
      while (high - low > tolerance) {
        const mid = 0.5 * (low + high);
        if (this.cdf(h, target(mid)) < p) low = mid;
        else high = mid;
      }
      return target(0.5 * (low + high));
    });
  }

  /**
   * log p(truth[h]) under each step's mixture, in nats per step and in the series' units (for 'log',
   * the log-normal density, which includes the Jacobian -log y).
   */
  logDensity(truth: ArrayLike<number>): Float64Array {
    if (!truth || truth.length !== this.horizon) {
      throw new Error(`ForecastDistribution.logDensity: expected ${this.horizon} values, one per step, got ${truth?.length}`);
    }
    const { horizon, paths, loc, scale } = this;
    const terms = new Float64Array(paths);
    return Float64Array.from({ length: horizon }, (_, h) => {
      const y = truth[h];
      if (this.transform === 'log' && !(y > 0)) return Number.isNaN(y) ? NaN : -Infinity;
      const x = this.transform === 'log' ? Math.log(y) : y;
      let largest = -Infinity;
      for (let n = 0; n < paths; n++) {
        const s = scale[n * horizon + h];
        const z = (x - loc[n * horizon + h]) / s;
        terms[n] = -0.5 * z * z - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
        largest = Math.max(largest, terms[n]);
      }
      if (!Number.isFinite(largest)) return largest;
      let sum = 0;
      for (let n = 0; n < paths; n++) sum += Math.exp(terms[n] - largest);
      return largest + Math.log(sum / paths) - (this.transform === 'log' ? x : 0);
    });
  }
}
