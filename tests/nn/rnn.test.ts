// nn.GRU and nn.LSTM: values and backpropagation-through-time gradients of the input, the initial
// states and every parameter against a float64 reference with central finite differences (several
// layers, both layouts, unbatched, no bias); the cases of tests/fixtures/rnn.json
// (bench/reference/pytorch_rnn.py; bidirectional ones too), whose torch state_dicts load through loadStateDict and must give
// PyTorch's outputs, final states and gradients to 1e-5; dropout between layers; and no buffer left.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { expectClose } from '../helpers/check.js';
import { ref, type Ref } from '../helpers/reference.js';
import { checkModule, type Params } from './helpers.js';

const { nn } = gg;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface Settings {
  kind: 'GRU' | 'LSTM';
  hiddenSize: number;
  numLayers: number;
  batchFirst: boolean;
  bias: boolean;
}

/** One float64 step of layer k for every batch row: the next [h] (GRU) or [h, c] (LSTM), each [N][H]. */
function cellRef(s: Settings, x: number[][], state: number[][][], params: Params, k: number): number[][][] {
  const H = s.hiddenSize;
  const [wIh, wHh] = [params[`weight_ih_l${k}`], params[`weight_hh_l${k}`]];
  const [bIh, bHh] = s.bias ? [params[`bias_ih_l${k}`], params[`bias_hh_l${k}`]] : [null, null];
  const affine = (w: Ref, b: Ref | null, v: number[], row: number) => (b ? b.data[row] : 0) + v.reduce((acc, vi, i) => acc + vi * w.data[row * v.length + i], 0);
  const [h, c] = state;
  if (s.kind === 'GRU') {
    return [x.map((xb, b) => Array.from({ length: H }, (_, j) => {
      const gate = (g: number) => [affine(wIh, bIh, xb, g * H + j), affine(wHh, bHh, h[b], g * H + j)];
      const [[xr, hr], [xz, hz], [xn, hn]] = [gate(0), gate(1), gate(2)];
      const r = sigmoid(xr + hr);
      const z = sigmoid(xz + hz);
      const n = Math.tanh(xn + r * hn);
      return (1 - z) * n + z * h[b][j];
    }))];
  }
  const cells = x.map((xb, b) => Array.from({ length: H }, (_, j) => {
    const pre = (g: number) => affine(wIh, bIh, xb, g * H + j) + affine(wHh, bHh, h[b], g * H + j);
    return sigmoid(pre(1)) * c[b][j] + sigmoid(pre(0)) * Math.tanh(pre(2));
  }));
  const hs = x.map((xb, b) => Array.from({ length: H }, (_, j) => sigmoid(affine(wIh, bIh, xb, 3 * H + j) + affine(wHh, bHh, h[b], 3 * H + j)) * Math.tanh(cells[b][j])));
  return [hs, cells];
}

/**
 * The float64 layer stack over x ([T, N, in], [N, T, in] batch-first, or [T, in]) from `initial`
 * ([numLayers, N, H] each; empty for zeros): the output in x's layout followed by the final states,
 * flattened into one array (the shape of what the wrapper below returns).
 */
function rnnRef(s: Settings, x: Ref, initial: Ref[], params: Params): Ref {
  const batched = x.shape.length === 3;
  const [T, N, I] = !batched ? [x.shape[0], 1, x.shape[1]] : s.batchFirst ? [x.shape[1], x.shape[0], x.shape[2]] : [x.shape[0], x.shape[1], x.shape[2]];
  const H = s.hiddenSize;
  const at = (t: number, b: number) => (s.batchFirst && batched ? b * T + t : t * N + b);
  let steps = Array.from({ length: T }, (_, t) => Array.from({ length: N }, (_, b) => Array.from(x.data.subarray(at(t, b) * I, (at(t, b) + 1) * I))));
  const stateCount = s.kind === 'GRU' ? 1 : 2;
  const finals: number[][][][] = [];
  for (let k = 0; k < s.numLayers; k++) {
    let state = Array.from({ length: stateCount }, (_, i) =>
      Array.from({ length: N }, (_, b) => (initial.length ? Array.from(initial[i].data.subarray((k * N + b) * H, (k * N + b + 1) * H)) : new Array<number>(H).fill(0))));
    steps = steps.map((xt) => (state = cellRef(s, xt, state, params, k))[0]);
    finals.push(state);
  }
  const output = Array.from({ length: T * N * H }, (_, i) => {
    const [row, j] = [Math.floor(i / H), i % H];
    const [t, b] = s.batchFirst && batched ? [row % T, Math.floor(row / T)] : [Math.floor(row / N), row % N];
    return steps[t][b][j];
  });
  const states = Array.from({ length: stateCount }, (_, i) => finals.flatMap((layer) => layer[i].flat()));
  return ref([output.length + states.flat().length], [...output, ...states.flat()]);
}

/** The layer as checkModule sees it: forward(x, ...initial states) gives the output and the final states, flattened and joined. */
class Joined extends nn.Module {
  readonly rnn: gg.nn.GRU | gg.nn.LSTM;

  constructor(rnn: gg.nn.GRU | gg.nn.LSTM) {
    super();
    this.rnn = this.registerModule('rnn', rnn);
  }

  forward(x: gg.Tensor, h0?: gg.Tensor, c0?: gg.Tensor): gg.Tensor {
    const [output, states] = this.rnn instanceof nn.LSTM ? this.rnn.forward(x, h0 && c0 ? [h0, c0] : null) : (this.rnn as gg.nn.GRU).forward(x, h0);
    return gg.concat([output, ...(Array.isArray(states) ? states : [states])].map((t) => t.reshape([t.size])), 0);
  }
}

/** checkModule's reference: the joined float64 result, with the parameters' 'rnn.' prefix taken off. */
const joinedRef = (s: Settings) => ([x, ...initial]: Ref[], params: Params) =>
  rnnRef(s, x, initial, Object.fromEntries(Object.entries(params).map(([k, v]) => [k.replace(/^rnn\./, ''), v])));

describe('nn.GRU and nn.LSTM against float64 (finite differences through time)', () => {
  const cases: [string, Settings, number, number[][]][] = [
    // name, settings, input size, [input shape, state shapes...]
    ['GRU, 2 layers, batch-first, initial state', { kind: 'GRU', hiddenSize: 4, numLayers: 2, batchFirst: true, bias: true }, 3, [[2, 3, 3], [2, 2, 4]]],
    ['GRU, time-first, no bias, zero state', { kind: 'GRU', hiddenSize: 3, numLayers: 1, batchFirst: false, bias: false }, 2, [[3, 2, 2]]],
    ['LSTM, 2 layers, time-first, initial states', { kind: 'LSTM', hiddenSize: 3, numLayers: 2, batchFirst: false, bias: true }, 2, [[3, 2, 2], [2, 2, 3], [2, 2, 3]]],
    ['LSTM, unbatched, no bias, initial states', { kind: 'LSTM', hiddenSize: 3, numLayers: 1, batchFirst: true, bias: false }, 2, [[4, 2], [1, 3], [1, 3]]],
  ];
  for (const [name, s, inputSize, inputs] of cases) {
    it(name, async () => {
      const layer = new nn[s.kind](inputSize, s.hiddenSize, { numLayers: s.numLayers, batchFirst: s.batchFirst, bias: s.bias, generator: new gg.Generator(inputs.length) });
      const module = new Joined(layer);
      await checkModule({ module, inputs, ref: joinedRef(s), range: [-2, 2] });
      module.dispose();
    });
  }
});

interface FixtureTensor {
  shape: number[];
  data: number[];
}

interface RnnCase {
  name: string;
  kind: 'GRU' | 'LSTM';
  args: { input_size: number; hidden_size: number; num_layers: number; bias?: boolean; batch_first?: boolean; bidirectional?: boolean };
  state: Record<string, FixtureTensor>;
  input: FixtureTensor;
  initialState: FixtureTensor[];
  lossWeights: FixtureTensor[];
  output: FixtureTensor;
  finalState: FixtureTensor[];
  grads: Record<string, FixtureTensor> & { initialState: FixtureTensor[] };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/rnn.json', import.meta.url), 'utf8')) as { cases: RnnCase[] };
const toTensor = (t: FixtureTensor, options: { requiresGrad?: boolean } = {}) => gg.tensor(Float32Array.from(t.data), t.shape, options);

describe('nn.GRU and nn.LSTM against PyTorch (tests/fixtures/rnn.json)', () => {
  for (const c of fixture.cases) {
    it(c.name, async () => {
      const before = gg.runtime().memory().liveBuffers;
      const { input_size, hidden_size, num_layers, bias, batch_first, bidirectional } = c.args;
      const rnn = new nn[c.kind](input_size, hidden_size, { numLayers: num_layers, bias, batchFirst: batch_first, bidirectional });
      expect(Object.keys(rnn.stateDict())).toEqual(Object.keys(c.state));
      const state = Object.fromEntries(Object.entries(c.state).map(([k, t]) => [k, toTensor(t)]));
      rnn.loadStateDict(state);
      const x = toTensor(c.input, { requiresGrad: true });
      const initial = c.initialState.map((t) => toTensor(t, { requiresGrad: true }));
      const results = gg.scope(() => {
        const [output, final] = rnn instanceof nn.LSTM ? rnn.forward(x, initial.length ? [initial[0], initial[1]] : null) : (rnn as gg.nn.GRU).forward(x, initial[0]);
        const all = [output, ...(Array.isArray(final) ? final : [final])];
        all.map((t, i) => t.mul(toTensor(c.lossWeights[i])).sum()).reduce((a, b) => a.add(b)).backward();
        return all;
      });
      const [output, ...finals] = results;
      expect(output.shape).toEqual(c.output.shape);
      expectClose(await output.data(), c.output.data, 1e-5, 1e-5, 'output');
      for (const [i, t] of finals.entries()) expectClose(await t.data(), c.finalState[i].data, 1e-5, 1e-5, `final state ${i}`);
      expectClose(await x.grad!.data(), c.grads.input.data, 1e-5, 1e-5, 'gradient of the input');
      for (const [i, t] of initial.entries()) expectClose(await t.grad!.data(), c.grads.initialState[i].data, 1e-5, 1e-5, `gradient of initial state ${i}`);
      for (const [key, p] of rnn.namedParameters()) expectClose(await p.grad!.data(), c.grads[key].data, 1e-5, 1e-5, `gradient of ${key}`);
      for (const t of [x, ...initial, ...results, ...Object.values(state)]) t.dispose();
      rnn.dispose();
      expect(gg.runtime().memory().liveBuffers).toBe(before);
    });
  }
});

describe('nn.GRU and nn.LSTM', () => {
  it('drop between layers in training only, from the generator given', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const make = (dropout: number) => new nn.LSTM(3, 4, { numLayers: 2, dropout, batchFirst: true, generator: new gg.Generator(9) });
    const [dropping, plain] = [make(0.5), make(0)];
    const x = gg.randn([2, 5, 3], { generator: new gg.Generator(10) });
    const run = (m: gg.nn.LSTM) => gg.noGrad(() => gg.scope(() => m.forward(x)[0]));
    const [evaluated, reference] = [run(dropping.eval()), run(plain)];
    expect(Array.from(await evaluated.data())).toEqual(Array.from(await reference.data()));
    const trained = run(dropping.train());
    expect(Array.from(await trained.data())).not.toEqual(Array.from(await reference.data()));
    for (const t of [x, evaluated, reference, trained]) t.dispose();
    dropping.dispose();
    plain.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it("PyTorch's initialisation, printing and options", async () => {
    const gru = new nn.GRU(3, 4, { numLayers: 2, generator: new gg.Generator(1) });
    const bound = 1 / Math.sqrt(4);
    for (const [, p] of gru.namedParameters()) {
      const values = Array.from(await p.data());
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    expect(String(gru)).toBe('GRU(3, 4, numLayers=2, bias=true, batchFirst=false, dropout=0)');
    const both = new nn.LSTM(3, 4, { bidirectional: true });
    expect(String(both)).toBe('LSTM(3, 4, numLayers=1, bias=true, batchFirst=false, dropout=0, bidirectional=true)');
    const [x, h0, c0] = [gg.zeros([2, 1, 3]), gg.zeros([1, 1, 4]), gg.zeros([1, 1, 4])];
    expect(() => both.forward(x, [h0, c0])).toThrow(/LSTM: expected h0 \[2, 1, 4\]/);
    for (const t of [x, h0, c0]) t.dispose();
    both.dispose();
    gru.dispose();
  });
});
