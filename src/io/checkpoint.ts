// Training checkpoints as safetensors files: a model's state (and an optimizer's) under prefixed names,
// 'model.<name>' and 'optimizer.<name>', with the optimizer's hyperparameters as JSON in __metadata__.
// Loading checks the file and the model's names, shapes and dtypes before it changes anything, and
// restores the optimizer (which validates its own state before changing) before the model, so a corrupt
// file or any mismatch throws and leaves the model as it was.

import { formatShape, scope, type Tensor } from '../tensor.js';
import { deserialize, type HostTensor } from './format.js';
import { loadedDtype, serialize, toLoadable, upload, type LoadableTensor } from './tensors.js';

/** A model: its state is a flat set of named tensors (the nn Module API). */
export interface Stateful {
  /** The tensors by name: live ones or fresh copies (saveCheckpoint frees any tensor this call makes). */
  stateDict(): Record<string, Tensor>;
  /**
   * Copies values from `state` into the object's tensors; the caller keeps ownership of `state`.
   * With `strict` (the default) the names must match stateDict()'s exactly.
   */
  loadStateDict(state: Record<string, Tensor>, options?: { strict?: boolean }): void;
}

/** An optimizer (the optim API): state tensors (moments, step counts) plus JSON-able hyperparameters. */
export interface StatefulOptimizer {
  /** The state tensors by name, possibly fresh copies (saveCheckpoint frees any tensor this call makes). */
  stateDict(): Record<string, Tensor>;
  /** The JSON-able settings stored in the file's metadata (`HYPERPARAMETERS_KEY`). */
  hyperparameters(): object;
  /**
   * Restores state saved by stateDict() and hyperparameters(), copying it (the caller keeps `state`).
   * Must check everything before changing anything, and throw on a mismatch.
   */
  loadStateDict(state: Record<string, Tensor>, hyperparameters?: object): Promise<void> | void;
}

/** What `saveCheckpoint` writes. */
export interface CheckpointContents {
  /** The model; its tensors are stored as 'model.<name>'. */
  model: Stateful;
  /** An optimizer to save too: tensors as 'optimizer.<name>', hyperparameters as JSON in the metadata. */
  optimizer?: StatefulOptimizer;
  /** Extra strings to store in __metadata__ (e.g. the step or the dataset). */
  metadata?: Record<string, string>;
}

/** What `loadCheckpoint` restores, and how strictly. */
export interface LoadCheckpointOptions {
  /** The model to load the 'model.' tensors into. */
  model: Stateful;
  /**
   * Restore the optimizer too; without it, the file's optimizer state is ignored. When the file has no
   * optimizer, strict mode refuses it and otherwise the optimizer is left as it is.
   */
  optimizer?: StatefulOptimizer;
  /**
   * When true (the default) the file must hold exactly the model's names, no more and no fewer, and
   * an optimizer when one is given. Shapes and dtypes must match either way.
   */
  strict?: boolean;
}

/** What `loadCheckpoint` returns besides restoring state in place. */
export interface LoadedCheckpoint {
  /** The file's __metadata__, the hyperparameters entry included. */
  metadata: Record<string, string>;
  /** The optimizer's hyperparameters as saved, or null when the file has none. */
  optimizerHyperparameters: Record<string, unknown> | null;
}

const MODEL_PREFIX = 'model.';
const OPTIMIZER_PREFIX = 'optimizer.';
/** The __metadata__ key that holds the optimizer's hyperparameters as JSON. */
export const HYPERPARAMETERS_KEY = 'optimizer.hyperparameters';

/** A checkpoint as safetensors bytes: the model's state, the optimizer's, and metadata. */
export async function saveCheckpoint({ model, optimizer, metadata = {} }: CheckpointContents): Promise<Uint8Array<ArrayBuffer>> {
  if (HYPERPARAMETERS_KEY in metadata) {
    throw new Error(`saveCheckpoint: the metadata key '${HYPERPARAMETERS_KEY}' is reserved for the optimizer's hyperparameters`);
  }
  const allMetadata = { ...metadata };
  if (optimizer) allMetadata[HYPERPARAMETERS_KEY] = JSON.stringify(optimizer.hyperparameters());
  // serialize() records its GPU copies before returning, so the scope may free the copies that a
  // stateDict() made as soon as it ends; the object wrapper is because scopes refuse a bare promise.
  const pending = scope(() => {
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(model.stateDict())) tensors[MODEL_PREFIX + name] = t;
    for (const [name, t] of Object.entries(optimizer?.stateDict() ?? {})) tensors[OPTIMIZER_PREFIX + name] = t;
    return { bytes: serialize(tensors, allMetadata) };
  });
  return pending.bytes;
}

/**
 * Restores a checkpoint into a model (and optimizer). First the file's format and every model name,
 * shape and dtype are checked, and every value converted; any problem throws an Error listing all
 * mismatches. Then the optimizer is restored (it checks its own state, throwing before it changes),
 * and only then the model. On any error the model is unchanged.
 */
export async function loadCheckpoint(bytes: Uint8Array, { model, optimizer, strict = true }: LoadCheckpointOptions): Promise<LoadedCheckpoint> {
  const file = deserialize(bytes);
  const byPrefix = (prefix: string) =>
    new Map(Object.entries(file.tensors).filter(([name]) => name.startsWith(prefix)).map(([name, t]) => [name.slice(prefix.length), t]));
  const modelTensors = byPrefix(MODEL_PREFIX);
  const optimizerTensors = byPrefix(OPTIMIZER_PREFIX);

  const problems: string[] = [];
  if (strict) {
    const stray = Object.keys(file.tensors).filter((name) => !name.startsWith(MODEL_PREFIX) && !name.startsWith(OPTIMIZER_PREFIX));
    if (stray.length > 0) problems.push(`tensors outside '${MODEL_PREFIX}' and '${OPTIMIZER_PREFIX}': ${stray.join(', ')}`);
  }
  const modelPlan = matchModel(model, modelTensors, strict, problems);
  const optimizerHyperparameters = parseHyperparameters(file.metadata, problems);
  const fileHasOptimizer = optimizerHyperparameters !== null || optimizerTensors.size > 0;
  if (optimizer && strict && !fileHasOptimizer) {
    problems.push(`an optimizer was given but the file holds none (no '${OPTIMIZER_PREFIX}' tensors, no __metadata__['${HYPERPARAMETERS_KEY}'])`);
  }
  if (problems.length > 0) {
    throw new Error(`loadCheckpoint: the checkpoint does not match; nothing was changed:\n  ${problems.join('\n  ')}`);
  }

  const convert = (prefix: string, plan: [string, HostTensor][]) =>
    plan.map(([name, host]) => [name, toLoadable('loadCheckpoint', prefix + name, host)] as [string, LoadableTensor]);
  const modelValues = convert(MODEL_PREFIX, modelPlan);
  const restoredOptimizer = fileHasOptimizer ? optimizer : undefined;
  const optimizerValues = restoredOptimizer ? convert(OPTIMIZER_PREFIX, [...optimizerTensors]) : [];

  const modelState = upload(modelValues);
  try {
    const optimizerState = upload(optimizerValues);
    try {
      await restoredOptimizer?.loadStateDict(optimizerState, optimizerHyperparameters ?? undefined);
    } finally {
      for (const t of Object.values(optimizerState)) t.dispose();
    }
    model.loadStateDict(modelState, { strict });
  } finally {
    for (const t of Object.values(modelState)) t.dispose();
  }
  return { metadata: file.metadata, optimizerHyperparameters };
}

/**
 * Pairs the model's state dict with the file's model tensors, adding every mismatch to `problems`.
 * Returns the file tensors to load, by unprefixed name.
 */
function matchModel(model: Stateful, fromFile: Map<string, HostTensor>, strict: boolean, problems: string[]): [string, HostTensor][] {
  // Only shapes and dtypes are needed: a scope frees any copies a stateDict() makes.
  const expected = scope(() =>
    Object.fromEntries(Object.entries(model.stateDict()).map(([name, t]) => [name, { id: t.id, shape: t.shape, dtype: t.dtype, isDisposed: t.isDisposed }])),
  );
  const plan: [string, HostTensor][] = [];
  const missing: string[] = [];
  for (const [name, t] of Object.entries(expected)) {
    const stored = fromFile.get(name);
    if (!stored) {
      missing.push(MODEL_PREFIX + name);
      continue;
    }
    const dtype = loadedDtype(stored.dtype);
    if (t.isDisposed) {
      problems.push(`${MODEL_PREFIX}${name}: the model's tensor #${t.id} was disposed`);
    } else if (dtype === null) {
      problems.push(`${MODEL_PREFIX}${name}: the file's dtype ${stored.dtype} cannot be loaded (the model has ${formatShape(t.shape)} ${t.dtype})`);
    } else if (formatShape(stored.shape) !== formatShape(t.shape) || dtype !== t.dtype) {
      const stores = dtype === stored.dtype.toLowerCase() ? dtype : `${stored.dtype}, loaded as ${dtype}`;
      problems.push(`${MODEL_PREFIX}${name}: ${formatShape(stored.shape)} ${stores} in the file, ${formatShape(t.shape)} ${t.dtype} in the model`);
    } else {
      plan.push([name, stored]);
    }
  }
  if (strict) {
    if (missing.length > 0) problems.push(`missing from the file: ${missing.join(', ')}`);
    const unexpected = [...fromFile.keys()].filter((name) => !Object.hasOwn(expected, name)).map((name) => MODEL_PREFIX + name);
    if (unexpected.length > 0) problems.push(`in the file but not in the model: ${unexpected.join(', ')}`);
  }
  return plan;
}

function parseHyperparameters(metadata: Record<string, string>, problems: string[]): Record<string, unknown> | null {
  const text = metadata[HYPERPARAMETERS_KEY];
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    problems.push(`__metadata__['${HYPERPARAMETERS_KEY}'] must be a JSON object, got ${text}`);
  } catch (e) {
    problems.push(`__metadata__['${HYPERPARAMETERS_KEY}'] is not valid JSON: ${(e as Error).message}`);
  }
  return null;
}
