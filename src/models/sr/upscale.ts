// Upscaling a whole image with a trained network, the way a person uses super-resolution: an 8-bit
// image in, an 8-bit image `scale` times larger out. A luminance network (SRCNN, ESPCN) upscales Y
// and the chroma (Cb, Cr) is upscaled bicubically, as their papers did, since the eye sees detail
// in luminance; an RGB network upscales the colours. A grey image stays grey; alpha is upscaled
// bicubically. The network runs tiled (tiles.ts), so the image may be larger than one pass fits;
// the rest is float64 on the CPU: colour conversion and MATLAB-style bicubic resizing.

import type { RasterImage } from '../../metrics/png.js';
import { imageToPlanes, planesToImage, planesToTensor, roundToUint8, tensorToPlanes, type Plane } from './image.js';
import { rgbToYCbCr, yCbCrToRgb } from './color.js';
import { imresize } from './resize.js';
import { upscaleTiled, type TileOptions } from './tiles.js';
import type { SuperResolver } from './networks.js';

/** The alpha channel of an RGBA image as a plane, or null. */
function alphaPlane(image: RasterImage): Plane | null {
  if (image.channels !== 4) return null;
  const { width, height, pixels } = image;
  return { width, height, data: Float64Array.from({ length: width * height }, (_, p) => pixels[p * 4 + 3]) };
}

/** An 8-bit image from colour planes and an optional alpha plane (rounded and saturated). */
function toImage(colour: Plane[], alpha: Plane | null): RasterImage {
  const image = planesToImage(colour);
  if (!alpha || image.channels !== 3) return image;
  const { width, height } = image;
  const pixels = new Uint8Array(width * height * 4);
  const a = roundToUint8(alpha).data;
  for (let p = 0; p < width * height; p++) {
    pixels.set(image.pixels.subarray(p * 3, p * 3 + 3), p * 4);
    pixels[p * 4 + 3] = a[p];
  }
  return { width, height, channels: 4, pixels };
}

/** `image` `scale` times larger by MATLAB-style bicubic interpolation of each channel: the baseline to compare with. */
export function upscaleBicubic(image: RasterImage, scale: number): RasterImage {
  const alpha = alphaPlane(image);
  return toImage(imageToPlanes(image).map((plane) => imresize(plane, scale)), alpha && imresize(alpha, scale));
}

/** Runs a network tiled over planes at pixel scale; returns its output planes at pixel scale. */
async function runNetwork(model: SuperResolver, planes: Plane[], options: TileOptions): Promise<Plane[]> {
  const input = planesToTensor(planes);
  try {
    const output = await upscaleTiled(model, input, options);
    const result = await tensorToPlanes(output);
    output.dispose();
    return result;
  } finally {
    input.dispose();
  }
}

/**
 * `image` (grey, RGB or RGBA, 8-bit) upscaled by `model`, `model.scale` times larger; see the file comment for how
 * each kind of network and image is handled. `options` tile the network's pass (tileSize, onTile for progress).
 */
export async function upscaleImage(model: SuperResolver, image: RasterImage, options: TileOptions = {}): Promise<RasterImage> {
  const planes = imageToPlanes(image);
  const scale = model.scale;
  const alpha = alphaPlane(image);
  const upscaledAlpha = alpha && imresize(alpha, scale);
  if (model.channels === 1) {
    if (planes.length === 1) return toImage(await runNetwork(model, planes, options), null);
    const [y, cb, cr] = rgbToYCbCr(planes);
    const [upscaledY] = await runNetwork(model, [y], options);
    return toImage(yCbCrToRgb([upscaledY, imresize(cb, scale), imresize(cr, scale)]), upscaledAlpha);
  }
  if (model.channels !== 3) throw new Error(`upscaleImage: the network has ${model.channels} channels; expected 1 (luminance) or 3 (RGB)`);
  const colour = planes.length === 1 ? [planes[0], planes[0], planes[0]] : planes;
  const output = await runNetwork(model, colour, options);
  if (planes.length === 3) return toImage(output, upscaledAlpha);
  const { width, height } = output[0];
  return toImage([{ width, height, data: output[0].data.map((v, i) => (v + output[1].data[i] + output[2].data[i]) / 3) }], null);
}
