// Reverse-mode automatic differentiation. Every differentiable op calls `record()` with its inputs
// and a backward rule written with tensor ops (so backward is itself differentiable: pass
// `createGraph` to get gradients of gradients). `backward()` walks the graph in reverse topological
// order, accumulating gradients, and stores them in the `.grad` of the leaves that require them.

import { Tensor, formatShape, scope } from './tensor.js';
import { fullLike } from './ops/creation.js';
import { defineMethods } from './ops/methods.js';

/** Given the gradient of the output, returns one gradient per input (null where none flows). */
export type BackwardRule = (gradOutput: Tensor) => (Tensor | null)[];

/** How an op result was made, for the backward pass: the op, its inputs and its backward rule. */
export interface GradNode {
  /** The op's name (shown by `Tensor.toString` and in errors). */
  name: string;
  /** The op's tensor inputs, in the order the backward rule returns their gradients. */
  inputs: Tensor[];
  /** Maps the output's gradient to the inputs' gradients. */
  backward: BackwardRule;
}

let gradEnabled = true;

/** False inside `noGrad()`: ops then record no graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` without recording a graph (for evaluation and optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Called by each op after computing `output`: if gradients are on and any input requires one, the
 * output remembers how it was made. Returns `output` for chaining.
 */
export function record(name: string, inputs: Tensor[], output: Tensor, backward: BackwardRule): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    output.requiresGrad = true;
    output.node = { name, inputs, backward };
  }
  return output;
}

/** Tensors reachable from `root` through graph nodes, each after all tensors that depend on it. */
function reverseTopologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (RNNs unrolled over long sequences) would overflow the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.node?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
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
}

/**
 * Gradients of `output` with respect to `inputs` (returned, not stored in `.grad`). With
 * `createGraph`, the returned gradients carry a graph of their own (needed for gradient penalties).
 */
export function grad(output: Tensor, inputs: Tensor[], gradOutput?: Tensor, options: BackwardOptions = {}): Tensor[] {
  const wanted = new Set(inputs);
  const results = new Map<Tensor, Tensor>();
  propagate(output, gradOutput, options, (t) => wanted.has(t), (t, g) => results.set(t, g));
  return inputs.map((t) => {
    const g = results.get(t);
    if (g) return g;
    if (!t.requiresGrad) throw new Error(`grad: input tensor #${t.id} ${formatShape(t.shape)} does not require grad`);
    return fullLike(t, 0);
  });
}

/** Fills `.grad` of every leaf that requires grad and contributed to `output` (accumulating). */
export function backward(output: Tensor, gradOutput?: Tensor, options: BackwardOptions = {}): void {
  propagate(output, gradOutput, options, (t) => !t.node, (leaf, g) => {
    if (leaf.grad) {
      const previous = leaf.grad;
      leaf.grad = previous.add(g).keep();
      previous.dispose();
    } else {
      leaf.grad = g.keep();
    }
  });
}

function propagate(
  output: Tensor,
  gradOutput: Tensor | undefined,
  options: BackwardOptions,
  isTarget: (t: Tensor) => boolean,
  deliver: (t: Tensor, g: Tensor) => void,
): void {
  output.assertAlive('backward');
  if (!output.requiresGrad) {
    throw new Error(`backward: tensor #${output.id} ${formatShape(output.shape)} does not require grad (no input of its graph has requiresGrad)`);
  }
  if (!gradOutput && output.size !== 1) {
    throw new Error(`backward: output has shape ${formatShape(output.shape)}; pass a gradient of that shape for non-scalar outputs`);
  }
  if (gradOutput && formatShape(gradOutput.shape) !== formatShape(output.shape)) {
    throw new Error(`backward: gradient shape ${formatShape(gradOutput.shape)} does not match output shape ${formatShape(output.shape)}`);
  }
  const order = reverseTopologicalOrder(output);
  const run = () => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(output, gradOutput ?? fullLike(output, 1));
    const delivered: [Tensor, Tensor][] = [];
    for (const t of order) {
      const g = grads.get(t);
      if (!g) continue;
      if (isTarget(t)) delivered.push([t, g]);
      if (!t.node) continue;
      const inputGrads = t.node.backward(g);
      t.node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        if (formatShape(gi.shape) !== formatShape(input.shape)) {
          throw new Error(`backward of ${t.node!.name}: gradient for input ${i} has shape ${formatShape(gi.shape)}, expected ${formatShape(input.shape)}`);
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
  for (const [t, g] of results) deliver(t, g);
}

declare module './tensor.js' {
  interface Tensor {
    /** Fills `.grad` of the leaves this tensor depends on (a scalar, unless `gradOutput` is given). */
    backward(gradOutput?: Tensor, options?: BackwardOptions): void;
  }
}

defineMethods({ backward });
