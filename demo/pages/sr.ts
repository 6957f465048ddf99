// The Super-resolution page: upscale a picture on the GPU with an ESPCN (sub-pixel convolution, the
// luminance network of gg.models.sr) trained by bench/models/sr.ts on CBSD68 photographs, whose
// weights ship with the demo (demo/assets/espcn-x<scale>.safetensors, served under /data/sr/). The
// visitor picks or drops an image (a drawn sample until then), chooses x2, x3 or x4, and presses
// Start: the network runs over the image in overlapping tiles (gg.models.upscaleImage; each tile one
// step of the status line), then a slider wipes between the bicubic upscale and the network's, with
// the time each took and a PNG download of the result.
import * as gg from '../../src/index.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, PageModule, ShellApi } from '../page.js';

type Scale = '2' | '3' | '4';
/** The sample's side: small enough that x4 stays quick on a software GPU. */
const SAMPLE_WIDTH = 160;
const SAMPLE_HEIGHT = 120;
/** Low-resolution pixels per tile side: one tile is one step. */
const TILE = 48;

/** A picture with edges, text, gradients and fine stripes: what bicubic blurs and a network should keep sharper. */
function drawSample(): gg.metrics.RasterImage {
  const canvas = new OffscreenCanvas(SAMPLE_WIDTH, SAMPLE_HEIGHT);
  const context = canvas.getContext('2d')!;
  const sky = context.createLinearGradient(0, 0, 0, SAMPLE_HEIGHT);
  sky.addColorStop(0, '#8ec5ff');
  sky.addColorStop(1, '#ffe6b3');
  context.fillStyle = sky;
  context.fillRect(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
  context.fillStyle = '#e4572e';
  context.beginPath();
  context.arc(118, 34, 20, 0, 2 * Math.PI);
  context.fill();
  for (let x = 6; x < 70; x += 4) {
    context.fillStyle = x % 8 === 2 ? '#1d3557' : '#f1faee';
    context.fillRect(x, 62, 2, 40);
  }
  context.fillStyle = '#2a9d8f';
  context.fillRect(82, 70, 64, 34);
  context.fillStyle = '#111';
  context.font = 'bold 15px sans-serif';
  context.fillText('gengpu', 10, 28);
  context.font = '9px sans-serif';
  context.fillText('super-resolution', 10, 44);
  context.strokeStyle = '#264653';
  context.lineWidth = 1;
  for (let k = 0; k < 6; k++) {
    context.beginPath();
    context.moveTo(84, 108 - k * 2);
    context.lineTo(156, 76 + k * 5);
    context.stroke();
  }
  const { data } = context.getImageData(0, 0, SAMPLE_WIDTH, SAMPLE_HEIGHT);
  return { width: SAMPLE_WIDTH, height: SAMPLE_HEIGHT, channels: 4, pixels: new Uint8Array(data.buffer) };
}

/** An image drawn on a canvas at its own size (CSS scales it to the card). */
function paint(canvas: HTMLCanvasElement, image: gg.metrics.RasterImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  gg.metrics.drawImageOnCanvas(canvas.getContext('2d')!, image, { scale: 1 });
}

class SuperResolutionPage implements DemoPage {
  readonly lossLabel = null;
  readonly stepName = 'tiles';

  private shell: ShellApi | null = null;
  private scale: Scale = '3';
  private source: gg.metrics.RasterImage = { width: 1, height: 1, channels: 1, pixels: new Uint8Array(1) };
  private sourceName = 'sample';
  private readonly models = new Map<string, gg.models.SuperResolver>();
  private result: { network: gg.metrics.RasterImage; bicubic: gg.metrics.RasterImage; networkMs: number; bicubicMs: number; tiles: number } | null = null;

  private readonly original = element('canvas', { class: 'pixels', id: 'sr-input' });
  private readonly bicubicView = element('canvas', { class: 'sr-layer', id: 'sr-bicubic' });
  private readonly networkView = element('canvas', { class: 'sr-layer sr-top', id: 'sr-network' });
  private readonly slider = element('input', { type: 'range', min: '0', max: '100', value: '50', id: 'sr-slider' });
  private readonly info = element('div', { class: 'caption', id: 'sr-info' });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    this.source = drawSample();
    const file = element('input', { type: 'file', accept: 'image/*', id: 'sr-file' });
    file.onchange = () => {
      const chosen = file.files?.[0];
      if (chosen) void this.open(chosen);
    };
    const fileLabel = element('label', {}, 'image');
    fileLabel.append(file);
    const download = element('button', { id: 'sr-download' }, 'Download PNG');
    download.onclick = () => void this.download();
    const options = element('div', { class: 'options' });
    options.append(
      choice('scale', 'sr-scale', [['2', 'x2'], ['3', 'x3'], ['4', 'x4']], this.scale, (v) => {
        this.scale = v as Scale;
        void shell.restart();
      }),
      fileLabel,
      download,
    );
    const compare = element('div', { class: 'sr-compare', id: 'sr-compare' });
    compare.append(this.bicubicView, this.networkView);
    this.slider.oninput = () => this.wipe();
    view.append(
      options,
      card('Input (drop an image anywhere on this page, or pick a file)', this.original),
      card('Bicubic (left of the line) against ESPCN (right): drag the slider', compare, this.slider, this.info),
    );
    view.addEventListener('dragover', (event) => event.preventDefault());
    view.addEventListener('drop', (event) => {
      event.preventDefault();
      const dropped = event.dataTransfer?.files?.[0];
      if (dropped) void this.open(dropped);
    });
    paint(this.original, this.source);
    this.wipe();
  }

  /** Decodes a picked or dropped file and starts over with it. */
  private async open(file: File): Promise<void> {
    try {
      this.source = await gg.models.decodeImage(new Uint8Array(await file.arrayBuffer()));
      this.sourceName = file.name.replace(/\.[^.]*$/, '');
      paint(this.original, this.source);
      await this.shell!.restart();
      this.shell!.note(`${file.name}: ${this.source.width} x ${this.source.height}; press Start to upscale it`);
    } catch (error) {
      this.shell!.note(`could not read ${file.name}: ${(error as Error).message}`, 'error');
    }
  }

  /** The shipped network for a scale, fetched and loaded once. */
  private async network(scale: string): Promise<gg.models.SuperResolver> {
    const known = this.models.get(scale);
    if (known) return known;
    const url = `data/sr/espcn-x${scale}.safetensors`;
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} (run npx tsx bench/models/sr.ts --models=espcn --ship to make the weights)`);
    const model = await gg.models.loadSrCheckpoint(new Uint8Array(await response.arrayBuffer()));
    model.eval();
    this.models.set(scale, model);
    return model;
  }

  async reset(): Promise<void> {
    this.result = null;
    for (const canvas of [this.bicubicView, this.networkView]) canvas.width = canvas.height = 0;
    this.info.textContent = 'press Start to upscale the image';
  }

  /** Upscales the image once (the status line counts its tiles as steps); then there is nothing left to do. */
  async train() {
    const model = await this.network(this.scale);
    const scale = Number(this.scale);
    let tiles = 0;
    const started = performance.now();
    const network = await gg.models.upscaleImage(model, this.source, { tileSize: TILE, onTile: (_, total) => (tiles = total) });
    const networkMs = performance.now() - started;
    const bicubicStarted = performance.now();
    const bicubic = gg.models.upscaleBicubic(this.source, scale);
    this.result = { network, bicubic, networkMs, bicubicMs: performance.now() - bicubicStarted, tiles };
    return { steps: tiles, loss: null, done: true };
  }

  async render(): Promise<void> {
    if (!this.result) return;
    const { network, bicubic, networkMs, bicubicMs, tiles } = this.result;
    paint(this.networkView, network);
    paint(this.bicubicView, bicubic);
    this.wipe();
    const megapixels = (network.width * network.height) / 1e6;
    this.info.textContent = `${this.sourceName}: ${this.source.width} x ${this.source.height} -> ${network.width} x ${network.height} (x${this.scale}); ` +
      `ESPCN on the GPU ${networkMs.toFixed(0)} ms (${(networkMs / megapixels).toFixed(0)} ms per output megapixel, ${tiles} tiles), ` +
      `bicubic on the CPU ${bicubicMs.toFixed(0)} ms`;
  }

  /** Shows the network's image right of the slider's position and bicubic's left of it. */
  private wipe(): void {
    this.networkView.style.clipPath = `inset(0 0 0 ${this.slider.value}%)`;
  }

  private async download(): Promise<void> {
    if (!this.result) {
      this.shell!.note('press Start first: there is nothing to download yet');
      return;
    }
    gg.io.downloadBlob(await gg.metrics.encodePng(this.result.network), `${this.sourceName}-espcn-x${this.scale}.png`);
  }
}

export const superResolutionPage: PageModule = {
  id: 'sr',
  label: 'Super-resolution',
  blurb: 'Upscale a picture x2, x3 or x4 on the GPU with an ESPCN trained on photographs, against bicubic, with a before/after slider.',
  create: () => new SuperResolutionPage(),
};
