// Module: registration and PyTorch key names through nested modules, train/eval, zeroGrad,
// parameter counts, tied parameters, state-dict round trips, strict and non-strict loading whose
// errors list every problem and leave the module unchanged, scopes and dispose.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { nn } = gg;

/** A small model with a nested Sequential, a BatchNorm (buffers) and a parameter of its own. */
class Net extends nn.Module {
  readonly fc1: gg.nn.Linear;
  readonly bn: gg.nn.BatchNorm1d;
  readonly head: gg.nn.Sequential;
  readonly scale: gg.Tensor;

  constructor(seed: number) {
    super();
    const generator = new gg.Generator(seed);
    this.scale = this.registerParameter('scale', gg.ones([1]));
    this.fc1 = this.registerModule('fc1', new nn.Linear(3, 4, { generator }));
    this.bn = this.registerModule('bn', new nn.BatchNorm1d(4));
    this.head = this.registerModule('head', new nn.Sequential(new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(4, 2, { generator })));
  }

  forward(x: gg.Tensor): gg.Tensor {
    return this.head.forward(this.bn.forward(this.fc1.forward(x))).mul(this.scale);
  }
}

async function values(state: Record<string, gg.Tensor>): Promise<Record<string, number[]>> {
  const entries = await Promise.all(Object.entries(state).map(async ([k, t]) => [k, Array.from(await t.data())] as const));
  return Object.fromEntries(entries);
}

describe('Module', () => {
  it('names parameters, buffers and children as PyTorch does', () => {
    const net = new Net(1);
    expect(net.namedParameters().map(([k, t]) => [k, t.shape])).toEqual([
      ['scale', [1]],
      ['fc1.weight', [4, 3]],
      ['fc1.bias', [4]],
      ['bn.weight', [4]],
      ['bn.bias', [4]],
      ['head.2.weight', [2, 4]],
      ['head.2.bias', [2]],
    ]);
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(net.namedChildren().map(([k]) => k)).toEqual(['fc1', 'bn', 'head']);
    expect(net.namedModules().map(([k]) => k)).toEqual(['', 'fc1', 'bn', 'head', 'head.0', 'head.1', 'head.2']);
    expect(Object.keys(net.stateDict())).toEqual([
      'scale', 'fc1.weight', 'fc1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
      'head.2.weight', 'head.2.bias',
    ]);
    expect(net.stateDict()['fc1.weight']).toBe(net.fc1.weight);
    expect(net.parameters().every((p) => p.requiresGrad && !p.node)).toBe(true);
    expect(net.numParameters()).toBe(1 + 12 + 4 + 4 + 4 + 8 + 2);
    net.dispose();
  });

  it('train() and eval() set the mode recursively', () => {
    const net = new Net(1);
    expect(net.eval()).toBe(net);
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    net.head.train(false);
    expect(net.training && !net.head.at(1).training).toBe(true);
    net.dispose();
  });

  it('zeroGrad frees every gradient; a model built in a scope survives it; dispose frees it all', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const net = gg.scope(() => new Net(2));
    const afterBuild = rt.memory().liveBuffers;
    expect(afterBuild).toBeGreaterThan(baseline);
    const x = gg.randn([5, 3]);
    gg.scope(() => net.forward(x).sum().backward());
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    expect(rt.memory().liveBuffers).toBe(afterBuild + 1);
    x.dispose();
    net.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });

  it('round-trips a state dict: values copied in place, tensors keep their identity', async () => {
    const source = new Net(1);
    const target = new Net(2);
    const x = gg.randn([6, 3]);
    gg.scope(() => source.forward(x)); // moves source's running statistics away from their init
    const before = target.stateDict();
    expect(await values(target.stateDict())).not.toEqual(await values(source.stateDict()));
    const result = target.loadStateDict(source.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(await values(target.stateDict())).toEqual(await values(source.stateDict()));
    for (const [k, t] of Object.entries(target.stateDict())) expect(t).toBe(before[k]);
    const out = gg.noGrad(() => [source.eval().forward(x), target.eval().forward(x)]);
    expect(Array.from(await out[1].data())).toEqual(Array.from(await out[0].data()));
    for (const t of [x, ...out]) t.dispose();
    source.dispose();
    target.dispose();
  });

  it('a strict load lists every problem and changes nothing', async () => {
    const net = new Net(1);
    const original = await values(net.stateDict());
    const other = new Net(2);
    const wrongShape = gg.zeros([4, 4]);
    const wrongDtype = gg.zeros([4], { dtype: 'i32' });
    const extra = gg.zeros([1]);
    const state = { ...other.stateDict(), 'fc1.weight': wrongShape, 'bn.running_mean': wrongDtype, 'head.9.weight': extra };
    delete (state as Record<string, gg.Tensor>)['head.2.bias'];
    let message = '';
    try {
      net.loadStateDict(state);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Net\.loadStateDict: 4 problems, nothing was loaded: /);
    expect(message).toContain("missing key 'head.2.bias'");
    expect(message).toContain("unexpected key 'head.9.weight'");
    expect(message).toContain("'fc1.weight' has shape [4, 4] f32, expected [4, 3] f32");
    expect(message).toContain("'bn.running_mean' has shape [4] i32, expected [4] f32");
    expect(await values(net.stateDict())).toEqual(original);

    // Not strict: missing and unexpected keys are skipped, but shapes must still match.
    expect(() => net.loadStateDict(state, { strict: false })).toThrow(/2 problems/);
    expect(await values(net.stateDict())).toEqual(original);
    const partial = { 'fc1.bias': other.fc1.bias!, 'extra.weight': extra };
    expect(net.loadStateDict(partial, { strict: false })).toEqual({
      missingKeys: Object.keys(net.stateDict()).filter((k) => k !== 'fc1.bias'),
      unexpectedKeys: ['extra.weight'],
    });
    expect(Array.from(await net.fc1.bias!.data())).toEqual(Array.from(await other.fc1.bias!.data()));
    expect(Array.from(await net.fc1.weight.data())).toEqual(original['fc1.weight']);
    for (const t of [wrongShape, wrongDtype, extra]) t.dispose();
    net.dispose();
    other.dispose();
  });

  it('lists a tied parameter once among parameters, under both keys in the state dict', () => {
    /** An output projection that reuses a weight registered elsewhere (weight tying). */
    class TiedProjection extends nn.Module {
      readonly weight: gg.Tensor;
      constructor(weight: gg.Tensor) {
        super();
        this.weight = weight;
        this.registerParameter('weight', weight);
      }
      forward(x: gg.Tensor): gg.Tensor {
        return x.matmul(this.weight, { transB: true });
      }
    }
    class TinyLanguageModel extends nn.Module {
      readonly embed: gg.nn.Embedding;
      readonly head: TiedProjection;
      constructor() {
        super();
        this.embed = this.registerModule('embed', new nn.Embedding(5, 3));
        this.head = this.registerModule('head', new TiedProjection(this.embed.weight));
      }
      forward(tokens: gg.Tensor): gg.Tensor {
        return this.head.forward(this.embed.forward(tokens));
      }
    }
    const model = new TinyLanguageModel();
    expect(model.namedParameters().map(([k]) => k)).toEqual(['embed.weight']);
    expect(model.numParameters()).toBe(15);
    expect(Object.keys(model.stateDict())).toEqual(['embed.weight', 'head.weight']);
    model.dispose();
  });

  it('rejects bad registrations with the class and the name', () => {
    class Bad extends nn.Module {
      forward(x: gg.Tensor): gg.Tensor {
        return x;
      }
    }
    const m = new Bad();
    const p = m.registerParameter('w', gg.zeros([2]));
    const other = gg.zeros([2]);
    const derived = gg.scope(() => p.mul(2).keep());
    expect(() => m.registerParameter('w', other)).toThrow(/Bad: the name 'w' is already registered/);
    expect(() => m.registerBuffer('a.b', other)).toThrow(/Bad: a registered name must be a non-empty string without '.', got 'a.b'/);
    expect(() => m.registerParameter('v', derived)).toThrow(/Bad.registerParameter\('v'\): a parameter must be an f32 leaf tensor, got \[2\] f32: the result of mulScalar/);
    expect(() => m.registerBuffer('b', p)).toThrow(/Bad.registerBuffer\('b'\): \[2\] f32 requires grad/);
    for (const t of [other, derived]) t.dispose();
    m.dispose();
  });
});
