// The leak soak: N training steps of every model trainer (an MLP under gg.trainLoop with Adam, SGD
// with momentum, and AdamW + clipGradNorm + a cosine schedule; VaeTrainer with an MlpVae and a
// ConvVae; GanTrainer with an MLP GAN under each loss and a tiny DCGAN; trainLanguageModel with a
// GPT and a CharRNN, with evaluation, sampleText and generate; GaussianMixture and GaussianHMM fit /
// predict / score / sample; the forecaster's trainer, fit and forecast), with checkpoint save / load
// round trips between rounds. After every
// step it reads the live GPU buffers: they must stay exactly flat after the warm-up and come back to
// the baseline once each trainer has disposed what it made. The trainers and the checks are in
// tests/robustness/soak.ts (tests/robustness/leak-soak.test.ts runs the same with 20 steps).
//
//   npx tsx bench/robustness/leak-soak.ts [--steps 1000] [--round 50] [--only gpt,gan-hinge] [--warmup 51]
//
// --round: steps between checkpoint round trips / evaluation / sampling (default: a twentieth of
// the steps, 5 to 50); --warmup: steps before the count must stay flat (default round + 1); --only:
// trainers whose name contains one of these. Prints progress per trainer (steps, live buffers,
// drift, ms/step, ETA), then a table; exits 1 if any trainer drifts, fails to return to its
// baseline, or throws. With NODE_OPTIONS=--expose-gc the heap figures are taken after a full GC.

import { init, shutdown, formatDuration, Tensor } from '../../src/node.js';
import { defaultRoundSteps, formatSoakTable, runSoak, soakCases, type SoakResult } from '../../tests/robustness/soak.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const steps = Number(option('steps', '1000'));
const roundSteps = Number(option('round', String(defaultRoundSteps(Number.isInteger(steps) && steps > 0 ? steps : 1000))));
const warmupOption = option('warmup', '');
const warmupSteps = warmupOption ? Number(warmupOption) : undefined;
const only = option('only', '').split(',').filter(Boolean);
for (const [name, v] of [['steps', steps], ['round', roundSteps], ['warmup', warmupSteps ?? 1]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
}

const runtime = await init();
// A tensor garbage-collected without dispose() is named on the console (its buffer leaked).
Tensor.warnOnLeak = true;
const cases = soakCases().filter((c) => only.length === 0 || only.some((o) => c.name.includes(o)));
if (cases.length === 0) throw new Error(`--only ${only.join(',')} matches no trainer (${soakCases().map((c) => c.name).join(', ')})`);
console.log(
  `leak soak: ${steps} steps of each of ${cases.length} trainers, rounds of ${roundSteps}, warm-up ${warmupSteps ?? Math.min(steps, roundSteps + 1)} steps; ` +
    `adapter ${runtime.adapterInfo.vendor} ${runtime.adapterInfo.architecture}`,
);

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const results: SoakResult[] = [];
const started = performance.now();
for (const c of cases) {
  console.log(`\n[${c.name}] ${c.detail}`);
  const result = await runSoak(c, {
    steps,
    roundSteps,
    warmupSteps,
    onProgress: (p) =>
      console.log(
        `[${p.name}] step ${String(p.step).padStart(String(p.steps).length)}/${p.steps}  live ${p.liveBuffers} buffers (drift ${p.drift >= 0 ? '+' : ''}${p.drift})  ` +
          `${p.msPerStep.toFixed(1)} ms/step  ETA ${formatDuration(p.etaSeconds)}  heap ${mb(process.memoryUsage().heapUsed)} MB`,
      ),
  });
  results.push(result);
  console.log(
    `[${c.name}] ${result.problems.length === 0 ? 'ok' : 'FAIL'}: ${result.stepsDone} steps in ${formatDuration(result.seconds)}; live ${result.start.liveBuffers} -> ` +
      `${result.afterWarmup?.liveBuffers ?? '-'} after warm-up -> ${result.end?.liveBuffers ?? '-'} at the end -> ${result.final.liveBuffers} after disposing; ` +
      `max drift ${result.maxDrift}; pool up to ${result.maxPooledBuffers} buffers, ${result.poolGrowth} new after the warm-up` +
      (result.heap ? `; JS heap ${mb(result.heap.afterWarmup)} MB after the warm-up, ${mb(result.heap.end)} MB at the end` : ''),
  );
  for (const problem of result.problems) console.log(`[${c.name}]   ! ${problem}`);
  if (result.error) console.log(result.error);
}

console.log(`\nleak soak: ${steps} steps each, ${formatDuration((performance.now() - started) / 1000)} in all\n${formatSoakTable(results)}`);
const failed = results.filter((r) => r.problems.length > 0);
if (failed.length > 0) {
  console.log(`\n${failed.length} trainer(s) failed:`);
  for (const r of failed) for (const problem of r.problems) console.log(`  ${r.name}: ${problem}`);
} else {
  console.log('\nevery trainer kept its live buffers flat and returned to its baseline');
}
shutdown();
process.exit(failed.length > 0 ? 1 : 0);
