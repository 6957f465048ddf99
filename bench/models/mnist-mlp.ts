// Benchmark (not a test): trains the 784-256-256-10 MLP on the full MNIST training set (60k, batch
// 128, Adam 1e-3) and prints the test accuracy after each epoch and the time per step, stopping
// once the target accuracy is reached. Run: `npx tsx bench/models/mnist-mlp.ts [maxEpochs=8] [target=0.97]`.

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
let totalSteps = 0;
let trainingMs = 0;
let reached = false;
for (let epoch = 1; epoch <= maxEpochs && !reached; epoch++) {
  const started = performance.now();
  let steps = 0;
  let lossSum = gg.zeros([]);
  for (const { images, labels } of loader) {
    const next = gg.scope(() => {
      optimizer.zeroGrad();
      const loss = gg.nn.crossEntropy(model.forward(images), labels);
      loss.backward();
      optimizer.step();
      return gg.noGrad(() => lossSum.add(loss));
    });
    lossSum.dispose();
    lossSum = next;
    steps++;
  }
  const meanLoss = (await lossSum.item()) / steps; // the epoch's only sync besides the evaluation
  lossSum.dispose();
  const ms = performance.now() - started;
  totalSteps += steps;
  trainingMs += ms;
  const accuracy = await testAccuracy();
  reached = accuracy >= target;
  console.log(
    `epoch ${epoch}: train loss ${meanLoss.toFixed(4)}  test accuracy ${(accuracy * 100).toFixed(2)}%  ` +
      `${(ms / steps).toFixed(1)} ms/step  ${Math.round((steps * batchSize) / (ms / 1000)).toLocaleString('en-US')} images/s`,
  );
}
console.log(
  `${reached ? 'reached' : 'did not reach'} ${(target * 100).toFixed(0)}% test accuracy; ` +
    `${totalSteps} steps, ${(trainingMs / totalSteps).toFixed(1)} ms/step on average, ${(trainingMs / 1000).toFixed(0)} s of training`,
);
optimizer.dispose();
model.dispose();
testImages.images.dispose();
testImages.labels.dispose();
gg.shutdown();
process.exit(reached ? 0 : 1);
