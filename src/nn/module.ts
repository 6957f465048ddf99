// Module: the base of every layer and model, as torch.nn.Module. A module holds a tree of named
// tensors, and that tree is what optimizers, checkpoints and parameter counts walk.
//
// Registration is explicit. In its constructor a module calls
//   this.weight = this.registerParameter('weight', tensor)     a trained tensor (leaf, requiresGrad)
//   this.runningMean = this.registerBuffer('running_mean', t)  state that is saved but not trained
//   this.fc1 = this.registerModule('fc1', new Linear(...))     a child module
// Each returns its argument, so the typed field and the registry hold the same object; the string is
// the key used in state dicts, so PyTorch's names (snake_case included) carry over to checkpoints:
// 'weight', '0.bias', 'fc1.weight', 'bn.running_mean'. Registered tensors are taken out of the
// memory scope they were made in (keep()), so a model built inside scope() survives it; they live
// until module.dispose(). Keys list a module's own parameters, then its buffers, then each child's
// keys under the child's name, in registration order (PyTorch's order).

import { noGrad } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { sameShape } from '../ops/shape.js';

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require exactly the module's keys (default true); false skips missing and unexpected keys. */
  strict?: boolean;
}

/** The keys a non-strict load skipped. */
export interface LoadStateDictResult {
  /** The module's keys that `state` lacked (left unchanged). */
  missingKeys: string[];
  /** Keys of `state` the module does not have (ignored). */
  unexpectedKeys: string[];
}

type Registry = 'parameters' | 'buffers';

/**
 * The base of every layer and model, as torch.nn.Module: a tree of named parameters, buffers and child modules,
 * registered explicitly in the constructor, which optimizers, checkpoints and parameter counts walk. State-dict keys
 * use the registered names with dots ('fc1.weight', 'bn.running_mean'), in PyTorch's order. Registered tensors outlive
 * memory scopes until `dispose()`.
 */
export abstract class Module {
  /** Training mode (the default) or evaluation mode; changes Dropout and BatchNorm. */
  training = true;

  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /**
   * The layer's computation; subclasses define it with their own inputs and result, as in PyTorch: most
   * take and return tensors, MultiheadAttention and the recurrent layers also take options or initial
   * states and return tuples. The base leaves both open so that each subclass's signature is its own.
   */
  abstract forward(...inputs: any[]): any;

  // ---- registration ------------------------------------------------------------------------------

  /** Registers a trained tensor under `name`: an f32 leaf, marked requiresGrad. Returns it. */
  registerParameter(name: string, tensor: Tensor): Tensor {
    this.checkName(name);
    tensor.assertAlive(`${this.className}.registerParameter('${name}')`);
    if (tensor.dtype !== 'f32' || tensor.node) {
      const what = tensor.node ? `the result of ${tensor.node.name} (use a leaf tensor, or detach() it)` : `dtype ${tensor.dtype}`;
      throw new Error(`${this.className}.registerParameter('${name}'): a parameter must be an f32 leaf tensor, got ${formatShape(tensor.shape)} ${tensor.dtype}: ${what}`);
    }
    this.ownParameters.set(name, tensor.requiresGrad_().keep());
    return tensor;
  }

  /** Registers state that is saved and loaded but not trained (running statistics, counters). Returns it. */
  registerBuffer(name: string, tensor: Tensor): Tensor {
    this.checkName(name);
    tensor.assertAlive(`${this.className}.registerBuffer('${name}')`);
    if (tensor.requiresGrad) {
      throw new Error(`${this.className}.registerBuffer('${name}'): ${formatShape(tensor.shape)} ${tensor.dtype} requires grad; register it as a parameter instead`);
    }
    this.ownBuffers.set(name, tensor.keep());
    return tensor;
  }

  /** Registers a child module, whose keys appear under `name.`. Returns it. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    if (!(module instanceof Module)) throw new Error(`${this.className}.registerModule('${name}'): expected a Module, got ${String(module)}`);
    this.children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new Error(`${this.className}: a registered name must be a non-empty string without '.', got '${name}'`);
    }
    if (this.ownParameters.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.className}: the name '${name}' is already registered`);
    }
  }

  // ---- the tree ----------------------------------------------------------------------------------

  /** The direct child modules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** This module (named '') and every module below it, with dotted names: ['', m], ['fc1', ...], ... */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [['', this]];
    for (const [name, child] of this.children) {
      for (const [sub, module] of child.namedModules()) out.push([sub ? `${name}.${sub}` : name, module]);
    }
    return out;
  }

  /** The tensors of the given registries across the tree by dotted key: each module's own, then its children's (PyTorch's order). */
  private collect(registries: readonly Registry[]): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const registry of registries) {
        const own = registry === 'parameters' ? module.ownParameters : module.ownBuffers;
        for (const [name, t] of own) out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Trained tensors by key. A tensor registered twice (tied weights) is listed once, under its first key. */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [key, t] of this.collect(['parameters'])) {
      if (seen.has(t)) continue;
      seen.add(t);
      out.push([key, t]);
    }
    return out;
  }

  /** The trained tensors (as `namedParameters()`, without the keys): what an optimizer takes. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Untrained state by key, e.g. 'bn.running_mean', 'bn.num_batches_tracked'. */
  namedBuffers(): [string, Tensor][] {
    return this.collect(['buffers']);
  }

  /** The number of trained values (each tied tensor counted once). */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  // ---- modes and gradients -------------------------------------------------------------------------

  /** Sets training mode (or evaluation mode with false) on this module and every module below it. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Sets evaluation mode on the whole tree (same as `train(false)`). */
  eval(): this {
    return this.train(false);
  }

  /** Frees and clears the gradient of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  // ---- state dicts -------------------------------------------------------------------------------

  /** Parameters and buffers by key (every key, tied ones included). The live tensors, not copies. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.collect(['parameters', 'buffers']));
  }

  /**
   * Copies values from `state` into this module's tensors (in place, so optimizers holding them see
   * the new values). Every key, shape and dtype is checked before anything is copied: on any problem
   * the error lists them all and the module is unchanged. Shapes and dtypes must match even when
   * not strict.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in state));
    const unexpectedKeys = Object.keys(state).filter((k) => !(k in own));
    const problems: string[] = [];
    if (strict) {
      problems.push(...missingKeys.map((k) => `missing key '${k}'`), ...unexpectedKeys.map((k) => `unexpected key '${k}'`));
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, target] of Object.entries(own)) {
      if (!(key in state)) continue;
      const source = state[key];
      if (!(source instanceof Tensor)) {
        problems.push(`'${key}' is not a Tensor`);
      } else if (source.isDisposed) {
        problems.push(`'${key}' was disposed`);
      } else if (!sameShape(source.shape, target.shape) || source.dtype !== target.dtype) {
        problems.push(`'${key}' has shape ${formatShape(source.shape)} ${source.dtype}, expected ${formatShape(target.shape)} ${target.dtype}`);
      } else {
        pairs.push([target, source]);
      }
    }
    if (problems.length) {
      throw new Error(`${this.className}.loadStateDict: ${problems.length} problem${problems.length > 1 ? 's' : ''}, nothing was loaded: ${problems.join('; ')}`);
    }
    noGrad(() => {
      for (const [target, source] of pairs) if (target !== source) target.assign(source);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter (with its gradient) and buffer in the tree. The module cannot be used after. */
  dispose(): void {
    for (const [, t] of this.collect(['parameters', 'buffers'])) t.dispose();
  }

  // ---- printing ----------------------------------------------------------------------------------

  /** This layer's settings for toString(), e.g. 'inFeatures=4, outFeatures=3, bias=true'. */
  protected extraRepr(): string {
    return '';
  }

  /** The constructor's name, used in error messages and `toString()`. */
  protected get className(): string {
    return this.constructor.name;
  }

  /** The tree as PyTorch prints it: Sequential(\n  (0): Linear(inFeatures=4, ...)\n ...). */
  toString(): string {
    const head = `${this.className}(${this.extraRepr()}`;
    if (this.children.size === 0) return `${head})`;
    const lines = [...this.children].map(([name, child]) => `  (${name}): ${child.toString().replace(/\n/g, '\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
