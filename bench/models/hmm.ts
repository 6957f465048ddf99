// Benchmark: hidden Markov model Baum-Welch on a batch of 100 sequences x 200 steps with K = 8 states
// and D = 4 features (Gaussian, diagonal and full covariances), and a categorical HMM with V = 16
// symbols. Prints the time per Baum-Welch iteration (and its GPU passes alone), Viterbi decoding of
// the batch, and a whole fit from scratch (k-means start, then iterations to convergence) with how
// well it recovered the generating transition matrix. The data are drawn by the models' own sampler.
// Run: npx tsx bench/models/hmm.ts   (sequences, steps, K, D can be overridden: npx tsx bench/models/hmm.ts 100 200 8 4)

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { CategoricalHMM, GaussianHMM, type GaussianCovarianceType } from '../../src/models/hmm/index.js';

const [S, T, K, D] = [2, 3, 4, 5].map((a, i) => (process.argv[a] ? Number(process.argv[a]) : [100, 200, 8, 4][i]));
const V = 16;
const TIMED_ITERATIONS = 10;
const lengths = new Array<number>(S).fill(T);

/** A sticky random chain: each state stays with probability 0.6 to 0.8 and spreads the rest at random. */
function randomChain(random: gg.data.SeededRandom): { startprob: number[]; transmat: number[][] } {
  const transmat = Array.from({ length: K }, (_, i) => {
    const stay = 0.6 + 0.2 * random.random();
    const others = Array.from({ length: K }, (_, j) => (j === i ? 0 : 0.2 + random.random()));
    const total = others.reduce((s, v) => s + v, 0);
    return others.map((v, j) => (j === i ? stay : ((1 - stay) * v) / total));
  });
  return { startprob: new Array<number>(K).fill(1 / K), transmat };
}

function randomRows(rows: number, cols: number, draw: () => number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, draw));
}

/**
 * CPU seconds used so far by every thread of this process but the main one: on SwiftShader, the
 * threads that run the kernels. Other processes on the machine slow the wall clock down, not this.
 * null where /proc is missing (not Linux).
 */
function workerCpuSeconds(): number | null {
  if (!existsSync('/proc/self/task')) return null;
  let ticks = 0;
  for (const thread of readdirSync('/proc/self/task')) {
    if (Number(thread) === process.pid) continue;
    try {
      const fields = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime in clock ticks (100 per second)
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ticks / 100;
}

/** Median wall time of `runs` calls of an async function, in ms. */
async function median(runs: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** max |fitted - true| over the transition matrix, states matched by `order` (true state -> fitted state). */
function transitionError(fitted: number[][], truth: number[][], order: number[]): number {
  return Math.max(...truth.flatMap((row, i) => row.map((v, j) => Math.abs(v - fitted[order[i]][order[j]]))));
}

/** Each true state's nearest fitted state by a distance between parameter rows (greedy; the states are well apart). */
function matchRows(fitted: number[][], truth: number[][]): number[] {
  return truth.map((t) => {
    const distances = fitted.map((f) => f.reduce((s, v, i) => s + (v - t[i]) ** 2, 0));
    return distances.indexOf(Math.min(...distances));
  });
}

interface IterationTimes {
  /** Median wall time of one Baum-Welch iteration inside fit(), ms. */
  perIteration: number;
  /** CPU time of the kernel threads per iteration, ms (null off Linux). */
  workerCpu: number | null;
  /** Median wall time of the E-step's GPU passes alone (predictProba: emission + forward-backward), ms. */
  gpuPasses: number;
}

/** Times Baum-Welch iterations from fixed parameters (initParams ''), three fits of TIMED_ITERATIONS each. */
async function timeIterations(model: GaussianHMM | CategoricalHMM, x: gg.Tensor): Promise<IterationTimes> {
  const perIteration: number[] = [];
  const cpuStart = workerCpuSeconds();
  let iterations = 0;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    await model.fit(x, lengths);
    perIteration.push((performance.now() - start) / model.monitor.iter);
    iterations += model.monitor.iter;
  }
  const cpuEnd = workerCpuSeconds();
  const gpuPasses = await median(5, async () => {
    const posteriors = model.predictProba(x, lengths);
    await gg.runtime().sync();
    posteriors.dispose();
  });
  const workerCpu = cpuStart === null || cpuEnd === null ? null : ((cpuEnd - cpuStart) * 1000) / iterations;
  return { perIteration: perIteration.sort((a, b) => a - b)[1], workerCpu, gpuPasses };
}

function formatTimes({ perIteration, workerCpu, gpuPasses }: IterationTimes): string {
  const cpu = workerCpu === null ? '' : `, kernel threads' CPU ${workerCpu.toFixed(1)} ms`;
  return `${perIteration.toFixed(1)} ms per Baum-Welch iteration (wall${cpu}; emission + forward-backward alone ${gpuPasses.toFixed(1)} ms)`;
}

async function main(): Promise<void> {
  const rt = await gg.init();
  console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture}; ${S} sequences x ${T} steps (N = ${S * T}), K = ${K}, D = ${D}`);
  const random = new gg.data.SeededRandom(7);

  for (const type of ['diag', 'full'] as GaussianCovarianceType[]) {
    const chain = randomChain(random);
    const means = randomRows(K, D, () => 8 * (random.random() - 0.5));
    const variances = randomRows(K, D, () => 0.3 + 0.5 * random.random());
    const covars = type === 'diag' ? variances : variances.map((v) => v.map((vi, i) => v.map((_, j) => (i === j ? vi : 0))));
    const truth = new GaussianHMM({ nComponents: K, covarianceType: type, seed: 1, ...chain, means, covars });
    const { samples: x, states } = truth.sample(T, { nSequences: S });
    states.dispose();

    const fitStart = performance.now();
    const fitted = await new GaussianHMM({ nComponents: K, covarianceType: type, nIter: 200, tol: 1e-2, seed: 3 }).fit(x, lengths);
    const fitMs = performance.now() - fitStart;
    const order = matchRows(fitted.means, means);
    const recovered = new Set(order).size === K ? transitionError(fitted.transmat, chain.transmat, order).toFixed(4) : 'states not matched one-to-one';

    const timed = new GaussianHMM({
      nComponents: K, covarianceType: type, nIter: TIMED_ITERATIONS, tol: 0, initParams: '',
      startprob: fitted.startprob, transmat: fitted.transmat, means: fitted.means, covars: fitted.covars,
    });
    await timed.fit(x, lengths); // compiles every pipeline
    const times = await timeIterations(timed, x);
    const decodeMs = await median(5, async () => {
      const { states: path } = await timed.decode(x, lengths);
      path.dispose();
    });
    console.log(
      `gaussian ${type}: ${formatTimes(times)}; ` +
        `Viterbi decode ${decodeMs.toFixed(1)} ms; fit from scratch ${(fitMs / 1000).toFixed(2)} s (${fitted.monitor.iter} iterations, ` +
        `converged ${fitted.monitor.converged}), transmat max error ${recovered}`,
    );
    x.dispose();
  }

  const chain = randomChain(random);
  const emissionprob = randomRows(K, V, () => random.random() ** 4).map((row) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((v) => v / total);
  });
  const truth = new CategoricalHMM({ nComponents: K, seed: 2, ...chain, emissionprob });
  const { samples: x, states } = truth.sample(T, { nSequences: S });
  states.dispose();
  const timed = new CategoricalHMM({ nComponents: K, nIter: TIMED_ITERATIONS, tol: 0, initParams: '', ...chain, emissionprob });
  await timed.fit(x, lengths);
  console.log(`categorical V = ${V}: ${formatTimes(await timeIterations(timed, x))}`);
  x.dispose();
  gg.shutdown();
  process.exit(0);
}

await main();
