// Benchmark: molecule generation scored by MOSES's metrics. A GPT (or with --rnn the char-RNN) learns
// the SMILES of MOSES's 10k training sample (../shared/data/moses/train10k.csv, read from the working
// directory), tokenized SMILES-aware and packed as <start> tokens <end>; then it samples molecules
// (temperature 1, as MOSES samples) and prints validity, uniqueness@1k/@10k, novelty against the
// training set, IntDiv1/2, the Wasserstein distances of MW, logP and TPSA to test.csv (RDKit's
// WebAssembly build has no QED or SA score), Scaf/Test, Scaf/TestSF against test_scaffolds.csv and
// scaffold novelty. MOSES's targets for comparison: its CharRNN (trained on 1.6M molecules) reports
// validity 0.975, unique@10k 0.999, novelty 0.842. The numbers, with the configuration, are merged
// into bench/results/molecules.json (one row per model and training set), the samples into
// bench/results/molecules-<model>-<training>.smi.
//   npx tsx bench/models/molecules.ts                     GPT (4 layers, 4 heads, width 256), 2000 steps, 10,000 samples
//   npx tsx bench/models/molecules.ts --rnn               the char-RNN (3-layer GRU of 512) instead
//   npx tsx bench/models/molecules.ts --train-plus-test   train on train10k + test.csv (20k molecules); novelty then counts both
//   npx tsx bench/models/molecules.ts --tiny --steps 30 --samples 200   a quick end-to-end check (GPT 2 x 64, GRU 128)
//   npx tsx bench/models/molecules.ts --score FILE        only the metrics of the SMILES in FILE (one per line), e.g. the
//                                                         samples of bench/reference/pytorch_smiles_gpt.py
// Further options: --layers 4 --width 256 (GRU: 3 and 512) --batch 32 --lr 1e-3 --dropout 0.2 --temperature 1 --sample-batch 500 --eval-batches 20 --seed 1337
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as gg from '../../src/node.js';
import { CharRNN, GPT, trainLanguageModel, type LanguageModel } from '../../src/models/lm/index.js';
import { SmilesVocab, formatMoleculeMetrics, loadChemistry, moleculeMetrics, sampleSmiles, smilesCorpus } from '../../src/models/molecules/index.js';
import { flag, option } from '../harness/options.js';

const MOSES = '../shared/data/moses';

/** The SMILES column of a MOSES CSV file (header SMILES,SPLIT). */
function readSmiles(name: string): string[] {
  const path = `${MOSES}/${name}`;
  if (!existsSync(path)) throw new Error(`bench/models/molecules: ${path} not found (run from the repository root, with the MOSES files in ${MOSES})`);
  const [header, ...rows] = readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '');
  const column = header.split(',').indexOf('SMILES');
  if (column < 0) throw new Error(`bench/models/molecules: ${path} has no SMILES column (header: ${header})`);
  return rows.map((row) => row.split(',')[column]);
}

const rnn = flag('rnn');
const tiny = flag('tiny');
const trainPlusTest = flag('train-plus-test');
const steps = option('steps', 2000);
const batchSize = option('batch', 32);
const blockSize = option('block', 128);
const lr = option('lr', rnn ? 2e-3 : 1e-3);
const dropout = option('dropout', 0.2);
const count = option('samples', 10_000);
const sampleBatch = option('sample-batch', 500);
const temperature = option('temperature', 1);
const seed = option('seed', 1337);
const evalBatches = option('eval-batches', tiny ? 2 : 20);
const layers = option('layers', tiny ? (rnn ? 1 : 2) : rnn ? 3 : 4);
const width = option('width', tiny ? (rnn ? 128 : 64) : rnn ? 512 : 256);
const scoreFile = option('score', undefined);

await gg.init();
const info = gg.runtime().adapterInfo;
console.log(`adapter: ${info.vendor} ${info.architecture}${info.isFallbackAdapter ? ' (fallback)' : ''}`);
const train10k = readSmiles('train10k.csv');
const test = readSmiles('test.csv');
const testScaffolds = readSmiles('test_scaffolds.csv');
const training = trainPlusTest ? [...train10k, ...test] : train10k;
// The molecules in a seeded random order, so that the validation split (the last 5% of the tokens) is a random sample.
const order = new gg.data.SeededRandom(seed).permutation(training.length);
const shuffled = Array.from(order, (i) => training[i]);
const vocab = SmilesVocab.fromSmiles(training);
const corpus = smilesCorpus(shuffled, vocab, { valFraction: 0.05 });
console.log(
  `training set: ${training.length.toLocaleString('en-US')} molecules (${trainPlusTest ? 'train10k + test' : 'train10k'}), ` +
    `${corpus.tokens.length.toLocaleString('en-US')} tokens, vocabulary ${vocab.size} (${vocab.tokens.slice(3).join(' ')})`,
);

/** MOSES's metrics of `samples` against the training set, test.csv and test_scaffolds.csv, printed. */
async function scoreSamples(samples: string[]) {
  const chemistry = await loadChemistry();
  const metricsStarted = performance.now();
  const metrics = await moleculeMetrics(samples, {
    train: training,
    test,
    testScaffolds,
    chemistry,
    onStage: (stage) => console.log(`metrics: ${stage} molecules (${((performance.now() - metricsStarted) / 1000).toFixed(1)} s)`),
  });
  console.log(`\nMOSES metrics (RDKit ${chemistry.version}; novelty against ${trainPlusTest ? 'train10k + test' : 'train10k'}; MOSES's CharRNN: validity 0.975, unique@10k 0.999, novelty 0.842):`);
  console.log(formatMoleculeMetrics(metrics));
  return metrics;
}

if (scoreFile) {
  const samples = readFileSync(scoreFile, 'utf8').split('\n').filter((line) => line.trim() !== '');
  console.log(`scoring ${samples.length.toLocaleString('en-US')} SMILES from ${scoreFile}`);
  await scoreSamples(samples);
  gg.shutdown();
  process.exit(0);
}

const generator = new gg.Generator(seed);
const vocabSize = vocab.size;
const model: LanguageModel = rnn
  ? new CharRNN({ vocabSize, embeddingDim: 64, hiddenSize: width, numLayers: layers, dropout }, { generator })
  : new GPT({ vocabSize, blockSize, nLayer: layers, nHead: 4, nEmbd: width, dropout, bias: false }, { generator });
console.log(`${model.toString().split('\n')[0]}): ${(model.numParameters() / 1e6).toFixed(2)}M parameters; batch ${batchSize} x ${blockSize} tokens, ${steps} steps, lr ${lr}`);

const started = performance.now();
const result = await trainLanguageModel(model, corpus, {
  steps,
  batchSize,
  blockSize,
  lr,
  minLr: lr / 10,
  warmupSteps: Math.min(100, Math.floor(steps / 10)),
  weightDecay: 0.1,
  gradClip: 1,
  evalInterval: Math.max(1, Math.min(250, steps)),
  evalBatches,
  logEvery: Math.max(1, Math.min(50, Math.round(steps / 20))),
  generator,
  seed,
});
const last = result.evals[result.evals.length - 1];
console.log(`training: ${gg.formatDuration(result.seconds)}, ${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s; val loss ${last.val.loss.toFixed(4)} nats/token`);

const sampleStarted = performance.now();
let lastLine = 0;
const samples = await sampleSmiles(model, vocab, {
  count,
  batchSize: sampleBatch,
  temperature,
  maxLength: 100,
  generator: new gg.Generator(seed + 1),
  onProgress: (done, total) => {
    if (done === total || performance.now() - lastLine > 5000) {
      lastLine = performance.now();
      const seconds = (performance.now() - sampleStarted) / 1000;
      console.log(`sampled ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} molecules (${seconds.toFixed(1)} s, ${(done / seconds).toFixed(1)} molecules/s)`);
    }
  },
});
const sampleSeconds = (performance.now() - sampleStarted) / 1000;
console.log(`first samples:\n  ${samples.slice(0, 8).join('\n  ')}`);

const metrics = await scoreSamples(samples);
console.log(`total: ${gg.formatDuration((performance.now() - started) / 1000)}`);

const row = {
  model: rnn ? 'char-rnn' : 'gpt',
  training: trainPlusTest ? 'train10k+test' : 'train10k',
  adapter: `${info.vendor} ${info.architecture}`,
  config: { tiny, layers, width, steps, batchSize, blockSize, lr, dropout, temperature, seed, parameters: model.numParameters(), vocabSize },
  valLoss: last.val.loss,
  trainingSeconds: result.seconds,
  sampleSeconds,
  metrics,
  date: new Date().toISOString(),
};
const resultsDir = new URL('../results/', import.meta.url).pathname;
await mkdir(resultsDir, { recursive: true });
const resultsFile = `${resultsDir}molecules.json`;
const rows = existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as (typeof row)[]) : [];
await writeFile(resultsFile, JSON.stringify([...rows.filter((r) => r.model !== row.model || r.training !== row.training), row], null, 1));
// The samples themselves, for --score or any other tool.
await writeFile(`${resultsDir}molecules-${row.model}-${row.training}.smi`, `${samples.join('\n')}\n`);
console.log(`results: ${resultsFile}`);
model.dispose();
process.exit(0);
