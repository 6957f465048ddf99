// The tuning table: kernel choices measured on this adapter (by `tune`, src/tune.ts, or loaded from a
// saved table), per op family and shape class. The automatic choices (chooseMatmulVariant,
// chooseRowVariant) look here first and fall back to their hand-picked rules for a class with no
// entry, so with an empty table, the default, nothing changes. Choices belong to one adapter: a table
// measured on another (a different GPU, or a different device after shutdown and init) is not used.

import { runtime } from '../context.js';
import type { Runtime } from '../gpu/runtime.js';
import type { MatmulVariant } from './matmul.js';
import type { RowVariant } from './row-variant.js';

/** The op families whose launch is tuned: matmul's variant, and the row kernels' rung (softmax, logSoftmax, layerNorm, row reductions). */
export type TuningFamily = 'matmul' | 'rows';

/** Measured choices for one adapter, by shape class (see matmulShapeClass, rowShapeClass). */
export interface TuningTable {
  /** The adapter they were measured on (see adapterIdentity). */
  adapter: string;
  /** matmul's variant per shape class. */
  matmul: Record<string, MatmulVariant>;
  /** The row kernels' rung per shape class. */
  rows: Record<string, RowVariant>;
}

let table: TuningTable | null = null;
const identities = new WeakMap<Runtime, string>();

/**
 * The current adapter's identity, under which its choices are kept: vendor, architecture and description,
 * whether it is a fallback adapter, whether the device has subgroups, and the workgroup limits the
 * kernels depend on. Two machines with the same GPU and driver share it; a different GPU does not.
 */
export function adapterIdentity(): string {
  const rt = runtime();
  let identity = identities.get(rt);
  if (identity === undefined) {
    const info = rt.adapterInfo;
    const limits = rt.device.limits;
    const parts = [
      info.vendor || 'unknown vendor', info.architecture || 'unknown architecture', info.description || 'no description',
      info.isFallbackAdapter ? 'fallback' : 'hardware', rt.hasSubgroups ? 'subgroups' : 'no subgroups',
      `${limits.maxComputeInvocationsPerWorkgroup} invocations`, `${limits.maxComputeWorkgroupStorageSize} B workgroup memory`,
    ];
    identity = parts.join(' | ');
    identities.set(rt, identity);
  }
  return identity;
}

/** The power of two at or below `n` (n >= 1): one bucket of a shape class. */
function bucket(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** The shape class of an M x K by K x N product: each dimension's power of two at or below it, as 'MxNxK'. */
export function matmulShapeClass(M: number, N: number, K: number): string {
  return `${bucket(M)}x${bucket(N)}x${bucket(K)}`;
}

/** The shape class of rows of `length` values: the power of two at or below it. */
export function rowShapeClass(length: number): string {
  return String(bucket(length));
}

/** The table in use, if it belongs to the current adapter. */
function currentTable(): TuningTable | null {
  return table !== null && table.adapter === adapterIdentity() ? table : null;
}

/** The tuned matmul variant for this shape's class, or undefined where none was measured. */
export function tunedMatmulVariant(M: number, N: number, K: number): MatmulVariant | undefined {
  if (table === null || M < 1 || N < 1 || K < 1) return undefined;
  return currentTable()?.matmul[matmulShapeClass(M, N, K)];
}

/** The tuned row rung for rows of `length`'s class, or undefined where none was measured. */
export function tunedRowVariant(length: number): RowVariant | undefined {
  if (table === null || length < 1) return undefined;
  return currentTable()?.rows[rowShapeClass(length)];
}

/** A copy of the current adapter's table (empty where nothing was tuned or loaded for it). */
export function tuning(): TuningTable {
  const current = currentTable();
  return { adapter: adapterIdentity(), matmul: { ...current?.matmul }, rows: { ...current?.rows } };
}

/** Clears the table: every automatic choice is the hand-picked one again. */
export function resetTuning(): void {
  table = null;
}

/** Replaces the table with `next` (a copy of it), which must belong to the current adapter. */
export function setTuning(next: TuningTable): void {
  const adapter = adapterIdentity();
  if (next.adapter !== adapter) throw new Error(`setTuning: the table belongs to adapter '${next.adapter}', not to this one ('${adapter}')`);
  table = { adapter, matmul: { ...next.matmul }, rows: { ...next.rows } };
}

/** Records one measured choice for the current adapter (a table of another adapter is dropped). */
export function recordTuning(family: 'matmul', shapeClass: string, choice: MatmulVariant): void;
export function recordTuning(family: 'rows', shapeClass: string, choice: RowVariant): void;
export function recordTuning(family: TuningFamily, shapeClass: string, choice: MatmulVariant | RowVariant): void {
  const current = currentTable() ?? { adapter: adapterIdentity(), matmul: {}, rows: {} };
  if (family === 'matmul') current.matmul[shapeClass] = choice as MatmulVariant;
  else current.rows[shapeClass] = choice as RowVariant;
  table = current;
}
