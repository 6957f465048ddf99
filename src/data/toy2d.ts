// Seeded toy distributions in the plane, for fast model tests and the GAN mode-collapse lab: a ring
// of 8 Gaussians, a 5x5 grid of Gaussians, two moons and a swiss roll. The mixtures carry their mode
// centers and spread, and modeCoverage counts which modes a generator's samples reach (the
// "high-quality sample within 3 std of a mode" measure of the Unrolled GAN and VEEGAN papers).

import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import type { Dataset, Field } from './loader.js';
import { SeededRandom } from './random.js';

/**
 * Points in the plane from a toy distribution, as a {@link Dataset} with the one field 'points' ([2] per example), plus
 * the mixture's modes when it has them.
 */
export class ToyDataset implements Dataset<'points'> {
  /** n points, [n, 2] row-major. */
  readonly points: Float32Array;
  /** The mode (mixtures) or moon each point came from; null for the swiss roll. */
  readonly labels: Int32Array | null;
  /** Mode centers [modes, 2] row-major for the mixtures; null otherwise. */
  readonly centers: Float32Array | null;
  /** The standard deviation of each mode (mixtures) or of the added noise (moons, roll). */
  readonly std: number;

  constructor(points: Float32Array, labels: Int32Array | null, centers: Float32Array | null, std: number) {
    this.points = points;
    this.labels = labels;
    this.centers = centers;
    this.std = std;
  }

  /** Number of points n. */
  get length(): number {
    return this.points.length / 2;
  }

  /** Number of mixture modes (0 for moons and the swiss roll). */
  get modes(): number {
    return this.centers ? this.centers.length / 2 : 0;
  }

  /** The 'points' field, for `batches` and {@link DataLoader}. */
  get fields(): Record<'points', Field> {
    return { points: { values: this.points, exampleShape: [2] } };
  }

  /** The points as an f32 tensor [n, 2] (the caller disposes it). */
  toTensor(): Tensor {
    return tensor(this.points, [this.length, 2]);
  }
}

interface SeedOption {
  /** Seed of the JS generator that draws the points (default 0). */
  seed?: number;
}

/** Options of `ringOfGaussians`. */
export interface RingOptions extends SeedOption {
  /** Number of Gaussians, evenly spaced on the circle (default 8). */
  modes?: number;
  /** Radius of the circle of centers (default 2). */
  radius?: number;
  /** Standard deviation of each Gaussian (default 0.02). */
  std?: number;
}

/** Options of `gridOfGaussians`. */
export interface GridOptions extends SeedOption {
  /** Modes per side: side * side Gaussians (default 5). */
  side?: number;
  /** Distance between neighbouring centers (default 2); the grid is centred on the origin. */
  spacing?: number;
  /** Standard deviation of each Gaussian (default 0.05). */
  std?: number;
}

/** Options of `twoMoons` and `swissRoll`. */
export interface NoiseOptions extends SeedOption {
  /** Standard deviation of Gaussian noise added to each coordinate (default 0.05). */
  noise?: number;
}

function checkCount(op: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${op}: n must be an integer >= 0, got ${n}`);
}

function checkPositive(op: string, values: Record<string, number>, integer = false): void {
  for (const [name, value] of Object.entries(values)) {
    if (!(value >= 0 && Number.isFinite(value)) || (integer && (!Number.isInteger(value) || value < 1))) {
      throw new Error(`${op}: ${name} must be ${integer ? 'an integer >= 1' : 'a finite number >= 0'}, got ${value}`);
    }
  }
}

/** n draws from an equal-weight mixture of isotropic Gaussians at `centers`. */
function sampleMixture(n: number, centers: Float32Array, std: number, seed: number): ToyDataset {
  const random = new SeededRandom(seed);
  const modes = centers.length / 2;
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const mode = random.int(modes);
    labels[i] = mode;
    points[2 * i] = centers[2 * mode] + std * random.normal();
    points[2 * i + 1] = centers[2 * mode + 1] + std * random.normal();
  }
  return new ToyDataset(points, labels, centers, std);
}

/** `modes` Gaussians evenly spaced on a circle of `radius` (the first on the positive x axis). */
export function ringOfGaussians(n: number, options: RingOptions = {}): ToyDataset {
  const { modes = 8, radius = 2, std = 0.02, seed = 0 } = options;
  checkCount('ringOfGaussians', n);
  checkPositive('ringOfGaussians', { modes }, true);
  checkPositive('ringOfGaussians', { radius, std });
  const centers = new Float32Array(2 * modes);
  for (let k = 0; k < modes; k++) {
    centers[2 * k] = radius * Math.cos((2 * Math.PI * k) / modes);
    centers[2 * k + 1] = radius * Math.sin((2 * Math.PI * k) / modes);
  }
  return sampleMixture(n, centers, std, seed);
}

/** side x side Gaussians on a square grid centred on the origin; mode index = row * side + column. */
export function gridOfGaussians(n: number, options: GridOptions = {}): ToyDataset {
  const { side = 5, spacing = 2, std = 0.05, seed = 0 } = options;
  checkCount('gridOfGaussians', n);
  checkPositive('gridOfGaussians', { side }, true);
  checkPositive('gridOfGaussians', { spacing, std });
  const centers = new Float32Array(2 * side * side);
  const offset = ((side - 1) * spacing) / 2;
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      const mode = row * side + column;
      centers[2 * mode] = column * spacing - offset;
      centers[2 * mode + 1] = row * spacing - offset;
    }
  }
  return sampleMixture(n, centers, std, seed);
}

/**
 * Two interleaving half circles (scikit-learn's make_moons, with uniformly random positions along
 * them): moon 0 is (cos t, sin t), moon 1 is (1 - cos t, 0.5 - sin t), t in [0, pi].
 */
export function twoMoons(n: number, options: NoiseOptions = {}): ToyDataset {
  return noisyCurve('twoMoons', n, options, true, (random) => {
    const moon = random.int(2);
    const t = Math.PI * random.random();
    return moon === 0 ? [Math.cos(t), Math.sin(t), moon] : [1 - Math.cos(t), 0.5 - Math.sin(t), moon];
  });
}

/**
 * A 2-D swiss roll: (t cos t, t sin t) / 10 with t = 1.5 pi (1 + 2u), u uniform in [0, 1), so the
 * spiral spans about [-1.4, 1.3]; noise is added after scaling.
 */
export function swissRoll(n: number, options: NoiseOptions = {}): ToyDataset {
  return noisyCurve('swissRoll', n, options, false, (random) => {
    const t = 1.5 * Math.PI * (1 + 2 * random.random());
    return [(t * Math.cos(t)) / 10, (t * Math.sin(t)) / 10, 0];
  });
}

/**
 * n points on a curve with Gaussian noise: `place` draws a point [x, y, label] from the seeded stream,
 * then the noise of x and of y is drawn. Labels are kept only when `labelled`.
 */
function noisyCurve(op: string, n: number, options: NoiseOptions, labelled: boolean, place: (random: SeededRandom) => [number, number, number]): ToyDataset {
  const { noise = 0.05, seed = 0 } = options;
  checkCount(op, n);
  checkPositive(op, { noise });
  const random = new SeededRandom(seed);
  const points = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [x, y, label] = place(random);
    labels[i] = label;
    points[2 * i] = x + noise * random.normal();
    points[2 * i + 1] = y + noise * random.normal();
  }
  return new ToyDataset(points, labelled ? labels : null, null, noise);
}

/** The index of the nearest center for each point ([n, 2] and [modes, 2], row-major). */
export function nearestMode(points: ArrayLike<number>, centers: ArrayLike<number>): Int32Array {
  const n = points.length / 2;
  const modes = centers.length / 2;
  if (!Number.isInteger(n) || modes < 1 || !Number.isInteger(modes)) {
    throw new Error(`nearestMode: points (${points.length} values) and centers (${centers.length} values) must be [n, 2] and [modes >= 1, 2]`);
  }
  const nearest = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    for (let k = 0; k < modes; k++) {
      const dx = points[2 * i] - centers[2 * k];
      const dy = points[2 * i + 1] - centers[2 * k + 1];
      const distance = dx * dx + dy * dy;
      if (distance < best) {
        best = distance;
        nearest[i] = k;
      }
    }
  }
  return nearest;
}

/** What `modeCoverage` measures. */
export interface ModeCoverage {
  /** High-quality samples per mode. */
  counts: Int32Array;
  /** Modes with at least `minCount` high-quality samples. */
  covered: number;
  /** The share of samples within `sigmas` std of their nearest mode. */
  highQualityFraction: number;
}

/**
 * How well samples (e.g. a GAN's output, [n, 2]) cover a mixture's modes: a sample is high quality
 * when it lies within `sigmas` (default 3) standard deviations of its nearest center, and a mode is
 * covered when it has at least `minCount` (default 1) high-quality samples.
 */
export function modeCoverage(samples: ArrayLike<number>, mixture: ToyDataset, options: { sigmas?: number; minCount?: number } = {}): ModeCoverage {
  const { sigmas = 3, minCount = 1 } = options;
  if (!mixture.centers) throw new Error('modeCoverage: the dataset has no modes (only ringOfGaussians and gridOfGaussians do)');
  const centers = mixture.centers;
  const nearest = nearestMode(samples, centers);
  const counts = new Int32Array(mixture.modes);
  const radius = sigmas * mixture.std;
  let highQuality = 0;
  for (let i = 0; i < nearest.length; i++) {
    const k = nearest[i];
    if (Math.hypot(samples[2 * i] - centers[2 * k], samples[2 * i + 1] - centers[2 * k + 1]) <= radius) {
      counts[k]++;
      highQuality++;
    }
  }
  return { counts, covered: counts.filter((c) => c >= minCount).length, highQualityFraction: nearest.length ? highQuality / nearest.length : 0 };
}
