// End to end with the training toolkit: a small MLP learns MNIST (a 12,000-image subset) to at least
// 90% accuracy on 2,000 held-out test images within a minute on the software adapter, and every
// buffer it used is released.
import { expect, it } from 'vitest';
import * as gg from '../../src/index.js';

/** Fraction of `images` the model labels correctly (evaluated in chunks, without a graph). */
async function accuracy(model: gg.nn.Module, images: Float32Array, labels: Int32Array): Promise<number> {
  const chunk = 500;
  let correct = 0;
  for (let start = 0; start < labels.length; start += chunk) {
    const end = Math.min(start + chunk, labels.length);
    const hits = gg.scope(() =>
      gg.noGrad(() => {
        const x = gg.tensor(images.subarray(start * 784, end * 784), [end - start, 784]);
        const y = gg.tensor(labels.subarray(start, end), [end - start]);
        return model.forward(x).argmax(-1).eq(y).sum();
      }),
    );
    correct += await hits.item();
    hits.dispose();
  }
  return correct / labels.length;
}

it('trains a small MLP on MNIST to >= 90% test accuracy within a minute', async () => {
  const baseline = gg.runtime().memory().liveBuffers;
  const train = await gg.data.loadMnist({ split: 'train', limit: 12000 });
  const test = await gg.data.loadMnist({ split: 'test', limit: 2000 });
  const generator = new gg.Generator(0);
  const model = new gg.nn.Sequential(new gg.nn.Linear(784, 128, { generator }), new gg.nn.ReLU(), new gg.nn.Linear(128, 10, { generator }));
  const optimizer = new gg.optim.Adam(model.parameters(), { lr: 2e-3 });

  const started = performance.now();
  let steps = 0;
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const { images, labels } of gg.data.batches(train, { batchSize: 32, seed: 1, epoch })) {
      gg.scope(() => {
        optimizer.zeroGrad();
        gg.nn.crossEntropy(model.forward(images), labels).backward();
        optimizer.step();
      });
      steps++;
    }
  }
  const acc = await accuracy(model, test.images, test.labels);
  const seconds = (performance.now() - started) / 1000;
  console.log(`MNIST MLP 784-128-10: ${(acc * 100).toFixed(1)}% test accuracy after ${steps} steps in ${seconds.toFixed(1)} s`);
  expect(acc).toBeGreaterThanOrEqual(0.9);
  expect(seconds).toBeLessThan(60);

  optimizer.dispose();
  model.dispose();
  expect(gg.runtime().memory().liveBuffers).toBe(baseline);
}, 120_000);
