// Tiled inference for images too large to upscale in one pass: the low-resolution image is cut into
// tiles, each read with `margin` extra pixels on every side (the context its output depends on, see
// SuperResolver.margin), upscaled, and only its own region of the output kept. Every output pixel
// then sees exactly the inputs it sees in a whole-image pass (the zero padding of a convolution only
// ever falls outside the image), so no seam can show: tiles equal the whole image, which the tests
// check. The output is assembled on the CPU, so the GPU holds one tile's activations at a time.

import { noGrad } from '../../autograd.js';
import { opError } from '../../nn/common.js';
import { slice } from '../../ops/indexing.js';
import { tensor } from '../../ops/creation.js';
import { scope, type Tensor } from '../../tensor.js';
import type { SuperResolver } from './networks.js';

/** Options of {@link upscaleTiled}. */
export interface TileOptions {
  /** Side of a tile in low-resolution pixels, before its margin (default 96). */
  tileSize?: number;
  /** Extra low-resolution pixels read on each side of a tile (default: the network's margin; less shows seams). */
  overlap?: number;
  /** Called after each tile with the tiles done and the total, e.g. for a progress bar. */
  onTile?: (done: number, total: number) => void;
}

/** The start of each tile along a side of `size` pixels. */
function tileStarts(size: number, tileSize: number): number[] {
  return Array.from({ length: Math.ceil(size / tileSize) }, (_, i) => i * tileSize);
}

/**
 * Upscales low-resolution images [N, C, h, w] with `model` tile by tile (see the file comment); the same values as
 * `model.forward(lowRes)` without its memory. Returns the images [N, C, h s, w s] as a new tensor (the caller's).
 */
export async function upscaleTiled(model: SuperResolver, lowRes: Tensor, options: TileOptions = {}): Promise<Tensor> {
  const { tileSize = 96, overlap = model.margin, onTile } = options;
  if (!(Number.isInteger(tileSize) && tileSize >= 1)) throw opError('upscaleTiled', `tileSize must be a positive integer, got ${tileSize}`, [lowRes]);
  if (!(Number.isInteger(overlap) && overlap >= 0)) throw opError('upscaleTiled', `overlap must be an integer >= 0, got ${overlap}`, [lowRes]);
  if (lowRes.rank !== 4 || lowRes.shape[1] !== model.channels || lowRes.dtype !== 'f32') {
    throw opError('upscaleTiled', `expected low-resolution images of shape [N, ${model.channels}, h, w] f32`, [lowRes]);
  }
  const [n, c, h, w] = lowRes.shape;
  const s = model.scale;
  const [outH, outW] = [h * s, w * s];
  const out = new Float32Array(n * c * outH * outW);
  const tiles = tileStarts(h, tileSize).flatMap((y) => tileStarts(w, tileSize).map((x) => [y, x]));
  for (const [index, [y0, x0]] of tiles.entries()) {
    const [y1, x1] = [Math.min(h, y0 + tileSize), Math.min(w, x0 + tileSize)];
    const [top, left] = [Math.max(0, y0 - overlap), Math.max(0, x0 - overlap)];
    const [bottom, right] = [Math.min(h, y1 + overlap), Math.min(w, x1 + overlap)];
    const upscaled = scope(() => noGrad(() => model.forward(slice(lowRes, [null, null, [top, bottom], [left, right]]))));
    const values = await upscaled.data();
    upscaled.dispose();
    // Copy the tile's own region: rows (y0 - top) s .. (y1 - top) s of the tile's output, likewise columns.
    const [tileH, tileW] = [(bottom - top) * s, (right - left) * s];
    const [rowFrom, colFrom, rows, cols] = [(y0 - top) * s, (x0 - left) * s, (y1 - y0) * s, (x1 - x0) * s];
    for (let plane = 0; plane < n * c; plane++) {
      for (let r = 0; r < rows; r++) {
        const source = (plane * tileH + rowFrom + r) * tileW + colFrom;
        out.set(values.subarray(source, source + cols), (plane * outH + y0 * s + r) * outW + x0 * s);
      }
    }
    onTile?.(index + 1, tiles.length);
  }
  return tensor(out, [n, c, outH, outW]);
}
