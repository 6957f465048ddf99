// Image grids for looking at generated digits: many small images (values in [0, 1]) tiled into one
// grey raster with padding between them, from JS arrays or straight from a GPU tensor; then written
// as a PNG file in Node, or drawn onto a canvas in the browser (scaled up by whole pixels, so the
// digits stay crisp).

import { formatShape, type Tensor } from '../tensor.js';
import { saveFile } from '../io/files.js';
import { encodePng, type PngOptions, type RasterImage } from './png.js';

/** Options of the image-grid functions: cell size, columns, padding and background. */
export interface GridOptions {
  /** The side of each small image: [height, width] (default: square, from the values per image). */
  imageSize?: [number, number];
  /** Images per row (default: ceil(sqrt(count)), a square-ish grid). */
  columns?: number;
  /** Pixels between images and around the edge (default 2). */
  padding?: number;
  /** The grey level of the padding and of empty cells, in [0, 1] (default 0.5). */
  background?: number;
}

/** [height, width] of each image: given, or the square side of `pixels`. */
function imageSides(op: string, pixels: number, given: [number, number] | undefined): [number, number] {
  if (given) {
    const [h, w] = given;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h * w !== pixels) {
      throw new Error(`${op}: imageSize [${h}, ${w}] does not hold ${pixels} pixels per image`);
    }
    return [h, w];
  }
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) throw new Error(`${op}: ${pixels} pixels per image is not a square; pass imageSize [height, width]`);
  return [side, side];
}

const toByte = (v: number) => Math.round(Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)) * 255);

/**
 * `count` images of `pixelsPerImage` values each (row-major, values in [0, 1], clamped; NaN shows as
 * black) tiled left to right, top to bottom into one grey image.
 */
export function imageGrid(values: ArrayLike<number>, count: number, options: GridOptions = {}): RasterImage {
  const op = 'imageGrid';
  if (!Number.isInteger(count) || count < 1 || values.length % count !== 0) {
    throw new Error(`${op}: ${values.length} values cannot be split into ${count} images of equal size`);
  }
  const [h, w] = imageSides(op, values.length / count, options.imageSize);
  const { columns = Math.ceil(Math.sqrt(count)), padding = 2, background = 0.5 } = options;
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`${op}: columns must be a positive integer, got ${columns}`);
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${op}: padding must be an integer >= 0, got ${padding}`);
  if (!(background >= 0 && background <= 1)) throw new Error(`${op}: background must be in [0, 1], got ${background}`);
  const rows = Math.ceil(count / columns);
  const width = columns * (w + padding) + padding;
  const height = rows * (h + padding) + padding;
  const pixels = new Uint8Array(width * height).fill(toByte(background));
  for (let n = 0; n < count; n++) {
    const top = padding + Math.floor(n / columns) * (h + padding);
    const left = padding + (n % columns) * (w + padding);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) pixels[(top + y) * width + left + x] = toByte(values[(n * h + y) * w + x]);
    }
  }
  return { width, height, channels: 1, pixels };
}

/** A grid of the images in a tensor [N, pixels] or [N, 1, H, W] (reads the GPU). */
export async function tensorGrid(images: Tensor, options: GridOptions = {}): Promise<RasterImage> {
  images.assertAlive('tensorGrid');
  const fourD = images.rank === 4 && images.shape[1] === 1;
  if (images.dtype !== 'f32' || !(images.rank === 2 || fourD) || images.shape[0] < 1) {
    throw new Error(`tensorGrid: expected f32 images [N, pixels] or [N, 1, H, W] with N >= 1, got ${formatShape(images.shape)} ${images.dtype}`);
  }
  const imageSize = options.imageSize ?? (fourD ? [images.shape[2], images.shape[3]] : undefined);
  return imageGrid(await images.data(), images.shape[0], { ...options, imageSize });
}

/** Writes an image as a PNG file (Node). */
export async function writePng(path: string, image: RasterImage, options: PngOptions = {}): Promise<void> {
  await saveFile(path, await encodePng(image, options));
}

/** The two canvas calls drawImageOnCanvas makes: CanvasRenderingContext2D and OffscreenCanvasRenderingContext2D have both. */
export interface PixelCanvas {
  /** Makes a blank ImageData of the given size. */
  createImageData(width: number, height: number): ImageData;
  /** Copies ImageData onto the canvas at (dx, dy). */
  putImageData(data: ImageData, dx: number, dy: number): void;
}

/** Options of `drawImageOnCanvas`. */
export interface DrawOptions {
  /** Left edge on the canvas, in canvas pixels (default 0). */
  x?: number;
  /** Top edge on the canvas, in canvas pixels (default 0). */
  y?: number;
  /** Whole-pixel magnification (default 1): each pixel becomes a scale x scale square. */
  scale?: number;
}

/** Draws an image onto a 2-D canvas context (browser), magnified by whole pixels. */
export function drawImageOnCanvas(context: PixelCanvas, image: RasterImage, options: DrawOptions = {}): void {
  const { x = 0, y = 0, scale = 1 } = options;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`drawImageOnCanvas: scale must be a positive integer, got ${scale}`);
  const { width, height, channels, pixels } = image;
  const out = context.createImageData(width * scale, height * scale);
  const rgba = out.data;
  const outWidth = width * scale;
  for (let row = 0; row < height * scale; row++) {
    const sourceRow = Math.floor(row / scale) * width;
    for (let col = 0; col < outWidth; col++) {
      const source = (sourceRow + Math.floor(col / scale)) * channels;
      const target = (row * outWidth + col) * 4;
      if (channels === 1) {
        rgba[target] = rgba[target + 1] = rgba[target + 2] = pixels[source];
        rgba[target + 3] = 255;
      } else {
        rgba[target] = pixels[source];
        rgba[target + 1] = pixels[source + 1];
        rgba[target + 2] = pixels[source + 2];
        rgba[target + 3] = channels === 4 ? pixels[source + 3] : 255;
      }
    }
  }
  context.putImageData(out, x, y);
}
