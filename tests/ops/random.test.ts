// Random numbers: the GPU Philox against the plain-TS reference (known-answer vectors, bit-exact
// words, every distribution's value map), reproducibility of seeds and generator streams, statistics
// on 100k draws (moments, Kolmogorov-Smirnov, chi-square), reparameterization gradients and errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { runtime } from '../../src/index.js';
import { grid1d } from '../../src/ops/shape.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { normalCdf, random, rng, zip } from '../helpers/reference.js';
import { normalsFromWords, philox4x32, philoxWords, seedKey, unitFloat } from '../helpers/philox.js';
import { random as randomKernels } from '../../src/gpu/shaders.generated.js';

const sizes = [1, 3, 4, 17, 65, 129, 1000];
const STAT_DRAWS = 100_000;

/** Words for `count` elements of draw `offset`, padded to whole blocks (Box-Muller uses pairs). */
const blockWords = (seed: number | bigint, offset: number, count: number) => philoxWords(seed, offset, Math.ceil(count / 4) * 4);

async function values(t: gg.Tensor): Promise<number[]> {
  const data = [...(await t.data())];
  t.dispose();
  return data;
}

// ---- statistics helpers --------------------------------------------------------------------------

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** The Kolmogorov-Smirnov statistic sup |F_n - F| of a sample against a continuous CDF. */
function ksStatistic(xs: readonly number[], cdf: (x: number) => number): number {
  const sorted = Float64Array.from(xs).sort();
  const n = sorted.length;
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  });
  return d;
}
/** The asymptotic KS critical value at alpha = 0.001: sqrt(-ln(alpha / 2) / 2) / sqrt(n). */
const ksCritical = (n: number) => Math.sqrt(-Math.log(0.0005) / 2) / Math.sqrt(n);

function chiSquare(counts: readonly number[], expected: readonly number[]): number {
  return counts.reduce((s, c, i) => s + (c - expected[i]) ** 2 / expected[i], 0);
}
/** Chi-square critical values at alpha = 0.001 by degrees of freedom. */
const chiSquareCritical: Record<number, number> = { 3: 16.266, 4: 18.467, 9: 27.877 };

function countsOf(xs: readonly number[], categories: number, offset = 0): number[] {
  const counts = new Array<number>(categories).fill(0);
  for (const x of xs) counts[x - offset]++;
  return counts;
}

// ---- Philox against the reference ----------------------------------------------------------------

describe('Philox-4x32-10', () => {
  const knownAnswers: [number[], number[], number[]][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ];

  it('matches the Random123 known-answer vectors, in the reference and on the GPU', async () => {
    for (const [counter, key, expected] of knownAnswers) {
      expect(philox4x32(counter, key)).toEqual(expected);
      const gpu = gg.philoxBits([4], key as [number, number], counter as [number, number, number, number]);
      expect(await values(gpu)).toEqual(expected);
    }
  });

  it('adds the block index to the low 64 bits of the counter, with the carry', async () => {
    const key: [number, number] = [0x12345678, 0x9abcdef0];
    const words = await values(gg.philoxBits([11], key, [0xfffffffe, 5, 1, 2]));
    const expected = [
      ...philox4x32([0xfffffffe, 5, 1, 2], key),
      ...philox4x32([0xffffffff, 5, 1, 2], key),
      ...philox4x32([0, 6, 1, 2], key).slice(0, 3),
    ];
    expect(words).toEqual(expected);
  });

  it('randomBits equals the reference for 64-bit and negative seeds, every size, draw after draw', async () => {
    for (const seed of [0, 42, 2n ** 40n + 7n, -1]) {
      const generator = new gg.Generator(seed);
      for (const [offset, size] of sizes.entries()) {
        expect(await values(gg.randomBits([size], { generator })), `seed ${seed} size ${size}`).toEqual([...philoxWords(seed, offset, size)]);
      }
      expect(generator.offset).toBe(sizes.length);
    }
  });

  it('does not depend on the workgroup size, nor on folding the grid into 2-D', async () => {
    // With one invocation per workgroup, more than 65535 blocks need a 2-D grid.
    const n = 4 * 65535 + 1001;
    const [key, counter] = [seedKey(77), [0, 0, 3, 0]];
    const expected = [...philoxWords(77, 3, n)];
    for (const workgroupSize of [1, 32, 256]) {
      expect(grid1d(Math.ceil(n / 4), workgroupSize)[1] > 1).toBe(workgroupSize === 1);
      const out = gg.Tensor.empty([n], 'u32');
      // The Params of shaders/random.wgsl: n, key, counter, then the distribution fields draw_bits ignores.
      const [counter0, counter1, counter2, counter3] = counter;
      const unused = { scale: 0, shift: 0, upper: 0, prob: 0, value: 0, low: 0, span: 0, categories: 0, samples: 0, from_logits: 0, site_invalid: 0, site_empty: 0 };
      runtime().dispatch({
        shader: randomKernels,
        entryPoint: 'draw_bits',
        template: { T: 'u32' },
        constants: { WG: workgroupSize },
        params: { n, key_lo: key[0], key_hi: key[1], counter0, counter1, counter2, counter3, ...unused },
        buffers: { out: out.buffer },
        workgroups: grid1d(Math.ceil(n / 4), workgroupSize),
      });
      expect(await values(out), `workgroup size ${workgroupSize}`).toEqual(expected);
    }
  });
});

// ---- every distribution's value map against the reference ----------------------------------------

describe('draws equal the reference computation for the same seed', () => {
  it('rand: the top 24 bits of each word, exactly', async () => {
    const generator = new gg.Generator(123);
    for (const [offset, size] of sizes.entries()) {
      const expected = [...philoxWords(123, offset, size)].map(unitFloat);
      expect(await values(gg.rand([size], { generator }))).toEqual(expected);
    }
  });

  it('randn: Box-Muller on word pairs, to float rounding, any shape', async () => {
    const generator = new gg.Generator(2024);
    for (const [offset, shape] of [[1], [3], [17], [65], [2, 3, 5], [129, 3]].entries()) {
      const t = gg.randn(shape, { generator });
      expect([...t.shape]).toEqual(shape);
      const n = t.size;
      expectClose(await values(t), normalsFromWords(blockWords(2024, offset, n)).slice(0, n), 1e-6, 1e-6, `randn ${shape}`);
    }
  });

  it('uniform(low, high) and normal(mean, std) scale the same words', async () => {
    const generator = new gg.Generator(8);
    const n = 257;
    const u = await values(gg.uniform([n], -2, 3, { generator }));
    expectClose(u, [...philoxWords(8, 0, n)].map((w) => -2 + 5 * unitFloat(w)), 1e-6, 1e-6, 'uniform');
    const z = await values(gg.normal([n], 1.5, 0.25, { generator }));
    expectClose(z, normalsFromWords(blockWords(8, 1, n)).slice(0, n).map((v) => 1.5 + 0.25 * v), 1e-6, 1e-6, 'normal');
  });

  it('randint: floor(word * span / 2^32) above low, for small spans and the full 32-bit range', async () => {
    const generator = new gg.Generator(31);
    const cases: [number, number, gg.DType][] = [[-3, 7, 'i32'], [0, 1, 'i32'], [-(2 ** 31), 2 ** 31, 'i32'], [5, 2 ** 32, 'u32'], [-4, 4, 'f32']];
    for (const [offset, [low, high, dtype]] of cases.entries()) {
      const t = gg.randint(low, high, [129], { generator, dtype });
      expect(t.dtype).toBe(dtype);
      const expected = [...philoxWords(31, offset, 129)].map((w) => low + Number((BigInt(w) * BigInt(high - low)) >> 32n));
      expect(await values(t), `randint(${low}, ${high}) ${dtype}`).toEqual(expected);
    }
  });

  it('bernoulli and dropoutMask compare u with the probability', async () => {
    const generator = new gg.Generator(99);
    const n = 131;
    const probs = random([n], rng(3), -0.2, 1.2);
    const probsTensor = gg.tensor(Float32Array.from(probs.data));
    const coins = await values(probsTensor.bernoulli({ generator }));
    probsTensor.dispose();
    expect(coins).toEqual([...philoxWords(99, 0, n)].map((w, i) => (unitFloat(w) < probs.data[i] ? 1 : 0)));
    const mask = await values(gg.dropoutMask([n], 0.3, { generator }));
    const keep = Math.fround(0.7);
    expect(mask).toEqual([...philoxWords(99, 1, n)].map((w) => (unitFloat(w) < keep ? Math.fround(1 / 0.7) : 0)));
    expect(await values(gg.dropoutMask([7], 1, { generator }))).toEqual(new Array(7).fill(0));
    expect(await values(gg.dropoutMask([7], 0, { generator }))).toEqual(new Array(7).fill(1));
  });

  it('multinomial and categorical: inverse CDF per row, several samples per row', async () => {
    const generator = new gg.Generator(4);
    const [rows, categories, samples] = [13, 7, 3];
    const weights = random([rows, categories], rng(9), -0.5, 2); // zero below 0 (multinomial) or as logits
    const f32 = Math.fround;
    /** The kernel's scan in f32: the first category whose running sum passes u * total. */
    const pick = (row: number[], u: number) => {
      const total = row.reduce((s, w) => f32(s + w), 0);
      const threshold = f32(u * total);
      let [cumulative, chosen] = [0, -1];
      for (const [k, w] of row.entries()) {
        if (w > 0) chosen = k;
        cumulative = f32(cumulative + w);
        if (cumulative > threshold) break;
      }
      return chosen;
    };
    const rowOf = (r: number) => [...weights.data.slice(r * categories, (r + 1) * categories)];
    const probs = gg.tensor(Float32Array.from(weights.data, (v) => Math.max(v, 0)), [rows, categories]);
    const drawn = gg.multinomial(probs, samples, { generator });
    expect([...drawn.shape]).toEqual([rows, samples]);
    const expected = [...philoxWords(4, 0, rows * samples)].map((w, j) => pick(rowOf(Math.floor(j / samples)).map((v) => Math.max(v, 0)), unitFloat(w)));
    expect(await values(drawn)).toEqual(expected);

    const logits = gg.tensor(Float32Array.from(weights.data).map((v, i) => (i % 5 === 2 ? -Infinity : 3 * v)), [rows, categories]);
    const logitRows = await logits.data();
    const sampled = gg.categorical(logits, { generator });
    expect([...sampled.shape]).toEqual([rows]);
    const expectedFromLogits = [...philoxWords(4, 1, rows)].map((w, r) => {
      const row = [...logitRows.slice(r * categories, (r + 1) * categories)];
      const largest = Math.max(...row);
      return pick(row.map((v) => f32(Math.exp(v - largest))), unitFloat(w));
    });
    expect(await values(sampled)).toEqual(expectedFromLogits);
    probs.dispose();
    logits.dispose();
  });

  it('multinomial never draws a zero weight', async () => {
    const probs = gg.tensor([[0, 1, 0], [0.5, 0, 0.5]]);
    const drawn = await values(probs.multinomial(50));
    probs.dispose();
    expect(new Set(drawn.slice(0, 50))).toEqual(new Set([1]));
    expect(new Set(drawn.slice(50))).toEqual(new Set([0, 2]));
  });

  it('rows with NaN, Infinity, negative weights or nothing to draw are reported at the next read, naming the row', async () => {
    const rt = gg.runtime();
    const before = rt.memory().liveBuffers;
    const cases: [number[][], 'multinomial' | 'categorical', string][] = [
      [[[1, 2, 0], [-1, 2, 0]], 'multinomial', 'multinomial: row 1 of probs holds NaN, Infinity or a negative weight (inputs: [2, 3] f32)'],
      [[[NaN, 1, 1]], 'multinomial', 'multinomial: row 0 of probs holds NaN, Infinity or a negative weight'],
      [[[1, 1], [Infinity, 1]], 'multinomial', 'multinomial: row 1 of probs holds NaN, Infinity or a negative weight'],
      [[[1, 0], [0, 0]], 'multinomial', 'multinomial: row 1 of probs has no positive weight to draw'],
      [[[3e38, 3e38]], 'multinomial', 'multinomial: row 0 of probs has no positive weight to draw (or its weights sum past the f32 range)'],
      [[[-Infinity, -Infinity, -Infinity]], 'categorical', 'categorical: row 0 of logits is all -Infinity: there is nothing to draw (inputs: [1, 3] f32)'],
      [[[0, 1], [NaN, 0]], 'categorical', 'categorical: row 1 of logits holds NaN or +Infinity (inputs: [2, 2] f32)'],
      [[[Infinity, 0]], 'categorical', 'categorical: row 0 of logits holds NaN or +Infinity'],
    ];
    for (const [rows, op, message] of cases) {
      const input = gg.tensor(rows);
      const drawn = op === 'multinomial' ? gg.multinomial(input, 3) : gg.categorical(input, { numSamples: 2 });
      await expect(drawn.data()).rejects.toThrow(message);
      for (const t of [input, drawn]) t.dispose();
    }
    // -Infinity logits beside a finite one are fine, as are zero weights beside a positive one.
    const [logits, weights] = [gg.tensor([[-Infinity, 0, -Infinity]]), gg.tensor([[0, 0, 2]])];
    const fine = [gg.categorical(logits), gg.multinomial(weights, 4)];
    expect(await Promise.all(fine.map(values))).toEqual([[1], [2, 2, 2, 2]]);
    for (const t of [logits, weights, ...fine]) t.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
  });

  it('empty shapes draw nothing but still advance the generator', async () => {
    const generator = new gg.Generator(1);
    const empty = gg.rand([0, 3], { generator });
    expect(empty.size).toBe(0);
    empty.dispose();
    expect(generator.offset).toBe(1);
  });
});

// ---- reproducibility -----------------------------------------------------------------------------

describe('seeds and generators', () => {
  it('the same seed gives the same numbers; consecutive draws and other seeds differ', async () => {
    gg.manualSeed(42);
    const first = await values(gg.randn([300]));
    const second = await values(gg.randn([300]));
    gg.manualSeed(42);
    expect(await values(gg.randn([300]))).toEqual(first);
    expect(await values(gg.randn([300]))).toEqual(second);
    expect(second).not.toEqual(first);
    gg.manualSeed(43);
    expect(await values(gg.randn([300]))).not.toEqual(first);
    expect(gg.defaultGenerator.initialSeed()).toBe(43n);
  });

  it('an explicit generator is independent of the default one', async () => {
    const reference = await values(gg.rand([50], { generator: new gg.Generator(7) }));
    const generator = new gg.Generator(7);
    gg.rand([10]); // draws from the default generator in between
    expect(await values(gg.rand([50], { generator }))).toEqual(reference);
  });

  it('getState / setState replay a stream', async () => {
    const generator = new gg.Generator(2n ** 63n + 5n);
    gg.rand([5], { generator }).dispose();
    const state = generator.getState();
    const next = await values(gg.randint(0, 1000, [40], { generator }));
    generator.setState(state);
    expect(await values(gg.randint(0, 1000, [40], { generator }))).toEqual(next);
    expect(state).toEqual({ seed: 2n ** 63n + 5n, offset: 1 });
  });

  it('the default seed is fixed, so unseeded programs repeat too', async () => {
    expect(new gg.Generator().initialSeed()).toBe(gg.DEFAULT_SEED);
    const a = await values(gg.rand([20], { generator: new gg.Generator() }));
    expect(a).toEqual([...philoxWords(gg.DEFAULT_SEED, 0, 20)].map(unitFloat));
  });

  it('requiresGrad marks the draw as a leaf', () => {
    const x = gg.randn([3], { requiresGrad: true });
    expect(x.requiresGrad).toBe(true);
    expect(x.node).toBeNull();
    x.dispose();
  });
});

// ---- statistics on 100k draws --------------------------------------------------------------------

describe(`statistics of ${STAT_DRAWS} draws`, () => {
  const generator = new gg.Generator(20241125);
  const n = STAT_DRAWS;

  it('rand: mean, variance and Kolmogorov-Smirnov against U(0, 1)', async () => {
    const xs = await values(gg.rand([n], { generator }));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const { mean, variance } = moments(xs);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt((1 / 80 - 1 / 144) / n));
    expect(ksStatistic(xs, (x) => Math.min(Math.max(x, 0), 1))).toBeLessThan(ksCritical(n));
  });

  it('randn: mean, variance, pair correlation and Kolmogorov-Smirnov against N(0, 1)', async () => {
    const zs = await values(gg.randn([n], { generator }));
    const { mean, variance } = moments(zs);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // The two outputs of one Box-Muller pair are independent.
    let pairProduct = 0;
    for (let i = 0; i + 1 < n; i += 2) pairProduct += zs[i] * zs[i + 1];
    expect(Math.abs(pairProduct / (n / 2))).toBeLessThan(5 / Math.sqrt(n / 2));
    expect(ksStatistic(zs, normalCdf)).toBeLessThan(ksCritical(n));
  });

  it('uniform(-1, 3) and normal(2, 0.5) pass Kolmogorov-Smirnov', async () => {
    const us = await values(gg.uniform([n], -1, 3, { generator }));
    expect(ksStatistic(us, (x) => Math.min(Math.max((x + 1) / 4, 0), 1))).toBeLessThan(ksCritical(n));
    const zs = await values(gg.normal([n], 2, 0.5, { generator }));
    expect(ksStatistic(zs, (x) => normalCdf((x - 2) / 0.5))).toBeLessThan(ksCritical(n));
  });

  it('bernoulli frequencies match their probabilities; dropoutMask keeps the mean', async () => {
    const probs = gg.tensor(Float32Array.from({ length: n }, (_, i) => (i % 2 ? 0.8 : 0.3)));
    const coins = await values(gg.bernoulli(probs, { generator }));
    probs.dispose();
    for (const [parity, p] of [[0, 0.3], [1, 0.8]]) {
      const picked = coins.filter((_, i) => i % 2 === parity);
      const frequency = picked.reduce((a, b) => a + b, 0) / picked.length;
      expect(Math.abs(frequency - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / picked.length));
    }
    const mask = await values(gg.dropoutMask([n], 0.25, { generator }));
    expect(new Set(mask)).toEqual(new Set([0, Math.fround(4 / 3)]));
    const dropped = mask.filter((v) => v === 0).length / n;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
  });

  it('multinomial and categorical frequencies pass chi-square; zero weights never appear', async () => {
    const probs = [0.1, 0.2, 0, 0.3, 0.4];
    const positive = [0, 1, 3, 4];
    const weights = gg.tensor([probs.map((p) => 2 * p)]); // unnormalised weights are fine
    const drawn = await values(gg.multinomial(weights, n, { generator }));
    weights.dispose();
    const counts = countsOf(drawn, 5);
    expect(counts[2]).toBe(0);
    expect(chiSquare(positive.map((k) => counts[k]), positive.map((k) => n * probs[k]))).toBeLessThan(chiSquareCritical[3]);

    const rows = n / 5;
    const logitRow = probs.map(Math.log); // log 0 = -Infinity
    const logits = gg.tensor(Float32Array.from({ length: rows * 5 }, (_, i) => logitRow[i % 5] + 1.5), [rows, 5]);
    const sampled = gg.categorical(logits, { generator, numSamples: 5 });
    logits.dispose();
    expect([...sampled.shape]).toEqual([rows, 5]);
    const fromLogits = countsOf(await values(sampled), 5);
    expect(fromLogits[2]).toBe(0);
    expect(chiSquare(positive.map((k) => fromLogits[k]), positive.map((k) => n * probs[k]))).toBeLessThan(chiSquareCritical[3]);
  });

  it('randint covers exactly [low, high) uniformly (chi-square)', async () => {
    const ints = await values(gg.randint(-3, 7, [n], { generator }));
    expect(Math.min(...ints)).toBe(-3);
    expect(Math.max(...ints)).toBe(6);
    expect(chiSquare(countsOf(ints, 10, -3), new Array(10).fill(n / 10))).toBeLessThan(chiSquareCritical[9]);
  });
});

// ---- reparameterized sampling --------------------------------------------------------------------

describe('reparameterized Gaussian samples', () => {
  it('reparameterize: values and gradients with eps fixed (checkOp)', async () => {
    for (const [muShape, logVarShape] of [[[17], [17]], [[3, 65], [3, 65]], [[4, 3], [3]]]) {
      const shape = muShape.length >= logVarShape.length ? muShape : logVarShape;
      await checkOp({
        inputs: [muShape, logVarShape, shape],
        gradInputs: [0, 1],
        gpu: (mu, logVar, eps) => gg.reparameterize(mu, logVar, { eps }),
        ref: (mu, logVar, eps) => zip([mu, logVar, eps], (m, l, e) => m + Math.exp(0.5 * l) * e),
      });
    }
  });

  it('sampleNormal: values and gradients for tensor and number sigma (checkOp)', async () => {
    await checkOp({
      inputs: [[5, 3], [3], [5, 3]],
      gradInputs: [0, 1],
      gpu: (mu, sigma, eps) => gg.sampleNormal(mu, sigma, { eps }),
      ref: (mu, sigma, eps) => zip([mu, sigma, eps], (m, s, e) => m + s * e),
    });
    await checkOp({
      inputs: [[129], [129]],
      gradInputs: [0],
      gpu: (mu, eps) => gg.sampleNormal(mu, 0.7, { eps }),
      ref: (mu, eps) => zip([mu, eps], (m, e) => m + 0.7 * e),
    });
  });

  it('drawn eps: dz/dmu = 1 and dz/dlogVar = 0.5 exp(0.5 logVar) eps, with eps from the same stream as randn', async () => {
    const shape = [6, 5];
    const muRef = random(shape, rng(1));
    const logVarRef = random(shape, rng(2));
    const mu = gg.tensor(Float32Array.from(muRef.data), shape, { requiresGrad: true });
    const logVar = gg.tensor(Float32Array.from(logVarRef.data), shape, { requiresGrad: true });
    const z = gg.scope(() => {
      const sample = gg.reparameterize(mu, logVar, { generator: new gg.Generator(11) });
      sample.sum().backward();
      return sample;
    });
    const eps = await values(gg.randn(shape, { generator: new gg.Generator(11) }));
    const sigma = [...logVarRef.data].map((l) => Math.exp(0.5 * l));
    expectClose(await values(z), eps.map((e, i) => muRef.data[i] + sigma[i] * e), 1e-5, 1e-5, 'z');
    expect([...(await mu.grad!.data())]).toEqual(new Array(30).fill(1));
    expectClose(await logVar.grad!.data(), eps.map((e, i) => 0.5 * sigma[i] * e), 1e-5, 1e-5, 'dz/dlogVar');
    mu.dispose();
    logVar.dispose();
  });

  it('without a graph, only the sample stays allocated', () => {
    const mu = gg.zeros([8]);
    const logVar = gg.zeros([8]);
    const before = runtime().memory().liveBuffers;
    const z = gg.reparameterize(mu, logVar);
    const y = gg.sampleNormal(mu, 2);
    expect(runtime().memory().liveBuffers).toBe(before + 2);
    for (const t of [mu, logVar, z, y]) t.dispose();
  });
});

// ---- errors --------------------------------------------------------------------------------------

describe('errors name the op, the shapes and what was expected', () => {
  it('bad arguments', () => {
    const ints = gg.zeros([4, 3], { dtype: 'i32' });
    const scalar = gg.zeros([]);
    const noCategories = gg.zeros([4, 0]);
    const floats = gg.zeros([2, 3]);
    const cases: [() => unknown, RegExp][] = [
      [() => gg.bernoulli(ints), /bernoulli: expected dtype f32, got i32 \(inputs: \[4, 3\] i32\)/],
      [() => gg.multinomial(ints), /multinomial: expected dtype f32, got i32/],
      [() => gg.multinomial(scalar), /multinomial: expected a tensor of shape \[\.\.\., K\] .*\(inputs: \[\] f32\)/],
      [() => gg.categorical(noCategories), /categorical: expected a tensor of shape \[\.\.\., K\] with K >= 1 .*\[4, 0\] f32/],
      [() => gg.multinomial(floats, 0), /multinomial: numSamples must be an integer >= 1, got 0/],
      [() => gg.uniform([3], 2, 2), /uniform: low must be less than high, got low 2 and high 2/],
      [() => gg.uniform([3], 0, Infinity), /uniform: high must be a finite number/],
      [() => gg.randint(5, 1, [3]), /randint: low must be less than high, got low 5 and high 1/],
      [() => gg.randint(0, 2.5, [3]), /randint: low and high must be integers in \[-2147483648, 2147483648\] for dtype i32/],
      [() => gg.randint(-1, 3, [3], { dtype: 'u32' }), /randint: .* in \[0, 4294967296\] for dtype u32/],
      [() => gg.normal([3], 0, -1), /normal: std must be >= 0, got -1/],
      [() => gg.sampleNormal(floats, -0.5), /sampleNormal: sigma must be a finite number >= 0, got -0.5 \(inputs: \[2, 3\] f32\)/],
      [() => gg.reparameterize(floats, floats, { eps: gg.zeros([3, 2]) }), /reparameterize: eps has shape \[3, 2\], expected the sample shape \[2, 3\]/],
      [() => gg.reparameterize(floats, gg.zeros([4])), /reparameterize: shapes \[2, 3\] and \[4\] cannot be broadcast/],
      [() => gg.reparameterize(ints, floats), /reparameterize: expected dtype f32, got i32/],
      [() => gg.rand([3], { dtype: 'i32' }), /rand: random floats are f32, got dtype i32/],
      [() => gg.randn([2, -1]), /randn: shape must be a list of integers >= 0, got \[2, -1\]/],
      [() => gg.dropoutMask([3], 1.5), /dropoutMask: p must be in \[0, 1\], got 1.5/],
      [() => gg.manualSeed(1.5), /manualSeed: the seed must be an integer/],
      [() => gg.philoxBits([4], [0, -1], [0, 0, 0, 0]), /philoxBits: key needs 2 and counter 4 unsigned 32-bit integers/],
      [() => new gg.Generator(1).setState({ seed: 1n, offset: -2 }), /Generator.setState: offset must be an integer >= 0, got -2/],
    ];
    for (const [fn, message] of cases) expect(fn).toThrow(message);
    for (const t of [ints, scalar, noCategories, floats]) t.dispose();
  });
});
