// The model both consumer apps train (kept to the public API a newcomer would use): an MLP fits
// y = x0 - 2 x1 + 0.5 on random points with Adam; returns the first and last loss and the adapter.
import * as gg from 'gengpu';

export interface TrainingReport {
  adapter: string;
  firstLoss: number;
  lastLoss: number;
  steps: number;
}

export async function trainTinyModel(steps = 60): Promise<TrainingReport> {
  const runtime = await gg.init();
  gg.manualSeed(0);
  const model = new gg.nn.Sequential(new gg.nn.Linear(2, 16), new gg.nn.ReLU(), new gg.nn.Linear(16, 1));
  const optimizer = new gg.optim.Adam(model.parameters(), { lr: 0.02 });
  const x = gg.randn([128, 2]);
  const y = x.matmul(gg.tensor([[1], [-2]])).add(0.5);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = gg.scope(() => {
      optimizer.zeroGrad();
      const l = gg.nn.mseLoss(model.forward(x), y);
      l.backward();
      optimizer.step();
      return l;
    });
    if (step === 0 || step === steps - 1) losses.push(await loss.item());
    loss.dispose();
  }
  const { vendor, architecture } = runtime.adapterInfo;
  return { adapter: `${vendor} ${architecture}`, firstLoss: losses[0], lastLoss: losses[1], steps };
}
