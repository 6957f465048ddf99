// Step capture and replay: gg.capture(step) returns a function that runs `step` eagerly for its
// first calls, records the GPU commands of two calls, and from then on replays them without running
// any op code: no shape checks, no autograd graph, no tensors made, one submit. What replays is
// what the recordings did, as with jax.jit: numbers computed in JS inside the step are fixed,
// except those of optimizers and random generators, whose per-step values (step count, learning
// rate, draw counter) their own code remakes at each replay (Runtime.replayable). Two recordings
// that differ (other kernels, other buffers, other uniform values: a JS number that changes from
// step to step) mean the step cannot be replayed, and calls stay eager, saying why once.

import { runtime } from '../context.js';
import { Tensor, scope } from '../tensor.js';
import type { Recording, ReplayPlan } from '../gpu/replay.js';
import { bufferOf } from '../gpu/runtime.js';

/** What a captured function returns: a tensor, a list of tensors or a record of them. */
export type CaptureResult = Tensor | readonly Tensor[] | { readonly [name: string]: Tensor };

/** Options of {@link capture}. */
export interface CaptureOptions {
  /** Calls run eagerly before the two that are recorded (default 1: optimizers make their state on their first step). */
  warmup?: number;
  /** Told, once per reason, when calls run eagerly instead of replaying (default console.warn). */
  onFallback?: (message: string) => void;
}

/** A function made by {@link capture}: call it as the original; it replays once it has recorded. */
export interface CapturedFunction<A extends Tensor[], R extends CaptureResult> {
  (...args: A): R;
  /** 'eager' (warming up, or refused), 'recording' (the two recorded calls) or 'replaying'. */
  readonly mode: 'eager' | 'recording' | 'replaying';
  /** Why the last call that could have replayed did not, or null. */
  readonly fallbackReason: string | null;
  /** Calls replayed so far. */
  readonly replays: number;
  /** Frees what the recording holds (its copies of the arguments and results, the buffers it reserved). */
  dispose(): void;
}

/** Recordings compared before giving up: a step may settle after its first calls (state made lazily). */
const RECORDING_ATTEMPTS = 3;

/**
 * Captures a training step (or any function of tensors that does the same GPU work each call) for
 * replay. `fn` takes tensors (a batch) and returns tensors (the losses); the captured function is
 * called the same way and returns new tensors that the caller owns. Replays need arguments of the
 * recorded shapes and dtypes; other shapes (a last, smaller batch) run eagerly and the function
 * records again. Tensors the step uses besides its arguments (parameters, gradients, optimizer
 * state) must stay the same tensors: disposing or replacing one makes the next call eager and
 * re-recording. `fn` must not read tensors back (data(), item()): return them instead. Every call
 * runs in a scope of its own, as a replay makes no tensors but its results.
 */
export function capture<A extends Tensor[], R extends CaptureResult>(fn: (...args: A) => R, options: CaptureOptions = {}): CapturedFunction<A, R> {
  const warmup = options.warmup ?? 1;
  const onFallback = options.onFallback ?? ((message: string) => console.warn(message));
  const told = new Set<string>();
  let calls = 0;
  let attempts = 0;
  let replays = 0;
  let refused: string | null = null;
  let fallbackReason: string | null = null;
  let disposed = false;
  /** The recordings' own copies of the arguments: replays copy each call's arguments into them. */
  let inputs: Tensor[] | null = null;
  let previous: Recording | null = null;
  let plan: ReplayPlan | null = null;
  /** The last recorded call's results, which replays overwrite and copy out. */
  let outputs: R | null = null;

  const fallBack = (reason: string) => {
    fallbackReason = reason;
    if (told.has(reason)) return;
    told.add(reason);
    onFallback(`capture: ${reason}; running eagerly`);
  };
  // The arguments' and results' copies count as held by the capture (MemoryStats.capturedBuffers), not live.
  const hold = (tensors: Tensor[]) => tensors.forEach((t) => runtime().holdForCapture(bufferOf(t.buffer)));
  const letGo = (tensors: Tensor[]) => tensors.forEach((t) => {
    runtime().releaseFromCapture(bufferOf(t.buffer));
    t.dispose();
  });
  const dropRecording = () => {
    if (plan) runtime().releasePlan(plan);
    if (outputs) letGo(tensorsOf(outputs));
    plan = null;
    outputs = null;
    previous = null;
  };
  const dropInputs = () => {
    if (inputs) letGo(inputs);
    inputs = null;
  };

  const captured = ((...args: A): R => {
    if (disposed) throw new Error('capture: the captured function was disposed');
    args.forEach((a, i) => {
      if (!(a instanceof Tensor)) throw new Error(`capture: argument ${i} is not a tensor (captured functions take tensors)`);
      a.assertAlive('capture');
    });
    const rt = runtime();
    if (plan) {
      const mismatch = differentArguments(args, inputs!);
      if (mismatch === null) {
        copyInto(args, inputs!);
        const refusal = rt.replay(plan);
        if (refusal === null) {
          replays++;
          fallbackReason = null;
          return mapResult(outputs!, copyOf);
        }
        fallBack(refusal);
      } else {
        fallBack(mismatch);
      }
      // Eager work changes what the recording relied on (gradients are remade): record again.
      dropRecording();
      attempts = 0;
      return scope(() => fn(...args));
    }
    if (refused !== null || calls++ < warmup) return scope(() => fn(...args));

    if (!inputs || differentArguments(args, inputs) !== null) {
      dropInputs();
      previous = null;
      inputs = args.map((a) => copyOf(a).keep());
      hold(inputs);
    } else {
      copyInto(args, inputs);
    }
    // The results are copied inside the recording: replays then write copies the capture owns, even
    // where `fn` returns a tensor it did not make (a parameter, an argument).
    const { result, recording } = rt.record(() => scope(() => mapResult(fn(...(inputs as A)), copyOf)));
    if (recording.reads > 0) {
      tensorsOf(result).forEach((t) => t.dispose());
      throw new Error('capture: the captured function read a tensor back (data(), item(), ...); return the tensor instead and read it after the call');
    }
    if (previous === null) {
      previous = recording;
      return mapResult(result, (t) => t);
    }
    const difference = previous.difference(recording);
    if (difference !== null) {
      previous = recording;
      if (++attempts >= RECORDING_ATTEMPTS) {
        refused = `the step does not do the same GPU work on every call: ${difference}`;
        fallBack(refused);
        dropInputs();
        previous = null;
      }
      return result;
    }
    plan = rt.planReplay(recording);
    outputs = result;
    tensorsOf(result).forEach((t) => t.keep());
    hold(tensorsOf(result));
    return mapResult(result, copyOf);
  }) as CapturedFunction<A, R>;

  Object.defineProperties(captured, {
    mode: { get: () => (plan ? 'replaying' : refused !== null || calls <= warmup ? 'eager' : 'recording') },
    fallbackReason: { get: () => fallbackReason },
    replays: { get: () => replays },
  });
  (captured as { dispose: () => void }).dispose = () => {
    if (disposed) return;
    disposed = true;
    dropRecording();
    dropInputs();
  };
  return captured;
}

/** Null when `args` have the shapes and dtypes of the recorded `inputs`, else what differs. */
function differentArguments(args: readonly Tensor[], inputs: readonly Tensor[]): string | null {
  if (args.length !== inputs.length) return `it was recorded with ${inputs.length} arguments and called with ${args.length}`;
  for (let i = 0; i < args.length; i++) {
    const [a, r] = [args[i], inputs[i]];
    if (a.dtype !== r.dtype || a.shape.join() !== r.shape.join()) {
      return `argument ${i} is ${a.dtype} [${a.shape.join(', ')}], recorded as ${r.dtype} [${r.shape.join(', ')}]`;
    }
  }
  return null;
}

/** A new tensor with t's values: a buffer-to-buffer copy (no kernel, no autograd). */
function copyOf(t: Tensor): Tensor {
  const out = Tensor.empty(t.shape, t.dtype);
  if (t.size > 0) runtime().copy(t.buffer, 0, out.buffer, 0, t.size * 4);
  return out;
}

/** Copies each argument's values into the recording's copy of it (GPU to GPU). */
function copyInto(args: readonly Tensor[], inputs: readonly Tensor[]): void {
  const rt = runtime();
  args.forEach((a, i) => {
    if (a.size > 0) rt.copy(a.buffer, 0, inputs[i].buffer, 0, a.size * 4);
    inputs[i].bumpVersion();
  });
}

function tensorsOf(result: CaptureResult): Tensor[] {
  if (result instanceof Tensor) return [result];
  if (Array.isArray(result)) return [...(result as readonly Tensor[])];
  return Object.values(result as Record<string, Tensor>);
}

/** `result` with each tensor passed through `f`, in the same shape (tensor, list or record). */
function mapResult<R extends CaptureResult>(result: R, f: (t: Tensor) => Tensor): R {
  if (result instanceof Tensor) return f(result) as R;
  if (Array.isArray(result)) return (result as readonly Tensor[]).map(f) as unknown as R;
  return Object.fromEntries(Object.entries(result as Record<string, Tensor>).map(([k, t]) => [k, f(t)])) as R;
}
