// Hidden Markov models on the GPU, shaped like hmmlearn: GaussianHMM (diagonal or full covariances)
// and CategoricalHMM, fitted by Baum-Welch over a batch of variable-length sequences given as
// hmmlearn gives them (all frames concatenated in X, plus `lengths`); score, decode / predict
// (Viterbi), predictProba (posterior state probabilities), scoreSamples, sample, bic and aic.
//
// Where the work runs. One Baum-Welch iteration is four kernels and one readback:
//   1. emission log-probabilities log p(x_n | k) for all N x K (frame, state) pairs, data-parallel
//      (shaders/hmm_emission.wgsl);
//   2. forward-backward, one invocation per sequence looping over its frames, in log space with
//      Rabiner's per-step normalisation (shaders/hmm_forward_backward.wgsl explains the numerics),
//      writing the posteriors gamma [N, K] and, per sequence, the expected transition counts, the
//      posterior at its first frame and its log-likelihood;
//   3. a sum over sequences (src/ops/reduce.ts) and the posterior-weighted emission statistics in
//      chunks of frames (shaders/hmm_moments.wgsl);
//   4. one readback of those K x K + K x (D+1)² numbers and the S log-likelihoods, which the
//      convergence test needs anyway. The M-step itself (normalising counts, means and covariances,
//      their Cholesky factors) is K x K / K x D sized and runs on the host in float64
//      (src/models/hmm-params.ts).
// Viterbi keeps its back-pointers on the GPU and backtracks there (shaders/hmm_viterbi.wgsl), so
// predict() never reads the GPU. Sampling walks the chains on the GPU from Philox uniforms
// (shaders/hmm_sample.wgsl).
//
// Checked input. Shapes, dtypes, lengths and parameters are checked on every call, and the values
// of X (NaN / Inf, or categorical symbols outside [0, nFeatures)) by every method that takes X, with
// the same messages. The methods that read the GPU anyway (fit, score, scoreSamples, decode, bic,
// aic) check them first, at the cost of a pass and a readback; predict and predictProba stay free of
// syncs: their check runs on the GPU beside the work and makes the next read throw
// (src/ops/checks.ts).

import { Tensor, formatShape, scope } from '../tensor.js';
import { tensor } from '../ops/creation.js';
import { cast } from '../ops/elementwise.js';
import { concat, slice } from '../ops/indexing.js';
import { reshape } from '../ops/movement.js';
import { max, min, sum } from '../ops/reduce.js';
import { Generator, rand, randn, type Seed } from '../ops/random.js';
import { allFinite, checkFiniteLater, checkSymbolsLater } from '../ops/checks.js';
import { SeededRandom } from '../data/random.js';
import {
  emissionLogProb, emissionStatistics, forwardBackward, sampleCategorical, sampleGaussian, sampleStates, sequenceStatsWidth, viterbi,
  type GpuChain, type GpuEmission,
} from './hmm-kernels.js';
import { dataMoments, kmeansCenters } from './hmm-init.js';
import {
  LOG_ZERO_THRESHOLD, checkCovars, checkMatrix, checkProbabilities, checkStochasticMatrix, covarsLength, cumulativeRows, gaussianKernelParameters,
  gaussianMStep, logProbabilities, normalizedRows, samplingFactors, type GaussianCovarianceType,
} from './hmm-params.js';

export type { GaussianCovarianceType } from './hmm-params.js';

/** The most states a model may have: the per-sequence kernels keep K log-probabilities in registers. */
export const MAX_STATES = 64;
/** The most features a Gaussian model may have: the kernels keep one frame's features in registers. */
export const MAX_FEATURES = 64;

/** Options of both HMMs: size, fitting and the chain's initial parameters. */
export interface HMMOptions {
  /** K, the number of hidden states (default 1). */
  nComponents?: number;
  /** The most Baum-Welch iterations fit() runs (default 10, as hmmlearn). */
  nIter?: number;
  /** fit() stops when the log-likelihood gains less than this in an iteration (default 0.01, as hmmlearn). */
  tol?: number;
  /** Seed of the random streams behind initialisation and sampling (default 0). */
  seed?: Seed;
  /**
   * Which parameters fit() updates, one letter each (hmmlearn's `params`): 's' start probabilities,
   * 't' transitions, 'm' means, 'c' covariances (Gaussian), 'e' emission probabilities (categorical).
   * Default: all of the model's letters.
   */
  params?: string;
  /**
   * Which parameters fit() initialises before iterating (hmmlearn's `init_params`), same letters;
   * the others must be given (options or setParameters). Default: all of the model's letters.
   */
  initParams?: string;
  /** [K] start probabilities (used when initParams omits 's'). */
  startprob?: number[];
  /** [K][K] transition probabilities, row = from (used when initParams omits 't'). */
  transmat?: number[][];
}

/** Options of {@link GaussianHMM}. */
export interface GaussianHMMOptions extends HMMOptions {
  /** 'diag' (default, as hmmlearn) or 'full'. */
  covarianceType?: GaussianCovarianceType;
  /** Added to every variance by the M-step and the initialisation (default 1e-3, as hmmlearn). */
  minCovar?: number;
  /** [K][D] state means. */
  means?: number[][];
  /** diag: [K][D] variances; full: [K][D][D] covariance matrices. */
  covars?: number[][] | number[][][];
}

/** Options of {@link CategoricalHMM}. */
export interface CategoricalHMMOptions extends HMMOptions {
  /** V, the alphabet size: symbols are 0 .. V - 1 (default: the largest symbol in the data fit() sees, plus 1). */
  nFeatures?: number;
  /** [K][V] emission probabilities, row = state. */
  emissionprob?: number[][];
}

/** The parameters setParameters takes; each is optional and replaces the current value. */
export interface HMMParameters {
  /** [K] start probabilities, summing to 1. */
  startprob?: number[];
  /** [K][K] transition probabilities, row = from; each row sums to 1. */
  transmat?: number[][];
}
/** The parameters `GaussianHMM.setParameters` takes. */
export interface GaussianHMMParameters extends HMMParameters {
  /** [K][D] state means. */
  means?: number[][];
  /** diag: [K][D] variances; full: [K][D][D] positive definite covariance matrices. */
  covars?: number[][] | number[][][];
}
/** The parameters `CategoricalHMM.setParameters` takes. */
export interface CategoricalHMMParameters extends HMMParameters {
  /** [K][V] emission probabilities, row = state; each row sums to 1. */
  emissionprob?: number[][];
}

/** How the last fit() went (hmmlearn's monitor_). */
export interface ConvergenceMonitor {
  /** The total log-likelihood of the training data at each iteration's E-step. */
  history: number[];
  /** Iterations run. */
  iter: number;
  /** Whether an iteration gained less than tol before nIter ran out. */
  converged: boolean;
}

/** What `decode` returns: the Viterbi paths and their log-probability. */
export interface DecodeResult {
  /** The log-probability of the best paths (summed over sequences), joint with the observations. */
  logProb: number;
  /** [N] i32: the state of each frame along its sequence's best path. */
  states: Tensor;
}

/** What `scoreSamples` returns. */
export interface ScoreSamplesResult {
  /** The total log-likelihood of the sequences. */
  logProb: number;
  /** The posterior probability of each state at each frame, [N, K]. */
  posteriors: Tensor;
}

/** Options of `sample`. */
export interface HMMSampleOptions {
  /** Independent sequences to draw (default 1), each nSteps long. */
  nSequences?: number;
  /** The random stream to use instead of the model's own. */
  generator?: Generator;
}

/** Sequences drawn by `sample`, laid out as fit() takes them. */
export interface HMMSample {
  /** Gaussian: [nSequences * nSteps, D] f32; categorical: [nSequences * nSteps, 1] i32 symbols. */
  samples: Tensor;
  /** [nSequences * nSteps] i32: the hidden state of each frame. */
  states: Tensor;
  /** nSteps for each sequence, as fit() and the others take them. */
  lengths: number[];
}

/** What the Markov chain and the emission model share: fitting, scoring, decoding and sampling. */
abstract class BaseHMM {
  /** K, the number of hidden states. */
  readonly nComponents: number;
  /** The most Baum-Welch iterations fit() runs. */
  readonly nIter: number;
  /** fit() stops when the log-likelihood gains less than this in an iteration. */
  readonly tol: number;
  /** The letters of the parameters fit() updates ('s', 't', then 'm', 'c' or 'e'). */
  readonly params: string;
  /** The letters of the parameters fit() initialises before iterating. */
  readonly initParams: string;
  /** How the last fit() went. */
  monitor: ConvergenceMonitor = { history: [], iter: 0, converged: false };

  /** The model's name, for error messages. */
  protected abstract readonly className: string;
  /** The model's seeded stream, for initialisation and sampling. */
  protected readonly generator: Generator;
  private startValues: Float64Array | null = null;
  private transValues: Float64Array | null = null;

  protected constructor(options: HMMOptions, letters: string) {
    const className = new.target.name;
    this.nComponents = options.nComponents ?? 1;
    this.nIter = options.nIter ?? 10;
    this.tol = options.tol ?? 1e-2;
    this.params = options.params ?? letters;
    this.initParams = options.initParams ?? letters;
    const reject = (message: string): never => {
      throw new Error(`${className}: ${message}`);
    };
    if (!Number.isInteger(this.nComponents) || this.nComponents < 1 || this.nComponents > MAX_STATES) {
      reject(`nComponents must be an integer in [1, ${MAX_STATES}], got ${this.nComponents}`);
    }
    if (!Number.isInteger(this.nIter) || this.nIter < 1) reject(`nIter must be an integer >= 1, got ${this.nIter}`);
    if (!(this.tol >= 0 && Number.isFinite(this.tol))) reject(`tol must be a finite number >= 0, got ${this.tol}`);
    for (const [name, value] of [['params', this.params], ['initParams', this.initParams]]) {
      if (typeof value !== 'string' || [...value].some((c) => !letters.includes(c))) {
        reject(`${name} must be a string of the letters '${letters}', got ${JSON.stringify(value)}`);
      }
    }
    this.generator = new Generator(options.seed ?? 0);
  }

  // ---- parameters ----------------------------------------------------------------------------------

  /** [K] start probabilities. */
  get startprob(): number[] {
    return Array.from(this.chainValues('startprob').start);
  }

  /** [K][K] transition probabilities, row = from. */
  get transmat(): number[][] {
    return rows(this.chainValues('transmat').trans, this.nComponents);
  }

  /** Sets the start and transition probabilities (each row must sum to 1). */
  protected setChain(params: HMMParameters): void {
    const where = `${this.className}.setParameters`;
    const K = this.nComponents;
    if (params.startprob !== undefined) this.startValues = checkProbabilities(where, 'startprob', params.startprob, K);
    if (params.transmat !== undefined) this.transValues = checkStochasticMatrix(where, 'transmat', params.transmat, K, K);
  }

  private chainValues(op: string): { start: Float64Array; trans: Float64Array } {
    if (!this.startValues || !this.transValues) {
      this.fail(op, `the model has no start or transition probabilities; give them (options or setParameters) or let fit() initialise them (initParams 's', 't')`);
    }
    return { start: this.startValues, trans: this.transValues };
  }

  // ---- fitting -------------------------------------------------------------------------------------

  /**
   * Fits the model to the sequences in X by Baum-Welch: initialises the initParams parameters, then
   * iterates E-step (on the GPU) and M-step (the `params` parameters) until the log-likelihood gains
   * less than tol or nIter iterations ran. `lengths` gives each sequence's frame count (default: one
   * sequence of all N frames).
   */
  async fit(x: Tensor, lengths?: number[]): Promise<this> {
    this.checkX('fit', x, true);
    const offsets = this.sequenceOffsets('fit', x, lengths);
    await this.checkValues('fit', x, true);
    const K = this.nComponents;
    if (this.initParams.includes('s')) this.startValues = new Float64Array(K).fill(1 / K);
    if (this.initParams.includes('t')) this.transValues = new Float64Array(K * K).fill(1 / K);
    await this.initializeEmission(x);
    this.chainValues('fit');
    this.emissionReady('fit');

    const width = sequenceStatsWidth(K);
    const sequences = offsets.length - 1;
    const offsetTensor = tensor(offsets);
    this.monitor = { history: [], iter: 0, converged: false };
    try {
      for (let iteration = 1; iteration <= this.nIter; iteration++) {
        const summary = scope(() => {
          const chain = this.uploadChain();
          const emission = this.uploadEmission();
          const logB = emissionLogProb(x, emission, K);
          const { posteriors, sequenceStats } = forwardBackward(logB, chain, offsetTensor);
          return concat([
            sum(sequenceStats, 0),
            reshape(slice(sequenceStats, 1, width - 1, width), [sequences]),
            this.emissionStatistics(x, posteriors, emission),
          ]);
        });
        const values = (await summary.data()) as Float32Array;
        summary.dispose();
        const logProb = totalLogProb(values.subarray(width, width + sequences));
        if (Number.isNaN(logProb)) this.fail('fit', `the log-likelihood became NaN at iteration ${iteration}`, x);
        const { start, trans } = this.chainValues('fit');
        if (this.params.includes('s')) this.startValues = normalizedRows(values.subarray(K * K, K * K + K), K, start);
        if (this.params.includes('t')) this.transValues = normalizedRows(values.subarray(0, K * K), K, trans);
        this.emissionMStep(values.subarray(width + sequences));
        const previous = this.monitor.history[this.monitor.history.length - 1];
        this.monitor.history.push(logProb);
        this.monitor.iter = iteration;
        if (previous !== undefined && logProb - previous < this.tol) {
          this.monitor.converged = true;
          break;
        }
      }
    } finally {
      offsetTensor.dispose();
    }
    return this;
  }

  // ---- inference -----------------------------------------------------------------------------------

  /** The total log-likelihood log p(X) of the sequences (reads the GPU). */
  async score(x: Tensor, lengths?: number[]): Promise<number> {
    const offsets = this.prepare('score', x, lengths);
    await this.checkValues('score', x, false);
    return readTotal(this.posteriorPass(x, offsets, false).sequenceLogProbs);
  }

  /** The total log-likelihood and the [N, K] posterior state probabilities (hmmlearn's score_samples). */
  async scoreSamples(x: Tensor, lengths?: number[]): Promise<ScoreSamplesResult> {
    const offsets = this.prepare('scoreSamples', x, lengths);
    await this.checkValues('scoreSamples', x, false);
    const { posteriors, sequenceLogProbs } = this.posteriorPass(x, offsets, true);
    return { logProb: await readTotal(sequenceLogProbs, [posteriors!]), posteriors: posteriors! };
  }

  /**
   * [N, K] posterior probability of each state at each frame; rows sum to 1. Nothing is read back: bad
   * values of X make the next read throw.
   */
  predictProba(x: Tensor, lengths?: number[]): Tensor {
    const offsets = this.prepare('predictProba', x, lengths);
    this.checkValuesLater('predictProba', x);
    const { posteriors, sequenceLogProbs } = this.posteriorPass(x, offsets, true);
    sequenceLogProbs.dispose();
    return posteriors!;
  }

  /** The Viterbi path of each sequence and the total log-probability of those paths (reads the GPU). */
  async decode(x: Tensor, lengths?: number[]): Promise<DecodeResult> {
    const offsets = this.prepare('decode', x, lengths);
    await this.checkValues('decode', x, false);
    const { states, logProb } = this.viterbiPass(x, offsets);
    return { logProb: await readTotal(logProb, [states]), states };
  }

  /** [N] i32: the Viterbi state of each frame. Nothing is read back: bad values of X make the next read throw. */
  predict(x: Tensor, lengths?: number[]): Tensor {
    const offsets = this.prepare('predict', x, lengths);
    this.checkValuesLater('predict', x);
    const { states, logProb } = this.viterbiPass(x, offsets);
    logProb.dispose();
    return states;
  }

  /** Bayesian information criterion: -2 log p(X) + p log N, with p the free parameters in `params`. */
  async bic(x: Tensor, lengths?: number[]): Promise<number> {
    return -2 * (await this.score(x, lengths)) + this.freeParameters() * Math.log(x.shape[0]);
  }

  /** Akaike information criterion: -2 log p(X) + 2 p. */
  async aic(x: Tensor, lengths?: number[]): Promise<number> {
    return -2 * (await this.score(x, lengths)) + 2 * this.freeParameters();
  }

  /** The number of free parameters that `params` lets fit() change (what bic and aic charge for). */
  freeParameters(): number {
    const K = this.nComponents;
    let count = 0;
    if (this.params.includes('s')) count += K - 1;
    if (this.params.includes('t')) count += K * (K - 1);
    return count + this.emissionParameterCount();
  }

  /**
   * Draws nSequences sequences of nSteps frames on the GPU: the hidden chains from the start and
   * transition probabilities, then one emission per frame. Uses the model's seeded stream unless a
   * generator is given.
   */
  sample(nSteps: number, options: HMMSampleOptions = {}): HMMSample {
    const chains = options.nSequences ?? 1;
    if (!Number.isInteger(nSteps) || nSteps < 1) this.fail('sample', `nSteps must be an integer >= 1, got ${nSteps}`);
    if (!Number.isInteger(chains) || chains < 1) this.fail('sample', `nSequences must be an integer >= 1, got ${chains}`);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      this.fail('sample', `generator must be a Generator, got ${String(options.generator)}`);
    }
    const { start, trans } = this.chainValues('sample');
    this.emissionReady('sample');
    const generator = options.generator ?? this.generator;
    const K = this.nComponents;
    const drawn = scope(() => {
      const uniforms = rand([chains, nSteps], { generator });
      const chainStates = sampleStates(uniforms, tensor(cumulativeRows(start, K)), tensor(cumulativeRows(trans, K), [K, K]));
      const states = reshape(chainStates, [chains * nSteps]);
      return { samples: this.sampleEmissions(states, generator), states };
    });
    return { ...drawn, lengths: new Array<number>(chains).fill(nSteps) };
  }

  // ---- the emission model (GaussianHMM, CategoricalHMM) --------------------------------------------

  /** Throws unless x is a tensor of the right dtype and shape (and feature count, unless fit may set it). */
  protected abstract checkX(op: string, x: Tensor, fitting: boolean): void;
  /** Throws when the values of x are invalid (NaN / Inf, symbols out of range): one pass, one readback. */
  protected abstract checkValues(op: string, x: Tensor, fitting: boolean): Promise<void>;
  /** The same check without a sync: it runs on the GPU and makes the next read throw the same message. */
  protected abstract checkValuesLater(op: string, x: Tensor): void;
  /** Sets the emission parameters that initParams names, from x. */
  protected abstract initializeEmission(x: Tensor): Promise<void>;
  /** Throws unless every emission parameter is set. */
  protected abstract emissionReady(op: string): void;
  /** The emission parameters as GPU tensors for one pass of the kernels. */
  protected abstract uploadEmission(): GpuEmission;
  /** The posterior-weighted emission statistics of x, flattened, for the M-step. */
  protected abstract emissionStatistics(x: Tensor, posteriors: Tensor, emission: GpuEmission): Tensor;
  /** Updates the emission parameters named in `params` from the statistics read back. */
  protected abstract emissionMStep(stats: Float32Array): void;
  /** One emission per frame for the given i32 states. */
  protected abstract sampleEmissions(states: Tensor, generator: Generator): Tensor;
  /** Free emission parameters that `params` lets fit() change (for bic and aic). */
  protected abstract emissionParameterCount(): number;

  // ---- helpers -------------------------------------------------------------------------------------

  /** Throws an error naming the model and method, with x's shape when given. */
  protected fail(op: string, message: string, x?: Tensor): never {
    throw new Error(this.failure(op, message, x));
  }

  /** The text of the error `fail` throws. */
  protected failure(op: string, message: string, x?: Tensor): string {
    const detail = x ? ` (X: ${formatShape(x.shape)} ${x.dtype})` : '';
    return `${this.className}.${op}: ${message}${detail}`;
  }

  private uploadChain(): GpuChain {
    const { start, trans } = this.chainValues('uploadChain');
    const K = this.nComponents;
    return { logStart: tensor(logProbabilities(start)), logTrans: tensor(logProbabilities(trans), [K, K]) };
  }

  /** u32 [S + 1] frame offsets of the sequences, from lengths (each >= 1, summing to N). */
  private sequenceOffsets(op: string, x: Tensor, lengths: number[] | undefined): Uint32Array {
    const n = x.shape[0];
    const list = lengths ?? [n];
    if (!Array.isArray(list) || list.length === 0) this.fail(op, `lengths must be a non-empty array of sequence lengths, got ${JSON.stringify(lengths)}`, x);
    let total = 0;
    list.forEach((length, s) => {
      if (!Number.isInteger(length) || length < 0) this.fail(op, `lengths[${s}] must be an integer >= 1, got ${length}`, x);
      if (length === 0) this.fail(op, `sequence ${s} is empty (lengths[${s}] is 0); every sequence needs at least one frame`, x);
      total += length;
    });
    if (total !== n) this.fail(op, `lengths sum to ${total} frames but X has ${n}`, x);
    const offsets = new Uint32Array(list.length + 1);
    list.forEach((length, s) => (offsets[s + 1] = offsets[s] + length));
    return offsets;
  }

  /** Checks X's shape, the lengths and the parameters (not the values of X): the sequences' frame offsets. */
  private prepare(op: string, x: Tensor, lengths: number[] | undefined): Uint32Array {
    this.checkX(op, x, false);
    const offsets = this.sequenceOffsets(op, x, lengths);
    this.chainValues(op);
    this.emissionReady(op);
    return offsets;
  }

  /** Forward-backward on all sequences: the posteriors (when asked for) and each sequence's log-likelihood [S]. */
  private posteriorPass(x: Tensor, offsets: Uint32Array, keepPosteriors: boolean): { posteriors?: Tensor; sequenceLogProbs: Tensor } {
    const K = this.nComponents;
    const width = sequenceStatsWidth(K);
    return scope(() => {
      // Uploads first: a write after a recorded dispatch would submit the batch early.
      const emission = this.uploadEmission();
      const chain = this.uploadChain();
      const offsetTensor = tensor(offsets);
      const { posteriors, sequenceStats } = forwardBackward(emissionLogProb(x, emission, K), chain, offsetTensor);
      const sequenceLogProbs = reshape(slice(sequenceStats, 1, width - 1, width), [offsets.length - 1]);
      return keepPosteriors ? { posteriors, sequenceLogProbs } : { sequenceLogProbs };
    });
  }

  /** Viterbi on all sequences. */
  private viterbiPass(x: Tensor, offsets: Uint32Array): { states: Tensor; logProb: Tensor } {
    return scope(() => {
      const emission = this.uploadEmission();
      const chain = this.uploadChain();
      const offsetTensor = tensor(offsets);
      return viterbi(emissionLogProb(x, emission, this.nComponents), chain, offsetTensor);
    });
  }
}

// ---- Gaussian emissions --------------------------------------------------------------------------

/** A hidden Markov model with a Gaussian emission density per state (hmmlearn's GaussianHMM). */
export class GaussianHMM extends BaseHMM {
  /** 'diag' or 'full'. */
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
    if (this.covarianceType !== 'diag' && this.covarianceType !== 'full') {
      this.fail('constructor', `covarianceType must be 'diag' or 'full', got '${String(this.covarianceType)}'`);
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

  /** diag: [K][D] variances; full: [K][D][D] covariance matrices. */
  get covars(): number[][] | number[][][] {
    const { covars } = this.emission('covars');
    const D = this.nFeatures;
    return this.covarianceType === 'diag' ? rows(covars, D) : rows(covars, D * D).map((m) => rows(Float64Array.from(m), D));
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
      throw new Error(`${where}: means must be ${K} rows of 1 to ${MAX_FEATURES} numbers, and covars ${K} ${type === 'diag' ? 'rows of variances' : 'matrices'} to match`);
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

  protected async initializeEmission(x: Tensor): Promise<void> {
    const K = this.nComponents;
    const d = x.shape[1];
    const initMeans = this.initParams.includes('m');
    const initCovars = this.initParams.includes('c');
    if (!initMeans && !initCovars) return;
    const moments = await dataMoments(x);
    const variances = Float64Array.from({ length: d }, (_, i) => moments.covariance[i * d + i]);
    if (initMeans) this.meanValues = await kmeansCenters(x, K, this.generator, variances);
    if (initCovars) {
      const covars = new Float64Array(covarsLength(this.covarianceType, K, d));
      for (let state = 0; state < K; state++) {
        for (let i = 0; i < d; i++) {
          if (this.covarianceType === 'diag') covars[state * d + i] = variances[i] + this.minCovar;
          else for (let j = 0; j < d; j++) covars[(state * d + i) * d + j] = moments.covariance[i * d + j] + (i === j ? this.minCovar : 0);
        }
      }
      this.covarValues = covars;
    }
    this.dims = d;
  }

  protected emissionReady(op: string): void {
    this.emission(op);
  }

  protected uploadEmission(): GpuEmission {
    const { means, covars } = this.emission('uploadEmission');
    const K = this.nComponents;
    const D = this.nFeatures;
    const params = gaussianKernelParameters(means, covars, this.covarianceType, K, D);
    return {
      kind: this.covarianceType,
      nFeatures: D,
      means: tensor(params.means, [K, D]),
      factors: tensor(params.factors),
      logNorm: tensor(params.logNorm),
    };
  }

  protected emissionStatistics(x: Tensor, posteriors: Tensor, emission: GpuEmission): Tensor {
    if (emission.kind === 'categorical') throw new Error('GaussianHMM: a categorical emission reached the Gaussian statistics');
    return emissionStatistics(x, posteriors, emission.kind, emission.nFeatures, emission.means);
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
      const factors = tensor(samplingFactors(covars, this.covarianceType, K, D), [K, D, D]);
      return sampleGaussian(noise, states, tensor(Float32Array.from(means), [K, D]), factors);
    });
  }

  protected emissionParameterCount(): number {
    const K = this.nComponents;
    const D = this.nFeatures;
    let count = 0;
    if (this.params.includes('m')) count += K * D;
    if (this.params.includes('c')) count += this.covarianceType === 'diag' ? K * D : (K * D * (D + 1)) / 2;
    return count;
  }

  private emission(op: string): { means: Float64Array; covars: Float64Array } {
    if (!this.meanValues || !this.covarValues) this.fail(op, 'the model has no means or covariances; call fit() or setParameters() first');
    return { means: this.meanValues, covars: this.covarValues };
  }
}

// ---- categorical emissions -----------------------------------------------------------------------

/** A hidden Markov model emitting one of V symbols per frame (hmmlearn's CategoricalHMM). */
export class CategoricalHMM extends BaseHMM {
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

  protected uploadEmission(): GpuEmission {
    return { kind: 'categorical', nSymbols: this.nFeatures, logEmission: tensor(logProbabilities(this.emission('uploadEmission')), [this.nComponents, this.nFeatures]) };
  }

  protected emissionStatistics(x: Tensor, posteriors: Tensor): Tensor {
    return emissionStatistics(x, posteriors, 'categorical', this.nFeatures);
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

function rows(values: Float64Array, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) out.push(Array.from(values.subarray(i, i + width)));
  return out;
}

/** The sum of per-sequence log-likelihoods in float64; -Infinity when one is log 0 (see LOG_ZERO). */
function totalLogProb(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] <= LOG_ZERO_THRESHOLD ? -Infinity : values[i];
  return total;
}

/** Reads per-sequence log-probabilities [S] and frees them: their float64 total. If the read throws, `results` are freed too. */
async function readTotal(perSequence: Tensor, results: Tensor[] = []): Promise<number> {
  try {
    return totalLogProb(await perSequence.data());
  } catch (error) {
    for (const t of results) t.dispose();
    throw error;
  } finally {
    perSequence.dispose();
  }
}
