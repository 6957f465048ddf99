// The networks a diffusion model trains: given a noised x_t, its step t and optionally a class label,
// predict the noise ε (or v, see Prediction). Denoiser is the contract the trainer and samplers use;
// MlpDenoiser is the one for vectors (the VAE's latents: the latent diffusion of Stable Diffusion at
// MNIST scale); the image U-Net lives in unet.ts.
//
// Conditioning, the same for every denoiser: the step goes through the sinusoidal embedding of
// Ho et al. and a two-layer MLP; a class adds its learned embedding. Label `numClasses` is the "no
// class" label that classifier-free guidance trains with (label dropout) and samples against.

import { Module } from '../../nn/module.js';
import { Embedding, LayerNorm, Linear, Sequential, SiLU } from '../../nn/layers.js';
import { timestepEmbedding } from '../../nn/functional.js';
import { silu } from '../../ops/elementwise.js';
import { full } from '../../ops/creation.js';
import { zeros as zeroInit } from '../../nn/init.js';
import { checkPositiveInteger, opError } from '../../nn/common.js';
import type { Generator } from '../../ops/random.js';
import type { Tensor } from '../../tensor.js';
import type { UNetConfig } from './unet.js';

/** Options every denoiser's constructor takes. */
export interface DenoiserInitOptions {
  /** Draws the initial weights (default: the global generator). */
  generator?: Generator;
}

/** A denoiser's architecture: enough to rebuild it (createDenoiser), saved with checkpoints. */
export type DenoiserConfig = MlpDenoiserConfig | UNetConfig;

/**
 * A network that predicts the noise (or v) of a noised batch: forward(x_t [B, ...dataShape], t [B] f32 steps,
 * labels? [B] i32) has x_t's shape. Conditional models take labels in [0, numClasses], numClasses meaning "none".
 */
export abstract class Denoiser extends Module {
  /** The architecture. */
  abstract readonly config: DenoiserConfig;
  /** The shape of one example ([dim] for vectors, [channels, height, width] for images). */
  abstract readonly dataShape: readonly number[];
  /** Classes the model is conditioned on (0: unconditional); label numClasses is "no class". */
  abstract readonly numClasses: number;

  /** The prediction for x_t at steps t (f32 [B]), conditioned on labels (i32 [B]) when given. */
  abstract override forward(x: Tensor, t: Tensor, labels?: Tensor): Tensor;

  /** Checks a forward call's inputs: x_t [B, ...dataShape], t [B], labels [B] i32 only for a conditional model. */
  protected checkInputs(op: string, x: Tensor, t: Tensor, labels?: Tensor): void {
    const batch = x.shape[0];
    const inputs = labels ? [x, t, labels] : [x, t];
    const expected = [batch, ...this.dataShape];
    if (x.rank !== expected.length || x.shape.some((d, i) => d !== expected[i]) || x.dtype !== 'f32') {
      throw opError(op, `expected x_t of shape [B, ${this.dataShape.join(', ')}] f32`, inputs);
    }
    if (t.rank !== 1 || t.shape[0] !== batch || t.dtype !== 'f32') throw opError(op, `expected t of shape [${batch}] f32 (one step per example)`, inputs);
    if (labels && this.numClasses === 0) throw opError(op, 'labels given to an unconditional model (numClasses 0)', inputs);
    if (labels && (labels.rank !== 1 || labels.shape[0] !== batch || labels.dtype !== 'i32')) {
      throw opError(op, `expected labels of shape [${batch}] i32`, inputs);
    }
  }
}

/**
 * The conditioning vector of a batch: MLP(sinusoidal(t)) plus the class embedding (the "no class" row when a
 * conditional model gets no labels). Keys: 'time_mlp.0', 'time_mlp.2' (the Linear layers around SiLU), 'label_embedding'.
 */
export class Conditioning extends Module {
  /** Width of the conditioning vector. */
  readonly width: number;
  /** Classes (0: none), plus the "no class" row. */
  readonly numClasses: number;
  private readonly timeMlp: Sequential;
  private readonly timeIn: Linear;
  private readonly timeOut: Linear;
  private readonly labelEmbedding: Embedding | null;

  constructor(width: number, numClasses: number, options: DenoiserInitOptions = {}) {
    super();
    this.width = width;
    this.numClasses = numClasses;
    this.timeIn = new Linear(width, width, options);
    this.timeOut = new Linear(width, width, options);
    this.timeMlp = this.registerModule('time_mlp', new Sequential(this.timeIn, new SiLU(), this.timeOut));
    this.labelEmbedding = numClasses > 0 ? this.registerModule('label_embedding', new Embedding(numClasses + 1, width, options)) : null;
  }

  forward(t: Tensor, labels?: Tensor): Tensor {
    const time = this.timeMlp.forward(timestepEmbedding(t, this.width));
    if (!this.labelEmbedding) return time;
    const classes = labels ?? full([t.shape[0]], this.numClasses, { dtype: 'i32' });
    return time.add(this.labelEmbedding.forward(classes));
  }
}

/** MlpDenoiser's architecture. */
export interface MlpDenoiserConfig {
  /** 'mlp'. */
  kind: 'mlp';
  /** Length of each data vector. */
  dim: number;
  /** Width of the hidden layers and of the conditioning (default 256). */
  hidden: number;
  /** Residual blocks (default 4). */
  blocks: number;
  /** Classes to condition on (default 0: unconditional). */
  numClasses: number;
}

/** One residual block: h + fc2(SiLU(fc1(SiLU(LN(h))) + cond(SiLU(c)))). Keys 'norm', 'fc1', 'cond', 'fc2'. */
class MlpBlock extends Module {
  private readonly norm: LayerNorm;
  private readonly fc1: Linear;
  private readonly cond: Linear;
  private readonly fc2: Linear;

  constructor(hidden: number, options: DenoiserInitOptions) {
    super();
    this.norm = this.registerModule('norm', new LayerNorm(hidden));
    this.fc1 = this.registerModule('fc1', new Linear(hidden, hidden, options));
    this.cond = this.registerModule('cond', new Linear(hidden, hidden, options));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, hidden, options));
  }

  forward(h: Tensor, c?: Tensor): Tensor {
    const inner = this.fc1.forward(silu(this.norm.forward(h))).add(this.cond.forward(silu(c!)));
    return h.add(this.fc2.forward(silu(inner)));
  }
}

/**
 * A residual MLP denoiser for vectors (latent diffusion over a VAE's latents): x -> Linear -> blocks (each with the
 * conditioning added inside) -> LayerNorm, SiLU -> Linear, the last layer zero-initialised (so training starts from
 * predicting 0, as improved-diffusion's zero_module output layers).
 */
export class MlpDenoiser extends Denoiser {
  readonly config: MlpDenoiserConfig;
  readonly dataShape: readonly number[];
  readonly numClasses: number;
  /** The conditioning (time and class). Key 'conditioning'. */
  readonly conditioning: Conditioning;
  private readonly inProj: Linear;
  private readonly blocks: MlpBlock[];
  private readonly outNorm: LayerNorm;
  private readonly outProj: Linear;

  constructor(options: Partial<Omit<MlpDenoiserConfig, 'kind'>> & DenoiserInitOptions) {
    super();
    const { dim = 0, hidden = 256, blocks = 4, numClasses = 0, generator } = options;
    for (const [name, value] of Object.entries({ dim, hidden, blocks })) checkPositiveInteger('MlpDenoiser', name, value);
    if (!Number.isInteger(numClasses) || numClasses < 0) throw new Error(`MlpDenoiser: numClasses must be an integer >= 0, got ${numClasses}`);
    this.config = { kind: 'mlp', dim, hidden, blocks, numClasses };
    this.dataShape = [dim];
    this.numClasses = numClasses;
    this.conditioning = this.registerModule('conditioning', new Conditioning(hidden, numClasses, { generator }));
    this.inProj = this.registerModule('in_proj', new Linear(dim, hidden, { generator }));
    this.blocks = Array.from({ length: blocks }, () => new MlpBlock(hidden, { generator }));
    this.registerModule('blocks', new Sequential(...this.blocks));
    this.outNorm = this.registerModule('out_norm', new LayerNorm(hidden));
    this.outProj = this.registerModule('out_proj', new Linear(hidden, dim, { generator }));
    zeroInit(this.outProj.weight);
    zeroInit(this.outProj.bias!);
  }

  forward(x: Tensor, t: Tensor, labels?: Tensor): Tensor {
    this.checkInputs('MlpDenoiser', x, t, labels);
    const c = this.conditioning.forward(t, labels);
    const h = this.blocks.reduce((acc, block) => block.forward(acc, c), this.inProj.forward(x));
    return this.outProj.forward(silu(this.outNorm.forward(h)));
  }

  protected override extraRepr(): string {
    const { dim, hidden, blocks, numClasses } = this.config;
    return `dim=${dim}, hidden=${hidden}, blocks=${blocks}, numClasses=${numClasses}`;
  }
}
