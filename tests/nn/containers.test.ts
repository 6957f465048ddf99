// ModuleList, ModuleDict, Identity and Unflatten: PyTorch's state-dict keys through containers
// ('layers.0.weight'), parameters reaching an optimizer, iteration and lookup, a forward through the
// members against a float64 reference, Unflatten's split against a reshape, and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { reshapedRef } from '../helpers/op-references.js';
import { checkModule, linearRef } from './helpers.js';

const { nn } = gg;

/** A model holding its layers in a ModuleList and its heads in a ModuleDict, as PyTorch code does. */
class Stack extends nn.Module {
  readonly layers: gg.nn.ModuleList;
  readonly heads: gg.nn.ModuleDict;
  constructor() {
    super();
    this.layers = this.registerModule('layers', new nn.ModuleList([new nn.Linear(3, 4, { generator: new gg.Generator(1) }), new nn.Identity()]));
    this.layers.append(new nn.Linear(4, 2, { bias: false, generator: new gg.Generator(2) }));
    this.heads = this.registerModule('heads', new nn.ModuleDict({ mean: new nn.Linear(2, 2, { generator: new gg.Generator(3) }) }));
  }
  forward(x: gg.Tensor): gg.Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return this.heads.get('mean').forward(y);
  }
}

describe('ModuleList and ModuleDict', () => {
  it("give PyTorch's state-dict keys and parameters, in order", () => {
    const model = new Stack();
    expect(Object.keys(model.stateDict())).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'heads.mean.weight', 'heads.mean.bias']);
    expect(model.parameters().length).toBe(5);
    expect(model.layers.length).toBe(3);
    expect(model.layers.at(-1)).toBe(model.layers.at(2));
    expect(model.heads.keys()).toEqual(['mean']);
    expect(model.heads.has('mean') && !model.heads.has('std')).toBe(true);
    expect(model.heads.entries().map(([k]) => k)).toEqual(['mean']);
    expect(String(model)).toContain('(layers): ModuleList(\n    (0): Linear(inFeatures=3, outFeatures=4, bias=true)\n    (1): Identity()');
    model.dispose();
  });

  it('forward through the members matches the reference, gradients included', async () => {
    const model = new Stack();
    await checkModule({
      module: model,
      inputs: [[5, 3]],
      ref: ([x], p) => linearRef(linearRef(linearRef(x, p['layers.0.weight'], p['layers.0.bias']), p['layers.2.weight']), p['heads.mean.weight'], p['heads.mean.bias']),
    });
    model.dispose();
  });

  it('name lookups, repeated keys and forward calls in their errors', () => {
    const list = new nn.ModuleList();
    const dict = new nn.ModuleDict([['a', new nn.ReLU()]]);
    const x = gg.zeros([2]);
    expect(() => list.at(0)).toThrow('ModuleList.at: index 0 is out of range for 0 modules');
    expect(() => dict.get('b')).toThrow("ModuleDict.get: no module under 'b' (keys: 'a')");
    expect(() => dict.set('a', new nn.Tanh())).toThrow("ModuleDict: the name 'a' is already registered");
    expect(() => dict.set('a.b', new nn.Tanh())).toThrow("ModuleDict: a registered name must be a non-empty string without '.', got 'a.b'");
    expect(dict.size).toBe(1);
    expect(() => list.forward(x)).toThrow('ModuleList.forward: a ModuleList has no forward of its own');
    expect(() => dict.forward(x)).toThrow('ModuleDict.forward: a ModuleDict has no forward of its own');
    x.dispose();
  });
});

describe('Identity and Unflatten', () => {
  it('Identity returns its input', () => {
    const x = gg.zeros([2, 3]);
    expect(new nn.Identity().forward(x)).toBe(x);
    x.dispose();
  });

  it('Unflatten splits one dimension, -1 inferred, as a differentiable view', async () => {
    const cases: [number, number[], number[], number[]][] = [
      [1, [3, 5], [2, 15, 1], [2, 3, 5, 1]],
      [-1, [-1, 2], [3, 10], [3, 5, 2]],
      [0, [1, 7], [7], [1, 7]],
    ];
    for (const [dim, sizes, input, output] of cases) {
      const layer = new nn.Unflatten(dim, sizes);
      await checkOp({ inputs: [input], gpu: (x) => layer.forward(x), ref: (x) => reshapedRef(x, output) });
    }
    const x = gg.zeros([2, 6]);
    expect(() => new nn.Unflatten(1, [4, -1]).forward(x)).toThrow('Unflatten: dimension 1 (size 6) cannot be split into [4, -1] (inputs: [2, 6] f32)');
    expect(() => new nn.Unflatten(1, [])).toThrow('Unflatten: sizes must be a non-empty list of integers >= 0 (one may be -1), got ');
    expect(String(new nn.Unflatten(1, [2, 3]))).toBe('Unflatten(dim=1, sizes=[2, 3])');
    x.dispose();
  });
});
