// Latent walks: paths through a generative model's latent space, decoded frame by frame into an
// animation. interpolateLatents makes the path (through keyframe latents by spherical or straight
// interpolation, optionally closing the loop, or a great circle through two latents); latentWalk runs
// any decoder along it (a CPPN, a VAE's decoder, a GAN's generator, DDIM sampling from fixed noise);
// renderWalkPngs turns a CPPN walk into PNG files' bytes one frame at a time.
//
// Spherical interpolation because Gaussian latents in d dimensions live near the sphere of radius
// sqrt(d): the midpoint of a straight line between two of them is shorter by about 1/sqrt(2), an
// atypical latent (faded VAE digits, washed-out CPPN colours); slerp keeps the norm in between.
// Paths are computed on the host in float64 from the keyframes' values, so each keyframe appears in
// the path exactly, bit for bit.

import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat } from '../../ops/indexing.js';
import type { Cppn, CppnRenderOptions } from './cppn.js';
import { encodePng, type PngOptions } from '../../metrics/png.js';

/**
 * How a path goes between latents: 'slerp' along great circles (keeps Gaussian latents' typical norm), 'lerp' along
 * straight lines, 'circle' the closed great circle z(θ) = a cos θ + b sin θ through exactly two latents a and b.
 */
export type LatentPath = 'slerp' | 'lerp' | 'circle';

/** Options of {@link interpolateLatents} and {@link latentWalk}. */
export interface InterpolateOptions {
  /** Frames in the path, an integer >= 2. */
  steps: number;
  /** How the path goes between keyframes (default 'slerp'). */
  path?: LatentPath;
  /**
   * Return from the last keyframe to the first, so the frames loop without a seam (the first frame is not repeated at
   * the end). Default false; 'circle' always loops.
   */
  loop?: boolean;
}

/** Options of {@link latentWalk}. */
export interface LatentWalkOptions extends InterpolateOptions {
  /** Latents decoded per call of the decoder (default: all steps in one call). */
  batchSize?: number;
}

/** A decoder: latents [N, ...] to outputs [N, ...] (synchronous, like a GAN generator, or async, like a sampler). */
export type LatentDecoder = (latents: Tensor) => Tensor | Promise<Tensor>;

/** The weights (of keyframe `from`, of keyframe `to`) at fraction t along a segment. */
function segmentWeights(path: LatentPath, a: Float64Array, b: Float64Array, t: number): [number, number] {
  if (path === 'lerp') return [1 - t, t];
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = na > 0 && nb > 0 ? Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb))) : 1;
  const omega = Math.acos(cos);
  // Nearly parallel (or a zero keyframe): slerp's weights tend to lerp's, which avoids dividing by sin(0).
  if (Math.sin(omega) < 1e-6) return [1 - t, t];
  return [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)];
}

function checkOptions(op: string, options: InterpolateOptions): Required<InterpolateOptions> {
  const { steps, path = 'slerp', loop = false } = options ?? ({} as InterpolateOptions);
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`${op}: steps must be an integer >= 2, got ${steps}`);
  if (path !== 'slerp' && path !== 'lerp' && path !== 'circle') throw new Error(`${op}: path must be 'slerp', 'lerp' or 'circle', got '${String(path)}'`);
  return { steps, path, loop: loop || path === 'circle' };
}

function checkKeyframes(op: string, keyframes: Tensor, path: LatentPath): void {
  keyframes.assertAlive(op);
  if (keyframes.dtype !== 'f32' || keyframes.rank < 2 || keyframes.shape[0] < 2) {
    throw new Error(`${op}: expected f32 keyframes [K, ...latentShape] with K >= 2, got ${formatShape(keyframes.shape)} ${keyframes.dtype}`);
  }
  if (path === 'circle' && keyframes.shape[0] !== 2) {
    throw new Error(`${op}: the 'circle' path goes through exactly 2 latents, got keyframes ${formatShape(keyframes.shape)}`);
  }
}

/**
 * A path through keyframe latents [K, ...latentShape] (K >= 2) as `steps` latents [steps, ...latentShape], evenly
 * spaced in the path's parameter. Without loop the first frame is keyframe 0 and the last keyframe K - 1; with loop
 * the path returns towards keyframe 0, and frame i * steps / K is keyframe i when that is a whole number. 'circle'
 * goes once round a cos θ + b sin θ, θ = 2π i / steps: keyframe a at frame 0, b at frame steps / 4. Keyframes appear
 * exactly (the same bits).
 */
export async function interpolateLatents(keyframes: Tensor, options: InterpolateOptions): Promise<Tensor> {
  const op = 'interpolateLatents';
  const { steps, path, loop } = checkOptions(op, options);
  checkKeyframes(op, keyframes, path);
  const [k, ...latentShape] = keyframes.shape;
  const d = keyframes.size / k;
  const values = await keyframes.data();
  const key = (i: number) => Float64Array.from(values.subarray(i * d, (i + 1) * d));
  const out = new Float32Array(steps * d);
  const write = (frame: number, i: number, j: number, wi: number, wj: number) => {
    const [a, b] = [values.subarray(i * d, (i + 1) * d), values.subarray(j * d, (j + 1) * d)];
    const target = out.subarray(frame * d, (frame + 1) * d);
    if (wj === 0 && wi === 1) target.set(a);
    else for (let n = 0; n < d; n++) target[n] = wi * a[n] + wj * b[n];
  };
  if (path === 'circle') {
    for (let frame = 0; frame < steps; frame++) {
      const theta = (2 * Math.PI * frame) / steps;
      // The quarter turn uses exact weights, so b appears exactly at frame steps / 4.
      if (frame === 0) write(frame, 0, 1, 1, 0);
      else if (4 * frame === steps) write(frame, 1, 0, 1, 0);
      else write(frame, 0, 1, Math.cos(theta), Math.sin(theta));
    }
  } else {
    const segments = loop ? k : k - 1;
    const keys = Array.from({ length: k }, (_, i) => key(i));
    for (let frame = 0; frame < steps; frame++) {
      const u = loop ? (frame * segments) / steps : (frame * segments) / (steps - 1);
      const segment = Math.min(Math.floor(u), segments - 1);
      const t = u - segment;
      const [i, j] = [segment, (segment + 1) % k];
      if (t === 0) write(frame, i, j, 1, 0);
      else if (t === 1) write(frame, j, i, 1, 0);
      else {
        const [wi, wj] = segmentWeights(path, keys[i], keys[j], t);
        write(frame, i, j, wi, wj);
      }
    }
  }
  return tensor(out, [steps, ...latentShape]);
}

/**
 * Decodes a latent walk: the path of {@link interpolateLatents} through `keyframes`, run through `decode` in batches
 * of `batchSize` latents, as frames [steps, ...outputShape] (the decoder's outputs, concatenated). The decoder may be
 * async (a sampler); it gets latents [b, ...latentShape] and must return b outputs along its first dimension, a
 * tensor the walk then owns. It runs as given: a synchronous decoder should do its work inside gg.noGrad and gg.scope,
 * so that no graph is recorded and its intermediates are freed.
 */
export async function latentWalk(decode: LatentDecoder, keyframes: Tensor, options: LatentWalkOptions): Promise<Tensor> {
  const op = 'latentWalk';
  const { steps } = checkOptions(op, options);
  const { batchSize = steps } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${op}: batchSize must be a positive integer, got ${batchSize}`);
  const latents = await interpolateLatents(keyframes, options);
  const frames: Tensor[] = [];
  try {
    for (let start = 0; start < steps; start += batchSize) {
      const count = Math.min(batchSize, steps - start);
      const batch = latents.slice(0, start, start + count);
      let decoded: Tensor;
      try {
        decoded = await decode(batch);
      } finally {
        batch.dispose();
      }
      if (!(decoded instanceof Tensor) || decoded.rank < 1 || decoded.shape[0] !== count) {
        const got = decoded instanceof Tensor ? formatShape(decoded.shape) : String(decoded);
        if (decoded instanceof Tensor) decoded.dispose();
        throw new Error(`${op}: the decoder must return ${count} outputs along its first dimension for latents ${formatShape([count, ...latents.shape.slice(1)])}, got ${got}`);
      }
      frames.push(decoded.keep());
    }
    return frames.length === 1 ? frames[0] : scope(() => concat(frames));
  } finally {
    latents.dispose();
    if (frames.length > 1) for (const frame of frames) frame.dispose();
  }
}

/**
 * Renders each latent of a walk [N, latentDim] (from interpolateLatents) with a CPPN and encodes it as a PNG, one
 * frame at a time, handing each file's bytes to `onFrame` (in Node, write them to a file; in a browser, keep or
 * download them). Only one frame's image is held at a time.
 */
export async function renderWalkPngs(
  cppn: Cppn,
  latents: Tensor,
  size: CppnRenderOptions,
  onFrame: (png: Uint8Array<ArrayBuffer>, index: number) => void | Promise<void>,
  png: PngOptions = {},
): Promise<void> {
  const op = 'renderWalkPngs';
  latents.assertAlive(op);
  const d = cppn.config.latentDim;
  if (latents.dtype !== 'f32' || latents.rank !== 2 || latents.shape[1] !== d) {
    throw new Error(`${op}: expected f32 latents [N, ${d}], got ${formatShape(latents.shape)} ${latents.dtype}`);
  }
  const values = (await latents.data()) as Float32Array;
  for (let i = 0; i < latents.shape[0]; i++) {
    const image = await cppn.renderImage(values.subarray(i * d, (i + 1) * d), size);
    await onFrame(await encodePng(image, png), i);
  }
}
