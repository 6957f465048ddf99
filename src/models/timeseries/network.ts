// The forecaster's network: a multilayer perceptron from a row of past values and covariates to a
// Gaussian over the next value, its mean and log-variance. The log-variance keeps the variance
// positive without a constraint, and its gradient stays well scaled across orders of magnitude.

import { composite } from '../../autograd.js';
import { GELU, Linear, Sequential } from '../../nn/layers.js';
import { Module } from '../../nn/module.js';
import type { Generator } from '../../ops/random.js';
import { slice } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import { Tensor, formatShape } from '../../tensor.js';

/** The size of a {@link GaussianMlp}. */
export interface GaussianMlpConfig {
  /** Features of each input row. */
  inputSize: number;
  /** Width of each hidden layer (default 64). */
  hiddenSize?: number;
  /** Hidden layers, each Linear then GELU (default 2). */
  numLayers?: number;
}

/** A Gaussian over each row's next value: its mean and log-variance, each [B]. */
export interface GaussianOutput {
  /** [B] means. */
  mean: Tensor;
  /** [B] log-variances. */
  logVar: Tensor;
}

/** Rows [B, inputSize] to [B, 2]: column 0 the mean, column 1 the log-variance of the next value. Keys 'layers.0.weight', ... */
export class GaussianMlp extends Module {
  /** The configuration with its defaults filled in. */
  readonly config: Required<GaussianMlpConfig>;
  /** Linear, GELU, ..., Linear(hiddenSize, 2). Key prefix 'layers.'. */
  readonly layers: Sequential;

  constructor(config: GaussianMlpConfig, options: { generator?: Generator } = {}) {
    super();
    this.config = { hiddenSize: 64, numLayers: 2, ...config };
    const { inputSize, hiddenSize, numLayers } = this.config;
    for (const [name, value] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', numLayers]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`GaussianMlp: ${name} must be a positive integer, got ${value}`);
    }
    const { generator } = options;
    const hidden = Array.from({ length: numLayers }, (_, i) => [new Linear(i === 0 ? inputSize : hiddenSize, hiddenSize, { generator }), new GELU()]).flat();
    this.layers = this.registerModule('layers', new Sequential(...hidden, new Linear(hiddenSize, 2, { generator })));
  }

  /** [B, inputSize] to [B, 2] (mean, log-variance). */
  forward(x: Tensor): Tensor {
    x.assertAlive('GaussianMlp.forward');
    if (x.rank !== 2 || x.shape[1] !== this.config.inputSize) {
      throw new Error(`GaussianMlp.forward: expected rows [B, ${this.config.inputSize}], got ${formatShape(x.shape)} ${x.dtype}`);
    }
    return this.layers.forward(x);
  }

  /** The mean and log-variance of each row's next value, as [B] tensors. */
  gaussian(x: Tensor): GaussianOutput {
    const out = this.forward(x);
    const B = x.shape[0];
    return composite([out], () => ({ mean: reshape(slice(out, 1, 0, 1), [B]), logVar: reshape(slice(out, 1, 1, 2), [B]) }));
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `inputSize=${c.inputSize}, hiddenSize=${c.hiddenSize}, numLayers=${c.numLayers}`;
  }
}
