// The random-number family: a large uniform [0, 1) sample from gengpu's Philox generator, checked
// not value by value but on its mean and variance (within 5 standard errors of 1/2 and 1/12), then
// timed beside the peers' uniform sampling. Alone, in Node: `npx tsx bench/kernels/random.ts`.

import * as gg from '../../src/index.js';
import { gengpuCase, isEntryPoint, repsFor, type Case } from '../harness/cases.js';

/** The mean and variance of a sample: what the RNG rows are checked on. */
function moments(values: ArrayLike<number>): number[] {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= values.length;
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += (values[i] - mean) ** 2;
  return [mean, variance / values.length];
}

function uniformCase(size: number): Case {
  const bytes = 4 * size;
  const reps = repsFor(bytes, 2 ** 26);
  const generator = new gg.Generator(5);
  return {
    suite: 'rng', name: `uniform [0, 1), ${size} values`, unit: 'GB/s', work: bytes, reps,
    reference: () => ({ values: Float64Array.of(0.5, 1 / 12), tolerance: 5 * Math.sqrt(1 / 12 / size) * 2 }),
    checked: moments,
    gengpu: [{
      library: 'gengpu (Philox)', role: 'gengpu',
      prepare: () => gengpuCase(() => gg.uniform([size], 0, 1, { generator }), reps, []),
    }],
    peer: { kind: 'uniform', size },
  };
}

export const randomCases = (): Case[] => [uniformCase(1 << 22)];

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(randomCases);
