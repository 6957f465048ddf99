// einsum: PyTorch's subscript equations ('bij,bjk->bik'), composed of the existing ops so that the
// gradient comes from theirs. Each operand first loses what only it needs: a subscript repeated within
// it becomes its diagonal (a where over an identity mask, then a sum), a size-1 dimension that
// broadcasts against a larger one of the same subscript elsewhere is squeezed away, and a subscript
// found in no other operand and not in the output is summed. The operands are then contracted left to
// right, two at a time: subscripts of both that are still needed later are batch dimensions, those no
// longer needed are contracted, and the rest belong to one side; both are permuted and reshaped to
// [batch, rows, contracted] and [batch, contracted, columns] (or taken transposed as they lie) for one
// batched matmul (a broadcast mul when nothing is contracted). The result is permuted into the
// output's order.

import { composite } from '../autograd.js';
import { Tensor, shapeSize } from '../tensor.js';
import { MAX_RANK, assertDtype, assertRank, opError } from './shape.js';
import { arange } from './creation.js';
import { eq, mul, where } from './elementwise.js';
import { matmul } from './matmul.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';

/** An operand on its way through the contraction: a tensor and the subscript of each of its dimensions. */
interface Labelled {
  t: Tensor;
  labels: string[];
}

/**
 * A dimension's subscript: its letter, or for a dimension of the ellipsis `...k`, where k counts the
 * broadcast ellipsis dimensions from the first (operands with fewer take the last ones, as NumPy).
 */
const ellipsisLabel = (k: number) => `...${k}`;

/** The parsed equation: each operand's subscripts (ellipsis expanded) and the output's. */
interface Equation {
  inputs: string[][];
  output: string[];
}

/** Splits one term into letters and at most one '...' (kept as the marker '...'). */
function termSubscripts(fail: (message: string) => Error, term: string, what: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length; ) {
    if (term.startsWith('...', i)) {
      if (out.includes('...')) throw fail(`${what} has more than one '...'`);
      out.push('...');
      i += 3;
    } else if (/^[a-zA-Z]$/.test(term[i])) {
      out.push(term[i++]);
    } else {
      throw fail(`'${term[i]}' in ${what} is not a subscript (a letter a-z or A-Z, or '...')`);
    }
  }
  return out;
}

function parseEquation(fail: (message: string) => Error, equation: string, operands: readonly Tensor[]): Equation {
  const compact = equation.replace(/\s+/g, '');
  const sides = compact.split('->');
  if (sides.length > 2) throw fail("has more than one '->'");
  const terms = sides[0].split(',');
  if (terms.length !== operands.length) throw fail(`has ${terms.length} operand term${terms.length === 1 ? '' : 's'} for ${operands.length} operand${operands.length === 1 ? '' : 's'}`);
  const parsed = terms.map((term, i) => termSubscripts(fail, term, `operand ${i}'s term '${term}'`));
  const ellipsisRanks = parsed.map((subscripts, i) => {
    const letters = subscripts.filter((s) => s !== '...').length;
    const rank = operands[i].rank;
    const hasEllipsis = subscripts.includes('...');
    if (hasEllipsis ? letters > rank : letters !== rank) {
      throw fail(`operand ${i} has rank ${rank} but its term '${terms[i]}' has ${letters} subscript${letters === 1 ? '' : 's'}${hasEllipsis ? ' and an ellipsis' : ''}`);
    }
    return hasEllipsis ? rank - letters : 0;
  });
  const ellipsisRank = Math.max(0, ...ellipsisRanks);
  const allEllipsis = Array.from({ length: ellipsisRank }, (_, k) => ellipsisLabel(k));
  const inputs = parsed.map((subscripts, i) =>
    subscripts.flatMap((s) => (s === '...' ? allEllipsis.slice(ellipsisRank - ellipsisRanks[i]) : [s])),
  );
  let output: string[];
  if (sides.length === 2) {
    const subscripts = termSubscripts(fail, sides[1], `the output '${sides[1]}'`);
    const seen = new Set(inputs.flat());
    for (const s of subscripts) {
      if (s === '...') continue;
      if (!seen.has(s)) throw fail(`output subscript '${s}' appears in no operand`);
      if (subscripts.indexOf(s) !== subscripts.lastIndexOf(s)) throw fail(`output subscript '${s}' appears more than once`);
    }
    output = subscripts.flatMap((s) => (s === '...' ? allEllipsis : [s]));
  } else {
    // PyTorch's implicit output: the ellipsis, then the letters that appear once, in alphabetical order.
    const letters = inputs.flat().filter((s) => !s.startsWith('...'));
    const once = [...new Set(letters)].filter((s) => letters.indexOf(s) === letters.lastIndexOf(s)).sort();
    output = [...allEllipsis, ...once];
  }
  return { inputs, output };
}

/** Each subscript's size: equal wherever it appears, or 1 where it broadcasts. */
function subscriptSizes(fail: (message: string) => Error, { inputs }: Equation, operands: readonly Tensor[]): Map<string, number> {
  const sizes = new Map<string, { size: number; operand: number }>();
  inputs.forEach((labels, i) =>
    labels.forEach((label, axis) => {
      const size = operands[i].shape[axis];
      const first = operands[i].shape[labels.indexOf(label)];
      if (first !== size) throw fail(`subscript '${label}' is repeated in operand ${i} with sizes ${first} and ${size} (a diagonal needs equal sizes)`);
      const known = sizes.get(label);
      const shown = label.startsWith('...') ? 'the ellipsis dimension' : `subscript '${label}'`;
      if (known && known.size !== size && known.size !== 1 && size !== 1) {
        throw fail(`${shown} has size ${known.size} in operand ${known.operand} but ${size} in operand ${i}`);
      }
      if (!known || known.size === 1) sizes.set(label, { size, operand: i });
    }),
  );
  return new Map([...sizes].map(([label, { size }]) => [label, size]));
}

/** x with its dimensions a < b (of equal size) replaced by their diagonal, kept at a. */
function diagonal(x: Tensor, a: number, b: number): Tensor {
  const n = x.shape[a];
  const along = (axis: number) => reshape(arange(0, n, 1, { dtype: 'i32' }), x.shape.map((_, k) => (k === axis ? n : 1)));
  // where, not a product with the mask: NaN or inf off the diagonal must not reach the result.
  return sum(where(eq(along(a), along(b)), x, 0), b);
}

/** `x` without the subscripts that no one else needs: diagonals taken, broadcast size-1 dimensions squeezed, private subscripts summed. */
function reduceAlone(x: Labelled, needed: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Labelled {
  let { t, labels } = x;
  for (let b = 0; b < labels.length; b++) {
    const a = labels.indexOf(labels[b]);
    if (a === b) continue;
    t = diagonal(t, a, b);
    labels = labels.filter((_, k) => k !== b);
    b--;
  }
  const squeezed = labels.filter((label, k) => t.shape[k] === 1 && sizes.get(label)! > 1);
  if (squeezed.length > 0) {
    t = reshape(t, t.shape.filter((_, k) => !squeezed.includes(labels[k])));
    labels = labels.filter((label) => !squeezed.includes(label));
  }
  const summed = labels.flatMap((label, k) => (needed.has(label) ? [] : [k]));
  if (summed.length > 0) {
    t = sum(t, summed);
    labels = labels.filter((label) => needed.has(label));
  }
  return { t, labels };
}

/** Whether x's subscripts already come in `order`. */
function inOrder(x: Labelled, order: readonly string[]): boolean {
  return x.labels.every((label, k) => label === order[k]);
}

/** x permuted so that its subscripts come in `order` (which holds exactly x's). */
function arrange(x: Labelled, order: readonly string[]): Tensor {
  return permute(x.t, order.map((label) => x.labels.indexOf(label)));
}

/** The contraction of two operands, keeping the subscripts in `needed` (each operand's own unneeded ones are summed first). */
function contract(a: Labelled, b: Labelled, needed: ReadonlySet<string>, sizes: ReadonlyMap<string, number>): Labelled {
  const left = reduceAlone(a, new Set([...needed, ...b.labels]), sizes);
  const right = reduceAlone(b, new Set([...needed, ...left.labels]), sizes);
  const shared = left.labels.filter((label) => right.labels.includes(label));
  const batch = shared.filter((label) => needed.has(label));
  const contracted = shared.filter((label) => !needed.has(label));
  const rows = left.labels.filter((label) => !shared.includes(label));
  const columns = right.labels.filter((label) => !shared.includes(label));
  const size = (labels: readonly string[]) => shapeSize(labels.map((label) => sizes.get(label)!));
  const [batchSize, rowSize, columnSize, contractedSize] = [size(batch), size(rows), size(columns), size(contracted)];
  let product: Tensor;
  if (contracted.length === 0) {
    product = mul(reshape(arrange(left, [...batch, ...rows]), [batchSize, rowSize, 1]), reshape(arrange(right, [...batch, ...columns]), [batchSize, 1, columnSize]));
  } else {
    // An operand laid out as [batch, contracted, rows] (or [batch, columns, contracted]) goes in
    // transposed as it is, rather than through a permuting copy: attention's 'bhqd,bhkd->bhqk'.
    const transA = !inOrder(left, [...batch, ...rows, ...contracted]) && inOrder(left, [...batch, ...contracted, ...rows]);
    const transB = !inOrder(right, [...batch, ...contracted, ...columns]) && inOrder(right, [...batch, ...columns, ...contracted]);
    product = matmul(
      transA ? reshape(left.t, [batchSize, contractedSize, rowSize]) : reshape(arrange(left, [...batch, ...rows, ...contracted]), [batchSize, rowSize, contractedSize]),
      transB ? reshape(right.t, [batchSize, columnSize, contractedSize]) : reshape(arrange(right, [...batch, ...contracted, ...columns]), [batchSize, contractedSize, columnSize]),
      { transA, transB },
    );
  }
  const labels = [...batch, ...rows, ...columns];
  return { t: reshape(product, labels.map((label) => sizes.get(label)!)), labels };
}

/**
 * Einstein summation (torch.einsum) over one or more f32 operands, given one by one or as a list:
 * `einsum('bij,bjk->bik', a, b)` is a batched matmul, `einsum('ij->ji', x)` a transpose, `einsum('ii', x)`
 * a trace, `einsum('i,j->ij', u, v)` an outer product. Subscripts are letters a-z and A-Z; spaces are
 * ignored. Without `->`, the output is PyTorch's implicit one: the ellipsis dimensions, then the letters
 * that appear once, in alphabetical order (capitals first). A subscript missing from the output is
 * summed; one repeated within an operand takes its diagonal (NaN off the diagonal stays out, as in
 * PyTorch). `...` stands for the dimensions no letter names, broadcast across operands from the right,
 * and so does a dimension of size 1 against a larger one of the same subscript. Operands are contracted
 * left to right, each pair as one batched matmul, so the order of a chain of three or more is the
 * caller's to choose (PyTorch may reorder it). Errors name the equation and the operands' shapes.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor;
export function einsum(equation: string, operands: readonly Tensor[]): Tensor;
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  const list = operands.length === 1 && Array.isArray(operands[0]) ? [...(operands[0] as readonly Tensor[])] : operands;
  if (!list.every((t): t is Tensor => t instanceof Tensor)) throw new Error('einsum: operands must be tensors, given one by one or as one list');
  if (typeof equation !== 'string') throw opError('einsum', `the equation must be a string, got ${String(equation)}`, list);
  if (list.length === 0) throw new Error(`einsum: '${equation}' needs at least one operand`);
  for (const t of list) {
    t.assertAlive('einsum');
    assertDtype('einsum', t, ['f32']);
    assertRank('einsum', t);
  }
  const fail = (message: string) => opError('einsum', `'${equation}' ${message}`, list);
  const parsed = parseEquation(fail, equation, list);
  const sizes = subscriptSizes(fail, parsed, list);
  const output = parsed.output;
  if (output.length > MAX_RANK) throw fail(`gives rank ${output.length}, more than the supported maximum of ${MAX_RANK}`);
  return composite(list, () => {
    const labelled = list.map((t, i): Labelled => ({ t, labels: parsed.inputs[i] }));
    const neededAfter = (i: number) => new Set([...output, ...parsed.inputs.slice(i + 1).flat()]);
    let result = reduceAlone(labelled[0], new Set([...output, ...parsed.inputs.slice(1).flat()]), sizes);
    for (let i = 1; i < labelled.length; i++) result = contract(result, labelled[i], neededAfter(i), sizes);
    return arrange(result, output);
  });
}
