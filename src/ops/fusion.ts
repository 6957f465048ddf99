// Elementwise fusion. While it is on (setFusion; the default), the ops of src/ops/elementwise.ts (unary math, scalar
// arithmetic, broadcasting binary ops, where, casts) record an expression over their inputs instead of
// launching a kernel; the result is a pending tensor (Tensor.pending), and the first thing that needs
// its buffer (another kind of op, a read, a view, an in-place write of an input, the end of a scope)
// runs one generated kernel, shaders/fused.wgsl filled in, for the whole expression. The generated code
// calls the op functions the hand-written kernels include (shaders/include/unary_ops.wgsl and
// binary_ops.wgsl), so results are the same bits with fusion on or off. Kernels are cached by their
// WGSL, which depends on the expression's structure, dtypes, which inputs broadcast and the lanes,
// never on sizes, strides or scalar values: those travel as uniforms.

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

/** A node of a recorded expression; unary nodes take a scalar argument (equal ones share a slot). */
type Expr = InputExpr | UnaryExpr | BinaryExpr | WhereExpr | CastExpr;
/** A computed tensor's memory, read at the expression's output coordinates (broadcast where its shape is smaller). */
interface InputExpr {
  kind: 'input';
  storage: SharedStorage;
  shape: readonly number[];
  dtype: DType;
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
    for (const input of this.inputs) input.storage.retain();
  }

  /** Registers `owner` as a reader of each input's memory (so an in-place write computes it first). */
  attach(owner: Tensor): void {
    this.owner = owner;
    for (const input of this.inputs) input.storage.readers.add(owner);
  }

  compute(out: BufferRef): void {
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
    for (const input of this.inputs) {
      if (this.owner) input.storage.readers.delete(this.owner);
      input.storage.release();
    }
    this.inputs.length = 0;
  }
}

function shapeSizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The operand an op records for tensor `t`: its expression while it is pending, else its memory. */
function operand(t: Tensor, fuseInto: boolean): Expr {
  const pending = t.isPending ? expressions.get(t) : undefined;
  if (pending && fuseInto) return pending.root;
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
  inputs: InputExpr[];
  layout: { shape: number[]; strides: number[][] };
  lanes: 1 | 4;
  scalars: number[];
}

/** Generated kernels by their generated parts (which determine the WGSL). */
const kernels = new Map<string, Shader>();

/** The WGSL type of one value of `dtype` with the kernel's lanes: the aliases of shaders/fused.wgsl. */
const laneAlias: Record<DType, string> = { f32: 'F', i32: 'FI', u32: 'FU' };

/**
 * The generated parts of the kernel for `root` over `shape` (bindings, binary-op dtypes, body: together
 * they determine the WGSL, and are the cache key), its inputs, layout, lanes and scalar arguments.
 */
function generateParts(root: Expr, shape: readonly number[]): Omit<GeneratedKernel, 'shader'> & { key: string; fill: () => string } {
  const inputs = inputsOf(root);
  const collapsed = layout(shape, inputs)!;
  const contiguous = inputs.map((input) => sameShape(input.shape, shape));
  const lanes = fourLanes(collapsed) ? 4 : 1;
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
    if (e.kind === 'input') {
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
  body.push(`  out[i] = ${names.get(root)};`);
  if (!contiguous.every(Boolean)) body.unshift(`  let c = coords_of(${lanes === 4 ? 'i * 4u' : 'i'});`);
  const bindings = inputs.map((input, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${splat[k] ? input.dtype : wide(input.dtype)}>;`);
  bindings.push(`@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<${wide(root.dtype)}>;`);
  const dtypes = [...operandDtypes].sort();
  const key = `${lanes}|${dtypes.join()}|${bindings.join('\n')}|${body.join('\n')}`;
  // The template (with the op libraries inlined) is filled only for a kernel not seen before.
  const fill = () => fillTemplate(wgsl.fused, {
    F: wide('f32'),
    U: wide('u32'),
    I: wide('i32'),
    B: wide('bool'),
    BINDINGS: bindings.join('\n'),
    BINARY_OPS: dtypes.map(binaryOpsFor).join('\n'),
    BODY: body.join('\n'),
  });
  return { key, fill, inputs, layout: collapsed, lanes, scalars };
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

function generate(root: Expr, shape: readonly number[]): GeneratedKernel {
  const { key, fill, ...launch } = generateParts(root, shape);
  let shader = kernels.get(key);
  if (!shader) {
    const code = fill();
    const bindings: Binding[] = launch.inputs.map((_, k) => ({ binding: k + 1, name: `in${k}`, access: 'read' }));
    bindings.push({ binding: launch.inputs.length + 1, name: 'out', access: 'read_write' });
    // A name of its own: the runtime's pipeline cache is keyed by the shader's name and template.
    shader = { name: `fused_${kernels.size}`, wgsl: code, params: wgsl.fused.params, paramBytes: wgsl.fused.paramBytes, bindings };
    kernels.set(key, shader);
  }
  return { shader, ...launch };
}

/**
 * The WGSL of the kernel that will compute a pending tensor (its generated part, the bindings and
 * main's body, at the end), or null for a tensor whose values are already computed.
 */
export function fusedKernelSource(t: Tensor): string | null {
  const values = t.isPending ? expressions.get(t) : undefined;
  return values ? generate(values.root, values.shape).shader.wgsl : null;
}
