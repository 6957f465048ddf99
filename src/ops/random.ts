// Random numbers on the GPU (shaders/random.wgsl): counter-based Philox-4x32-10, keyed by a 64-bit
// seed. A Generator holds the seed and an offset that every draw advances by one; draw number k of a
// generator uses the counters [i, 0, k low, k high] for its blocks i = 0, 1, ..., so the numbers are
// a pure function of (seed, draw number, element index): the same in every run, in Node and in the
// browser, whatever the workgroup size. The API follows PyTorch: manualSeed, Generator, rand, randn,
// uniform, normal, bernoulli, randint, multinomial; plus dropoutMask, categorical (from logits) and
// the reparameterized Gaussian samples that VAEs train through.

import { runtime } from '../context.js';
import { Tensor, formatShape, type DType } from '../tensor.js';
import { add, exp, mul, mulScalar } from './elementwise.js';
import { defineMethods } from './methods.js';
import { assertDtype, broadcastShapes, checkDtype, checkShape, grid1d, opError, sameShape } from './shape.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** A generator seed: any safe integer, or a bigint for the full 64 bits (negative values wrap modulo 2^64). */
export type Seed = number | bigint;

/** The seed of a Generator made without one (PyTorch's default CPU seed), so runs are reproducible. */
export const DEFAULT_SEED = 67280421310721n;

/** The seed and the number of draws made since seeding: all a generator needs to replay its stream. */
export interface GeneratorState {
  /** The 64-bit seed, as an unsigned value. */
  seed: bigint;
  /** Draws made since seeding. */
  offset: number;
}

/** The key and the base counter of one draw, for launching a Philox kernel. */
export interface PhiloxStream {
  /** The Philox key: the seed's low and high 32 bits. */
  key: [number, number];
  /** The base counter: [0, 0, draw offset low 32 bits, high bits]. */
  counter: [number, number, number, number];
}

const TWO_32 = 4294967296;

/** A seed as an unsigned 64-bit value (negative seeds wrap modulo 2^64, as in PyTorch). */
function seedValue(op: string, seed: Seed): bigint {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
    throw new Error(`${op}: the seed must be an integer (a bigint for values past 2^53), got ${seed}`);
  }
  return BigInt.asUintN(64, BigInt(seed));
}

/** A stream of random numbers: a 64-bit seed (the Philox key) and the offset of its next draw. */
export class Generator {
  private seed = 0n;
  private key: [number, number] = [0, 0];
  private drawOffset = 0;

  constructor(seed: Seed = DEFAULT_SEED) {
    this.manualSeed(seed);
  }

  /** Reseeds and restarts the stream (offset 0). */
  manualSeed(seed: Seed): this {
    this.seed = seedValue('manualSeed', seed);
    this.key = [Number(this.seed & 0xffffffffn), Number(this.seed >> 32n)];
    this.drawOffset = 0;
    return this;
  }

  /** The seed (as an unsigned 64-bit value) the stream was last seeded with. */
  initialSeed(): bigint {
    return this.seed;
  }

  /** How many draws were made since seeding. */
  get offset(): number {
    return this.drawOffset;
  }

  /** The seed and offset, to save and later `setState` (e.g. in a checkpoint). */
  getState(): GeneratorState {
    return { seed: this.seed, offset: this.drawOffset };
  }

  /** Returns to a state from getState(): the draws that followed it repeat exactly. */
  setState(state: GeneratorState): this {
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new Error(`Generator.setState: offset must be an integer >= 0, got ${state.offset}`);
    }
    this.manualSeed(state.seed);
    this.drawOffset = state.offset;
    return this;
  }

  /** The key and counter for the next draw, advancing the offset: for kernels that draw their own numbers. */
  nextStream(): PhiloxStream {
    const offset = this.drawOffset++;
    return { key: [...this.key], counter: [0, 0, offset % TWO_32, Math.floor(offset / TWO_32)] };
  }
}

/** The generator that draws use when none is passed. */
export const defaultGenerator = new Generator();

/** Seeds the default generator (and returns it), like torch.manual_seed. */
export function manualSeed(seed: Seed): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** Options of every draw. */
export interface SampleOptions {
  /** The generator to draw from (default: the global one, seeded by `manualSeed`). */
  generator?: Generator;
}
/** Options of the float draws (`rand`, `randn`, `uniform`, `normal`, ...). */
export interface RandomOptions extends SampleOptions {
  /** Random floats are f32, the one float type. */
  dtype?: DType;
  /** Mark the result as a leaf that requires grad. */
  requiresGrad?: boolean;
}
/** Options of `randint`. */
export interface RandintOptions extends SampleOptions {
  /** i32 (default), u32 or f32. */
  dtype?: DType;
}
/** Options of `categorical`. */
export interface CategoricalOptions extends SampleOptions {
  /** Draws per row: the result gains a last dimension of this size when given. */
  numSamples?: number;
}
/** Options of the reparameterized Gaussian sample. */
export interface ReparameterizeOptions extends SampleOptions {
  /** The standard normal noise to use instead of drawing it (same shape as the result). */
  eps?: Tensor;
}

// ---- launching shaders/random.wgsl ---------------------------------------------------------------

const WORKGROUP_SIZE = 64;

type DrawEntry =
  | 'draw_bits' | 'draw_uniform' | 'draw_normal' | 'draw_bernoulli' | 'draw_bernoulli_scalar' | 'draw_randint' | 'draw_multinomial';

/** The distribution fields of the shader's Params block (each entry point reads its own). */
interface DrawParams {
  scale: number;
  shift: number;
  upper: number;
  prob: number;
  value: number;
  low: number;
  span: number;
  categories: number;
  samples: number;
  fromLogits: number;
}
const noDrawParams: DrawParams = { scale: 0, shift: 0, upper: 0, prob: 0, value: 0, low: 0, span: 0, categories: 0, samples: 0, fromLogits: 0 };

/** The check sites of a multinomial draw and the runtime's check flag (see shaders/random.wgsl). */
interface RowChecks {
  invalid: number;
  empty: number;
  flag: GPUBuffer;
}

/** Fills `out` with one draw. Elementwise entry points run one invocation per 4 outputs, multinomial one per output. */
function launchDraw(entry: DrawEntry, out: Tensor, streams: DrawStreams, params: Partial<DrawParams>, input?: Tensor, checks?: RowChecks): void {
  const d = { ...noDrawParams, ...params };
  const invocations = entry === 'draw_multinomial' ? out.size : Math.ceil(out.size / 4);
  // Taken now: a replay runs the function below after these tensors' scope has freed them (their
  // buffers stay with the recording).
  const [n, dtype, buffers] = [out.size, out.dtype, { out: out.buffer, probs: input?.buffer, check_flag: checks?.flag }];
  // Replayable: a replayed step (gg.capture) takes its next draw from the generator here, as this one does.
  runtime().replayable(() => {
    // An empty draw advances the generator all the same, as PyTorch's.
    const stream = streams.nextStream();
    if (n === 0) return;
    runtime().dispatch({
      shader: wgsl.random,
      entryPoint: entry,
      template: { T: dtype },
      constants: { WG: WORKGROUP_SIZE },
      params: {
        n,
        key_lo: stream.key[0],
        key_hi: stream.key[1],
        counter0: stream.counter[0],
        counter1: stream.counter[1],
        counter2: stream.counter[2],
        counter3: stream.counter[3],
        scale: d.scale,
        shift: d.shift,
        upper: d.upper,
        prob: d.prob,
        value: d.value,
        low: d.low,
        span: d.span,
        categories: d.categories,
        samples: d.samples,
        from_logits: d.fromLogits,
        site_invalid: checks?.invalid ?? 0,
        site_empty: checks?.empty ?? 0,
      },
      buffers,
      workgroups: grid1d(invocations, WORKGROUP_SIZE),
    });
  });
}

/** Where a draw's key and counter come from: a Generator (each draw advances it). */
interface DrawStreams {
  nextStream(): PhiloxStream;
}

function checkFinite(op: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new Error(`${op}: ${name} must be a finite number, got ${value}`);
}

/** An f32 output tensor for a float draw (the dtype option may only say f32). */
function floatOutput(op: string, shape: readonly number[], options: RandomOptions): Tensor {
  checkShape(op, shape);
  if (options.dtype !== undefined) checkDtype(op, options.dtype);
  if (options.dtype !== undefined && options.dtype !== 'f32') {
    throw new Error(`${op}: random floats are f32, got dtype ${options.dtype} (cast the result with .to() instead)`);
  }
  return Tensor.empty(shape, 'f32', op);
}

function finishLeaf(out: Tensor, options: RandomOptions): Tensor {
  if (options.requiresGrad) out.requiresGrad_();
  return out;
}

// ---- draws ---------------------------------------------------------------------------------------

/**
 * Raw Philox-4x32-10 words for an explicit key and counter (no generator): element i is word i % 4
 * of the block at `counter` + floor(i / 4), the addition carrying through the low 64 bits.
 */
export function philoxBits(shape: readonly number[], key: readonly [number, number], counter: readonly [number, number, number, number]): Tensor {
  checkShape('philoxBits', shape);
  const words = [...key, ...counter];
  if (words.length !== 6 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32)) {
    throw new Error(`philoxBits: key needs 2 and counter 4 unsigned 32-bit integers, got key [${key.join(', ')}], counter [${counter.join(', ')}]`);
  }
  const out = Tensor.empty(shape, 'u32', 'philoxBits');
  const stream: PhiloxStream = { key: [key[0], key[1]], counter: [counter[0], counter[1], counter[2], counter[3]] };
  launchDraw('draw_bits', out, { nextStream: () => stream }, {});
  return out;
}

/** Random u32 words from a generator (the bits every other draw is made from). */
export function randomBits(shape: readonly number[], options: SampleOptions = {}): Tensor {
  checkShape('randomBits', shape);
  const out = Tensor.empty(shape, 'u32', 'randomBits');
  launchDraw('draw_bits', out, options.generator ?? defaultGenerator, {});
  return out;
}

function drawUniform(op: string, shape: readonly number[], low: number, high: number, options: RandomOptions): Tensor {
  checkFinite(op, 'low', low);
  checkFinite(op, 'high', high);
  if (!(low < high)) throw new Error(`${op}: low must be less than high, got low ${low} and high ${high}`);
  const out = floatOutput(op, shape, options);
  launchDraw('draw_uniform', out, options.generator ?? defaultGenerator, { scale: high - low, shift: low, upper: high });
  return finishLeaf(out, options);
}

function drawNormal(op: string, shape: readonly number[], mean: number, std: number, options: RandomOptions): Tensor {
  checkFinite(op, 'mean', mean);
  checkFinite(op, 'std', std);
  if (std < 0) throw new Error(`${op}: std must be >= 0, got ${std}`);
  const out = floatOutput(op, shape, options);
  launchDraw('draw_normal', out, options.generator ?? defaultGenerator, { scale: std, shift: mean });
  return finishLeaf(out, options);
}

/**
 * Uniform in [low, high): low + (high - low) u with u = k / 2^24 for a random 24-bit k. A value that
 * rounds up to `high` becomes `low` (as in PyTorch).
 */
export function uniform(shape: readonly number[], low = 0, high = 1, options: RandomOptions = {}): Tensor {
  return drawUniform('uniform', shape, low, high, options);
}

/** Uniform in [0, 1): 24 random mantissa bits, never exactly 1. */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return drawUniform('rand', shape, 0, 1, options);
}

/** Normal with the given mean and standard deviation (Box-Muller; |z| <= 5.77 standard deviations). */
export function normal(shape: readonly number[], mean = 0, std = 1, options: RandomOptions = {}): Tensor {
  return drawNormal('normal', shape, mean, std, options);
}

/** Standard normal. */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return drawNormal('randn', shape, 0, 1, options);
}

/** Uniform in [0, 1) with `t`'s shape (f32). */
export function randLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return rand(t.shape, options);
}

/** Standard normal with `t`'s shape (f32). */
export function randnLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return randn(t.shape, options);
}

/**
 * 1 with probability probs[i], else 0 (f32, same shape). Probabilities at or below 0 always give 0,
 * at or above 1 always 1. No gradient.
 */
export function bernoulli(probs: Tensor, options: SampleOptions = {}): Tensor {
  probs.assertAlive('bernoulli');
  assertDtype('bernoulli', probs, ['f32']);
  const out = Tensor.empty(probs.shape, 'f32');
  launchDraw('draw_bernoulli', out, options.generator ?? defaultGenerator, { value: 1 }, probs);
  return out;
}

/**
 * The inverted-dropout mask: each element is 1 / (1 - p) with probability 1 - p, else 0, so that
 * x * mask keeps the expected value of x. p = 1 gives all zeros.
 */
export function dropoutMask(shape: readonly number[], p: number, options: SampleOptions = {}): Tensor {
  checkShape('dropoutMask', shape);
  if (!(p >= 0 && p <= 1)) throw new Error(`dropoutMask: p must be in [0, 1], got ${p}`);
  const out = Tensor.empty(shape, 'f32', 'dropoutMask');
  launchDraw('draw_bernoulli_scalar', out, options.generator ?? defaultGenerator, { prob: 1 - p, value: p === 1 ? 0 : 1 / (1 - p) });
  return out;
}

/**
 * Integers uniform in [low, high) (high exclusive, as PyTorch), by floor(word * (high - low) / 2^32):
 * the bias is at most (high - low) / 2^32 relative.
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandintOptions = {}): Tensor {
  checkShape('randint', shape);
  const dtype = options.dtype ?? 'i32';
  checkDtype('randint', dtype);
  const [min, max] = dtype === 'u32' ? [0, TWO_32] : [-(2 ** 31), 2 ** 31];
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < min || high > max) {
    throw new Error(`randint: low and high must be integers in [${min}, ${max}] for dtype ${dtype}, got low ${low} and high ${high}`);
  }
  if (low >= high) throw new Error(`randint: low must be less than high, got low ${low} and high ${high}`);
  const out = Tensor.empty(shape, dtype, 'randint');
  // span 2^32 does not fit in a u32; the kernel reads 0 as 2^32.
  launchDraw('draw_randint', out, options.generator ?? defaultGenerator, { low, span: (high - low) % TWO_32 });
  return out;
}

function checkCategoryRows(op: string, input: Tensor, samples: number): void {
  input.assertAlive(op);
  assertDtype(op, input, ['f32']);
  if (input.rank < 1 || input.shape[input.rank - 1] < 1) {
    throw opError(op, `expected a tensor of shape [..., K] with K >= 1 categories in the last dimension`, [input]);
  }
  if (!Number.isInteger(samples) || samples < 1) throw opError(op, `numSamples must be an integer >= 1, got ${samples}`, [input]);
}

function drawCategories(op: string, input: Tensor, outShape: readonly number[], samples: number, fromLogits: boolean, options: SampleOptions): Tensor {
  const out = Tensor.empty(outShape, 'i32', op);
  const categories = input.shape[input.rank - 1];
  // Rows are checked as they are drawn; a bad one makes the next read throw (no sync here).
  const rows = fromLogits ? 'logits' : 'probs';
  const invalid = runtime().deferredCheck(
    opError(op, `row {value} of ${rows} holds ${fromLogits ? 'NaN or +Infinity' : 'NaN, Infinity or a negative weight'}`, [input]).message,
  );
  const empty = runtime().deferredCheck(
    opError(op, fromLogits ? `row {value} of logits is all -Infinity: there is nothing to draw` : `row {value} of probs has no positive weight to draw (or its weights sum past the f32 range)`, [input]).message,
  );
  launchDraw('draw_multinomial', out, options.generator ?? defaultGenerator, { categories, samples, fromLogits: fromLogits ? 1 : 0 }, input, {
    invalid: invalid.site,
    empty: empty.site,
    flag: invalid.flag,
  });
  return out;
}

/**
 * Category indices drawn from each row of `probs` [..., K] (non-negative finite weights, at least one
 * positive; they need not sum to 1), `numSamples` per row, with replacement (PyTorch's
 * replacement=True): i32 [..., numSamples]. Zero-weight categories are never drawn. A row holding
 * NaN, Infinity or a negative weight, or no positive weight, makes the next read of any tensor throw
 * an error naming the row (the GPU checks the rows as it draws: no sync).
 */
export function multinomial(probs: Tensor, numSamples = 1, options: SampleOptions = {}): Tensor {
  checkCategoryRows('multinomial', probs, numSamples);
  return drawCategories('multinomial', probs, [...probs.shape.slice(0, -1), numSamples], numSamples, false, options);
}

/**
 * Category indices drawn from softmax(logits) over the last dimension without forming the softmax:
 * i32 [...] (one per row), or [..., numSamples] when numSamples is given. -Infinity logits are never
 * drawn. A row holding NaN or +Infinity, or all -Infinity, makes the next read of any tensor throw an
 * error naming the row (checked on the GPU as it draws).
 */
export function categorical(logits: Tensor, options: CategoricalOptions = {}): Tensor {
  const samples = options.numSamples ?? 1;
  checkCategoryRows('categorical', logits, samples);
  const batch = logits.shape.slice(0, -1);
  return drawCategories('categorical', logits, options.numSamples === undefined ? batch : [...batch, samples], samples, true, options);
}

// ---- reparameterized Gaussian samples ------------------------------------------------------------

/** Standard normal noise of `shape`: the caller's (checked) or a fresh draw. */
function noiseFor(op: string, shape: readonly number[], inputs: Tensor[], options: ReparameterizeOptions): Tensor {
  const { eps } = options;
  if (!eps) return randn(shape, { generator: options.generator });
  eps.assertAlive(op);
  assertDtype(op, eps, ['f32']);
  if (!sameShape(eps.shape, shape)) {
    throw opError(op, `eps has shape ${formatShape(eps.shape)}, expected the sample shape ${formatShape(shape)}`, [...inputs, eps]);
  }
  return eps;
}

/** When no graph was recorded, the intermediates are freed at once rather than left to the scope. */
function freeIfUnrecorded(result: Tensor, intermediates: Tensor[]): Tensor {
  if (!result.requiresGrad) for (const t of intermediates) t.dispose();
  return result;
}

/**
 * z = mu + exp(0.5 logVar) eps with eps ~ N(0, 1) drawn on the GPU (or options.eps): the VAE's
 * reparameterization trick. Written with tensor ops and eps held constant, so the gradients are
 * exact: dz/dmu = 1, dz/dlogVar = 0.5 exp(0.5 logVar) eps. mu and logVar broadcast together.
 */
export function reparameterize(mu: Tensor, logVar: Tensor, options: ReparameterizeOptions = {}): Tensor {
  for (const t of [mu, logVar]) {
    t.assertAlive('reparameterize');
    assertDtype('reparameterize', t, ['f32']);
  }
  const shape = broadcastShapes('reparameterize', mu.shape, logVar.shape);
  const eps = noiseFor('reparameterize', shape, [mu, logVar], options);
  const halfLogVar = mulScalar(logVar, 0.5);
  const sigma = exp(halfLogVar);
  const noise = mul(sigma, eps);
  const z = add(mu, noise);
  return freeIfUnrecorded(z, [halfLogVar, sigma, noise, ...(eps === options.eps ? [] : [eps])]);
}

/**
 * z = mu + sigma eps with eps ~ N(0, 1): a normal sample that gradients flow through to mu and
 * sigma (a tensor, broadcast with mu, or a number >= 0).
 */
export function sampleNormal(mu: Tensor, sigma: Tensor | number, options: ReparameterizeOptions = {}): Tensor {
  mu.assertAlive('sampleNormal');
  assertDtype('sampleNormal', mu, ['f32']);
  if (typeof sigma === 'number') {
    if (!(sigma >= 0) || !Number.isFinite(sigma)) throw opError('sampleNormal', `sigma must be a finite number >= 0, got ${sigma}`, [mu]);
  } else {
    sigma.assertAlive('sampleNormal');
    assertDtype('sampleNormal', sigma, ['f32']);
  }
  const inputs = typeof sigma === 'number' ? [mu] : [mu, sigma];
  const shape = typeof sigma === 'number' ? mu.shape : broadcastShapes('sampleNormal', mu.shape, sigma.shape);
  const eps = noiseFor('sampleNormal', shape, inputs, options);
  const noise = typeof sigma === 'number' ? mulScalar(eps, sigma) : mul(sigma, eps);
  const z = add(mu, noise);
  return freeIfUnrecorded(z, [noise, ...(eps === options.eps ? [] : [eps])]);
}

// ---- Tensor methods ------------------------------------------------------------------------------

declare module '../tensor.js' {
  interface Tensor {
    /** 1 with probability given by each element, else 0. */
    bernoulli(options?: SampleOptions): Tensor;
    /** Category indices drawn from the rows of this [..., K] tensor of weights. */
    multinomial(numSamples?: number, options?: SampleOptions): Tensor;
  }
}

defineMethods({ bernoulli, multinomial });
