// Where a training step's time goes, for each model of bench/models/steps.ts: the CPU time that
// recording one step takes (op code and dispatch encoding, what a fast GPU waits on), eagerly and
// replayed by gg.capture, and the GPU time of each kernel (gg.profile, timestamp queries). The
// first questions before optimising a step: is it CPU- or GPU-bound, and are the matmuls the step
// or the cheap ops around them?
// `npx tsx bench/models/step-profile.ts [--no-fusion] [--only text] [--kernels N]`

import * as gg from '../../src/node.js';
import { trainingStepCases } from './steps.js';
import type { Prepared } from '../harness/harness.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = option('--only');
const kernels = Number(option('--kernels') ?? 12);
const RECORD_SAMPLES = 9;

/** The median CPU time of recording one iteration (until it first waits), with the GPU idle at its start. */
async function recordMs(step: Prepared): Promise<number> {
  const rt = gg.runtime();
  const samples: number[] = [];
  for (let i = 0; i < RECORD_SAMPLES; i++) {
    await rt.sync();
    const start = performance.now();
    const iteration = step.iterate();
    samples.push(performance.now() - start);
    await iteration;
  }
  return samples.sort((a, b) => a - b)[RECORD_SAMPLES >> 1];
}

await gg.init();
gg.setFusion(!args.includes('--no-fusion'));
const rt = gg.runtime();
console.log(`${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim() + (gg.isFusionEnabled() ? '' : ', fusion off'));
for (const c of trainingStepCases(false)) {
  if (only && !c.name.includes(only)) continue;
  console.log(`\n${c.name}`);
  for (const impl of c.gengpu) {
    const step = impl.prepare();
    // Two checked steps and two more: pipelines are compiled, the pool holds the step's buffers, and a
    // captured step has recorded and replays.
    await step.check();
    for (let i = 0; i < 2; i++) await step.iterate();
    const before = rt.counters.dispatches;
    const cpu = await recordMs(step);
    const dispatches = (rt.counters.dispatches - before) / RECORD_SAMPLES;
    console.log(`  CPU ${cpu.toFixed(2).padStart(7)} ms to record a step, ${dispatches} dispatches: ${impl.library}`);
    if (impl.role === 'gengpu') {
      const profile = await gg.profile(() => step.iterate());
      console.log(profile.table(kernels).replace(/^/gm, '  '));
    }
    step.dispose();
  }
}
gg.shutdown();
