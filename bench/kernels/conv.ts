// The convolution family at DCGAN-on-MNIST shapes (4x4 kernels, stride 2, padding 1): the
// discriminator's convolutions, the generator's transposed convolutions and the second
// convolution's weight gradient, each over gengpu's numbered conv ladder beside the automatic
// choice; checked against tests/helpers/op-references.ts's float64 convolutions (on the batch's
// first images, or at sampled weight positions: the whole reference would take seconds), then
// timed beside the peers' conv2d and conv_transpose2d. Alone, in Node: `npx tsx bench/kernels/conv.ts [--quick]`.

import * as gg from '../../src/index.js';
import { atPositions, conv2dRef, conv2dWeightGradElements, convTranspose2dRef, type Geometry } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case, type GengpuImpl } from '../harness/cases.js';
import { HostRandom, hostRef, samplePositions, type HostTensor, type Reference } from '../harness/harness.js';

const geometry: Geometry = { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1 };
const stridePadding = { stride: 2, padding: 1 };

/** Images at the head of the batch the convolution references compute (their outputs come first). */
const checkedImages = 2;

function firstImagesReference(x: HostTensor, w: HostTensor, transposed: boolean): Reference {
  const head = hostRef({ data: x.data.subarray(0, (x.data.length / x.shape[0]) * checkedImages), shape: [checkedImages, ...x.shape.slice(1)] });
  const { data } = transposed ? convTranspose2dRef(head, hostRef(w), null, geometry, [0, 0]) : conv2dRef(head, hostRef(w), null, geometry);
  return { values: data, at: Array.from(data, (_, i) => i), tolerance: 1e-4 };
}

/** gengpu's automatic choice for `op`, then every numbered conv variant forced, on uploads of `inputs`. */
function convLadder(
  op: gg.ConvOp, inputs: HostTensor[], reps: number,
  run: (tensors: gg.Tensor[], options: gg.Conv2dOptions) => gg.Tensor,
): GengpuImpl[] {
  return [undefined, ...gg.convVariants].map((variant, rung) => ({
    library: variant ? `gengpu conv ${rung}: ${variant}` : `gengpu (auto: ${gg.chooseConvVariant(op, 1)})`,
    role: variant ? 'variant' as const : 'gengpu' as const,
    prepare() {
      const tensors = inputs.map(upload);
      return gengpuCase(() => run(tensors, { ...stridePadding, variant }), reps, tensors);
    },
  }));
}

/** The discriminator's convolutions and the generator's transposed convolutions of the DCGAN step. */
function convCase(name: string, transposed: boolean, xShape: number[], wShape: number[], random: HostRandom): Case {
  const x = random.uniform(xShape);
  const w = random.uniform(wShape, -0.1, 0.1);
  // Multiply-adds over the input (transposed) or output (direct) positions, two flops each.
  const flops = transposed
    ? 2 * xShape[0] * xShape[1] * xShape[2] * xShape[3] * wShape[1] * wShape[2] * wShape[3]
    : 2 * xShape[0] * (xShape[2] / 2) * (xShape[3] / 2) * wShape[0] * wShape[1] * wShape[2] * wShape[3];
  const reps = repsFor(flops, 2 ** 27);
  return {
    suite: transposed ? 'conv-transpose2d' : 'conv2d',
    name: `${name} (batch ${xShape[0]}, 4x4 stride 2)`,
    unit: 'GFLOPS', work: flops, reps,
    reference: () => firstImagesReference(x, w, transposed),
    gengpu: convLadder(transposed ? 'convTranspose2d' : 'conv2d', [x, w], reps, ([gx, gw], options) =>
      transposed ? gg.convTranspose2d(gx, gw, null, options) : gg.conv2d(gx, gw, null, options)),
    peer: { kind: transposed ? 'convTranspose2d' : 'conv2d', x, w, ...stridePadding },
  };
}

/** The discriminator's second convolution's weight gradient (gengpu's ladder; the peers' run inside their training steps). */
function weightGradCase(batch: number, random: HostRandom): Case {
  const x = random.uniform([batch, 64, 14, 14]);
  const dy = random.uniform([batch, 128, 7, 7]);
  const flops = 2 * batch * 7 * 7 * 128 * 64 * 16;
  const reps = repsFor(flops, 2 ** 27);
  return {
    suite: 'conv2d weight gradient', name: `D conv2 64->128, 14x14 -> 7x7 (batch ${batch}, 4x4 stride 2)`,
    unit: 'GFLOPS', work: flops, reps,
    reference() {
      const weights = conv2dWeightGradElements(hostRef(x), hostRef(dy), [4, 4], geometry);
      const at = samplePositions(128 * 64 * 4 * 4);
      return { values: atPositions(weights, at), at, tolerance: 1e-4 };
    },
    gengpu: convLadder('weightGrad', [x, dy], reps, ([gx, gdy], options) => gg.conv2dWeightGrad(gx, gdy, 4, options)),
    peer: 'weight gradients alone are not asked of the peers (they run inside the training steps)',
  };
}

export function convCases(quick: boolean): Case[] {
  const random = new HostRandom(2031);
  // The quick check runs the peers' slowest kernels, so it uses a smaller batch and fewer shapes.
  const batch = quick ? 8 : 64;
  const cases = [
    convCase('D conv1 1->64, 28x28 -> 14x14', false, [batch, 1, 28, 28], [64, 1, 4, 4], random),
    convCase('D conv2 64->128, 14x14 -> 7x7', false, [batch, 64, 14, 14], [128, 64, 4, 4], random),
    convCase('G convT1 128->64, 7x7 -> 14x14', true, [batch, 128, 7, 7], [128, 64, 4, 4], random),
    convCase('G convT2 64->1, 14x14 -> 28x28', true, [batch, 64, 14, 14], [64, 1, 4, 4], random),
  ];
  return [...(quick ? [cases[0], cases[2]] : cases), weightGradCase(batch, random)];
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(convCases);
