// Generative art (src/models/art/): the CPPN's renders are deterministic per seed, in [0, 1], the same
// picture at any resolution (a 2x render pooled 2x2 matches the 1x render), the same in bands as in one
// piece, and refuse bad sizes and latents by name; latent walks start and end on their keyframes (and
// pass through them), slerp keeps the norm, a decoder runs along the walk, and DDIM from fixed noise
// is a walkable decoder; every GPU buffer comes back.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { Cppn, interpolateLatents, latentWalk, pixelCoordinates, randomLatent, renderWalkPngs } from '../../src/models/art/index.js';
import { MlpDenoiser, NoiseSchedule, ddimSample } from '../../src/models/diffusion/index.js';

const live = () => gg.runtime().memory().liveBuffers;

/** Renders one latent and returns its values [H, W, C] on the host. */
async function renderValues(cppn: Cppn, latent: gg.Tensor, width: number, height: number, extra: { bandPixels?: number } = {}): Promise<Float32Array> {
  const image = cppn.render(latent, { width, height, ...extra });
  try {
    return (await image.data()) as Float32Array;
  } finally {
    image.dispose();
  }
}

/** The mean of each 2 x 2 block of an image [2H, 2W, C]: [H, W, C]. */
function pool2x2(values: Float32Array, width: number, height: number, channels: number): Float32Array {
  const out = new Float32Array((width / 2) * (height / 2) * channels);
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < width / 2; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) sum += values[((2 * y + dy) * width + 2 * x + dx) * channels + c];
        out[(y * (width / 2) + x) * channels + c] = sum / 4;
      }
    }
  }
  return out;
}

describe('Cppn', () => {
  it('renders the same bits for the same seed, another picture for another seed, all in [0, 1]', async () => {
    const baseline = live();
    const z = randomLatent(8, 5);
    const [a, b, c] = [new Cppn({ seed: 1 }), new Cppn({ seed: 1 }), new Cppn({ seed: 2 })];
    const [va, vb, vc] = [await renderValues(a, z, 24, 16), await renderValues(b, z, 24, 16), await renderValues(c, z, 24, 16)];
    expect(va.length).toBe(24 * 16 * 3);
    expect(vb).toEqual(va);
    const differing = va.reduce((n, v, i) => n + (Math.abs(v - vc[i]) > 0.05 ? 1 : 0), 0);
    expect(differing).toBeGreaterThan(va.length / 4);
    for (const values of [va, vc]) {
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(1);
      // Not flat: the default spread gives patterns, not one colour.
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      expect(Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length)).toBeGreaterThan(0.05);
    }
    // Another latent for the same network: another picture; the same latent as an array: the same one.
    const other = randomLatent(8, 6);
    expect(await renderValues(a, other, 24, 16)).not.toEqual(va);
    const asArray = a.render(Array.from(await z.data()), { width: 24, height: 16 });
    expect(await asArray.data()).toEqual(va);
    for (const t of [z, other, asArray]) t.dispose();
    for (const m of [a, b, c]) m.dispose();
    expect(live()).toBe(baseline);
  });

  it('is the same picture at twice the resolution: a 2x render pooled 2x2 matches the 1x render', async () => {
    const baseline = live();
    const [w, h] = [64, 48];
    const report: string[] = [];
    for (const seed of [0, 1, 2, 3]) {
      for (const output of ['rgb', 'grey'] as const) {
        const cppn = new Cppn({ seed, output });
        const z = randomLatent(cppn.config.latentDim, 100 + seed);
        const small = await renderValues(cppn, z, w, h);
        const pooled = pool2x2(await renderValues(cppn, z, 2 * w, 2 * h), 2 * w, 2 * h, cppn.channels);
        let [sum, max] = [0, 0];
        for (let i = 0; i < small.length; i++) {
          const diff = Math.abs(small[i] - pooled[i]);
          sum += diff;
          max = Math.max(max, diff);
        }
        report.push(`seed ${seed} ${output}: mean ${(sum / small.length).toFixed(5)}, max ${max.toFixed(4)}`);
        // With the defaults, over seeds 0-9 in both outputs, the mean abs difference measured 0.0007 to 0.0025 and
        // the largest 0.011 to 0.065 (at the busiest pixels): the bounds leave about 2x of room.
        expect(sum / small.length, report.at(-1)).toBeLessThan(0.005);
        expect(max, report.at(-1)).toBeLessThan(0.1);
        z.dispose();
        cppn.dispose();
      }
    }
    console.log(`CPPN ${w}x${h} vs ${2 * w}x${2 * h} pooled 2x2:\n  ${report.join('\n  ')}`);
    expect(live()).toBe(baseline);
  });

  it('renders in bands the same picture as in one piece, and 8-bit images and PNGs of it', async () => {
    const baseline = live();
    const cppn = new Cppn({ seed: 3, output: 'grey', depth: 3, activations: ['sin', 'softplus', 'gaussian'] });
    const z = randomLatent(8, 3);
    const whole = await renderValues(cppn, z, 20, 13);
    expect(whole.length).toBe(20 * 13);
    // 3 rows of 20 per band, so 5 bands, the last one row high.
    expect(await renderValues(cppn, z, 20, 13, { bandPixels: 60 })).toEqual(whole);
    const image = await cppn.renderImage(z, { width: 20, height: 13, bandPixels: 45 });
    expect([image.width, image.height, image.channels]).toEqual([20, 13, 1]);
    expect(Array.from(image.pixels)).toEqual(Array.from(whole, (v) => Math.round(v * 255)));
    const png = await cppn.renderPng(z, { width: 20, height: 13 });
    expect(Array.from(png.subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    // A batch of latents renders each.
    const both = gg.stack([z, z]);
    const batch = cppn.render(both, { width: 20, height: 13 });
    expect(batch.shape).toEqual([2, 13, 20, 1]);
    const values = await batch.data();
    expect(values.subarray(260)).toEqual(whole);
    for (const t of [z, both, batch]) t.dispose();
    cppn.dispose();
    expect(live()).toBe(baseline);
  });

  it('bounds GPU memory by the band: a large renderImage never holds a whole hidden layer', async () => {
    const cppn = new Cppn({ seed: 4 });
    const z = randomLatent(8, 4);
    const held = () => {
      const m = gg.runtime().memory();
      return m.liveBytes + m.pooledBytes;
    };
    const before = held();
    // 256 x 128 in bands of 1024 pixels (4 rows): one hidden activation of the whole image would be 256 * 128 * 32 * 4
    // bytes = 4 MiB; the GPU memory the render adds (buffers live or kept by the pool) stays under half of that.
    const image = await cppn.renderImage(z, { width: 256, height: 128, bandPixels: 1024 });
    expect(image.pixels.length).toBe(256 * 128 * 3);
    expect(held() - before).toBeLessThan(2 ** 21);
    z.dispose();
    cppn.dispose();
  });

  it('takes pixel centres over an extent set by the aspect ratio alone', () => {
    // 4 x 2 at scale 1: the shorter side spans [-1, 1], so pixels are 1 unit wide and x spans [-2, 2].
    const c = pixelCoordinates(4, 2, 1);
    expect(Array.from(c.subarray(0, 3))).toEqual([-1.5, 0.5, Math.fround(Math.hypot(1.5, 0.5))]);
    expect(Array.from(c.subarray(3 * 7, 3 * 7 + 2))).toEqual([1.5, -0.5]);
    // Twice the size: the same extent, half the pixel.
    expect(Array.from(pixelCoordinates(8, 4, 1).subarray(0, 2))).toEqual([-1.75, 0.75]);
  });

  it('refuses bad sizes, latents and configs, naming the op and the shapes', () => {
    const baseline = live();
    const cppn = new Cppn({ latentDim: 4 });
    const z = randomLatent(4, 0);
    expect(() => cppn.render(z, { width: 10.5, height: 8 })).toThrow(/^Cppn\.render: width and height must be positive integers, got 10\.5 x 8/);
    expect(() => cppn.render(z, { width: 0, height: 8 })).toThrow(/Cppn\.render: width and height/);
    expect(() => cppn.render([1, 2, 3], { width: 4, height: 4 })).toThrow(/^Cppn\.render: expected a latent of 4 numbers \(\[4\] f32\), got 3 \(\[3\]\)/);
    const wrong = randomLatent(5, 0);
    expect(() => cppn.render(wrong, { width: 4, height: 4 })).toThrow(/^Cppn\.render: expected an f32 latent \[4\] or latents \[N, 4\], got \[5\] f32/);
    expect(() => cppn.render(z, { width: 4, height: 4, scale: -1 })).toThrow(/^Cppn\.render: scale must be a finite number > 0, got -1/);
    const coords = gg.zeros([6, 2]);
    expect(() => cppn.forward(coords, z)).toThrow(/^Cppn\.forward: expected f32 coordinates \[\.\.\., 3\] \(x, y, r\), got \[6, 2\] f32/);
    expect(() => new Cppn({ activations: ['tanh', 'relu' as 'tanh'] })).toThrow(/^Cppn: activations must be a non-empty list of tanh, sin, gaussian, softplus; got \[tanh, relu\]/);
    expect(() => new Cppn({ hidden: 0 })).toThrow(/^Cppn: hidden must be a positive integer, got 0/);
    return (async () => {
      const pair = gg.stack([z, z]);
      await expect(cppn.renderImage(pair, { width: 4, height: 4 })).rejects.toThrow(/^Cppn\.renderImage: renders one latent \[4\], got \[2, 4\]/);
      for (const t of [z, wrong, coords, pair]) t.dispose();
      cppn.dispose();
      expect(live()).toBe(baseline);
    })();
  });
});

describe('latent walks', () => {
  it('interpolateLatents: starts and ends on the keyframes, passes through them, and slerp keeps the norm', async () => {
    const baseline = live();
    const keys = gg.randn([3, 64], { generator: new gg.Generator(9) });
    const k = (await keys.data()) as Float32Array;
    const row = (values: Float32Array, i: number, d = 64) => values.subarray(i * d, (i + 1) * d);
    const norm = (v: Float32Array) => Math.hypot(...v);

    const walk = await interpolateLatents(keys, { steps: 9 });
    expect(walk.shape).toEqual([9, 64]);
    const w = (await walk.data()) as Float32Array;
    expect(row(w, 0)).toEqual(row(k, 0));
    expect(row(w, 4)).toEqual(row(k, 1));
    expect(row(w, 8)).toEqual(row(k, 2));
    // Slerp between two Gaussian keyframes stays near their norms; lerp's midpoint falls short by about 1/sqrt(2).
    const lerp = await interpolateLatents(keys, { steps: 9, path: 'lerp' });
    const l = (await lerp.data()) as Float32Array;
    const ends = (norm(row(k, 0)) + norm(row(k, 1))) / 2;
    expect(Math.abs(norm(row(w, 2)) / ends - 1)).toBeLessThan(0.1);
    expect(norm(row(l, 2)) / ends).toBeLessThan(0.85);

    const loop = await interpolateLatents(keys, { steps: 6, loop: true });
    const o = (await loop.data()) as Float32Array;
    expect([row(o, 0), row(o, 2), row(o, 4)]).toEqual([row(k, 0), row(k, 1), row(k, 2)]);

    const two = gg.slice(keys, 0, 0, 2);
    const circle = await interpolateLatents(two, { steps: 8, path: 'circle' });
    const c = (await circle.data()) as Float32Array;
    expect([row(c, 0), row(c, 2)]).toEqual([row(k, 0), row(k, 1)]);
    for (let i = 0; i < 64; i++) expect(c[4 * 64 + i]).toBeCloseTo(-k[i], 5);

    // Latents of any shape: [K, 1, 2, 2].
    const images = gg.randn([2, 1, 2, 2], { generator: new gg.Generator(1) });
    const shaped = await interpolateLatents(images, { steps: 3, path: 'lerp' });
    expect(shaped.shape).toEqual([3, 1, 2, 2]);

    await expect(interpolateLatents(keys, { steps: 1 })).rejects.toThrow(/^interpolateLatents: steps must be an integer >= 2, got 1/);
    await expect(interpolateLatents(keys, { steps: 4, path: 'circle' })).rejects.toThrow(/^interpolateLatents: the 'circle' path goes through exactly 2 latents, got keyframes \[3, 64\]/);
    const single = gg.slice(keys, 0, 0, 1);
    await expect(interpolateLatents(single, { steps: 4 })).rejects.toThrow(/^interpolateLatents: expected f32 keyframes \[K, \.\.\.latentShape\] with K >= 2, got \[1, 64\] f32/);
    for (const t of [keys, walk, lerp, loop, two, circle, images, shaped, single]) t.dispose();
    expect(live()).toBe(baseline);
  });

  it('latentWalk: runs a decoder along the path in batches; its end frames decode the keyframes', async () => {
    const baseline = live();
    const cppn = new Cppn({ latentDim: 4, seed: 2 });
    const keys = gg.scope(() => gg.stack([randomLatent(4, 1), randomLatent(4, 2)]));
    const size = { width: 12, height: 10 };
    const frames = await latentWalk((z) => cppn.render(z, size), keys, { steps: 5, batchSize: 2 });
    expect(frames.shape).toEqual([5, 10, 12, 3]);
    const values = (await frames.data()) as Float32Array;
    const frameSize = 10 * 12 * 3;
    const [first, last] = gg.scope(() => [gg.slice(keys, 0, 0, 1).reshape([4]), gg.slice(keys, 0, 1, 2).reshape([4])]);
    expect(values.subarray(0, frameSize)).toEqual(await renderValues(cppn, first, 12, 10));
    expect(values.subarray(4 * frameSize)).toEqual(await renderValues(cppn, last, 12, 10));
    // A decoder that returns the wrong count is named.
    const bad = gg.zeros([1, 3]);
    await expect(latentWalk(() => bad.clone(), keys, { steps: 3 })).rejects.toThrow(/^latentWalk: the decoder must return 3 outputs along its first dimension for latents \[3, 4\], got \[1, 3\]/);

    // The PNGs of a walk, frame by frame.
    const latents = await interpolateLatents(keys, { steps: 3 });
    const pngs: number[] = [];
    await renderWalkPngs(cppn, latents, size, (png, i) => void pngs.push(i * 1000 + png[1]));
    expect(pngs).toEqual([0x50, 1000 + 0x50, 2000 + 0x50]);
    for (const t of [keys, frames, first, last, bad, latents]) t.dispose();
    cppn.dispose();
    expect(live()).toBe(baseline);
  });

  it('DDIM from fixed noise is a deterministic decoder to walk', async () => {
    const baseline = live();
    const model = new MlpDenoiser({ dim: 3, hidden: 8, blocks: 1, generator: new gg.Generator(0) });
    const schedule = new NoiseSchedule({ kind: 'cosine', steps: 20 });
    const sample = async (noise: gg.Tensor) => ddimSample(model, schedule, noise.shape[0], { noise, steps: 5 });
    const keys = gg.randn([2, 3], { generator: new gg.Generator(4) });
    const walk = await latentWalk(sample, keys, { steps: 4 });
    const again = await latentWalk(sample, keys, { steps: 4 });
    expect(walk.shape).toEqual([4, 3]);
    expect(await again.data()).toEqual(await walk.data());
    const direct = await ddimSample(model, schedule, 2, { noise: keys, steps: 5 });
    const w = await walk.data();
    const d = await direct.data();
    // The walk's ends are the keyframes' samples (a batch of 4 and one of 2 may round differently).
    for (let i = 0; i < 3; i++) {
      expect(w[i]).toBeCloseTo(d[i], 5);
      expect(w[9 + i]).toBeCloseTo(d[3 + i], 5);
    }
    const wrong = gg.zeros([2, 4]);
    await expect(ddimSample(model, schedule, 2, { noise: wrong, steps: 5 })).rejects.toThrow(/^ddimSample: noise must be f32 \[2, 3\] \(count, \.\.\.dataShape\), got \[2, 4\] f32/);
    for (const t of [keys, walk, again, direct, wrong]) t.dispose();
    model.dispose();
    schedule.dispose();
    expect(live()).toBe(baseline);
  });
});
