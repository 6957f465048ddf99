// The benchmark's cases in report order, gathered from the kernel families (bench/kernels/*.ts:
// matmul and its ladder of variants, batched matmul, weights stored as halves (linearHalf),
// softmax, conv2d and conv-transpose2d at DCGAN-on-MNIST shapes with the weight gradient, group
// norm at U-Net shapes, attention, reductions, elementwise chains, a GELU MLP block with its matmul
// epilogues, RNG, an Adam step over many tensors) and the training steps
// (bench/models/steps.ts: MLP, VAE, DCGAN, GPT's CPU configuration, one GMM EM iteration).
// bench/run.ts runs them in Node or through the page (bench/page.ts).

import type { Case } from './harness/cases.js';
import { attentionCases } from './kernels/attention.js';
import { blockCases } from './kernels/blocks.js';
import { convCases } from './kernels/conv.js';
import { chainCases } from './kernels/elementwise.js';
import { groupNormCases } from './kernels/groupnorm.js';
import { halfCases } from './kernels/half.js';
import { matmulCases } from './kernels/matmul.js';
import { optimizerCases } from './kernels/optimizer.js';
import { randomCases } from './kernels/random.js';
import { reductionCases } from './kernels/reduce.js';
import { softmaxCases } from './kernels/softmax.js';
import { trainingStepCases } from './models/steps.js';

/** Every case; `quick` keeps the first size of each suite. */
export const allCases = (quick: boolean): Case[] =>
  [matmulCases, halfCases, softmaxCases, convCases, groupNormCases, attentionCases, reductionCases, chainCases, blockCases, randomCases, optimizerCases, trainingStepCases].flatMap((family) => family(quick));
