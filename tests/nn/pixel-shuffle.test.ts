// pixelShuffle / pixelUnshuffle (nn.functional and the nn modules) against a float64 reference: values
// and finite-difference gradients over odd sizes, factors 1 to 4 and extra leading dimensions; each the
// other's inverse; PyTorch's documented layout on a small case; errors naming the op and the shapes;
// live buffers back to baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { ref, unravel, type Ref } from '../helpers/reference.js';

const { nn } = gg;
const { pixelShuffle, pixelUnshuffle } = nn.functional;

/** out[.., c, h r + i, w r + j] = x[.., c r² + i r + j, h, w]. */
function shuffleRef(x: Ref, r: number): Ref {
  const [c, h, w] = x.shape.slice(-3);
  const lead = x.shape.slice(0, -3);
  const shape = [...lead, c / (r * r), h * r, w * r];
  return ref(shape, (index) => {
    const coords = unravel(index, shape);
    const [oc, oh, ow] = coords.slice(-3);
    const source = [...coords.slice(0, -3), oc * r * r + (oh % r) * r + (ow % r), Math.floor(oh / r), Math.floor(ow / r)];
    return x.data[source.reduce((flat, v, d) => flat * x.shape[d] + v, 0)];
  });
}

/** The inverse: out[.., c r² + i r + j, h, w] = x[.., c, h r + i, w r + j]. */
function unshuffleRef(x: Ref, r: number): Ref {
  const [c, h, w] = x.shape.slice(-3);
  const lead = x.shape.slice(0, -3);
  const shape = [...lead, c * r * r, h / r, w / r];
  return ref(shape, (index) => {
    const coords = unravel(index, shape);
    const [oc, oh, ow] = coords.slice(-3);
    const block = oc % (r * r);
    const source = [...coords.slice(0, -3), Math.floor(oc / (r * r)), oh * r + Math.floor(block / r), ow * r + (block % r)];
    return x.data[source.reduce((flat, v, d) => flat * x.shape[d] + v, 0)];
  });
}

describe('pixelShuffle and pixelUnshuffle', () => {
  const shuffleCases: [number[], number][] = [[[1, 4, 3, 5], 2], [[2, 18, 3, 2], 3], [[1, 16, 2, 3], 4], [[3, 5, 2, 2], 1], [[2, 2, 9, 1, 3], 3]];
  it('pixelShuffle: values and gradients against float64', async () => {
    for (const [i, [shape, r]] of shuffleCases.entries()) {
      await checkOp({ inputs: [shape], seed: i, gpu: (x) => pixelShuffle(x, r), ref: (x) => shuffleRef(x, r) });
    }
  });

  const unshuffleCases: [number[], number][] = [[[1, 1, 4, 6], 2], [[2, 3, 9, 6], 3], [[1, 2, 4, 8], 4], [[2, 1, 3, 3, 6], 3]];
  it('pixelUnshuffle: values and gradients against float64', async () => {
    for (const [i, [shape, r]] of unshuffleCases.entries()) {
      await checkOp({ inputs: [shape], seed: 10 + i, gpu: (x) => pixelUnshuffle(x, r), ref: (x) => unshuffleRef(x, r) });
    }
  });

  it("matches PyTorch's layout and each undoes the other (the modules too)", async () => {
    const before = gg.runtime().memory().liveBuffers;
    // torch.nn.functional.pixel_shuffle(torch.arange(8.).view(1, 8, 1, 1), 2) has channels 0-3 and 4-7 as two 2x2 blocks.
    const [shuffled, image, channels, back] = gg.scope(() => {
      const blocks = new nn.PixelShuffle(2).forward(gg.arange(8).reshape([1, 8, 1, 1]));
      const picture = gg.arange(2 * 6 * 6).reshape([1, 2, 6, 6]);
      const unshuffled = new nn.PixelUnshuffle(3).forward(picture);
      return [blocks, picture, unshuffled, pixelShuffle(unshuffled, 3)];
    });
    expect(shuffled.shape).toEqual([1, 2, 2, 2]);
    expect([...(await shuffled.data())]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(channels.shape).toEqual([1, 18, 2, 2]);
    expect([...(await channels.data())].slice(0, 4)).toEqual([0, 3, 18, 21]);
    expect([...(await back.data())]).toEqual([...(await image.data())]);
    for (const t of [shuffled, image, channels, back]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('rejects bad shapes and factors, naming the op and the shape', () => {
    gg.scope(() => {
      expect(() => pixelShuffle(gg.zeros([1, 6, 2, 2]), 2)).toThrow(/pixelShuffle: 6 channels .*divisible by upscaleFactor² = 4.*\[1, 6, 2, 2\]/s);
      expect(() => pixelUnshuffle(gg.zeros([1, 1, 4, 5]), 2)).toThrow(/pixelUnshuffle: .*width 5.*\[1, 1, 4, 5\]/s);
      expect(() => pixelShuffle(gg.zeros([4, 2]), 2)).toThrow(/pixelShuffle: expected .*rank 2/);
      expect(() => pixelShuffle(gg.zeros([1, 4, 2, 2]), 1.5)).toThrow(/pixelShuffle: upscaleFactor/);
      expect(() => new nn.PixelShuffle(0)).toThrow(/PixelShuffle: upscaleFactor/);
    });
  });
});
