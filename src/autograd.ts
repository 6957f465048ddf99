// Reverse-mode automatic differentiation. Every differentiable op calls `record()` with its inputs
// and a backward rule written with tensor ops (so backward is itself differentiable: pass
// `createGraph` to get gradients of gradients). `backward()` walks the graph in reverse topological
// order, accumulating gradients, and stores them in the `.grad` of the leaves that require them.
//
// No silent failures, as in PyTorch:
// - Freed graphs. A scope() disposes the intermediates of the graphs made inside it, even when it
//   returns their result; so does dispose() by hand. backward() on such a graph raises an error that
//   names the disposed tensor and the op that saved it, before any gradient is computed. (We chose the
//   error over keeping graphs alive from returned tensors: memory stays released exactly when the scope
//   ends, and the fix, calling backward() inside the scope, is one line.) A disposed input that a
//   backward rule never reads (add needs only shapes) is no error.
// - In-place changes. Each tensor's memory has a version counter (Tensor.version) that in-place writes
//   bump: assign(), optimizer steps, clipGradNorm. record() keeps the versions of an op's inputs and
//   output; while a backward rule runs, every tensor buffer it reads is checked against them (through
//   the read watcher of src/tensor.ts), so only tensors a rule really uses ("saved tensors") count.
// - Second backward. Without `retainGraph`, backward() and grad() release the graph they ran through;
//   another backward through any of its nodes raises instead of silently summing stale gradients.
//
// Broadcasting is undone here, once: a rule may return the gradient of a broadcast input at the
// output's shape, and the walk sums it down to the input's shape (sumTo). The walk makes gradients
// with the ops' Tensor methods (add, mul, sum, reshape), so this module imports no op family and the
// op families need not import each other for their backward rules.

import { Tensor, formatShape, nextTensorIdValue, opScope, scope, watchTensorReads } from './tensor.js';
import type { Arena } from './gpu/arena.js';
import { runtime } from './context.js';
import { full, fullLike } from './ops/creation.js';
import { defineMethods } from './ops/methods.js';

/**
 * Given the gradient of the output, returns one gradient per input (null where none flows). A gradient may
 * have the output's shape where its input was broadcast to it: backward sums it down (see {@link sumTo}).
 */
export type BackwardRule = (gradOutput: Tensor) => (Tensor | null)[];

/** How an op result was made, for the backward pass: the op, its inputs and its backward rule. */
export interface GradNode {
  /** The op's name (shown by `Tensor.toString` and in errors). */
  name: string;
  /** The op's tensor inputs, in the order the backward rule returns their gradients. */
  inputs: Tensor[];
  /** Maps the output's gradient to the inputs' gradients. */
  backward: BackwardRule;
  /**
   * Each input's version (Tensor.version) when the op ran, then the output's: a backward rule that reads
   * one of these tensors after an in-place change raises instead of computing a wrong gradient.
   */
  versions: number[];
  /** True once a backward() or grad() without `retainGraph` ran through this node: another one raises. */
  released: boolean;
}

let gradEnabled = true;

/** False inside `noGrad()`: ops then record no graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording a graph (for evaluation and optimizer updates). `fn` must be synchronous, as
 * for scope(): the code after an await would run with gradients on again, so an async function is refused.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = previous;
  }
  if (result instanceof Promise) {
    throw new Error('noGrad: the function returned a Promise; noGrad must be synchronous (the code after an await would record a graph): await outside, noGrad() inside');
  }
  return result;
}

/**
 * Called by each op after computing `output`: if gradients are on and any input requires one, the
 * output remembers how it was made. Returns `output` for chaining.
 */
export function record(name: string, inputs: Tensor[], output: Tensor, backward: BackwardRule): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    const versions = new Array<number>(inputs.length + 1);
    for (let i = 0; i < inputs.length; i++) versions[i] = inputs[i].version;
    versions[inputs.length] = output.version;
    output.requiresGrad = true;
    output.node = { name, inputs, backward, versions, released: false };
  }
  return output;
}

/**
 * A backward rule with a fast form and a differentiable one: `fused` (typically one kernel, whose result
 * has no graph) runs when the backward pass is not itself recorded; `composed` (written with ops) runs
 * when it is, under `createGraph`, so that gradients of gradients exist. Both must give the same
 * gradient; the op checks run both.
 */
export function fusedOrComposed(fused: BackwardRule, composed: BackwardRule): BackwardRule {
  return (gradOutput) => (gradEnabled ? composed(gradOutput) : fused(gradOutput));
}

/**
 * Runs `fn`, an op composed of several tensor ops on `inputs`, in a scope of its own unless its result
 * will carry a graph: without one, its intermediates are freed at once (its result may stay pending, to
 * fuse with the ops after it: opScope); with one, the backward pass needs them, and the caller's scope
 * frees them later, as with any op's result. The result may be a
 * tensor or a tuple of them (as a recurrent layer's output and final state); scope keeps them all.
 */
export function composite<T>(inputs: readonly (Tensor | null)[], fn: () => T): T {
  const recorded = gradEnabled && inputs.some((t) => t?.requiresGrad);
  return recorded ? fn() : opScope(fn);
}

/** Whether `from` is `to` or broadcasts to it (NumPy rules: from the right, each size equal or 1). */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  const lead = to.length - from.length;
  return from.every((d, i) => d === to[lead + i] || d === 1);
}

/** Sums a broadcast gradient back down to `shape` (the inverse of NumPy broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (!broadcastsTo(shape, g.shape)) throw new Error(`sumTo: shape ${formatShape(shape)} does not broadcast to the gradient's ${formatShape(g.shape)}`);
  const lead = g.rank - shape.length;
  const axes = g.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  if (axes.length === 0) return formatShape(g.shape) === formatShape(shape) ? g : g.reshape(shape);
  if (g.size === 0) return full(shape, 0);
  return g.sum(axes).reshape(shape);
}

/** The error for a disposed tensor that `saver`'s backward needs. */
function freedGraphError(op: string, t: Tensor, saver: string): Error {
  const what = t.opName ? `the result of '${t.opName}'` : 'a leaf';
  return new Error(
    `${op}: the graph of this tensor was freed: tensor #${t.id} ${formatShape(t.shape)} ${t.dtype}, ${what} saved by '${saver}', ` +
      'was disposed (by scope() or dispose()); call backward() inside the scope that made the graph',
  );
}

/** A released node's rule: never called (propagate checks `released` first), but frees the closure's tensors for GC. */
const releasedRule: BackwardRule = () => {
  throw new Error('backward: this graph was released by an earlier backward()');
};

/**
 * Tensors reachable from `root` through graph nodes, each after all tensors that depend on it. Throws if the
 * graph was freed (a disposed tensor that requires grad) or released by an earlier backward.
 */
function reverseTopologicalOrder(op: string, root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (RNNs unrolled over long sequences) would overflow the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const node = t.node;
    if (next === 0 && node?.released) {
      throw new Error(
        `${op}: trying to backward through the graph a second time: '${node.name}' was released by an earlier backward() or grad(); ` +
          'pass { retainGraph: true } to the first call to keep the graph',
      );
    }
    const inputs = node?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child.requiresGrad && child.isDisposed) throw freedGraphError(op, child, node!.name);
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order.reverse();
}

/** Options of `backward` and `grad`. */
export interface BackwardOptions {
  /** Record the backward pass too, so the gradients can be differentiated again. */
  createGraph?: boolean;
  /**
   * Keep the graph for another backward() or grad() through it (default: the value of `createGraph`, as
   * PyTorch). Without it the graph is released, and a second backward through it raises.
   */
  retainGraph?: boolean;
}

/**
 * Gradients of `output` with respect to `inputs` (returned, not stored in `.grad`). With
 * `createGraph`, the returned gradients carry a graph of their own (needed for gradient penalties).
 */
export function grad(output: Tensor, inputs: Tensor[], gradOutput?: Tensor, options: BackwardOptions = {}): Tensor[] {
  const wanted = new Set(inputs);
  const results = new Map<Tensor, Tensor>();
  propagate('grad', output, gradOutput, options, (t) => wanted.has(t), (t, g) => results.set(t, g));
  return inputs.map((t) => {
    const g = results.get(t);
    if (g) return g;
    if (!t.requiresGrad) throw new Error(`grad: input tensor #${t.id} ${formatShape(t.shape)} does not require grad`);
    return fullLike(t, 0);
  });
}

/**
 * Fills `.grad` of every leaf that requires grad and contributed to `output` (accumulating). Raises, leaving
 * every `.grad` as it was, when the graph was freed by a scope or dispose(), when a tensor it saved was changed
 * in place since (see Tensor.version), or when an earlier backward without `retainGraph` released it.
 */
export function backward(output: Tensor, gradOutput?: Tensor, options: BackwardOptions = {}): void {
  // A gradient with a graph of its own (createGraph) stays the tensor its graph made.
  const home = options.createGraph ? () => undefined : (leaf: Tensor) => gradientHomes.get(leaf);
  propagate('backward', output, gradOutput, options, (t) => !t.node, (leaf, g) => {
    const previous = leaf.grad;
    const total = previous ? previous.add(g) : g;
    const to = home(leaf);
    leaf.grad = (to ? placeGradient(total, to.arena, to.index) : total).keep();
    if (leaf.grad !== g) g.dispose();
    if (total !== g && total !== leaf.grad) total.dispose();
    previous?.dispose();
  });
}

/** Where the gradients of a leaf go (see keepGradientsIn): a slice of an arena. */
interface GradientHome {
  arena: Arena;
  index: number;
}
const gradientHomes = new WeakMap<Tensor, GradientHome>();

/**
 * From now on backward() writes the gradient of `leaf` into slice `index` of `arena` (an optimizer keeping its
 * gradients side by side, to update and clip them with one dispatch: src/optim/optimizer.ts). A copy per
 * gradient, the price of every kernel writing its result where it likes.
 */
export function keepGradientsIn(leaf: Tensor, arena: Arena, index: number): void {
  gradientHomes.set(leaf, { arena, index });
}

/** Undoes keepGradientsIn(leaf, arena, ...), unless the leaf's gradients have moved to another arena since. */
export function forgetGradientHome(leaf: Tensor, arena: Arena): void {
  if (gradientHomes.get(leaf)?.arena === arena) gradientHomes.delete(leaf);
}

/** A tensor in slice `index` of `arena` holding a copy of gradient `value` (see keepGradientsIn). */
export function placeGradient(value: Tensor, arena: Arena, index: number): Tensor {
  const placed = Tensor.inArena(value.shape, value.dtype, arena, index);
  if (value.size > 0) runtime().copy(value.buffer, 0, placed.buffer, 0, value.size * 4);
  return placed;
}

function propagate(
  op: string,
  output: Tensor,
  gradOutput: Tensor | undefined,
  options: BackwardOptions,
  isTarget: (t: Tensor) => boolean,
  deliver: (t: Tensor, g: Tensor) => void,
): void {
  output.assertAlive(op);
  if (!output.requiresGrad) {
    throw new Error(`${op}: tensor #${output.id} ${formatShape(output.shape)} does not require grad (no input of its graph has requiresGrad)`);
  }
  if (!gradOutput && output.size !== 1) {
    throw new Error(`${op}: output has shape ${formatShape(output.shape)}; pass a gradient of that shape for non-scalar outputs`);
  }
  if (gradOutput && formatShape(gradOutput.shape) !== formatShape(output.shape)) {
    throw new Error(`${op}: gradient shape ${formatShape(gradOutput.shape)} does not match output shape ${formatShape(output.shape)}`);
  }
  gradOutput?.assertAlive(op);
  const order = reverseTopologicalOrder(op, output);
  // Tensors made before this point are the graph's (and gradOutput); the backward pass makes the rest.
  const firstNew = nextTensorIdValue();
  /** Runs t's backward rule, checking each tensor made before the pass that the rule reads. */
  const runRule = (t: Tensor, g: Tensor): (Tensor | null)[] => {
    const node = t.node!;
    const watcher = (read: Tensor) => {
      if (read.id >= firstNew) return;
      if (read.isDisposed) throw freedGraphError(op, read, node.name);
      let expected = -1;
      if (read === t) expected = node.versions[node.inputs.length];
      else {
        const i = node.inputs.indexOf(read);
        if (i >= 0) expected = node.versions[i];
      }
      if (expected >= 0 && read.version !== expected) {
        throw new Error(
          `${op}: one of the tensors needed for gradient computation has been modified by an in-place operation: ${node.name}'s saved tensor ` +
            `${formatShape(read.shape)} ${read.dtype} is at version ${read.version}; expected version ${expected} ` +
            `(tensor #${read.id}, changed by assign(), an optimizer step or clipGradNorm after the forward pass; call backward() first, or clone() it)`,
        );
      }
    };
    const previous = watchTensorReads(watcher);
    try {
      return node.backward(g);
    } finally {
      watchTensorReads(previous);
    }
  };
  const run = () => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(output, gradOutput ?? fullLike(output, 1));
    const delivered: [Tensor, Tensor][] = [];
    for (const t of order) {
      const g = grads.get(t);
      if (!g) continue;
      if (isTarget(t)) delivered.push([t, g]);
      if (!t.node) continue;
      const inputGrads = runRule(t, g);
      t.node.inputs.forEach((input, i) => {
        let gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        if (formatShape(gi.shape) !== formatShape(input.shape)) {
          if (!broadcastsTo(input.shape, gi.shape)) {
            throw new Error(`${op} of ${t.node!.name}: gradient for input ${i} has shape ${formatShape(gi.shape)}, expected ${formatShape(input.shape)}`);
          }
          gi = sumTo(gi, input.shape);
        }
        const previous = grads.get(input);
        grads.set(input, previous ? previous.add(gi) : gi);
      });
    }
    // Each target gets a tensor of its own: one gradient tensor may reach several targets (x + x).
    const seen = new Set<Tensor>();
    return delivered.map(([t, g]) => {
      const own = seen.has(g) || g === gradOutput ? g.mul(1) : g;
      seen.add(own);
      return [t, own] as const;
    });
  };
  // Without createGraph, every intermediate gradient is freed once the targets have theirs.
  const results = options.createGraph ? run() : scope(() => noGrad(run));
  if (!(options.retainGraph ?? options.createGraph ?? false)) {
    for (const t of order) {
      if (!t.node) continue;
      t.node.released = true;
      t.node.backward = releasedRule;
    }
  }
  for (const [t, g] of results) deliver(t, g);
}

declare module './tensor.js' {
  interface Tensor {
    /** Fills `.grad` of the leaves this tensor depends on (a scalar, unless `gradOutput` is given). */
    backward(gradOutput?: Tensor, options?: BackwardOptions): void;
  }
}

defineMethods({ backward });
