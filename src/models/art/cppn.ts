// A compositional pattern-producing network (Stanley 2007; Ha's "neural network generative art"): an
// MLP with random, seeded weights that maps each pixel's coordinates (x, y, r = sqrt(x^2 + y^2)) and a
// latent vector z to a colour. Nothing is trained: the picture is the network, and z moves through a
// family of related pictures. Because the network is a smooth function of continuous coordinates, an
// image has no native resolution: pixels are sampled at their centres over an extent fixed by the aspect
// ratio, so a render twice as large is the same picture sampled twice as finely. Large renders go through
// the network in bands of rows, so memory grows with the band and the output, never with hidden x pixels.

import { noGrad } from '../../autograd.js';
import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor } from '../../ops/creation.js';
import { concat } from '../../ops/indexing.js';
import { Generator } from '../../ops/random.js';
import { normal } from '../../nn/init.js';
import { Module } from '../../nn/module.js';
import { encodePng, type PngOptions, type RasterImage } from '../../metrics/png.js';

/** A hidden layer's nonlinearity: tanh, sin, the Gaussian bump exp(-x^2), or softplus log(1 + e^x). */
export type CppnActivation = 'tanh' | 'sin' | 'gaussian' | 'softplus';

const ACTIVATIONS: readonly CppnActivation[] = ['tanh', 'sin', 'gaussian', 'softplus'];

/** A CPPN's architecture, its random weights' seed and its view. */
export interface CppnConfig {
  /** Length of the latent vector z (default 8). */
  latentDim: number;
  /** Units per hidden layer (default 32). */
  hidden: number;
  /** Hidden layers (default 4). */
  depth: number;
  /** The hidden layers' nonlinearities, in order, repeated when shorter than depth (default tanh, sin, gaussian, tanh). */
  activations: CppnActivation[];
  /** Three colour channels or one grey channel, each through a sigmoid (default 'rgb'). */
  output: 'rgb' | 'grey';
  /** Zoom: the image's shorter side spans [-scale, scale] (default 1.5); larger shows more of the pattern, finer. */
  scale: number;
  /**
   * The weights' spread: each layer's weights are N(0, weightStd^2 / fanIn), the coordinate weights N(0, weightStd^2).
   * Larger gives busier, sharper patterns (default 2.5).
   */
  weightStd: number;
  /** Seeds the weights (default 0): the same seed gives the same network, bit for bit. */
  seed: number;
}

/** The size of a render, and how it is cut into bands. */
export interface CppnRenderOptions {
  /** Pixels per row, a positive integer. */
  width: number;
  /** Rows, a positive integer. */
  height: number;
  /** Overrides the config's zoom for this render. */
  scale?: number;
  /** Pixels that go through the network at once (default 65536): memory per band is about hidden x this x 4 bytes per layer. */
  bandPixels?: number;
}

/** A latent vector: latentDim numbers, as a tensor [latentDim] or a plain array. */
export type CppnLatent = Tensor | ArrayLike<number>;

/**
 * The output layer's weights are this much narrower than the hidden layers': the sigmoid then saturates on few
 * pixels, so colours blend instead of clipping into hard edges (which would also make renders depend on resolution).
 */
const OUTPUT_GAIN = 0.8;
/** The output bias's spread: small, so no one colour floods every picture of a seed. */
const OUTPUT_BIAS_STD = 0.5;

const DEFAULTS: CppnConfig = {
  latentDim: 8,
  hidden: 32,
  depth: 4,
  activations: ['tanh', 'sin', 'gaussian', 'tanh'],
  output: 'rgb',
  scale: 1.5,
  weightStd: 2.5,
  seed: 0,
};

function checkPositiveInteger(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${value}`);
}

function checkPositive(op: string, name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${op}: ${name} must be a finite number > 0, got ${value}`);
}

function activate(x: Tensor, activation: CppnActivation): Tensor {
  switch (activation) {
    case 'tanh':
      return x.tanh();
    case 'sin':
      return x.sin();
    case 'gaussian':
      return x.square().neg().exp();
    case 'softplus':
      return x.softplus();
  }
}

/**
 * The pixel-centre coordinates of rows [top, top + rows) of a width x height image: x and y in the
 * extent whose shorter side spans [-scale, scale] (y grows upwards), and r, as [rows * width, 3].
 */
export function pixelCoordinates(width: number, height: number, scale: number, top = 0, rows = height): Float32Array {
  const unit = (2 * scale) / Math.min(width, height); // the side of one pixel in coordinate units
  const out = new Float32Array(rows * width * 3);
  for (let row = 0; row < rows; row++) {
    const y = ((height - 2 * (top + row) - 1) / 2) * unit;
    for (let col = 0; col < width; col++) {
      const x = ((2 * col + 1 - width) / 2) * unit;
      const at = (row * width + col) * 3;
      out[at] = x;
      out[at + 1] = y;
      out[at + 2] = Math.sqrt(x * x + y * y);
    }
  }
  return out;
}

/**
 * A CPPN: colour = sigmoid(MLP(x, y, r, z)). The first layer is W_c [x, y, r] + W_z z + b, so z enters as a
 * per-image bias computed once per render; then depth - 1 more hidden layers and the output layer. Weights are drawn
 * once from the seed (keys 'coords', 'latent', 'bias', 'layer<i>.weight'/'.bias', 'out.weight'/'.bias'): a checkpoint
 * of it is just its seed and config, but its state dict saves and loads like any module's.
 */
export class Cppn extends Module {
  /** The architecture, seed and zoom (defaults filled in). */
  readonly config: CppnConfig;
  /** The first layer's weights on x, y, r: [hidden, 3]. */
  readonly coordWeight: Tensor;
  /** The first layer's weights on z: [hidden, latentDim]. */
  readonly latentWeight: Tensor;
  /** The first layer's bias: [hidden]. */
  readonly firstBias: Tensor;
  private readonly layers: CppnLayer[] = [];
  private readonly out: CppnLayer;

  constructor(config: Partial<CppnConfig> = {}) {
    super();
    const c: CppnConfig = { ...DEFAULTS, ...config, activations: [...(config.activations ?? DEFAULTS.activations)] };
    for (const name of ['latentDim', 'hidden', 'depth'] as const) checkPositiveInteger('Cppn', name, c[name]);
    checkPositive('Cppn', 'scale', c.scale);
    checkPositive('Cppn', 'weightStd', c.weightStd);
    if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new Error(`Cppn: seed must be a safe integer >= 0, got ${c.seed}`);
    if (c.output !== 'rgb' && c.output !== 'grey') throw new Error(`Cppn: output must be 'rgb' or 'grey', got '${String(c.output)}'`);
    if (c.activations.length === 0 || c.activations.some((a) => !ACTIVATIONS.includes(a))) {
      throw new Error(`Cppn: activations must be a non-empty list of ${ACTIVATIONS.join(', ')}; got [${c.activations.join(', ')}]`);
    }
    this.config = c;
    const generator = new Generator(c.seed);
    const draw = (name: string, shape: number[], std: number) => this.registerParameter(name, normal(Tensor.empty(shape), 0, std, { generator }));
    const { hidden, latentDim, weightStd } = c;
    this.coordWeight = draw('coords', [hidden, 3], weightStd);
    this.latentWeight = draw('latent', [hidden, latentDim], weightStd / Math.sqrt(latentDim));
    this.firstBias = draw('bias', [hidden], weightStd / 2);
    for (let i = 1; i < c.depth; i++) {
      const layer = new CppnLayer(hidden, hidden, weightStd, weightStd / 2, generator);
      this.registerModule(`layer${i}`, layer);
      this.layers.push(layer);
    }
    this.out = this.registerModule('out', new CppnLayer(hidden, this.channels, OUTPUT_GAIN * weightStd, OUTPUT_BIAS_STD, generator));
    this.requiresGrad(false);
  }

  /** 3 for 'rgb', 1 for 'grey'. */
  get channels(): 1 | 3 {
    return this.config.output === 'rgb' ? 3 : 1;
  }

  /** Turns gradient tracking of every weight on or off (off from construction: a CPPN is drawn, not trained). */
  requiresGrad(flag: boolean): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /** The nonlinearity of hidden layer i (from 0). */
  activation(i: number): CppnActivation {
    return this.config.activations[i % this.config.activations.length];
  }

  /** Colours in [0, 1], [..., channels], for coordinates [..., 3] (x, y, r) and one latent [latentDim]. */
  forward(coords: Tensor, latent: Tensor): Tensor {
    const op = 'Cppn.forward';
    coords.assertAlive(op);
    if (coords.dtype !== 'f32' || coords.rank < 1 || coords.shape[coords.rank - 1] !== 3) {
      throw new Error(`${op}: expected f32 coordinates [..., 3] (x, y, r), got ${formatShape(coords.shape)} ${coords.dtype}`);
    }
    const z = this.checkLatent(op, latent);
    return scope(() => {
      const zBias = z.reshape([1, this.config.latentDim]).matmul(this.latentWeight.transpose()).reshape([this.config.hidden]).add(this.firstBias);
      let h = activate(coords.matmul(this.coordWeight.transpose()).add(zBias), this.activation(0));
      this.layers.forEach((layer, i) => {
        h = activate(layer.forward(h), this.activation(i + 1));
      });
      return this.out.forward(h).sigmoid();
    });
  }

  /**
   * The image of one latent [latentDim] as [height, width, channels] (row-major from the top-left, channels last, the
   * layout of a RasterImage), or of N latents [N, latentDim] as [N, height, width, channels]; values in [0, 1].
   */
  render(latent: CppnLatent, options: CppnRenderOptions): Tensor {
    const op = 'Cppn.render';
    const { width, height } = this.checkSize(op, options);
    return noGrad(() =>
      scope(() => {
        const latents = this.latentTensor(op, latent);
        const batch = latents.rank === 2;
        const count = batch ? latents.shape[0] : 1;
        const images: Tensor[] = [];
        for (let n = 0; n < count; n++) {
          const z = batch ? latents.slice(0, n, n + 1).reshape([this.config.latentDim]) : latents;
          const bands: Tensor[] = [];
          this.forEachBand(options, (top, rows) => bands.push(scope(() => this.renderBand(z, options, top, rows))));
          const image = bands.length === 1 ? bands[0] : concat(bands);
          images.push(image.reshape([height, width, this.channels]));
        }
        if (!batch) return images[0];
        return concat(images.map((image) => image.reshape([1, height, width, this.channels])));
      }),
    );
  }

  /**
   * The image of one latent as 8-bit pixels, read back band by band, so that only one band's activations and floats
   * are ever on the GPU: a 4096 x 4096 render needs no more GPU memory than a small one.
   */
  async renderImage(latent: CppnLatent, options: CppnRenderOptions): Promise<RasterImage> {
    const op = 'Cppn.renderImage';
    const { width, height } = this.checkSize(op, options);
    const z = this.latentTensor(op, latent);
    if (z.rank !== 1) {
      if (!(latent instanceof Tensor)) z.dispose();
      throw new Error(`${op}: renders one latent [${this.config.latentDim}], got ${formatShape(z.shape)}`);
    }
    const channels = this.channels;
    const pixels = new Uint8Array(width * height * channels);
    const bands: [number, number][] = [];
    this.forEachBand(options, (top, rows) => bands.push([top, rows]));
    try {
      for (const [top, rows] of bands) {
        const band = noGrad(() => scope(() => this.renderBand(z, options, top, rows)));
        const values = await band.data();
        band.dispose();
        const offset = top * width * channels;
        for (let i = 0; i < values.length; i++) pixels[offset + i] = Math.round(values[i] * 255);
      }
    } finally {
      if (!(latent instanceof Tensor)) z.dispose();
    }
    return { width, height, channels, pixels };
  }

  /** The PNG file of one latent's image (see renderImage). */
  async renderPng(latent: CppnLatent, options: CppnRenderOptions, png: PngOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    return encodePng(await this.renderImage(latent, options), png);
  }

  /** Rows [top, top + rows) of the image: [rows * width, channels]. */
  private renderBand(z: Tensor, options: CppnRenderOptions, top: number, rows: number): Tensor {
    const { width, height, scale = this.config.scale } = options;
    const coords = tensor(pixelCoordinates(width, height, scale, top, rows), [rows * width, 3]);
    return this.forward(coords, z);
  }

  /** Calls fn(top, rows) for each band of rows, top to bottom. */
  private forEachBand(options: CppnRenderOptions, fn: (top: number, rows: number) => void): void {
    const { width, height, bandPixels = 65536 } = options;
    const rowsPerBand = Math.max(1, Math.floor(bandPixels / width));
    for (let top = 0; top < height; top += rowsPerBand) fn(top, Math.min(rowsPerBand, height - top));
  }

  private checkSize(op: string, options: CppnRenderOptions): { width: number; height: number } {
    const { width, height, scale = this.config.scale, bandPixels = 65536 } = options ?? ({} as CppnRenderOptions);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(`${op}: width and height must be positive integers, got ${width} x ${height}`);
    }
    checkPositive(op, 'scale', scale);
    checkPositiveInteger(op, 'bandPixels', bandPixels);
    return { width, height };
  }

  /** A latent [latentDim] (or a batch [N, latentDim] of tensors) checked; arrays become a new tensor. */
  private latentTensor(op: string, latent: CppnLatent): Tensor {
    if (latent instanceof Tensor) {
      latent.assertAlive(op);
      const d = this.config.latentDim;
      const ok = latent.dtype === 'f32' && (latent.rank === 1 ? latent.shape[0] === d : latent.rank === 2 && latent.shape[1] === d && latent.shape[0] >= 1);
      if (!ok) throw new Error(`${op}: expected an f32 latent [${d}] or latents [N, ${d}], got ${formatShape(latent.shape)} ${latent.dtype}`);
      return latent;
    }
    if (latent.length !== this.config.latentDim) {
      throw new Error(`${op}: expected a latent of ${this.config.latentDim} numbers ([${this.config.latentDim}] f32), got ${latent.length} ([${latent.length}])`);
    }
    return tensor(Float32Array.from(latent), [latent.length]);
  }

  private checkLatent(op: string, latent: Tensor): Tensor {
    latent.assertAlive(op);
    const d = this.config.latentDim;
    if (latent.dtype !== 'f32' || latent.size !== d || latent.rank !== 1) {
      throw new Error(`${op}: expected an f32 latent [${d}], got ${formatShape(latent.shape)} ${latent.dtype}`);
    }
    return latent;
  }

  protected override extraRepr(): string {
    const { latentDim, hidden, depth, activations, output, scale, weightStd, seed } = this.config;
    return `latentDim=${latentDim}, hidden=${hidden}, depth=${depth}, activations=[${activations.join(', ')}], output=${output}, scale=${scale}, weightStd=${weightStd}, seed=${seed}`;
  }
}

/** One dense layer of a CPPN: weight [out, in] ~ N(0, std^2 / in), bias [out] ~ N(0, biasStd^2). */
class CppnLayer extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(inFeatures: number, outFeatures: number, std: number, biasStd: number, generator: Generator) {
    super();
    this.weight = this.registerParameter('weight', normal(Tensor.empty([outFeatures, inFeatures]), 0, std / Math.sqrt(inFeatures), { generator }));
    this.bias = this.registerParameter('bias', normal(Tensor.empty([outFeatures]), 0, biasStd, { generator }));
  }

  forward(x: Tensor): Tensor {
    return x.matmul(this.weight.transpose()).add(this.bias);
  }
}

/** A latent drawn from N(0, I), [latentDim], the same for the same seed. */
export function randomLatent(latentDim: number, seed: number): Tensor {
  checkPositiveInteger('randomLatent', 'latentDim', latentDim);
  return normal(Tensor.empty([latentDim]), 0, 1, { generator: new Generator(seed) });
}
