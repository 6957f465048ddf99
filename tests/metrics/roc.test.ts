// ROC-AUC and the ROC curve against known answers, ties, and a brute-force count over all pairs.
import { describe, expect, it } from 'vitest';
import { rocAuc, rocCurve } from '../../src/metrics/roc.js';
import { rng } from '../helpers/reference.js';

/** The fraction of (positive, negative) pairs ordered correctly, ties counting half. */
function pairwiseAuc(scores: number[], labels: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (!labels[i]) return;
    scores.forEach((t, j) => {
      if (labels[j]) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

function trapezoidArea(x: Float64Array, y: Float64Array): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}

describe('rocAuc', () => {
  it('gives the known answers', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75); // scikit-learn's roc_auc_score example
    expect(rocAuc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [false, false, true, true])).toBe(0);
    expect(rocAuc([5, 5, 5, 5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
    expect(rocAuc([-Infinity, Infinity, 0], [0, 1, 1])).toBe(1);
  });

  it('equals the pairwise count and the area under rocCurve on random scores with ties', () => {
    const next = rng(3);
    const labels = Array.from({ length: 300 }, () => next() < 0.3);
    const scores = labels.map((positive) => Math.round((next() + (positive ? 0.3 : 0)) * 20) / 20);
    const auc = rocAuc(scores, labels);
    expect(auc).toBeCloseTo(pairwiseAuc(scores, labels), 12);
    const curve = rocCurve(scores, labels);
    expect(trapezoidArea(curve.falsePositiveRate, curve.truePositiveRate)).toBeCloseTo(auc, 12);
    expect([curve.falsePositiveRate[0], curve.truePositiveRate[0], curve.thresholds[0]]).toEqual([0, 0, Infinity]);
    expect(curve.falsePositiveRate.at(-1)).toBe(1);
    expect(curve.truePositiveRate.at(-1)).toBe(1);
    expect(curve.thresholds.length).toBe(new Set(scores).size + 1);
  });

  it('rejects input it cannot score', () => {
    expect(() => rocAuc([1, 2], [1])).toThrow('rocAuc: 2 scores but 1 labels');
    expect(() => rocAuc([1, 2], [1, 1])).toThrow('rocAuc: needs at least one positive and one negative label, got 2 positives and 0 negatives');
    expect(() => rocAuc([1, NaN], [1, 0])).toThrow('rocAuc: score 1 is NaN');
    expect(() => rocCurve([1, 2], [1, 2])).toThrow('rocCurve: label 1 is 2; labels must be booleans or 0/1');
  });
});
