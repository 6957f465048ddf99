// The contract every step-trained model implements (the VAE, the GAN, the language models): one
// optimisation step on a batch that returns its named losses as GPU tensors, and a state dict that
// holds everything a run needs to continue bit for bit (weights, optimizer state, random streams, the
// step counter). trainLoop drives the steps; saveTrainerCheckpoint / loadTrainerCheckpoint store the
// state as a safetensors file. Also the helpers the implementations share to check a state before
// they change anything.

import { formatShape, Tensor } from '../tensor.js';
import type { Generator } from '../ops/random.js';
import type { OptimizerHyperparameters } from '../optim/optimizer.js';

/**
 * The named scalar losses of one step ({ loss }, { discriminator, generator }, { loss, reconstruction, kl }): GPU
 * tensors without a graph, not read back, freed with the step's scope. trainLoop averages each on the GPU.
 */
export type Losses = Record<string, Tensor>;

/** A random stream's position (Generator.getState()), JSON-able: the 64-bit seed as a decimal string. */
export interface RandomState {
  /** The Philox key, a bigint written in decimal. */
  seed: string;
  /** Draws made so far. */
  offset: number;
}

/** A setting stored with a trainer's state, which must match for the state to load. */
export type TrainerSetting = string | number | boolean | null;

/**
 * The JSON-able part of a {@link TrainerState}: the counters, the random streams and the settings. A checkpoint stores
 * it in its metadata.
 */
export interface TrainerRecord {
  /** Steps taken: the next step is step + 1. */
  step: number;
  /** Further counters to restore, e.g. { epoch } for a trainer that walks a dataset by epochs. */
  counters: Record<string, number>;
  /** Each random stream the steps draw from (noise, dropout), by name. */
  random: Record<string, RandomState>;
  /** The settings the state was trained with (the loss, beta, ...): loading into a trainer with others is refused. */
  settings: Record<string, TrainerSetting>;
}

/** Everything a trainer needs to continue a run exactly where it stopped. */
export interface TrainerState extends TrainerRecord {
  /** The trained modules' tensors (weights, buffers, weight averages) by name; a checkpoint stores them as 'model.<name>'. */
  model: Record<string, Tensor>;
  /** The optimizers' state tensors by name; a checkpoint stores them as 'optimizer.<name>'. */
  optimizer: Record<string, Tensor>;
  /** The optimizers' JSON-able settings (Optimizer.hyperparameters(), or one per optimizer by name). */
  hyperparameters: OptimizerHyperparameters | Record<string, OptimizerHyperparameters>;
}

/**
 * A model's training procedure, step by step. `Batch` is what one step consumes (a batch of images, token windows,
 * real samples per discriminator update).
 */
export interface Trainer<Batch> {
  /** Steps taken so far (restored by loadStateDict). */
  readonly stepCount: number;
  /**
   * One optimisation step on `batch` (forward, backward, update), recorded in the caller's scope. Returns the named
   * scalar losses, still on the GPU.
   */
  step(batch: Batch): Losses;
  /** The trained tensors by name: what trainLoop's NaN/Inf watch checks, with their gradients. */
  namedParameters(): [string, Tensor][];
  /**
   * The whole training state. Model tensors are the live ones and the optimizer's step counts fresh copies: call it
   * inside a scope, which frees the copies, and use it before the next step changes the live tensors.
   */
  stateDict(): TrainerState;
  /**
   * Restores a state from stateDict() (copying it; the caller keeps `state`). Checks the settings and every name,
   * shape and dtype first and throws, changing nothing, on a mismatch.
   */
  loadStateDict(state: TrainerState): Promise<void>;
  /** Frees the trainer's own state (optimizer moments, weight averages); the models belong to the caller. */
  dispose(): void;
}

/** A generator's state for a TrainerState. */
export function randomState(generator: Generator): RandomState {
  const { seed, offset } = generator.getState();
  return { seed: seed.toString(), offset };
}

/** Moves each generator to its stream's position in `random`; throws, moving none, when one is missing. */
export function restoreRandom(owner: string, generators: Record<string, Generator>, random: Record<string, RandomState>): void {
  const missing = Object.keys(generators).filter((name) => !random[name]);
  if (missing.length > 0) throw new Error(`${owner}: the state has no random stream ${missing.map((name) => `'${name}'`).join(', ')}`);
  for (const [name, generator] of Object.entries(generators)) generator.setState({ seed: BigInt(random[name].seed), offset: random[name].offset });
}

/**
 * The settings that differ between a saved state and a trainer, as 'loss nonSaturating; the trainer has loss
 * hinge', or null when they agree.
 */
export function settingsMismatch(saved: Record<string, TrainerSetting>, own: Record<string, TrainerSetting>): string | null {
  const keys = [...new Set([...Object.keys(own), ...Object.keys(saved)])].filter((key) => saved[key] !== own[key]);
  if (keys.length === 0) return null;
  const list = (settings: Record<string, TrainerSetting>) => keys.map((key) => `${key} ${settings[key] ?? 'unset'}`).join(', ');
  return `${list(saved)}; the trainer has ${list(own)}`;
}

/**
 * Checks that `given` holds exactly `expected`'s names with the same shapes and dtypes, listing every problem in one
 * error (so a load can check all its parts before it changes any).
 */
export function checkStateTensors(owner: string, expected: Record<string, Tensor>, given: Record<string, Tensor>): void {
  const problems: string[] = [];
  for (const [name, t] of Object.entries(expected)) {
    const source = given[name];
    if (!source) problems.push(`missing '${name}'`);
    else if (!(source instanceof Tensor) || source.isDisposed) problems.push(`'${name}' is not a live tensor`);
    else if (formatShape(source.shape) !== formatShape(t.shape) || source.dtype !== t.dtype) {
      problems.push(`'${name}' is ${formatShape(source.shape)} ${source.dtype}, expected ${formatShape(t.shape)} ${t.dtype}`);
    }
  }
  for (const name of Object.keys(given)) if (!(name in expected)) problems.push(`unexpected '${name}'`);
  if (problems.length > 0) throw new Error(`${owner}: the state does not match; nothing was loaded: ${problems.join('; ')}`);
}

/** `state` with each name prefixed by `prefix` and a dot. */
export function prefixed(prefix: string, state: Record<string, Tensor>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(state).map(([name, t]) => [`${prefix}.${name}`, t]));
}

/** The entries of `state` whose names start with `prefix` and a dot, the prefix removed. */
export function unprefixed(prefix: string, state: Record<string, Tensor>): Record<string, Tensor> {
  const start = `${prefix}.`;
  return Object.fromEntries(Object.entries(state).filter(([name]) => name.startsWith(start)).map(([name, t]) => [name.slice(start.length), t]));
}
