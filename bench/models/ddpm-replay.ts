// Benchmark (not a test): replays PyTorch's longer DDPM run, as recorded by
// `python3 bench/reference/pytorch_ddpm.py --long` (a 28x28 conditional U-Net, 100+ steps), with gengpu's
// UNet, diffusionLossAt, Adam, clipGradNorm and weight average on the same initial weights and draws, and
// prints each step's loss from both sides, the largest loss and gradient-norm differences, and how far the
// final weights and their average are from PyTorch's. tests/models/ddpm-pytorch.test.ts does the same for
// ten steps of a small U-Net.
//   python3 bench/reference/pytorch_ddpm.py --long && npx tsx bench/models/ddpm-replay.ts
import { existsSync, readFileSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { UNet } from '../../src/models/diffusion/index.js';
import { fingerprint, replayDdpm, type DdpmReplay, type Fingerprint } from '../../tests/helpers/ddpm-replay.js';

const path = new URL('../results/pytorch-ddpm-replay.json', import.meta.url).pathname;
if (!existsSync(path)) throw new Error(`bench/models/ddpm-replay: ${path} is missing; make it with: python3 bench/reference/pytorch_ddpm.py --long`);
const replay = JSON.parse(readFileSync(path, 'utf8')) as DdpmReplay;

await gg.init();
const { config, train } = replay;
const [B, C, S] = [train.batchSize, config.channels, config.size];
const probe = new UNet(config);
console.log(`replaying PyTorch's DDPM run: ${probe.numParameters()} parameters (${C}x${S}x${S}, channels ${config.baseChannels} x [${config.channelMults.join(', ')}], ` +
  `${config.numClasses} classes), batch ${B}, ${train.steps} steps`);
probe.dispose();
console.log('step   t (per example)          gengpu loss   PyTorch loss   difference   grad norm rel. diff');
const started = performance.now();
let [worstLoss, worstLossStep, worstNorm, worstNormStep] = [0, 0, 0, 0];
const { model, average } = await replayDdpm(replay, train.steps, (step, { loss, gradNorm }) => {
  const theirs = replay.losses[step];
  const normDiff = gradNorm / replay.gradNorms[step] - 1;
  if (Math.abs(loss - theirs) > worstLoss) [worstLoss, worstLossStep] = [Math.abs(loss - theirs), step];
  if (Math.abs(normDiff) > worstNorm) [worstNorm, worstNormStep] = [Math.abs(normDiff), step];
  console.log(`${String(step).padStart(4)}   ${replay.t[step].map((v) => String(v).padStart(3)).join(' ').padEnd(22)}   ${loss.toFixed(7)}     ${theirs.toFixed(7)}     ${(loss - theirs).toExponential(2).padStart(9)}    ${normDiff.toExponential(2).padStart(9)}`);
});
const seconds = (performance.now() - started) / 1000;

/** The largest difference of the first values, and of the sums scaled by 1/sqrt(n), over a module's weights. */
async function weightGap(module: UNet, expected: Record<string, Fingerprint>): Promise<{ first: number; sums: number }> {
  let [first, sumGap] = [0, 0];
  for (const [name, weight] of module.namedParameters()) {
    const actual = fingerprint(name, (await weight.data()) as Float32Array);
    const e = expected[name];
    first = Math.max(first, ...actual.first.map((v, i) => Math.abs(v - e.first[i])));
    sumGap = Math.max(sumGap, Math.abs(actual.sum - e.sum) / Math.sqrt(weight.size), Math.abs(actual.sumOfSquares - e.sumOfSquares) / Math.sqrt(weight.size));
  }
  return { first, sums: sumGap };
}
const weights = await weightGap(model, replay.final);
const averaged = await weightGap(average, replay.averageFinal);
console.log(`\n${train.steps} steps in ${seconds.toFixed(0)} s (${((1000 * seconds) / train.steps).toFixed(0)} ms per step, ${gg.runtime().adapterInfo.description || gg.runtime().adapterInfo.vendor})`);
console.log(`largest loss difference:               ${worstLoss.toExponential(2)} (step ${worstLossStep})`);
console.log(`largest gradient norm rel. difference: ${worstNorm.toExponential(2)} (step ${worstNormStep})`);
console.log(`final weights, largest |first values difference|: ${weights.first.toExponential(2)}; |sum difference| / sqrt(n): ${weights.sums.toExponential(2)}`);
console.log(`weight average, the same:                          ${averaged.first.toExponential(2)}; ${averaged.sums.toExponential(2)}`);
model.dispose();
average.dispose();
