// The smoke subset that runs both in Node and in headless Chromium: a few ops of each family, a
// short training loop and an image decode. tests/browser/browser.test.ts runs it in both places and
// compares the numbers.

import * as gg from '../../src/index.js';

export type SmokeResults = Record<string, number[]>;

export async function runSmokeCases(): Promise<SmokeResults> {
  await gg.init();
  const results: SmokeResults = {};
  const read = async (name: string, t: gg.Tensor) => {
    results[name] = Array.from(await t.data());
    t.dispose();
  };

  const x = gg.tensor([[0.5, -1.5, 2], [3, -0.25, 1]]);
  const y = gg.tensor([1, -2, 0.5]);
  await read('elementwise', gg.scope(() => x.mul(y).add(1).tanh().exp()));
  await read('reduce', gg.scope(() => x.sum(0).add(x.max(1).sum())));

  await read('matmul', gg.scope(() => x.matmul(x, { transB: true }).matmul(x).add(x.T.matmul(x).sum(0))));
  await read('softmax', gg.scope(() => x.softmax(-1).add(x.logSoftmax(0))));
  await read('indexing', gg.scope(() => gg.concat([x.slice(1, 1, 3), x.gather(1, gg.tensor([[2, 0], [1, 1]], { dtype: 'i32' }))], 0)));
  await read('conv2d', gg.scope(() => {
    const image = gg.arange(0, 2 * 3 * 5 * 5, 1, { dtype: 'f32' }).reshape([2, 3, 5, 5]).mul(0.01);
    const kernel = gg.linspace(-1, 1, 4 * 3 * 3 * 3).reshape([4, 3, 3, 3]);
    return gg.conv2d(image, kernel, null, { stride: 2, padding: 1 }).maxPool2d(2);
  }));

  // The counter-based RNG must give the same numbers in every browser and in Node.
  const generator = new gg.Generator(2026);
  await read('rand', gg.rand([37], { generator }));
  await read('randn', gg.randn([37], { generator }));
  await read('randomBits', gg.randomBits([9], { generator }));

  // Gradient of a small expression.
  const w = gg.tensor([0.1, -0.2, 0.3], { requiresGrad: true });
  gg.scope(() => x.mul(w).sigmoid().mean().backward());
  await read('gradient', w.grad!.clone());

  // Fit y = 2x - 1 with plain gradient descent; the losses must fall.
  const a = gg.tensor([0], { requiresGrad: true });
  const b = gg.tensor([0], { requiresGrad: true });
  const inputs = gg.linspace(-1, 1, 33);
  const targets = gg.scope(() => inputs.mul(2).sub(1));
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const loss = gg.scope(() => {
      const l = inputs.mul(a).add(b).sub(targets).square().mean();
      l.backward();
      gg.noGrad(() => {
        a.assign(a.sub(a.grad!.mul(0.3)));
        b.assign(b.sub(b.grad!.mul(0.3)));
      });
      a.grad!.dispose();
      a.grad = null;
      b.grad!.dispose();
      b.grad = null;
      return l;
    });
    losses.push(await loss.item());
    loss.dispose();
  }
  results.losses = losses;

  // An opaque RGB PNG decodes to the same pixels through the browser's decoder and through fast-png in Node.
  const pixels = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 97 + 13) % 256);
  const decoded = await gg.models.decodeImage(await gg.metrics.encodePng({ width: 5, height: 3, channels: 3, pixels }));
  results.decodeImage = [decoded.width, decoded.height, decoded.channels, ...decoded.pixels];
  for (const t of [x, y, w, a, b, inputs, targets]) t.dispose();
  results.liveBuffers = [gg.runtime().memory().liveBuffers];
  return results;
}
