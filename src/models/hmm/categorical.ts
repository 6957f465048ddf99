// The categorical hidden Markov model (hmmlearn's CategoricalHMM): one of V symbols per frame, with
// its own emission kernels (shaders/models/hmm_categorical_logprob.wgsl, hmm_symbol_counts.wgsl).

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { cast } from '../../ops/elementwise.js';
import { concat } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import { max, min } from '../../ops/reduce.js';
import { rand, type Generator } from '../../ops/random.js';
import { checkSymbolsLater } from '../../ops/checks.js';
import { SeededRandom } from '../../data/random.js';
import { rows } from '../shared/linalg.js';
import { BaseHMM, type HMMOptions, type HMMParameters } from './base.js';
import { categoricalLogProb, sampleCategorical, symbolCounts } from './kernels.js';
import { checkStochasticMatrix, cumulativeRows, logProbabilities, normalizedRows } from './params.js';

/** Options of {@link CategoricalHMM}. */
export interface CategoricalHMMOptions extends HMMOptions {
  /** V, the alphabet size: symbols are 0 .. V - 1 (default: the largest symbol in the data fit() sees, plus 1). */
  nFeatures?: number;
  /** [K][V] emission probabilities, row = state. */
  emissionprob?: number[][];
}

/** The parameters `CategoricalHMM.setParameters` takes. */
export interface CategoricalHMMParameters extends HMMParameters {
  /** [K][V] emission probabilities, row = state; each row sums to 1. */
  emissionprob?: number[][];
}

/** A hidden Markov model emitting one of V symbols per frame (hmmlearn's CategoricalHMM). */
export class CategoricalHMM extends BaseHMM<Tensor> {
  protected readonly className = 'CategoricalHMM';
  /** Draws the random emission probabilities fit() starts from (host-side: K x V numbers). */
  private readonly hostRandom: SeededRandom;
  private symbols: number | null;
  private emissionValues: Float64Array | null = null;

  constructor(options: CategoricalHMMOptions = {}) {
    super(options, 'ste');
    this.hostRandom = new SeededRandom(Number(BigInt.asUintN(52, BigInt(options.seed ?? 0))));
    this.symbols = options.nFeatures ?? null;
    if (this.symbols !== null && (!Number.isInteger(this.symbols) || this.symbols < 1)) {
      this.fail('constructor', `nFeatures must be an integer >= 1, got ${this.symbols}`);
    }
    this.setParameters(options);
  }

  /** V, the alphabet size (given, from emissionprob, or found by fit). */
  get nFeatures(): number {
    if (this.symbols === null) this.fail('nFeatures', 'the alphabet size is not known yet; pass nFeatures, call fit() or setParameters() first');
    return this.symbols;
  }

  /** [K][V] emission probabilities, row = state. */
  get emissionprob(): number[][] {
    return rows(this.emission('emissionprob'), this.nFeatures);
  }

  /** Replaces the given parameters (every probability row must sum to 1). */
  setParameters(params: CategoricalHMMParameters): this {
    this.setChain(params);
    if (params.emissionprob !== undefined) {
      const where = 'CategoricalHMM.setParameters';
      const first: unknown = Array.isArray(params.emissionprob) ? params.emissionprob[0] : undefined;
      const symbols = this.symbols ?? (Array.isArray(first) ? first.length : 0);
      this.emissionValues = checkStochasticMatrix(where, 'emissionprob', params.emissionprob, this.nComponents, symbols);
      this.symbols = symbols;
    }
    return this;
  }

  protected checkX(op: string, x: Tensor): void {
    if (!(x instanceof Tensor)) this.fail(op, `X must be a Tensor of i32 symbols [N] or [N, 1], got ${typeof x}`);
    x.assertAlive(`CategoricalHMM.${op}`);
    if (x.dtype !== 'i32') this.fail(op, `X must hold i32 symbols, got ${x.dtype}`, x);
    if (x.size < 1 || !(x.rank === 1 || (x.rank === 2 && x.shape[1] === 1))) {
      this.fail(op, `X must be [N] or [N, 1] symbols with N >= 1 (one feature per frame), got ${formatShape(x.shape)}`, x);
    }
  }

  protected async checkValues(op: string, x: Tensor, fitting: boolean): Promise<void> {
    // As f32 (the reductions' dtype): exact for symbols below 2^24, and any larger one is still out of range.
    const range = scope(() => {
      const values = cast(x, 'f32');
      return concat([reshape(min(values), [1]), reshape(max(values), [1])]);
    });
    let low: number;
    let high: number;
    try {
      [low, high] = await range.data();
    } finally {
      range.dispose();
    }
    if (low < 0) this.fail(op, negativeSymbol(low), x);
    const inferred = fitting && this.symbols === null;
    if (inferred) this.symbols = high + 1;
    else if (high >= this.nFeatures) this.fail(op, symbolOutsideAlphabet(high, this.nFeatures), x);
  }

  protected checkValuesLater(op: string, x: Tensor): void {
    const V = this.nFeatures;
    checkSymbolsLater(x, V, this.failure(op, negativeSymbol('{value}'), x), this.failure(op, symbolOutsideAlphabet('{value}', V), x));
  }

  protected kernelInput(x: Tensor): Tensor {
    return x;
  }

  protected async initializeEmission(): Promise<void> {
    if (!this.initParams.includes('e')) return;
    const K = this.nComponents;
    const V = this.nFeatures;
    const values = Float64Array.from({ length: K * V }, () => this.hostRandom.random());
    this.emissionValues = normalizedRows(values, V, values);
  }

  protected emissionReady(op: string): void {
    this.emission(op);
  }

  /** The log emission probabilities [K, V]. */
  protected uploadEmission(): Tensor {
    return tensor(logProbabilities(this.emission('uploadEmission')), [this.nComponents, this.nFeatures]);
  }

  protected emissionLogProb(x: Tensor, logEmission: Tensor): Tensor {
    return categoricalLogProb(x, logEmission);
  }

  protected emissionStatistics(x: Tensor, posteriors: Tensor): Tensor {
    return symbolCounts(x, posteriors, this.nFeatures);
  }

  protected emissionMStep(stats: Float32Array): void {
    if (this.params.includes('e')) this.emissionValues = normalizedRows(stats, this.nFeatures, this.emission('fit'));
  }

  protected sampleEmissions(states: Tensor, generator: Generator): Tensor {
    const K = this.nComponents;
    const V = this.nFeatures;
    return scope(() => {
      const uniforms = rand([states.size], { generator });
      const symbols = sampleCategorical(uniforms, states, tensor(cumulativeRows(this.emission('sample'), V), [K, V]));
      return reshape(symbols, [states.size, 1]);
    });
  }

  protected emissionParameterCount(): number {
    return this.params.includes('e') ? this.nComponents * (this.nFeatures - 1) : 0;
  }

  private emission(op: string): Float64Array {
    if (!this.emissionValues || this.symbols === null) this.fail(op, 'the model has no emission probabilities; call fit() or setParameters() first');
    return this.emissionValues;
  }
}

// ---- module helpers ------------------------------------------------------------------------------

function negativeSymbol(symbol: number | string): string {
  return `X holds the symbol ${symbol}; symbols must be >= 0`;
}

function symbolOutsideAlphabet(symbol: number | string, nFeatures: number): string {
  return `X holds the symbol ${symbol} but the model has nFeatures = ${nFeatures} (symbols 0 .. ${nFeatures - 1})`;
}
