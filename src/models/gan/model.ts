// The networks of a GAN and the spectral normalisation that can wrap a discriminator's layers:
//   MlpGenerator / MlpDiscriminator   for 2-D toy data (the mode-collapse laboratory);
//   DcganGenerator / DcganDiscriminator  DCGAN (Radford et al., 2016) sized for 28 x 28 MNIST:
//     transposed convolutions up with BatchNorm and ReLU, a tanh output in [-1, 1]; strided
//     convolutions down with LeakyReLU(0.2) (BatchNorm optional), one logit per image;
//   SpectralNorm  W / σ(W) with σ estimated by power iteration (src/ops/spectral-norm.ts).
// Every discriminator returns logits [N]; every generator maps latents [N, latentDim] to samples.

import { noGrad } from '../../autograd.js';
import { Tensor, formatShape, scope } from '../../tensor.js';
import { normal as normalInit } from '../../nn/init.js';
import { conv2d } from '../../ops/conv.js';
import { randn, type Generator } from '../../ops/random.js';
import { BatchNorm, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, LeakyReLU, Linear, ReLU, Sequential, Tanh } from '../../nn/layers.js';
import { linear } from '../../nn/functional.js';
import { Module } from '../../nn/module.js';
import { powerIteration } from '../../ops/spectral-norm.js';

/** What GanTrainer needs of a generator: samples from latents [N, latentDim]. */
export interface GanGenerator extends Module {
  /** Dimension of the latent vectors it takes. */
  readonly latentDim: number;
  forward(z: Tensor): Tensor;
}

/** What GanTrainer needs of a discriminator: one logit (or critic value) per sample, [N]. */
export interface GanDiscriminator extends Module {
  forward(x: Tensor): Tensor;
}

interface Seeded {
  /** The stream the initial weights (and spectral-norm vectors) are drawn from (default: the default generator). */
  generator?: Generator;
}

function checkPositiveInteger(owner: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${owner}: ${name} must be a positive integer, got ${value}`);
}

// ---- spectral normalisation ----------------------------------------------------------------------

/** Options of {@link SpectralNorm}. */
export interface SpectralNormOptions extends Seeded {
  /** Power-iteration steps per forward pass in training mode (default 1, as PyTorch). */
  powerIterations?: number;
  /** Vectors are divided by max(norm, eps) (default 1e-12). */
  eps?: number;
}

/**
 * Spectral normalisation of a Linear or Conv2d layer (Miyato et al., 2018): the layer runs with the
 * weight W / σ(W), so it is 1-Lipschitz (for the flattened weight). σ(W) = uᵀ W v with u, v the
 * power-iteration vectors, kept as buffers `u` and `v` and refined by `powerIterations` steps at
 * each forward pass in training mode. The product uᵀ W v is made with tensor ops on copies of u and
 * v, so the gradient reaches W through σ as well (with u, v held constant, as in PyTorch), it is
 * differentiable twice (WGAN-GP with spectral norm), and a later forward pass refining u and v does
 * not change an earlier pass's graph. Keys: layer.weight, layer.bias, u, v.
 */
export class SpectralNorm extends Module {
  /** The wrapped layer, whose weight is normalised at each forward pass. Key prefix 'layer.'. */
  readonly layer: Linear | Conv2d;
  /** Left power-iteration vector [rows], a unit vector (buffer 'u'). */
  readonly u: Tensor;
  /** Right power-iteration vector [cols = weight size / rows], a unit vector (buffer 'v'). */
  readonly v: Tensor;
  /** Power-iteration steps per forward pass in training mode. */
  readonly powerIterations: number;
  /** Vectors are divided by max(norm, eps). */
  readonly eps: number;

  constructor(layer: Linear | Conv2d, options: SpectralNormOptions = {}) {
    super();
    if (!(layer instanceof Linear) && !(layer instanceof Conv2d)) {
      throw new Error(`SpectralNorm: wraps a Linear or Conv2d layer, got ${(layer as object)?.constructor?.name ?? String(layer)}`);
    }
    const { powerIterations = 1, eps = 1e-12, generator } = options;
    checkPositiveInteger('SpectralNorm', 'powerIterations', powerIterations);
    this.powerIterations = powerIterations;
    this.eps = eps;
    this.layer = this.registerModule('layer', layer);
    const rows = layer.weight.shape[0];
    const cols = layer.weight.size / rows;
    const unit = (n: number) => scope(() => {
      const x = randn([n], { generator });
      return x.div(x.square().sum().sqrt().clamp(eps));
    });
    this.u = this.registerBuffer('u', unit(rows));
    this.v = this.registerBuffer('v', unit(cols));
  }

  /** The current estimate of σ(W) = uᵀ W v, a scalar tensor (graph to W unless under noGrad). */
  sigma(): Tensor {
    const w = this.layer.weight;
    const rows = w.shape[0];
    const matrix = w.reshape([rows, w.size / rows]);
    const u = this.u.detach().clone();
    const v = this.v.detach().clone();
    return u.reshape([1, rows]).matmul(matrix).matmul(v.reshape([v.size, 1])).reshape([]);
  }

  /** W / σ(W), after refining u and v when training. */
  normalizedWeight(): Tensor {
    if (this.training) powerIteration(this.layer.weight, this.u, this.v, this.powerIterations, this.eps);
    return this.layer.weight.div(this.sigma());
  }

  forward(x: Tensor): Tensor {
    const layer = this.layer;
    const weight = this.normalizedWeight();
    return layer instanceof Linear ? linear(x, weight, layer.bias) : conv2d(x, weight, layer.bias, layer.convOptions);
  }

  protected override extraRepr(): string {
    return `powerIterations=${this.powerIterations}, eps=${this.eps}`;
  }
}

/** `layer`, wrapped in SpectralNorm when `enabled`. */
function maybeSpectral(layer: Linear | Conv2d, enabled: boolean, generator: Generator | undefined): Module {
  return enabled ? new SpectralNorm(layer, { generator }) : layer;
}

// ---- MLPs for 2-D data ---------------------------------------------------------------------------

/** Options of {@link MlpGenerator}. */
export interface MlpGeneratorOptions extends Seeded {
  /** Dimension of the latent vectors (default 16). */
  latentDim?: number;
  /** Width of each hidden layer (default 128). */
  hiddenDim?: number;
  /** Number of hidden layers (default 2). */
  hiddenLayers?: number;
  /** Dimension of the samples (default 2). */
  outputDim?: number;
}

/** latent -> (Linear, ReLU) x hiddenLayers -> Linear -> outputDim (default 16 -> 128 -> 128 -> 2). Keys net.0, net.2, ... */
export class MlpGenerator extends Module implements GanGenerator {
  /** Dimension of the latent vectors. */
  readonly latentDim: number;
  /** Dimension of the samples. */
  readonly outputDim: number;
  /** The layers. Key prefix 'net.'. */
  readonly net: Sequential;

  constructor(options: MlpGeneratorOptions = {}) {
    super();
    const { latentDim = 16, hiddenDim = 128, hiddenLayers = 2, outputDim = 2, generator } = options;
    for (const [name, value] of Object.entries({ latentDim, hiddenDim, hiddenLayers, outputDim })) checkPositiveInteger('MlpGenerator', name, value);
    this.latentDim = latentDim;
    this.outputDim = outputDim;
    const layers: Module[] = [];
    for (let i = 0; i < hiddenLayers; i++) layers.push(new Linear(i === 0 ? latentDim : hiddenDim, hiddenDim, { generator }), new ReLU());
    layers.push(new Linear(hiddenDim, outputDim, { generator }));
    this.net = this.registerModule('net', new Sequential(...layers));
  }

  forward(z: Tensor): Tensor {
    checkLatents('MlpGenerator', z, this.latentDim);
    return this.net.forward(z);
  }
}

/** Options of {@link MlpDiscriminator}. */
export interface MlpDiscriminatorOptions extends Seeded {
  /** Dimension of the samples (default 2). */
  inputDim?: number;
  /** Width of each hidden layer (default 128). */
  hiddenDim?: number;
  /** Number of hidden layers (default 2). */
  hiddenLayers?: number;
  /** Wrap every Linear in SpectralNorm (default false). */
  spectralNorm?: boolean;
}

/** input -> (Linear, LeakyReLU(0.2)) x hiddenLayers -> Linear -> one logit per sample [N] (default 2 -> 128 -> 128 -> 1). */
export class MlpDiscriminator extends Module implements GanDiscriminator {
  /** Dimension of the samples. */
  readonly inputDim: number;
  /** The layers. Key prefix 'net.'. */
  readonly net: Sequential;

  constructor(options: MlpDiscriminatorOptions = {}) {
    super();
    const { inputDim = 2, hiddenDim = 128, hiddenLayers = 2, spectralNorm = false, generator } = options;
    for (const [name, value] of Object.entries({ inputDim, hiddenDim, hiddenLayers })) checkPositiveInteger('MlpDiscriminator', name, value);
    this.inputDim = inputDim;
    const layers: Module[] = [];
    for (let i = 0; i < hiddenLayers; i++) {
      layers.push(maybeSpectral(new Linear(i === 0 ? inputDim : hiddenDim, hiddenDim, { generator }), spectralNorm, generator), new LeakyReLU(0.2));
    }
    layers.push(maybeSpectral(new Linear(hiddenDim, 1, { generator }), spectralNorm, generator));
    this.net = this.registerModule('net', new Sequential(...layers));
  }

  forward(x: Tensor): Tensor {
    x.assertAlive('MlpDiscriminator');
    if (x.dtype !== 'f32' || x.rank !== 2 || x.shape[1] !== this.inputDim) {
      throw new Error(`MlpDiscriminator: expected f32 samples [N, ${this.inputDim}], got ${formatShape(x.shape)} ${x.dtype}`);
    }
    return this.net.forward(x).reshape([x.shape[0]]);
  }
}

function checkLatents(owner: string, z: Tensor, latentDim: number): void {
  z.assertAlive(owner);
  if (z.dtype !== 'f32' || z.rank !== 2 || z.shape[1] !== latentDim) {
    throw new Error(`${owner}: expected f32 latents [N, ${latentDim}], got ${formatShape(z.shape)} ${z.dtype}`);
  }
}

// ---- DCGAN for 28 x 28 images --------------------------------------------------------------------

/**
 * DCGAN's initialisation: convolution and linear weights ~ N(0, 0.02), BatchNorm weights ~ N(1, 0.02),
 * biases 0 (Radford et al., 2016; PyTorch's DCGAN example).
 */
function dcganInit(module: Module, generator: Generator | undefined): void {
  noGrad(() =>
    scope(() => {
      for (const [, m] of module.namedModules()) {
        if (m instanceof Conv2d || m instanceof ConvTranspose2d || m instanceof Linear) {
          normalInit(m.weight, 0, 0.02, { generator });
          if (m.bias) m.bias.assign(m.bias.mul(0));
        } else if (m instanceof BatchNorm && m.weight && m.bias) {
          normalInit(m.weight, 1, 0.02, { generator });
          m.bias.assign(m.bias.mul(0));
        }
      }
    }),
  );
}

/** Options of {@link DcganGenerator}. */
export interface DcganGeneratorOptions extends Seeded {
  /** Dimension of the latent vectors (default 64). */
  latentDim?: number;
  /** Channels at 7 x 7 and at 14 x 14 (default [64, 32]). */
  channels?: [number, number];
}

/**
 * z [N, latentDim] -> Linear (no bias) -> BatchNorm1d -> ReLU -> [N, c1, 7, 7]
 *   -> ConvTranspose2d(c1, c2, 4, stride 2, padding 1; no bias) -> BatchNorm2d -> ReLU   (14 x 14)
 *   -> ConvTranspose2d(c2, 1, 4, stride 2, padding 1) -> tanh                          (28 x 28)
 * Images [N, 1, 28, 28] in [-1, 1].
 */
export class DcganGenerator extends Module implements GanGenerator {
  /** Dimension of the latent vectors. */
  readonly latentDim: number;
  /** Channels at 7 x 7 and at 14 x 14. */
  readonly channels: [number, number];
  /** Linear, BatchNorm1d and ReLU: latents to c1 x 7 x 7 features. Key prefix 'project.'. */
  readonly project: Sequential;
  /** The two transposed convolutions up to 28 x 28 and the tanh. Key prefix 'upsample.'. */
  readonly upsample: Sequential;

  constructor(options: DcganGeneratorOptions = {}) {
    super();
    const { latentDim = 64, channels = [64, 32], generator } = options;
    checkPositiveInteger('DcganGenerator', 'latentDim', latentDim);
    if (!Array.isArray(channels) || channels.length !== 2) throw new Error(`DcganGenerator: channels must be a pair [c1, c2], got ${String(channels)}`);
    for (const c of channels) checkPositiveInteger('DcganGenerator', 'each of channels', c);
    this.latentDim = latentDim;
    this.channels = [channels[0], channels[1]];
    const [c1, c2] = channels;
    const up = { stride: 2, padding: 1, generator };
    this.project = this.registerModule('project', new Sequential(new Linear(latentDim, c1 * 49, { bias: false, generator }), new BatchNorm1d(c1 * 49), new ReLU()));
    this.upsample = this.registerModule(
      'upsample',
      new Sequential(new ConvTranspose2d(c1, c2, 4, { ...up, bias: false }), new BatchNorm2d(c2), new ReLU(), new ConvTranspose2d(c2, 1, 4, up), new Tanh()),
    );
    dcganInit(this, generator);
  }

  forward(z: Tensor): Tensor {
    checkLatents('DcganGenerator', z, this.latentDim);
    return this.upsample.forward(this.project.forward(z).reshape([z.shape[0], this.channels[0], 7, 7]));
  }
}

/** Options of {@link DcganDiscriminator}. */
export interface DcganDiscriminatorOptions extends Seeded {
  /** Channels at 14 x 14 and at 7 x 7 (default [32, 64]). */
  channels?: [number, number];
  /** BatchNorm after the second convolution (default true; must be false for WGAN-GP, whose penalty is per sample). */
  batchNorm?: boolean;
  /** Wrap both convolutions and the output layer in SpectralNorm (default false). */
  spectralNorm?: boolean;
}

/**
 * x [N, 1, 28, 28] -> Conv2d(1, c1, 4, stride 2, padding 1) -> LeakyReLU(0.2)            (14 x 14)
 *   -> Conv2d(c1, c2, 4, stride 2, padding 1) -> [BatchNorm2d] -> LeakyReLU(0.2)          (7 x 7)
 *   -> Flatten -> Linear(c2 * 49, 1) -> one logit per image [N].
 */
export class DcganDiscriminator extends Module implements GanDiscriminator {
  /** The layers. Key prefix 'net.'. */
  readonly net: Sequential;

  constructor(options: DcganDiscriminatorOptions = {}) {
    super();
    const { channels = [32, 64], batchNorm = true, spectralNorm = false, generator } = options;
    if (!Array.isArray(channels) || channels.length !== 2) throw new Error(`DcganDiscriminator: channels must be a pair [c1, c2], got ${String(channels)}`);
    for (const c of channels) checkPositiveInteger('DcganDiscriminator', 'each of channels', c);
    const [c1, c2] = channels;
    const down = { stride: 2, padding: 1, generator };
    const layers: Module[] = [
      maybeSpectral(new Conv2d(1, c1, 4, down), spectralNorm, generator),
      new LeakyReLU(0.2),
      maybeSpectral(new Conv2d(c1, c2, 4, { ...down, bias: !batchNorm }), spectralNorm, generator),
      ...(batchNorm ? [new BatchNorm2d(c2)] : []),
      new LeakyReLU(0.2),
      new Flatten(),
      maybeSpectral(new Linear(c2 * 49, 1, { generator }), spectralNorm, generator),
    ];
    this.net = this.registerModule('net', new Sequential(...layers));
    dcganInit(this, generator);
  }

  forward(x: Tensor): Tensor {
    x.assertAlive('DcganDiscriminator');
    if (x.dtype !== 'f32' || x.size !== x.shape[0] * 784 || x.rank < 2) {
      throw new Error(`DcganDiscriminator: expected f32 images [N, 1, 28, 28] or [N, 784], got ${formatShape(x.shape)} ${x.dtype}`);
    }
    const images = x.rank === 4 ? x : x.reshape([x.shape[0], 1, 28, 28]);
    return this.net.forward(images).reshape([x.shape[0]]);
  }
}
