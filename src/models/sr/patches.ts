// Training patches for super-resolution: random crops of the training images, each flipped and
// rotated by one of the eight symmetries of the square, as EDSR-style training samples them. A
// low-res patch and its high-res patch are cut at matching places and transformed alike.

import { toRandom, type SeededRandom } from '../../data/random.js';
import { checkPlane, type Plane } from './image.js';

/** One training image: its high-res planes and, for paired patches, its low-res planes (the high-res size divided by the scale). */
export interface PatchSource {
  /** The ground truth's channels at pixel scale [0, 255] (e.g. R, G, B, or Y alone). */
  highRes: readonly Plane[];
  /** The low-res input's channels (e.g. made by imresize and roundToUint8), each side 1/scale of highRes'. */
  lowRes?: readonly Plane[];
}

/** Options of {@link randomPatches}. */
export interface PatchOptions {
  /** Apply a random flip and 90-degree rotation to each patch (default true). */
  augment?: boolean;
}

/** A batch of patches on the host, ready for `tensor(values, shape)`. */
export interface Patches {
  /** High-res patches [count, C, patchSize, patchSize] in [0, 1] (pixel values / 255). */
  highRes: Float32Array;
  /** The shape of highRes. */
  highResShape: [number, number, number, number];
  /** Low-res patches [count, C, patchSize / scale, patchSize / scale] in [0, 1], or null when the sources have no low-res planes. */
  lowRes: Float32Array | null;
  /** The shape of lowRes ([count, C, 0, 0] when there is none). */
  lowResShape: [number, number, number, number];
  /** High-res pixels per low-res pixel (1 without low-res planes). */
  scale: number;
}

function checkSources(op: string, sources: readonly PatchSource[], patchSize: number): { channels: number; scale: number; paired: boolean } {
  if (!Array.isArray(sources) || sources.length === 0) throw new Error(`${op}: needs at least one source image, got ${sources?.length}`);
  const channels = sources[0].highRes?.length;
  const paired = sources[0].lowRes !== undefined;
  let scale = 0;
  sources.forEach((source, i) => {
    const sets: [string, readonly Plane[] | undefined][] = [['highRes', source.highRes], ['lowRes', source.lowRes]];
    for (const [name, planes] of sets) {
      if (planes === undefined && name === 'lowRes' && !paired) continue;
      if (!Array.isArray(planes) || planes.length !== channels || channels < 1) {
        throw new Error(`${op}: source ${i} has ${planes?.length ?? 'no'} ${name} planes; source 0 has ${channels} highRes planes${paired ? ' and lowRes planes' : ' and no lowRes'}`);
      }
      planes.forEach((plane, c) => {
        checkPlane(op, plane, `source ${i} ${name} plane ${c}`);
        if (plane.width !== planes[0].width || plane.height !== planes[0].height) throw new Error(`${op}: source ${i}'s ${name} planes differ in size`);
      });
    }
    const hr = source.highRes[0];
    const lr = paired ? source.lowRes![0] : hr;
    const s = hr.width / lr.width;
    if (!Number.isInteger(s) || hr.height !== lr.height * s || (scale !== 0 && s !== scale)) {
      throw new Error(`${op}: source ${i} is ${hr.height} x ${hr.width} high-res over ${lr.height} x ${lr.width} low-res, not a whole scale${scale ? ` of ${scale} as before` : ''}`);
    }
    scale = s;
    if (lr.width < patchSize / s || lr.height < patchSize / s) throw new Error(`${op}: source ${i} (${hr.height} x ${hr.width}) is smaller than a ${patchSize}-pixel patch`);
  });
  if (!Number.isInteger(patchSize) || patchSize < 1 || patchSize % scale !== 0) {
    throw new Error(`${op}: patchSize must be a positive integer multiple of the scale ${scale}, got ${patchSize}`);
  }
  return { channels, scale, paired };
}

/**
 * Copies the size x size patch at (top, left) of each plane into `out` at `offset` (channel-major),
 * divided by 255, under symmetry `symmetry` of the square: bit 2 transposes, bit 0 flips left-right,
 * bit 1 flips top-bottom (the eight together are the flips and 90-degree rotations).
 */
function copyPatch(planes: readonly Plane[], top: number, left: number, size: number, symmetry: number, out: Float32Array, offset: number): void {
  planes.forEach((plane, c) => {
    const base = offset + c * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let sy = symmetry & 4 ? x : y;
        let sx = symmetry & 4 ? y : x;
        if (symmetry & 1) sx = size - 1 - sx;
        if (symmetry & 2) sy = size - 1 - sy;
        out[base + y * size + x] = plane.data[(top + sy) * plane.width + left + sx] / 255;
      }
    }
  });
}

/**
 * `count` random training patches of side `patchSize` (high-res pixels). Each picks a source image
 * uniformly, a position uniformly on the low-res grid (so the high-res patch starts at a multiple of
 * the scale and covers exactly the low-res patch), and, with `augment`, one of the eight flips and
 * rotations, applied to both patches. Sources without lowRes give high-res patches alone (lowRes
 * null), for pipelines that make their low-res input on the GPU (resizeBicubic). Deterministic for a
 * seed: `random` is a SeededRandom (advanced) or a seed.
 */
export function randomPatches(sources: readonly PatchSource[], count: number, patchSize: number, random: SeededRandom | number, options: PatchOptions = {}): Patches {
  const op = 'randomPatches';
  if (!Number.isInteger(count) || count < 1) throw new Error(`${op}: count must be an integer >= 1, got ${count}`);
  const { channels, scale, paired } = checkSources(op, sources, patchSize);
  const { augment = true } = options;
  const rng = toRandom(random);
  const lowSize = patchSize / scale;
  const highRes = new Float32Array(count * channels * patchSize * patchSize);
  const lowRes = paired ? new Float32Array(count * channels * lowSize * lowSize) : null;
  for (let n = 0; n < count; n++) {
    const source = sources[rng.int(sources.length)];
    const lowWidth = source.highRes[0].width / scale;
    const lowHeight = source.highRes[0].height / scale;
    const top = rng.int(lowHeight - lowSize + 1);
    const left = rng.int(lowWidth - lowSize + 1);
    const symmetry = augment ? rng.int(8) : 0;
    copyPatch(source.highRes, top * scale, left * scale, patchSize, symmetry, highRes, n * channels * patchSize * patchSize);
    if (lowRes) copyPatch(source.lowRes!, top, left, lowSize, symmetry, lowRes, n * channels * lowSize * lowSize);
  }
  return {
    highRes,
    highResShape: [count, channels, patchSize, patchSize],
    lowRes,
    lowResShape: paired ? [count, channels, lowSize, lowSize] : [count, channels, 0, 0],
    scale,
  };
}
