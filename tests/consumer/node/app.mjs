// A plain Node ESM program, as a user writes it after `npm install gengpu webgpu`: trains a tiny MLP.
import * as gg from 'gengpu';

await gg.init();
gg.manualSeed(0);
const model = new gg.nn.Sequential(new gg.nn.Linear(2, 16), new gg.nn.ReLU(), new gg.nn.Linear(16, 1));
const optimizer = new gg.optim.Adam(model.parameters(), { lr: 0.02 });
const x = gg.randn([128, 2]);
const y = x.matmul(gg.tensor([[1], [-2]])).add(0.5);
const losses = [];
for (let step = 0; step < 60; step++) {
  const loss = gg.scope(() => {
    optimizer.zeroGrad();
    const l = gg.nn.mseLoss(model.forward(x), y);
    l.backward();
    optimizer.step();
    return l;
  });
  losses.push(await loss.item());
  loss.dispose();
}
console.log(JSON.stringify({ adapter: gg.runtime().adapterInfo.architecture, firstLoss: losses[0], lastLoss: losses.at(-1) }));
gg.shutdown();
