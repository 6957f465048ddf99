// The Diffusion page: a class-conditional denoising diffusion model learns MNIST in the browser, and
// its reverse process is drawn step by step, from noise on the left to a digit on the right.
//   latent: Stable Diffusion's design at MNIST scale. Phase 1 trains a small MLP VAE for a fixed
//   number of steps; phase 2 encodes the training digits to the VAE's standardised latents once and
//   trains an MLP denoiser on them; samples are decoded by the VAE. Cheap enough for a software GPU.
//   pixel: a tiny U-Net denoises the 28x28 images themselves, scaled to [-1, 1] (for a real GPU).
// Both drop the label 10% of the time, so the sampler can use classifier-free guidance.
import * as gg from '../../src/index.js';
import { ChunkSizer } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';
import { drawImages, drawRaster } from '../plot.js';

const MNIST_SOURCE = 'data/mnist';
/** Training digits loaded (the first of the 60,000). */
const TRAIN_LIMIT = 6000;
/**
 * T = 200 with the cosine schedule rather than DDPM's T = 1000 with linear betas: ancestral DDPM then
 * takes 200 network calls, which stays interactive on a software GPU, and the cosine schedule (unlike
 * linear betas tuned for T = 1000) still ends in pure noise at this T.
 */
export const SCHEDULE: gg.models.NoiseScheduleOptions = { kind: 'cosine', steps: 200 };
const LABEL_DROPOUT = 0.1;
/** The VAE's training steps in phase 1, and its batch: about five passes over the 6,000 digits. */
const VAE_STEPS = 240;
const VAE_BATCH = 128;
/** Samples drawn by a render or a Sample press; the first PROCESS_ROWS are also drawn step by step. */
const SAMPLE_COUNT = 20;
const PROCESS_ROWS = 5;
/** Snapshots along the reverse process: the columns of the process grid. */
const PROCESS_COLUMNS = 9;
/** The noise renders sample from, so the same samples can be watched improving as the model trains. */
const RENDER_SEED = 7;
/** In the checkpoint of a latent model: the VAE's tensors under this prefix, its file's metadata under this key. */
const VAE_PREFIX = 'vae.';
const VAE_METADATA_KEY = 'demo.vae';

/**
 * Where the samplers clip the clean-data estimate: pixels live in [-1, 1]; standardised latents almost all
 * within 3 standard deviations. Near t = T the estimate divides the predicted noise's error by sqrt(ā_t) (about
 * 2.5e-4 at the last step), and unclipped it would decode to saturated blots in the process grid's first columns.
 */
export const CLIP_DATA = { pixel: 1, latent: 3 };

type ModelKind = 'latent' | 'pixel';
type Sampler = 'ddim' | 'ddpm';

/** The latent model's VAE: 8 latent dimensions, enough for recognisable digits from an MLP this small. */
const VAE_CONFIG: gg.models.VaeConfig = { kind: 'mlp', inputDim: 784, hiddenDim: 256, latentDim: 8, activation: 'relu' };

const models: Record<ModelKind, { label: string; denoiser: gg.models.DenoiserConfig; batch: number; lr: number }> = {
  latent: {
    label: 'latent: MLP VAE 784-256-8, then an MLP denoiser (fast anywhere)',
    denoiser: { kind: 'mlp', dim: VAE_CONFIG.latentDim, hidden: 128, blocks: 3, numClasses: 10 },
    batch: 128,
    lr: 1e-3,
  },
  pixel: {
    label: 'pixel: U-Net 8-16 channels on 28x28 (for a real GPU)',
    denoiser: { kind: 'unet', channels: 1, size: 28, baseChannels: 8, channelMults: [1, 2], blocksPerLevel: 1, heads: 2, groups: 4, numClasses: 10 },
    batch: 32,
    lr: 1e-3,
  },
};

class DiffusionPage implements DemoPage {
  readonly lossLabel = 'diffusion loss (MSE of the predicted noise)';
  readonly stepName = 'steps';
  readonly renderIntervalMs = 4000;
  readonly checkpoint = {
    fileName: 'gengpu-diffusion.safetensors',
    save: (metadata: Record<string, string>) => this.save(metadata),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private kind: ModelKind = 'latent';
  private sampler: Sampler = 'ddim';
  private shell: ShellApi | null = null;
  private train6k: gg.data.MnistDataset | null = null;
  /** The training digits [N, 784] in [0, 1] (the VAE's data) and their labels, on the GPU. */
  private images: gg.Tensor | null = null;
  private labels: gg.Tensor | null = null;
  /** The training digits in [-1, 1], [N, 1, 28, 28] (the pixel model's data), made when first needed. */
  private pixels: gg.Tensor | null = null;
  /** Ten test digits, for the VAE's reconstructions. */
  private testImages: gg.Tensor | null = null;
  /** Draws the training batches' indices. */
  private picks = new gg.Generator(1);
  private sizer = new ChunkSizer();
  /** Seeds Sample presses: each press draws new samples. */
  private sampleSeed = 100;

  // phase 1 of the latent model
  private vae: gg.models.Vae | null = null;
  private vaeTrainer: gg.models.VaeTrainer | null = null;
  private vaeStep: gg.CapturedFunction<[], gg.Tensor> | null = null;
  /** Steps the VAE trained for (phase 1 may end a few past VAE_STEPS, at the end of a chunk). */
  private vaeSteps = 0;
  // phase 2 (or the pixel model)
  private normalization: gg.models.LatentNormalization | null = null;
  private latents: gg.Tensor | null = null;
  private denoiser: gg.models.Denoiser | null = null;
  private trainer: gg.models.DiffusionTrainer | null = null;
  private denoiserStep: gg.CapturedFunction<[], gg.Tensor> | null = null;

  private readonly process = element('canvas', { class: 'pixels fill', id: 'process' });
  private readonly samples = element('canvas', { class: 'pixels fill', id: 'samples' });
  private readonly reconstructions = element('canvas', { class: 'pixels fill', id: 'reconstructions' });
  private readonly processTitle = element('h3', { id: 'process-title' });
  private readonly vaeCard = card('The VAE of phase 1: test digits (top) and their reconstructions (bottom)', this.reconstructions);
  private readonly readout = element('div', { class: 'caption', id: 'sampling' });
  private readonly stepsSlider = element('input', { type: 'range', min: '2', max: '100', value: '20', id: 'ddim-steps' });
  private readonly guidanceSlider = element('input', { type: 'range', min: '0', max: '6', step: '0.5', value: '2', id: 'guidance' });
  private readonly stepsValue = element('span');
  private readonly guidanceValue = element('span');
  private readonly classPicker = choice(
    'class', 'class',
    [['each', '0-9, one each'], ['any', 'any (no class)'], ...Array.from({ length: 10 }, (_, d) => [String(d), String(d)] as const)],
    'each', () => this.showSamplerSettings(),
  );

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const options = element('div', { class: 'options' });
    options.append(
      choice('model', 'model', Object.entries(models).map(([id, m]) => [id, m.label] as const), this.kind, (v) => {
        this.kind = v as ModelKind;
        void shell.restart();
      }),
    );
    const sampleButton = element('button', { id: 'sample' }, 'Sample');
    sampleButton.onclick = () => void shell.run(() => this.sample(new gg.Generator(this.sampleSeed++), true));
    const stepsLabel = element('label', {}, 'DDIM steps');
    stepsLabel.append(this.stepsSlider, this.stepsValue);
    const guidanceLabel = element('label', {}, 'guidance');
    guidanceLabel.append(this.guidanceSlider, this.guidanceValue);
    this.stepsSlider.oninput = this.guidanceSlider.oninput = () => this.showSamplerSettings();
    const samplerRow = element('div', { class: 'options' });
    samplerRow.append(
      choice('sampler', 'sampler', [['ddim', 'DDIM (deterministic)'], ['ddpm', 'DDPM (ancestral, every step)']], this.sampler, (v) => {
        this.sampler = v as Sampler;
        this.showSamplerSettings();
      }),
      stepsLabel, guidanceLabel, this.classPicker, sampleButton,
    );
    const processCard = element('section', { class: 'card' });
    processCard.append(this.processTitle, this.process, element('div', { class: 'caption' }, 'each row is one sample; the columns are snapshots along the reverse process, from noise (left) to the final sample (right)'));
    const columns = element('div', { class: 'grid-2' });
    const [left, right] = [element('div', { class: 'page-view' }), element('div', { class: 'page-view' })];
    left.style.marginTop = right.style.marginTop = '0';
    left.append(processCard, this.vaeCard);
    right.append(card('Samples', this.samples, this.readout));
    columns.append(left, right);
    view.append(options, samplerRow, columns);
    this.showSamplerSettings();
    shell.note('loading MNIST…');
    this.train6k = await gg.data.loadMnist({ split: 'train', limit: TRAIN_LIMIT, source: MNIST_SOURCE });
    const test = await gg.data.loadMnist({ split: 'test', limit: 10, source: MNIST_SOURCE });
    this.testImages = gg.tensor(test.images, [10, 784]);
    this.images = gg.tensor(this.train6k.images, [this.train6k.length, 784]);
    this.labels = gg.tensor(this.train6k.labels, [this.train6k.length]);
    shell.note(`${this.train6k.length.toLocaleString('en-US')} training digits loaded`);
  }

  /** The sampler controls' values beside them; the steps slider only applies to DDIM, guidance only to a class. */
  private showSamplerSettings(): void {
    this.stepsSlider.disabled = this.sampler === 'ddpm';
    this.stepsValue.textContent = this.sampler === 'ddpm' ? `(DDPM: all ${SCHEDULE.steps})` : this.stepsSlider.value;
    this.guidanceSlider.disabled = this.classChoice() === 'any';
    this.guidanceValue.textContent = this.classChoice() === 'any' ? '(needs a class)' : this.guidanceSlider.value;
  }

  private classChoice(): string {
    return (this.classPicker.querySelector('select') as HTMLSelectElement).value;
  }

  private freeModels(): void {
    this.vaeStep?.dispose();
    this.vaeTrainer?.dispose();
    this.vae?.dispose();
    this.denoiserStep?.dispose();
    this.trainer?.dispose();
    this.denoiser?.dispose();
    this.latents?.dispose();
    this.vaeStep = this.vaeTrainer = this.vae = this.denoiserStep = this.trainer = this.denoiser = this.latents = null;
    this.normalization = null;
  }

  async reset(): Promise<void> {
    this.freeModels();
    this.vaeSteps = 0;
    this.picks = new gg.Generator(1);
    this.sizer = new ChunkSizer();
    this.vaeCard.style.display = this.kind === 'latent' ? '' : 'none';
    this.processTitle.textContent = this.kind === 'latent'
      ? 'The reverse process: the decoded clean-data estimate at each snapshot'
      : 'The reverse process: x_t itself, from noise to digit';
    if (this.kind === 'pixel') {
      this.pixels ??= gg.scope(() => gg.tensor(this.train6k!.images, [this.train6k!.length, 1, 28, 28]).mul(2).sub(1));
      this.makeDenoiser();
      return;
    }
    this.vae = gg.models.createVae(VAE_CONFIG, { generator: new gg.Generator(0) });
    this.vae.initOutputBias(meanImage(this.train6k!));
    this.vaeTrainer = new gg.models.VaeTrainer(this.vae, { lr: 3e-3, seed: 0 });
  }

  /** The denoiser and its trainer for the current model kind (phase 2 of the latent model). */
  private makeDenoiser(): void {
    const recipe = models[this.kind];
    this.denoiser = gg.models.createDenoiser(recipe.denoiser, { generator: new gg.Generator(0) });
    this.trainer = new gg.models.DiffusionTrainer(this.denoiser, { schedule: SCHEDULE, lr: recipe.lr, labelDropout: LABEL_DROPOUT, seed: 0 });
    this.sizer = new ChunkSizer();
  }

  /** Phase 2 of the latent model: the training digits as standardised latents (the training set's own standardisation, or a checkpoint's). */
  private async encodeTrainingSet(normalization?: gg.models.LatentNormalization): Promise<void> {
    const encoded = await gg.models.encodeLatents(this.vae!, this.train6k!.images, { normalization });
    this.normalization = encoded.normalization;
    this.latents = gg.tensor(encoded.latents, [this.train6k!.length, VAE_CONFIG.latentDim]);
  }

  private phase(): 'vae' | 'denoiser' {
    return this.kind === 'latent' && !this.trainer ? 'vae' : 'denoiser';
  }

  async train() {
    if (this.phase() === 'vae') {
      const trainer = this.vaeTrainer!;
      const chunk = await this.sizer.run(() =>
        gg.scope(() => {
          this.vaeStep ??= gg.capture(() => trainer.step(gg.indexSelect(this.images!, 0, gg.randint(0, this.images!.shape[0], [VAE_BATCH], { generator: this.picks }))).loss);
          return this.vaeStep();
        }),
      );
      this.shell!.note(`phase 1 of 2: the VAE learns to compress digits to ${VAE_CONFIG.latentDim} numbers (step ${trainer.stepCount} of ${VAE_STEPS}, -ELBO ${chunk.loss.toFixed(1)})`);
      if (trainer.stepCount >= VAE_STEPS) {
        this.vaeSteps = trainer.stepCount;
        await this.finishVaePhase();
      }
      // The chart shows the diffusion loss only: the VAE's -ELBO, on another scale, goes to the note.
      return { steps: chunk.steps, loss: null };
    }
    const recipe = models[this.kind];
    const pool = this.kind === 'latent' ? this.latents! : this.pixels!;
    const chunk = await this.sizer.run(() =>
      gg.scope(() => {
        this.denoiserStep ??= gg.capture(() => {
          const picked = gg.randint(0, pool.shape[0], [recipe.batch], { generator: this.picks });
          return this.trainer!.step({ data: gg.indexSelect(pool, 0, picked), labels: gg.indexSelect(this.labels!, 0, picked) }).loss;
        });
        return this.denoiserStep();
      }),
    );
    if (this.kind === 'latent') this.shell!.note(`phase 2 of 2: the denoiser learns the VAE's latents of the ${TRAIN_LIMIT.toLocaleString('en-US')} digits (the VAE trained for ${this.vaeSteps} steps)`);
    return { steps: chunk.steps, loss: chunk.loss };
  }

  /** Ends phase 1: the VAE's trainer goes, the digits are encoded once, and the denoiser starts. */
  private async finishVaePhase(normalization?: gg.models.LatentNormalization): Promise<void> {
    this.vaeStep?.dispose();
    this.vaeTrainer?.dispose();
    this.vaeStep = this.vaeTrainer = null;
    await this.encodeTrainingSet(normalization);
    this.makeDenoiser();
  }

  async render(): Promise<void> {
    if (this.kind === 'latent') await this.renderVae();
    if (this.phase() === 'vae') {
      this.readout.textContent = 'phase 1: the denoiser starts once the VAE has trained';
      return;
    }
    // An untrained denoiser's samples are noise, and the U-Net's take minutes on a software GPU: press Sample to see them anyway.
    if (this.trainer!.stepCount === 0) {
      this.readout.textContent = 'samples appear here once the denoiser has trained (press Start)';
      return;
    }
    await this.sample(new gg.Generator(RENDER_SEED), false);
  }

  private async renderVae(): Promise<void> {
    const vae = this.vae!;
    const shown = gg.noGrad(() => gg.scope(() => gg.concat([this.testImages!, vae.reconstruct(this.testImages!)], 0)));
    await drawImages(this.reconstructions, shown, 10);
    shown.dispose();
  }

  /**
   * Samples SAMPLE_COUNT digits with the current sampler settings from the weight average, drawing the
   * first PROCESS_ROWS step by step: PROCESS_COLUMNS snapshots, evenly spaced from the first step to the last.
   */
  private async sample(generator: gg.Generator, showProgress: boolean): Promise<void> {
    const trainer = this.trainer;
    if (!trainer) {
      this.shell!.note('nothing to sample yet: the denoiser starts after phase 1 (press Start)');
      return;
    }
    const model = trainer.averaged!;
    const picked = this.classChoice();
    const labels = picked === 'any' ? undefined : Array.from({ length: SAMPLE_COUNT }, (_, i) => (picked === 'each' ? i % 10 : Number(picked)));
    const guidanceScale = labels ? Number(this.guidanceSlider.value) : 1;
    const steps = this.sampler === 'ddpm' ? trainer.schedule.steps : Number(this.stepsSlider.value);
    const snapshotAt = new Set(Array.from({ length: PROCESS_COLUMNS }, (_, k) => 1 + Math.round((k * (steps - 1)) / (PROCESS_COLUMNS - 1))));
    const snapshots: Float32Array[] = [];
    const started = performance.now();
    const onStep = async ({ step, x, data }: gg.models.SamplingProgress) => {
      if (showProgress) this.shell!.note(`sampling: step ${step} of ${steps}`);
      if (!snapshotAt.has(step)) return;
      const images = gg.noGrad(() => gg.scope(() => this.toImages(this.kind === 'latent' ? data : x, PROCESS_ROWS)));
      snapshots.push((await images.data()) as Float32Array);
      images.dispose();
    };
    const options = { generator, labels, guidanceScale, clipData: CLIP_DATA[this.kind], onStep };
    const drawn = this.sampler === 'ddpm'
      ? await gg.models.ddpmSample(model, trainer.schedule, SAMPLE_COUNT, options)
      : await gg.models.ddimSample(model, trainer.schedule, SAMPLE_COUNT, { ...options, steps });
    const images = gg.noGrad(() => gg.scope(() => this.toImages(drawn, SAMPLE_COUNT)));
    drawn.dispose();
    await drawImages(this.samples, images, 10);
    images.dispose();
    // Row r of the process grid is sample r across the snapshots.
    const grid = new Float32Array(PROCESS_ROWS * PROCESS_COLUMNS * 784);
    for (let r = 0; r < PROCESS_ROWS; r++) {
      snapshots.forEach((values, c) => grid.set(values.subarray(r * 784, (r + 1) * 784), (r * PROCESS_COLUMNS + c) * 784));
    }
    drawRaster(this.process, gg.metrics.imageGrid(grid, PROCESS_ROWS * PROCESS_COLUMNS, { columns: PROCESS_COLUMNS, padding: 1, background: 0.15 }));
    const classes = picked === 'each' ? 'classes 0-9' : picked === 'any' ? 'no class' : `class ${picked}`;
    this.readout.textContent =
      `${this.sampler === 'ddpm' ? 'DDPM' : 'DDIM'}, ${steps} steps, ${classes}` + (labels ? `, guidance ${guidanceScale}` : '') +
      ` · weight average after ${trainer.stepCount} steps · ${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (showProgress) this.shell!.note(`sampled ${SAMPLE_COUNT} digits in ${steps} steps`);
  }

  /** The first `count` of a batch as images [count, 784] in [0, 1]: decoded latents, or pixels mapped from [-1, 1]. */
  private toImages(batch: gg.Tensor, count: number): gg.Tensor {
    const first = gg.slice(batch, 0, 0, count);
    if (this.kind === 'latent') return gg.models.decodeLatents(this.vae!, first, this.normalization!);
    return first.reshape([count, 784]).add(1).mul(0.5);
  }

  /**
   * pixel, or latent in phase 2: the diffusion trainer's checkpoint; a latent one also carries the VAE (its
   * weights under 'vae.', its file's metadata under 'demo.vae') and the latents' standardisation.
   * latent in phase 1: the VAE trainer's checkpoint.
   */
  private async save(metadata: Record<string, string>): Promise<Uint8Array> {
    const tagged = { ...metadata, 'demo.model': this.kind };
    if (this.phase() === 'vae') return gg.models.saveVaeCheckpoint(this.vae!, this.vaeTrainer!, { ...tagged, 'demo.phase': 'vae' });
    const own = await gg.models.saveDiffusionCheckpoint(this.denoiser!, { trainer: this.trainer!, latents: this.normalization ?? undefined, metadata: tagged });
    if (this.kind === 'pixel') return own;
    const diffusion = gg.io.deserialize(own);
    const vae = gg.io.deserialize(await gg.models.saveVaeCheckpoint(this.vae!, undefined, { 'demo.vae-steps': String(this.vaeSteps) }));
    const tensors = { ...diffusion.tensors };
    for (const [name, t] of Object.entries(vae.tensors)) tensors[VAE_PREFIX + name] = t;
    return gg.io.serializeArrays(tensors, { ...diffusion.metadata, [VAE_METADATA_KEY]: JSON.stringify(vae.metadata) });
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const metadata = gg.io.readHeader(bytes).metadata;
    const kind = metadata['demo.model'];
    if (kind !== 'latent' && kind !== 'pixel') throw new Error('this checkpoint was not saved from the Diffusion page (its metadata has no demo.model)');
    this.kind = kind;
    (document.getElementById('model') as HTMLSelectElement).value = kind;
    await this.reset();
    if (metadata['demo.phase'] === 'vae') {
      await gg.models.loadVaeCheckpoint(bytes, { model: this.vae!, trainer: this.vaeTrainer! });
      const step = this.vaeTrainer!.stepCount;
      return { note: `loaded a latent diffusion model in phase 1: the VAE after ${step} of ${VAE_STEPS} steps`, step };
    }
    let own = bytes;
    if (kind === 'latent') {
      const parts = splitLatentCheckpoint(bytes);
      await gg.models.loadVaeCheckpoint(parts.vae, { model: this.vae! });
      this.vaeSteps = parts.vaeSteps;
      own = parts.denoiser;
      const normalization = gg.models.readLatentNormalization(bytes);
      if (!normalization) throw new Error('this latent checkpoint has no latent standardisation');
      await this.finishVaePhase(normalization);
    }
    await gg.models.loadDiffusionCheckpoint(own, { model: this.denoiser!, trainer: this.trainer! });
    const step = this.vaeSteps + this.trainer!.stepCount;
    const what = kind === 'latent' ? `a latent diffusion model (the VAE after ${this.vaeSteps} steps, the denoiser after ${this.trainer!.stepCount})` : `a pixel diffusion model after ${step} steps`;
    return { note: `loaded ${what}`, step };
  }
}

/**
 * A latent model's checkpoint from this page as two files: the denoiser's (with its trainer and standardisation) and
 * the VAE's, and the steps the VAE trained for. The Gallery page loads the two with the models' own loaders.
 */
export function splitLatentCheckpoint(bytes: Uint8Array): { denoiser: Uint8Array; vae: Uint8Array; vaeSteps: number } {
  const file = gg.io.deserialize(bytes);
  const [diffusion, vae]: Record<string, gg.io.HostTensor>[] = [{}, {}];
  for (const [name, t] of Object.entries(file.tensors)) {
    if (name.startsWith(VAE_PREFIX)) vae[name.slice(VAE_PREFIX.length)] = t;
    else diffusion[name] = t;
  }
  const vaeMetadata = JSON.parse(file.metadata[VAE_METADATA_KEY] ?? '{}') as Record<string, string>;
  return {
    denoiser: gg.io.serializeArrays(diffusion, file.metadata),
    vae: gg.io.serializeArrays(vae, vaeMetadata),
    vaeSteps: Number(vaeMetadata['demo.vae-steps'] ?? VAE_STEPS),
  };
}

/** The mean training image, to start the VAE decoder's output bias from. */
function meanImage(dataset: gg.data.MnistDataset): Float32Array {
  const mean = new Float32Array(784);
  const values = dataset.images;
  for (let i = 0; i < values.length; i++) mean[i % 784] += values[i];
  return mean.map((v) => v / dataset.length);
}

export const diffusionPage: PageModule = {
  id: 'diffusion',
  label: 'Diffusion',
  blurb: 'A class-conditional diffusion model learns MNIST (in a VAE\'s latent space, or on the pixels) and denoises digits out of noise step by step, with DDPM or DDIM and classifier-free guidance.',
  create: () => new DiffusionPage(),
};
