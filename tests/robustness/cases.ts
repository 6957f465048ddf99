// The bad-input case table: every public op family, module, loss, optimizer, loader and model given
// wrong shapes, dtypes, axes, indices, options, NaN / Inf, empty tensors and tensors too large for
// the device. Each case either must fail with a clear error (an Error whose message names the op,
// and the shapes or dtype where they matter) or must work (then it checks its output, e.g. NaN in,
// NaN out as in PyTorch). tests/robustness/run.ts runs a case and judges it (clear error, no GPU
// buffer leaked, the runtime still works afterwards); tests/robustness/bad-input.test.ts runs the
// table in CI and bench/robustness/bad-input.ts prints a summary.
//
// A case makes every tensor, module and optimizer through `ctx.own(...)`, so that the runner can
// dispose exactly what the case made and count any buffer left over as a leak of the library. Checks
// the GPU reports at the next read (indices, sampling weights, the NaN watch) surface at the case's
// own read: such a case reads its result with `ctx.read`.

import * as gg from '../../src/index.js';
import { cachedSelfAttention, packedSelfAttention, scaledDotProductAttention } from '../../src/ops/attention.js';

export const CATEGORIES = [
  'creation', 'random', 'elementwise', 'reduction', 'softmax', 'matmul', 'movement', 'indexing', 'conv', 'pool', 'attention',
  'nn', 'loss', 'optim', 'io', 'data', 'model',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** What is wrong with the input (or, for cases that must work, what is unusual about it). */
export type Kind = 'shape' | 'dtype' | 'axis' | 'index' | 'value' | 'empty' | 'huge' | 'nan' | 'disposed';

/** What a case can ask of the runner. */
export interface CaseContext {
  /** Registers what the case made (a tensor, a list of them, a module, an optimizer: anything with dispose()) for disposal after it; returns it. */
  own<T>(made: T): T;
  /** Reads a tensor the case made: the case's own read, where checks deferred to the next read report. */
  read(t: gg.Tensor): Promise<gg.TypedArray>;
  /** Reads `t` and throws a WrongOutput unless it has `shape` and `values` (NaN matches NaN, infinities match exactly). */
  expectValues(t: gg.Tensor, shape: readonly number[], values: readonly number[], tolerance?: number): Promise<void>;
}

export interface BadInputCase {
  category: Category;
  kind: Kind;
  /** Unique, e.g. "matmul: inner dimensions [2, 3] x [4, 5]". */
  name: string;
  /** 'error': must throw (synchronously, or at the case's own read); 'works': must not throw, and checks its output. */
  expect: 'error' | 'works';
  /** For 'error': names any one of which the message must contain as a word (the op, or the layer / method). */
  ops: readonly string[];
  /** For 'error': text the message must also contain (the shapes, the dtype, the bad value). */
  mentions: readonly string[];
  run(ctx: CaseContext): unknown;
}

/** A shape whose element count (2^34) is far beyond any device's largest storage buffer. */
export const HUGE = [2 ** 16, 2 ** 16, 4] as const;

const cases: BadInputCase[] = [];
let category: Category = 'creation';

/** A case that must fail with an error naming one of `ops` (and mentioning each of `mentions`). */
function bad(kind: Kind, name: string, ops: string | readonly string[], run: (ctx: CaseContext) => unknown, mentions: readonly string[] = []): void {
  cases.push({ category, kind, name, expect: 'error', ops: typeof ops === 'string' ? [ops] : ops, mentions, run });
}
/** A case that must work: `run` checks its own output with ctx.expectValues. */
function works(kind: Kind, name: string, run: (ctx: CaseContext) => unknown): void {
  cases.push({ category, kind, name, expect: 'works', ops: [], mentions: [], run });
}

const f32 = (ctx: CaseContext, shape: readonly number[], value = 1) => ctx.own(gg.full(shape, value));
const i32 = (ctx: CaseContext, shape: readonly number[], value = 0) => ctx.own(gg.full(shape, value, { dtype: 'i32' }));
const from = (ctx: CaseContext, data: gg.NestedArray, dtype?: gg.DType) => ctx.own(gg.tensor(data, dtype ? { dtype } : {}));
const ints = (ctx: CaseContext, values: number[]) => ctx.own(gg.tensor(Int32Array.from(values)));
/**
 * `module.forward(x)` as in evaluation, recording no graph, owning the module and the result. (With a
 * graph, a module's intermediates are the caller's scope's to free, as the training cases below do.)
 */
const forward = (ctx: CaseContext, module: { forward(x: gg.Tensor): gg.Tensor; dispose(): void }, x: gg.Tensor) =>
  ctx.own(gg.noGrad(() => ctx.own(module).forward(x)));
const NaN_ = Number.NaN;
const Inf = Infinity;

// ---- creation ------------------------------------------------------------------------------------
category = 'creation';
bad('shape', 'tensor: ragged nested array', 'tensor', (c) => from(c, [[1, 2], [3]] as gg.NestedArray));
bad('shape', 'tensor: typed array does not fill the shape', 'tensor', (c) => c.own(gg.tensor(new Float32Array(5), [2, 3])), ['[2, 3]']);
bad('shape', 'tensor: negative dimension in the shape', 'tensor', (c) => c.own(gg.tensor(new Float32Array(2), [-1, -2])), ['-1']);
bad('dtype', "tensor: unknown dtype 'float64'", 'tensor', (c) => c.own(gg.tensor([1, 2], { dtype: 'float64' as gg.DType })), ["'float64'"]);
bad('dtype', 'tensor: i32 from 1.5', 'tensor', (c) => from(c, [1.5, 2], 'i32'), ['1.5', 'i32']);
bad('nan', 'tensor: i32 from NaN', 'tensor', (c) => from(c, [NaN_], 'i32'), ['NaN', 'i32']);
bad('dtype', 'tensor: u32 from -1', 'tensor', (c) => from(c, [-1], 'u32'), ['-1', 'u32']);
works('nan', 'tensor: f32 keeps NaN and Inf', (c) => c.expectValues(from(c, [NaN_, Inf, -Inf]), [3], [NaN_, Inf, -Inf]));
works('empty', 'tensor: empty list is shape [0]', (c) => c.expectValues(from(c, []), [0], []));
works('empty', 'tensor: empty typed array of shape [2, 0]', (c) => c.expectValues(c.own(gg.tensor(new Float32Array(0), [2, 0])), [2, 0], []));
for (const [op, make] of [
  ['zeros', (shape: readonly number[]) => gg.zeros(shape)],
  ['ones', (shape: readonly number[]) => gg.ones(shape)],
  ['full', (shape: readonly number[]) => gg.full(shape, 7)],
] as const) {
  bad('shape', `${op}: negative dimension`, op, (c) => c.own(make([2, -3])), ['-3']);
  bad('shape', `${op}: fractional dimension`, op, (c) => c.own(make([2.5])), ['2.5']);
  bad('shape', `${op}: shape is not a list`, op, (c) => c.own(make(3 as unknown as number[])));
  bad('huge', `${op}: [2^16, 2^16, 4]`, op, (c) => c.own(make(HUGE)), ['[65536, 65536, 4]']);
  works('empty', `${op}: shape [0, 3]`, (c) => c.expectValues(c.own(make([0, 3])), [0, 3], []));
}
bad('dtype', "zeros: unknown dtype 'f64'", 'zeros', (c) => c.own(gg.zeros([2], { dtype: 'f64' as gg.DType })), ["'f64'"]);
bad('dtype', "ones: unknown dtype 'bool'", 'ones', (c) => c.own(gg.ones([2], { dtype: 'bool' as gg.DType })), ["'bool'"]);
works('nan', 'full: NaN fill', (c) => c.expectValues(c.own(gg.full([2], NaN_)), [2], [NaN_, NaN_]));
works('nan', 'full: -Inf fill', (c) => c.expectValues(c.own(gg.full([2], -Inf)), [2], [-Inf, -Inf]));
bad('value', 'arange: step 0', 'arange', (c) => c.own(gg.arange(0, 5, 0)), ['step']);
bad('nan', 'arange: NaN end', 'arange', (c) => c.own(gg.arange(0, NaN_)), ['NaN']);
bad('nan', 'arange: infinite end', 'arange', (c) => c.own(gg.arange(0, Inf)), ['Infinity']);
bad('huge', 'arange: 2^31 values', 'arange', (c) => c.own(gg.arange(0, 2 ** 31)), ['2147483648']);
bad('dtype', "arange: unknown dtype 'i64'", 'arange', (c) => c.own(gg.arange(0, 3, 1, { dtype: 'i64' as gg.DType })), ["'i64'"]);
works('empty', 'arange: end before start is empty', (c) => c.expectValues(c.own(gg.arange(5, 0)), [0], []));
bad('value', 'linspace: steps -1', 'linspace', (c) => c.own(gg.linspace(0, 1, -1)), ['-1']);
bad('value', 'linspace: steps 2.5', 'linspace', (c) => c.own(gg.linspace(0, 1, 2.5)), ['2.5']);
bad('huge', 'linspace: 2^30 steps', 'linspace', (c) => c.own(gg.linspace(0, 1, 2 ** 30)), ['1073741824']);
works('empty', 'linspace: 0 steps', (c) => c.expectValues(c.own(gg.linspace(0, 1, 0)), [0], []));
works('nan', 'linspace: NaN start gives NaN', (c) => c.expectValues(c.own(gg.linspace(NaN_, 1, 3)), [3], [NaN_, NaN_, NaN_]));
bad('dtype', "cast: to unknown dtype 'float32' (hints f32)", 'cast', (c) => c.own(f32(c, [2]).to('float32' as gg.DType)), ["'f32'"]);
works('nan', 'cast: f32 NaN and Inf survive a round trip through f32', (c) => c.expectValues(c.own(from(c, [NaN_, -Inf]).to('f32')), [2], [NaN_, -Inf]));
works('empty', 'cast: empty i32 to f32', (c) => c.expectValues(c.own(i32(c, [0]).to('f32')), [0], []));

// ---- random --------------------------------------------------------------------------------------
category = 'random';
bad('huge', 'rand: [2^16, 2^16, 4]', 'rand', (c) => c.own(gg.rand(HUGE)), ['[65536, 65536, 4]']);
bad('huge', 'randn: [2^16, 2^16, 4]', 'randn', (c) => c.own(gg.randn(HUGE)), ['[65536, 65536, 4]']);
bad('huge', 'randint: [2^16, 2^16, 4]', 'randint', (c) => c.own(gg.randint(0, 5, HUGE)), ['[65536, 65536, 4]']);
bad('huge', 'normal: [2^16, 2^16, 4]', 'normal', (c) => c.own(gg.normal(HUGE, 0, 1)), ['[65536, 65536, 4]']);
bad('shape', 'rand: negative dimension', 'rand', (c) => c.own(gg.rand([-2])), ['-2']);
bad('shape', 'randn: shape is not a list', 'randn', (c) => c.own(gg.randn(4 as unknown as number[])));
bad('dtype', 'rand: dtype i32', 'rand', (c) => c.own(gg.rand([2], { dtype: 'i32' })), ['i32']);
bad('dtype', "randn: unknown dtype 'half'", 'randn', (c) => c.own(gg.randn([2], { dtype: 'half' as gg.DType })), ["'half'"]);
bad('value', 'normal: negative std', 'normal', (c) => c.own(gg.normal([2], 0, -1)), ['-1']);
bad('nan', 'normal: NaN mean', 'normal', (c) => c.own(gg.normal([2], NaN_, 1)), ['NaN']);
bad('value', 'uniform: low above high', 'uniform', (c) => c.own(gg.uniform([2], 1, 0)));
bad('nan', 'uniform: infinite high', 'uniform', (c) => c.own(gg.uniform([2], 0, Inf)), ['Infinity']);
bad('value', 'randint: low equal to high', 'randint', (c) => c.own(gg.randint(3, 3, [2])), ['3']);
bad('value', 'randint: fractional bound', 'randint', (c) => c.own(gg.randint(0, 2.5, [2])), ['2.5']);
bad('dtype', "randint: unknown dtype 'i8'", 'randint', (c) => c.own(gg.randint(0, 3, [2], { dtype: 'i8' as gg.DType })), ["'i8'"]);
works('empty', 'randn: shape [0]', (c) => c.expectValues(c.own(gg.randn([0])), [0], []));
works('empty', 'randint: shape [3, 0]', (c) => c.expectValues(c.own(gg.randint(0, 4, [3, 0])), [3, 0], []));
bad('dtype', 'bernoulli: i32 probabilities', 'bernoulli', (c) => c.own(gg.bernoulli(i32(c, [3]))), ['i32']);
bad('value', 'dropoutMask: p 1.5', 'dropoutMask', (c) => c.own(gg.dropoutMask([3], 1.5)), ['1.5']);
bad('nan', 'multinomial: a NaN weight', 'multinomial', async (c) => c.read(c.own(gg.multinomial(from(c, [[0.5, NaN_, 0.5]]), 1))), ['NaN']);
bad('value', 'multinomial: a negative weight', 'multinomial', async (c) => c.read(c.own(gg.multinomial(from(c, [[0.5, -1, 0.5]]), 1))));
bad('value', 'multinomial: a row of zeros', 'multinomial', async (c) => c.read(c.own(gg.multinomial(from(c, [[0, 0, 0]]), 1))));
bad('value', 'multinomial: numSamples 0', 'multinomial', (c) => c.own(gg.multinomial(from(c, [[0.5, 0.5]]), 0)), ['0']);
bad('dtype', 'multinomial: i32 weights', 'multinomial', (c) => c.own(gg.multinomial(i32(c, [2, 3], 1), 1)), ['i32']);
bad('shape', 'multinomial: rank-0 weights', 'multinomial', (c) => c.own(gg.multinomial(f32(c, []), 1)), ['[]']);
bad('nan', 'categorical: a row of logits with +Inf', 'categorical', async (c) => c.read(c.own(gg.categorical(from(c, [[0, Inf, 1]])))));
bad('nan', 'categorical: a row of -Inf logits', 'categorical', async (c) => c.read(c.own(gg.categorical(from(c, [[-Inf, -Inf]])))));
bad('shape', 'reparameterize: mu and logVar shapes differ', 'reparameterize', (c) => c.own(gg.reparameterize(f32(c, [2, 3]), f32(c, [3, 2]))), ['[2, 3]', '[3, 2]']);
bad('shape', 'reparameterize: eps of the wrong shape', 'reparameterize', (c) => c.own(gg.reparameterize(f32(c, [2]), f32(c, [2]), { eps: f32(c, [3]) })), ['[3]']);
bad('value', 'sampleNormal: negative sigma', 'sampleNormal', (c) => c.own(gg.sampleNormal(f32(c, [2]), -1)), ['-1']);

// ---- elementwise ---------------------------------------------------------------------------------
category = 'elementwise';
for (const op of ['exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'silu', 'relu', 'abs', 'neg', 'sin', 'erf'] as const) {
  bad('dtype', `${op}: i32 input`, op, (c) => c.own(i32(c, [2, 2])[op]()), ['i32']);
}
bad('dtype', 'gelu: u32 input', 'gelu', (c) => c.own(c.own(gg.tensor(Uint32Array.from([1, 2]))).gelu()), ['u32']);
bad('dtype', 'clamp: i32 input', 'clamp', (c) => c.own(i32(c, [2]).clamp(0, 1)), ['i32']);
bad('dtype', 'leakyRelu: i32 input', 'leakyRelu', (c) => c.own(i32(c, [2]).leakyRelu()), ['i32']);
bad('value', 'softplus: beta 0', 'softplus', (c) => c.own(f32(c, [2]).softplus({ beta: 0 })), ['beta']);
bad('nan', 'softplus: NaN threshold', 'softplus', (c) => c.own(f32(c, [2]).softplus({ threshold: NaN_ })), ['NaN']);
bad('value', "gelu: approximate 'fast'", 'gelu', (c) => c.own(f32(c, [2]).gelu('fast' as gg.GeluApproximation)), ["'fast'"]);
const special = [NaN_, Inf, -Inf];
for (const [op, expected] of [
  ['exp', [NaN_, Inf, 0]], ['log', [NaN_, Inf, NaN_]], ['sqrt', [NaN_, Inf, NaN_]], ['relu', [NaN_, Inf, 0]], ['tanh', [NaN_, 1, -1]],
  ['sigmoid', [NaN_, 1, 0]], ['silu', [NaN_, Inf, NaN_]], ['abs', [NaN_, Inf, Inf]], ['neg', [NaN_, -Inf, Inf]], ['softplus', [NaN_, Inf, 0]], ['erf', [NaN_, 1, -1]],
  ['square', [NaN_, Inf, Inf]], ['reciprocal', [NaN_, 0, -0]],
] as const) {
  works('nan', `${op}: NaN, Inf, -Inf in`, (c) => c.expectValues(c.own(from(c, special)[op]()), [3], expected));
}
works('nan', 'clamp: NaN stays NaN', (c) => c.expectValues(c.own(from(c, [NaN_, 5, -5]).clamp(-1, 1)), [3], [NaN_, 1, -1]));
works('nan', 'log: 0 gives -Inf', (c) => c.expectValues(c.own(from(c, [0]).log()), [1], [-Inf]));
for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'eq', 'lt'] as const) {
  bad('shape', `${op}: shapes [2, 3] and [4]`, op, (c) => c.own(f32(c, [2, 3])[op](f32(c, [4]))), ['[2, 3]', '[4]']);
}
for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'ge'] as const) {
  bad('dtype', `${op}: f32 and i32`, op, (c) => c.own(f32(c, [2])[op](i32(c, [2]))), ['f32', 'i32']);
}
bad('dtype', 'pow: i32 base', 'pow', (c) => c.own(i32(c, [2]).pow(i32(c, [2]))), ['i32']);
bad('shape', 'add: broadcast rank 9', 'add', (c) => c.own(f32(c, [1, 1, 1, 1, 1, 1, 1, 1, 2]).add(f32(c, [2]))), ['9']);
bad('shape', 'mul: empty [0] against [2]', 'mul', (c) => c.own(f32(c, [0]).mul(f32(c, [2]))), ['[0]', '[2]']);
bad('value', 'div: i32 by the number 0', 'div', (c) => c.own(i32(c, [2], 4).div(0)), ['i32']);
bad('huge', 'add: [2^16, 1] + [1, 2^16] broadcast to 2^32 elements', 'add', (c) => c.own(f32(c, [2 ** 16, 1]).add(f32(c, [1, 2 ** 16]))), ['[65536, 65536]']);
bad('huge', 'where: broadcast to 2^32 elements', 'where', (c) => c.own(gg.where(f32(c, [2 ** 16, 1]), f32(c, [1, 2 ** 16]), 0)), ['[65536, 65536]']);
bad('dtype', 'where: i32 condition', 'where', (c) => c.own(gg.where(i32(c, [2], 1), 1, 2)), ['i32']);
bad('dtype', 'where: f32 and i32 branches', 'where', (c) => c.own(gg.where(f32(c, [2]), f32(c, [2]), i32(c, [2]))), ['f32', 'i32']);
bad('shape', 'where: condition [3] and branches [2]', 'where', (c) => c.own(gg.where(f32(c, [3]), f32(c, [2]), f32(c, [2]))), ['[3]', '[2]']);
works('value', 'add: i32 tensor plus a number', (c) => c.expectValues(c.own(ints(c, [1, 2]).add(1)), [2], [2, 3]));
works('value', 'mul: i32 tensor times a number', (c) => c.expectValues(c.own(ints(c, [1, 2]).mul(3)), [2], [3, 6]));
works('value', 'lt: i32 tensor against a number', (c) => c.expectValues(c.own(ints(c, [1, 2]).lt(2)), [2], [1, 0]));
works('value', 'maximum: i32 tensor and a number', (c) => c.expectValues(c.own(ints(c, [1, 5]).maximum(3)), [2], [3, 5]));
works('value', 'where: number branches', (c) => c.expectValues(c.own(gg.where(from(c, [1, 0]), 1, 2)), [2], [1, 2]));
works('nan', 'add: NaN and Inf operands', (c) => c.expectValues(c.own(from(c, [NaN_, Inf, Inf]).add(from(c, [1, 1, -Inf]))), [3], [NaN_, Inf, NaN_]));
works('nan', 'mul: 0 * Inf is NaN', (c) => c.expectValues(c.own(from(c, [0, Inf]).mul(from(c, [Inf, 2]))), [2], [NaN_, Inf]));
works('nan', 'div: by zero gives Inf and NaN', (c) => c.expectValues(c.own(from(c, [1, 0, -1]).div(from(c, [0, 0, 0]))), [3], [Inf, NaN_, -Inf]));
works('nan', 'maximum: NaN wins', (c) => c.expectValues(c.own(from(c, [NaN_, 1]).maximum(from(c, [1, NaN_]))), [2], [NaN_, NaN_]));
works('nan', 'minimum: NaN wins', (c) => c.expectValues(c.own(from(c, [NaN_, 1]).minimum(from(c, [1, NaN_]))), [2], [NaN_, NaN_]));
works('nan', 'pow: NaN^0 = 1, 2^Inf = Inf', (c) => c.expectValues(c.own(from(c, [NaN_, 2]).pow(from(c, [0, Inf]))), [2], [1, Inf]));
works('nan', 'eq: NaN == NaN is false', (c) => c.expectValues(c.own(from(c, [NaN_]).eq(from(c, [NaN_]))), [1], [0]));
works('nan', 'where: picks NaN and Inf through', (c) => c.expectValues(c.own(gg.where(from(c, [1, 0]), from(c, [NaN_, 1]), from(c, [2, Inf]))), [2], [NaN_, Inf]));
works('empty', 'add: [0, 3] + [3]', (c) => c.expectValues(c.own(f32(c, [0, 3]).add(f32(c, [3]))), [0, 3], []));
works('empty', 'exp: empty tensor', (c) => c.expectValues(c.own(f32(c, [2, 0]).exp()), [2, 0], []));
works('empty', 'where: empty condition', (c) => c.expectValues(c.own(gg.where(f32(c, [0]), 1, 2)), [0], []));
bad('disposed', 'add: a disposed operand', 'add', (c) => {
  const x = f32(c, [2]);
  x.dispose();
  return c.own(f32(c, [2]).add(x));
}, ['dispose']);
bad('disposed', 'exp: a disposed input', 'exp', (c) => {
  const x = f32(c, [2]);
  x.dispose();
  return c.own(x.exp());
}, ['dispose']);

bad('disposed', 'mul: a disposed tensor times a number', 'mul', (c) => {
  const x = f32(c, [2]);
  x.dispose();
  return c.own(x.mul(2));
}, ['dispose']);
bad('dtype', 'pow: an i32 tensor to a number power', 'pow', (c) => c.own(i32(c, [2]).pow(2)), ['i32']);
bad('shape', 'add: rank-9 operands', 'add', (c) => c.own(f32(c, [1, 1, 1, 1, 1, 1, 1, 1, 2]).add(f32(c, [1, 1, 1, 1, 1, 1, 1, 1, 2]))), ['9']);
works('nan', 'leakyRelu: NaN and -Inf', (c) => c.expectValues(c.own(from(c, [NaN_, -Inf]).leakyRelu(0.1)), [2], [NaN_, -Inf]));
works('nan', 'gelu: NaN and +Inf', (c) => c.expectValues(c.own(from(c, [NaN_, Inf]).gelu()), [2], [NaN_, Inf]));
works('nan', 'sign: NaN stays NaN', (c) => c.expectValues(c.own(from(c, [NaN_, -Inf, 0]).sign()), [3], [NaN_, -1, 0]));

// ---- reductions ----------------------------------------------------------------------------------
category = 'reduction';
for (const op of ['sum', 'mean', 'max', 'min', 'logsumexp'] as const) {
  bad('axis', `${op}: axis 2 of a rank-2 tensor`, op, (c) => c.own(f32(c, [2, 3])[op](2)), ['axis 2', '[2, 3]']);
  bad('axis', `${op}: axis -3 of a rank-2 tensor`, op, (c) => c.own(f32(c, [2, 3])[op](-3)), ['-3']);
  bad('axis', `${op}: repeated axes [1, -1]`, op, (c) => c.own(f32(c, [2, 3])[op]([1, -1])), ['[1, -1]']);
  bad('axis', `${op}: fractional axis 0.5`, op, (c) => c.own(f32(c, [2, 3])[op](0.5)), ['0.5']);
}
bad('axis', 'sum: axis given as a string', 'sum', (c) => c.own(f32(c, [2, 3]).sum('1' as unknown as number)), ['1']);
bad('axis', 'mean: NaN axis', 'mean', (c) => c.own(f32(c, [2, 3]).mean(NaN_)), ['NaN']);
works('shape', 'sum: over an axis of a rank-9 tensor', (c) => c.expectValues(c.own(f32(c, [1, 1, 1, 1, 1, 1, 1, 2, 2]).sum(-1)), [1, 1, 1, 1, 1, 1, 1, 2], [2, 2]));
bad('huge', 'sum: keeping a 2^33-long axis of an empty tensor', 'sum', (c) => c.own(f32(c, [2 ** 33, 0]).sum(1)), ['[8589934592]']);
bad('dtype', 'logsumexp: i32 input', 'logsumexp', (c) => c.own(i32(c, [3]).logsumexp()), ['i32']);
bad('axis', 'var: axis 3', 'var', (c) => c.own(gg.variance(f32(c, [2, 3]), 3)), ['3']);
bad('nan', 'std: NaN correction', 'std', (c) => c.own(gg.std(f32(c, [2, 3]), 0, { correction: NaN_ })), ['NaN']);
bad('dtype', 'var: i32 input', 'var', (c) => c.own(gg.variance(i32(c, [3]))), ['i32']);
bad('axis', 'argmax: axis 2', 'argmax', (c) => c.own(f32(c, [2, 3]).argmax(2)), ['2']);
bad('axis', 'argmin: a list of axes', 'argmin', (c) => c.own(f32(c, [2, 3]).argmin([0, 1] as unknown as number)));
bad('empty', 'max: of an empty tensor', 'max', (c) => c.own(f32(c, [0]).max()), ['[0]']);
bad('empty', 'min: over an empty axis', 'min', (c) => c.own(f32(c, [2, 0]).min(1)), ['[2, 0]']);
bad('empty', 'argmax: of an empty tensor', 'argmax', (c) => c.own(f32(c, [0, 3]).argmax()), ['[0, 3]']);
works('empty', 'sum: of an empty tensor is 0', (c) => c.expectValues(c.own(f32(c, [0, 3]).sum()), [], [0]));
works('empty', 'sum: over an empty axis gives zeros', (c) => c.expectValues(c.own(f32(c, [2, 0]).sum(1)), [2], [0, 0]));
works('empty', 'mean: of an empty tensor is NaN', (c) => c.expectValues(c.own(f32(c, [0]).mean()), [], [NaN_]));
works('empty', 'logsumexp: of an empty axis is -Inf', (c) => c.expectValues(c.own(f32(c, [2, 0]).logsumexp(1)), [2], [-Inf, -Inf]));
works('empty', 'var: of one value (correction 1) is NaN', (c) => c.expectValues(c.own(gg.variance(f32(c, [1]))), [], [NaN_]));
works('nan', 'sum: NaN propagates', (c) => c.expectValues(c.own(from(c, [1, NaN_, 2]).sum()), [], [NaN_]));
works('nan', 'sum: Inf and -Inf give NaN', (c) => c.expectValues(c.own(from(c, [Inf, -Inf]).sum()), [], [NaN_]));
works('nan', 'max: NaN propagates', (c) => c.expectValues(c.own(from(c, [1, NaN_, 3]).max()), [], [NaN_]));
works('nan', 'min: over rows with NaN and -Inf', (c) => c.expectValues(c.own(from(c, [[1, NaN_], [-Inf, 2]]).min(1)), [2], [NaN_, -Inf]));
works('nan', 'argmax: the first NaN wins', (c) => c.expectValues(c.own(from(c, [1, NaN_, 3]).argmax()), [], [1]));
works('nan', 'logsumexp: +Inf gives +Inf', (c) => c.expectValues(c.own(from(c, [Inf, 1]).logsumexp()), [], [Inf]));
works('nan', 'logsumexp: all -Inf gives -Inf', (c) => c.expectValues(c.own(from(c, [-Inf, -Inf]).logsumexp()), [], [-Inf]));
works('nan', 'mean: NaN propagates', (c) => c.expectValues(c.own(from(c, [[1, NaN_], [2, 4]]).mean(1)), [2], [NaN_, 3]));
bad('axis', 'sort: dim 2 of a rank-2 tensor', 'sort', (c) => c.own(f32(c, [2, 3]).sort(2)), ['axis 2', '[2, 3]']);
bad('axis', 'argsort: dim given as a string', 'argsort', (c) => c.own(f32(c, [2, 3]).argsort('1' as unknown as number)), ['[2, 3] f32']);
bad('value', "sort: descending given as 'yes'", 'sort', (c) => c.own(f32(c, [3]).sort(0, { descending: 'yes' as unknown as boolean })), ['descending', 'yes']);
bad('value', 'topk: k = 4 of a dimension of 3', 'topk', (c) => c.own(f32(c, [2, 3]).topk(4)), ['4', '[2, 3]']);
bad('value', 'topk: fractional k', 'topk', (c) => c.own(f32(c, [5]).topk(2.5)), ['2.5']);
bad('disposed', 'sort: a disposed tensor', 'sort', (c) => {
  const x = f32(c, [3]);
  x.dispose();
  return c.own(x.sort());
}, ['dispose']);
works('nan', 'sort: NaN after +Inf, -Inf first', (c) => c.expectValues(c.own(from(c, [NaN_, 1, -Inf, Inf]).sort()).values, [4], [-Inf, 1, Inf, NaN_]));
works('nan', 'sort: descending puts NaN first', (c) => c.expectValues(c.own(from(c, [1, NaN_, Inf]).sort(0, { descending: true })).indices, [3], [1, 2, 0]));
works('nan', 'topk: NaN is the largest', (c) => c.expectValues(c.own(from(c, [3, NaN_, 5]).topk(2)).values, [2], [NaN_, 5]));
works('empty', 'sort: along an empty dimension', (c) => c.expectValues(c.own(f32(c, [2, 0]).sort(1)).indices, [2, 0], []));
works('empty', 'argsort: of a 0-d tensor is 0', (c) => c.expectValues(c.own(f32(c, []).argsort()), [], [0]));
works('empty', 'topk: k = 0', (c) => c.expectValues(c.own(f32(c, [2, 3]).topk(0)).values, [2, 0], []));

// ---- softmax -------------------------------------------------------------------------------------
category = 'softmax';
bad('axis', 'softmax: axis 2 of a rank-2 tensor', 'softmax', (c) => c.own(f32(c, [2, 3]).softmax(2)), ['2', '[2, 3]']);
bad('axis', 'logSoftmax: axis -3', 'logSoftmax', (c) => c.own(f32(c, [2, 3]).logSoftmax(-3)), ['-3']);
bad('axis', 'softmax: fractional axis', 'softmax', (c) => c.own(f32(c, [2, 3]).softmax(1.5)), ['1.5']);
bad('dtype', 'softmax: i32 input', 'softmax', (c) => c.own(i32(c, [2, 3]).softmax()), ['i32']);
bad('dtype', 'logSoftmax: u32 input', 'logSoftmax', (c) => c.own(c.own(gg.tensor(Uint32Array.from([1, 2]))).logSoftmax()), ['u32']);
works('empty', 'softmax: no rows', (c) => c.expectValues(c.own(f32(c, [0, 3]).softmax()), [0, 3], []));
works('empty', 'logSoftmax: empty rows', (c) => c.expectValues(c.own(f32(c, [3, 0]).logSoftmax()), [3, 0], []));
works('nan', 'softmax: a NaN makes its row NaN', (c) => c.expectValues(c.own(from(c, [[NaN_, 1, 2], [0, 0, 0]]).softmax()), [2, 3], [NaN_, NaN_, NaN_, 1 / 3, 1 / 3, 1 / 3]));
works('nan', 'softmax: an all -Inf row is NaN', (c) => c.expectValues(c.own(from(c, [-Inf, -Inf]).softmax()), [2], [NaN_, NaN_]));
works('nan', 'softmax: -Inf entries get 0', (c) => c.expectValues(c.own(from(c, [0, -Inf]).softmax()), [2], [1, 0]));
works('nan', 'logSoftmax: -Inf entries stay -Inf', (c) => c.expectValues(c.own(from(c, [0, -Inf]).logSoftmax()), [2], [0, -Inf]));

// ---- matmul --------------------------------------------------------------------------------------
category = 'matmul';
bad('shape', 'matmul: inner dimensions [2, 3] x [4, 5]', 'matmul', (c) => c.own(f32(c, [2, 3]).matmul(f32(c, [4, 5]))), ['[2, 3]', '[4, 5]']);
bad('shape', 'matmul: vectors of lengths 3 and 4', 'matmul', (c) => c.own(f32(c, [3]).matmul(f32(c, [4]))), ['[3]', '[4]']);
bad('shape', 'matmul: batch dimensions 2 and 5 do not broadcast', 'matmul', (c) => c.own(f32(c, [2, 3, 4]).matmul(f32(c, [5, 4, 2]))), ['[2, 3, 4]', '[5, 4, 2]']);
bad('shape', 'matmul: rank-0 operand', 'matmul', (c) => c.own(f32(c, []).matmul(f32(c, [3]))), ['[]']);
bad('shape', 'matmul: transB with the wrong inner size', 'matmul', (c) => c.own(f32(c, [2, 3]).matmul(f32(c, [3, 4]), { transB: true })), ['[2, 3]', '[3, 4]']);
bad('dtype', 'matmul: i32 operand', 'matmul', (c) => c.own(f32(c, [2, 3]).matmul(i32(c, [3, 2]))), ['i32']);
bad('value', "matmul: unknown variant 'fast'", 'matmul', (c) => c.own(f32(c, [2, 3]).matmul(f32(c, [3, 2]), { variant: 'fast' as never })), ["'fast'"]);
bad('huge', 'matmul: [2^16, 1] x [1, 2^16]', 'matmul', (c) => c.own(f32(c, [2 ** 16, 1]).matmul(f32(c, [1, 2 ** 16]))), ['[65536, 65536]']);
works('empty', 'matmul: inner dimension 0 gives zeros', (c) => c.expectValues(c.own(f32(c, [2, 0]).matmul(f32(c, [0, 3]))), [2, 3], [0, 0, 0, 0, 0, 0]));
works('empty', 'matmul: no rows', (c) => c.expectValues(c.own(f32(c, [0, 3]).matmul(f32(c, [3, 2]))), [0, 2], []));
works('nan', 'matmul: NaN propagates', (c) => c.expectValues(c.own(from(c, [[NaN_, 1], [1, 1]]).matmul(from(c, [[1], [1]]))), [2, 1], [NaN_, 2]));
const halves = (c: CaseContext, shape: number[], value = 1) => c.own(gg.halfTensor(new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(value), shape));
bad('shape', 'linearHalf: x [2, 6] and a packed weight of K 4', 'linearHalf', (c) => c.own(gg.linearHalf(f32(c, [2, 6]), halves(c, [3, 4]))), ['[2, 6]', '[3, 2]']);
bad('dtype', 'linearHalf: an f32 weight', 'linearHalf', (c) => c.own(gg.linearHalf(f32(c, [2, 6]), f32(c, [3, 3]))), ['f32']);
bad('shape', 'linearHalf: a bias of the wrong length', 'linearHalf', (c) => c.own(gg.linearHalf(f32(c, [2, 6]), halves(c, [3, 6]), f32(c, [4]))), ['[4]']);
bad('huge', 'linearHalf: a [2^16, 2^16] output', 'linearHalf', (c) => c.own(gg.linearHalf(f32(c, [2 ** 16, 2]), halves(c, [2 ** 16, 2]))), ['[65536, 65536]']);
bad('shape', 'halfTensor: an odd last dimension', 'halfTensor', () => gg.halfTensor([1, 2, 3], [3]), ['[3]']);
bad('dtype', 'unpackHalves: f32 input', 'unpackHalves', (c) => c.own(gg.unpackHalves(f32(c, [4]))), ['f32']);
works('nan', 'linearHalf: NaN propagates', (c) => c.expectValues(c.own(gg.linearHalf(from(c, [[NaN_, 1], [1, 1]]), halves(c, [1, 2]))), [2, 1], [NaN_, 2]));
works('empty', 'linearHalf: K = 0 gives the bias', (c) => c.expectValues(c.own(gg.linearHalf(f32(c, [2, 0]), halves(c, [1, 0]), f32(c, [1], 5))), [2, 1], [5, 5]));
works('nan', 'matmul: Inf * 0 is NaN', (c) => c.expectValues(c.own(from(c, [[Inf, 1]]).matmul(from(c, [[0], [1]]))), [1, 1], [NaN_]));
bad('disposed', 'matmul: a disposed operand', 'matmul', (c) => {
  const b = f32(c, [3, 2]);
  b.dispose();
  return c.own(f32(c, [2, 3]).matmul(b));
}, ['dispose']);
bad('shape', "einsum: 'ij,jk->ik' with sizes 3 and 4 for j", 'einsum', (c) => c.own(gg.einsum('ij,jk->ik', f32(c, [2, 3]), f32(c, [4, 5]))), ["'ij,jk->ik'", '[2, 3]', '[4, 5]']);
bad('shape', "einsum: 'ij' for a rank-3 operand", 'einsum', (c) => c.own(gg.einsum('ij', f32(c, [2, 3, 4]))), ["'ij'", '[2, 3, 4]']);
bad('shape', "einsum: 'ii->i' on a [2, 3] operand", 'einsum', (c) => c.own(gg.einsum('ii->i', f32(c, [2, 3]))), ['[2, 3]']);
bad('value', 'einsum: two terms for one operand', 'einsum', (c) => c.own(gg.einsum('ij,jk', f32(c, [2, 3]))), ["'ij,jk'", '[2, 3]']);
bad('value', 'einsum: output subscript k in no operand', 'einsum', (c) => c.own(gg.einsum('ij->k', f32(c, [2, 3]))), ["'k'"]);
bad('value', 'einsum: a digit as a subscript', 'einsum', (c) => c.own(gg.einsum('i1->', f32(c, [2, 3]))), ["'1'"]);
bad('value', 'einsum: no operands', 'einsum', () => gg.einsum('ij'), ["'ij'"]);
bad('dtype', 'einsum: an i32 operand', 'einsum', (c) => c.own(gg.einsum('i,i->', f32(c, [2]), i32(c, [2]))), ['i32']);
works('nan', 'einsum: NaN off the diagonal stays out of it', (c) => c.expectValues(c.own(gg.einsum('ii->i', from(c, [[1, NaN_], [Inf, 3]]))), [2], [1, 3]));
works('empty', "einsum: 'ij,jk->ik' with j of size 0 gives zeros", (c) => c.expectValues(c.own(gg.einsum('ij,jk->ik', f32(c, [2, 0]), f32(c, [0, 1]))), [2, 1], [0, 0]));

// ---- movement ------------------------------------------------------------------------------------
category = 'movement';
bad('shape', 'reshape: 6 elements into [4, 2]', 'reshape', (c) => c.own(f32(c, [6]).reshape([4, 2])), ['[4, 2]']);
bad('shape', 'reshape: two -1 dimensions', 'reshape', (c) => c.own(f32(c, [6]).reshape([-1, -1])), ['-1']);
bad('shape', 'reshape: -1 cannot be inferred', 'reshape', (c) => c.own(f32(c, [7]).reshape([-1, 2])), ['[-1, 2]']);
bad('shape', 'reshape: fractional dimension', 'reshape', (c) => c.own(f32(c, [6]).reshape([2.5, 2])), ['2.5']);
bad('shape', 'reshape: negative dimension other than -1', 'reshape', (c) => c.own(f32(c, [6]).reshape([-2, -3])), ['-2']);
bad('shape', 'reshape: shape is not numbers', 'reshape', (c) => c.own(f32(c, [6]).reshape('6' as unknown as number[])));
works('shape', 'reshape: sizes one by one, as PyTorch', (c) => c.expectValues(c.own(f32(c, [6]).reshape(3, -1)), [3, 2], [1, 1, 1, 1, 1, 1]));
bad('empty', 'reshape: -1 with 0 elements is ambiguous', 'reshape', (c) => c.own(f32(c, [0]).reshape([-1, 0])), ['[-1, 0]']);
bad('huge', 'reshape: 6 elements into [2^16, 2^16, 4]', 'reshape', (c) => c.own(f32(c, [6]).reshape(HUGE)), ['[65536, 65536, 4]']);
works('empty', 'reshape: [0, 3] to [3, 0]', (c) => c.expectValues(c.own(f32(c, [0, 3]).reshape([3, 0])), [3, 0], []));
bad('shape', 'permute: a rank-9 tensor', 'permute', (c) => c.own(f32(c, [1, 1, 1, 1, 1, 1, 1, 1, 2]).permute([8, 1, 2, 3, 4, 5, 6, 7, 0])), ['9']);
bad('huge', 'expand: [1, 1] to [2^20, 2^20]', 'expand', (c) => c.own(f32(c, [1, 1]).expand([2 ** 20, 2 ** 20])), ['[1048576, 1048576]']);
bad('axis', 'permute: repeated axes [0, 0]', 'permute', (c) => c.own(f32(c, [2, 3]).permute([0, 0])), ['[0, 0]']);
bad('axis', 'permute: too few axes', 'permute', (c) => c.own(f32(c, [2, 3]).permute([1])), ['[1]']);
bad('axis', 'permute: axis 5 of rank 2', 'permute', (c) => c.own(f32(c, [2, 3]).permute([0, 5])), ['5']);
bad('axis', 'permute: axes is not a list', 'permute', (c) => c.own(f32(c, [2, 3]).permute(1 as unknown as number[])));
bad('axis', 'transpose: axis 3 of rank 2', 'transpose', (c) => c.own(f32(c, [2, 3]).transpose(0, 3)), ['3']);
bad('shape', 'expand: [2, 3] to [4, 3]', 'expand', (c) => c.own(f32(c, [2, 3]).expand([4, 3])), ['[4, 3]', '[2, 3]']);
bad('shape', 'expand: to fewer dimensions', 'expand', (c) => c.own(f32(c, [2, 3]).expand([3])), ['[3]']);
bad('shape', 'expand: negative size', 'expand', (c) => c.own(f32(c, [1]).expand([-2])), ['-2']);
bad('huge', 'expand: [1] to [2^16, 2^16, 4]', 'expand', (c) => c.own(f32(c, [1]).expand(HUGE)), ['[65536, 65536, 4]']);
works('empty', 'expand: [1, 3] to [0, 3]', (c) => c.expectValues(c.own(f32(c, [1, 3]).expand([0, 3])), [0, 3], []));
bad('shape', 'squeeze: a dimension of size 3', 'squeeze', (c) => c.own(f32(c, [2, 3]).squeeze(1)), ['3']);
bad('axis', 'squeeze: axis 4', 'squeeze', (c) => c.own(f32(c, [2, 1]).squeeze(4)), ['4']);
bad('axis', 'unsqueeze: axis 4 of rank 2', 'unsqueeze', (c) => c.own(f32(c, [2, 3]).unsqueeze(4)), ['4']);
bad('axis', 'flatten: startDim after endDim', 'flatten', (c) => c.own(f32(c, [2, 3, 4]).flatten(2, 1)));
bad('axis', 'flatten: endDim 5', 'flatten', (c) => c.own(f32(c, [2, 3]).flatten(0, 5)), ['5']);
bad('shape', 'assign: shapes differ', 'assign', (c) => f32(c, [2]).assign(f32(c, [3])), ['[2]', '[3]']);
bad('dtype', 'assign: dtypes differ', 'assign', (c) => f32(c, [2]).assign(i32(c, [2])), ['f32', 'i32']);
bad('disposed', 'reshape: a disposed tensor', 'reshape', (c) => {
  const x = f32(c, [6]);
  x.dispose();
  return c.own(x.reshape([2, 3]));
}, ['dispose']);
bad('disposed', 'permute: a disposed tensor', 'permute', (c) => {
  const x = f32(c, [2, 3]);
  x.dispose();
  return c.own(x.permute([1, 0]));
}, ['dispose']);

// ---- indexing ------------------------------------------------------------------------------------
category = 'indexing';
bad('axis', 'slice: axis 3 of rank 2', 'slice', (c) => c.own(f32(c, [2, 3]).slice(3, 0, 1)), ['3']);
bad('value', 'slice: step 0', 'slice', (c) => c.own(f32(c, [4]).slice(0, 0, 4, 0)), ['step']);
bad('value', 'slice: negative step', 'slice', (c) => c.own(f32(c, [4]).slice(0, 0, 4, -1)), ['-1']);
bad('value', 'slice: fractional bound', 'slice', (c) => c.own(f32(c, [4]).slice(0, 0.5, 2)), ['0.5']);
bad('shape', 'slice: a rank-0 tensor', 'slice', (c) => c.own(f32(c, []).slice(0, 0, 1)), ['[]']);
bad('shape', 'slice: 3 ranges for 2 dimensions', 'slice', (c) => c.own(f32(c, [2, 3]).slice([null, null, [0, 1]])), ['3 ranges']);
works('index', 'slice: start past the end is empty (as Python)', (c) => c.expectValues(c.own(f32(c, [4]).slice(0, 5, 10)), [0], []));
works('index', 'slice: negative bounds count from the end', (c) => c.expectValues(c.own(from(c, [1, 2, 3, 4]).slice(0, -3, -1)), [2], [2, 3]));
bad('nan', 'slice: NaN bound', 'slice', (c) => c.own(f32(c, [4]).slice(0, NaN_, 2)), ['NaN']);
bad('nan', 'slice: NaN axis', 'slice', (c) => c.own(f32(c, [4]).slice(NaN_, 0, 2)), ['NaN']);
bad('shape', 'pad: odd number of amounts', 'pad', (c) => c.own(f32(c, [4]).pad([1])), ['[1]']);
bad('shape', 'pad: negative amounts crop past the size', 'pad', (c) => c.own(f32(c, [4]).pad([-3, -3])), ['[-3, -3]']);
bad('shape', 'pad: more dimensions than the tensor', 'pad', (c) => c.own(f32(c, [4]).pad([1, 1, 1, 1])), ['[1, 1, 1, 1]']);
bad('value', 'pad: fractional amount', 'pad', (c) => c.own(f32(c, [4]).pad([0.5, 1])), ['0.5']);
bad('huge', 'pad: 2^30 elements on each side', 'pad', (c) => c.own(f32(c, [4]).pad([2 ** 30, 2 ** 30])), ['2147483652']);
works('value', 'pad: negative amounts crop', (c) => c.expectValues(c.own(from(c, [1, 2, 3, 4]).pad([-1, 1], 9)), [4], [2, 3, 4, 9]));
bad('value', 'pad: reflect by the size', 'pad', (c) => c.own(f32(c, [1, 4]).pad([4, 0], 'reflect')), ['reflect', '[4, 0]', '[1, 4]']);
bad('value', 'pad: circular past the size', 'pad', (c) => c.own(f32(c, [1, 4]).pad([0, 5], 'circular')), ['circular', '[0, 5]']);
bad('shape', 'pad: replicate of a rank-1 tensor', 'pad', (c) => c.own(f32(c, [4]).pad([1, 1], 'replicate')), ['replicate', '[4]']);
bad('shape', 'pad: replicate of an empty dimension', 'pad', (c) => c.own(f32(c, [2, 0]).pad([1, 1], 'replicate')), ['replicate', '[2, 0]']);
bad('value', "pad: unknown mode 'edge'", 'pad', (c) => c.own(f32(c, [2, 4]).pad([1, 1], 'edge' as gg.PadMode)), ["'edge'"]);
bad('value', 'pad: reflect with a value', 'pad', (c) => c.own(f32(c, [2, 4]).pad([1, 1], 'reflect', 0)), ['reflect']);
works('nan', 'pad: reflect carries NaN to its mirror places', (c) => c.expectValues(c.own(from(c, [[NaN_, 1, 2]]).pad([0, 2], 'reflect')), [1, 5], [NaN_, 1, 2, 1, NaN_]));
works('empty', 'pad: replicate of an empty batch', (c) => c.expectValues(c.own(f32(c, [0, 3]).pad([1, 2], 'replicate')), [0, 6], []));
bad('shape', 'concat: shapes [2, 3] and [2, 4] on axis 0', 'concat', (c) => c.own(gg.concat([f32(c, [2, 3]), f32(c, [2, 4])], 0)), ['[2, 3]', '[2, 4]']);
bad('shape', 'concat: ranks differ', 'concat', (c) => c.own(gg.concat([f32(c, [2, 3]), f32(c, [3])], 0)), ['[2, 3]', '[3]']);
bad('dtype', 'concat: f32 and i32', 'concat', (c) => c.own(gg.concat([f32(c, [2]), i32(c, [2])])), ['f32', 'i32']);
bad('shape', 'concat: an empty list', 'concat', (c) => c.own(gg.concat([])));
bad('axis', 'concat: axis 2 of rank 2', 'concat', (c) => c.own(gg.concat([f32(c, [2, 3]), f32(c, [2, 3])], 2)), ['2']);
bad('shape', 'concat: rank-0 tensors', 'concat', (c) => c.own(gg.concat([f32(c, []), f32(c, [])])), ['[]']);
works('empty', 'concat: with an empty tensor', (c) => c.expectValues(c.own(gg.concat([from(c, [[1, 2]]), f32(c, [0, 2])])), [1, 2], [1, 2]));
bad('shape', 'stack: shapes [2] and [3]', 'stack', (c) => c.own(gg.stack([f32(c, [2]), f32(c, [3])])), ['[2]', '[3]']);
bad('axis', 'stack: axis 3 for rank-1 tensors', 'stack', (c) => c.own(gg.stack([f32(c, [2]), f32(c, [2])], 3)), ['3']);
bad('shape', 'stack: an empty list', 'stack', (c) => c.own(gg.stack([])));
bad('shape', 'split: sizes [1, 1] do not sum to 4', 'split', (c) => c.own(f32(c, [4]).split([1, 1])), ['[1, 1]', '4']);
bad('value', 'split: piece size 0', 'split', (c) => c.own(f32(c, [4]).split(0)), ['0']);
bad('value', 'split: negative piece size', 'split', (c) => c.own(f32(c, [4]).split([5, -1])), ['-1']);
bad('axis', 'split: axis 1 of rank 1', 'split', (c) => c.own(f32(c, [4]).split(2, 1)), ['1']);
bad('value', 'chunk: 0 chunks', 'chunk', (c) => c.own(f32(c, [4]).chunk(0)), ['0']);
bad('value', 'chunk: 1.5 chunks', 'chunk', (c) => c.own(f32(c, [4]).chunk(1.5)), ['1.5']);
bad('dtype', 'gather: f32 index', 'gather', (c) => c.own(f32(c, [3, 2]).gather(0, f32(c, [3, 2]))), ['f32']);
bad('shape', 'gather: index of another rank', 'gather', (c) => c.own(f32(c, [3, 2]).gather(0, i32(c, [3]))), ['[3, 2]', '[3]']);
bad('shape', 'gather: index larger than x off the axis', 'gather', (c) => c.own(f32(c, [3, 2]).gather(0, i32(c, [3, 5]))), ['[3, 5]']);
bad('axis', 'gather: axis 2 of rank 2', 'gather', (c) => c.own(f32(c, [3, 2]).gather(2, i32(c, [3, 2]))), ['2']);
bad('index', 'gather: index 5 on an axis of size 3', 'gather', async (c) => c.read(c.own(f32(c, [3, 2]).gather(0, c.own(gg.tensor(Int32Array.from([0, 5]), [1, 2]))))), ['5', '[3, 2]']);
bad('index', 'gather: index -1', 'gather', async (c) => c.read(c.own(f32(c, [3, 2]).gather(1, c.own(gg.tensor(Int32Array.from([-1, 0]), [2, 1]))))), ['-1']);
bad('empty', 'gather: from an axis of size 0', 'gather', (c) => c.own(f32(c, [0, 2]).gather(0, i32(c, [1, 2]))), ['[0, 2]']);
bad('dtype', 'indexSelect: f32 index', 'indexSelect', (c) => c.own(f32(c, [4, 2]).indexSelect(0, f32(c, [2]))), ['f32']);
bad('dtype', 'indexSelect: u32 index', 'indexSelect', (c) => c.own(f32(c, [4, 2]).indexSelect(0, c.own(gg.tensor(Uint32Array.from([1]))))), ['u32']);
bad('shape', 'indexSelect: 2-D index', 'indexSelect', (c) => c.own(f32(c, [4, 2]).indexSelect(0, i32(c, [2, 2]))), ['[2, 2]']);
bad('axis', 'indexSelect: axis -3', 'indexSelect', (c) => c.own(f32(c, [4, 2]).indexSelect(-3, ints(c, [0]))), ['-3']);
bad('index', 'indexSelect: index 4 of 4 rows', 'indexSelect', async (c) => c.read(c.own(f32(c, [4, 2]).indexSelect(0, ints(c, [1, 4])))), ['4', '[4, 2]']);
bad('index', 'indexSelect: index -2', 'indexSelect', async (c) => c.read(c.own(f32(c, [4, 2]).indexSelect(1, ints(c, [-2])))), ['-2']);
bad('index', 'indexSelect: index 2^31 - 1', 'indexSelect', async (c) => c.read(c.own(f32(c, [4, 2]).indexSelect(0, ints(c, [2 ** 31 - 1])))), ['2147483647']);
works('empty', 'indexSelect: an empty index', (c) => c.expectValues(c.own(f32(c, [4, 2]).indexSelect(0, i32(c, [0]))), [0, 2], []));
bad('dtype', 'oneHot: f32 index', 'oneHot', (c) => c.own(f32(c, [3]).oneHot(4)), ['f32']);
bad('value', 'oneHot: 0 classes', 'oneHot', (c) => c.own(ints(c, [0]).oneHot(0)), ['0']);
bad('value', 'oneHot: fractional class count', 'oneHot', (c) => c.own(ints(c, [0]).oneHot(2.5)), ['2.5']);
bad('huge', 'oneHot: 2^30 classes', 'oneHot', (c) => c.own(ints(c, [0, 1]).oneHot(2 ** 30)), ['1073741824']);
works('index', 'oneHot: a class outside [0, numClasses) gives a row of zeros (as documented)', (c) => c.expectValues(c.own(ints(c, [1, 5, -1]).oneHot(3)), [3, 3], [0, 1, 0, 0, 0, 0, 0, 0, 0]));
works('empty', 'oneHot: an empty index', (c) => c.expectValues(c.own(i32(c, [0]).oneHot(3)), [0, 3], []));

// ---- conv ----------------------------------------------------------------------------------------
category = 'conv';
const conv = (c: CaseContext, x: readonly number[], w: readonly number[], options: gg.Conv2dOptions = {}, bias: readonly number[] | null = null) =>
  c.own(gg.conv2d(f32(c, x), f32(c, w), bias ? f32(c, bias) : null, options));
bad('shape', 'conv2d: rank-3 input', 'conv2d', (c) => conv(c, [3, 5, 5], [2, 3, 3, 3]), ['[3, 5, 5]']);
bad('shape', 'conv2d: rank-3 weight', 'conv2d', (c) => conv(c, [1, 3, 5, 5], [2, 3, 3]), ['[2, 3, 3]']);
bad('shape', 'conv2d: 4 input channels, weight expects 3', 'conv2d', (c) => conv(c, [1, 4, 5, 5], [2, 3, 3, 3]), ['[1, 4, 5, 5]', '[2, 3, 3, 3]']);
bad('shape', 'conv2d: kernel 5x5 larger than the 3x3 input', 'conv2d', (c) => conv(c, [1, 1, 3, 3], [1, 1, 5, 5]), ['[1, 1, 3, 3]']);
bad('value', 'conv2d: stride 0', 'conv2d', (c) => conv(c, [1, 1, 5, 5], [1, 1, 3, 3], { stride: 0 }), ['stride']);
bad('value', 'conv2d: negative stride', 'conv2d', (c) => conv(c, [1, 1, 5, 5], [1, 1, 3, 3], { stride: [1, -1] }), ['-1']);
bad('value', 'conv2d: negative padding', 'conv2d', (c) => conv(c, [1, 1, 5, 5], [1, 1, 3, 3], { padding: -1 }), ['-1']);
bad('value', 'conv2d: dilation 0', 'conv2d', (c) => conv(c, [1, 1, 5, 5], [1, 1, 3, 3], { dilation: 0 }), ['dilation']);
bad('value', 'conv2d: groups 2 do not divide 3 channels', 'conv2d', (c) => conv(c, [1, 3, 5, 5], [2, 3, 3, 3], { groups: 2 }), ['2']);
bad('value', 'conv2d: groups 0', 'conv2d', (c) => conv(c, [1, 3, 5, 5], [2, 3, 3, 3], { groups: 0 }), ['0']);
bad('value', "conv2d: unknown variant 'winograd'", 'conv2d', (c) => conv(c, [1, 1, 5, 5], [1, 1, 3, 3], { variant: 'winograd' as never }), ['winograd']);
bad('shape', 'conv2d: bias of the wrong size', 'conv2d', (c) => conv(c, [1, 3, 5, 5], [2, 3, 3, 3], {}, [3]), ['[3]']);
bad('dtype', 'conv2d: i32 input', 'conv2d', (c) => c.own(gg.conv2d(i32(c, [1, 1, 5, 5]), f32(c, [1, 1, 3, 3]))), ['i32']);
bad('huge', 'conv2d: padding 2^15 makes a 2^32-element output', 'conv2d', (c) => conv(c, [1, 1, 1, 1], [1, 1, 1, 1], { padding: 2 ** 15 }), ['65537']);
works('empty', 'conv2d: a batch of 0', (c) => c.expectValues(conv(c, [0, 1, 4, 4], [2, 1, 3, 3]), [0, 2, 2, 2], []));
works('nan', 'conv2d: a NaN reaches every window over it', (c) => {
  const x = from(c, [[[[1, 1, 1], [1, NaN_, 1], [1, 1, 1]]]]);
  return c.expectValues(c.own(gg.conv2d(x, f32(c, [1, 1, 2, 2]))), [1, 1, 2, 2], [NaN_, NaN_, NaN_, NaN_]);
});
const convT = (c: CaseContext, x: readonly number[], w: readonly number[], options: gg.ConvTranspose2dOptions = {}) => c.own(gg.convTranspose2d(f32(c, x), f32(c, w), null, options));
bad('shape', 'convTranspose2d: rank-3 input', 'convTranspose2d', (c) => convT(c, [3, 5, 5], [3, 2, 3, 3]), ['[3, 5, 5]']);
bad('shape', 'convTranspose2d: 4 input channels, weight expects 3', 'convTranspose2d', (c) => convT(c, [1, 4, 5, 5], [3, 2, 3, 3]), ['[1, 4, 5, 5]', '[3, 2, 3, 3]']);
bad('value', 'convTranspose2d: stride 0', 'convTranspose2d', (c) => convT(c, [1, 1, 3, 3], [1, 1, 3, 3], { stride: 0 }), ['stride']);
bad('value', 'convTranspose2d: outputPadding not below stride', 'convTranspose2d', (c) => convT(c, [1, 1, 3, 3], [1, 1, 3, 3], { stride: 2, outputPadding: 2 }), ['outputPadding']);
bad('dtype', 'convTranspose2d: i32 weight', 'convTranspose2d', (c) => c.own(gg.convTranspose2d(f32(c, [1, 1, 3, 3]), i32(c, [1, 1, 3, 3]))), ['i32']);
bad('shape', 'convTranspose2d: padding larger than the output', 'convTranspose2d', (c) => convT(c, [1, 1, 1, 1], [1, 1, 1, 1], { padding: 2 }), ['padding']);

// ---- pool ----------------------------------------------------------------------------------------
category = 'pool';
for (const op of ['maxPool2d', 'avgPool2d'] as const) {
  const pool = (c: CaseContext, x: readonly number[], k: gg.Size2d, options: gg.Pool2dOptions = {}) => c.own(gg[op](f32(c, x), k, options));
  bad('shape', `${op}: rank-2 input`, op, (c) => pool(c, [4, 4], 2), ['[4, 4]']);
  bad('shape', `${op}: kernel 5 larger than the 3x3 input`, op, (c) => pool(c, [1, 1, 3, 3], 5), ['[1, 1, 3, 3]']);
  bad('value', `${op}: kernel 0`, op, (c) => pool(c, [1, 1, 4, 4], 0), ['0']);
  bad('value', `${op}: stride 0`, op, (c) => pool(c, [1, 1, 4, 4], 2, { stride: 0 }), ['stride']);
  bad('value', `${op}: padding above half the kernel`, op, (c) => pool(c, [1, 1, 4, 4], 2, { padding: 2 }), ['padding']);
  bad('dtype', `${op}: i32 input`, op, (c) => c.own(gg[op](i32(c, [1, 1, 4, 4]), 2)), ['i32']);
  works('empty', `${op}: a batch of 0`, (c) => c.expectValues(pool(c, [0, 2, 4, 4], 2), [0, 2, 2, 2], []));
}
works('nan', 'maxPool2d: NaN propagates', (c) => c.expectValues(c.own(gg.maxPool2d(from(c, [[[[1, NaN_], [3, 4]]]]), 2)), [1, 1, 1, 1], [NaN_]));
works('nan', 'avgPool2d: Inf and -Inf give NaN', (c) => c.expectValues(c.own(gg.avgPool2d(from(c, [[[[Inf, -Inf], [3, 4]]]]), 2)), [1, 1, 1, 1], [NaN_]));
bad('value', 'maxPool2d: dilation 0', 'maxPool2d', (c) => c.own(gg.maxPool2d(f32(c, [1, 1, 4, 4]), 2, { dilation: 0 })), ['dilation']);
bad('shape', 'maxPool2d: dilated kernel larger than the input', 'maxPool2d', (c) => c.own(gg.maxPool2d(f32(c, [1, 1, 4, 4]), 2, { dilation: 4 })), ['[1, 1, 4, 4]', 'dilated']);
bad('value', 'maxPool2d: a dilated window over padding only', 'maxPool2d', (c) => c.own(gg.maxPool2d(f32(c, [1, 1, 2, 2]), 2, { padding: 1, dilation: 3 })), ['no tap', '[1, 1, 2, 2]']);
bad('value', 'MaxPool2d: returnIndices as an option', 'MaxPool2d', (c) => c.own(new gg.nn.MaxPool2d(2, { returnIndices: true } as gg.nn.MaxPool2dLayerOptions)), ['forwardWithIndices']);
bad('shape', 'MaxPool2d: rank-3 input', ['MaxPool2d', 'maxPool2d'], (c) => forward(c, new gg.nn.MaxPool2d(2), f32(c, [1, 4, 4])), ['[1, 4, 4]']);
bad('dtype', 'AvgPool2d: i32 input', ['AvgPool2d', 'avgPool2d'], (c) => forward(c, new gg.nn.AvgPool2d(2), i32(c, [1, 1, 4, 4])), ['i32']);
works('value', 'maxPool2d: ceil mode keeps a last window that starts inside the input', (c) =>
  c.expectValues(c.own(gg.maxPool2d(from(c, [[[[1, 2, 3]]]]), [1, 2], { ceilMode: true })), [1, 1, 1, 2], [2, 3]));
works('value', 'avgPool2d: ceil mode drops a last window that would start in the right padding', (c) =>
  c.expectValues(c.own(gg.avgPool2d(from(c, [[[[1, 2, 3, 4, 5]]]]), [1, 2], { padding: [0, 1], ceilMode: true })), [1, 1, 1, 3], [0.5, 2.5, 4.5]));
works('nan', 'maxPool2d: returnIndices points at the NaN', async (c) => {
  const [values, indices] = c.own(gg.maxPool2d(from(c, [[[[1, NaN_], [3, 4]]]]), 2, { returnIndices: true }));
  await c.expectValues(values, [1, 1, 1, 1], [NaN_]);
  await c.expectValues(indices, [1, 1, 1, 1], [1]);
});
works('empty', 'maxPool2d: returnIndices of a batch of 0', async (c) => {
  const [values, indices] = c.own(gg.maxPool2d(f32(c, [0, 2, 4, 4]), 2, { returnIndices: true }));
  await c.expectValues(values, [0, 2, 2, 2], []);
  await c.expectValues(indices, [0, 2, 2, 2], []);
});

// ---- attention (src/ops/attention.ts, behind nn and the GPT) --------------------------------------
category = 'attention';
const SDPA = 'scaledDotProductAttention';
const sdpa = (c: CaseContext, q: readonly number[], k: readonly number[], v: readonly number[], options = {}) => c.own(scaledDotProductAttention(f32(c, q), f32(c, k), f32(c, v), options));
bad('shape', 'scaledDotProductAttention: 2 query heads, 3 key heads', SDPA, (c) => sdpa(c, [1, 2, 4, 8], [1, 3, 4, 8], [1, 3, 4, 8]), ['[1, 2, 4, 8]', '[1, 3, 4, 8]']);
bad('shape', 'scaledDotProductAttention: head dims 8 and 4', SDPA, (c) => sdpa(c, [1, 2, 4, 8], [1, 2, 4, 4], [1, 2, 4, 8]), ['[1, 2, 4, 4]']);
bad('shape', 'scaledDotProductAttention: values of another length', SDPA, (c) => sdpa(c, [1, 2, 4, 8], [1, 2, 4, 8], [1, 2, 5, 8]), ['[1, 2, 5, 8]']);
bad('shape', 'scaledDotProductAttention: rank-3 inputs', SDPA, (c) => sdpa(c, [2, 4, 8], [2, 4, 8], [2, 4, 8]), ['[2, 4, 8]']);
bad('dtype', 'scaledDotProductAttention: i32 keys', SDPA, (c) => c.own(scaledDotProductAttention(f32(c, [1, 1, 4, 8]), i32(c, [1, 1, 4, 8]), f32(c, [1, 1, 4, 8]))), ['i32']);
bad('shape', 'scaledDotProductAttention: causal with more queries than keys', SDPA, (c) => sdpa(c, [1, 1, 4, 8], [1, 1, 2, 8], [1, 1, 2, 8], { causal: true }), ['causal']);
bad('nan', 'scaledDotProductAttention: NaN scale', SDPA, (c) => sdpa(c, [1, 1, 4, 8], [1, 1, 4, 8], [1, 1, 4, 8], { scale: NaN_ }), ['NaN']);
bad('shape', 'packedSelfAttention: width 20 is not 3 x heads x headDim', 'packedSelfAttention', (c) => c.own(packedSelfAttention(f32(c, [1, 4, 20]), 2)), ['[1, 4, 20]']);
bad('value', 'packedSelfAttention: 0 heads', 'packedSelfAttention', (c) => c.own(packedSelfAttention(f32(c, [1, 4, 24]), 0)), ['0']);
bad('shape', 'packedSelfAttention: rank-2 input', 'packedSelfAttention', (c) => c.own(packedSelfAttention(f32(c, [4, 24]), 2)), ['[4, 24]']);
works('nan', 'scaledDotProductAttention: a NaN key makes every output NaN', (c) => {
  const k = c.own(gg.tensor(Float32Array.from([NaN_, 0, 0, 0, 1, 1, 1, 1]), [1, 1, 2, 4]));
  return c.expectValues(c.own(scaledDotProductAttention(f32(c, [1, 1, 1, 4]), k, f32(c, [1, 1, 2, 4]))), [1, 1, 1, 4], [NaN_, NaN_, NaN_, NaN_]);
});

bad('value', 'cachedSelfAttention: filled past the cache', 'cachedSelfAttention', (c) => c.own(cachedSelfAttention(f32(c, [1, 1, 24]), f32(c, [1, 4, 16]), 4, 2)), ['4']);
// gg.nn.functional.scaledDotProductAttention, PyTorch's surface over the op (src/nn/attention.ts).
const fsdpa = (c: CaseContext, q: readonly number[], k: readonly number[], v: readonly number[], options: gg.nn.functional.ScaledDotProductAttentionOptions = {}) =>
  c.own(gg.nn.functional.scaledDotProductAttention(f32(c, q), f32(c, k), f32(c, v), options));
bad('shape', 'nn.functional.scaledDotProductAttention: leading dimensions [2] and [3]', SDPA, (c) => fsdpa(c, [2, 4, 8], [3, 4, 8], [3, 4, 8]), ['[2, 4, 8]', '[3, 4, 8]']);
bad('shape', 'nn.functional.scaledDotProductAttention: keys and values of other lengths', SDPA, (c) => fsdpa(c, [2, 4, 8], [2, 5, 8], [2, 6, 8]), ['[2, 6, 8]']);
bad('shape', 'nn.functional.scaledDotProductAttention: a mask that does not broadcast to the scores', SDPA, (c) => fsdpa(c, [1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 4], { mask: f32(c, [4, 5]) }), ['[4, 5]']);
bad('shape', 'nn.functional.scaledDotProductAttention: a mask that would widen the scores', SDPA, (c) => fsdpa(c, [2, 3, 4], [2, 5, 4], [2, 5, 4], { mask: f32(c, [3, 2, 3, 5]) }), ['[3, 2, 3, 5]', '[2, 3, 5]']);
bad('dtype', 'nn.functional.scaledDotProductAttention: i32 queries', SDPA, (c) => c.own(gg.nn.functional.scaledDotProductAttention(i32(c, [2, 4]), f32(c, [2, 4]), f32(c, [2, 4]))), ['i32']);
bad('value', 'nn.functional.scaledDotProductAttention: a mask and causal', SDPA, (c) => fsdpa(c, [3, 4], [3, 4], [3, 4], { mask: i32(c, [3, 3], 1), isCausal: true }), ['causal']);
bad('value', 'nn.functional.scaledDotProductAttention: causal and isCausal disagree', SDPA, (c) => fsdpa(c, [3, 4], [3, 4], [3, 4], { causal: true, isCausal: false }), ['isCausal']);
bad('value', 'nn.functional.scaledDotProductAttention: both mask and attnMask', SDPA, (c) => fsdpa(c, [3, 4], [3, 4], [3, 4], { mask: f32(c, [3, 3]), attnMask: f32(c, [3, 3]) }), ['attnMask']);
bad('value', 'nn.functional.scaledDotProductAttention: dropoutP 1.5', SDPA, (c) => fsdpa(c, [3, 4], [3, 4], [3, 4], { dropoutP: 1.5 }), ['1.5']);
bad('nan', 'nn.functional.scaledDotProductAttention: infinite scale', SDPA, (c) => fsdpa(c, [3, 4], [3, 4], [3, 4], { scale: Inf }), ['Infinity']);
bad('empty', 'nn.functional.scaledDotProductAttention: no keys', SDPA, (c) => fsdpa(c, [3, 4], [0, 4], [0, 4]), ['S = 0']);
works('shape', 'nn.functional.scaledDotProductAttention: unbatched [L, E], values 2 wide', (c) =>
  c.expectValues(fsdpa(c, [1, 3], [2, 3], [2, 2]), [1, 2], [1, 1]));
works('nan', 'nn.functional.scaledDotProductAttention: a query that sees no key gives NaN', (c) =>
  c.expectValues(fsdpa(c, [2, 1], [1, 1], [1, 1], { mask: c.own(gg.tensor([[1], [0]], { dtype: 'i32' })) }), [2, 1], [1, NaN_]));

// ---- nn ------------------------------------------------------------------------------------------
category = 'nn';
const nn = gg.nn;
bad('shape', 'Linear: 5 input features into Linear(4, 3)', ['Linear', 'linear'], (c) => forward(c, new nn.Linear(4, 3), f32(c, [2, 5])), ['[2, 5]']);
bad('shape', 'Linear: rank-0 input', ['Linear', 'linear'], (c) => forward(c, new nn.Linear(4, 3), f32(c, [])), ['[]']);
bad('dtype', 'Linear: i32 input', ['Linear', 'linear'], (c) => forward(c, new nn.Linear(4, 3), i32(c, [2, 4])), ['i32']);
bad('value', 'Linear: 0 input features', 'Linear', (c) => c.own(new nn.Linear(0, 3)), ['0']);
bad('value', 'Linear: 2.5 output features', 'Linear', (c) => c.own(new nn.Linear(4, 2.5)), ['2.5']);
bad('huge', 'Linear: a 2^16 x 2^16 weight', 'Linear', (c) => c.own(new nn.Linear(2 ** 16, 2 ** 16)), ['65536']);
works('empty', 'Linear: a batch of 0', (c) => c.expectValues(forward(c, new nn.Linear(4, 3), f32(c, [0, 4])), [0, 3], []));
bad('shape', 'linear: weight [3, 5] for 4 features', 'linear', (c) => c.own(nn.functional.linear(f32(c, [2, 4]), f32(c, [3, 5]))), ['[3, 5]']);
bad('shape', 'linear: bias of the wrong size', 'linear', (c) => c.own(nn.functional.linear(f32(c, [2, 4]), f32(c, [3, 4]), f32(c, [4]))), ['[4]']);
bad('shape', 'Conv2d: 4 channels into Conv2d(3, 8, 3)', ['Conv2d', 'conv2d'], (c) => forward(c, new nn.Conv2d(3, 8, 3), f32(c, [1, 4, 8, 8])), ['[1, 4, 8, 8]']);
bad('shape', 'Conv2d: rank-2 input', ['Conv2d', 'conv2d'], (c) => forward(c, new nn.Conv2d(3, 8, 3), f32(c, [8, 8])), ['[8, 8]']);
bad('shape', 'Conv2d: kernel 5 on a 3x3 input', ['Conv2d', 'conv2d'], (c) => forward(c, new nn.Conv2d(1, 1, 5), f32(c, [1, 1, 3, 3])), ['[1, 1, 3, 3]']);
bad('value', 'Conv2d: kernel size 0', 'Conv2d', (c) => c.own(new nn.Conv2d(1, 1, 0)), ['0']);
bad('value', 'Conv2d: stride 0', ['Conv2d', 'conv2d'], (c) => forward(c, new nn.Conv2d(1, 1, 3, { stride: 0 }), f32(c, [1, 1, 5, 5])), ['stride']);
bad('value', 'ConvTranspose2d: groups do not divide channels', 'ConvTranspose2d', (c) => c.own(new nn.ConvTranspose2d(3, 4, 3, { groups: 2 })), ['groups']);
bad('shape', 'BatchNorm1d: 5 channels into BatchNorm1d(4)', ['BatchNorm1d', 'batchNorm'], (c) => forward(c, new nn.BatchNorm1d(4), f32(c, [2, 5])), ['[2, 5]']);
bad('shape', 'BatchNorm2d: rank-2 input', ['BatchNorm2d', 'batchNorm'], (c) => forward(c, new nn.BatchNorm2d(4), f32(c, [2, 4])), ['[2, 4]']);
bad('dtype', 'BatchNorm1d: i32 input', ['BatchNorm1d', 'batchNorm'], (c) => forward(c, new nn.BatchNorm1d(4), i32(c, [2, 4])), ['i32']);
bad('value', 'BatchNorm1d: one value per channel in training', ['BatchNorm1d', 'batchNorm'], (c) => forward(c, new nn.BatchNorm1d(4), f32(c, [1, 4])), ['[1, 4]']);
bad('value', 'BatchNorm2d: momentum 2', 'BatchNorm2d', (c) => c.own(new nn.BatchNorm2d(4, { momentum: 2 })), ['2']);
bad('value', 'BatchNorm1d: negative eps', 'BatchNorm1d', (c) => c.own(new nn.BatchNorm1d(4, { eps: -1 })), ['-1']);
bad('shape', 'batchNorm: running mean of the wrong size', 'batchNorm', (c) => c.own(nn.functional.batchNorm(f32(c, [2, 4]), f32(c, [3]), f32(c, [4]))), ['[3]']);
bad('shape', 'LayerNorm: 5 features into LayerNorm(4)', ['LayerNorm', 'layerNorm'], (c) => forward(c, new nn.LayerNorm(4), f32(c, [2, 5])), ['[2, 5]']);
bad('dtype', 'LayerNorm: i32 input', ['LayerNorm', 'layerNorm'], (c) => forward(c, new nn.LayerNorm(4), i32(c, [2, 4])), ['i32']);
bad('value', 'LayerNorm: normalized shape 0', 'LayerNorm', (c) => c.own(new nn.LayerNorm(0)), ['0']);
bad('value', 'LayerNorm: NaN eps', 'LayerNorm', (c) => c.own(new nn.LayerNorm(4, { eps: NaN_ })), ['NaN']);
bad('shape', 'layerNorm: weight of the wrong shape', 'layerNorm', (c) => c.own(nn.functional.layerNorm(f32(c, [2, 4]), 4, f32(c, [3]))), ['[3]']);
works('empty', 'LayerNorm: no rows', (c) => c.expectValues(forward(c, new nn.LayerNorm(4), f32(c, [0, 4])), [0, 4], []));
works('nan', 'layerNorm: a NaN makes its row NaN', (c) => c.expectValues(c.own(nn.functional.layerNorm(from(c, [[1, NaN_], [1, 3]]), 2)), [2, 2], [NaN_, NaN_, -1, 1], 1e-3));
bad('shape', 'GroupNorm: 6 channels into GroupNorm(2, 4)', ['GroupNorm', 'groupNorm'], (c) => forward(c, new nn.GroupNorm(2, 4), f32(c, [2, 6, 3])), ['[2, 6, 3]']);
bad('shape', 'groupNorm: 6 channels in 4 groups', 'groupNorm', (c) => c.own(nn.functional.groupNorm(f32(c, [2, 6, 3]), 4)), ['[2, 6, 3]']);
bad('shape', 'groupNorm: rank-1 input', 'groupNorm', (c) => c.own(nn.functional.groupNorm(f32(c, [6]), 3)), ['[6]']);
bad('dtype', 'GroupNorm: i32 input', ['GroupNorm', 'groupNorm'], (c) => forward(c, new nn.GroupNorm(2, 4), i32(c, [2, 4, 3])), ['i32']);
bad('value', 'GroupNorm: 4 channels in 3 groups', 'GroupNorm', (c) => c.own(new nn.GroupNorm(3, 4)), ['3', '4']);
bad('value', 'GroupNorm: NaN eps', 'GroupNorm', (c) => c.own(new nn.GroupNorm(2, 4, { eps: NaN_ })), ['NaN']);
works('empty', 'GroupNorm: no samples', (c) => c.expectValues(forward(c, new nn.GroupNorm(2, 4), f32(c, [0, 4, 3])), [0, 4, 3], []));
works('nan', 'groupNorm: a NaN makes its group NaN', (c) => c.expectValues(c.own(nn.functional.groupNorm(from(c, [[[1, NaN_], [1, 3]]]), 2)), [1, 2, 2], [NaN_, NaN_, -1, 1], 1e-3));
bad('value', 'interpolate: scale factor 1.5', 'interpolate', (c) => c.own(nn.functional.interpolate(f32(c, [1, 2, 3, 3]), { scaleFactor: 1.5 })), ['1.5']);
bad('shape', 'interpolate: size not a multiple', 'interpolate', (c) => c.own(nn.functional.interpolate(f32(c, [1, 2, 3, 3]), { size: [4, 6] })), ['[4, 6]', '[1, 2, 3, 3]']);
bad('shape', 'interpolate: rank-2 input', 'interpolate', (c) => c.own(nn.functional.interpolate(f32(c, [2, 3]), { scaleFactor: 2 })), ['[2, 3]']);
bad('value', "Upsample: mode 'bilinear'", 'Upsample', (c) => c.own(new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' as 'nearest' })), ["'bilinear'"]);
works('empty', 'interpolate: no samples', (c) => c.expectValues(c.own(nn.functional.interpolate(f32(c, [0, 2, 3]), { scaleFactor: 2 })), [0, 2, 6], []));
bad('shape', 'timestepEmbedding: 2-D timesteps', 'timestepEmbedding', (c) => c.own(nn.functional.timestepEmbedding(f32(c, [2, 3]), 4)), ['[2, 3]']);
bad('dtype', 'timestepEmbedding: u32 timesteps', 'timestepEmbedding', (c) => c.own(nn.functional.timestepEmbedding(c.own(gg.tensor(Uint32Array.from([1, 2]))), 4)), ['u32']);
bad('value', 'timestepEmbedding: dim 0', 'timestepEmbedding', (c) => c.own(nn.functional.timestepEmbedding(f32(c, [2]), 0)), ['0']);
works('empty', 'timestepEmbedding: no timesteps', (c) => c.expectValues(c.own(nn.functional.timestepEmbedding(f32(c, [0]), 5)), [0, 5], []));
bad('dtype', 'Embedding: f32 indices', 'Embedding', (c) => forward(c, new nn.Embedding(5, 3), f32(c, [2])), ['f32']);
bad('index', 'Embedding: index 5 of 5 rows', 'Embedding', async (c) => c.read(forward(c, new nn.Embedding(5, 3), ints(c, [0, 5]))), ['5']);
bad('index', 'Embedding: index -1 in a 2-D batch', 'Embedding', async (c) => c.read(forward(c, new nn.Embedding(5, 3), c.own(gg.tensor(Int32Array.from([0, 1, -1, 2]), [2, 2])))), ['-1']);
bad('value', 'Embedding: 0 rows', 'Embedding', (c) => c.own(new nn.Embedding(0, 3)), ['0']);
bad('huge', 'Embedding: a 2^28 x 8 table', 'Embedding', (c) => c.own(new nn.Embedding(2 ** 28, 8)), ['268435456']);
works('empty', 'Embedding: no indices', (c) => c.expectValues(forward(c, new nn.Embedding(5, 3), i32(c, [0])), [0, 3], []));
bad('value', 'Embedding: paddingIdx 5 of 5 rows', 'Embedding', (c) => c.own(new nn.Embedding(5, 3, { paddingIdx: 5 })), ['paddingIdx', '5']);
bad('value', 'embedding: paddingIdx -6 of 5 rows', 'embedding', (c) => c.own(nn.functional.embedding(ints(c, [0]), f32(c, [5, 3]), { paddingIdx: -6 })), ['-6']);
bad('dtype', 'embedding: f32 indices', 'embedding', (c) => c.own(nn.functional.embedding(f32(c, [2]), f32(c, [5, 3]))), ['f32']);
bad('shape', 'embedding: a rank-1 table', 'embedding', (c) => c.own(nn.functional.embedding(ints(c, [0]), f32(c, [5]))), ['[5]']);
bad('index', 'embedding: index 5 of 5 rows with paddingIdx, while training', 'embedding', async (c) => {
  const table = c.own(gg.ones([5, 3], { requiresGrad: true }));
  const out = c.own(gg.scope(() => {
    const y = nn.functional.embedding(ints(c, [0, 5]), table, { paddingIdx: 0 });
    y.sum().backward();
    return y;
  }));
  await c.read(out);
}, ['5']);
works('nan', 'embedding: the padding row still reads NaN', (c) => c.expectValues(c.own(nn.functional.embedding(ints(c, [1, 0]), from(c, [[1, 2], [NaN_, 3]]), { paddingIdx: 1 })), [2, 2], [NaN_, 3, 1, 2]));
works('empty', 'embedding: no indices with paddingIdx', (c) => c.expectValues(c.own(nn.functional.embedding(i32(c, [0, 2]), f32(c, [5, 3]), { paddingIdx: 0 })), [0, 2, 3], []));
for (const p of [1.5, -0.1, NaN_]) {
  bad('value', `Dropout: p ${p}`, 'Dropout', (c) => c.own(new nn.Dropout(p)), [String(p)]);
}
bad('value', 'dropout: p 2', 'dropout', (c) => c.own(nn.functional.dropout(f32(c, [2]), 2)), ['2']);
bad('dtype', 'dropout: i32 input', 'dropout', (c) => c.own(nn.functional.dropout(i32(c, [2]), 0.5)), ['i32']);
works('nan', 'Dropout: p 1 zeroes everything (NaN * 0 stays NaN, as PyTorch)', (c) => c.expectValues(forward(c, new nn.Dropout(1), from(c, [1, NaN_])), [2], [0, NaN_]));
bad('axis', 'Flatten: startDim 2 after endDim 1', ['Flatten', 'flatten'], (c) => forward(c, new nn.Flatten(2, 1), f32(c, [2, 3, 4])));
bad('value', "GELU: approximate 'erf'", 'GELU', (c) => c.own(new nn.GELU({ approximate: 'erf' as gg.GeluApproximation })), ["'erf'"]);
bad('value', 'Sequential: a child that is not a Module', 'Sequential', (c) => c.own(new nn.Sequential(3 as unknown as gg.nn.Module)));
bad('shape', 'Sequential: a Linear whose width does not fit the next', ['Linear', 'linear'], (c) => forward(c, new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(4, 2)), f32(c, [2, 4])), ['[2, 3]']);
bad('shape', 'Sequential: the same mismatch while training, in a scope', ['Linear', 'linear'], (c) => {
  const model = c.own(new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(4, 2)));
  const x = f32(c, [2, 4]);
  gg.scope(() => model.forward(x).sum().backward());
}, ['[2, 3]']);
bad('shape', 'loadStateDict: a weight of the wrong shape', 'loadStateDict', (c) => c.own(new nn.Linear(4, 3)).loadStateDict({ weight: f32(c, [4, 3]), bias: f32(c, [3]) }), ['[4, 3]', '[3, 4]']);
bad('dtype', 'loadStateDict: an i32 weight', 'loadStateDict', (c) => c.own(new nn.Linear(4, 3)).loadStateDict({ weight: i32(c, [3, 4]), bias: f32(c, [3]) }), ['i32']);
bad('value', 'loadStateDict: an unknown key (strict)', 'loadStateDict', (c) => c.own(new nn.Linear(4, 3)).loadStateDict({ weight: f32(c, [3, 4]), bias: f32(c, [3]), extra: f32(c, [1]) }), ['extra']);

bad('dtype', 'conv2d: i32 bias', 'conv2d', (c) => c.own(gg.conv2d(f32(c, [1, 1, 4, 4]), f32(c, [2, 1, 3, 3]), i32(c, [2]))), ['i32']);
bad('shape', 'backward: a non-scalar output without a gradient', 'backward', (c) => {
  const p = c.own(gg.ones([3], { requiresGrad: true }));
  gg.scope(() => p.mul(2).backward());
}, ['[3]']);
bad('value', 'backward: an output that does not require grad', 'backward', (c) => f32(c, []).backward());
bad('shape', 'backward: a gradient of the wrong shape', 'backward', (c) => {
  const p = c.own(gg.ones([3], { requiresGrad: true }));
  gg.scope(() => p.mul(2).backward(gg.ones([4])));
}, ['[4]']);
bad('value', 'grad: an input that does not require grad', 'grad', (c) => {
  const p = c.own(gg.ones([3], { requiresGrad: true }));
  gg.scope(() => gg.grad(p.sum(), [f32(c, [3])]));
}, ['[3]']);
bad('value', 'scope: an async function', 'scope', () => gg.scope((async () => gg.zeros([2])) as unknown as () => gg.Tensor));
bad('value', 'noGrad: an async function', 'noGrad', () => gg.noGrad((async () => 0) as unknown as () => number));
bad('shape', 'item: a tensor of 3 elements', 'item', (c) => f32(c, [3]).item(), ['[3]']);
bad('disposed', 'data: a disposed tensor', 'data', (c) => {
  const x = f32(c, [2]);
  x.dispose();
  return x.data();
}, ['dispose']);
bad('value', 'requiresGrad_: turning it off on an op result', 'requiresGrad_', (c) => {
  const p = c.own(gg.ones([3], { requiresGrad: true }));
  gg.scope(() => p.mul(2).requiresGrad_(false));
});
bad('value', 'assign: in place on a tensor that requires grad', 'assign', (c) => c.own(gg.ones([3], { requiresGrad: true })).assign(f32(c, [3])), ['noGrad']);
// The recurrent layers: input [T, N, 4] (time first, PyTorch's default) into GRU(4, 5) / LSTM(4, 5).
const gru = (c: CaseContext, x: gg.Tensor, hx: gg.Tensor | null = null, options: gg.nn.RNNOptions = {}) =>
  c.own(gg.noGrad(() => c.own(new nn.GRU(4, 5, options)).forward(x, hx)));
const lstm = (c: CaseContext, x: gg.Tensor, hx: [gg.Tensor, gg.Tensor] | null = null) => c.own(gg.noGrad(() => c.own(new nn.LSTM(4, 5)).forward(x, hx)));
bad('shape', 'GRU: 3 input features into GRU(4, 5)', 'GRU', (c) => gru(c, f32(c, [2, 3, 3])), ['[2, 3, 3]']);
bad('shape', 'GRU: rank-4 input', 'GRU', (c) => gru(c, f32(c, [1, 2, 3, 4])), ['[1, 2, 3, 4]']);
bad('empty', 'GRU: no time steps', 'GRU', (c) => gru(c, f32(c, [0, 2, 4])), ['T >= 1', '[0, 2, 4]']);
bad('dtype', 'GRU: an i32 initial state', 'GRU', (c) => gru(c, f32(c, [3, 2, 4]), i32(c, [1, 2, 5])), ['i32']);
bad('shape', 'GRU: an initial state of the wrong shape', 'GRU', (c) => gru(c, f32(c, [3, 2, 4]), f32(c, [1, 3, 5])), ['[1, 3, 5]', '[1, 2, 5]']);
bad('shape', 'GRU: a batched initial state for an unbatched input', 'GRU', (c) => gru(c, f32(c, [3, 4]), f32(c, [1, 1, 5])), ['[1, 1, 5]', '[1, 5]']);
bad('value', 'GRU: numLayers 0', 'GRU', (c) => c.own(new nn.GRU(4, 5, { numLayers: 0 })), ['numLayers']);
bad('value', 'GRU: dropout 1.5', 'GRU', (c) => c.own(new nn.GRU(4, 5, { dropout: 1.5 })), ['1.5']);
bad('shape', 'GRU: a one-direction initial state for a bidirectional GRU', 'GRU', (c) => gru(c, f32(c, [3, 2, 4]), f32(c, [1, 2, 5]), { bidirectional: true }), ['[1, 2, 5]', '[2, 2, 5]']);
bad('huge', 'GRU: a 2^15 hidden size (its hidden weights pass the device limit)', 'GRU', (c) => c.own(new nn.GRU(4, 2 ** 15)), ['98304']);
bad('huge', 'LSTM: a 2^15 hidden size (its hidden weights pass the device limit)', 'LSTM', (c) => c.own(new nn.LSTM(4, 2 ** 15)), ['131072']);
bad('shape', 'LSTM: c0 of the wrong shape', 'LSTM', (c) => lstm(c, f32(c, [3, 2, 4]), [f32(c, [1, 2, 5]), f32(c, [2, 2, 5])]), ['c0', '[2, 2, 5]']);
bad('value', 'LSTM: hx a tensor rather than [h0, c0]', 'LSTM', (c) => lstm(c, f32(c, [3, 2, 4]), f32(c, [1, 2, 5]) as unknown as [gg.Tensor, gg.Tensor]), ['[h0, c0]']);
works('nan', 'GRU: a NaN input step makes it and every later output NaN', (c) => {
  const x = c.own(gg.tensor([[[NaN_, 0, 0, 0]], [[0, 0, 0, 0]]]));
  const [output, hN] = gru(c, x, null, { bias: false });
  return Promise.all([c.expectValues(output, [2, 1, 5], new Array(10).fill(NaN_)), c.expectValues(hN, [1, 1, 5], new Array(5).fill(NaN_))]);
});
works('shape', 'LSTM: unbatched [T, 4] with no bias and zero input stays at zero', (c) => {
  const [output, [hN, cN]] = c.own(gg.noGrad(() => c.own(new nn.LSTM(4, 5, { bias: false, numLayers: 2 })).forward(f32(c, [3, 4], 0))));
  return Promise.all([c.expectValues(output, [3, 5], new Array(15).fill(0)), c.expectValues(hN, [2, 5], new Array(10).fill(0)), c.expectValues(cN, [2, 5], new Array(10).fill(0))]);
});
const MHA = 'MultiheadAttention';
/** MultiheadAttention(6, 2, options).forward(q, k, v, forwardOptions) in evaluation, owning all. */
const mha = (c: CaseContext, q: gg.Tensor, k: gg.Tensor, v: gg.Tensor, forwardOptions: gg.nn.MultiheadAttentionForwardOptions = {}, options: gg.nn.MultiheadAttentionOptions = {}) =>
  c.own(gg.noGrad(() => c.own(new nn.MultiheadAttention(6, 2, options)).forward(q, k, v, forwardOptions)));
bad('value', 'MultiheadAttention: embedDim 6 into 4 heads', MHA, (c) => c.own(new nn.MultiheadAttention(6, 4)), ['numHeads 4']);
bad('value', 'MultiheadAttention: dropout 1.5', MHA, (c) => c.own(new nn.MultiheadAttention(6, 2, { dropout: 1.5 })), ['1.5']);
bad('value', 'MultiheadAttention: kdim 0', MHA, (c) => c.own(new nn.MultiheadAttention(6, 2, { kdim: 0 })), ['kdim']);
bad('huge', 'MultiheadAttention: embedDim 2^15 (in_proj_weight passes the device limit)', MHA, (c) => c.own(new nn.MultiheadAttention(2 ** 15, 2)), ['98304']);
bad('shape', 'MultiheadAttention: 5 query features into MultiheadAttention(6, 2)', MHA, (c) => mha(c, f32(c, [3, 2, 5]), f32(c, [4, 2, 6]), f32(c, [4, 2, 6])), ['[3, 2, 5]']);
bad('shape', 'MultiheadAttention: keys and values of other lengths', MHA, (c) => mha(c, f32(c, [3, 2, 6]), f32(c, [4, 2, 6]), f32(c, [5, 2, 6])), ['[5, 2, 6]']);
bad('shape', 'MultiheadAttention: batch sizes 2 and 3', MHA, (c) => mha(c, f32(c, [3, 2, 6]), f32(c, [4, 3, 6]), f32(c, [4, 3, 6])), ['[4, 3, 6]']);
bad('shape', 'MultiheadAttention: rank-4 query', MHA, (c) => mha(c, f32(c, [1, 3, 2, 6]), f32(c, [1, 4, 2, 6]), f32(c, [1, 4, 2, 6])), ['[1, 3, 2, 6]']);
bad('dtype', 'MultiheadAttention: i32 query', MHA, (c) => mha(c, i32(c, [3, 2, 6]), f32(c, [4, 2, 6]), f32(c, [4, 2, 6])), ['i32']);
bad('shape', 'MultiheadAttention: keyPaddingMask [4, 2] rather than [N, S] = [2, 4]', MHA, (c) =>
  mha(c, f32(c, [3, 2, 6]), f32(c, [4, 2, 6]), f32(c, [4, 2, 6]), { keyPaddingMask: i32(c, [4, 2]) }), ['[2, 4]', '[4, 2]']);
bad('shape', 'MultiheadAttention: attnMask [3, 3] for 3 queries and 4 keys', MHA, (c) =>
  mha(c, f32(c, [3, 2, 6]), f32(c, [4, 2, 6]), f32(c, [4, 2, 6]), { attnMask: f32(c, [3, 3]) }), ['[3, 3]', '[3, 4]']);
bad('dtype', 'MultiheadAttention: a u32 query with an f32 mask', MHA, (c) =>
  mha(c, c.own(gg.full([3, 2, 6], 1, { dtype: 'u32' })), f32(c, [4, 2, 6]), f32(c, [4, 2, 6]), { attnMask: f32(c, [3, 4]) }), ['u32']);
works('shape', 'MultiheadAttention: unbatched [L, E] with a key padding mask (zero values and biases give zeros)', (c) => {
  const [out] = mha(c, f32(c, [2, 6]), f32(c, [3, 6]), f32(c, [3, 6], 0), { keyPaddingMask: c.own(gg.tensor([0, 1, 0], { dtype: 'i32' })), needWeights: false });
  return c.expectValues(out, [2, 6], new Array(12).fill(0));
});
works('nan', 'MultiheadAttention: every key padded gives NaN, as PyTorch', (c) => {
  const [out] = mha(c, f32(c, [1, 6]), f32(c, [2, 6]), f32(c, [2, 6]), { keyPaddingMask: c.own(gg.tensor([1, 1], { dtype: 'i32' })) });
  return c.expectValues(out, [1, 6], new Array(6).fill(NaN_));
});

// ---- losses --------------------------------------------------------------------------------------
category = 'loss';
bad('shape', 'mseLoss: shapes [2, 3] and [3, 2]', 'mseLoss', (c) => c.own(nn.mseLoss(f32(c, [2, 3]), f32(c, [3, 2]))), ['[2, 3]', '[3, 2]']);
bad('dtype', 'mseLoss: i32 target', 'mseLoss', (c) => c.own(nn.mseLoss(f32(c, [2]), i32(c, [2]))), ['i32']);
bad('value', "mseLoss: reduction 'avg'", 'mseLoss', (c) => c.own(nn.mseLoss(f32(c, [2]), f32(c, [2]), { reduction: 'avg' as never })), ["'avg'"]);
works('nan', 'mseLoss: Inf input gives Inf', (c) => c.expectValues(c.own(nn.mseLoss(from(c, [Inf, 0]), from(c, [0, 0]))), [], [Inf]));
works('empty', 'mseLoss: the mean over no elements is NaN', (c) => c.expectValues(c.own(nn.mseLoss(f32(c, [0]), f32(c, [0]))), [], [NaN_]));
bad('dtype', 'crossEntropy: f32 target', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 3]), f32(c, [2]))), ['f32']);
bad('shape', 'crossEntropy: target [3] for logits [2, 4]', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [3]))), ['[2, 4]', '[3]']);
bad('axis', 'crossEntropy: class axis 2 of rank 2', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { axis: 2 })), ['2']);
bad('index', 'crossEntropy: class 4 of 4', 'crossEntropy', async (c) => c.read(c.own(nn.crossEntropy(f32(c, [2, 4]), ints(c, [0, 4])))), ['4', '[2, 4]']);
bad('index', 'crossEntropy: class -1', 'crossEntropy', async (c) => c.read(c.own(nn.crossEntropy(f32(c, [2, 4]), ints(c, [-1, 0]), { reduction: 'none' }))), ['-1']);
bad('value', 'crossEntropy: labelSmoothing 1.5', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { labelSmoothing: 1.5 })), ['1.5']);
bad('dtype', 'crossEntropy: i32 logits', 'crossEntropy', (c) => c.own(nn.crossEntropy(i32(c, [2, 4]), i32(c, [2]))), ['i32']);
works('nan', 'crossEntropy: NaN logits give NaN', (c) => c.expectValues(c.own(nn.crossEntropy(from(c, [[NaN_, 0], [0, 0]]), ints(c, [0, 1]), { reduction: 'none' })), [2], [NaN_, Math.LN2], 1e-5));
bad('shape', 'crossEntropy: weight [3] for 4 classes', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { weight: f32(c, [3]) })), ['weight', '[3]']);
bad('dtype', 'crossEntropy: i32 weight', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { weight: i32(c, [4]) })), ['i32']);
bad('shape', 'crossEntropy: probability target [2, 3] for logits [2, 4]', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), f32(c, [2, 3]))), ['[2, 4]', '[2, 3]']);
bad('value', 'crossEntropy: ignoreIndex 0 with probability targets', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), f32(c, [2, 4]), { ignoreIndex: 0 })), ['ignoreIndex']);
bad('value', 'crossEntropy: ignoreIndex 1.5', 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { ignoreIndex: 1.5 })), ['1.5']);
bad('value', "crossEntropy: reduction 'avg' with weights", 'crossEntropy', (c) => c.own(nn.crossEntropy(f32(c, [2, 4]), i32(c, [2]), { weight: f32(c, [4]), reduction: 'avg' as never })), ["'avg'"]);
bad('index', 'crossEntropy: class 4 of 4 with weights', 'crossEntropy', async (c) => c.read(c.own(nn.crossEntropy(f32(c, [2, 4]), ints(c, [4, 0]), { weight: f32(c, [4]) }))), ['4', '[2, 4]']);
works('nan', 'crossEntropy: every target ignored gives NaN for the mean', (c) => c.expectValues(c.own(nn.crossEntropy(f32(c, [2, 4]), ints(c, [-100, -100]))), [], [NaN_]));
works('nan', 'crossEntropy: an ignored position with NaN logits counts nothing', (c) =>
  c.expectValues(c.own(nn.crossEntropy(from(c, [[NaN_, 0], [0, 0]]), ints(c, [-100, 1]), { labelSmoothing: 0.1 })), [], [Math.LN2], 1e-5));
works('empty', 'crossEntropy: probability targets of no samples give NaN for the mean', (c) => c.expectValues(c.own(nn.crossEntropy(f32(c, [0, 3]), f32(c, [0, 3]))), [], [NaN_]));
bad('dtype', 'nllLoss: f32 target', 'nllLoss', (c) => c.own(nn.nllLoss(f32(c, [2, 3]), f32(c, [2]))), ['f32']);
bad('shape', 'nllLoss: target [3] for input [2, 4]', 'nllLoss', (c) => c.own(nn.nllLoss(f32(c, [2, 4]), i32(c, [3]))), ['[2, 4]', '[3]']);
bad('shape', 'nllLoss: weight [5] for 4 classes', 'nllLoss', (c) => c.own(nn.nllLoss(f32(c, [2, 4]), i32(c, [2]), { weight: f32(c, [5]) })), ['[5]']);
bad('index', 'nllLoss: class -1', 'nllLoss', async (c) => c.read(c.own(nn.nllLoss(f32(c, [2, 4]), ints(c, [-1, 0])))), ['-1']);
works('value', 'nllLoss: weights divide the mean by the kept targets\' weights', (c) =>
  c.expectValues(c.own(nn.nllLoss(from(c, [[-1, -2], [-3, -4], [-5, -6]]), ints(c, [1, 0, 7]), { weight: from(c, [1, 3]), ignoreIndex: 7 })), [], [(2 * 3 + 3 * 1) / 4], 1e-6));
bad('shape', 'binaryCrossEntropyWithLogits: shapes [2] and [3]', 'binaryCrossEntropyWithLogits', (c) => c.own(nn.binaryCrossEntropyWithLogits(f32(c, [2]), f32(c, [3]))), ['[2]', '[3]']);
bad('dtype', 'binaryCrossEntropyWithLogits: i32 target', 'binaryCrossEntropyWithLogits', (c) => c.own(nn.binaryCrossEntropyWithLogits(f32(c, [2]), i32(c, [2]))), ['i32']);
works('nan', 'binaryCrossEntropyWithLogits: large logits stay finite', (c) => c.expectValues(c.own(nn.binaryCrossEntropyWithLogits(from(c, [100, -100]), from(c, [1, 0]), { reduction: 'none' })), [2], [0, 0], 1e-6));
bad('shape', 'klDivDiagonalGaussian: mu and logVar shapes differ', 'klDivDiagonalGaussian', (c) => c.own(nn.klDivDiagonalGaussian(f32(c, [2, 3]), f32(c, [2, 4]))), ['[2, 3]', '[2, 4]']);
bad('shape', 'gaussianNll: variance of the wrong shape', 'gaussianNll', (c) => c.own(nn.gaussianNll(f32(c, [3, 4]), f32(c, [3, 4]), f32(c, [4, 3]))), ['[4, 3]']);
bad('shape', 'gaussianNll: input and target differ', 'gaussianNll', (c) => c.own(nn.gaussianNll(f32(c, [3, 4]), f32(c, [3, 5]), f32(c, [3, 4]))), ['[3, 5]']);

// ---- optim ---------------------------------------------------------------------------------------
category = 'optim';
const param = (c: CaseContext, shape: readonly number[] = [3]) => c.own(gg.ones(shape, { requiresGrad: true }));
bad('value', 'SGD: an empty parameter list', 'SGD', (c) => c.own(new gg.optim.SGD([])));
bad('value', 'SGD: lr -0.1', 'SGD', (c) => c.own(new gg.optim.SGD([param(c)], { lr: -0.1 })), ['-0.1']);
bad('nan', 'SGD: NaN momentum', 'SGD', (c) => c.own(new gg.optim.SGD([param(c)], { momentum: NaN_ })), ['NaN']);
bad('value', "SGD: unknown setting 'learningRate'", 'SGD', (c) => c.own(new gg.optim.SGD([param(c)], { learningRate: 0.1 } as never)), ["'learningRate'"]);
bad('value', 'SGD: a parameter that is not a leaf', 'SGD', (c) => c.own(new gg.optim.SGD([c.own(param(c).mul(2))])), ['leaf']);
bad('dtype', 'SGD: an i32 parameter', 'SGD', (c) => c.own(new gg.optim.SGD([i32(c, [3])])), ['i32']);
bad('value', 'SGD: a tensor that does not require grad', 'SGD', (c) => c.own(new gg.optim.SGD([f32(c, [3])])), ['requires']);
bad('value', 'Adam: beta1 1', 'Adam', (c) => c.own(new gg.optim.Adam([param(c)], { betas: [1, 0.999] })), ['beta1']);
bad('nan', 'Adam: NaN eps', 'Adam', (c) => c.own(new gg.optim.Adam([param(c)], { eps: NaN_ })), ['NaN']);
bad('value', 'AdamW: negative weight decay', 'AdamW', (c) => c.own(new gg.optim.AdamW([param(c)], { weightDecay: -1 })), ['-1']);
bad('value', 'AdamW: foreach 1, not a boolean', 'AdamW', (c) => c.own(new gg.optim.AdamW([param(c)], { foreach: 1 as never })), ['foreach', '1']);
bad('value', 'RMSprop: alpha 1.5', 'RMSprop', (c) => c.own(new gg.optim.RMSprop([param(c)], { alpha: 1.5 })), ['alpha', '1.5']);
bad('nan', 'RMSprop: NaN momentum', 'RMSprop', (c) => c.own(new gg.optim.RMSprop([param(c)], { momentum: NaN_ })), ['momentum', 'NaN']);
bad('value', 'Adagrad: negative lrDecay', 'Adagrad', (c) => c.own(new gg.optim.Adagrad([param(c)], { lrDecay: -0.1 })), ['lrDecay', '-0.1']);
bad('nan', 'Adagrad: NaN initialAccumulatorValue', 'Adagrad', (c) => c.own(new gg.optim.Adagrad([param(c)], { initialAccumulatorValue: NaN_ })), ['initialAccumulatorValue', 'NaN']);
bad('value', 'Adam: the same parameter twice', 'Adam', (c) => {
  const p = param(c);
  return c.own(new gg.optim.Adam([{ params: [p] }, { params: [p] }]));
}, ['more than once']);
bad('value', 'Adam: params is not a list', 'Adam', (c) => c.own(new gg.optim.Adam(3 as never)));
bad('nan', 'SGD: setting lr to NaN', 'SGD', (c) => {
  c.own(new gg.optim.SGD([param(c)], { lr: 0.1 })).lr = NaN_;
}, ['NaN']);
bad('shape', 'Adam.step: a gradient of the wrong shape', 'Adam.step', (c) => {
  const p = param(c);
  const optimizer = c.own(new gg.optim.Adam([p]));
  p.grad = gg.ones([4]);
  optimizer.step();
}, ['[4]', '[3]']);
bad('dtype', 'SGD.step: an i32 gradient', 'SGD.step', (c) => {
  const p = param(c);
  const optimizer = c.own(new gg.optim.SGD([p], { lr: 0.1 }));
  p.grad = gg.ones([3], { dtype: 'i32' });
  optimizer.step();
}, ['i32']);
bad('disposed', 'Adam.step: after dispose()', 'Adam.step', (c) => {
  const optimizer = new gg.optim.Adam([param(c)]);
  optimizer.dispose();
  optimizer.step();
}, ['dispose']);
bad('nan', 'SGD.step: a NaN gradient stops training at the next read (the NaN watch)', ['training stopped', 'SGD.step'], async (c) => {
  const p = param(c, [2]);
  const optimizer = c.own(new gg.optim.SGD([['w', p]], { lr: 0.1 }));
  gg.scope(() => {
    p.mul(from(c, [NaN_, 1])).sum().backward();
    optimizer.step();
  });
  await c.read(p);
}, ['w', 'NaN']);
bad('nan', 'trainLoop: a NaN loss', ['training stopped', 'trainLoop'], async () => {
  await gg.trainLoop({ steps: 2, logEvery: 1, onProgress: () => {}, step: () => gg.full([], NaN_) });
}, ['the loss', 'NaN']);
bad('value', 'trainLoop: steps 0', 'trainLoop', async () => {
  await gg.trainLoop({ steps: 0, onProgress: () => {}, step: () => gg.zeros([]) });
}, ['steps']);
bad('shape', 'trainLoop: the step returns a non-scalar loss', 'trainLoop', async () => {
  await gg.trainLoop({ steps: 1, onProgress: () => {}, step: () => gg.zeros([3]) });
}, ['[3]']);
bad('value', 'clipGradNorm: maxNorm -1', 'clipGradNorm', (c) => c.own(gg.optim.clipGradNorm([param(c)], -1)), ['-1']);
bad('value', 'clipGradNorm: normType 1', 'clipGradNorm', (c) => c.own(gg.optim.clipGradNorm([param(c)], 1, { normType: 1 })), ['1']);
bad('value', 'clipGradNorm: a parameter that is not a tensor', 'clipGradNorm', (c) => c.own(gg.optim.clipGradNorm([3 as unknown as gg.Tensor], 1)), ['3']);
works('nan', 'clipGradNorm: a NaN gradient gives a NaN norm (as PyTorch)', async (c) => {
  const p = param(c, [2]);
  p.grad = gg.tensor([NaN_, 1]);
  await c.expectValues(c.own(gg.optim.clipGradNorm([p], 1)), [], [NaN_]);
});
bad('value', 'StepLR: stepSize 0', 'StepLR', (c) => new gg.optim.StepLR(c.own(new gg.optim.SGD([param(c)], { lr: 0.1 })), { stepSize: 0 }), ['stepSize']);
bad('value', 'CosineWithWarmup: warmup longer than the run', 'CosineWithWarmup', (c) => new gg.optim.CosineWithWarmup(c.own(new gg.optim.SGD([param(c)], { lr: 0.1 })), { warmupSteps: 10, totalSteps: 5 }), ['10']);
bad('value', 'LambdaLR: the lambda gives NaN', 'LambdaLR', (c) => {
  const scheduler = new gg.optim.LambdaLR(c.own(new gg.optim.SGD([param(c)], { lr: 0.1 })), () => NaN_);
  scheduler.step();
}, ['NaN']);

// ---- io ------------------------------------------------------------------------------------------
category = 'io';
const io = gg.io;
const junk = (n: number, seed = 7) => {
  const bytes = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) bytes[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return bytes;
};
/** A file whose header is `header` (any text) followed by `data`. */
const withHeader = (header: string, data: Uint8Array = new Uint8Array(0)) => {
  const text = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + text.length + data.length);
  new DataView(bytes.buffer).setUint32(0, text.length, true);
  bytes.set(text, 8);
  bytes.set(data, 8 + text.length);
  return bytes;
};
const IO_OPS = ['deserialize', 'safetensors', 'loadTensors'];
bad('value', 'deserialize: 64 junk bytes', IO_OPS, () => io.deserialize(junk(64)));
bad('empty', 'deserialize: no bytes', IO_OPS, () => io.deserialize(new Uint8Array(0)), ['0 bytes']);
bad('value', 'deserialize: a header length past the end', IO_OPS, () => io.deserialize(withHeader('{}').subarray(0, 9)));
bad('value', 'deserialize: a header that is not JSON', IO_OPS, () => io.deserialize(withHeader('{"a": [1, 2')));
bad('value', 'deserialize: a header that is a JSON list', IO_OPS, () => io.deserialize(withHeader('[1, 2]')));
bad('dtype', 'deserialize: an unknown dtype', IO_OPS, () => io.deserialize(withHeader('{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4))), ['F12']);
bad('shape', 'deserialize: data offsets that do not match the shape', IO_OPS, () => io.deserialize(withHeader('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4))), ['w']);
bad('shape', 'deserialize: data offsets past the end', IO_OPS, () => io.deserialize(withHeader('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', new Uint8Array(4))), ['w']);
bad('shape', 'deserialize: a negative dimension', IO_OPS, () => io.deserialize(withHeader('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}')), ['w']);
bad('huge', 'deserialize: a shape of 2^34 elements', IO_OPS, () => io.deserialize(withHeader('{"w":{"dtype":"F32","shape":[65536,65536,4],"data_offsets":[0,4]}}', new Uint8Array(4))), ['w']);
/** The tensors of a safetensors stream of `bytes`, read to the end. */
const streamed = async (bytes: Uint8Array) => {
  const reader = await io.openSafetensorsStream(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream());
  for await (const entry of reader.tensors()) void entry;
};
bad('value', 'openSafetensorsStream: 64 junk bytes', IO_OPS, () => streamed(junk(64)));
bad('shape', 'openSafetensorsStream: data offsets past the end of the stream', IO_OPS, () => streamed(withHeader('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', new Uint8Array(4))), ['w', 'truncated']);
bad('value', 'openSafetensorsStream: bytes after the last tensor', IO_OPS, () => streamed(withHeader('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(6))), ['2 bytes trail']);
bad('value', 'loadTensors: junk bytes', IO_OPS, (c) => c.own(Object.values(io.loadTensors(junk(100, 3)))));
bad('huge', 'loadTensors: a 2^34-element tensor', IO_OPS, (c) => c.own(Object.values(io.loadTensors(withHeader('{"w":{"dtype":"F32","shape":[65536,65536,4],"data_offsets":[0,4]}}', new Uint8Array(4))))), ['w']);
bad('value', 'serialize: a value that is not a tensor', 'serialize', () => io.serialize({ w: new Float32Array(2) as unknown as gg.Tensor }), ['w']);
bad('disposed', 'serialize: a disposed tensor', 'serialize', (c) => {
  const w = f32(c, [2]);
  w.dispose();
  return io.serialize({ w });
}, ['dispose']);
bad('value', 'loadCheckpoint: junk bytes', ['loadCheckpoint', 'safetensors'], async (c) => io.loadCheckpoint(junk(64, 9), { model: c.own(new nn.Linear(2, 2)) }));
bad('shape', 'loadCheckpoint: a checkpoint of another model', 'loadCheckpoint', async (c) => {
  const bytes = await io.saveCheckpoint({ model: c.own(new nn.Linear(2, 3)) });
  await io.loadCheckpoint(bytes, { model: c.own(new nn.Linear(3, 2)) });
}, ['weight']);
bad('shape', 'Optimizer.loadStateDict: state of the wrong shape', ['SGD.loadStateDict', 'SGD'], async (c) => {
  const p = param(c, [3]);
  const optimizer = c.own(new gg.optim.SGD([p], { lr: 0.1, momentum: 0.9 }));
  await optimizer.loadStateDict({ 'state.0.momentum_buffer': f32(c, [4]) });
}, ['[4]']);
works('empty', 'loadTensors: an empty tensor round-trips', async (c) => {
  const bytes = await io.serialize({ w: f32(c, [0, 3]) });
  const loaded = c.own(io.loadTensors(bytes));
  await c.expectValues(loaded.w, [0, 3], []);
});
works('nan', 'loadTensors: NaN and Inf round-trip', async (c) => {
  const bytes = await io.serialize({ w: from(c, [NaN_, Inf, -Inf]) });
  const loaded = c.own(io.loadTensors(bytes));
  await c.expectValues(loaded.w, [3], [NaN_, Inf, -Inf]);
});

// ---- data ----------------------------------------------------------------------------------------
category = 'data';
const data = gg.data;
const dataset = () => data.arrayDataset({ x: { values: new Float32Array(12), exampleShape: [2] }, y: { values: new Int32Array(6), exampleShape: [] } });
bad('value', 'DataLoader: batchSize 0', ['DataLoader', 'batches'], () => new data.DataLoader(dataset(), { batchSize: 0 }), ['batchSize']);
bad('value', 'DataLoader: batchSize 1.5', ['DataLoader', 'batches'], () => new data.DataLoader(dataset(), { batchSize: 1.5 }), ['1.5']);
bad('value', 'DataLoader: epoch -1', ['DataLoader', 'batches'], () => new data.DataLoader(dataset(), { batchSize: 2, epoch: -1 }), ['-1']);
bad('value', 'DataLoader: seed 0.5', ['DataLoader', 'batches', 'SeededRandom'], () => [...new data.DataLoader(dataset(), { batchSize: 2, seed: 0.5 })], ['0.5']);
bad('value', 'batchOrder: batchSize NaN', ['batchOrder', 'batches'], () => data.batchOrder(10, { batchSize: NaN_ }), ['NaN']);
bad('shape', 'arrayDataset: fields of different lengths', 'arrayDataset', () => data.arrayDataset({ a: { values: new Float32Array(6), exampleShape: [2] }, b: { values: new Float32Array(4), exampleShape: [] } }), ["'b'"]);
bad('shape', 'arrayDataset: values not a whole number of examples', 'arrayDataset', () => data.arrayDataset({ a: { values: new Float32Array(7), exampleShape: [2] } }), ['7']);
bad('shape', 'arrayDataset: a negative example dimension', 'arrayDataset', () => data.arrayDataset({ a: { values: new Float32Array(4), exampleShape: [-2] } }), ['-2']);
bad('empty', 'arrayDataset: no fields', 'arrayDataset', () => data.arrayDataset({}));
bad('value', 'SeededRandom: seed 0.5', 'SeededRandom', () => new data.SeededRandom(0.5), ['0.5']);
bad('value', 'TextCorpus: valFraction 2', 'TextCorpus', () => data.TextCorpus.fromText('hello world', { valFraction: 2 }), ['2']);
bad('empty', 'TextCorpus.sampleBatch: windows from an empty corpus', 'TextCorpus.sampleBatch', (c) => c.own(data.TextCorpus.fromText('').sampleBatch('train', 2, 4)), ['0 tokens']);
bad('value', 'TextCorpus.sampleBatch: blockSize 0', 'TextCorpus.sampleBatch', (c) => c.own(data.TextCorpus.fromText('hello world').sampleBatch('train', 2, 0)), ['blockSize']);
bad('value', 'CharVocab.encode: a character outside the vocabulary', ['CharVocab', 'encode'], () => data.CharVocab.fromText('abc').encode('abz'), ['"z"']);
bad('value', 'parseIdx: junk bytes', 'parseIdx', () => data.parseIdx(junk(32, 5)));
bad('empty', 'parseIdx: no bytes', 'parseIdx', () => data.parseIdx(new Uint8Array(0)));
bad('value', 'ringOfGaussians: 0 modes', 'ringOfGaussians', () => data.ringOfGaussians(100, { modes: 0 }), ['0']);

bad('shape', 'rocAuc: scores and labels of different lengths', 'rocAuc', () => gg.metrics.rocAuc([0.1, 0.2, 0.3], [1, 0]), ['3']);
bad('nan', 'rocAuc: a NaN score', 'rocAuc', () => gg.metrics.rocAuc([0.1, NaN_], [1, 0]), ['NaN']);
bad('shape', 'gaussianStatistics: a vector', 'gaussianStatistics', async (c) => gg.metrics.gaussianStatistics(f32(c, [5])), ['[5]']);
bad('value', 'imageGrid: 10 values into 3 images', 'imageGrid', () => gg.metrics.imageGrid(new Float32Array(10), 3), ['3']);

// ---- models --------------------------------------------------------------------------------------
category = 'model';
const models = gg.models;
const gptConfig = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 };
const gpt = (c: CaseContext) => c.own(new models.GPT(gptConfig, { generator: new gg.Generator(1) }));
const tokens = (c: CaseContext, values: number[], shape: number[]) => c.own(gg.tensor(Int32Array.from(values), shape));
bad('shape', 'GPT.forward: 9 tokens for blockSize 8', 'GPT.forward', (c) => forward(c, gpt(c), i32(c, [1, 9])), ['[1, 9]']);
bad('dtype', 'GPT.forward: f32 tokens', 'GPT.forward', (c) => forward(c, gpt(c), f32(c, [1, 4])), ['f32']);
bad('shape', 'GPT.forward: rank-1 tokens', 'GPT.forward', (c) => forward(c, gpt(c), i32(c, [4])), ['[4]']);
bad('empty', 'GPT.forward: an empty sequence', 'GPT.forward', (c) => forward(c, gpt(c), i32(c, [1, 0])), ['[1, 0]']);
bad('index', 'GPT.forward: token 11 of a vocabulary of 11', ['GPT.forward', 'Embedding'], async (c) => c.read(forward(c, gpt(c), tokens(c, [1, 11, 2], [1, 3]))), ['11']);
bad('index', 'GPT.forward: token -1', ['GPT.forward', 'Embedding'], async (c) => c.read(forward(c, gpt(c), tokens(c, [-1, 2], [1, 2]))), ['-1']);
bad('index', 'GPT.forward: token 11 while training, in a scope', ['GPT.forward', 'Embedding'], async (c) => {
  const model = gpt(c);
  const ids = tokens(c, [1, 11, 2], [1, 3]);
  const loss = c.own(gg.scope(() => {
    const l = model.forward(ids).mean();
    l.backward();
    return l;
  }));
  await c.read(loss);
}, ['11']);
bad('value', 'GPT: nEmbd not a multiple of nHead', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, nHead: 3 })), ['nHead']);
bad('value', 'GPT: vocabSize 0', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, vocabSize: 0 })), ['vocabSize']);
bad('value', 'GPT: dropout 1', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, dropout: 1 })), ['dropout']);
bad('value', "GPT: geluApproximate 'fast'", 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, geluApproximate: 'fast' as never })), ["'fast'"]);
bad('nan', 'GPT: layerNormEps NaN', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, layerNormEps: NaN_ })), ['layerNormEps', 'NaN']);
bad('value', "GPT: weightDtype 'f8'", 'GPT', (c) => c.own(new models.GPT(gptConfig, { weightDtype: 'f8' as never })), ["'f8'"]);
bad('index', 'GPT.forward: token 11 of a vocabulary of 11, f16 weights', ['GPT.forward', 'Embedding'], async (c) => c.read(forward(c, new models.GPT(gptConfig, { weightDtype: 'f16' }), tokens(c, [1, 11, 2], [1, 3]))), ['11']);
bad('value', 'GPT: f16 weights with an odd nEmbd', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, nHead: 1, nEmbd: 7 }, { weightDtype: 'f16' })), ['nEmbd', '7']);
const gpt2Config = { vocab_size: 11, n_positions: 8, n_layer: 1, n_head: 2, n_embd: 8 };
bad('value', 'gpt2.load: weights that are junk bytes', 'gpt2.load', () => models.gpt2.load({ weights: new Blob([junk(64)]), config: gpt2Config }), ['safetensors']);
bad('shape', 'gpt2.load: weights of another size than the config', 'gpt2.load', async (c) => c.own(await models.gpt2.load({ weights: new Blob([io.serializeArrays({ 'wte.weight': { dtype: 'F32', shape: [11, 4], data: new Float32Array(44) } })]), config: gpt2Config })), ['wte.weight', '[11, 4]', '[11, 8]']);
bad('value', "gpt2.load: weights 'bf16'", 'gpt2.load', () => models.gpt2.load({ weights: new Blob([]), config: gpt2Config }, { weights: 'bf16' as never }), ["'bf16'"]);
bad('value', 'gpt2.configFromHuggingFace: n_head 0', 'gpt2.configFromHuggingFace', () => models.gpt2.configFromHuggingFace({ ...gpt2Config, n_head: 0 }), ['n_head']);
/** GPT-2's 256 single-byte tokens (bytes_to_unicode's spellings) and nothing else: id b is byte b. */
const byteVocab: Record<string, number> = {};
for (let b = 0, extra = 0; b < 256; b++) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
  byteVocab[String.fromCharCode(printable ? b : 256 + extra++)] = b;
}
bad('index', 'GPT2Tokenizer.decode: an id past the vocabulary', 'GPT2Tokenizer.decode', () => new models.gpt2.GPT2Tokenizer(byteVocab, '').decode([300]), ['300']);
bad('value', 'GPT2Tokenizer: a merges line of three tokens', 'GPT2Tokenizer', () => new models.gpt2.GPT2Tokenizer(byteVocab, 'a b c'), ['"a b c"']);
bad('value', 'generateText: maxNewTokens 1.5', 'generate', async (c) => models.gpt2.generateText(gpt(c), new models.gpt2.GPT2Tokenizer(byteVocab, ''), 'A', { maxNewTokens: 1.5 }), ['1.5']);
bad('value', 'GPTDecoder.feed: more tokens than the batch', 'GPTDecoder.feed', (c) => c.own(c.own(gpt(c).decoder(1)).feed(Int32Array.from([1, 2]), 3)), ['count 3']);
bad('value', 'sampleNext: topP 1.5', 'sampleNext', async (c) => models.sampleNext(f32(c, [2, 3]), { topP: 1.5 }), ['1.5']);
bad('nan', 'sampleNext: NaN logits', 'sampleNext', async (c) => models.sampleNext(from(c, [[NaN_, 1, 2]]), { generator: new gg.Generator(1) }), ['NaN']);
bad('value', 'sampleText: a prompt token outside the vocabulary', 'sampleText', async (c) => models.sampleText(gpt(c), [1, 99], { maxNewTokens: 1 }), ['99']);
bad('index', 'CharRNN.forward: token 7 of a vocabulary of 5', ['CharRNN', 'Embedding'], async (c) => c.read(forward(c, new models.CharRNN({ vocabSize: 5, hiddenSize: 4 }), tokens(c, [1, 7], [1, 2]))), ['7']);
bad('value', 'CharRNN: hiddenSize 0', 'CharRNN', (c) => c.own(new models.CharRNN({ vocabSize: 5, hiddenSize: 0 })), ['hiddenSize']);
bad('index', 'GPTDecoder.feed: token 99 (at the next read)', ['GPTDecoder.feed', 'Embedding'], async (c) => c.read(c.own(c.own(gpt(c).decoder(1)).feed(Int32Array.from([99]), 1))), ['99']);
bad('value', 'sampleText: maxNewTokens -1', 'sampleText', async (c) => models.sampleText(gpt(c), [1], { maxNewTokens: -1 }), ['-1']);
bad('value', 'sampleText: temperature -1', 'sampleText', async (c) => models.sampleText(gpt(c), [1], { maxNewTokens: 1, temperature: -1 }), ['temperature']);
bad('value', "createVae: unknown kind 'rnn'", 'createVae', (c) => c.own(models.createVae({ kind: 'rnn' } as never)), ["'rnn'"]);
bad('value', 'MlpVae: latentDim 0', ['MlpVae', 'Vae'], (c) => c.own(models.createVae({ kind: 'mlp', inputDim: 4, hiddenDim: 3, latentDim: 0, activation: 'relu' })), ['latentDim']);
bad('value', 'MlpGenerator: hiddenLayers -1', 'MlpGenerator', (c) => c.own(new models.MlpGenerator({ hiddenLayers: -1 })), ['-1']);
bad('shape', 'discriminatorLoss: logits [4, 1] rather than [N]', 'discriminatorLoss', (c) => c.own(models.discriminatorLoss('nonSaturating', f32(c, [4, 1]), f32(c, [4]))), ['[4, 1]']);
works('shape', 'discriminatorLoss: real [4] and fake [3] logits (N and M may differ)', (c) => c.expectValues(c.own(models.discriminatorLoss('nonSaturating', f32(c, [4], 0), f32(c, [3], 0))), [], [2 * Math.LN2], 1e-6));
works('nan', 'generatorLoss: NaN logits give NaN', (c) => c.expectValues(c.own(models.generatorLoss('hinge', from(c, [NaN_, 1]))), [], [NaN_]));
bad('value', "generatorLoss: unknown loss 'ls'", 'generatorLoss', (c) => c.own(models.generatorLoss('ls' as never, f32(c, [4]))), ["'ls'"]);
bad('huge', 'GPT: nEmbd 2^14 (the attention weights pass the device limit)', 'GPT', (c) => c.own(new models.GPT({ ...gptConfig, nEmbd: 2 ** 14 })), ['16384']);
bad('huge', 'CharRNN: hiddenSize 2^15', 'CharRNN', (c) => c.own(new models.CharRNN({ vocabSize: 5, hiddenSize: 2 ** 15 })), ['32768']);
bad('shape', 'Pca.fit: a vector', 'Pca.fit', (c) => c.own(new gg.anomaly.Pca()).fit(f32(c, [3])), ['[3]']);
bad('dtype', 'Pca.fit: i32 rows', 'Pca.fit', (c) => c.own(new gg.anomaly.Pca()).fit(i32(c, [3, 2])), ['i32']);
bad('nan', 'Pca.fit: NaN in x', 'Pca.fit', (c) => c.own(new gg.anomaly.Pca()).fit(from(c, [[0, 1], [NaN_, 2], [1, 1]])), ['NaN']);
bad('empty', 'Pca.fit: one row', 'Pca.fit', (c) => c.own(new gg.anomaly.Pca()).fit(f32(c, [1, 3])), ['[1, 3]']);
bad('value', 'Pca.fit: nComponents beyond min(N, D)', 'Pca.fit', (c) => c.own(new gg.anomaly.Pca({ nComponents: 3 })).fit(f32(c, [4, 2])), ['[4, 2]']);
bad('shape', 'Pca.transform: 3 features for a 2-feature PCA', 'Pca.transform', async (c) => {
  const pca = c.own(await new gg.anomaly.Pca({ nComponents: 1 }).fit(from(c, [[0, 1], [1, 0], [2, 2]])));
  return c.own(pca.transform(f32(c, [2, 3])));
}, ['[2, 3]']);
bad('value', 'thresholdAtFalseAlarmRate: rate 1', 'thresholdAtFalseAlarmRate', () => gg.anomaly.thresholdAtFalseAlarmRate([1, 2, 3], 1), ['1']);
bad('nan', 'thresholdAtFalseAlarmRate: a NaN score', 'thresholdAtFalseAlarmRate', () => gg.anomaly.thresholdAtFalseAlarmRate([1, NaN_, 3], 0.1), ['NaN']);
bad('value', 'AnomalyDetector.predict: before fitThreshold', 'AnomalyDetector.predict', (c) => new gg.anomaly.AnomalyDetector(() => [0, 0]).predict(f32(c, [2, 3])), ['fitThreshold']);
bad('shape', 'AnomalyDetector.scores: a score per batch, not per row', 'AnomalyDetector.scores', (c) => new gg.anomaly.AnomalyDetector((x) => x.sum()).scores(f32(c, [2, 3])), ['[2]']);
const points = (c: CaseContext) => from(c, [[0, 1], [1, 0], [2, 2], [3, 1], [0, 0], [1, 1]]);
bad('nan', 'GaussianMixture.fit: NaN in x', 'GaussianMixture.fit', (c) => new models.GaussianMixture({ nComponents: 2 }).fit(from(c, [[0, 1], [NaN_, 2], [1, 1]])), ['NaN']);
bad('nan', 'GaussianMixture.fit: Inf in x', 'GaussianMixture.fit', (c) => new models.GaussianMixture({ nComponents: 2 }).fit(from(c, [[0, 1], [Inf, 2], [1, 1]])), ['Inf']);
bad('dtype', 'GaussianMixture.fit: i32 x', 'GaussianMixture.fit', (c) => new models.GaussianMixture().fit(i32(c, [3, 2])), ['i32']);
bad('shape', 'GaussianMixture.fit: a vector', 'GaussianMixture.fit', (c) => new models.GaussianMixture().fit(f32(c, [3])), ['[3]']);
bad('empty', 'GaussianMixture.fit: no samples', 'GaussianMixture.fit', (c) => new models.GaussianMixture().fit(f32(c, [0, 2])), ['[0, 2]']);
bad('value', 'GaussianMixture.fit: more components than samples', 'GaussianMixture.fit', (c) => new models.GaussianMixture({ nComponents: 7 }).fit(points(c)), ['7']);
bad('value', 'GaussianMixture: nComponents 0', 'GaussianMixture', () => new models.GaussianMixture({ nComponents: 0 }), ['0']);
bad('value', 'GaussianMixture.predict: before fit', 'GaussianMixture.predict', (c) => c.own(new models.GaussianMixture().predict(points(c))), ['fitted']);
bad('shape', 'GaussianMixture.predict: 3 features for a 2-feature model', 'GaussianMixture.predict', async (c) => {
  const model = await new models.GaussianMixture({ nComponents: 2, seed: 1 }).fit(points(c));
  return c.own(model.predict(f32(c, [2, 3])));
}, ['[2, 3]']);
bad('nan', 'GaussianMixture.predict: NaN in x (at the next read)', 'GaussianMixture.predict', async (c) => {
  const model = await new models.GaussianMixture({ nComponents: 2, seed: 1 }).fit(points(c));
  return c.read(c.own(model.predict(from(c, [[0, NaN_]]))));
}, ['NaN']);
bad('value', "GaussianMixture: initParams 'kmeans++' (scikit-learn spells it 'k-means++')", 'GaussianMixture', () => new models.GaussianMixture({ initParams: 'kmeans++' as 'k-means++' }), ["'k-means++'"]);
bad('value', 'GaussianMixture: both init and initParams', 'GaussianMixture', () => new models.GaussianMixture({ init: 'kmeans', initParams: 'random' }), ['initParams']);
bad('value', 'GaussianMixture.precisions: before fit', 'GaussianMixture.precisions', () => new models.GaussianMixture().precisions, ['fitted']);
bad('value', 'GaussianMixture.precisionsCholesky: before fit', 'GaussianMixture.precisionsCholesky', () => new models.GaussianMixture().precisionsCholesky, ['fitted']);
bad('nan', 'GaussianMixture.fitPredict: NaN in x', 'GaussianMixture.fit', (c) => new models.GaussianMixture({ nComponents: 2 }).fitPredict(from(c, [[0, 1], [NaN_, 2], [1, 1]])), ['NaN']);
bad('value', "GaussianMixture.fitPredict: initParams 'random_from_data' with more components than samples", 'GaussianMixture.fit', (c) => new models.GaussianMixture({ nComponents: 7, initParams: 'random_from_data' }).fitPredict(points(c)), ['7']);
const hmm = () => new models.GaussianHMM({ nComponents: 2, startprob: [0.5, 0.5], transmat: [[0.9, 0.1], [0.1, 0.9]], means: [[0], [3]], covars: [[1], [1]] });
const frames = (c: CaseContext) => from(c, [[0], [0.5], [3], [2.5], [0.1]]);
bad('value', 'GaussianHMM.score: lengths sum to 4 for 5 frames', 'GaussianHMM.score', (c) => hmm().score(frames(c), [2, 2]), ['[5, 1]']);
bad('value', 'GaussianHMM.predict: a sequence of length 0', 'GaussianHMM.predict', (c) => c.own(hmm().predict(frames(c), [5, 0])), ['lengths[1]']);
bad('value', 'GaussianHMM.predictProba: fractional lengths', 'GaussianHMM.predictProba', (c) => c.own(hmm().predictProba(frames(c), [2.5, 2.5])), ['2.5']);
bad('value', 'GaussianHMM.decode: lengths is not a list', 'GaussianHMM.decode', (c) => hmm().decode(frames(c), 5 as unknown as number[]));
bad('value', 'GaussianHMM.fit: negative length', 'GaussianHMM.fit', (c) => new models.GaussianHMM({ nComponents: 2 }).fit(frames(c), [6, -1]), ['-1']);
bad('nan', 'GaussianHMM.fit: NaN in X', 'GaussianHMM.fit', (c) => new models.GaussianHMM({ nComponents: 2 }).fit(from(c, [[0], [NaN_], [1], [2]])), ['NaN']);
bad('nan', 'GaussianHMM.score: Inf in X', 'GaussianHMM.score', (c) => hmm().score(from(c, [[0], [Inf]])), ['Inf']);
bad('shape', 'GaussianHMM.score: 2 features for a 1-feature model', 'GaussianHMM.score', (c) => hmm().score(f32(c, [4, 2])), ['[4, 2]']);
bad('dtype', 'GaussianHMM.score: i32 X', 'GaussianHMM.score', (c) => hmm().score(i32(c, [4, 1])), ['i32']);
bad('nan', 'GaussianHMM.predict: NaN in X (at the next read)', 'GaussianHMM.predict', async (c) => c.read(c.own(hmm().predict(from(c, [[0], [NaN_]])))), ['NaN']);
bad('value', 'GaussianHMM: transmat rows that do not sum to 1', ['GaussianHMM', 'GaussianHMM.setParameters'], () => new models.GaussianHMM({ nComponents: 2, transmat: [[0.5, 0.6], [0.5, 0.5]] }), ['transmat']);
bad('value', "GaussianHMM: covarianceType 'banded'", 'GaussianHMM', () => new models.GaussianHMM({ covarianceType: 'banded' as 'tied' }), ["'banded'"]);
bad('value', 'GaussianHMM: a negative spherical variance', ['GaussianHMM', 'GaussianHMM.setParameters'], () => new models.GaussianHMM({ nComponents: 2, covarianceType: 'spherical', means: [[0], [3]], covars: [1, -1] }), ['spherical', '-1']);
bad('value', 'GaussianHMM: a tied covariance that is not symmetric', ['GaussianHMM', 'GaussianHMM.setParameters'], () => new models.GaussianHMM({ nComponents: 2, covarianceType: 'tied', means: [[0, 0], [3, 3]], covars: [[1, 0.5], [0, 1]] }), ['tied', 'symmetric']);
bad('value', 'GaussianHMM: tied covars given per state', ['GaussianHMM', 'GaussianHMM.setParameters'], () => new models.GaussianHMM({ nComponents: 2, covarianceType: 'tied', means: [[0], [3]], covars: [[[1]], [[1]]] }), ['tied']);
bad('value', "GaussianHMM.decode: algorithm 'beam'", 'GaussianHMM.decode', (c) => hmm().decode(frames(c), [5], { algorithm: 'beam' as 'map' }), ["'viterbi'", 'beam']);
bad('value', "GaussianHMM: algorithm 'forward'", 'GaussianHMM', () => new models.GaussianHMM({ algorithm: 'forward' as 'map' }), ['forward']);
bad('nan', 'GaussianHMM.fitPredict: NaN in X', 'GaussianHMM.fit', (c) => new models.GaussianHMM({ nComponents: 2, covarianceType: 'tied' }).fitPredict(from(c, [[0], [NaN_], [1], [2]])), ['NaN']);
works('value', "GaussianHMM.decode: 'map' on a one-frame sequence picks the state of largest posterior", async (c) => {
  const { states, logProb } = await hmm().decode(from(c, [[2.9]]), { algorithm: 'map' });
  c.own(states);
  // Posterior of state 1 at x = 2.9: 0.5 N(2.9 | 3, 1) / (0.5 N(2.9 | 0, 1) + 0.5 N(2.9 | 3, 1)) = 1 / (1 + e^(-4.2)).
  await c.expectValues(states, [1], [1]);
  if (Math.abs(logProb + Math.log1p(Math.exp(-4.2))) > 1e-5) throw new Error(`decode map logProb ${logProb}`);
});
const categoricalHmm = () => new models.CategoricalHMM({ nComponents: 2, nFeatures: 3, startprob: [0.5, 0.5], transmat: [[0.9, 0.1], [0.1, 0.9]], emissionprob: [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8]] });
bad('index', 'CategoricalHMM.score: symbol 3 of 3', 'CategoricalHMM.score', (c) => categoricalHmm().score(ints(c, [0, 3, 1])), ['3']);
bad('index', 'CategoricalHMM.predict: symbol -1 (at the next read)', 'CategoricalHMM.predict', async (c) => c.read(c.own(categoricalHmm().predict(ints(c, [0, -1, 1])))), ['-1']);
bad('dtype', 'CategoricalHMM.predict: f32 symbols', 'CategoricalHMM.predict', (c) => c.own(categoricalHmm().predict(f32(c, [3]))), ['f32']);

const forecaster = (lags: number[]) => new models.GaussianForecaster({ lags });
bad('value', 'GaussianForecaster: lag 0', 'GaussianForecaster', () => forecaster([0, 1]), ['[0,1]']);
bad('value', "GaussianForecaster: transform 'sqrt'", 'GaussianForecaster', () => new models.GaussianForecaster({ transform: 'sqrt' as 'log' }), ["'sqrt'"]);
bad('nan', 'GaussianForecaster.fit: NaN in the series', 'GaussianForecaster.fit', () => forecaster([1]).fit([1, NaN, 2, 3]), ['NaN']);
bad('shape', 'GaussianForecaster.fit: 3 values for lags reaching back 7', 'GaussianForecaster.fit', () => forecaster([7]).fit([1, 2, 3]), ['3 values', '7 steps']);
bad('value', "GaussianForecaster.fit: transform 'log' of a negative value", 'GaussianForecaster.fit', () => new models.GaussianForecaster({ lags: [1], transform: 'log' }).fit([1, -2, 3]), ['-2']);
bad('value', 'GaussianForecaster.forecast: before fit', 'GaussianForecaster.forecast', () => forecaster([1]).forecast(5), ['fit()']);
bad('shape', 'GaussianMlp.forward: rows of 3 features for inputSize 4', 'GaussianMlp.forward', (c) => forward(c, new models.GaussianMlp({ inputSize: 4 }), f32(c, [2, 3])), ['[2, 3]']);
bad('value', 'GaussianMlp: hiddenSize 0', 'GaussianMlp', (c) => c.own(new models.GaussianMlp({ inputSize: 4, hiddenSize: 0 })), ['hiddenSize']);
bad('shape', 'mase: a forecast of 2 values for 1 true value', 'mase', () => models.mase([1, 2], [1], [1, 2, 3], 1), ['2 and 1']);
bad('value', 'mase: a training series that repeats exactly', 'mase', () => models.mase([1], [1], [4, 4, 4], 1), ['0']);
works('nan', 'mase: a NaN forecast gives NaN', () => {
  if (!Number.isNaN(models.mase([NaN, 1], [1, 1], [1, 2, 3], 1))) throw new Error('mase of a NaN forecast is not NaN');
});
bad('value', 'seasonalNaiveForecast: seasonality 0', 'seasonalNaiveForecast', () => models.seasonalNaiveForecast([1, 2, 3], 2, 0), ['0']);
bad('shape', 'seasonalNaiveGaussian: a training series no longer than m', 'seasonalNaiveGaussian', () => models.seasonalNaiveGaussian([1, 2], 3, 7), ['7']);
bad('value', 'calendarCovariates: February 30', 'calendarCovariates', () => models.calendarCovariates({ year: 1988, month: 2, day: 30 }), ['"day":30']);
bad('value', 'windowRows: the window [5, 2]', 'windowRows', () => models.windowRows([1, 2, 3, 4, 5, 6, 7], { lags: [1], windows: [[5, 2]] }), ['[[5,2]]']);
bad('value', 'detectRegimes: nComponents 1', 'detectRegimes', () => models.detectRegimes([1, 2, 3, 4], { nComponents: 1 }), ['1']);
bad('nan', 'detectRegimes: Inf in the series', 'detectRegimes', () => models.detectRegimes([1, Inf, 3, 4]), ['Infinity']);
bad('value', 'ForecastDistribution.quantile: p 1', 'ForecastDistribution.quantile', () => new models.ForecastDistribution(1, 1, 'none', new Float64Array(1), new Float64Array(1).fill(1), new Float64Array(1)).quantile(1), ['1']);

export const badInputCases: readonly BadInputCase[] = cases;
