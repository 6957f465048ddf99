// The execution engine changes no number: each training step of bench/models/steps.ts run for N steps
// three ways from the same weights and batch, eagerly with fusion off and one optimizer launch per
// parameter (each op its hand-written kernel), eagerly fused with the optimizer's parameters side by
// side (gg.optim.setForeach), and that replayed by gg.capture, and the largest difference between
// their losses at any step. Expected: 0, every step (a step that clips its gradients' global norm
// may differ in the last bits: the norm is summed per run of parameters instead of per parameter).
// `npx tsx bench/models/replay-check.ts [--steps 100] [--only text,text]`

import * as gg from '../../src/node.js';
import { trainingStepCases } from './steps.js';
import type { Prepared } from '../harness/harness.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const steps = Number(option('--steps') ?? 100);
const only = option('--only')?.split(',');
if (!Number.isInteger(steps) || steps < 2 || steps % 2 !== 0) throw new Error(`--steps must be an even integer >= 2, got ${steps}`);

/** `steps` losses of a prepared step (its check() takes two steps and returns their losses), with fusion and foreach as given. */
async function losses(prepare: () => Prepared, fusion: boolean): Promise<number[]> {
  gg.setFusion(fusion);
  gg.optim.setForeach(fusion);
  const step = prepare();
  const out: number[] = [];
  try {
    while (out.length < steps) out.push(...Array.from(await step.check()));
  } finally {
    step.dispose();
  }
  return out;
}

await gg.init();
console.log(`${steps} steps each; largest |loss difference| against eager unfused steps:`);
for (const c of trainingStepCases(false)) {
  if (c.gengpu.length < 2 || (only && !only.some((text) => c.name.includes(text)))) continue;
  const [eager, replayed] = c.gengpu;
  const started = performance.now();
  const reference = await losses(() => eager.prepare(), false);
  const fused = await losses(() => eager.prepare(), true);
  const replay = await losses(() => replayed.prepare(), true);
  const worst = (run: number[]) => Math.max(...run.map((loss, i) => Math.abs(loss - reference[i])));
  console.log(`${c.name}\n  fused (foreach) ${worst(fused)}, fused and replayed ${worst(replay)}; losses ${reference[0].toFixed(4)} -> ${reference[steps - 1].toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}
gg.shutdown();
