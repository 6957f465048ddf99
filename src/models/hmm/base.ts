// What the hidden Markov models (GaussianHMM in gaussian.ts, CategoricalHMM in categorical.ts) share:
// the Markov chain and BaseHMM, which fits, scores, decodes and samples through the emission model
// its subclass supplies. Shaped like hmmlearn, fitted by Baum-Welch over a batch of variable-length
// sequences given as hmmlearn gives them (all frames concatenated in X, plus `lengths`); score,
// decode / predict (Viterbi, or per-frame posterior decoding: hmmlearn's 'map'), fitPredict,
// predictProba (posterior state probabilities), scoreSamples, sample, bic and aic.
//
// Where the work runs. One Baum-Welch iteration is four kernels and one readback:
//   1. emission log-probabilities log p(x_n | k) for all N x K (frame, state) pairs, data-parallel
//      (Gaussian: the log-density kernel shared with the mixture, shaders/models/gaussian_logpdf.wgsl;
//      categorical: shaders/models/hmm_categorical_logprob.wgsl);
//   2. forward-backward, one invocation per sequence looping over its frames, in log space with
//      Rabiner's per-step normalisation (shaders/models/hmm_forward_backward.wgsl explains the numerics),
//      writing the posteriors gamma [N, K] and, per sequence, the expected transition counts, the
//      posterior at its first frame and its log-likelihood;
//   3. a sum over sequences (src/ops/reduce.ts) and the posterior-weighted emission statistics in
//      chunks of frames (shaders/models/gaussian_moments.wgsl, shared with the mixture, or
//      shaders/models/hmm_symbol_counts.wgsl);
//   4. one readback of those K x K + K x (D+1)² numbers and the S log-likelihoods, which the
//      convergence test needs anyway. The M-step itself (normalising counts, means and covariances,
//      their Cholesky factors) is K x K / K x D sized and runs on the host in float64 (params.ts).
// Viterbi keeps its back-pointers on the GPU and backtracks there (shaders/models/hmm_viterbi.wgsl),
// so predict() never reads the GPU. Sampling walks the chains on the GPU from Philox uniforms
// (shaders/models/hmm_sample.wgsl).
//
// Checked input. Shapes, dtypes, lengths and parameters are checked on every call, and the values
// of X (NaN / Inf, or categorical symbols outside [0, nFeatures)) by every method that takes X, with
// the same messages. The methods that read the GPU anyway (fit, score, scoreSamples, decode, bic,
// aic) check them first, at the cost of a pass and a readback; predict and predictProba stay free of
// syncs: their check runs on the GPU beside the work and makes the next read throw
// (src/ops/checks.ts).

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat, slice } from '../../ops/indexing.js';
import { log } from '../../ops/elementwise.js';
import { reshape } from '../../ops/movement.js';
import { max, sum } from '../../ops/reduce.js';
import { Generator, rand, type Seed } from '../../ops/random.js';
import { rows } from '../shared/linalg.js';
import { forwardBackward, sampleStates, sequenceStatsWidth, viterbi, type GpuChain } from './kernels.js';
import {
  LOG_ZERO_THRESHOLD, checkProbabilities, checkStochasticMatrix, cumulativeRows, logProbabilities, normalizedRows,
} from './params.js';

/** The most states a model may have: the per-sequence kernels keep K log-probabilities in registers. */
export const MAX_STATES = 64;

/**
 * How decode and predict choose the states (hmmlearn's algorithm): 'viterbi', the most probable
 * path; 'map', each frame's most probable state given all frames (posterior decoding, the argmax
 * of predictProba), which need not be a path the chain can take.
 */
export type DecodeAlgorithm = 'viterbi' | 'map';
const decodeAlgorithms: readonly DecodeAlgorithm[] = ['viterbi', 'map'];

/** Options of `decode`. */
export interface DecodeOptions {
  /** 'viterbi' or 'map' (default: the model's `algorithm`). */
  algorithm?: DecodeAlgorithm;
}

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
  /** The decoder of predict, and of decode when its options name none (default 'viterbi', as hmmlearn). */
  algorithm?: DecodeAlgorithm;
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

/** The parameters setParameters takes; each is optional and replaces the current value. */
export interface HMMParameters {
  /** [K] start probabilities, summing to 1. */
  startprob?: number[];
  /** [K][K] transition probabilities, row = from; each row sums to 1. */
  transmat?: number[][];
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

/** What `decode` returns: the decoded states and their log-probability. */
export interface DecodeResult {
  /**
   * 'viterbi': log p(X, best paths), the log-probability of the best paths joint with the
   * observations, summed over sequences (as hmmlearn). 'map': Σ_n log max_k p(z_n = k | X), the sum
   * over frames of the log posterior probability of each chosen state. hmmlearn's 'map' returns
   * Σ_n max_k p(z_n = k | X) instead, probabilities added without their log (its open issue 188);
   * the model's log-likelihood is `score`.
   */
  logProb: number;
  /** [N] i32: the state of each frame. */
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

/**
 * What the Markov chain and the emission model share: fitting, scoring, decoding and sampling.
 * `Emission` is the emission model's parameters as the kernels read them, for one pass.
 */
export abstract class BaseHMM<Emission> {
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
  /** The decoder of predict, and of decode when its options name none. */
  readonly algorithm: DecodeAlgorithm;
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
    this.algorithm = options.algorithm ?? 'viterbi';
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
    if (!decodeAlgorithms.includes(this.algorithm)) reject(`algorithm must be 'viterbi' or 'map', got ${JSON.stringify(this.algorithm)}`);
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
    const data = this.kernelInput(x);
    const width = sequenceStatsWidth(K);
    const sequences = offsets.length - 1;
    const offsetTensor = tensor(offsets);
    try {
      if (this.initParams.includes('s')) this.startValues = new Float64Array(K).fill(1 / K);
      if (this.initParams.includes('t')) this.transValues = new Float64Array(K * K).fill(1 / K);
      await this.initializeEmission(x, data);
      this.chainValues('fit');
      this.emissionReady('fit');
      this.monitor = { history: [], iter: 0, converged: false };
      for (let iteration = 1; iteration <= this.nIter; iteration++) {
        const summary = scope(() => {
          const chain = this.uploadChain();
          const emission = this.uploadEmission();
          const logB = this.emissionLogProb(data, emission);
          const { posteriors, sequenceStats } = forwardBackward(logB, chain, offsetTensor);
          return concat([
            sum(sequenceStats, 0),
            reshape(slice(sequenceStats, 1, width - 1, width), [sequences]),
            this.emissionStatistics(data, posteriors, emission),
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
      if (data !== x) data.dispose();
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

  /**
   * The states of each sequence by the decoder that `options.algorithm` (or the model's `algorithm`)
   * names, and their log-probability (see DecodeResult; reads the GPU). hmmlearn's
   * decode(X, lengths, algorithm); the options may also come second, in place of the lengths.
   */
  async decode(x: Tensor, options: DecodeOptions): Promise<DecodeResult>;
  async decode(x: Tensor, lengths?: number[], options?: DecodeOptions): Promise<DecodeResult>;
  async decode(x: Tensor, lengthsOrOptions?: number[] | DecodeOptions, options: DecodeOptions = {}): Promise<DecodeResult> {
    const optionsSecond = typeof lengthsOrOptions === 'object' && lengthsOrOptions !== null && !Array.isArray(lengthsOrOptions);
    const lengths = optionsSecond ? undefined : (lengthsOrOptions as number[] | undefined);
    const algorithm = this.decoder('decode', optionsSecond ? lengthsOrOptions : options);
    const offsets = this.prepare('decode', x, lengths);
    await this.checkValues('decode', x, false);
    const { states, logProb } = algorithm === 'map' ? this.posteriorDecoding(x, offsets) : this.viterbiPass(x, offsets);
    return { logProb: await readTotal(logProb, [states]), states };
  }

  /**
   * [N] i32: the state of each frame by the model's `algorithm` (Viterbi by default). Nothing is read
   * back: bad values of X make the next read throw.
   */
  predict(x: Tensor, lengths?: number[]): Tensor {
    const offsets = this.prepare('predict', x, lengths);
    this.checkValuesLater('predict', x);
    const { states, logProb } = this.algorithm === 'map' ? this.posteriorDecoding(x, offsets) : this.viterbiPass(x, offsets);
    logProb.dispose();
    return states;
  }

  /** Fits the model to X (see fit), then returns predict(X): [N] i32, the state of each frame. */
  async fitPredict(x: Tensor, lengths?: number[]): Promise<Tensor> {
    await this.fit(x, lengths);
    return this.predict(x, lengths);
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
  /** X as the emission kernels read it (the Gaussian pads its features; the caller disposes only a copy). */
  protected abstract kernelInput(x: Tensor): Tensor;
  /** Sets the emission parameters that initParams names, from x (and from `data`, x as kernelInput gives it). */
  protected abstract initializeEmission(x: Tensor, data: Tensor): Promise<void>;
  /** Throws unless every emission parameter is set. */
  protected abstract emissionReady(op: string): void;
  /** The emission parameters as GPU tensors for one pass of the kernels. */
  protected abstract uploadEmission(): Emission;
  /** log p(x_n | state k) for every frame of `data` (as kernelInput gives it): [N, K]. */
  protected abstract emissionLogProb(data: Tensor, emission: Emission): Tensor;
  /** The posterior-weighted emission statistics of `data` (as kernelInput gives it), flattened, for the M-step. */
  protected abstract emissionStatistics(data: Tensor, posteriors: Tensor, emission: Emission): Tensor;
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
      const { posteriors, sequenceStats } = forwardBackward(this.emissionLogProb(this.kernelInput(x), emission), chain, offsetTensor);
      const sequenceLogProbs = reshape(slice(sequenceStats, 1, width - 1, width), [offsets.length - 1]);
      return keepPosteriors ? { posteriors, sequenceLogProbs } : { sequenceLogProbs };
    });
  }

  /** The decoding algorithm from decode's options (checked), or the model's. */
  private decoder(op: string, options: unknown): DecodeAlgorithm {
    if (typeof options !== 'object' || options === null) this.fail(op, `options must be an object such as { algorithm: 'map' }, got ${String(options)}`);
    const algorithm = (options as DecodeOptions).algorithm ?? this.algorithm;
    if (!decodeAlgorithms.includes(algorithm)) this.fail(op, `algorithm must be 'viterbi' or 'map', got ${JSON.stringify(algorithm)}`);
    return algorithm;
  }

  /**
   * Posterior decoding (hmmlearn's 'map') on all sequences: each frame's most probable state given
   * its whole sequence, and Σ log of those probabilities [1].
   */
  private posteriorDecoding(x: Tensor, offsets: Uint32Array): { states: Tensor; logProb: Tensor } {
    return scope(() => {
      const best = max(this.posteriorPass(x, offsets, true).posteriors!, 1);
      return { states: best.indices, logProb: reshape(sum(log(best)), [1]) };
    });
  }

  /** Viterbi on all sequences. */
  private viterbiPass(x: Tensor, offsets: Uint32Array): { states: Tensor; logProb: Tensor } {
    return scope(() => {
      const emission = this.uploadEmission();
      const chain = this.uploadChain();
      const offsetTensor = tensor(offsets);
      return viterbi(this.emissionLogProb(this.kernelInput(x), emission), chain, offsetTensor);
    });
  }
}

// ---- module helpers ------------------------------------------------------------------------------

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
