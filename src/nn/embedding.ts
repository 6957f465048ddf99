// Lookup tables, as PyTorch's F.embedding and nn.Embedding: rows of a [numEmbeddings, dim] table at
// i32 indices (an indexSelect, whose backward is the deterministic index-add), with padding_idx: a
// row whose lookups send no gradient back, and which nn.Embedding starts at zero.

import { composite, isGradEnabled, noGrad } from '../autograd.js';
import { Tensor, checkFitsDevice, scope } from '../tensor.js';
import { arange } from '../ops/creation.js';
import { ne, where } from '../ops/elementwise.js';
import { indexSelect } from '../ops/indexing.js';
import { detach, reshape } from '../ops/movement.js';
import { type Generator } from '../ops/random.js';
import { assertDtype } from '../ops/shape.js';
import { checkFloat, checkPositiveInteger, opError } from './common.js';
import { normal } from './init.js';
import { Module } from './module.js';

/** Options of `embedding`. */
export interface EmbeddingOptions {
  /**
   * A row that gets no gradient, as PyTorch's padding_idx (default none; negative counts from the
   * end): positions that look it up still read its values, but send nothing back to it.
   */
  paddingIdx?: number | null;
}

/** paddingIdx in [0, rows), from PyTorch's [-rows, rows); null for none. Errors name `op`. */
function resolvePaddingIdx(op: string, paddingIdx: number | null | undefined, rows: number): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows) {
    throw new Error(`${op}: paddingIdx must be an integer in [-${rows}, ${rows}) (the table's rows), got ${paddingIdx}`);
  }
  return paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
}

/**
 * Rows of `weight` at `indices`, [...] -> [..., dim]. Where a position reads the padding row, the
 * result is a detached copy of it, so that its gradient stops there. Errors name `op`.
 */
function lookupRows(op: string, indices: Tensor, weight: Tensor, paddingIdx: number | null): Tensor {
  const [rows, dim] = weight.shape;
  const text = { op, message: `index {value} is out of range for a table of ${rows} rows`, inputs: [weight, indices] };
  return composite([weight], () => {
    const flat = reshape(indices, [indices.size]);
    const picked = indexSelect(weight, 0, flat, text);
    const heldBack = paddingIdx !== null && isGradEnabled() && weight.requiresGrad;
    const rowsRead = heldBack ? where(ne(reshape(flat, [flat.size, 1]), paddingIdx), picked, detach(picked)) : picked;
    return reshape(rowsRead, [...indices.shape, dim]);
  });
}

/**
 * A lookup table (PyTorch's F.embedding): rows of `weight` [numEmbeddings, dim] at i32 `indices` of
 * any shape, [...] -> [..., dim]; the gradient adds each position's into its row (a deterministic
 * index-add). With `paddingIdx`, that row gets no gradient. Indices must lie in [0, numEmbeddings):
 * the GPU cannot throw, so one outside reads a clamped row and the next read of any tensor throws an
 * error naming it (see `Runtime.checkIndices`). PyTorch's max_norm, scale_grad_by_freq and sparse
 * are not offered.
 */
export function embedding(indices: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  checkFloat('embedding', [weight]);
  indices.assertAlive('embedding');
  assertDtype('embedding', indices, ['i32']);
  if (weight.rank !== 2) throw opError('embedding', `expected a weight of shape [numEmbeddings, dim], got rank ${weight.rank}`, [indices, weight]);
  return lookupRows('embedding', indices, weight, resolvePaddingIdx('embedding', options.paddingIdx, weight.shape[0]));
}

/** Options of {@link Embedding}. */
export interface EmbeddingLayerOptions {
  /** A row that gets no gradient and starts at zero, as PyTorch's padding_idx (default none; negative counts from the end). */
  paddingIdx?: number | null;
  /** The stream the initial weights are drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * A lookup table [numEmbeddings, embeddingDim], init N(0, 1): i32 indices of any shape [...] ->
 * [..., embeddingDim] (PyTorch's nn.Embedding). With `paddingIdx`, that row starts at zero and gets
 * no gradient (see {@link embedding}).
 */
export class Embedding extends Module {
  /** Rows in the table (the vocabulary size). */
  readonly numEmbeddings: number;
  /** Length of each row. */
  readonly embeddingDim: number;
  /** The row that gets no gradient, in [0, numEmbeddings); null for none. */
  readonly paddingIdx: number | null;
  /** The table [numEmbeddings, embeddingDim], init N(0, 1) (the padding row 0). Key 'weight'. */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingLayerOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    checkPositiveInteger('Embedding', 'numEmbeddings', numEmbeddings);
    checkPositiveInteger('Embedding', 'embeddingDim', embeddingDim);
    const paddingIdx = resolvePaddingIdx('Embedding', options.paddingIdx, numEmbeddings);
    this.paddingIdx = paddingIdx;
    checkFitsDevice('Embedding', [numEmbeddings, embeddingDim], 'f32', 'the table');
    const table = normal(Tensor.empty([numEmbeddings, embeddingDim]), 0, 1, options);
    // As PyTorch: the whole table is drawn (the stream advances as there), then the padding row zeroed.
    if (paddingIdx !== null) {
      const rowIds = () => reshape(arange(0, numEmbeddings, 1, { dtype: 'i32' }), [numEmbeddings, 1]);
      noGrad(() => scope(() => void table.assign(where(ne(rowIds(), paddingIdx), table, 0))));
    }
    this.weight = this.registerParameter('weight', table);
  }

  /**
   * Rows of the table at `indices`, each in [0, numEmbeddings). The GPU cannot throw: an index outside
   * the table reads a clamped row and the next read of any tensor throws an error naming it (see
   * `Runtime.checkIndices`).
   */
  forward(indices: Tensor): Tensor {
    indices.assertAlive('Embedding');
    assertDtype('Embedding', indices, ['i32']);
    return lookupRows('Embedding', indices, this.weight, this.paddingIdx);
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}
