// The Gallery page: generative art from a CPPN (gg.models.Cppn, a network with seeded random weights
// that colours each pixel from its coordinates and a latent vector). The visitor draws new networks,
// moves the latent with sliders or lets Start walk a seamless loop through random latents, zooms,
// switches colour and grey, keeps favourites (in this browser's localStorage) and downloads any image
// as a PNG of up to 4096 x 4096: the picture has no native resolution, so a large render is the same
// picture, finer. A second card walks the latent space of a model trained on the VAE, GAN or
// Diffusion page, loaded from the checkpoint file those pages save, with those pages' own builders.
import * as gg from '../../src/index.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, PageModule, ShellApi } from '../page.js';
import { drawRaster } from '../plot.js';
import { CLIP_DATA, SCHEDULE, splitLatentCheckpoint } from './diffusion.js';
import { createGanTrainer, readGanSettings } from './gan.js';

const LATENT_DIM = 8;
/** The preview's side in pixels: enough to see the pattern, quick on a software GPU. */
const PREVIEW = 256;
const THUMBNAIL = 72;
/** Frames in one loop of the walk, and the random latents it passes through besides the current one. */
const WALK_FRAMES = 60;
const WALK_KEYFRAMES = 3;
const FAVOURITES_KEY = 'gengpu.gallery.favourites';
/** Frames of a trained model's walk, and the DDIM steps a diffusion model's frames take. */
const MODEL_FRAMES = 10;
const DDIM_STEPS = 20;

/** One image: the network (seed, output) and the point of view (zoom, latent). */
interface Artwork {
  seed: number;
  output: 'rgb' | 'grey';
  scale: number;
  latent: number[];
}

/** A trained model whose latent space the second card walks: latents [N, ...latentShape] to digits [N, 784] in [0, 1]. */
interface WalkableModel {
  description: string;
  latentShape: number[];
  decode(latents: gg.Tensor): Promise<gg.Tensor>;
  dispose(): void;
}

const randomSeed = () => Math.floor(Math.random() * 1_000_000);

/** A standard normal latent from a seed (Box-Muller on a small LCG: the sliders need numbers on the host). */
function seededLatent(seed: number): number[] {
  let state = (seed * 2654435761 + 1) >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return Array.from({ length: LATENT_DIM }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

class GalleryPage implements DemoPage {
  readonly lossLabel = null;
  readonly stepName = 'frames';
  /** Walk frames are spread out so the animation can be watched. */
  readonly minChunkMs = 120;
  /** train() draws each walk frame itself (so frames/s counts the rendering); the shell redraws only when the walk stops. */
  readonly renderIntervalMs = Number.POSITIVE_INFINITY;

  private shell: ShellApi | null = null;
  private art: Artwork = { seed: 1, output: 'rgb', scale: 1.5, latent: seededLatent(1) };
  private cppn: gg.models.Cppn | null = null;
  /** The walk's latents [WALK_FRAMES * LATENT_DIM] and the next frame; null until Start, and after a manual change. */
  private walk: { latents: Float32Array; frame: number } | null = null;
  private favourites: Artwork[] = [];
  private redrawQueued = false;
  private model: WalkableModel | null = null;
  private modelWalkSeed = 1;

  private readonly canvas = element('canvas', { class: 'pixels fill', id: 'art' });
  private readonly info = element('div', { class: 'caption', id: 'art-info' });
  private readonly sliders = Array.from({ length: LATENT_DIM }, (_, i) => element('input', { type: 'range', min: '-3', max: '3', step: '0.01', id: `latent-${i}` }));
  private readonly zoom = element('input', { type: 'range', min: '0.3', max: '8', step: '0.1', id: 'zoom' });
  private readonly downloadSize = choice('PNG size', 'download-size', ['512', '1024', '2048', '4096'].map((v) => [v, `${v} x ${v}`] as const), '2048', () => {});
  private readonly favouritesView = element('div', { class: 'options', id: 'favourites' });
  private readonly modelInfo = element('div', { class: 'caption', id: 'model-info' });
  private readonly modelFrames = element('canvas', { class: 'pixels fill', id: 'model-frames' });
  private readonly modelWalkButton = element('button', { id: 'model-walk', disabled: '' }, 'Another walk');

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const newSeed = element('button', { id: 'new-seed' }, 'New network');
    newSeed.onclick = () => {
      const seed = randomSeed();
      this.art = { ...this.art, seed, latent: seededLatent(seed) };
      void shell.restart();
    };
    const newLatent = element('button', { id: 'new-latent' }, 'New latent');
    newLatent.onclick = () => {
      this.art.latent = seededLatent(randomSeed());
      this.changed();
    };
    const keep = element('button', { id: 'keep' }, 'Keep as favourite');
    keep.onclick = () => void shell.run(() => this.keep({ ...this.art, latent: [...this.art.latent] }));
    const download = element('button', { id: 'download', class: 'primary' }, 'Download PNG');
    download.onclick = () => void shell.run(() => this.download(this.art));
    const output = choice('output', 'output', [['rgb', 'colour'], ['grey', 'grey']], this.art.output, (v) => {
      this.art.output = v as Artwork['output'];
      void shell.restart();
    });
    this.zoom.oninput = () => {
      this.art.scale = Number(this.zoom.value);
      this.changed();
    };
    const zoomLabel = element('label', {}, 'zoom');
    zoomLabel.append(this.zoom);
    this.sliders.forEach((slider, i) => {
      slider.oninput = () => {
        this.art.latent[i] = Number(slider.value);
        this.changed();
      };
    });
    const sliderRow = element('div', { class: 'options' });
    sliderRow.append(...this.sliders.map((slider, i) => {
      const label = element('label', {}, `z${i + 1}`);
      label.append(slider);
      return label;
    }));
    const options = element('div', { class: 'options' });
    options.append(newSeed, newLatent, output, zoomLabel, keep, this.downloadSize, download);

    const modelPicker = element('input', { type: 'file', accept: '.safetensors', id: 'model-file' });
    modelPicker.onchange = () => {
      const file = modelPicker.files?.[0];
      modelPicker.value = '';
      if (file) void shell.run(() => this.loadModel(file));
    };
    const modelLabel = element('label', { class: 'button' }, 'Load a checkpoint');
    modelLabel.append(modelPicker);
    this.modelWalkButton.onclick = () => void shell.run(() => this.walkModel());
    const modelRow = element('div', { class: 'options' });
    modelRow.append(modelLabel, this.modelWalkButton);
    this.modelInfo.textContent = 'no model loaded';

    const columns = element('div', { class: 'grid-2' });
    const [left, right] = [element('div', { class: 'page-view' }), element('div', { class: 'page-view' })];
    left.style.marginTop = right.style.marginTop = '0';
    left.append(
      card(
        'A CPPN: colour = network(x, y, r, z)',
        this.canvas,
        this.info,
        element('div', { class: 'caption' }, 'Start walks a seamless loop through random latents; the sliders move the latent z by hand. The same picture renders at any size.'),
      ),
    );
    right.append(
      card('The latent z', sliderRow),
      card('Favourites (kept in this browser)', this.favouritesView, element('div', { class: 'caption' }, 'click one to show it again; PNG downloads it at the size chosen above')),
      card(
        "Walk a trained model's latent space",
        modelRow,
        this.modelFrames,
        this.modelInfo,
        element(
          'div',
          { class: 'caption' },
          'Train a model on the VAE page, the GAN page (task: MNIST digits) or the Diffusion page, press Save checkpoint there, and load the file here: ' +
            'the strip decodes a spherical path between two random latents (for diffusion, DDIM from interpolated starting noise).',
        ),
      ),
    );
    columns.append(left, right);
    view.append(options, columns);
    this.favourites = readFavourites();
  }

  async reset(): Promise<void> {
    this.cppn?.dispose();
    this.cppn = new gg.models.Cppn({ seed: this.art.seed, output: this.art.output, latentDim: LATENT_DIM });
    this.walk = null;
    this.showControls();
    await this.drawFavourites();
  }

  /** One frame of the walk: a loop from the current latent through random ones and back. */
  async train() {
    if (!this.walk) {
      const keyframes = gg.tensor(Float32Array.from([...this.art.latent, ...Array.from({ length: WALK_KEYFRAMES }, () => seededLatent(randomSeed())).flat()]), [WALK_KEYFRAMES + 1, LATENT_DIM]);
      const path = await gg.models.interpolateLatents(keyframes, { steps: WALK_FRAMES, path: 'slerp', loop: true });
      this.walk = { latents: (await path.data()) as Float32Array, frame: 1 };
      keyframes.dispose();
      path.dispose();
    }
    const { latents, frame } = this.walk;
    this.art.latent = Array.from(latents.subarray(frame * LATENT_DIM, (frame + 1) * LATENT_DIM));
    this.walk.frame = (frame + 1) % WALK_FRAMES;
    this.showControls();
    await this.render();
    return { steps: 1, loss: null };
  }

  async render(): Promise<void> {
    const { latent, scale, seed, output } = this.art;
    drawRaster(this.canvas, await this.cppn!.renderImage(latent, { width: PREVIEW, height: PREVIEW, scale }));
    this.info.textContent = `network seed ${seed} · ${output === 'rgb' ? 'colour' : 'grey'} · zoom ${scale} · z = [${latent.map((v) => v.toFixed(2)).join(', ')}]`;
  }

  /** A manual change: the walk restarts from here, and one redraw is queued however many inputs arrive meanwhile. */
  private changed(): void {
    this.walk = null;
    if (this.redrawQueued) return;
    this.redrawQueued = true;
    void this.shell!.run(async () => {
      this.redrawQueued = false;
      await this.render();
    });
  }

  private showControls(): void {
    this.sliders.forEach((slider, i) => (slider.value = String(this.art.latent[i])));
    this.zoom.value = String(this.art.scale);
  }

  private async keep(artwork: Artwork): Promise<void> {
    this.favourites.push(artwork);
    writeFavourites(this.favourites);
    await this.drawFavourites();
    this.shell!.note(`kept: network seed ${artwork.seed}, ${this.favourites.length} favourites`);
  }

  /** Renders an artwork at the chosen size, band by band, and offers it as a PNG download. */
  private async download(artwork: Artwork): Promise<void> {
    const side = Number((document.getElementById('download-size') as HTMLSelectElement).value);
    this.shell!.note(`rendering ${side} x ${side}…`);
    const started = performance.now();
    const cppn = new gg.models.Cppn({ seed: artwork.seed, output: artwork.output, latentDim: LATENT_DIM });
    try {
      const png = await cppn.renderPng(artwork.latent, { width: side, height: side, scale: artwork.scale });
      const name = `cppn-seed${artwork.seed}-${side}.png`;
      gg.io.downloadBlob(png, name);
      this.shell!.note(`downloaded ${name} (${(png.length / 2 ** 20).toFixed(1)} MiB, rendered in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } finally {
      cppn.dispose();
    }
  }

  private async drawFavourites(): Promise<void> {
    const items: HTMLElement[] = [];
    for (const [index, artwork] of this.favourites.entries()) {
      const cppn = new gg.models.Cppn({ seed: artwork.seed, output: artwork.output, latentDim: LATENT_DIM });
      const image = await cppn.renderImage(artwork.latent, { width: THUMBNAIL, height: THUMBNAIL, scale: artwork.scale });
      cppn.dispose();
      const thumbnail = element('canvas', { class: 'pixels', title: `network seed ${artwork.seed}, zoom ${artwork.scale}` });
      [thumbnail.width, thumbnail.height] = [THUMBNAIL, THUMBNAIL];
      thumbnail.style.cursor = 'pointer';
      gg.metrics.drawImageOnCanvas(thumbnail.getContext('2d')!, image);
      thumbnail.onclick = () => {
        this.art = { ...artwork, latent: [...artwork.latent] };
        (document.getElementById('output') as HTMLSelectElement).value = artwork.output;
        void this.shell!.restart();
      };
      const save = element('button', {}, 'PNG');
      save.onclick = () => void this.shell!.run(() => this.download(artwork));
      const remove = element('button', { title: 'forget this favourite' }, '×');
      remove.onclick = () => {
        this.favourites.splice(index, 1);
        writeFavourites(this.favourites);
        void this.shell!.run(() => this.drawFavourites());
      };
      const figure = element('figure', { style: 'margin: 0; display: flex; flex-direction: column; gap: 4px' });
      const buttons = element('div', { style: 'display: flex; gap: 4px' });
      buttons.append(save, remove);
      figure.append(thumbnail, buttons);
      items.push(figure);
    }
    this.favouritesView.replaceChildren(...(items.length ? items : [element('span', { class: 'caption' }, 'none yet: press Keep as favourite')]));
  }

  /** Builds a walkable model from a checkpoint of the VAE, GAN or Diffusion page, and walks it once. */
  private async loadModel(file: Blob): Promise<void> {
    const bytes = await gg.io.readBrowserFile(file);
    const model = await walkableModel(bytes);
    this.model?.dispose();
    this.model = model;
    this.modelWalkButton.disabled = false;
    await this.walkModel();
    this.shell!.note(`loaded ${model.description}`);
  }

  /** A strip of frames along a spherical path between two random latents of the loaded model. */
  private async walkModel(): Promise<void> {
    const model = this.model!;
    const keyframes = gg.randn([2, ...model.latentShape], { generator: new gg.Generator(this.modelWalkSeed++) });
    try {
      const frames = await gg.models.latentWalk((z) => model.decode(z), keyframes, { steps: MODEL_FRAMES });
      const values = (await frames.data()) as Float32Array;
      frames.dispose();
      drawRaster(this.modelFrames, gg.metrics.imageGrid(values, MODEL_FRAMES, { columns: MODEL_FRAMES, padding: 1, background: 0.15 }));
      this.modelInfo.textContent = `${model.description}: ${MODEL_FRAMES} frames from one random latent (left) to another (right)`;
    } finally {
      keyframes.dispose();
    }
  }
}

/** The model a checkpoint file holds, rebuilt with the loaders (and, for the GAN and diffusion, the builders) of the page that saved it. */
async function walkableModel(bytes: Uint8Array): Promise<WalkableModel> {
  const metadata = gg.io.readHeader(bytes).metadata;
  if (metadata['demo.model'] !== undefined && metadata['demo.phase'] !== 'vae') return diffusionModel(bytes, metadata['demo.model']);
  if (metadata['demo.task'] !== undefined) return ganModel(bytes);
  let config: gg.models.VaeConfig;
  try {
    config = gg.models.readVaeConfig(bytes);
  } catch {
    throw new Error('this file is not a checkpoint from the VAE, GAN or Diffusion page');
  }
  const vae = await gg.models.loadVaeCheckpoint(bytes);
  return {
    description: `a VAE (${config.kind}, latent ${config.latentDim})${metadata['demo.phase'] === 'vae' ? ' from phase 1 of the Diffusion page' : ''}`,
    latentShape: [config.latentDim],
    decode: async (z) => gg.noGrad(() => gg.scope(() => vae.decode(z).sigmoid())),
    dispose: () => vae.dispose(),
  };
}

async function ganModel(bytes: Uint8Array): Promise<WalkableModel> {
  const settings = readGanSettings(bytes);
  if (settings['demo.task'] !== 'mnist') throw new Error('this GAN was trained on the 2-D lab, whose samples are points, not images: train the MNIST digits task to walk it here');
  const { trainer } = createGanTrainer(settings);
  try {
    await gg.models.loadGanCheckpoint(bytes, trainer);
  } catch (error) {
    trainer.dispose();
    trainer.generator.dispose();
    trainer.discriminator.dispose();
    throw error;
  }
  trainer.dispose();
  trainer.discriminator.dispose();
  const generator = trainer.generator;
  generator.eval(); // BatchNorm from its running statistics: each frame depends on its own latent alone
  return {
    description: `a DCGAN generator (latent ${generator.latentDim})`,
    latentShape: [generator.latentDim],
    decode: async (z) => gg.noGrad(() => gg.scope(() => generator.forward(z).add(1).mul(0.5).reshape([z.shape[0], 784]))),
    dispose: () => generator.dispose(),
  };
}

async function diffusionModel(bytes: Uint8Array, kind: string): Promise<WalkableModel> {
  const schedule = new gg.models.NoiseSchedule(SCHEDULE);
  const sample = async (denoiser: gg.models.Denoiser, noise: gg.Tensor, clipData: number) =>
    gg.models.ddimSample(denoiser, schedule, noise.shape[0], { noise, steps: DDIM_STEPS, clipData });
  if (kind === 'latent') {
    const parts = splitLatentCheckpoint(bytes);
    const normalization = gg.models.readLatentNormalization(bytes);
    if (!normalization) throw new Error('this latent diffusion checkpoint has no latent standardisation');
    const vae = await gg.models.loadVaeCheckpoint(parts.vae);
    const denoiser = await gg.models.loadDiffusionCheckpoint(parts.denoiser, { averaged: true });
    return {
      description: `a latent diffusion model (DDIM, ${DDIM_STEPS} steps, no class)`,
      latentShape: [...denoiser.dataShape],
      decode: async (noise) => {
        const latents = await sample(denoiser, noise, CLIP_DATA.latent);
        const images = gg.noGrad(() => gg.scope(() => gg.models.decodeLatents(vae, latents, normalization)));
        latents.dispose();
        return images;
      },
      dispose: () => {
        vae.dispose();
        denoiser.dispose();
        schedule.dispose();
      },
    };
  }
  const denoiser = await gg.models.loadDiffusionCheckpoint(bytes, { averaged: true });
  return {
    description: `a pixel diffusion model (DDIM, ${DDIM_STEPS} steps, no class; slow on a software GPU)`,
    latentShape: [...denoiser.dataShape],
    decode: async (noise) => {
      const drawn = await sample(denoiser, noise, CLIP_DATA.pixel);
      const images = gg.scope(() => drawn.add(1).mul(0.5).reshape([noise.shape[0], 784]));
      drawn.dispose();
      return images;
    },
    dispose: () => {
      denoiser.dispose();
      schedule.dispose();
    },
  };
}

function readFavourites(): Artwork[] {
  try {
    const stored = JSON.parse(localStorage.getItem(FAVOURITES_KEY) ?? '[]') as Artwork[];
    return stored.filter((a) => Number.isInteger(a.seed) && (a.output === 'rgb' || a.output === 'grey') && a.scale > 0 && a.latent?.length === LATENT_DIM);
  } catch {
    return []; // no localStorage (a private window), or an unreadable entry: start with none
  }
}

function writeFavourites(favourites: Artwork[]): void {
  try {
    localStorage.setItem(FAVOURITES_KEY, JSON.stringify(favourites));
  } catch {
    // No localStorage: the favourites stay for this visit only.
  }
}

export const galleryPage: PageModule = {
  id: 'gallery',
  label: 'Gallery',
  blurb: 'Generative art from a CPPN, a network with random weights drawn at any resolution: explore, walk its latent space, keep favourites, download large PNGs; or walk a trained model\'s latent space.',
  create: () => new GalleryPage(),
};
