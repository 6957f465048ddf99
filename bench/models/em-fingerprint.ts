// A fingerprint of the EM models: fits GMMs (every covariance type and initialisation, and nInit > 1)
// and HMMs (Gaussian and categorical: fit, score, posteriors, decode, predict, sample) on fixed seeds
// and small synthetic data, and prints every resulting number as JSON. Run it on two commits and
// compare the files byte for byte to show that a change to the EM code changed no result:
//   npx tsx bench/models/em-fingerprint.ts > after.json

import * as gg from '../../src/node.js';

await gg.init();
const { tensor } = gg;
const { GaussianMixture, GaussianHMM, CategoricalHMM } = gg.models;

let state = 12345;
const uniform = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());

function clusters(n: number, d: number, centres: number[][]): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = centres[i % centres.length];
    for (let j = 0; j < d; j++) out.push(c[j] + normal() * (0.5 + 0.3 * j) + (j > 0 ? 0.4 * out[out.length - 1] : 0));
  }
  return out;
}

async function read(t: gg.Tensor): Promise<number[]> {
  const v = Array.from(await t.data()) as number[];
  t.dispose();
  return v;
}

const results: Record<string, unknown> = {};
const D = 3;
const gmmX = clusters(150, D, [[0, 0, 0], [4, 4, 1], [-3, 5, 2]]);
const x = tensor(Float32Array.from(gmmX), [150, D]);
const given = [[0.5, 0.2, 0], [3, 4, 1], [-2, 4, 2]];
for (const covarianceType of ['full', 'tied', 'diag', 'spherical'] as const) {
  for (const init of ['kmeans', 'kmeans++', 'random', given] as const) {
    const name = `gmm/${covarianceType}/${Array.isArray(init) ? 'given' : init}`;
    const model = new GaussianMixture({ nComponents: 3, covarianceType, init, seed: 7, maxIter: 30, tol: 1e-6 });
    await model.fit(x);
    const s = model.sample(6);
    results[name] = {
      weights: model.weights, means: model.means, covariances: model.covariances,
      lowerBound: model.lowerBound, history: model.lowerBoundHistory, nIter: model.nIter, converged: model.converged,
      predict: await read(model.predict(x)), proba: await read(model.predictProba(x)), scoreSamples: await read(model.scoreSamples(x)),
      score: await model.score(x), bic: await model.bic(x), aic: await model.aic(x),
      samples: await read(s.samples), labels: await read(s.labels),
    };
  }
}
{
  const model = new GaussianMixture({ nComponents: 3, covarianceType: 'full', nInit: 3, seed: 11, maxIter: 30 });
  await model.fit(x);
  results['gmm/nInit3'] = { weights: model.weights, means: model.means, covariances: model.covariances, lowerBound: model.lowerBound, history: model.lowerBoundHistory };
}

// HMM data: a 3-state chain with Gaussian emissions in 2 features, three sequences.
const lengths = [60, 40, 50];
const means = [[0, 0], [3, 1], [-2, 3]];
const trans = [[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]];
const hmmValues: number[] = [];
const symbols: number[] = [];
for (const length of lengths) {
  let s = 0;
  for (let t = 0; t < length; t++) {
    const u = uniform();
    s = u < trans[s][0] ? 0 : u < trans[s][0] + trans[s][1] ? 1 : 2;
    const first = means[s][0] + normal() * 0.7;
    hmmValues.push(first, means[s][1] + normal() * 0.6 + 0.3 * first);
    const v = uniform();
    symbols.push(s === 0 ? (v < 0.7 ? 0 : 1) : s === 1 ? (v < 0.6 ? 2 : 3) : (v < 0.5 ? 1 : 3));
  }
}
const hx = tensor(Float32Array.from(hmmValues), [150, 2]);
for (const covarianceType of ['diag', 'full'] as const) {
  const model = new GaussianHMM({ nComponents: 3, covarianceType, seed: 5, nIter: 20, tol: 1e-4 });
  await model.fit(hx, lengths);
  const decoded = await model.decode(hx, lengths);
  const scored = await model.scoreSamples(hx, lengths);
  const s = model.sample(8, { nSequences: 2 });
  results[`hmm/gaussian/${covarianceType}`] = {
    startprob: model.startprob, transmat: model.transmat, means: model.means, covars: model.covars, monitor: model.monitor,
    score: await model.score(hx, lengths), scoreSamples: scored.logProb, posteriors: await read(scored.posteriors),
    decodeLogProb: decoded.logProb, decodeStates: await read(decoded.states), predict: await read(model.predict(hx, lengths)),
    predictProba: await read(model.predictProba(hx, lengths)), bic: await model.bic(hx, lengths), aic: await model.aic(hx, lengths),
    samples: await read(s.samples), sampleStates: await read(s.states),
  };
}
{
  // Given means and covariances, updating only some parameters.
  const model = new GaussianHMM({ nComponents: 3, covarianceType: 'full', seed: 9, nIter: 5, initParams: 'st', params: 'stm',
    means: [[0, 0], [3, 1], [-2, 3]], covars: [[[1, 0.2], [0.2, 1]], [[1, 0], [0, 1]], [[0.5, 0.1], [0.1, 0.8]]] });
  await model.fit(hx, lengths);
  results['hmm/gaussian/partial'] = { transmat: model.transmat, means: model.means, covars: model.covars, monitor: model.monitor };
}
const cx = tensor(Int32Array.from(symbols), [150, 1]);
{
  const model = new CategoricalHMM({ nComponents: 3, seed: 3, nIter: 20, tol: 1e-4 });
  await model.fit(cx, lengths);
  const decoded = await model.decode(cx, lengths);
  const scored = await model.scoreSamples(cx, lengths);
  const s = model.sample(10, { nSequences: 2 });
  results['hmm/categorical'] = {
    startprob: model.startprob, transmat: model.transmat, emissionprob: model.emissionprob, monitor: model.monitor,
    score: await model.score(cx, lengths), scoreSamples: scored.logProb, posteriors: await read(scored.posteriors),
    decodeLogProb: decoded.logProb, decodeStates: await read(decoded.states), predict: await read(model.predict(cx, lengths)),
    bic: await model.bic(cx, lengths), samples: await read(s.samples), sampleStates: await read(s.states),
  };
}
console.log(JSON.stringify(results, null, 1));
process.exit(0);
