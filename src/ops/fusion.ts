// Elementwise fusion. While it is on (setFusion; the default), the ops of src/ops/elementwise.ts (unary math, scalar
// arithmetic, broadcasting binary ops, where, casts) record an expression over their inputs instead of
// launching a kernel; the result is a pending tensor (Tensor.pending), and the first thing that needs
// its buffer (another kind of op, a read, a view, an in-place write of an input, the end of a scope)
// runs one generated kernel, shaders/fused.wgsl filled in, for the whole expression. The generated code
// calls the op functions the hand-written kernels include (shaders/include/unary_ops.wgsl and
// binary_ops.wgsl), so results are the same bits with fusion on or off. Kernels are cached by their
// WGSL, which depends on the expression's structure, dtypes, which inputs broadcast and the lanes,
// never on sizes, strides or scalar values: those travel as uniforms.
//
// Matmul epilogues: with fusion on, a matrix product is deferred too (deferProduct; src/ops/matmul.ts),
// and an elementwise group that reads a deferred product at its own output coordinates (x W + b, its
// activation, a residual added) runs in the product's store stage: one kernel, the matmul variant's
// with its store_out replaced by the group's expression (shaders/include/matmul_common.wgsl). While
// anything else may still read the product (its tensor is alive, another group reads it), the kernel
// stores it too, so it is never computed twice; a product nothing reads is stored nowhere.

import { runtime } from '../context.js';
import { Tensor, type DType, type PendingValues, type SharedStorage } from '../tensor.js';
import { fillTemplate, type BufferRef, type KernelBuffers } from '../gpu/runtime.js';
import * as wgsl from '../gpu/shaders.generated.js';
import type { Binding, Shader } from '../gpu/shaders.generated.js';
import { broadcastStrides, collapseDims, grid1d, sameShape } from './shape.js';

/**
 * The most ops, distinct inputs, distinct scalar arguments and collapsed dimensions one generated kernel
 * takes (the last three: shaders/fused.wgsl's Params).
 */
const MAX_FUSED_OPS = 256;
const MAX_FUSED_INPUTS = 6;
const MAX_FUSED_SCALARS = 16;
const MAX_FUSED_RANK = 4;
/**
 * The most inputs besides the product and distinct scalars a matmul epilogue takes: its Params are the
 * product's and these (shape, strides, scalars) within one 256-byte uniform slot.
 */
const MAX_EPILOGUE_INPUTS = 3;
const MAX_EPILOGUE_SCALARS = 8;

/** A node of a recorded expression; unary nodes take a scalar argument (equal ones share a slot). */
type Expr = InputExpr | UnaryExpr | BinaryExpr | WhereExpr | CastExpr;
/**
 * A computed tensor's memory, read at the expression's output coordinates (broadcast where its shape is
 * smaller); or a deferred matmul's, which `product` computes (in the group's kernel, or before it).
 */
interface InputExpr {
  kind: 'input';
  storage: SharedStorage;
  shape: readonly number[];
  dtype: DType;
  product?: PendingProduct;
}
/** op_<op>(x, alpha) of include/unary_ops.wgsl (f32). */
interface UnaryExpr {
  kind: 'unary';
  op: string;
  x: Expr;
  alpha: number;
  dtype: 'f32';
}
/** op_<op>(a, b) of include/binary_ops.wgsl for operands of `operandDtype`. */
interface BinaryExpr {
  kind: 'binary';
  op: string;
  a: Expr;
  b: Expr;
  operandDtype: DType;
  dtype: DType;
}
/** where.wgsl's select: a where the f32 condition is non-zero, else b. */
interface WhereExpr {
  kind: 'where';
  condition: Expr;
  a: Expr;
  b: Expr;
  dtype: DType;
}
/** cast.wgsl's conversion to `dtype`. */
interface CastExpr {
  kind: 'cast';
  x: Expr;
  dtype: DType;
}

let fusionEnabled = true;

/**
 * Turns elementwise fusion on or off (default on). Either way results are bit-identical; with it on,
 * chains of elementwise ops run as one kernel each, made when their result is first needed; off, each
 * op launches its hand-written kernel at once.
 */
export function setFusion(enabled: boolean): void {
  fusionEnabled = enabled;
}

/** Whether elementwise ops are fused (see setFusion). */
export function isFusionEnabled(): boolean {
  return fusionEnabled;
}

/** The expression of each pending tensor made here, for the ops that take it as an input. */
const expressions = new WeakMap<Tensor, FusedValues>();

/** The distinct inputs of an expression, in the order the kernel binds them. */
function inputsOf(root: Expr): InputExpr[] {
  const inputs: InputExpr[] = [];
  walk(root, (e) => {
    if (e.kind === 'input' && !inputs.some((known) => sameInput(known, e))) inputs.push(e);
  });
  return inputs;
}

function sameInput(a: InputExpr, b: InputExpr): boolean {
  return a.storage === b.storage && a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

/** Visits each node of the DAG once, operands before the ops that use them. */
function walk(root: Expr, visit: (e: Expr) => void): void {
  const seen = new Set<Expr>();
  const visitNode = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    operandsOf(e).forEach(visitNode);
    visit(e);
  };
  visitNode(root);
}

/** What a group would take: its ops (shared nodes counted once per use), distinct inputs and distinct scalars. */
interface GroupSize {
  ops: number;
  inputs: InputExpr[];
  scalars: Set<string>;
}

/** Each node's GroupSize, made from its operands' as nodes are built: no walk of the group per op. */
const sizes = new WeakMap<Expr, GroupSize>();

/** A scalar argument as a key that tells -0 from 0 (equal keys share a uniform slot). */
function scalarKey(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

function operandsOf(e: Expr): Expr[] {
  if (e.kind === 'unary' || e.kind === 'cast') return [e.x];
  if (e.kind === 'binary') return [e.a, e.b];
  if (e.kind === 'where') return [e.condition, e.a, e.b];
  return [];
}

function groupSize(e: Expr): GroupSize {
  let size = sizes.get(e);
  if (size) return size;
  if (e.kind === 'input') {
    size = { ops: 0, inputs: [e], scalars: new Set() };
  } else {
    size = { ops: 1, inputs: [], scalars: new Set(e.kind === 'unary' ? [scalarKey(e.alpha)] : []) };
    for (const operand of operandsOf(e)) {
      const part = groupSize(operand);
      size.ops += part.ops;
      for (const input of part.inputs) if (!size.inputs.some((known) => sameInput(known, input))) size.inputs.push(input);
      for (const key of part.scalars) size.scalars.add(key);
    }
  }
  sizes.set(e, size);
  return size;
}

/** Whether one generated kernel takes the group of `root` over `shape`. */
function fits(root: Expr, shape: readonly number[]): boolean {
  const size = groupSize(root);
  return size.ops <= MAX_FUSED_OPS && size.inputs.length <= MAX_FUSED_INPUTS && size.scalars.size <= MAX_FUSED_SCALARS && layout(shape, size.inputs) !== null;
}

/** The output shape collapsed with every input's strides, or null when it needs more than MAX_FUSED_RANK dimensions. */
function layout(shape: readonly number[], inputs: readonly InputExpr[]): { shape: number[]; strides: number[][] } | null {
  const collapsed = collapseDims(shape, inputs.map((input) => broadcastStrides(input.shape, shape)));
  return collapsed.shape.length <= MAX_FUSED_RANK ? collapsed : null;
}

/** A pending tensor's expression: retains the memory it reads until it is computed or dropped. */
class FusedValues implements PendingValues {
  private readonly inputs: InputExpr[];
  private owner: Tensor | null = null;
  readonly root: Expr;
  readonly shape: readonly number[];
  constructor(root: Expr, shape: readonly number[]) {
    this.root = root;
    this.shape = shape;
    this.inputs = [...groupSize(root).inputs];
    for (const input of this.inputs) {
      input.storage.retain();
      input.product?.retain();
    }
  }

  /** The storages whose in-place writes must compute this group first: its inputs', and those its products read. */
  private watched(): SharedStorage[] {
    return this.inputs.flatMap((input) => [input.storage, ...(input.product?.operands ?? [])]);
  }

  /** Registers `owner` as a reader of each input's memory (so an in-place write computes it first). */
  attach(owner: Tensor): void {
    this.owner = owner;
    for (const storage of this.watched()) storage.readers.add(owner);
  }

  /** The deferred product this group can compute in its store stage, if any, with the epilogue's parts (see epilogueParts). */
  epilogue(): Epilogue | undefined {
    for (const input of this.inputs) {
      if (!input.product || input.product.done) continue;
      const parts = epilogueParts(this.root, this.shape, input);
      if (parts) return { input, parts };
    }
    return undefined;
  }

  compute(out: BufferRef): void {
    const epilogue = this.epilogue();
    // Other deferred products run first, alone, into their tensors' memory.
    for (const input of this.inputs) if (input !== epilogue?.input && input.product && !input.product.done) input.product.computeInto(input.storage);
    if (epilogue) {
      computeWithEpilogue(epilogue, out);
      return;
    }
    const kernel = generate(this.root, this.shape);
    const buffers: Record<string, BufferRef> = { out };
    kernel.inputs.forEach((input, k) => (buffers[`in${k}`] = input.storage.buffer));
    const strides = kernel.layout.strides.flatMap((s) => [...s, 0, 0, 0, 0].slice(0, 4));
    const n = shapeSizeOf(this.shape) / kernel.lanes;
    runtime().dispatch({
      shader: kernel.shader,
      constants: { RANK: kernel.layout.shape.length },
      params: { n, shape: kernel.layout.shape, strides, scalars: kernel.scalars },
      buffers: buffers as KernelBuffers,
      workgroups: grid1d(n),
    });
  }

  release(): void {
    if (this.owner) for (const storage of this.watched()) storage.readers.delete(this.owner);
    for (const input of this.inputs) {
      input.storage.release();
      input.product?.drop();
    }
    this.inputs.length = 0;
  }
}

/** A group's deferred product, and the parts of the group's body as that product's epilogue. */
interface Epilogue {
  input: InputExpr;
  parts: KernelParts;
}

/**
 * Records the epilogue's product with the group as its store stage, writing the group's values to `out`;
 * the product itself is stored too while anything else may read it.
 */
function computeWithEpilogue({ input, parts }: Epilogue, out: BufferRef): void {
  const product = input.product!;
  const keep = product.readBeyondThisGroup;
  const kernel = generateEpilogue(parts, product, keep);
  const buffers: Record<string, BufferRef | undefined> = { a: product.operands[0].buffer, b: product.operands[1].buffer, out: keep ? input.storage.buffer : undefined, result: out };
  kernel.inputs.forEach((other, k) => (buffers[`in${k}`] = other.storage.buffer));
  product.launch.run(kernel.shader, {
    params: {
      shape: kernel.layout.shape,
      strides: kernel.layout.strides.flatMap((s) => [...s, 0, 0, 0, 0].slice(0, 4)),
      scalars: kernel.scalars,
    },
    constants: { RANK: kernel.layout.shape.length },
    buffers,
  });
  product.settle();
}

/** How a deferred product (src/ops/matmul.ts) is launched, alone or with an epilogue. */
export interface ProductLaunch {
  /** The product alone: a kernel with shaders/include/matmul_common.wgsl's Params and bindings, storing through store_out. */
  readonly shader: Shader;
  /**
   * Records the product with `shader` (this one, or an epilogue made from it), passing the Params fields
   * and constants it adds to the product's, and its buffers (a and b among them).
   */
  run(shader: Shader, kernel: { params: Record<string, number[]>; constants: Record<string, number>; buffers: Record<string, BufferRef | undefined> }): void;
}

/**
 * A deferred matmul's values: retains a and b until it is computed, by its tensor's realize() alone or by a
 * group's kernel as that group's epilogue. Counted: its tensor holds it, and each group that reads it.
 */
class PendingProduct implements PendingValues {
  /** a's and b's memory. */
  readonly operands: SharedStorage[];
  readonly launch: ProductLaunch;
  /** True once a kernel that stores the product (or the last thing to read it) has been recorded. */
  done = false;
  private holders = 1;
  /** Its tensor while that is pending (attached until computed or disposed). */
  private owner: Tensor | null = null;
  constructor(operands: Tensor[], launch: ProductLaunch) {
    this.operands = operands.map((t) => t.sharedStorage.retain());
    this.launch = launch;
  }

  /** Registers the product's tensor as a reader of a and b (an in-place write of either computes it first). */
  attach(owner: Tensor): void {
    this.owner = owner;
    for (const storage of this.operands) storage.readers.add(owner);
  }

  compute(out: BufferRef): void {
    this.done = true;
    this.launch.run(this.launch.shader, { params: {}, constants: {}, buffers: { a: this.operands[0].buffer, b: this.operands[1].buffer, out } });
  }

  /** Computes the product alone into `storage` (its tensor's, which a group retains). */
  computeInto(storage: SharedStorage): void {
    if (this.owner) this.owner.realize();
    else this.compute(storage.buffer);
  }

  /** Whether its tensor or another group may still read the product (besides the group computing now). */
  get readBeyondThisGroup(): boolean {
    return this.holders > 1;
  }

  /** After an epilogue kernel was recorded: its tensor, if alive, now has its values. */
  settle(): void {
    this.done = true;
    this.owner?.markComputed();
  }

  /** A group's hold, until it lets go with drop(). */
  retain(): void {
    this.holders++;
  }

  /** Its tensor's hold, let go once the values are computed or the tensor is disposed. */
  release(): void {
    this.detachOwner();
    this.drop();
  }

  /** Lets go of one hold; the last releases a and b. */
  drop(): void {
    if (--this.holders === 0) for (const storage of this.operands) storage.release();
  }

  private detachOwner(): void {
    if (!this.owner) return;
    for (const storage of this.operands) storage.readers.delete(this.owner);
    this.owner = null;
  }
}

/** The values of each deferred product made here. */
const products = new WeakMap<Tensor, PendingProduct>();

/**
 * The product of a matmul as a pending tensor of `shape` when fusion is on (computed when first needed,
 * by `launch` alone or with the elementwise group that reads it as its epilogue), or null when the caller
 * should launch it now. a and b are read now (their pending values computed) and retained.
 */
export function deferProduct(shape: readonly number[], operands: [Tensor, Tensor], launch: ProductLaunch): Tensor | null {
  if (!fusionEnabled) return null;
  for (const t of operands) {
    t.noteRead('matmul');
    t.realize();
  }
  const values = new PendingProduct(operands, launch);
  const result = Tensor.pending(shape, 'f32', values, 'matmul');
  values.attach(result);
  products.set(result, values);
  return result;
}

function shapeSizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The operand an op records for tensor `t`: its expression while it is pending, else its memory. */
function operand(t: Tensor, fuseInto: boolean): Expr {
  if (t.isPending && fuseInto) {
    const pending = expressions.get(t);
    if (pending) return pending.root;
    const product = products.get(t);
    if (product) return { kind: 'input', storage: t.sharedStorage, shape: t.shape, dtype: t.dtype, product };
  }
  t.realize();
  return { kind: 'input', storage: t.sharedStorage, shape: t.shape, dtype: t.dtype };
}

/**
 * The pending result of an elementwise op on `tensors` when fusion is on, or null when the caller should
 * launch its own kernel (fusion off, an empty result, or a layout the generated kernels do not take).
 * `build` makes the op's node from its operands' nodes. Pending operands are fused in while the group
 * stays within the MAX_FUSED_ limits; past them they are computed first.
 */
function fuse(op: string, tensors: readonly Tensor[], shape: readonly number[], dtype: DType, build: (operands: Expr[]) => Expr): Tensor | null {
  if (!fusionEnabled || shapeSizeOf(shape) === 0) return null;
  // The read watcher (autograd's saved-tensor checks) sees these reads now, as a kernel launch's.
  for (const t of tensors) t.noteRead(op);
  let root = build(tensors.map((t) => operand(t, true)));
  if (!fits(root, shape)) {
    root = build(tensors.map((t) => operand(t, false)));
    if (!fits(root, shape)) return null;
  }
  const values = new FusedValues(root, shape);
  const result = Tensor.pending(shape, dtype, values, op);
  values.attach(result);
  expressions.set(result, values);
  return result;
}

/** unaryKernel's op (f32), fused; null when the caller should launch it itself. */
export function fuseUnary(op: string, x: Tensor, alpha: number, name: string): Tensor | null {
  return fuse(name, [x], x.shape, 'f32', ([e]) => ({ kind: 'unary', op, x: e, alpha, dtype: 'f32' }));
}

/** A broadcasting binary op (`op` the binary_ops function without op_), fused; null when the caller should launch it. */
export function fuseBinary(name: string, op: string, a: Tensor, b: Tensor, shape: readonly number[], dtype: DType): Tensor | null {
  return fuse(name, [a, b], shape, dtype, ([ea, eb]) => ({ kind: 'binary', op, a: ea, b: eb, operandDtype: a.dtype, dtype }));
}

/** where(condition, a, b), fused; null when the caller should launch it. */
export function fuseWhere(condition: Tensor, a: Tensor, b: Tensor, shape: readonly number[]): Tensor | null {
  return fuse('where', [condition, a, b], shape, a.dtype, ([ec, ea, eb]) => ({ kind: 'where', condition: ec, a: ea, b: eb, dtype: a.dtype }));
}

/** A dtype conversion, fused; null when the caller should launch it. */
export function fuseCast(x: Tensor, dtype: DType): Tensor | null {
  return fuse('cast', [x], x.shape, dtype, ([e]) => ({ kind: 'cast', x: e, dtype }));
}

// ---- code generation -----------------------------------------------------------------------------

/** A generated kernel and what one launch of it for a particular expression passes. */
interface GeneratedKernel {
  shader: Shader;
  /** The inputs it binds (in0, in1, ...): an epilogue's product is not among them. */
  inputs: InputExpr[];
  layout: { shape: number[]; strides: number[][] };
  lanes: 1 | 4;
  scalars: number[];
}

/** Generated kernels by their generated parts (which determine the WGSL). */
const kernels = new Map<string, Shader>();

/** The WGSL type of one value of `dtype` with the kernel's lanes: the aliases of shaders/fused.wgsl. */
const laneAlias: Record<DType, string> = { f32: 'F', i32: 'FI', u32: 'FU' };

/** What generateParts makes: the kernel's varying parts and what a launch passes. */
interface KernelParts extends Omit<GeneratedKernel, 'shader'> {
  /** Bindings, binary-op dtypes and body together: they determine the WGSL, and are the cache key. */
  key: string;
  bindings: string[];
  binaryOps: string;
  body: string[];
}

/**
 * Where a generated body goes: a fused kernel of its own (the default: out[i] = the root, 4 lanes where
 * the layout allows), a matmul's store stage (`product` is the epilogue's `value`, not bound; the root
 * goes to `result`; one lane), or a reduction's loads (`load`: the body returns the root, with the
 * reduction's `lanes`; its inputs bound from `firstBinding`).
 */
interface BodyPlace {
  product?: InputExpr;
  load?: { lanes: 1 | 4; firstBinding: number };
}

/**
 * The generated parts of the kernel for `root` over `shape` placed at `place`: its input bindings (and
 * the output after them), the binary ops its dtypes need, and the body, one `let` per node ending with
 * the store (or return) of the root at index i; its inputs, layout, lanes and scalar arguments. Null
 * when a reduction's 4 lanes cannot read this layout.
 */
function generateParts(root: Expr, shape: readonly number[], place: BodyPlace = {}): KernelParts | null {
  const { product, load } = place;
  const isProduct = (e: InputExpr) => product !== undefined && sameInput(e, product);
  const inputs = inputsOf(root).filter((input) => !isProduct(input));
  const collapsed = layout(shape, inputs)!;
  const contiguous = inputs.map((input) => sameShape(input.shape, shape));
  const lanes = load ? load.lanes : !product && fourLanes(collapsed) ? 4 : 1;
  if (lanes === 4 && !fourLanes(collapsed)) return null;
  const wide = (t: string) => (lanes === 4 ? `vec4<${t}>` : t);
  // With 4 lanes, an input broadcast along the last dimension (stride 0 there) is read one value at a
  // time and splat; every other input is read 4 values at a time.
  const last = collapsed.shape.length - 1;
  const splat = inputs.map((_, k) => lanes === 4 && !contiguous[k] && collapsed.strides[k][last] === 0);
  const names = new Map<Expr, string>();
  const scalars: number[] = [];
  /** The slot of each distinct scalar argument. */
  const slots = new Map<string, number>();
  const operandDtypes = new Set<DType>();
  const body: string[] = [];
  walk(root, (e) => {
    const name = `v${names.size}`;
    names.set(e, name);
    const of = (operand: Expr) => names.get(operand)!;
    let value: string;
    if (e.kind === 'input' && isProduct(e)) {
      value = 'value';
    } else if (e.kind === 'input') {
      const k = inputs.findIndex((input) => sameInput(input, e));
      const offset = `offset_of(c, p.strides[${k}], ZERO)`;
      value = contiguous[k] ? `in${k}[i]` : splat[k] ? `${wide(e.dtype)}(in${k}[${offset}])` : lanes === 4 ? `in${k}[${offset} / 4u]` : `in${k}[${offset}]`;
    } else if (e.kind === 'unary') {
      const key = scalarKey(e.alpha);
      if (!slots.has(key)) slots.set(key, scalars.push(e.alpha) - 1);
      value = `op_${e.op}(${of(e.x)}, scalar(${slots.get(key)}u))`;
    } else if (e.kind === 'binary') {
      operandDtypes.add(e.operandDtype);
      value = `op_${e.op}_${e.operandDtype}(${of(e.a)}, ${of(e.b)})`;
    } else if (e.kind === 'where') {
      value = `select(${of(e.b)}, ${of(e.a)}, ${of(e.condition)} != F(0.0))`;
    } else {
      value = `${laneAlias[e.dtype]}(${of(e.x)})`;
    }
    body.push(`  let ${name} = ${value};`);
  });
  const output = product ? 'result' : 'out';
  body.push(load ? `  return ${names.get(root)};` : `  ${output}[i] = ${names.get(root)};`);
  if (!contiguous.every(Boolean)) body.unshift(`  let c = ${product ? epilogueCoords(collapsed.shape, shape) : `coords_of(${lanes === 4 ? 'i * 4u' : 'i'})`};`);
  const firstBinding = load ? load.firstBinding : product ? 4 : 1;
  const bindings = inputs.map((input, k) => `@group(0) @binding(${firstBinding + k}) var<storage, read> in${k}: array<${splat[k] ? input.dtype : wide(input.dtype)}>;`);
  if (!load) bindings.push(`@group(0) @binding(${firstBinding + inputs.length}) var<storage, read_write> ${output}: array<${wide(root.dtype)}>;`);
  const dtypes = [...operandDtypes].sort();
  const key = `${lanes}|${dtypes.join()}|${bindings.join('\n')}|${body.join('\n')}`;
  const binaryOps = dtypes.map(binaryOpsFor).join('\n');
  return { key, bindings, binaryOps, body, inputs, layout: collapsed, lanes, scalars };
}

/**
 * Whether a kernel over this collapsed layout can compute 4 outputs per invocation: the last dimension's
 * extent is a multiple of 4, and every input either walks it contiguously from a multiple of 4 (stride
 * 1 there, the others multiples of 4: vec4 loads) or is broadcast along it (stride 0: one value, splat).
 */
function fourLanes(collapsed: { shape: number[]; strides: number[][] }): boolean {
  const last = collapsed.shape.length - 1;
  if (collapsed.shape[last] % 4 !== 0) return false;
  return collapsed.strides.every((strides) => strides[last] === 0 || (strides[last] === 1 && strides.every((s, d) => d === last || s % 4 === 0)));
}

/** include/binary_ops.wgsl for operands of `dtype`: its names suffixed with the dtype, T that dtype with the kernel's lanes. */
function binaryOpsFor(dtype: DType): string {
  const renamed = wgsl.include_binary_ops
    .replace(/\b(op_\w+|nan_of|ordered_t|IS_FLOAT)\b/g, `$1_${dtype}`)
    .replace(/\bT\b/g, `T_${dtype}`);
  return `alias T_${dtype} = ${laneAlias[dtype]};\nconst IS_FLOAT_${dtype}: bool = ${dtype === 'f32'};\n${renamed}`;
}

/** The shader of `parts`, made from `fill()` the first time its key is met. */
function cachedShader(key: string, name: string, fill: () => Pick<Shader, 'wgsl' | 'params' | 'paramBytes' | 'bindings'>): Shader {
  let shader = kernels.get(key);
  if (!shader) {
    // A name of its own: the runtime's pipeline cache is keyed by the shader's name and template.
    shader = { name: `${name}_${kernels.size}`, ...fill() };
    kernels.set(key, shader);
  }
  return shader;
}

function generate(root: Expr, shape: readonly number[]): GeneratedKernel {
  const parts = generateParts(root, shape)!;
  const lanes = (t: string) => (parts.lanes === 4 ? `vec4<${t}>` : t);
  const shader = cachedShader(parts.key, 'fused', () => {
    const bindings: Binding[] = parts.inputs.map((_, k) => ({ binding: k + 1, name: `in${k}`, access: 'read' }));
    bindings.push({ binding: parts.inputs.length + 1, name: 'out', access: 'read_write' });
    const wgslText = fillTemplate(wgsl.fused, {
      F: lanes('f32'),
      U: lanes('u32'),
      I: lanes('i32'),
      B: lanes('bool'),
      COORDS: wgsl.include_coords_rank,
      BINDINGS: parts.bindings.join('\n'),
      OP_LIBRARY: `${wgsl.include_ieee}\n${wgsl.include_unary_ops}`,
      BINARY_OPS: parts.binaryOps,
      BODY: parts.body.join('\n'),
    });
    return { wgsl: wgslText, params: wgsl.fused.params, paramBytes: wgsl.fused.paramBytes, bindings };
  });
  return { shader, ...parts };
}

/**
 * The parts of an epilogue kernel computing the group of `root` over `shape` in the store stage of the
 * product that `product` reads, or null when the group cannot be one: it must read the product at its
 * own output coordinates (the same shape, f32), and fit the epilogue's limits.
 */
function epilogueParts(root: Expr, shape: readonly number[], product: InputExpr): KernelParts | null {
  if (product.dtype !== 'f32' || !sameShape(product.shape, shape)) return null;
  const parts = generateParts(root, shape, { product })!;
  return parts.inputs.length <= MAX_EPILOGUE_INPUTS && parts.scalars.length <= MAX_EPILOGUE_SCALARS ? parts : null;
}

/**
 * The coordinates of an epilogue's output (z, m, n) in its collapsed layout: read off without dividing
 * when that layout is the output's rows by its columns (a bias broadcast over rows) or flat, else from
 * the flat index (integer division is slow on GPUs, and split into scalar code on a CPU's SIMD lanes).
 */
function epilogueCoords(collapsed: readonly number[], shape: readonly number[]): string {
  if (collapsed.length === 1) return 'Coords(vec4<u32>(i, 0u, 0u, 0u), ZERO)';
  if (collapsed.length === 2 && collapsed[1] === shape[shape.length - 1]) return 'Coords(vec4<u32>(z * p.M + m, n, 0u, 0u), ZERO)';
  return 'coords_of(i)';
}

/**
 * Params fields for a generated body grafted onto a hand-written kernel, from `offset` on: the fused
 * kernels' shape, and strides for `inputs` inputs and `scalars` scalars.
 */
function graftFields(offset: number, inputs: number, scalars: number): Shader['params'] {
  return [
    { name: 'shape', type: 'array<vec4<u32>, 2>', offset, element: 'u32', count: 8 },
    { name: 'strides', type: `array<vec4<u32>, ${inputs}>`, offset: offset + 32, element: 'u32', count: 4 * inputs },
    { name: 'scalars', type: `array<vec4<f32>, ${scalars / 4}>`, offset: offset + 32 + 16 * inputs, element: 'f32', count: scalars },
  ];
}

/**
 * The shader made from the hand-written kernel text `code` (its Params, bindings and uniform layout those
 * of `base`) by replacing its function `hook` with `replacement`, a generated body of `parts`: its Params
 * gain graftFields, the input bindings and the op library follow (with the lane aliases and IEEE helpers
 * unless the kernel has its own: `ownLibrary`), and `extraBindings` join base's.
 */
function graft(base: Shader, code: string, hook: RegExp, replacement: string, parts: KernelParts, limits: { inputs: number; scalars: number }, ownLibrary: boolean, extraBindings: Binding[]): Pick<Shader, 'wgsl' | 'params' | 'paramBytes' | 'bindings'> {
  const fields = graftFields(Math.ceil(base.paramBytes / 16) * 16, limits.inputs, limits.scalars);
  const end = fields[fields.length - 1];
  const library = [
    ...(ownLibrary ? ['alias V = F;'] : ['alias F = f32;', 'alias V = F;', 'alias FU = u32;', 'alias FI = i32;', 'alias FB = bool;']),
    wgsl.include_coords_rank, ...parts.bindings, ...(ownLibrary ? [] : [wgsl.include_ieee]), wgsl.include_unary_ops, parts.binaryOps,
    'const ZERO = vec4<u32>(0u);',
    'fn scalar(k: u32) -> f32 { return p.scalars[k / 4u][k % 4u]; }',
  ].join('\n');
  const withFields = replaceOnce(code, /(struct Params \{\n[^}]*)\}/, `$1${fields.map((f) => `  ${f.name}: ${f.type},\n`).join('')}}`);
  return {
    wgsl: `${replaceOnce(withFields, hook, replacement)}\n${library}\n`,
    params: [...base.params, ...fields],
    paramBytes: end.offset + end.count * 4,
    bindings: [...base.bindings, ...extraBindings],
  };
}

/**
 * The kernel of `product` with the group of `parts` as its epilogue: its Params gain the group's fields,
 * its store_out computes the group's value at the output (z, m, n) from the product's `value` and writes
 * it to `result` (and, with `keep`, the product to `out`), and the op library follows.
 */
function generateEpilogue(parts: KernelParts, product: PendingProduct, keep: boolean): GeneratedKernel {
  const base = product.launch.shader;
  const shader = cachedShader(`${base.name}|${keep}|${parts.key}`, `${base.name}_epilogue`, () => {
    const storeOut = [
      'fn store_out(z: u32, m: u32, n: u32, value: f32) {',
      '  let i = (z * p.M + m) * p.N + n;',
      ...(keep ? ['  out[i] = value;'] : []),
      ...parts.body,
      '}',
    ].join('\n');
    const bindings: Binding[] = parts.inputs.map((_, k) => ({ binding: 4 + k, name: `in${k}`, access: 'read' }));
    bindings.push({ binding: 4 + parts.inputs.length, name: 'result', access: 'read_write' });
    const limits = { inputs: MAX_EPILOGUE_INPUTS, scalars: MAX_EPILOGUE_SCALARS };
    return graft(base, base.wgsl, /fn store_out\(z: u32, m: u32, n: u32, value: f32\) \{\n[^}]*\n\}/, storeOut, parts, limits, false, bindings);
  });
  return { shader, ...parts };
}

/** What a kernel made by fusedLoads adds to its hand-written kernel's launch. */
export interface FusedLoads {
  /** The kernel, its template already filled. */
  shader: Shader;
  params: { shape: number[]; strides: number[]; scalars: number[] };
  constants: { RANK: number };
  /** The expression's inputs (in0, in1, ...); the kernel's own x is not read. */
  buffers: Record<string, BufferRef>;
}

/**
 * A reduction's producer fused into its loads: the kernel `base` (shaders/reduce.wgsl, filled with
 * `template`) with its load_x replaced by the pending expression of `x`, `lanes` values per load (a vec4
 * T reads 4), so x never reaches memory. Null when x is not a pending group of elementwise ops, or its
 * layout cannot be read 4 values at a time where the kernel asks for 4. x stays pending: whatever else
 * reads it computes it then, as for a group fused into two others.
 */
export function fusedLoads(x: Tensor, base: Shader, template: Record<string, string | number>, lanes: 1 | 4): FusedLoads | null {
  const values = x.isPending ? expressions.get(x) : undefined;
  if (!values) return null;
  const firstBinding = Math.max(...base.bindings.map((b) => b.binding)) + 1;
  const parts = generateParts(values.root, values.shape, { load: { lanes, firstBinding } });
  if (!parts) return null;
  x.noteRead(base.name);
  // Deferred products it reads run first, alone, into their tensors' memory.
  for (const input of parts.inputs) if (input.product && !input.product.done) input.product.computeInto(input.storage);
  const shader = cachedShader(`loads|${base.name}|${JSON.stringify(template)}|${parts.key}`, `${base.name}_loads`, () => {
    const load = ['fn load_x(i: u32) -> T {', ...parts.body, '}'].join('\n');
    const bindings: Binding[] = parts.inputs.map((_, k) => ({ binding: firstBinding + k, name: `in${k}`, access: 'read' }));
    const limits = { inputs: MAX_FUSED_INPUTS, scalars: MAX_FUSED_SCALARS };
    return graft(base, fillTemplate(base, template), /fn load_x\(at: u32\) -> T \{\n[^}]*\n\}/, load, parts, limits, true, bindings);
  });
  const buffers: Record<string, BufferRef> = {};
  parts.inputs.forEach((input, k) => (buffers[`in${k}`] = input.storage.buffer));
  return {
    shader,
    params: { shape: parts.layout.shape, strides: parts.layout.strides.flatMap((s) => [...s, 0, 0, 0, 0].slice(0, 4)), scalars: parts.scalars },
    constants: { RANK: parts.layout.shape.length },
    buffers,
  };
}

/** `text` with the one match of `pattern` replaced (a graft must find what it replaces). */
function replaceOnce(text: string, pattern: RegExp, replacement: string): string {
  const matches = text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
  if (matches !== 1) throw new Error(`fusion: a kernel to graft onto has ${matches} matches of ${pattern.source}, expected one`);
  return text.replace(pattern, replacement);
}

/**
 * The WGSL of the kernel that will compute a pending tensor (its generated part, the bindings and
 * main's body, at the end; for a group that will run as a matmul's epilogue, that matmul kernel), or
 * null for a tensor whose values are already computed.
 */
export function fusedKernelSource(t: Tensor): string | null {
  const values = t.isPending ? expressions.get(t) : undefined;
  if (!values) return null;
  const epilogue = values.epilogue();
  if (!epilogue) return generate(values.root, values.shape).shader.wgsl;
  const product = epilogue.input.product!;
  return generateEpilogue(epilogue.parts, product, product.readBeyondThisGroup).shader.wgsl;
}
