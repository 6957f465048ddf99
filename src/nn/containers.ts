// ModuleList and ModuleDict, as torch.nn's: modules held by index or by key, registered as children
// so that their parameters reach optimizers and their state-dict keys read as PyTorch's
// ('layers.0.weight', 'heads.mean.bias'). Neither has a forward of its own: the owning module calls
// its members.

import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** The error every container's forward throws: containers hold modules, the owner decides how to call them. */
function noForward(container: string): Error {
  return new Error(`${container}.forward: a ${container} has no forward of its own; call its modules from the module that owns it`);
}

/** Modules held in order, registered as children '0', '1', ... (torch.nn.ModuleList). Append-only. */
export class ModuleList extends Module implements Iterable<Module> {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** Number of modules. */
  get length(): number {
    return this.items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const module = Number.isInteger(index) ? this.items.at(index) : undefined;
    if (!module) throw new Error(`ModuleList.at: index ${index} is out of range for ${this.items.length} modules`);
    return module;
  }

  /** Adds `module` at the end, under the next index. Returns this list. */
  append(module: Module): this {
    this.items.push(this.registerModule(String(this.items.length), module));
    return this;
  }

  /** Appends each of `modules` in order. Returns this list. */
  extend(modules: Iterable<Module>): this {
    for (const module of modules) this.append(module);
    return this;
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  /** Always throws: see the file's comment. */
  forward(..._inputs: Tensor[]): Tensor {
    throw noForward('ModuleList');
  }
}

/**
 * Modules held by key, in insertion order, registered as children under their keys (torch.nn.ModuleDict).
 * Keys are non-empty strings without '.'. A key is set once: setting it again throws.
 */
export class ModuleDict extends Module implements Iterable<[string, Module]> {
  private readonly items = new Map<string, Module>();

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    this.update(modules);
  }

  /** Number of modules. */
  get size(): number {
    return this.items.size;
  }

  /** Whether a module is held under `key`. */
  has(key: string): boolean {
    return this.items.has(key);
  }

  /** The module under `key`; throws naming the keys there are when there is none. */
  get(key: string): Module {
    const module = this.items.get(key);
    if (!module) throw new Error(`ModuleDict.get: no module under '${key}' (keys: ${[...this.items.keys()].map((k) => `'${k}'`).join(', ') || 'none'})`);
    return module;
  }

  /** Adds `module` under `key`. Returns this dict. */
  set(key: string, module: Module): this {
    this.items.set(key, this.registerModule(key, module));
    return this;
  }

  /** Adds each entry of `modules` (an object or [key, module] pairs) in order. Returns this dict. */
  update(modules: Record<string, Module> | Iterable<[string, Module]>): this {
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, Module]>)] : Object.entries(modules);
    for (const [key, module] of entries) this.set(key, module);
    return this;
  }

  /** The keys in insertion order. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** The modules in insertion order. */
  values(): Module[] {
    return [...this.items.values()];
  }

  /** [key, module] pairs in insertion order (PyTorch's items()). */
  entries(): [string, Module][] {
    return [...this.items];
  }

  /** [key, module] pairs in insertion order. */
  [Symbol.iterator](): Iterator<[string, Module]> {
    return this.items[Symbol.iterator]();
  }

  /** Always throws: see the file's comment. */
  forward(..._inputs: Tensor[]): Tensor {
    throw noForward('ModuleDict');
  }
}
