// ROC analysis of a detector's scores against binary labels, in plain JS: the area under the ROC
// curve (the probability that a random positive scores above a random negative, ties counting half,
// i.e. the Mann-Whitney U statistic over P * N) and the curve's points for plotting.

/** Scores and labels as one list of (score, isPositive), checked. */
function checkedPairs(op: string, scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): { positives: number; negatives: number } {
  if (scores.length !== labels.length) throw new Error(`${op}: ${scores.length} scores but ${labels.length} labels`);
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`${op}: score ${i} is NaN`);
    const label = labels[i];
    if (label !== true && label !== false && label !== 0 && label !== 1) throw new Error(`${op}: label ${i} is ${String(label)}; labels must be booleans or 0/1`);
    if (label === true || label === 1) positives++;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new Error(`${op}: needs at least one positive and one negative label, got ${positives} positives and ${negatives} negatives`);
  }
  return { positives, negatives };
}

const isPositive = (label: boolean | number) => label === true || label === 1;

/** Indices sorted by descending score (infinite scores included). */
function descendingOrder(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => (scores[a] > scores[b] ? -1 : scores[a] < scores[b] ? 1 : 0));
}

/**
 * Area under the ROC curve for `scores` (higher means more likely positive) and `labels` (true or 1
 * for positives). Tied scores count one half, so a constant detector scores 0.5. O(n log n).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const { positives, negatives } = checkedPairs('rocAuc', scores, labels);
  const order = descendingOrder(scores);
  // Walk down the scores; each positive beats every negative below it and ties half of its own group.
  let negativesSeen = 0;
  let wins = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      if (isPositive(labels[order[end]])) groupPositives++;
      else groupNegatives++;
      end++;
    }
    wins += groupPositives * (negatives - negativesSeen - groupNegatives) + 0.5 * groupPositives * groupNegatives;
    negativesSeen += groupNegatives;
    start = end;
  }
  return wins / (positives * negatives);
}

/** A ROC curve as `rocCurve` returns it: one point per distinct score threshold, plus the origin. */
export interface RocCurve {
  /** False-positive rates, from 0 to 1, one point per distinct threshold (plus the origin). */
  falsePositiveRate: Float64Array;
  /** True-positive rates at the same points, from 0 to 1. */
  truePositiveRate: Float64Array;
  /** The score threshold of each point (score >= threshold is called positive); Infinity at the origin. */
  thresholds: Float64Array;
}

/** The ROC curve's corners, one per distinct score; its trapezoid area equals rocAuc. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): RocCurve {
  const { positives, negatives } = checkedPairs('rocCurve', scores, labels);
  const order = descendingOrder(scores);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let truePositives = 0;
  let falsePositives = 0;
  for (let i = 0; i < order.length; i++) {
    if (isPositive(labels[order[i]])) truePositives++;
    else falsePositives++;
    const last = i === order.length - 1 || scores[order[i + 1]] !== scores[order[i]];
    if (last) {
      fpr.push(falsePositives / negatives);
      tpr.push(truePositives / positives);
      thresholds.push(scores[order[i]]);
    }
  }
  return { falsePositiveRate: Float64Array.from(fpr), truePositiveRate: Float64Array.from(tpr), thresholds: Float64Array.from(thresholds) };
}
