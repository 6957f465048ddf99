// The recurrent layers, as torch.nn.GRU and torch.nn.LSTM: the same constructor arguments, parameter
// names, gate order and initialisation (so a PyTorch state_dict loads as it is), the same inputs and
// [output, final state] results. Per layer k: weight_ih_l{k} [G * H, in], weight_hh_l{k} [G * H, H],
// bias_ih_l{k} and bias_hh_l{k} [G * H], all U(-1/sqrt(H), 1/sqrt(H)), with the gates stacked in
// PyTorch's order:
//   GRU (G = 3: r, z, n)                      LSTM (G = 4: i, f, g, o)
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)   i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
//   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)   f = sigmoid(W_if x + b_if + W_hf h + b_hf)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)) g = tanh(W_ig x + b_ig + W_hg h + b_hg)
//   h' = (1 - z) * n + z * h                  o = sigmoid(W_io x + b_io + W_ho h + b_ho)
//                                             c' = f * c + i * g,  h' = o * tanh(c')
// The layers run one after the other over the whole sequence (as cuDNN does): a layer's input-side
// products for every time step are one matrix product per gate, so each step runs only the
// hidden-side products and the elementwise gates, on [B, H] tensors. The stacked weights are split
// by gate once per forward pass. The steps are ordinary recorded ops, so backward() is
// backpropagation through time. A bidirectional layer has a second set of weights (the same names
// with the suffix _reverse) that runs from the last step to the first; the two directions' outputs are
// concatenated along the features, and the next layer takes those 2H features.

import { composite } from '../autograd.js';
import { Tensor, checkFitsDevice, formatShape } from '../tensor.js';
import { zeros } from '../ops/creation.js';
import { sigmoid, tanh } from '../ops/elementwise.js';
import { concat, slice, split, stack } from '../ops/indexing.js';
import { reshape } from '../ops/movement.js';
import type { Generator } from '../ops/random.js';
import { sameShape } from '../ops/shape.js';
import { checkFloat, checkPositiveInteger, checkProbability, opError, present } from './common.js';
import { dropout, linear } from './functional.js';
import { uniform } from './init.js';
import { Module } from './module.js';

/** Options of {@link GRU} and {@link LSTM}, PyTorch's constructor arguments camelCased. */
export interface RNNOptions {
  /** Stacked layers, each taking the outputs of the one below (default 1). */
  numLayers?: number;
  /** Learn the biases bias_ih_l{k} and bias_hh_l{k} (default true). */
  bias?: boolean;
  /** Input and output are [N, T, features] (default false: [T, N, features]). The states are [numLayers * directions, N, H] either way. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Each layer also runs the sequence backwards with its own weights (*_reverse); outputs have 2H features (default false). */
  bidirectional?: boolean;
  /** The stream the initial weights and the dropout masks are drawn from (default: the default generator). */
  generator?: Generator;
}

/** One layer's parameters. */
interface LayerWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
}

/** One side (input or hidden) of a layer's gates: a weight [H, in] and a bias [H] or null per gate. */
type GateWeights = { weight: Tensor; bias: Tensor | null }[];

/**
 * What GRU and LSTM share (torch.nn.RNNBase): the parameters, the checks, and the loop over layers
 * and time steps. A subclass gives its number of gates and its cell, which maps the input-side gate
 * values of one step and the layer's state ([h] for the GRU, [h, c] for the LSTM) to the next state.
 */
export abstract class RNNBase extends Module {
  /** Features of each input step. */
  readonly inputSize: number;
  /** Features of each layer's hidden state (H). */
  readonly hiddenSize: number;
  /** Stacked layers. */
  readonly numLayers: number;
  /** Whether the layers have biases. */
  readonly bias: boolean;
  /** Input and output are [N, T, features] rather than [T, N, features]. */
  readonly batchFirst: boolean;
  /** Dropout probability between layers in training. */
  readonly dropout: number;
  /** Each layer also runs backwards, and the outputs have 2H features. */
  readonly bidirectional: boolean;
  /** Per layer, the weights of each direction (forward, then reverse when bidirectional). */
  private readonly layers: LayerWeights[][] = [];
  private readonly generator: Generator | undefined;
  private readonly op: string;

  protected constructor(op: string, gates: number, inputSize: number, hiddenSize: number, options: RNNOptions) {
    super();
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, generator } = options;
    for (const [name, value] of [['inputSize', inputSize], ['hiddenSize', hiddenSize], ['numLayers', numLayers]] as const) checkPositiveInteger(op, name, value);
    checkProbability(op, 'dropout', dropout);
    const directions = bidirectional ? 2 : 1;
    // The largest weight, checked before any is made (a constructor that failed halfway would leave the first ones with no owner).
    checkFitsDevice(op, [gates * hiddenSize, Math.max(inputSize, directions * hiddenSize)], 'f32', 'a weight');
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = numLayers;
    this.bias = bias;
    this.batchFirst = batchFirst;
    this.dropout = dropout;
    this.bidirectional = bidirectional;
    this.generator = generator;
    this.op = op;
    const bound = 1 / Math.sqrt(hiddenSize);
    const draw = (shape: number[]) => uniform(Tensor.empty(shape), -bound, bound, { generator });
    for (let k = 0; k < numLayers; k++) {
      const layer: LayerWeights[] = [];
      for (const suffix of bidirectional ? ['', '_reverse'] : ['']) {
        const name = (weight: string) => `${weight}_l${k}${suffix}`;
        const weightIh = this.registerParameter(name('weight_ih'), draw([gates * hiddenSize, k === 0 ? inputSize : directions * hiddenSize]));
        const weightHh = this.registerParameter(name('weight_hh'), draw([gates * hiddenSize, hiddenSize]));
        const biasIh = bias ? this.registerParameter(name('bias_ih'), draw([gates * hiddenSize])) : null;
        const biasHh = bias ? this.registerParameter(name('bias_hh'), draw([gates * hiddenSize])) : null;
        layer.push({ weightIh, weightHh, biasIh, biasHh });
      }
      this.layers.push(layer);
    }
  }

  /** The next state of one layer at one step, from the input-side gate values [B, H] (biases included) and the state. */
  protected abstract cell(inputGates: Tensor[], state: Tensor[], hidden: GateWeights): Tensor[];

  /**
   * Checks the input and the initial states (each [numLayers * directions, N, H], or without N
   * unbatched) and runs every layer over the sequence. Returns the last layer's outputs in the input's
   * layout (directions * H features) and the final states, each [numLayers * directions, N, H] (or
   * without N), layer by layer and within a layer forward then reverse, as PyTorch orders them.
   */
  protected run(input: Tensor, initial: (Tensor | null)[], stateNames: string[]): [Tensor, Tensor[]] {
    const op = this.op;
    const given = present(initial);
    checkFloat(op, [input, ...given]);
    const H = this.hiddenSize;
    const batched = input.rank === 3;
    const timeAxis = batched && this.batchFirst ? 1 : 0;
    const [T, N] = [input.shape[timeAxis], batched ? input.shape[1 - timeAxis] : 1];
    const layout = this.batchFirst ? '[N, T, features]' : '[T, N, features]';
    if ((input.rank !== 2 && input.rank !== 3) || input.shape[input.rank - 1] !== this.inputSize || T < 1) {
      throw opError(op, `expected an input ${layout} (or unbatched [T, features]) with ${this.inputSize} features and T >= 1`, [input, ...given]);
    }
    const directions = this.bidirectional ? 2 : 1;
    const stateShape = batched ? [this.numLayers * directions, N, H] : [this.numLayers * directions, H];
    initial.forEach((state, i) => {
      if (state && !sameShape(state.shape, stateShape)) {
        throw opError(op, `expected ${stateNames[i]} ${formatShape(stateShape)} for an input ${formatShape(input.shape)}, got ${formatShape(state.shape)}`, [input, ...given]);
      }
    });
    return composite([input, ...given, ...this.parameters()], () => {
      // Unbatched inputs run as a batch of one, time first.
      let sequence = batched ? input : reshape(input, [T, 1, this.inputSize]);
      const perLayer = initial.map((state) => (state ? split(state, 1, 0).map((s) => reshape(s, [N, H])) : null));
      const finals: Tensor[][] = [];
      this.layers.forEach((layer, k) => {
        const byDirection = layer.map((weights, d) => {
          const inputSide = this.byGate(weights.weightIh, weights.biasIh);
          const hiddenSide = this.byGate(weights.weightHh, weights.biasHh);
          // Every step's input-side products at once: one [.., T, .., H] tensor per gate.
          const inputGates = inputSide.map(({ weight, bias }) => linear(sequence, weight, bias));
          let state = perLayer.map((states) => (states ? states[k * directions + d] : zeros([N, H])));
          const outputs = new Array<Tensor>(T);
          for (let step = 0; step < T; step++) {
            const t = d === 0 ? step : T - 1 - step; // the reverse direction runs from the last step
            state = this.cell(inputGates.map((g) => reshape(slice(g, timeAxis, t, t + 1), [N, H])), state, hiddenSide);
            outputs[t] = state[0];
          }
          finals.push(state);
          return stack(outputs, timeAxis);
        });
        sequence = directions === 1 ? byDirection[0] : concat(byDirection, -1);
        if (k < this.numLayers - 1) sequence = dropout(sequence, this.dropout, this.training, { generator: this.generator });
      });
      const output = batched ? sequence : reshape(sequence, [T, directions * H]);
      return [output, initial.map((_, i) => reshape(stack(finals.map((f) => f[i]), 0), stateShape))];
    });
  }

  /** A stacked weight [G * H, in] and bias [G * H] as one weight and bias per gate. */
  private byGate(weight: Tensor, bias: Tensor | null): GateWeights {
    const biases = bias ? split(bias, this.hiddenSize, 0) : [];
    return split(weight, this.hiddenSize, 0).map((w, g) => ({ weight: w, bias: biases[g] ?? null }));
  }

  protected override extraRepr(): string {
    const extra = this.bidirectional ? ', bidirectional=true' : '';
    return `${this.inputSize}, ${this.hiddenSize}, numLayers=${this.numLayers}, bias=${this.bias}, batchFirst=${this.batchFirst}, dropout=${this.dropout}${extra}`;
  }
}

/**
 * A multi-layer gated recurrent unit (torch.nn.GRU), gates r, z, n as PyTorch orders them (see the
 * file's comment). Parameters 'weight_ih_l{k}' [3H, in], 'weight_hh_l{k}' [3H, H], 'bias_ih_l{k}'
 * and 'bias_hh_l{k}' [3H] per layer k.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('GRU', 3, inputSize, hiddenSize, options);
  }

  /**
   * Runs the sequence input [T, N, inputSize] (batchFirst: [N, T, inputSize]; unbatched [T,
   * inputSize]) from hx [L, N, H] ([L, H] unbatched; default zeros; L = numLayers, twice that when
   * bidirectional). Returns [output, hN] as PyTorch: the last layer's state at every step, in the
   * input's layout with H features (2H bidirectional), and every layer's state after its last step, [L, N, H].
   */
  forward(input: Tensor, hx: Tensor | null = null): [Tensor, Tensor] {
    const [output, [hN]] = this.run(input, [hx], ['hx']);
    return [output, hN];
  }

  protected cell([xr, xz, xn]: Tensor[], [h]: Tensor[], hidden: GateWeights): Tensor[] {
    const [hr, hz, hn] = hidden.map(({ weight, bias }) => linear(h, weight, bias));
    const r = sigmoid(xr.add(hr));
    const z = sigmoid(xz.add(hz));
    const n = tanh(xn.add(r.mul(hn)));
    return [n.add(z.mul(h.sub(n)))];
  }
}

/**
 * A multi-layer long short-term memory (torch.nn.LSTM), gates i, f, g, o as PyTorch orders them (see
 * the file's comment). Parameters 'weight_ih_l{k}' [4H, in], 'weight_hh_l{k}' [4H, H],
 * 'bias_ih_l{k}' and 'bias_hh_l{k}' [4H] per layer k. No projSize.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super('LSTM', 4, inputSize, hiddenSize, options);
  }

  /**
   * Runs the sequence input [T, N, inputSize] (batchFirst: [N, T, inputSize]; unbatched [T,
   * inputSize]) from hx = [h0, c0], each [L, N, H] ([L, H] unbatched; default zeros; L =
   * numLayers, twice that when bidirectional). Returns [output, [hN, cN]] as PyTorch: the last layer's
   * h at every step, in the input's layout with H features (2H bidirectional), and every layer's h and
   * c after its last step.
   */
  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, [Tensor, Tensor]] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) throw new Error(`LSTM: hx must be [h0, c0] or null, got ${String(hx)}`);
    const [output, [hN, cN]] = this.run(input, hx ? [hx[0], hx[1]] : [null, null], ['h0', 'c0']);
    return [output, [hN, cN]];
  }

  protected cell(inputGates: Tensor[], [h, c]: Tensor[], hidden: GateWeights): Tensor[] {
    const [i, f, g, o] = inputGates.map((x, gate) => x.add(linear(h, hidden[gate].weight, hidden[gate].bias)));
    const next = sigmoid(f).mul(c).add(sigmoid(i).mul(tanh(g)));
    return [sigmoid(o).mul(tanh(next)), next];
  }
}
