// Noise schedules of denoising diffusion: the forward process q(x_t | x_0) = N(sqrt(ā_t) x_0, (1 - ā_t) I)
// for t = 0 .. T-1, given by its betas (Ho et al. 2020, "linear"; Nichol & Dhariwal 2021, "cosine").
// Every coefficient is computed once in float64 on the host, as the references do in NumPy; the
// samplers take per-step scalars from here, and training gathers the per-example ones from small
// f32 tables on the GPU.

import { tensor } from '../../ops/creation.js';
import { indexSelect } from '../../ops/indexing.js';
import type { Tensor } from '../../tensor.js';

/** Which beta schedule: 'linear' (Ho et al.: betas evenly from betaStart to betaEnd) or 'cosine' (Nichol & Dhariwal). */
export type ScheduleKind = 'linear' | 'cosine';

/** Options of {@link NoiseSchedule}. */
export interface NoiseScheduleOptions {
  /** The schedule (default 'linear'). */
  kind?: ScheduleKind;
  /** Diffusion steps T (default 1000). */
  steps?: number;
  /** Linear: the first beta (default 1e-4). */
  betaStart?: number;
  /** Linear: the last beta (default 0.02). */
  betaEnd?: number;
  /** Cosine: the offset s of ā(t) = cos²(((t / T) + s) / (1 + s) · π / 2) (default 0.008). */
  cosineOffset?: number;
}

/** Nichol & Dhariwal clip each cosine beta here, so the last steps do not divide by zero. */
const MAX_COSINE_BETA = 0.999;

/** The per-example coefficients of x_t = signal · x_0 + noise · ε, gathered on the GPU. */
export interface ForwardCoefficients {
  /** sqrt(ā_t) per example, [B]. */
  signal: Tensor;
  /** sqrt(1 - ā_t) per example, [B]. */
  noise: Tensor;
}

/** q(x_{t-1} | x_t, x_0) = N(x0 · x_0 + xt · x_t, variance). */
export interface PosteriorCoefficients {
  /** The coefficient of x_0 in the mean. */
  x0: number;
  /** The coefficient of x_t in the mean. */
  xt: number;
  /** β̃_t. */
  variance: number;
}

/**
 * A diffusion noise schedule: betas β_t, alphas α_t = 1 - β_t and their running products ā_t, for
 * t = 0 .. steps-1 (float64). Holds two small GPU tables for training; dispose() frees them.
 */
export class NoiseSchedule {
  /** The schedule's kind. */
  readonly kind: ScheduleKind;
  /** Diffusion steps T. */
  readonly steps: number;
  /** β_t. */
  readonly betas: Float64Array;
  /** ā_t = Π_{s <= t} (1 - β_s). */
  readonly alphasCumprod: Float64Array;
  private tables: { signal: Tensor; noise: Tensor } | null = null;

  constructor(options: NoiseScheduleOptions = {}) {
    const { kind = 'linear', steps = 1000, betaStart = 1e-4, betaEnd = 0.02, cosineOffset = 0.008 } = options;
    if (!Number.isInteger(steps) || steps < 2) throw new Error(`NoiseSchedule: steps must be an integer >= 2, got ${steps}`);
    if (kind === 'linear') {
      if (!(betaStart > 0 && betaStart <= betaEnd && betaEnd < 1)) {
        throw new Error(`NoiseSchedule: need 0 < betaStart <= betaEnd < 1, got ${betaStart} and ${betaEnd}`);
      }
      // NumPy's linspace, as the references build it: t · step + start, the last one exactly betaEnd.
      const step = (betaEnd - betaStart) / (steps - 1);
      this.betas = Float64Array.from({ length: steps }, (_, t) => (t === steps - 1 ? betaEnd : t * step + betaStart));
    } else if (kind === 'cosine') {
      if (!(cosineOffset >= 0)) throw new Error(`NoiseSchedule: cosineOffset must be >= 0, got ${cosineOffset}`);
      const alphaBar = (u: number) => Math.cos(((u + cosineOffset) / (1 + cosineOffset)) * (Math.PI / 2)) ** 2;
      this.betas = Float64Array.from({ length: steps }, (_, t) => Math.min(1 - alphaBar((t + 1) / steps) / alphaBar(t / steps), MAX_COSINE_BETA));
    } else {
      throw new Error(`NoiseSchedule: kind must be 'linear' or 'cosine', got ${String(kind)}`);
    }
    this.kind = kind;
    this.steps = steps;
    this.alphasCumprod = new Float64Array(steps);
    let product = 1;
    this.betas.forEach((beta, t) => (this.alphasCumprod[t] = product *= 1 - beta));
  }

  /** ā_t, with ā_{-1} = 1 (the clean data), as the samplers' last step needs. */
  alphaBar(t: number): number {
    return t < 0 ? 1 : this.alphasCumprod[t];
  }

  /** The coefficients of q(x_t | x_0) for each example's step t (an i32 tensor [B] of values in [0, steps)). */
  forwardCoefficients(t: Tensor): ForwardCoefficients {
    this.tables ??= {
      signal: tensor(Float32Array.from(this.alphasCumprod, (a) => Math.sqrt(a))).keep(),
      noise: tensor(Float32Array.from(this.alphasCumprod, (a) => Math.sqrt(1 - a))).keep(),
    };
    return { signal: indexSelect(this.tables.signal, 0, t), noise: indexSelect(this.tables.noise, 0, t) };
  }

  /**
   * The variational bound's terms need the posterior q(x_{t-1} | x_t, x_0) = N(c0 x_0 + ct x_t, σ²): its
   * coefficients and variance β̃_t = β_t (1 - ā_{t-1}) / (1 - ā_t), for t >= 1.
   */
  posterior(t: number): PosteriorCoefficients {
    const [beta, alphaBar, alphaBarPrev] = [this.betas[t], this.alphaBar(t), this.alphaBar(t - 1)];
    return {
      x0: (beta * Math.sqrt(alphaBarPrev)) / (1 - alphaBar),
      xt: ((1 - alphaBarPrev) * Math.sqrt(1 - beta)) / (1 - alphaBar),
      variance: (beta * (1 - alphaBarPrev)) / (1 - alphaBar),
    };
  }

  /** Frees the GPU tables (made on the first forwardCoefficients call). */
  dispose(): void {
    this.tables?.signal.dispose();
    this.tables?.noise.dispose();
    this.tables = null;
  }
}
