// Seeded shuffling and batching: the JS generator's reproducibility and uniformity, every index
// exactly once per epoch, new orders across epochs and seeds, the gathered GPU batches, and no
// leaked buffers however the loop ends.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { SeededRandom, arrayDataset, batchOrder, batches, DataLoader } = gg.data;

describe('SeededRandom', () => {
  it('repeats a sequence for a (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream = 0) => {
      const random = new SeededRandom(seed, stream);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42)).not.toEqual(draw(42, 1));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('draws uniform floats and integers and standard normals', () => {
    const random = new SeededRandom(7);
    const n = 20_000;
    const counts = new Array(5).fill(0);
    let sum = 0;
    let sumNormal = 0;
    let sumSquares = 0;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = random.random();
      if (!(u >= 0 && u < 1)) outOfRange++;
      sum += u;
      counts[random.int(5)]++;
      const z = random.normal();
      sumNormal += z;
      sumSquares += z * z;
    }
    expect(outOfRange).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 1);
    for (const c of counts) expect(Math.abs(c - n / 5)).toBeLessThan(5 * Math.sqrt(n / 5)); // 5 sigma
    expect(Math.abs(sumNormal / n)).toBeLessThan(0.05);
    expect(sumSquares / n).toBeCloseTo(1, 1);
    expect(() => random.int(0)).toThrow(/SeededRandom.int: n must be an integer in \[1, 2\^32\], got 0/);
    expect(() => new SeededRandom(0.5)).toThrow(/SeededRandom: seed must be a safe integer, got 0.5/);
  });
});

describe('batchOrder', () => {
  const flatten = (order: Int32Array[]) => order.flatMap((b) => Array.from(b));

  it('visits every index exactly once per epoch, in batchSize runs', () => {
    const order = batchOrder(103, { batchSize: 10, seed: 1 });
    expect(order.map((b) => b.length)).toEqual([...new Array(10).fill(10), 3]);
    expect(flatten(order).sort((a, b) => a - b)).toEqual([...Array(103).keys()]);
    expect(batchOrder(103, { batchSize: 10, seed: 1, dropLast: true }).length).toBe(10);
    expect(flatten(batchOrder(7, { batchSize: 3, shuffle: false }))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('is the same for a seed and epoch, new for another epoch or seed', () => {
    const order = (seed: number, epoch: number) => flatten(batchOrder(50, { batchSize: 8, seed, epoch }));
    expect(order(5, 0)).toEqual(order(5, 0));
    expect(order(5, 1)).not.toEqual(order(5, 0));
    expect(order(6, 0)).not.toEqual(order(5, 0));
    expect(order(5, 1).sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
  });

  it('names bad options', () => {
    expect(() => batchOrder(10, { batchSize: 0 })).toThrow(/batches: batchSize must be an integer >= 1, got 0/);
    expect(() => batchOrder(10, { batchSize: 2, epoch: -1 })).toThrow(/batches: epoch must be an integer >= 0, got -1/);
  });
});

describe('batches and DataLoader', () => {
  // Example i has features [i, 10 i, 100 i] and label i, so each uploaded row shows where it came from.
  const n = 11;
  const dataset = arrayDataset({
    features: { values: Float32Array.from({ length: 3 * n }, (_, k) => Math.floor(k / 3) * 10 ** (k % 3)), exampleShape: [3] },
    labels: { values: Int32Array.from({ length: n }, (_, i) => i), exampleShape: [] },
  });

  it('uploads the rows of each batch in the seeded order and frees them as the loop moves on', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const expected = batchOrder(n, { batchSize: 4, seed: 9 });
    let index = 0;
    for (const batch of batches(dataset, { batchSize: 4, seed: 9 })) {
      const rows = expected[index++];
      expect(batch.features.shape).toEqual([rows.length, 3]);
      expect([batch.features.dtype, batch.labels.dtype]).toEqual(['f32', 'i32']);
      expect(Array.from(await batch.labels.data())).toEqual(Array.from(rows));
      expect(Array.from(await batch.features.data())).toEqual(Array.from(rows).flatMap((i) => [i, 10 * i, 100 * i]));
      expect(rt.memory().liveBuffers).toBe(baseline + 2);
    }
    expect(index).toBe(3);
    expect(rt.memory().liveBuffers).toBe(baseline);
    for (const batch of batches(dataset, { batchSize: 4 })) {
      expect(batch.labels.size).toBe(4);
      break;
    }
    expect(rt.memory().liveBuffers).toBe(baseline);
  });

  it('runs a new permutation each epoch, reproducibly, and can resume at an epoch', async () => {
    const epochOrder = async (loader: gg.data.DataLoader<'features' | 'labels'>) => {
      const labels: number[] = [];
      for (const batch of loader) labels.push(...(await batch.labels.data()));
      return labels;
    };
    const loader = new DataLoader(dataset, { batchSize: 5, seed: 2, dropLast: true });
    expect(loader.length).toBe(2);
    const first = await epochOrder(loader);
    const second = await epochOrder(loader);
    expect(loader.epoch).toBe(2);
    expect(first.length).toBe(10);
    expect(new Set(first).size).toBe(10);
    expect(second).not.toEqual(first);
    expect(await epochOrder(new DataLoader(dataset, { batchSize: 5, seed: 2, dropLast: true, epoch: 1 }))).toEqual(second);
    expect(() => new DataLoader(dataset, { batchSize: 1.5 })).toThrow(/batchSize must be an integer >= 1/);
  });

  it('checks that the fields of a dataset agree', () => {
    expect(() => arrayDataset({ a: { values: new Float32Array(7), exampleShape: [2] } })).toThrow(/arrayDataset: field 'a' has 7 values, not a whole number of examples of shape \[2\]/);
    expect(() =>
      arrayDataset({ a: { values: new Float32Array(6), exampleShape: [2] }, b: { values: new Int32Array(4), exampleShape: [] } }),
    ).toThrow(/field 'b' has 4 examples, an earlier field has 3/);
  });
});
