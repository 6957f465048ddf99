// Where a training step's GPU time goes: each model of bench/models/steps.ts, one step profiled
// with gg.profile (timestamp queries), its kernels listed by time. The first question before
// optimising a step (are the matmuls the step, or the cheap ops around them?).
// `npx tsx bench/models/step-profile.ts [--fusion] [--only text] [--kernels N]`

import * as gg from '../../src/node.js';
import { trainingStepCases } from './steps.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = option('--only');
const kernels = Number(option('--kernels') ?? 12);

await gg.init();
gg.setFusion(args.includes('--fusion'));
const rt = gg.runtime();
console.log(`${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim() + (gg.isFusionEnabled() ? ', fusion on' : ''));
for (const c of trainingStepCases(false)) {
  if (only && !c.name.includes(only)) continue;
  const step = c.gengpu[0].prepare();
  // Two checked steps and one more: pipelines are compiled and the pool holds the step's buffers.
  await step.check();
  await step.iterate();
  const profile = await gg.profile(() => step.iterate());
  console.log(`\n${c.name}\n${profile.table(kernels)}`);
  step.dispose();
}
gg.shutdown();
