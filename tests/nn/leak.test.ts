// Training steps through every layer and a loss leave the live-buffer count where it started, and a
// forward pass without a graph, outside any scope, leaves exactly its output behind (the layers
// free their own intermediates when nothing records them).
import { expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { nn } = gg;

class Everything extends nn.Module {
  readonly embed: gg.nn.Embedding;
  readonly norm: gg.nn.LayerNorm;
  readonly fc: gg.nn.Linear;
  readonly drop: gg.nn.Dropout;
  readonly bn: gg.nn.BatchNorm2d;
  readonly conv: gg.nn.Conv2d;
  readonly groupNorm: gg.nn.GroupNorm;
  readonly upsample: gg.nn.Upsample;
  readonly up: gg.nn.ConvTranspose2d;
  readonly head: gg.nn.Sequential;

  constructor(generator: gg.Generator) {
    super();
    this.embed = this.registerModule('embed', new nn.Embedding(10, 8, { generator }));
    this.norm = this.registerModule('norm', new nn.LayerNorm(8));
    this.fc = this.registerModule('fc', new nn.Linear(8, 8, { generator }));
    this.drop = this.registerModule('drop', new nn.Dropout(0.1, { generator }));
    this.bn = this.registerModule('bn', new nn.BatchNorm2d(8));
    this.conv = this.registerModule('conv', new nn.Conv2d(8, 4, [3, 1], { padding: [1, 0], generator }));
    this.groupNorm = this.registerModule('groupNorm', new nn.GroupNorm(2, 4));
    this.upsample = this.registerModule('upsample', new nn.Upsample({ scaleFactor: [2, 1] }));
    this.up = this.registerModule('up', new nn.ConvTranspose2d(4, 2, [2, 1], { stride: [2, 1], generator }));
    this.head = this.registerModule('head', new nn.Sequential(new nn.Flatten(), new nn.Linear(48, 3, { generator })));
  }

  /** tokens [N, 6] -> logits [N, 3] */
  forward(tokens: gg.Tensor): gg.Tensor {
    const h = this.drop.forward(this.fc.forward(this.norm.forward(this.embed.forward(tokens))).gelu());
    const image = h.permute([0, 2, 1]).unsqueeze(-1); // [N, 8, 6, 1]
    const features = this.groupNorm.forward(this.conv.forward(this.bn.forward(image))).silu(); // [N, 4, 6, 1]
    return this.head.forward(this.up.forward(this.upsample.forward(features)));
  }
}

it('keeps the live-buffer count flat over training steps through every layer', async () => {
  const rt = gg.runtime();
  const baseline = rt.memory().liveBuffers;
  const generator = new gg.Generator(11);
  const model = new Everything(generator);
  const tokens = gg.randint(0, 10, [5, 6], { generator });
  const labels = gg.randint(0, 3, [5], { generator });
  const afterSetup = rt.memory().liveBuffers;
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    const loss = gg.scope(() => {
      const l = nn.crossEntropy(model.forward(tokens), labels, { labelSmoothing: 0.05 });
      l.backward();
      gg.noGrad(() => {
        for (const p of model.parameters()) p.assign(p.sub(p.grad!.mul(0.1)));
      });
      model.zeroGrad();
      return l;
    });
    losses.push(await loss.item());
    loss.dispose();
    expect(rt.memory().liveBuffers, `live buffers after step ${step}`).toBe(afterSetup);
  }
  expect(losses[losses.length - 1]).toBeLessThan(losses[0]);

  for (const t of [tokens, labels]) t.dispose();
  model.dispose();
  expect(rt.memory().liveBuffers).toBe(baseline);
});

it('each layer, run without a graph outside any scope, leaves only its output', () => {
  const rt = gg.runtime();
  const generator = new gg.Generator(12);
  const image = gg.randn([2, 4, 5, 5], { generator });
  const rows = gg.randn([3, 2, 8], { generator });
  const tokens = gg.randint(0, 10, [2, 3], { generator });
  const cases: [gg.nn.Module, gg.Tensor][] = [
    [new nn.Linear(8, 4, { generator }), rows],
    [new nn.LayerNorm(8), rows],
    [new nn.BatchNorm1d(2), rows],
    [new nn.BatchNorm1d(2).eval(), rows],
    [new nn.Dropout(0.5, { generator }), rows],
    [new nn.Embedding(10, 4, { generator }), tokens],
    [new nn.Conv2d(4, 3, 3, { generator }), image],
    [new nn.ConvTranspose2d(4, 3, 3, { generator }), image],
    [new nn.BatchNorm2d(4), image],
    [new nn.GroupNorm(2, 4), image],
    [new nn.Upsample({ scaleFactor: 2 }), image],
  ];
  for (const [layer, input] of cases) {
    const before = rt.memory().liveBuffers;
    const out = gg.noGrad(() => layer.forward(input));
    out.realize(); // a fused result (Linear's x Wᵀ + b) takes its buffer when computed
    expect(rt.memory().liveBuffers, `${layer} in ${layer.training ? 'training' : 'evaluation'}`).toBe(before + 1);
    out.dispose();
    layer.dispose();
  }
  for (const t of [image, rows, tokens]) t.dispose();
});
