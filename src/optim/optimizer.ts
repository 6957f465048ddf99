// The Optimizer base class, with PyTorch's semantics: parameters in groups that each carry their
// own hyperparameters, per-parameter state created on a parameter's first update, parameters
// without a gradient skipped, and a state dict for checkpoints. Subclasses supply one fused WGSL
// update per parameter (src/optim/sgd.ts, adam.ts, rmsprop.ts, adagrad.ts); nothing here reads the
// GPU back except loadStateDict, which reads the saved step counts.
//
// Checkpoints: stateDict() holds tensors only ('state.<i>.<name>', i indexing the parameters in group
// order, with the step count as a 0-d tensor 'state.<i>.step'), so a safetensors file can hold it;
// hyperparameters() is the small JSON-able rest (each group's settings and parameter indices).

import { full, zeros } from '../ops/creation.js';
import { clone } from '../ops/movement.js';
import { describe, grid1d, opError, sameShape } from '../ops/shape.js';
import { Tensor, formatShape } from '../tensor.js';
import { runtime } from '../context.js';
import { nonFiniteCheck } from '../ops/checks.js';

/** Settings every optimizer's groups carry; each optimizer adds its own (JSON-able values only). */
export interface GroupOptions {
  /** Learning rate. */
  lr: number;
}

/** One parameter group: its parameters and the hyperparameters they are updated with. */
export type ParamGroup<O extends GroupOptions> = O & {
  /** The group's parameters. */
  params: Tensor[];
};

/** A group as passed to a constructor: settings it leaves out come from the optimizer's options. */
export type ParamGroupInput<O extends GroupOptions> = Partial<O> & {
  /** The group's parameters, or [name, parameter] pairs (a module's namedParameters()). */
  params: Iterable<Tensor> | Iterable<readonly [string, Tensor]>;
};

/**
 * Parameters (leaf tensors that require grad), [name, parameter] pairs (a module's namedParameters(),
 * whose names then appear in errors), or groups of either with their own settings.
 */
export type ParamsInput<O extends GroupOptions> = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | readonly ParamGroupInput<O>[];

/**
 * What every update kernel binds and reads for one parameter (include/optim_common.wgsl): the parameter
 * and its gradient, and where to report NaN or Inf (see Optimizer.checkFinite).
 */
export interface UpdateLaunch {
  /** The Params fields of the NaN/Inf watch. */
  params: {
    /** The site recorded when the gradient holds NaN or Inf (0: not watched). */
    grad_site: number;
    /** The site recorded when the updated parameter does (0: not watched). */
    param_site: number;
    /** The step reported with a failure. */
    step: number;
  };
  /** The parameter, its gradient and the runtime's check flag. */
  buffers: {
    /** The parameter, updated in place. */
    param: GPUBuffer;
    /** Its gradient. */
    grad: GPUBuffer;
    /** The runtime's check flag, where the watch reports. */
    check_flag: GPUBuffer;
  };
}

/** What an optimizer keeps for one parameter: updates applied so far, and named buffers. */
export interface ParamState {
  /** Updates applied to the parameter so far. */
  step: number;
  /** The optimizer's per-parameter tensors by name ('momentum_buffer', 'exp_avg', ...), made on first use. */
  buffers: Record<string, Tensor>;
}

/** The JSON-able part of an optimizer's checkpoint. */
export interface OptimizerHyperparameters {
  /** The optimizer's name ('SGD', 'Adam', ...), checked on load. */
  optimizer: string;
  /** Each group's settings, its parameters given as indices into the optimizer's parameter order. */
  paramGroups: (Record<string, unknown> & {
    /** Positions of the group's parameters, counting across groups in order (as in state dict keys). */
    params: number[];
  })[];
}

/**
 * The base of the optimizers, with PyTorch's semantics: parameter groups with their own hyperparameters, per-parameter
 * state made on a parameter's first update, parameters without a gradient skipped, and a state dict (tensors) plus
 * hyperparameters (JSON) for checkpoints. Subclasses supply one fused WGSL update per parameter.
 */
export abstract class Optimizer<O extends GroupOptions> {
  /** Used in errors and in hyperparameters() ('SGD', 'Adam', ...). */
  readonly optimizerName: string;
  /** The groups with their settings (change `lr` here, or through the `lr` accessor). */
  readonly paramGroups: ParamGroup<O>[];
  /**
   * Watches every step for NaN and Inf: the update kernels look at each gradient and updated parameter
   * where they hold them anyway (no extra pass, no sync), and the next read of any tensor throws a
   * NonFiniteError naming the first one and its step ("the gradient of fc1.weight became NaN or Inf at
   * step 7"). On by default: NaN weights behind a finite loss (relu(NaN) = 0) otherwise go unnoticed.
   */
  checkFinite = true;
  private readonly state = new Map<Tensor, ParamState>();
  private readonly paramNames = new Map<Tensor, string>();
  private disposed = false;

  /** Every state buffer name this optimizer may keep for a parameter ('exp_avg', ...). */
  protected abstract get stateBufferNames(): readonly string[];
  /** Throws a named error for a bad setting. */
  protected abstract validate(options: O): void;
  /** Records the fused update of one parameter from its gradient's buffer (its state's step already counts this update). */
  protected abstract update(param: Tensor, grad: GPUBuffer, state: ParamState, group: ParamGroup<O>): void;

  /**
   * @param optimizerName used in errors and in hyperparameters() ('SGD', 'Adam', ...)
   * @param defaults the settings of groups that do not set their own
   */
  protected constructor(optimizerName: string, params: ParamsInput<O>, defaults: O) {
    this.optimizerName = optimizerName;
    this.paramGroups = parseParamGroups(this.optimizerName, params).map(({ params: groupParams, names, settings }) => {
      names.forEach((name, i) => this.paramNames.set(groupParams[i], name ?? `parameter #${this.paramNames.size} ${formatShape(groupParams[i].shape)}`));
      const group = { ...withDefaults(this.optimizerName, defaults, settings), params: groupParams };
      this.validate(group);
      return group;
    });
  }

  /**
   * The part of one parameter's update launch every optimizer shares: the parameter, its gradient and the
   * NaN/Inf watch (see checkFinite), whose sites are 0 when the watch is off.
   */
  protected updateLaunch(param: Tensor, grad: GPUBuffer, state: ParamState): UpdateLaunch {
    const buffers = { param: param.buffer, grad };
    if (!this.checkFinite) return { params: { grad_site: 0, param_site: 0, step: state.step }, buffers: { ...buffers, check_flag: runtime().errorFlag() } };
    const name = this.paramNames.get(param)!;
    const gradCheck = nonFiniteCheck(`the gradient of ${name}`);
    return {
      params: { grad_site: gradCheck.site, param_site: nonFiniteCheck(name).site, step: state.step },
      buffers: { ...buffers, check_flag: gradCheck.flag },
    };
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** Sets the learning rate of every group (a uniform value: no pipeline is compiled for it). */
  set lr(value: number) {
    checkNonNegative(this.optimizerName, 'lr', value);
    for (const group of this.paramGroups) group.lr = value;
  }

  /**
   * Updates every parameter that has a gradient: one kernel launch each, nothing read back. All
   * gradients are checked before the first update, so a bad one leaves every parameter unchanged.
   */
  step(): void {
    const op = `${this.optimizerName}.step`;
    this.assertUsable('step');
    const updates: { param: Tensor; grad: Tensor; group: ParamGroup<O> }[] = [];
    for (const group of this.paramGroups) {
      for (const param of group.params) {
        const grad = param.grad;
        if (!grad) continue;
        param.assertAlive(op);
        grad.assertAlive(op);
        if (!sameShape(grad.shape, param.shape) || grad.dtype !== 'f32') {
          throw opError(op, `gradient ${describe(grad)} does not match its parameter ${describe(param)}`, [param, grad]);
        }
        updates.push({ param, grad, group });
      }
    }
    for (const { param, grad, group } of updates) {
      let state = this.state.get(param);
      if (!state) this.state.set(param, (state = { step: 0, buffers: {} }));
      const paramState = state;
      // The kernel writes the parameter in place: graphs recorded before this step can no longer use it,
      // and pending tensors that read it compute their values first.
      param.bumpVersion();
      // The buffer, not the tensor: a replay runs this after a later zeroGrad() freed the tensor.
      const gradBuffer = grad.buffer;
      // Replayable: a replayed step (gg.capture) counts the step and remakes the update's parameters
      // (step count, learning rate) here, as this eager one does.
      runtime().replayable(() => {
        paramState.step++;
        if (param.size > 0) this.update(param, gradBuffer, paramState, group);
      });
    }
  }

  /** Disposes every parameter's gradient and sets it to null (PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const param of this.parameters()) {
      param.grad?.dispose();
      param.grad = null;
    }
  }

  /**
   * A parameter's state buffer, created on first use filled with `initial` (Adagrad's
   * initialAccumulatorValue; zeros otherwise) and kept out of any memory scope.
   */
  protected stateBuffer(state: ParamState, name: string, param: Tensor, initial = 0): Tensor {
    return (state.buffers[name] ??= (initial === 0 ? zeros(param.shape) : full(param.shape, initial)).keep());
  }

  /** Every parameter, in group order: position i here is index i in state dict keys. */
  private parameters(): Tensor[] {
    return this.paramGroups.flatMap((group) => group.params);
  }

  // ---- checkpoints -------------------------------------------------------------------------------

  /**
   * The per-parameter state as tensors: 'state.<i>.step' (0-d) and 'state.<i>.<buffer>' for each
   * parameter that has been updated. The tensors are copies that the caller owns and disposes.
   */
  stateDict(): Record<string, Tensor> {
    this.assertUsable('stateDict');
    const out: Record<string, Tensor> = {};
    this.parameters().forEach((param, index) => {
      const state = this.state.get(param);
      if (!state) return;
      out[`state.${index}.step`] = full([], state.step); // f32 as in PyTorch: exact up to 2^24 steps
      for (const [name, buffer] of Object.entries(state.buffers)) out[`state.${index}.${name}`] = clone(buffer);
    });
    return out;
  }

  /** Each group's settings with its parameters as indices: JSON-able, for a checkpoint's metadata. */
  hyperparameters(): OptimizerHyperparameters {
    let next = 0;
    return {
      optimizer: this.optimizerName,
      paramGroups: this.paramGroups.map(({ params, ...options }) => ({
        ...structuredClone(options),
        params: params.map(() => next++),
      })),
    };
  }

  /**
   * Restores state saved by stateDict() (copying it: the caller still owns `state`) and, when given,
   * the groups' settings saved by hyperparameters(). Parameters absent from `state` start afresh.
   * Everything is checked before anything changes: on an error the optimizer is as it was. Async
   * because the step counts are read back from their tensors.
   */
  async loadStateDict(state: Record<string, Tensor>, hyperparameters?: OptimizerHyperparameters): Promise<void> {
    const op = `${this.optimizerName}.loadStateDict`;
    this.assertUsable('loadStateDict');
    const settings = hyperparameters ? this.checkedHyperparameters(hyperparameters) : null;
    const params = this.parameters();
    const entries = new Map<number, { step?: Tensor; buffers: Record<string, Tensor> }>();
    for (const [key, value] of Object.entries(state)) {
      const match = /^state\.(\d+)\.(\w+)$/.exec(key);
      const index = match ? Number(match[1]) : -1;
      if (!match || index >= params.length) {
        throw new Error(`${op}: unexpected key '${key}' (expected 'state.<i>.<name>' with i < ${params.length})`);
      }
      const name = match[2];
      if (!(value instanceof Tensor)) throw new Error(`${op}: '${key}' is not a Tensor`);
      value.assertAlive(op);
      let entry = entries.get(index);
      if (!entry) entries.set(index, (entry = { buffers: {} }));
      if (name === 'step') {
        if (value.size !== 1 || value.dtype === 'u32') throw opError(op, `'${key}' must hold one f32 or i32 step count`, [value]);
        entry.step = value;
      } else if (!this.stateBufferNames.includes(name)) {
        throw new Error(`${op}: unexpected key '${key}' (${this.optimizerName} keeps ${['step', ...this.stateBufferNames].join(', ')})`);
      } else if (!sameShape(value.shape, params[index].shape) || value.dtype !== 'f32') {
        throw opError(op, `'${key}' is ${describe(value)} but parameter ${index} is ${describe(params[index])}`, [value, params[index]]);
      } else {
        entry.buffers[name] = value;
      }
    }
    for (const [index, entry] of entries) {
      if (!entry.step) throw new Error(`${op}: 'state.${index}.step' is missing (state.${index} has ${Object.keys(entry.buffers).join(', ')})`);
    }

    const restored = new Map<Tensor, ParamState>();
    for (const [index, entry] of entries) {
      const buffers: Record<string, Tensor> = {};
      for (const [name, tensor] of Object.entries(entry.buffers)) buffers[name] = clone(tensor).keep();
      restored.set(params[index], { step: 0, buffers });
    }
    const stepTensors = [...entries.values()].map((entry) => entry.step!);
    let steps: number[];
    try {
      steps = await Promise.all(stepTensors.map((t) => t.item()));
    } catch (error) {
      disposeStates(restored.values());
      throw error;
    }
    const badStep = steps.findIndex((s) => !Number.isInteger(s) || s < 0);
    if (badStep >= 0) {
      disposeStates(restored.values());
      throw new Error(`${op}: step count ${steps[badStep]} is not an integer >= 0`);
    }
    [...restored.values()].forEach((s, i) => (s.step = steps[i]));

    if (settings) settings.forEach((options, g) => Object.assign(this.paramGroups[g], options));
    disposeStates(this.state.values());
    this.state.clear();
    for (const [param, s] of restored) this.state.set(param, s);
  }

  /** The groups' settings from a hyperparameters() object, validated against this optimizer. */
  private checkedHyperparameters(saved: OptimizerHyperparameters): O[] {
    const op = `${this.optimizerName}.loadStateDict`;
    if (saved.optimizer !== this.optimizerName) {
      throw new Error(`${op}: the hyperparameters are for ${saved.optimizer}, not ${this.optimizerName}`);
    }
    if (saved.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${op}: ${saved.paramGroups.length} saved parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    let next = 0;
    return this.paramGroups.map((group, g) => {
      const { params: indices, ...options } = saved.paramGroups[g];
      const expected = group.params.map(() => next++);
      if (indices.length !== expected.length || indices.some((index, k) => index !== expected[k])) {
        throw new Error(`${op}: group ${g} saved parameters [${indices.join(', ')}], this optimizer has [${expected.join(', ')}]`);
      }
      const unknown = Object.keys(options).filter((key) => !(key in group));
      if (unknown.length) throw new Error(`${op}: group ${g} has unknown settings ${unknown.join(', ')}`);
      const { params: _, ...current } = group;
      const merged = { ...current, ...structuredClone(options) } as unknown as O;
      this.validate(merged);
      return merged;
    });
  }

  /** Releases every state buffer; the optimizer cannot be used afterwards. */
  dispose(): void {
    disposeStates(this.state.values());
    this.state.clear();
    this.disposed = true;
  }

  private assertUsable(method: string): void {
    if (this.disposed) throw new Error(`${this.optimizerName}.${method}: the optimizer was used after dispose()`);
  }
}

function disposeStates(states: Iterable<ParamState>): void {
  for (const state of states) for (const buffer of Object.values(state.buffers)) buffer.dispose();
}

const isIterable = (value: unknown): value is Iterable<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';

const isNamedParameter = (item: unknown): item is readonly [string, Tensor] =>
  Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && item[1] instanceof Tensor;

/**
 * The constructor's parameters as groups, each parameter checked (leaf, requires grad, f32, once),
 * with the names given as [name, parameter] pairs (null where none was).
 */
function parseParamGroups<O extends GroupOptions>(name: string, input: ParamsInput<O>): { params: Tensor[]; names: (string | null)[]; settings: Partial<O> }[] {
  if (!isIterable(input)) throw new Error(`${name}: params must be a list of tensors, [name, tensor] pairs or parameter groups, got ${String(input)}`);
  const items: unknown[] = [...input];
  let groups: { params: unknown[]; settings: Partial<O> }[];
  if (items.every((item) => item instanceof Tensor || isNamedParameter(item))) {
    groups = [{ params: items, settings: {} }];
  } else if (items.every((item) => typeof item === 'object' && item !== null && !(item instanceof Tensor) && 'params' in item)) {
    groups = (items as ParamGroupInput<O>[]).map(({ params, ...settings }) => {
      if (!isIterable(params)) throw new Error(`${name}: a parameter group's params must be a list of tensors, got ${String(params)}`);
      return { params: [...params], settings: settings as unknown as Partial<O> };
    });
  } else {
    throw new Error(`${name}: params must be tensors, [name, tensor] pairs or parameter groups ({ params, ...settings }), not a mix`);
  }
  const seen = new Set<Tensor>();
  const parsed = groups.map(({ params: entries, settings }) => {
    const names = entries.map((entry) => (isNamedParameter(entry) ? entry[0] : null));
    const params = entries.map((entry) => (isNamedParameter(entry) ? entry[1] : entry));
    for (const param of params) {
      if (!(param instanceof Tensor)) throw new Error(`${name}: a parameter group holds ${String(param)}, not a Tensor`);
      param.assertAlive(name);
      if (param.node) throw opError(name, `parameter tensor #${param.id} is not a leaf (it is the result of ${param.node.name})`, [param]);
      if (!param.requiresGrad) throw opError(name, `parameter tensor #${param.id} does not require grad (call requiresGrad_())`, [param]);
      if (param.dtype !== 'f32') throw opError(name, `parameter tensor #${param.id} must be f32`, [param]);
      if (seen.has(param)) throw opError(name, `parameter tensor #${param.id} appears more than once`, [param]);
      seen.add(param);
    }
    return { params: params as Tensor[], names, settings };
  });
  if (seen.size === 0) throw new Error(`${name}: got an empty parameter list`);
  return parsed;
}

/** `defaults` with the settings that are given (not undefined); a setting `defaults` lacks is an error. */
export function withDefaults<O extends GroupOptions>(op: string, defaults: O, settings: Partial<O>): O {
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(settings)) {
    if (!(key in defaults)) throw new Error(`${op}: unknown setting '${key}' (known: ${Object.keys(defaults).join(', ')})`);
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** Throws `op: <what> must be a finite number >= 0, got <value>`. */
export function checkNonNegative(op: string, what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${op}: ${what} must be a finite number >= 0, got ${value}`);
  }
}

/** Throws `op: <what> must be in [0, 1), got <value>` (Adam's betas). */
export function checkUnitInterval(op: string, what: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`${op}: ${what} must be in [0, 1), got ${value}`);
  }
}

export function checkBoolean(op: string, what: string, value: boolean): void {
  if (typeof value !== 'boolean') throw new Error(`${op}: ${what} must be true or false, got ${String(value)}`);
}

/**
 * Workgroups for a kernel that gives each invocation one vec4 of `t` (the last one possibly partial).
 * The kernels read that last vec4 whole, which stays inside the buffer because pooled buffers are
 * multiples of 16 bytes (runtime.sizeClass); checked here so a change there cannot go unnoticed.
 */
export function vec4Workgroups(op: string, t: Tensor, workgroupSize = 256): [number, number] {
  const vec4s = Math.ceil(t.size / 4);
  if (t.buffer.size < vec4s * 16) {
    throw new Error(`${op}: buffer of ${t.buffer.size} bytes is too small for ${vec4s} vec4s of tensor ${formatShape(t.shape)}`);
  }
  return grid1d(vec4s, workgroupSize);
}
