// Super-resolution networks (src/models/sr/): output shapes and margins of SRCNN, ESPCN and SRResNet at
// x2, x3, x4; tiled inference equal to whole-image inference on odd sizes; the trainer learning,
// an SRGAN step training both networks, resuming bit for bit; checkpoints; errors naming the op and
// the shapes; live buffers back to baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  SrDiscriminator, SrTrainer, createSuperResolver, defaultSrConfig, loadSrCheckpoint, readSrConfig, saveSrCheckpoint, upscaleTiled, upscaleImage, upscaleBicubic, imresize, resizeBicubic, imageToPlanes, roundToUint8, type EspcnConfig, type SrArchitecture, type SrConfig,
} from '../../src/models/sr/index.js';

const live = () => gg.runtime().memory().liveBuffers;
const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);

/** Small versions of each architecture, quick on the software adapter. */
function smallConfig(architecture: SrArchitecture, scale: number): SrConfig {
  const config = defaultSrConfig(architecture, scale);
  if (config.architecture === 'srcnn') return { ...config, features: [8, 4], bicubicSkip: scale === 3 };
  if (config.architecture === 'espcn') return { ...config, features: [8, 4], bicubicSkip: scale === 3 };
  return { ...config, features: 4, blocks: 1, bicubicSkip: scale === 4 };
}

/** Deterministic smooth-ish images in [0, 1]. */
function images(shape: number[], seed: number): gg.Tensor {
  return gg.rand(shape, { generator: new gg.Generator(seed) });
}

describe('super-resolution networks', () => {
  it('each architecture upscales [N, C, h, w] by its scale', async () => {
    const before = live();
    for (const architecture of ['srcnn', 'espcn', 'srresnet'] as const) {
      for (const scale of [2, 3, 4]) {
        const model = createSuperResolver(smallConfig(architecture, scale), { generator: new gg.Generator(scale) });
        const shape = gg.scope(() => model.forward(images([2, model.channels, 5, 7], 1)).shape);
        expect(shape).toEqual([2, model.channels, 5 * scale, 7 * scale]);
        expect(model.margin).toBeGreaterThan(0);
        model.dispose();
      }
    }
    expect(live()).toBe(before);
  });

  it('tiled inference equals whole-image inference (odd sizes, tiles smaller than the margin)', async () => {
    const before = live();
    for (const [i, architecture] of (['srcnn', 'espcn', 'srresnet'] as const).entries()) {
      const scale = [3, 2, 4][i];
      const model = createSuperResolver(smallConfig(architecture, scale), { generator: new gg.Generator(7 + i) });
      const lowRes = images([1, model.channels, 11, 13], 20 + i);
      const whole = gg.scope(() => gg.noGrad(() => model.forward(lowRes)));
      const ticks: number[] = [];
      const tiled = await upscaleTiled(model, lowRes, { tileSize: 4, onTile: (done) => ticks.push(done) });
      expect(ticks).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
      expect(tiled.shape).toEqual(whole.shape);
      const [a, b] = [await whole.data(), await tiled.data()];
      const worst = maxDifference(a, b);
      expect(worst, architecture).toBeLessThan(1e-5);
      // Without the overlap the tiles' zero padding shows at their seams.
      const seamed = await upscaleTiled(model, lowRes, { tileSize: 4, overlap: 0 });
      const seamError = maxDifference(await seamed.data(), a);
      expect(seamError, architecture).toBeGreaterThan(1e-3);
      for (const t of [lowRes, whole, tiled, seamed]) t.dispose();
      model.dispose();
    }
    expect(live()).toBe(before);
  });

  it('with the bicubic skip and the last convolution zeroed, each architecture is bicubic upscaling', async () => {
    const before = live();
    for (const architecture of ['srcnn', 'espcn', 'srresnet'] as const) {
      const config = { ...smallConfig(architecture, 2), bicubicSkip: true };
      const model = createSuperResolver(config, { generator: new gg.Generator(3) });
      const last = model.namedParameters().filter(([name]) => name.startsWith(architecture === 'srresnet' ? 'tail.' : 'conv3.'));
      expect(last.length, architecture).toBe(2);
      gg.noGrad(() => gg.scope(() => { for (const [, p] of last) p.assign(gg.zerosLike(p)); }));
      const lowRes = images([1, model.channels, 6, 5], 4);
      const [output, bicubic] = gg.scope(() => gg.noGrad(() => [model.forward(lowRes), resizeBicubic(lowRes, { height: 12, width: 10 })]));
      expect(maxDifference(await output.data(), await bicubic.data()), architecture).toBeLessThan(1e-6);
      for (const t of [lowRes, output, bicubic]) t.dispose();
      model.dispose();
    }
    expect(live()).toBe(before);
  });

  it('upscaleImage: grey, RGB and RGBA images through luminance and RGB networks', async () => {
    const before = live();
    const pixels = (channels: number) => Uint8Array.from({ length: 6 * 5 * channels }, (_, i) => (i * 37) % 256);
    const luminance = createSuperResolver(smallConfig('espcn', 2), { generator: new gg.Generator(5) });
    const colour = createSuperResolver(smallConfig('srresnet', 2), { generator: new gg.Generator(6) });
    for (const channels of [1, 3, 4] as const) {
      const image = { width: 5, height: 6, channels, pixels: pixels(channels) };
      for (const model of [luminance, colour]) {
        const out = await upscaleImage(model, image, { tileSize: 3 });
        expect([out.width, out.height, out.channels]).toEqual([10, 12, channels]);
        if (channels === 4) expect(Array.from(out.pixels.filter((_, i) => i % 4 === 3))).toEqual(Array.from(upscaleBicubic(image, 2).pixels.filter((_, i) => i % 4 === 3)));
      }
    }
    // A grey image through a luminance network is the network's output, rounded to 8 bits.
    const grey = { width: 5, height: 6, channels: 1 as const, pixels: pixels(1) };
    const direct = gg.scope(() => gg.noGrad(() => luminance.forward(gg.tensor(Float32Array.from(grey.pixels, (v) => v / 255), [1, 1, 6, 5]))));
    const expected = Array.from(await direct.data(), (v) => Math.min(255, Math.max(0, Math.round(v * 255))));
    expect(Array.from((await upscaleImage(luminance, grey)).pixels)).toEqual(expected);
    // The bicubic baseline resizes every channel as imresize does.
    const bicubic = upscaleBicubic(grey, 3);
    expect(Array.from(bicubic.pixels)).toEqual(Array.from(roundToUint8(imresize(imageToPlanes(grey)[0], 3)).data));
    for (const t of [luminance, colour, direct]) t.dispose();
    expect(live()).toBe(before);
  });

  it('rejects bad inputs and configs, naming the op and the shapes', () => {
    const model = createSuperResolver(smallConfig('espcn', 3));
    gg.scope(() => {
      expect(() => model.forward(gg.zeros([1, 3, 4, 4]))).toThrow(/Espcn.forward: expected low-resolution images of shape \[N, 1, h, w\] f32.*\[1, 3, 4, 4\]/s);
      expect(() => upscaleTiled(model, gg.zeros([1, 1, 4, 4]), { tileSize: 0 })).rejects.toThrow(/upscaleTiled: tileSize/);
    });
    expect(() => createSuperResolver({ ...defaultSrConfig('srresnet', 5) })).toThrow(/SrResNet: scale 5 is not 3 or a power of 2/);
    expect(() => createSuperResolver({ ...(defaultSrConfig('espcn', 2) as EspcnConfig), kernels: [4, 3, 3] })).toThrow(/Espcn: kernel sides must be odd/);
    expect(() => defaultSrConfig('edsr' as SrArchitecture, 2)).toThrow(/unknown architecture 'edsr'/);
    model.dispose();
  });
});

describe('SrTrainer', () => {
  /** A fixed batch: high-resolution patches and their 2x2 box-averaged low-resolution inputs. */
  function batch(seed: number): { lowRes: gg.Tensor; highRes: gg.Tensor } {
    return gg.scope(() => {
      const highRes = images([4, 1, 12, 12], seed);
      const lowRes = gg.nn.functional.pixelUnshuffle(highRes, 2).mean(1, true);
      return { lowRes, highRes };
    });
  }

  it('lowers the pixel loss, and resumes bit for bit from its state', async () => {
    const before = live();
    const data = batch(3);
    const run = async (trainer: SrTrainer, steps: number) => {
      const losses: number[] = [];
      for (let k = 0; k < steps; k++) {
        const loss = gg.scope(() => trainer.step(data).loss);
        losses.push(await loss.item());
        loss.dispose();
      }
      return losses;
    };
    const model = createSuperResolver(smallConfig('espcn', 2), { generator: new gg.Generator(1) });
    const trainer = new SrTrainer(model, { lr: 3e-3, decaySteps: 40 });
    const first = await run(trainer, 30);
    expect(first[29]).toBeLessThan(first[0] * 0.7);
    const saved = await gg.saveTrainerCheckpoint(trainer);
    const next = await run(trainer, 3);

    const again = createSuperResolver(smallConfig('espcn', 2), { generator: new gg.Generator(99) });
    const resumed = new SrTrainer(again, { lr: 3e-3, decaySteps: 40 });
    await gg.loadTrainerCheckpoint(saved, resumed);
    expect(resumed.stepCount).toBe(30);
    expect(await run(resumed, 3)).toEqual(next);
    for (const t of [trainer, resumed, model, again]) t.dispose();
    data.lowRes.dispose();
    data.highRes.dispose();
    expect(live()).toBe(before);
  });

  it('an SRGAN step trains the generator and the discriminator and reports every loss', async () => {
    const before = live();
    const data = batch(5);
    const model = createSuperResolver({ ...smallConfig('srresnet', 2), channels: 1 }, { generator: new gg.Generator(2) });
    const discriminator = new SrDiscriminator({ channels: 1, features: 4, stages: 2, generator: new gg.Generator(3) });
    const trainer = new SrTrainer(model, { lr: 1e-3, adversarial: { discriminator, weight: 0.01 } });
    const headBefore = await discriminator.stateDict()['head.weight'].data();
    const losses = gg.scope(() => trainer.step(data));
    expect(Object.keys(losses).sort()).toEqual(['adversarial', 'discriminator', 'features', 'loss']);
    for (const [name, loss] of Object.entries(losses)) {
      expect(Number.isFinite(await loss.item()), name).toBe(true);
      loss.dispose();
    }
    expect(await discriminator.stateDict()['head.weight'].data()).not.toEqual(headBefore);
    expect(trainer.namedParameters().map(([name]) => name)).toContain('discriminator.head.weight');
    expect(() => new SrTrainer(model, { adversarial: { discriminator, loss: 'wganGp' } })).toThrow(/wganGp/);
    for (const t of [trainer, model, discriminator]) t.dispose();
    data.lowRes.dispose();
    data.highRes.dispose();
    expect(live()).toBe(before);
  });

  it('checkpoints keep the architecture and the weights', async () => {
    const before = live();
    const model = createSuperResolver(smallConfig('espcn', 3), { generator: new gg.Generator(4) });
    const bytes = await saveSrCheckpoint(model, { note: 'test' });
    expect(readSrConfig(bytes)).toEqual(model.config);
    const loaded = await loadSrCheckpoint(bytes);
    const input = images([1, 1, 5, 6], 9);
    const [a, b] = gg.scope(() => gg.noGrad(() => [model.forward(input), loaded.forward(input)]));
    expect([...(await b.data())]).toEqual([...(await a.data())]);
    for (const t of [model, loaded, input, a, b]) t.dispose();
    expect(live()).toBe(before);
  });
});
