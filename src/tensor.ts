// The Tensor: a shape, a dtype and a GPU buffer (shared by reshape views and reference-counted),
// plus the autograd fields. Op methods (x.add(y), x.sum(1), ...) are attached by the files in
// src/ops/, each beside its kernel and backward rule; this file holds what every op relies on:
// allocation, readback, disposal and memory scopes.

import { runtime } from './context.js';
import type { GradNode } from './autograd.js';
import { sizeClass, type BufferRef, type Runtime } from './gpu/runtime.js';
import type { Arena } from './gpu/arena.js';

/** Element type of a tensor. All three are 4 bytes per element on the GPU; comparisons and masks are f32. */
export type DType = 'f32' | 'i32' | 'u32';

/** Bytes per element and the typed array for each dtype (all are 4 bytes on the GPU). */
export const dtypeArray = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;
/** The host-side array for any dtype, as `data()` returns and `tensor()` accepts. */
export type TypedArray = Float32Array | Int32Array | Uint32Array;
/** A number or arbitrarily nested arrays of numbers (as `toArray()` returns and `tensor()` accepts). */
export type NestedArray = number | NestedArray[];

/**
 * What a pending tensor (see Tensor.pending) runs to get its values; src/ops/fusion.ts makes these.
 */
export interface PendingValues {
  /** Records the kernel that writes the values into `out`. */
  compute(out: BufferRef): void;
  /** Lets go of the storage it reads: after compute, or instead of it when the tensor is disposed first. */
  release(): void;
}

/** A tensor's memory as a pending expression holds it: retained while it may still read the buffer. */
export interface SharedStorage {
  /** The GPU buffer, or a slice of an arena's (allocated on first use). */
  readonly buffer: BufferRef;
  /** Pending tensors that will read this buffer: an in-place write (bumpVersion) computes them first. */
  readonly readers: Set<Tensor>;
  /** Keeps the buffer from returning to the pool until the matching release(). */
  retain(): SharedStorage;
  /** Lets go of one hold; the last one returns the buffer to its runtime's pool. */
  release(): void;
}

/**
 * A GPU buffer (or a slice of an arena's: src/gpu/arena.ts) shared by a tensor and its reshape views;
 * returned to the pool of the runtime that made it (never to another runtime's) when the last one goes.
 * Its version counts in-place writes, as PyTorch's version counter: views share it because they share the
 * memory. A pending tensor's buffer is allocated when its values are computed, so a fused group's
 * intermediates never take memory.
 */
class Storage implements SharedStorage {
  readonly runtime: Runtime;
  readonly readers = new Set<Tensor>();
  version = 0;
  private allocated: BufferRef | null;
  private refs = 1;
  private readonly bytes: number;
  /** The arena whose slice `allocated` is, holding a reference for this storage; null for a buffer of its own. */
  arena: Arena | null;
  constructor(bytes: number, owner: Runtime, buffer: BufferRef | null, arena: Arena | null = null) {
    this.bytes = bytes;
    this.allocated = buffer;
    this.runtime = owner;
    this.arena = arena;
  }
  get buffer(): BufferRef {
    return (this.allocated ??= this.runtime.allocate(this.bytes));
  }
  /** Copies the values into slice `index` of `arena` and lives there from now on, for every tensor that shares it. */
  moveTo(arena: Arena, index: number): void {
    const slice = arena.slices[index];
    arena.retain();
    if (this.bytes > 0) this.runtime.copy(this.buffer, 0, slice, 0, this.bytes);
    this.releaseMemory();
    this.allocated = slice;
    this.arena = arena;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.releaseMemory();
  }
  private releaseMemory(): void {
    if (!this.allocated) return;
    if (this.arena) this.arena.release();
    else this.runtime.release(this.allocated as GPUBuffer);
  }
}

// ---- memory scopes -------------------------------------------------------------------------------

class MemoryScope {
  readonly tensors = new Set<Tensor>();
}
const scopeStack: MemoryScope[] = [];
let nextTensorId = 1;

/**
 * While autograd runs a backward rule, this sees every tensor whose buffer the rule reads (through
 * `buffer`, a reshape view, or a failed `assertAlive`), so that it can check the tensors the graph saved:
 * not disposed, and not changed in place since the forward pass (see src/autograd.ts).
 */
let readWatcher: ((t: Tensor) => void) | null = null;

/** Installs (or with null removes) the backward pass's read watcher; returns the previous one. For src/autograd.ts. */
export function watchTensorReads(watcher: ((t: Tensor) => void) | null): ((t: Tensor) => void) | null {
  const previous = readWatcher;
  readWatcher = watcher;
  return previous;
}

/** The id the next tensor will get: every tensor made before this call has a smaller one. */
export function nextTensorIdValue(): number {
  return nextTensorId;
}

/** Optional: warn about tensors that were garbage-collected without dispose() (their buffer leaked). */
const leakWatch =
  typeof FinalizationRegistry !== 'undefined'
    ? new FinalizationRegistry<string>((description) => {
        if (Tensor.warnOnLeak) console.warn(`gengpu: ${description} was garbage-collected without dispose(); its GPU buffer leaked`);
      })
    : null;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Throws an error naming `op` and the shape unless a tensor of `shape` fits in one storage buffer of
 * the device: checked before anything is allocated, so an op asked for too large a result leaks nothing.
 * `what` is the tensor, as the error calls it.
 */
export function checkFitsDevice(op: string, shape: readonly number[], dtype: DType, what = 'the result'): void {
  const bytes = shapeSize(shape) * 4;
  const limit = runtime().maxBufferBytes;
  if (sizeClass(Math.max(4, bytes)) > limit) {
    throw new Error(`${op}: ${what} ${formatShape(shape)} ${dtype} needs ${bytes} bytes, more than this device's largest storage buffer (${limit} bytes)`);
  }
}

/**
 * An n-dimensional array on the GPU: a shape, a dtype and a pooled buffer shared with its reshape views, plus
 * the autograd fields. Op methods (`x.add(y)`, `x.sum(1)`, ...) are attached by the op modules. Free it with
 * `dispose()` or let a `scope()` do it; reading values back (`data`, `item`, ...) is the only async part.
 */
export class Tensor {
  /** When true, a tensor garbage-collected without dispose() prints a warning. */
  static warnOnLeak = false;

  /** A process-unique number, shown in error messages. */
  readonly id = nextTensorId++;
  /** Dimensions, outermost first (frozen); `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements: the product of `shape` (1 for a scalar). */
  readonly size: number;
  /** True when gradients flow to this tensor: set on leaves by the user, on op results by autograd. */
  requiresGrad = false;
  /** The accumulated gradient of a leaf after backward(); owned (and disposed) by this tensor. */
  grad: Tensor | null = null;
  /** The op that made this tensor, for autograd; null for leaves. */
  node: GradNode | null = null;

  private storage: Storage | null;
  /** What computes this tensor's values when something first needs them (null once they exist). */
  private pendingValues: PendingValues | null = null;
  private scope: MemoryScope | null = null;
  /** The version when dispose() released the storage. */
  private finalVersion = 0;
  /** The name of the op that made this tensor, kept after dispose() (which drops `node`) for error messages. */
  private madeBy: string | null = null;

  /** Wraps a buffer; ops use Tensor.empty or Tensor.view rather than this. */
  private constructor(shape: readonly number[], dtype: DType, storage: Storage) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${formatShape(shape)} (dimensions must be integers >= 0)`);
    }
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = shapeSize(shape);
    this.storage = storage;
    const scope = scopeStack[scopeStack.length - 1];
    if (scope) {
      scope.tensors.add(this);
      this.scope = scope;
    }
    leakWatch?.register(this, `tensor #${this.id} ${formatShape(shape)} ${dtype}`, this);
  }

  /**
   * A new tensor with uninitialised contents (a pooled buffer). `op`, when given, is named in the error
   * for a shape too large for the device (see checkFitsDevice).
   */
  static empty(shape: readonly number[], dtype: DType = 'f32', op?: string): Tensor {
    if (op !== undefined) checkFitsDevice(op, shape, dtype);
    const rt = runtime();
    const bytes = shapeSize(shape) * 4;
    return new Tensor(shape, dtype, new Storage(bytes, rt, rt.allocate(bytes)));
  }

  /**
   * A tensor whose values `values` computes when something first needs its buffer (a kernel input, a
   * read, a view, an in-place write of what it reads, the end of its scope): how fused elementwise ops
   * (src/ops/fusion.ts) defer their work. Its buffer is allocated then too.
   */
  static pending(shape: readonly number[], dtype: DType, values: PendingValues, op: string): Tensor {
    try {
      checkFitsDevice(op, shape, dtype);
    } catch (error) {
      values.release(); // the storage it retained to read
      throw error;
    }
    const t = new Tensor(shape, dtype, new Storage(shapeSize(shape) * 4, runtime(), null));
    t.pendingValues = values;
    return t;
  }

  /**
   * A tensor of `shape` in slice `index` of `arena` (its current contents), or over the range of slices
   * index..last (gaps included), holding a reference to the arena.
   */
  static inArena(shape: readonly number[], dtype: DType, arena: Arena, index: number, last = index): Tensor {
    const slice = last === index ? arena.slices[index] : arena.range(index, last);
    return new Tensor(shape, dtype, new Storage(shapeSize(shape) * 4, runtime(), slice, arena.retain()));
  }

  /**
   * Moves this tensor's values into slice `index` of `arena` (sized for it) and makes that slice its memory
   * from now on: an optimizer gathering its parameters (src/optim/optimizer.ts). The tensor, and every reshape
   * view of it, stays the same object, so modules and graphs that hold them see the move (from another arena
   * too: an optimizer made after another).
   */
  moveToArena(arena: Arena, index: number): void {
    this.assertAlive('moveToArena');
    if (arena.memberBytes[index] !== this.size * 4) throw new Error(`moveToArena: slice ${index} holds ${arena.memberBytes[index]} bytes, not the ${this.size * 4} of tensor #${this.id} ${formatShape(this.shape)}`);
    this.realize();
    // Pending tensors that read this memory compute their values from it first.
    for (const reader of [...this.storage!.readers]) reader.realize();
    this.storage!.moveTo(arena, index);
  }

  /** The arena this tensor's memory lies in, or null. */
  get arena(): Arena | null {
    return this.storage?.arena ?? null;
  }

  /** A tensor sharing this one's buffer with another shape of the same size (used by reshape). */
  static view(source: Tensor, shape: readonly number[]): Tensor {
    source.assertAlive('view');
    if (readWatcher !== null) readWatcher(source);
    source.realize(); // the view shares the buffer, so the values must be in it
    return new Tensor(shape, source.dtype, source.storage!.retain());
  }

  /** Number of dimensions (`shape.length`). */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements, as PyTorch's `numel()` (the same as `size`). */
  numel(): number {
    return this.size;
  }

  /** True once `dispose()` has released the buffer; any further use throws. */
  get isDisposed(): boolean {
    return this.storage === null;
  }

  /** The GPU buffer, or the slice of one it lives in; throws a clear error after dispose() or once its runtime is gone. */
  get buffer(): BufferRef {
    this.noteRead('buffer');
    this.realize();
    return this.storage!.buffer;
  }

  /**
   * Marks a read of this tensor by `op` (the read watcher sees it, a disposed tensor throws) without
   * touching the buffer: for ops that record an expression now and read the buffer later.
   */
  noteRead(op: string): void {
    if (readWatcher !== null) readWatcher(this);
    this.assertAlive(op);
  }

  /** True while this tensor's values are a recorded expression not yet computed (see Tensor.pending). */
  get isPending(): boolean {
    return this.pendingValues !== null;
  }

  /** Computes a pending tensor's values now (records its kernel); nothing for any other tensor. */
  realize(): void {
    const values = this.pendingValues;
    if (values === null) return;
    this.pendingValues = null;
    try {
      values.compute(this.storage!.buffer);
    } finally {
      values.release();
    }
  }

  /**
   * Drops a pending tensor's recorded values without computing them, because a kernel already recorded
   * writes them into its buffer (a matmul whose fused epilogue also stores the product: src/ops/fusion.ts).
   */
  markComputed(): void {
    const values = this.pendingValues;
    if (values === null) return;
    this.pendingValues = null;
    values.release();
  }

  /** This tensor's memory, for a pending expression that will read it (src/ops/fusion.ts). */
  get sharedStorage(): SharedStorage {
    this.assertAlive('sharedStorage');
    return this.storage!;
  }

  /**
   * How many in-place writes this tensor's memory has had (assign, optimizer steps, clipGradNorm): autograd's
   * version counter, shared with reshape views. The graph records the versions of the tensors an op saves, and
   * backward() refuses to use one that has changed since.
   */
  get version(): number {
    return this.storage ? this.storage.version : this.finalVersion;
  }

  /**
   * Records an in-place write of this tensor's memory (for ops that change a buffer in place; see
   * `version`); call it before recording the write.
   */
  bumpVersion(): void {
    this.assertAlive('bumpVersion');
    // Called before the write is recorded: pending tensors that read the old values compute them first.
    for (const reader of [...this.storage!.readers]) reader.realize();
    this.storage!.version++;
  }

  /** The name of the op that made this tensor (null for a leaf), still known after dispose(). */
  get opName(): string | null {
    return this.node ? this.node.name : this.madeBy;
  }

  /**
   * Throws an error naming `op` if this tensor has been disposed, or if its runtime is gone (shutdown(), or a
   * lost device): tensors never move to the runtime of a later init().
   */
  assertAlive(op: string): void {
    const storage = this.storage;
    if (!storage) {
      if (readWatcher !== null) readWatcher(this);
      throw new Error(`${op}: tensor #${this.id} ${formatShape(this.shape)} ${this.dtype} was used after dispose()`);
    }
    const gone = storage.runtime.retirement;
    if (gone !== null) {
      throw new Error(`${op}: tensor #${this.id} ${formatShape(this.shape)} ${this.dtype} belongs to a runtime ${gone}; tensors do not move between init() calls`);
    }
  }

  /**
   * Releases the GPU buffer (and this tensor's gradient). Calling it twice is harmless. A tensor whose runtime
   * was shut down can still be disposed: its buffer died with that runtime and goes to no pool.
   */
  dispose(): void {
    if (!this.storage) return;
    this.finalVersion = this.storage.version;
    this.madeBy = this.node?.name ?? null;
    // Disposed before anything needed its values: they are never computed.
    this.pendingValues?.release();
    this.pendingValues = null;
    this.storage.release();
    this.storage = null;
    this.scope?.tensors.delete(this);
    this.scope = null;
    leakWatch?.unregister(this);
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
  }

  /** Marks a leaf tensor as a parameter whose gradient backward() should compute. */
  requiresGrad_(flag = true): this {
    if (this.node && !flag) throw new Error(`requiresGrad_: tensor #${this.id} is the result of an op; use detach()`);
    this.requiresGrad = flag;
    return this;
  }

  // ---- readback (the only async part of the API) ----

  /** The values as a flat typed array (waits for the GPU). */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    const bytes = await this.storage!.runtime.read(this.buffer, 0, this.size * 4);
    return new dtypeArray[this.dtype](bytes);
  }

  /** The values as nested JS arrays in this tensor's shape. */
  async toArray(): Promise<NestedArray> {
    return nest(await this.data(), this.shape);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has shape ${formatShape(this.shape)} (${this.size} elements); item() needs exactly 1`);
    return (await this.data())[0];
  }

  /** Values formatted like PyTorch prints them (reads the GPU). */
  async format(precision = 4): Promise<string> {
    const values = await this.data();
    const fmt = (v: number) => (this.dtype === 'f32' ? Number(v.toPrecision(precision)).toString() : String(v));
    const build = (dim: number, offset: number, indent: string): string => {
      if (dim === this.rank) return fmt(values[offset]);
      const n = this.shape[dim];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const items: string[] = [];
      const limit = n > 8 ? [0, 1, 2, -1, n - 3, n - 2, n - 1] : [...Array(n).keys()];
      for (const i of limit) items.push(i < 0 ? '...' : build(dim + 1, offset + i * stride, indent + ' '));
      const sep = dim === this.rank - 1 ? ', ' : `,\n${indent} `;
      return `[${items.join(sep)}]`;
    };
    return `tensor(${build(0, 0, '       ')}, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
  }

  /**
   * A one-line description (shape, dtype, grad state, producing op) without reading the GPU, which also says
   * how to get the values: reading them is asynchronous, so string conversion cannot show them.
   */
  toString(): string {
    const state = this.isDisposed ? ', disposed' : this.requiresGrad ? ', requiresGrad' : '';
    const origin = this.node ? `, from ${this.node.name}` : '';
    const values = this.isDisposed ? '' : '; values: await t.data(), t.toArray() or t.format()';
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${state}${origin}${values})`;
  }

  // ---- scope bookkeeping ----

  /** Takes the tensor out of the memory scope it was made in, so that scope's end keeps it. */
  keep(): this {
    this.scope?.tensors.delete(this);
    this.scope = null;
    return this;
  }

  /** Moves the tensor into another scope (used when a scope hands its result to its parent). */
  adoptInto(scope: MemoryScope | null): void {
    this.scope?.tensors.delete(this);
    this.scope = scope;
    scope?.tensors.add(this);
  }
}

/**
 * The key `using` calls at the end of a block: Symbol.dispose where the JavaScript engine has it, else the
 * registered symbol that polyfills install under the same name.
 */
export const disposeSymbol: typeof Symbol.dispose =
  (Symbol as { dispose?: typeof Symbol.dispose }).dispose ?? (Symbol.for('Symbol.dispose') as typeof Symbol.dispose);

// Defined on the prototype rather than in the class body: a computed `[Symbol.dispose]` key would be
// evaluated once, at class definition, as undefined on engines without the symbol.
Object.defineProperty(Tensor.prototype, disposeSymbol, {
  value: function (this: Tensor) {
    this.dispose();
  },
  writable: true,
  configurable: true,
});

/** The method `using` calls: the same as dispose(). */
export interface Tensor {
  /** The same as `dispose()`, so that `using t = ...` frees the tensor at the end of the block. */
  [Symbol.dispose](): void;
}

// Consumers compiling without the ESNext.Disposable lib still see Symbol.dispose in these declarations.
declare global {
  interface SymbolConstructor {
    /** The method a `using` declaration calls at the end of its block. */
    readonly dispose: unique symbol;
  }
}

function nest(values: TypedArray, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return values[0];
  const build = (dim: number, offset: number): NestedArray[] => {
    const n = shape[dim];
    const stride = shapeSize(shape.slice(dim + 1));
    const out: NestedArray[] = [];
    for (let i = 0; i < n; i++) out.push(dim === shape.length - 1 ? values[offset + i] : build(dim + 1, offset + i * stride));
    return out;
  };
  return build(0, 0);
}

/** Tensors found in a value returned from a scope (a tensor, or arrays / plain objects of them). */
function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
}

/** What becomes of a scope's tensors when it ends: `returned` move to the enclosing scope, parameters stay, the rest go. */
function closeScope(inner: MemoryScope, returned: ReadonlySet<Tensor>, realizeReturned = true): void {
  const parent = scopeStack[scopeStack.length - 1] ?? null;
  for (const t of [...inner.tensors]) {
    if (returned.has(t)) t.adoptInto(parent);
    else if (t.requiresGrad && !t.node) t.keep();
    else t.dispose();
  }
  // After the others go: a returned expression retains what it reads, and a matmul it fuses as its
  // epilogue need not store a product nothing else can read any more.
  if (realizeReturned) for (const t of returned) t.realize();
}

/**
 * A memory scope opened by `scope()` without a function, for a `using` declaration:
 * `{ using _ = scope(); ... }` disposes every tensor made in the block when the block ends, except
 * tensors marked with keep() (which then belong to no scope: dispose them yourself) and parameters.
 * Scopes close in the reverse order of opening, as nested `using` blocks do.
 */
export class OpenScope {
  private readonly inner = new MemoryScope();
  private open = true;

  /** Opens the scope: tensors made from now on belong to it. Call `scope()` rather than this. */
  constructor() {
    scopeStack.push(this.inner);
  }

  /** Closes the scope and disposes its tensors (see the class). Calling it twice is harmless. */
  dispose(): void {
    if (!this.open) return;
    if (scopeStack[scopeStack.length - 1] !== this.inner) {
      throw new Error('scope: closed while a scope opened inside it is still open; scopes close in the reverse order of opening');
    }
    scopeStack.pop();
    this.open = false;
    closeScope(this.inner, new Set());
  }
}

/** The method `using` calls: the same as dispose(). */
export interface OpenScope {
  /** The same as `dispose()`, so that `using _ = scope()` closes the scope at the end of the block. */
  [Symbol.dispose](): void;
}

// As on Tensor: the key is the runtime's Symbol.dispose, or its registered stand-in.
Object.defineProperty(OpenScope.prototype, disposeSymbol, {
  value: OpenScope.prototype.dispose,
  writable: true,
  configurable: true,
});

/**
 * Runs `fn` and then disposes every tensor created inside it, except the tensors it returns (which
 * move to the enclosing scope), tensors marked with keep(), and parameters (leaf tensors that
 * require grad). Scopes nest. `fn` must be synchronous: tensors made after an await would be lost.
 *
 * A returned tensor keeps its values but not its graph: the intermediates its backward pass needs are
 * disposed with the scope, so call backward() inside the scope that made the graph (backward() on a
 * tensor whose graph was freed raises an error naming the freed tensor's op; it never yields partial
 * gradients).
 *
 * Without `fn`, opens a scope that lasts until its `dispose()`, for `using` (see {@link OpenScope}).
 */
export function scope(): OpenScope;
export function scope<T>(fn: () => T): T;
export function scope<T>(fn?: () => T): T | OpenScope {
  if (fn === undefined) return new OpenScope();
  return runScope(fn, true);
}

/**
 * scope(fn) for an op composed of other ops (autograd's composite): its intermediates go when it ends, but
 * a pending result stays pending (its expression retains what it reads), so the ops after it can still
 * fuse with it: a linear layer's `x Wᵀ + b` with the activation that follows.
 */
export function opScope<T>(fn: () => T): T {
  return runScope(fn, false);
}

function runScope<T>(fn: () => T, realizeReturned: boolean): T {
  const inner = new MemoryScope();
  scopeStack.push(inner);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new Error('scope: the function returned a Promise; scopes must be synchronous (await outside, dispose() inside)');
    }
  } catch (error) {
    for (const t of [...inner.tensors]) if (!(t.requiresGrad && !t.node)) t.dispose();
    throw error;
  } finally {
    scopeStack.pop();
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  closeScope(inner, returned, realizeReturned);
  return result;
}
