// Benchmark (not a test): trains the 784-256-256-10 MLP on the full MNIST training set (60k, batch
// 128, Adam 1e-3) with trainLoop, printing the test accuracy after each epoch and the time per step,
// and stopping once the target accuracy is reached. Run: `npx tsx bench/models/mnist-mlp.ts [maxEpochs=8] [target=0.97]`.

import * as gg from '../../src/node.js';

const maxEpochs = Number(process.argv[2] ?? 8);
const target = Number(process.argv[3] ?? 0.97);
const batchSize = 128;

const rt = await gg.init();
console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`);
const train = await gg.data.loadMnist({ split: 'train' });
const test = await gg.data.loadMnist({ split: 'test' });
const testImages = test.toTensors();

const generator = new gg.Generator(0);
const model = new gg.nn.Sequential(
  new gg.nn.Linear(784, 256, { generator }),
  new gg.nn.ReLU(),
  new gg.nn.Linear(256, 256, { generator }),
  new gg.nn.ReLU(),
  new gg.nn.Linear(256, 10, { generator }),
);
const optimizer = new gg.optim.Adam(model.parameters(), { lr: 1e-3 });
console.log(`model: 784-256-256-10, ${model.numParameters().toLocaleString('en-US')} parameters; batch ${batchSize}, Adam 1e-3`);

async function testAccuracy(): Promise<number> {
  const correct = gg.scope(() => gg.noGrad(() => model.forward(testImages.images).argmax(-1).eq(testImages.labels).sum()));
  const value = await correct.item();
  correct.dispose();
  return value / test.length;
}

const loader = new gg.data.DataLoader(train, { batchSize, shuffle: true, seed: 1 });
/** The loader's batches, epoch after epoch (each pass over a DataLoader reshuffles). */
function* epochs(): Generator<gg.data.Batch<'images' | 'labels'>> {
  for (let epoch = 1; epoch <= maxEpochs; epoch++) yield* loader;
}
let reached = false;
const history = await gg.trainLoop({
  steps: maxEpochs * loader.length,
  trainer: {
    step: ({ images, labels }: gg.data.Batch<'images' | 'labels'>) => {
      optimizer.zeroGrad();
      const loss = gg.nn.crossEntropy(model.forward(images), labels);
      loss.backward();
      optimizer.step();
      return { loss };
    },
  },
  batches: epochs(),
  examplesPerStep: batchSize,
  unit: 'img',
  logEvery: loader.length, // a line per epoch, with the test accuracy: the run's only syncs
  evaluate: async () => ({ 'test accuracy %': 100 * (await testAccuracy()) }),
  onProgress: (p) => {
    console.log(`epoch ${p.step / loader.length}  ${gg.formatProgress(p)}  ${((1000 * p.elapsedSeconds) / p.step).toFixed(1)} ms/step`);
    reached = p.metrics['test accuracy %'] >= 100 * target;
    return reached ? 'stop' : undefined;
  },
});
console.log(
  `${reached ? 'reached' : 'did not reach'} ${(target * 100).toFixed(0)}% test accuracy; ` +
    `${history.steps} steps, ${((1000 * history.seconds) / history.steps).toFixed(1)} ms/step on average, ${history.seconds.toFixed(0)} s of training`,
);
optimizer.dispose();
model.dispose();
testImages.images.dispose();
testImages.labels.dispose();
gg.shutdown();
process.exit(reached ? 0 : 1);
