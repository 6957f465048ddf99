// Seeded shuffling and batching of datasets held in host memory, uploaded to the GPU one batch at a
// time (a PyTorch DataLoader in miniature). The batch order is a pure function of (seed, epoch):
// runs are reproducible, every epoch visits every example exactly once in a new order, and training
// can resume at any epoch.

import { tensor } from '../ops/creation.js';
import type { Tensor, TypedArray } from '../tensor.js';
import { SeededRandom } from './random.js';

/** One field of every example, stored row-major: `values.length === length * size(exampleShape)`. */
export interface Field {
  /** Every example's value, concatenated. */
  readonly values: TypedArray;
  /** The shape of one example's value: [784] for a flat image, [] for a label. */
  readonly exampleShape: readonly number[];
}

/** Examples in host memory: `length` of them, each with the same named fields. */
export interface Dataset<K extends string = string> {
  /** Number of examples. */
  readonly length: number;
  /** The named fields; each holds `length` examples. */
  readonly fields: Readonly<Record<K, Field>>;
}

/** One batch on the GPU: each field as a tensor of shape [batchSize, ...exampleShape]. */
export type Batch<K extends string = string> = Record<K, Tensor>;

/** Options of `batchOrder`, `batches` and {@link DataLoader}. */
export interface BatchOptions {
  /** Examples per batch (an integer >= 1). */
  batchSize: number;
  /** Visit the examples in a seeded random order (default true); false keeps 0, 1, 2, ... */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** The epoch whose permutation to use (default 0): epoch e shuffles with stream e of the seed. */
  epoch?: number;
  /** Leave out a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** A dataset from typed arrays; the length is taken from the fields, which must agree. */
export function arrayDataset<K extends string>(fields: Record<K, Field>): Dataset<K> {
  let length: number | null = null;
  for (const [name, field] of Object.entries(fields) as [K, Field][]) {
    if (!Array.isArray(field.exampleShape) || !field.exampleShape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`arrayDataset: field '${name}' has exampleShape ${JSON.stringify(field.exampleShape)}; it must be a list of integers >= 0`);
    }
    const exampleSize = field.exampleShape.reduce((n, d) => n * d, 1);
    const rows = exampleSize === 0 ? 0 : field.values.length / exampleSize;
    if (!Number.isInteger(rows)) {
      throw new Error(`arrayDataset: field '${name}' has ${field.values.length} values, not a whole number of examples of shape [${field.exampleShape.join(', ')}]`);
    }
    if (length !== null && rows !== length) throw new Error(`arrayDataset: field '${name}' has ${rows} examples, an earlier field has ${length}`);
    length = rows;
  }
  if (length === null) throw new Error('arrayDataset: at least one field is needed');
  return { length, fields };
}

/**
 * The example indices of each batch of one epoch, in order: a seeded permutation (or 0..n-1 without
 * shuffling) cut into consecutive runs of batchSize. Host-side only; `batches` uploads them.
 */
export function batchOrder(length: number, options: BatchOptions): Int32Array[] {
  const { batchSize, shuffle = true, seed = 0, epoch = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be an integer >= 1, got ${batchSize}`);
  if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`batches: epoch must be an integer >= 0, got ${epoch}`);
  let order: Int32Array;
  if (shuffle) {
    order = new SeededRandom(seed, epoch).permutation(length);
  } else {
    order = new Int32Array(length);
    for (let i = 0; i < length; i++) order[i] = i;
  }
  const result: Int32Array[] = [];
  for (let start = 0; start < length; start += batchSize) {
    if (dropLast && start + batchSize > length) break;
    result.push(order.subarray(start, Math.min(start + batchSize, length)));
  }
  return result;
}

/** The rows `indices` of one field, gathered into a new contiguous typed array. */
function gatherRows(field: Field, indices: Int32Array): TypedArray {
  const rowSize = field.exampleShape.reduce((n, d) => n * d, 1);
  const Ctor = field.values.constructor as new (length: number) => TypedArray;
  const out = new Ctor(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i] * rowSize;
    out.set(field.values.subarray(start, start + rowSize), i * rowSize);
  }
  return out;
}

/**
 * One epoch of batches, each uploaded to the GPU as it is requested. The iterator owns the batch
 * tensors: each batch is disposed when the next one is requested and the last when the loop ends
 * (also on `break` or an exception), so a plain `for...of` leaks nothing. Use a batch within its
 * loop iteration; `clone()` a tensor to keep it longer.
 */
export function* batches<K extends string>(dataset: Dataset<K>, options: BatchOptions): Generator<Batch<K>, void, undefined> {
  const names = Object.keys(dataset.fields) as K[];
  let current: Batch<K> | null = null;
  const disposeCurrent = () => {
    if (current) for (const name of names) current[name].dispose();
    current = null;
  };
  try {
    for (const indices of batchOrder(dataset.length, options)) {
      disposeCurrent();
      const batch = {} as Batch<K>;
      for (const name of names) {
        const field = dataset.fields[name];
        batch[name] = tensor(gatherRows(field, indices), [indices.length, ...field.exampleShape]);
      }
      current = batch;
      yield batch;
    }
  } finally {
    disposeCurrent();
  }
}

/**
 * Batches over many epochs: each `for...of` over the loader runs one epoch and then moves to the
 * next epoch's permutation. Set `epoch` to resume. Batch tensors are owned as in `batches`.
 */
export class DataLoader<K extends string = string> implements Iterable<Batch<K>> {
  /** The examples batched. */
  readonly dataset: Dataset<K>;
  /** Batch size, shuffling, seed and dropLast, as given (`epoch` here is only the starting epoch). */
  readonly options: BatchOptions;
  /** The epoch the next iteration runs. */
  epoch: number;

  constructor(dataset: Dataset<K>, options: BatchOptions) {
    this.dataset = dataset;
    this.options = options;
    this.epoch = options.epoch ?? 0;
    batchOrder(0, options); // validates the options now, not at the first loop
  }

  /** Batches per epoch. */
  get length(): number {
    const { batchSize, dropLast = false } = this.options;
    return dropLast ? Math.floor(this.dataset.length / batchSize) : Math.ceil(this.dataset.length / batchSize);
  }

  /** Runs one epoch (the current `epoch`'s permutation) and advances `epoch`. */
  *[Symbol.iterator](): Generator<Batch<K>, void, undefined> {
    const epoch = this.epoch++;
    yield* batches(this.dataset, { ...this.options, epoch });
  }
}
