// Toy 2-D distributions: centers where documented, sample means, each point's label its nearest mode,
// reproducibility by seed, the mode-coverage measure, and the upload.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { ringOfGaussians, gridOfGaussians, twoMoons, swissRoll, nearestMode, modeCoverage } = gg.data;

function mean(points: Float32Array): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < points.length; i += 2) {
    x += points[i];
    y += points[i + 1];
  }
  return [(2 * x) / points.length, (2 * y) / points.length];
}

describe('Gaussian mixtures', () => {
  it('rings 8 modes at radius 2 with std 0.02; each label is the nearest mode', () => {
    const ring = ringOfGaussians(4000, { seed: 1 });
    expect([ring.length, ring.modes, ring.std]).toEqual([4000, 8, 0.02]);
    expect(ring.centers![0]).toBeCloseTo(2, 6);
    expect(ring.centers![1]).toBeCloseTo(0, 6);
    expect(Math.hypot(ring.centers![6], ring.centers![7])).toBeCloseTo(2, 6);
    const [mx, my] = mean(ring.points);
    expect(Math.abs(mx)).toBeLessThan(0.1);
    expect(Math.abs(my)).toBeLessThan(0.1);
    expect(nearestMode(ring.points, ring.centers!)).toEqual(ring.labels);
    // Mode 3's points gather around its center with the documented spread.
    let dx2 = 0;
    let count = 0;
    for (let i = 0; i < ring.length; i++) {
      if (ring.labels![i] !== 3) continue;
      dx2 += (ring.points[2 * i] - ring.centers![6]) ** 2;
      count++;
    }
    expect(count).toBeGreaterThan(400);
    expect(Math.sqrt(dx2 / count)).toBeCloseTo(0.02, 2);
  });

  it('lays a 5 x 5 grid with spacing 2 centred on the origin', () => {
    const grid = gridOfGaussians(5000, { seed: 2 });
    expect(grid.modes).toBe(25);
    expect(Array.from(grid.centers!.subarray(0, 4))).toEqual([-4, -4, -2, -4]);
    expect(Array.from(grid.centers!.subarray(48, 50))).toEqual([4, 4]);
    const [mx, my] = mean(grid.points);
    expect(Math.abs(mx)).toBeLessThan(0.15);
    expect(Math.abs(my)).toBeLessThan(0.15);
    expect(nearestMode(grid.points, grid.centers!)).toEqual(grid.labels);
    expect(gridOfGaussians(10, { side: 3, spacing: 1 }).centers!.length).toBe(18);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    expect(ringOfGaussians(50, { seed: 5 }).points).toEqual(ringOfGaussians(50, { seed: 5 }).points);
    expect(ringOfGaussians(50, { seed: 5 }).points).not.toEqual(ringOfGaussians(50, { seed: 6 }).points);
    expect(twoMoons(50, { seed: 5 }).points).toEqual(twoMoons(50, { seed: 5 }).points);
  });

  it('measures mode coverage: all modes for real data, one for a collapsed generator', () => {
    const grid = gridOfGaussians(2000, { seed: 3 });
    const real = modeCoverage(grid.points, grid);
    expect(real.covered).toBe(25);
    expect(real.highQualityFraction).toBeGreaterThan(0.97); // 1 - exp(-9/2) = 0.989 within 3 std in 2-D
    const collapsed = new Float32Array(200).fill(0.01); // every sample at the center mode (index 12)
    const result = modeCoverage(collapsed, grid);
    expect([result.covered, result.counts[12], result.highQualityFraction]).toEqual([1, 100, 1]);
    expect(modeCoverage(new Float32Array([1, 1]), grid).covered).toBe(0); // between modes: not high quality
    expect(() => modeCoverage(collapsed, twoMoons(4))).toThrow(/modeCoverage: the dataset has no modes/);
  });
});

describe('two moons and swiss roll', () => {
  it('draws two moons with the known mean (0.5, 0.25) and moon labels', () => {
    const moons = twoMoons(4000, { noise: 0.05, seed: 4 });
    const [mx, my] = mean(moons.points);
    expect(mx).toBeCloseTo(0.5, 1);
    expect(my).toBeCloseTo(0.25, 1);
    // Without noise every point lies on its own moon: the upper half of the unit circle, or the lower
    // half of the unit circle about (1, 0.5).
    const exact = twoMoons(200, { noise: 0, seed: 4 });
    for (let i = 0; i < exact.length; i++) {
      const [x, y] = [exact.points[2 * i], exact.points[2 * i + 1]];
      const onMoon = exact.labels![i] === 0 ? Math.hypot(x, y) - 1 : Math.hypot(x - 1, y - 0.5) - 1;
      expect(Math.abs(onMoon)).toBeLessThan(1e-6);
      expect(exact.labels![i] === 0 ? y >= 0 : y <= 0.5).toBe(true);
    }
    expect(moons.centers).toBeNull();
  });

  it('rolls a spiral whose radius grows with its angle', () => {
    const roll = swissRoll(1000, { noise: 0, seed: 5 });
    expect(roll.labels).toBeNull();
    for (let i = 0; i < roll.length; i++) {
      const radius = Math.hypot(roll.points[2 * i], roll.points[2 * i + 1]);
      expect(radius).toBeGreaterThan(0.15 * Math.PI - 1e-6);
      expect(radius).toBeLessThan(0.45 * Math.PI + 1e-6);
    }
  });

  it('uploads points as an f32 tensor [n, 2] and batches them; names bad options', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const moons = twoMoons(6, { seed: 1 });
    const points = moons.toTensor();
    expect(points.shape).toEqual([6, 2]);
    expect(await points.data()).toEqual(moons.points);
    points.dispose();
    let rows = 0;
    for (const batch of gg.data.batches(moons, { batchSize: 4 })) rows += batch.points.shape[0];
    expect(rows).toBe(6);
    expect(rt.memory().liveBuffers).toBe(baseline);
    expect(() => ringOfGaussians(-1)).toThrow(/ringOfGaussians: n must be an integer >= 0, got -1/);
    expect(() => ringOfGaussians(5, { modes: 0 })).toThrow(/ringOfGaussians: modes must be an integer >= 1, got 0/);
    expect(() => gridOfGaussians(5, { std: -1 })).toThrow(/gridOfGaussians: std must be a finite number >= 0, got -1/);
  });
});
