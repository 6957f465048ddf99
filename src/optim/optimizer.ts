// The Optimizer base class, with PyTorch's semantics: parameters in groups that each carry their
// own hyperparameters, per-parameter state created on a parameter's first update, parameters
// without a gradient skipped, and a state dict for checkpoints. Subclasses supply one fused WGSL
// update per parameter (src/optim/sgd.ts, adam.ts, rmsprop.ts, adagrad.ts); nothing here reads the
// GPU back except loadStateDict, which reads the saved step counts.
//
// Parameters side by side: at the first step the parameters of groups with `foreach` (the default) move
// into one arena (src/gpu/arena.ts), their gradients land in a second one (autograd copies them there)
// and each state gets one more, all of one layout; a step then updates each run of neighbouring
// parameters that share a group, a step count and their states with one dispatch over the run's range
// (one per step for a plain model), and clipGradNorm reads and scales the run's gradients with one
// each too. PyTorch's `foreach` implementation, for the same reason: launches, not arithmetic, are what
// a step of many small tensors costs on a GPU. The NaN/Inf watch still names the parameter: the kernel
// reports where in the run it saw the value.
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
import { forgetGradientHome, keepGradientsIn, placeGradient } from '../autograd.js';
import { Arena, arenaGroups } from '../gpu/arena.js';
import type { BufferRef } from '../gpu/runtime.js';

let foreachEnabled = true;

/**
 * Turns side-by-side parameters (every group's `foreach`) on or off for optimizers made from now on
 * (default on): off, each parameter keeps its own buffer and its own update launch, as with `foreach:
 * false` in every group. For comparing the two paths; results are the same bits either way, but for
 * clipGradNorm's rounding (one sum per run instead of one per gradient).
 */
export function setForeach(enabled: boolean): void {
  foreachEnabled = enabled;
}

/** Settings every optimizer's groups carry; each optimizer adds its own (JSON-able values only). */
export interface GroupOptions {
  /** Learning rate. */
  lr: number;
  /**
   * Keep the group's parameters, gradients and states side by side and update them with one launch per run of
   * parameters (default true; see the file comment). False: one launch per parameter, the memory as it was.
   */
  foreach: boolean;
}

/**
 * One buffer's worth of an optimizer's parameters side by side: their arena, their gradients' and each
 * state's, all of one layout (more than one where the parameters outgrow the device's largest buffer).
 */
interface Side {
  params: Arena;
  grads: Arena;
  states: Map<string, Arena>;
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
 * What one update launch covers: one parameter, or a run of parameters side by side in the optimizer's
 * arenas (their range, the gaps between them included: zeros there stay zeros under every update rule).
 */
export interface UpdateTarget {
  /** Elements the launch covers. */
  n: number;
  /** The step count of its parameters (equal in a run), this update included. */
  step: number;
  /** The Params fields and buffers every update kernel shares (include/optim_common.wgsl). */
  shared: UpdateLaunch;
  /** Workgroups for one invocation per vec4. */
  workgroups: [number, number];
  /** A state's buffer (Adam's 'exp_avg', ...), made on first use filled with `initial` (default 0). */
  state(name: string, initial?: number): BufferRef;
  /** Whether the state exists yet (SGD copies the first gradient into its new momentum buffer). */
  hasState(name: string): boolean;
}

/**
 * What every update kernel binds and reads (include/optim_common.wgsl): the parameter and its gradient,
 * and where to report NaN or Inf (see Optimizer.checkFinite).
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
    param: BufferRef;
    /** Its gradient. */
    grad: BufferRef;
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
  /** The foreach groups' parameters, gradients and states side by side (none before the first step). */
  private sides: Side[] = [];
  /** Each parameter moved into a side's params arena, with its member index there. */
  private readonly members = new Map<Tensor, { side: Side; index: number }>();
  /** Whether the first step gathered the parameters (see sideBySide). */
  private gathered = false;
  /** setForeach's value when this optimizer was made. */
  private readonly foreach: boolean;

  /** Every state buffer name this optimizer may keep for a parameter ('exp_avg', ...). */
  protected abstract get stateBufferNames(): readonly string[];
  /** Throws a named error for a bad setting. */
  protected abstract validate(options: O): void;
  /** Records the fused update of one parameter or run (its step count already counts this update). */
  protected abstract update(target: UpdateTarget, group: ParamGroup<O>): void;

  /**
   * @param optimizerName used in errors and in hyperparameters() ('SGD', 'Adam', ...)
   * @param defaults the settings of groups that do not set their own
   */
  protected constructor(optimizerName: string, params: ParamsInput<O>, defaults: O) {
    this.optimizerName = optimizerName;
    this.paramGroups = parseParamGroups(this.optimizerName, params).map(({ params: groupParams, names, settings }) => {
      names.forEach((name, i) => this.paramNames.set(groupParams[i], name ?? `parameter #${this.paramNames.size} ${formatShape(groupParams[i].shape)}`));
      const group = { ...withDefaults(this.optimizerName, defaults, settings), params: groupParams };
      checkBoolean(this.optimizerName, 'foreach', group.foreach);
      this.validate(group);
      return group;
    });
    this.foreach = foreachEnabled;
  }

  /**
   * At the first step (or state load), moves the parameters of the foreach groups into the arenas, with
   * their gradients and any restored state: made then rather than by the constructor, an optimizer that is
   * never used (a trainer whose constructor throws later) holds no memory, as before.
   */
  private sideBySide(): void {
    if (this.gathered) return;
    this.gathered = true;
    const gathered = this.foreach ? this.paramGroups.filter((group) => group.foreach).flatMap((group) => group.params) : [];
    // Pool size classes round a buffer up by at most a quarter: arenas stay within the device's largest.
    for (const indices of arenaGroups(gathered.map((p) => p.size * 4), runtime().maxBufferBytes / 1.25)) {
      const members = indices.map((i) => gathered[i]);
      const params = new Arena(runtime(), members.map((p) => p.size * 4));
      const side: Side = { params, grads: params.twin(), states: new Map<string, Arena>() };
      this.sides.push(side);
      members.forEach((param, index) => {
        // A disposed parameter keeps an unused slice: step() names it if it ever has a gradient.
        if (param.isDisposed) return;
        param.moveToArena(params, index);
        this.members.set(param, { side, index });
        keepGradientsIn(param, side.grads, index);
        const grad = param.grad;
        // A gradient that does not fit its parameter stays, for step() to refuse.
        if (grad && !grad.isDisposed && sameShape(grad.shape, param.shape) && grad.dtype === 'f32') {
          param.grad = placeGradient(grad, side.grads, index).keep();
          grad.dispose();
        }
        const state = this.state.get(param);
        if (state) this.state.set(param, this.intoArenas(param, state));
      });
    }
  }

  /**
   * The buffers and watch of an update launch over `params` (one, or a run side by side): the NaN/Inf watch
   * (see checkFinite) has sites 0 when it is off, and names the parameter at the place its kernel reports.
   */
  private updateLaunch(params: readonly Tensor[], buffers: { param: BufferRef; grad: BufferRef }, step: number): UpdateLaunch {
    if (!this.checkFinite) return { params: { grad_site: 0, param_site: 0, step }, buffers: { ...buffers, check_flag: runtime().errorFlag() } };
    const names = params.map((p) => this.paramNames.get(p)!);
    if (params.length === 1) {
      const gradCheck = nonFiniteCheck(`the gradient of ${names[0]}`);
      return { params: { grad_site: gradCheck.site, param_site: nonFiniteCheck(names[0]).site, step }, buffers: { ...buffers, check_flag: gradCheck.flag } };
    }
    const { side, index: first } = this.members.get(params[0])!;
    const nameAt = (where: number) => names[side.params.memberAt(first, where * 16) - first] ?? `one of ${names.length} parameters`;
    const among = `a parameter among ${names[0]} ... ${names[names.length - 1]} (${names.length})`;
    const gradCheck = nonFiniteCheck(`the gradient of ${among}`, (where) => `the gradient of ${nameAt(where)}`);
    return {
      params: { grad_site: gradCheck.site, param_site: nonFiniteCheck(among, nameAt).site, step },
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
   * Updates every parameter that has a gradient: one kernel launch per run of parameters side by side (see
   * `foreach`), or per parameter; nothing read back. All gradients are checked before the first update, so a
   * bad one leaves every parameter unchanged.
   */
  step(): void {
    const op = `${this.optimizerName}.step`;
    this.assertUsable('step');
    this.sideBySide();
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
    for (const run of this.runsOf(updates)) {
      const group = run[0].group;
      const params = run.map((u) => u.param);
      const states = params.map((param) => {
        let state = this.state.get(param);
        if (!state) this.state.set(param, (state = { step: 0, buffers: {} }));
        // The kernel writes the parameter in place: graphs recorded before this step can no longer use it,
        // and pending tensors that read it compute their values first.
        param.bumpVersion();
        return state;
      });
      // Buffers, not tensors: a replay runs this after a later zeroGrad() freed the gradients.
      const target = this.targetOf(run);
      // Replayable: a replayed step (gg.capture) counts the step and remakes the update's parameters
      // (step count, learning rate) here, as this eager one does.
      runtime().replayable(() => {
        for (const state of states) state.step++;
        target.regrad();
        if (target.n > 0) this.update(target.make(states[0].step), group);
      });
    }
  }

  /**
   * `updates` (in parameter order) cut into runs that one launch can update: neighbours in the arenas, in
   * one group, with their gradients in the gradient arena, equal step counts and the same states. A
   * parameter outside the arenas is a run of its own.
   */
  private runsOf(updates: { param: Tensor; grad: Tensor; group: ParamGroup<O> }[]): (typeof updates)[] {
    const runs: (typeof updates)[] = [];
    let previous: { side: Side; index: number; key: string } | null = null;
    for (const u of updates) {
      const member = this.members.get(u.param);
      const inSide = member !== undefined && u.grad.buffer === member.side.grads.slices[member.index];
      const state = this.state.get(u.param);
      const key = `${this.paramGroups.indexOf(u.group)}:${state?.step ?? 0}:${Object.keys(state?.buffers ?? {}).sort().join()}`;
      if (inSide && previous && member.side === previous.side && member.index === previous.index + 1 && key === previous.key) runs[runs.length - 1].push(u);
      else runs.push([u]);
      previous = inSide ? { ...member, key } : null;
    }
    return runs;
  }

  /** What update() needs for `run` but its step count, resolved to buffers now (see step). */
  private targetOf(run: { param: Tensor; grad: Tensor }[]): { n: number; regrad(): void; make(step: number): UpdateTarget } {
    const params = run.map((u) => u.param);
    const member = this.members.get(params[0]);
    const [first, last] = [member?.index ?? -1, this.members.get(params[params.length - 1])?.index ?? -1];
    const side = member !== undefined && run[0].grad.buffer === member.side.grads.slices[first] ? member.side : null;
    const buffers = side ? { param: side.params.range(first, last), grad: side.grads.range(first, last) } : { param: params[0].buffer, grad: run[0].grad.buffer };
    const n = side ? buffers.param.size / 4 : params[0].size;
    const op = `${this.optimizerName}.step`;
    const stateOf = (name: string, initial = 0): BufferRef => {
      const made = params.map((param) => this.stateBuffer(this.state.get(param)!, name, param, initial));
      return side ? this.stateArena(side, name).range(first, last) : made[0].buffer;
    };
    const vec4s = Math.ceil(n / 4);
    if (buffers.param.size < vec4s * 16) throw new Error(`${op}: buffer of ${buffers.param.size} bytes is too small for ${vec4s} vec4s`);
    return {
      n,
      // A replayed step (gg.capture) writes the run's gradients into their slices without the op code that
      // sets `.grad`: a gradient freed since the recording (zeroGrad between calls) is that slice again.
      regrad: () => {
        if (!side) return;
        params.forEach((param, i) => {
          if (param.grad === null) param.grad = Tensor.inArena(param.shape, 'f32', side.grads, first + i).keep();
        });
      },
      make: (step) => ({
        n,
        step,
        shared: this.updateLaunch(params, buffers, step),
        workgroups: grid1d(vec4s, 256),
        state: stateOf,
        hasState: (name) => name in this.state.get(params[0])!.buffers,
      }),
    };
  }

  /** The arena of state `name` beside `side`'s parameters (made on first use, all zeros). */
  private stateArena(side: Side, name: string): Arena {
    let arena = side.states.get(name);
    if (!arena) side.states.set(name, (arena = side.params.twin()));
    return arena;
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
   * initialAccumulatorValue; zeros otherwise) and kept out of any memory scope; in the state's arena for a
   * parameter in the arenas.
   */
  private stateBuffer(state: ParamState, name: string, param: Tensor, initial = 0): Tensor {
    const known = state.buffers[name];
    if (known) return known;
    const member = this.members.get(param);
    const made = member === undefined ? (initial === 0 ? zeros(param.shape) : full(param.shape, initial)) : Tensor.inArena(param.shape, 'f32', this.stateArena(member.side, name), member.index);
    if (member !== undefined) {
      // The slice may hold a state that loadStateDict replaced.
      runtime().clear(made.buffer);
      if (initial !== 0 && param.size > 0) {
        const filled = full(param.shape, initial);
        runtime().copy(filled.buffer, 0, made.buffer, 0, param.size * 4);
        filled.dispose();
      }
    }
    return (state.buffers[name] = made.keep());
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
    for (const [param, s] of restored) this.state.set(param, this.intoArenas(param, s));
    // Gathered now rather than at the next step: the clipping before that step then sums its norm per run
    // as the optimizer that saved the state did, so a resumed run matches a continued one bit for bit.
    this.sideBySide();
  }

  /** `state` with its buffers moved into the state arenas when `param` is in the arenas (a restored state). */
  private intoArenas(param: Tensor, state: ParamState): ParamState {
    const member = this.members.get(param);
    if (member === undefined) return state;
    const buffers: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(state.buffers)) {
      buffers[name] = Tensor.inArena(param.shape, 'f32', this.stateArena(member.side, name), member.index).keep();
      if (param.size > 0) runtime().copy(tensor.buffer, 0, buffers[name].buffer, 0, param.size * 4);
      tensor.dispose();
    }
    return { step: state.step, buffers };
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

  /**
   * Releases every state buffer and the arenas (parameters in them stay there, as long as they live); the
   * optimizer cannot be used afterwards, and gradients land where their ops put them again.
   */
  dispose(): void {
    if (this.disposed) return;
    disposeStates(this.state.values());
    this.state.clear();
    for (const [param, { side }] of this.members) forgetGradientHome(param, side.grads);
    for (const side of this.sides) {
      side.params.release();
      side.grads.release();
      for (const arena of side.states.values()) arena.release();
    }
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
