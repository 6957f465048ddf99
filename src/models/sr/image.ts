// Images for super-resolution: decoding files to 8-bit rasters, and moving pixels between the three
// forms the pipeline uses. A RasterImage holds the bytes of a file; a Plane holds one channel in
// float64 at pixel scale [0, 255], where the evaluation protocol (colour conversion, bicubic
// resizing, PSNR and SSIM) computes; a tensor [1, C, H, W] f32 in [0, 1] is what models see.

import { formatShape, type Tensor } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { platform } from '../../platform.js';
import { readFile } from '../../io/files.js';
import type { RasterImage } from '../../metrics/png.js';

/** One channel of an image in float64: `data[y * width + x]`, values at pixel scale (0 to 255 for 8-bit images). */
export interface Plane {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** width x height values, row-major from the top-left. */
  data: Float64Array;
}

/** Throws unless `plane` is a Plane whose data holds exactly width x height values. */
export function checkPlane(op: string, plane: Plane, name = 'plane'): void {
  const { width, height, data } = plane ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${op}: ${name} needs integer width and height >= 1, got ${width} x ${height}`);
  }
  if (!(data instanceof Float64Array) || data.length !== width * height) {
    throw new Error(`${op}: ${name} (${height} x ${width}) needs a Float64Array of ${width * height} values, got ${data?.constructor?.name} of ${data?.length}`);
  }
}

function checkRaster(op: string, image: RasterImage): void {
  const { width, height, channels, pixels } = image ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || ![1, 3, 4].includes(channels)) {
    throw new Error(`${op}: expected an image of integer width and height >= 1 and 1, 3 or 4 channels, got ${width} x ${height} x ${channels}`);
  }
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels) {
    throw new Error(`${op}: a ${width} x ${height} x ${channels} image needs ${width * height * channels} bytes, got ${pixels?.length}`);
  }
}

/**
 * Decodes an image file to 8-bit pixels with the platform's decoder.
 *
 * - Node: PNG only, through the pure-JS fast-png (loaded on first use). Every PNG format comes back
 *   at 8 bits: grey stays 1 channel (so its Y channel is the image itself, as in the MATLAB
 *   evaluation code, which converts only 3-channel images); RGB stays 3; palette images become RGB
 *   (RGBA with palette transparency); grey with alpha and RGBA become RGBA; a transparent colour key
 *   adds alpha. 1-, 2- and 4-bit samples scale to the full byte, 16-bit ones round to v / 257 (as
 *   MATLAB's im2uint8); interlaced files are deinterlaced.
 * - Browser: whatever the browser displays (PNG, JPEG, WebP, ...), through createImageBitmap and an
 *   OffscreenCanvas: RGB when every pixel is opaque, else RGBA. Grey files come back as RGB with
 *   equal channels (the canvas does not tell them apart).
 */
export async function decodeImage(bytes: Uint8Array): Promise<RasterImage> {
  if (!(bytes instanceof Uint8Array)) throw new Error(`decodeImage: expected the file's bytes as a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  return platform().decodeImage(bytes);
}

/** Reads an image file and decodes it with {@link decodeImage} (Node: PNG files). */
export async function loadImage(path: string): Promise<RasterImage> {
  const bytes = await readFile(path);
  try {
    return await decodeImage(bytes);
  } catch (error) {
    throw new Error(`loadImage: ${path}: ${(error as Error).message}`);
  }
}

/** How many colour channels an image has: 1 for grey, 3 for RGB and RGBA (alpha is not colour). */
function colourChannels(image: RasterImage): 1 | 3 {
  return image.channels === 1 ? 1 : 3;
}

/**
 * The colour channels of an image as float64 planes at pixel scale [0, 255]: one plane for a grey
 * image, R, G, B for RGB and RGBA (alpha is dropped: super-resolution works on colour).
 */
export function imageToPlanes(image: RasterImage): Plane[] {
  checkRaster('imageToPlanes', image);
  const { width, height, channels, pixels } = image;
  return Array.from({ length: colourChannels(image) }, (_, c) => {
    const data = new Float64Array(width * height);
    for (let p = 0; p < data.length; p++) data[p] = pixels[p * channels + c];
    return { width, height, data };
  });
}

/**
 * A value converted to a byte as MATLAB's uint8() does: rounded half away from zero, then saturated
 * to 0..255. The evaluation protocol stores outputs as 8-bit images before scoring them.
 */
function toUint8(op: string, value: number): number {
  if (Number.isNaN(value)) throw new Error(`${op}: a value is NaN, which has no 8-bit pixel value`);
  return Math.min(255, Math.max(0, Math.sign(value) * Math.round(Math.abs(value))));
}

/**
 * A plane rounded to 8-bit pixel values as MATLAB's uint8() rounds (half away from zero, saturated
 * to [0, 255]), still as float64: what a model's output or a bicubic low-res image becomes when the
 * protocol saves it as an 8-bit image before scoring. Throws on NaN.
 */
export function roundToUint8(plane: Plane): Plane {
  checkPlane('roundToUint8', plane);
  const data = new Float64Array(plane.data.length);
  for (let i = 0; i < data.length; i++) data[i] = toUint8('roundToUint8', plane.data[i]);
  return { width: plane.width, height: plane.height, data };
}

function checkPlanes(op: string, planes: readonly Plane[], channels: readonly number[]): void {
  if (!Array.isArray(planes) || !channels.includes(planes.length)) throw new Error(`${op}: expected ${channels.join(' or ')} planes, got ${planes?.length}`);
  planes.forEach((plane, c) => {
    checkPlane(op, plane, `plane ${c}`);
    if (plane.width !== planes[0].width || plane.height !== planes[0].height) {
      throw new Error(`${op}: plane ${c} is ${plane.height} x ${plane.width}, plane 0 is ${planes[0].height} x ${planes[0].width}`);
    }
  });
}

/** An 8-bit image (grey from 1 plane, RGB from 3) from planes at pixel scale, rounded and saturated as MATLAB's uint8(); throws on NaN. */
export function planesToImage(planes: readonly Plane[]): RasterImage {
  checkPlanes('planesToImage', planes, [1, 3]);
  const { width, height } = planes[0];
  const channels = planes.length as 1 | 3;
  const pixels = new Uint8Array(width * height * channels);
  planes.forEach((plane, c) => {
    for (let p = 0; p < plane.data.length; p++) pixels[p * channels + c] = toUint8('planesToImage', plane.data[p]);
  });
  return { width, height, channels, pixels };
}

/** Planes at pixel scale [0, 255] as one f32 tensor [1, C, H, W] in [0, 1] (values divided by 255). */
export function planesToTensor(planes: readonly Plane[]): Tensor {
  checkPlanes('planesToTensor', planes, [1, 2, 3, 4]);
  const { width, height } = planes[0];
  const values = new Float32Array(planes.length * width * height);
  planes.forEach((plane, c) => {
    for (let p = 0; p < plane.data.length; p++) values[c * width * height + p] = plane.data[p] / 255;
  });
  return tensor(values, [1, planes.length, height, width]);
}

/** The colour channels of an image (alpha dropped) as an f32 tensor [1, C, H, W] in [0, 1], C = 1 (grey) or 3 (RGB). */
export function imageToTensor(image: RasterImage): Tensor {
  return planesToTensor(imageToPlanes(image));
}

function checkImageTensor(op: string, t: Tensor): [number, number, number] {
  t.assertAlive(op);
  const shape = t.rank === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (t.dtype !== 'f32' || shape.length !== 3 || shape[1] < 1 || shape[2] < 1) {
    throw new Error(`${op}: expected an f32 image tensor [1, C, H, W] or [C, H, W], got ${formatShape(t.shape)} ${t.dtype}`);
  }
  return [shape[0], shape[1], shape[2]];
}

/** An image tensor [1, C, H, W] or [C, H, W] (f32, values in [0, 1]) as float64 planes at pixel scale (values times 255, not rounded); reads the GPU. */
export async function tensorToPlanes(t: Tensor): Promise<Plane[]> {
  const [channels, height, width] = checkImageTensor('tensorToPlanes', t);
  const values = await t.data();
  return Array.from({ length: channels }, (_, c) => {
    const data = new Float64Array(height * width);
    for (let p = 0; p < data.length; p++) data[p] = values[c * height * width + p] * 255;
    return { width, height, data };
  });
}

/**
 * An image tensor [1, C, H, W] or [C, H, W] (f32 in [0, 1], C = 1 or 3) as an 8-bit image: values
 * times 255, rounded and saturated as MATLAB's uint8() (values outside [0, 1] are clipped, as saving an
 * image clips them); throws on NaN. Reads the GPU.
 */
export async function tensorToImage(t: Tensor): Promise<RasterImage> {
  const [channels] = checkImageTensor('tensorToImage', t);
  if (channels !== 1 && channels !== 3) throw new Error(`tensorToImage: expected 1 (grey) or 3 (RGB) channels, got ${formatShape(t.shape)}`);
  return planesToImage(await tensorToPlanes(t));
}

/** The top-left `height` x `width` of a plane. */
function cropPlane(plane: Plane, height: number, width: number): Plane {
  const data = new Float64Array(height * width);
  for (let y = 0; y < height; y++) data.set(plane.data.subarray(y * plane.width, y * plane.width + width), y * width);
  return { width, height, data };
}

/**
 * The image cut at its bottom and right so that both sides are multiples of `scale` (MATLAB's
 * modcrop, which every SR benchmark applies to the ground truth before making its low-res input).
 * Works on a RasterImage or a Plane and returns the same kind.
 */
export function cropToMultiple<T extends RasterImage | Plane>(image: T, scale: number): T {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`cropToMultiple: scale must be an integer >= 1, got ${scale}`);
  const width = image.width - (image.width % scale);
  const height = image.height - (image.height % scale);
  if (width < 1 || height < 1) throw new Error(`cropToMultiple: a ${image.height} x ${image.width} image has no whole ${scale} x ${scale} block`);
  if ('pixels' in image) {
    checkRaster('cropToMultiple', image);
    const { channels, pixels } = image;
    const out = new Uint8Array(width * height * channels);
    for (let y = 0; y < height; y++) out.set(pixels.subarray(y * image.width * channels, (y * image.width + width) * channels), y * width * channels);
    return { width, height, channels, pixels: out } as T;
  }
  checkPlane('cropToMultiple', image);
  return cropPlane(image, height, width) as T;
}

/** The plane without `border` pixels on each of its four sides (the protocol shaves `scale` pixels before scoring). */
export function shave(plane: Plane, border: number): Plane {
  checkPlane('shave', plane);
  if (!Number.isInteger(border) || border < 0) throw new Error(`shave: border must be an integer >= 0, got ${border}`);
  const width = plane.width - 2 * border;
  const height = plane.height - 2 * border;
  if (width < 1 || height < 1) throw new Error(`shave: a border of ${border} leaves nothing of a ${plane.height} x ${plane.width} plane`);
  const data = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    const from = (y + border) * plane.width + border;
    data.set(plane.data.subarray(from, from + width), y * width);
  }
  return { width, height, data };
}
