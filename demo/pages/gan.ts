// The GAN page: two generative adversarial networks trained live, with the loss and the stabilizer
// chosen by the visitor.
//   The mode-collapse lab: MLPs learn the ring of 8 (or the grid of 25) tight Gaussians in the
//   plane. The generated points are drawn over the modes, and the modes they cover are counted after
//   every render, so a collapsing generator shows itself hopping between a few modes.
//   MNIST digits: a small DCGAN, with a grid of samples from fixed latents redrawn as it trains and a
//   strip of earlier grids, so the digits can be watched condensing out of noise.
// The shell's chart shows the discriminator's loss: it falls from chance (2 ln 2 for the
// non-saturating loss) as the discriminator learns, then settles where the two players balance.
import * as gg from '../../src/index.js';
import { ChunkSizer } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';
import { PlaneView, colors, drawLossChart, drawRaster } from '../plot.js';

type GanLoss = gg.models.GanLoss;
type Task = 'lab' | 'mnist';
type Stabilizer = 'none' | 'smoothing' | 'spectral' | 'twoRates' | 'smoothingTwoRates' | 'spectralTwoRates';

const MNIST_SOURCE = 'data/mnist';
/** Training digits loaded (the first of the 60,000). */
const TRAIN_LIMIT = 6000;
/** Points drawn from fixed latents to count the covered modes (a mode needs 1% of them within 3 std). */
const LAB_SAMPLES = 1000;
/** Real points drawn under the generated ones. */
const REAL_SHOWN = 1500;
/** Earlier sample grids kept in the MNIST strip (the first one, at step 0, always stays). */
const SNAPSHOTS = 6;
const LABEL_SMOOTHING = 0.1;

const lossNames: Record<GanLoss, string> = {
  nonSaturating: 'non-saturating',
  minimax: 'minimax (saturating)',
  hinge: 'hinge',
  leastSquares: 'least squares',
  wganGp: 'WGAN-GP (5 critic steps)',
};

const stabilizerNames: Record<Stabilizer, string> = {
  none: 'none',
  smoothing: `label smoothing ${LABEL_SMOOTHING}`,
  spectral: 'spectral norm on D',
  twoRates: 'two learning rates',
  smoothingTwoRates: 'label smoothing + two learning rates',
  spectralTwoRates: 'spectral norm + two learning rates',
};

const usesSmoothing = (s: Stabilizer) => s === 'smoothing' || s === 'smoothingTwoRates';
const usesSpectralNorm = (s: Stabilizer) => s === 'spectral' || s === 'spectralTwoRates';
const usesTwoRates = (s: Stabilizer) => s === 'twoRates' || s === 'smoothingTwoRates' || s === 'spectralTwoRates';

/**
 * Each task's recipe: one learning rate for both players, or the pair 'two learning rates' uses. The
 * lab's pair is the two-timescale rule (the discriminator faster, as in the bench's hinge + SN + TTUR);
 * MNIST's favours the generator, the recipe bench/models/gan.ts found to work for this small DCGAN.
 */
const tasks: Record<Task, { label: string; lr: number; twoRates: [generator: number, discriminator: number]; batch: number; defaultStabilizer: Stabilizer }> = {
  lab: { label: '2-D mode-collapse lab', lr: 1e-3, twoRates: [5e-4, 2e-3], batch: 256, defaultStabilizer: 'none' },
  mnist: { label: 'MNIST digits (DCGAN)', lr: 2e-4, twoRates: [4e-4, 1e-4], batch: 64, defaultStabilizer: 'smoothingTwoRates' },
};

/** The MNIST DCGAN's width: channels [2w, w] in the generator, [w, 2w] in the discriminator. */
const DCGAN_WIDTH = 8;

class GanPage implements DemoPage {
  readonly lossLabel = 'discriminator loss';
  readonly stepName = 'steps';
  readonly checkpoint = {
    fileName: 'gengpu-gan.safetensors',
    save: (metadata: Record<string, string>) =>
      gg.models.saveGanCheckpoint(this.trainer!, { ...metadata, ...this.settings(), 'demo.step': String(this.steps), 'demo.modes': JSON.stringify(this.modeHistory) }),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private task: Task = 'lab';
  private loss: GanLoss = 'nonSaturating';
  private stabilizer: Stabilizer = 'none';
  private dataset: gg.models.LabDataset = 'ring';
  private shell: ShellApi | null = null;

  private trainer: gg.models.GanTrainer | null = null;
  /** A whole step (its real batches drawn on the GPU too), recorded and replayed (gg.capture). */
  private captured: gg.CapturedFunction<[], gg.Tensor> | null = null;
  private sizer = new ChunkSizer();
  /** Draws the real batches' indices. */
  private picks = new gg.Generator(1);
  private steps = 0;
  private lastLosses: number[] = [];

  // the lab
  private mixture: gg.data.ToyDataset | null = null;
  private labPoints: gg.Tensor | null = null;
  private labLatents: gg.Tensor | null = null;
  private modeHistory: { step: number; loss: number }[] = [];
  private bestModes = 0;

  // MNIST
  private digits: gg.Tensor | null = null;
  private snapshots: { step: number; grid: gg.metrics.RasterImage }[] = [];
  private nextSnapshot = 0;

  private readonly labView = element('div', { class: 'grid-2' });
  private readonly mnistView = element('div', { class: 'grid-2' });
  private readonly plane = element('canvas', { class: 'plane', id: 'plane' });
  private readonly modes = element('div', { class: 'legend', id: 'modes' });
  private readonly modeChart = element('canvas', { class: 'loss-chart', id: 'mode-chart' });
  private readonly samples = element('canvas', { class: 'pixels fill', id: 'samples' });
  private readonly strip = element('div', { class: 'options', id: 'snapshots' });
  private readonly readout = element('div', { class: 'caption', id: 'losses' });
  private readonly recipe = element('div', { class: 'caption', id: 'recipe' });
  private readonly datasetChoice = choice('data', 'dataset', [['ring', 'ring of 8'], ['grid', 'grid of 25']], this.dataset, (v) => {
    this.dataset = v as gg.models.LabDataset;
    void this.shell!.restart();
  });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const options = element('div', { class: 'options' });
    options.append(
      choice('task', 'task', Object.entries(tasks).map(([id, t]) => [id, t.label] as const), this.task, (v) => {
        this.task = v as Task;
        this.stabilizer = tasks[this.task].defaultStabilizer;
        this.fitStabilizerToLoss();
        this.showTask();
        void shell.restart();
      }),
      choice('loss', 'loss', Object.entries(lossNames).map(([id, name]) => [id, name] as const), this.loss, (v) => {
        this.loss = v as GanLoss;
        this.fitStabilizerToLoss();
        void shell.restart();
      }),
      choice('stabilizer', 'stabilizer', Object.entries(stabilizerNames).map(([id, name]) => [id, name] as const), this.stabilizer, (v) => {
        this.stabilizer = v as Stabilizer;
        this.fitStabilizerToLoss();
        void shell.restart();
      }),
      this.datasetChoice,
    );
    const planeCard = card('Generated points (blue) over the modes', this.plane, this.modes);
    this.labView.append(
      planeCard,
      card(
        'Modes covered while training',
        this.modeChart,
        element(
          'div',
          { class: 'caption' },
          `A mode is covered when at least 1% of ${LAB_SAMPLES} points from fixed latents lie within 3 standard deviations of its centre. ` +
            'A collapsing generator covers few modes, or hops from one to another; try the minimax loss, or spectral norm, against the non-saturating loss.',
        ),
      ),
    );
    this.mnistView.append(
      card('Samples from fixed latents', this.samples),
      card('The same latents earlier in training', this.strip, element('div', { class: 'caption' }, 'the first grid is the untrained generator')),
    );
    view.append(options, this.recipe, this.labView, this.mnistView, this.readout);
    this.showTask();
  }

  /** Label smoothing only applies to losses with targets: drop it (saying so) for the others. */
  private fitStabilizerToLoss(): void {
    if (!usesSmoothing(this.stabilizer) || gg.models.SMOOTHABLE_LOSSES.includes(this.loss)) return;
    this.stabilizer = this.stabilizer === 'smoothingTwoRates' ? 'twoRates' : 'none';
    this.shell!.note(`label smoothing needs real targets, which the ${lossNames[this.loss]} loss has not: stabilizer set to ${stabilizerNames[this.stabilizer]}`);
  }

  private showTask(): void {
    this.labView.style.display = this.task === 'lab' ? '' : 'none';
    this.mnistView.style.display = this.task === 'mnist' ? '' : 'none';
    this.datasetChoice.style.display = this.task === 'lab' ? '' : 'none';
  }

  private settings(): GanSettings {
    return { 'demo.task': this.task, 'demo.loss': this.loss, 'demo.stabilizer': this.stabilizer, 'demo.dataset': this.dataset };
  }

  private freeModel(): void {
    this.captured?.dispose();
    this.captured = null;
    this.trainer?.dispose();
    this.trainer?.generator.dispose();
    this.trainer?.discriminator.dispose();
    this.trainer = null;
    this.labPoints?.dispose();
    this.labLatents?.dispose();
    this.labPoints = this.labLatents = null;
  }

  async reset(): Promise<void> {
    this.freeModel();
    // A loss change may have dropped label smoothing (fitStabilizerToLoss): show what is used.
    (document.getElementById('stabilizer') as HTMLSelectElement).value = this.stabilizer;
    const recipe = tasks[this.task];
    if (this.task === 'lab') {
      this.mixture = gg.models.labMixture(this.dataset, 20000, 0);
      this.labPoints = this.mixture.toTensor();
    } else {
      await this.loadDigits();
    }
    const built = createGanTrainer(this.settings());
    this.trainer = built.trainer;
    const { generator, discriminator } = this.trainer;
    if (this.task === 'lab') this.labLatents = gg.randn([LAB_SAMPLES, generator.latentDim], { generator: built.weights });
    const spectralNorm = usesSpectralNorm(this.stabilizer);
    const [generatorLr, discriminatorLr] = usesTwoRates(this.stabilizer) ? recipe.twoRates : [recipe.lr, recipe.lr];
    const labelSmoothing = usesSmoothing(this.stabilizer) ? LABEL_SMOOTHING : 0;
    const discriminatorSteps = this.trainer.discriminatorSteps;
    this.recipe.textContent =
      `${generator.numParameters().toLocaleString('en-US')} + ${discriminator.numParameters().toLocaleString('en-US')} parameters · batch ${recipe.batch} · ` +
      `Adam (0.5, 0.999), lr ${generatorLr} (G) and ${discriminatorLr} (D)` +
      (labelSmoothing ? ` · real targets ${1 - labelSmoothing}` : '') +
      (spectralNorm ? ' · spectral norm on every D layer' : '') +
      (discriminatorSteps > 1 ? ` · ${discriminatorSteps} D steps per G step` : '');
    this.picks = new gg.Generator(1);
    this.sizer = new ChunkSizer();
    this.steps = 0;
    this.lastLosses = [];
    this.modeHistory = [];
    this.bestModes = 0;
    this.snapshots = [];
    this.nextSnapshot = 0;
  }

  /** The training digits on the GPU in the generator's range [-1, 1], loaded once. */
  private async loadDigits(): Promise<void> {
    if (this.digits) return;
    this.shell!.note('loading MNIST…');
    const train = await gg.data.loadMnist({ split: 'train', limit: TRAIN_LIMIT, source: MNIST_SOURCE });
    this.digits = gg.scope(() => gg.tensor(train.images, [train.length, 1, 28, 28]).mul(2).sub(1));
    this.shell!.note(`${train.length.toLocaleString('en-US')} training digits loaded`);
  }

  /** A real batch, drawn on the GPU by index (one per discriminator update of a step). */
  private realBatch(): gg.Tensor {
    const pool = this.task === 'lab' ? this.labPoints! : this.digits!;
    return gg.indexSelect(pool, 0, gg.randint(0, pool.shape[0], [tasks[this.task].batch], { generator: this.picks }));
  }

  async train() {
    const chunk = await this.sizer.run(() =>
      gg.scope(() => {
        this.captured ??= gg.capture(() => {
          const { discriminator, generator } = this.trainer!.step(Array.from({ length: this.trainer!.discriminatorSteps }, () => this.realBatch()));
          return gg.concat([discriminator.reshape([1]), generator.reshape([1])]);
        });
        return this.captured();
      }),
    );
    this.steps += chunk.steps;
    this.lastLosses = chunk.losses;
    return chunk;
  }

  async render(): Promise<void> {
    const [d, g] = this.lastLosses;
    this.readout.textContent = d === undefined ? `${this.steps} steps trained; press Start to train` : `after ${this.steps} steps: discriminator loss ${d.toFixed(4)} · generator loss ${g.toFixed(4)}`;
    await (this.task === 'lab' ? this.renderLab() : this.renderDigits());
  }

  private async renderLab(): Promise<void> {
    const mixture = this.mixture!;
    const generated = gg.noGrad(() => gg.scope(() => this.trainer!.generator.forward(this.labLatents!)));
    const points = (await generated.data()) as Float32Array;
    generated.dispose();
    const coverage = gg.data.modeCoverage(points, mixture, { minCount: Math.ceil(0.01 * LAB_SAMPLES) });
    if (this.modeHistory.at(-1)?.step !== this.steps) this.modeHistory.push({ step: this.steps, loss: coverage.covered });
    this.bestModes = Math.max(this.bestModes, coverage.covered);

    const centers = mixture.centers!;
    const extent = Math.max(...Array.from(centers, Math.abs)) + 0.6;
    const view = new PlaneView(this.plane, [-extent, -extent, extent, extent]);
    view.dots(mixture.points.subarray(0, 2 * REAL_SHOWN), null, 1.4);
    const context = view.context;
    const radius = Math.max(3 * mixture.std * (view.px(1) - view.px(0)), 5);
    for (let k = 0; k < mixture.modes; k++) {
      const covered = coverage.counts[k] >= Math.ceil(0.01 * LAB_SAMPLES);
      context.beginPath();
      context.arc(view.px(centers[2 * k]), view.py(centers[2 * k + 1]), radius + 4, 0, 2 * Math.PI);
      context.lineWidth = 2;
      context.strokeStyle = covered ? '#59a14f' : colors.anomaly;
      context.stroke();
    }
    context.fillStyle = colors.accent;
    context.globalAlpha = 0.8;
    for (let i = 0; i < points.length; i += 2) context.fillRect(view.px(points[i]) - 1.2, view.py(points[i + 1]) - 1.2, 2.4, 2.4);
    context.globalAlpha = 1;
    this.modes.textContent =
      `modes covered ${coverage.covered} of ${mixture.modes} (best so far ${this.bestModes}) · ` +
      `${(100 * coverage.highQualityFraction).toFixed(1)}% of the points within 3 std of a mode · green rings: covered, red: missed`;
    drawLossChart(this.modeChart, this.modeHistory, `modes covered (of ${mixture.modes})`, { range: [0, mixture.modes] });
  }

  private async renderDigits(): Promise<void> {
    const images = gg.models.generateImages(this.trainer!.generator, 36, { generator: new gg.Generator(7) });
    const grid = await gg.metrics.tensorGrid(images, { columns: 6, padding: 1, background: 0.15 });
    images.dispose();
    drawRaster(this.samples, grid);
    if (this.steps >= this.nextSnapshot) {
      this.snapshots.push({ step: this.steps, grid });
      if (this.snapshots.length > SNAPSHOTS) this.snapshots.splice(1, 1);
      this.nextSnapshot = Math.max(10, 2 * this.steps);
      this.strip.replaceChildren(
        ...this.snapshots.map(({ step, grid: earlier }) => {
          const canvas = element('canvas', { class: 'pixels' });
          canvas.width = earlier.width;
          canvas.height = earlier.height;
          gg.metrics.drawImageOnCanvas(canvas.getContext('2d')!, earlier, { scale: 1 });
          const figure = element('figure', { style: 'margin: 0' });
          figure.append(canvas, element('figcaption', { class: 'caption' }, `step ${step}`));
          return figure;
        }),
      );
    }
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const settings = readGanSettings(bytes);
    const metadata = gg.io.readHeader(bytes).metadata;
    const [task, loss, stabilizer, dataset] = [settings['demo.task'], settings['demo.loss'], settings['demo.stabilizer'], settings['demo.dataset']];
    [this.task, this.loss, this.stabilizer, this.dataset] = [task, loss, stabilizer, dataset];
    for (const [id, value] of [['task', task], ['loss', loss], ['stabilizer', stabilizer], ['dataset', dataset]]) {
      (document.getElementById(id) as HTMLSelectElement).value = value;
    }
    this.showTask();
    await this.reset();
    await gg.models.loadGanCheckpoint(bytes, this.trainer!);
    this.steps = Number(metadata['demo.step'] ?? 0);
    this.modeHistory = JSON.parse(metadata['demo.modes'] ?? '[]') as { step: number; loss: number }[];
    this.bestModes = Math.max(0, ...this.modeHistory.map((m) => m.loss));
    return { note: `loaded a GAN (${tasks[this.task].label}, ${lossNames[this.loss]} loss, stabilizer ${stabilizerNames[this.stabilizer]}) after ${this.steps} steps`, step: this.steps };
  }
}

/** The choices a GAN is built from, as its checkpoint's metadata keeps them. */
export interface GanSettings {
  'demo.task': Task;
  'demo.loss': GanLoss;
  'demo.stabilizer': Stabilizer;
  'demo.dataset': gg.models.LabDataset;
}

/** The settings a checkpoint saved from this page was trained with. */
export function readGanSettings(bytes: Uint8Array): GanSettings {
  const metadata = gg.io.readHeader(bytes).metadata;
  const [task, loss, stabilizer] = ['demo.task', 'demo.loss', 'demo.stabilizer'].map((key) => metadata[key]);
  if (!(task in tasks) || !(loss in lossNames) || !(stabilizer in stabilizerNames)) {
    throw new Error('this checkpoint was not saved from the GAN page (its metadata has no demo.task, demo.loss and demo.stabilizer)');
  }
  return { 'demo.task': task as Task, 'demo.loss': loss as GanLoss, 'demo.stabilizer': stabilizer as Stabilizer, 'demo.dataset': (metadata['demo.dataset'] ?? 'ring') as gg.models.LabDataset };
}

/**
 * This page's two networks and their trainer for the given settings, weights seeded as on every reset, and the
 * stream that drew them: a checkpoint saved with these settings loads into it (the Gallery page rebuilds saved
 * generators with it).
 */
export function createGanTrainer(settings: GanSettings): { trainer: gg.models.GanTrainer; weights: gg.Generator } {
  const { 'demo.task': task, 'demo.loss': loss, 'demo.stabilizer': stabilizer } = settings;
  const recipe = tasks[task];
  const weights = new gg.Generator(0);
  const spectralNorm = usesSpectralNorm(stabilizer);
  let generator: gg.models.GanGenerator;
  let discriminator: gg.models.GanDiscriminator;
  if (task === 'lab') {
    generator = new gg.models.MlpGenerator({ hiddenDim: 64, generator: weights });
    discriminator = new gg.models.MlpDiscriminator({ hiddenDim: 64, spectralNorm, generator: weights });
  } else {
    generator = new gg.models.DcganGenerator({ channels: [2 * DCGAN_WIDTH, DCGAN_WIDTH], generator: weights });
    // WGAN-GP penalises each sample's gradient, which BatchNorm would couple across the batch.
    discriminator = new gg.models.DcganDiscriminator({ channels: [DCGAN_WIDTH, 2 * DCGAN_WIDTH], batchNorm: loss !== 'wganGp', spectralNorm, generator: weights });
  }
  const [generatorLr, discriminatorLr] = usesTwoRates(stabilizer) ? recipe.twoRates : [recipe.lr, recipe.lr];
  const labelSmoothing = usesSmoothing(stabilizer) ? LABEL_SMOOTHING : 0;
  const discriminatorSteps = loss === 'wganGp' ? 5 : 1;
  const trainer = new gg.models.GanTrainer(generator, discriminator, { loss, generatorLr, discriminatorLr, labelSmoothing, discriminatorSteps, seed: 2 });
  return { trainer, weights };
}

export const ganPage: PageModule = {
  id: 'gan',
  label: 'GAN',
  blurb: 'Adversarial training live: count the modes a 2-D GAN covers under the loss and stabilizer you pick, or watch MNIST digits condense out of noise.',
  create: () => new GanPage(),
};
