// Anomaly detection from any score (higher = more anomalous): a threshold fitted on normal data at a
// chosen false-alarm rate, and the report a user needs on labelled data (ROC-AUC, precision, recall,
// the false-alarm rate met, the confusion counts). The scores themselves come from the models
// (src/models/anomaly/scores.ts); this file is plain JS on the host.

import { Tensor, formatShape, scope } from '../../tensor.js';
import { rocAuc } from '../../metrics/roc.js';

/** A detector's score of each row of x (higher = more anomalous): an [N] f32 tensor (the detector disposes it once read) or numbers. */
export type AnomalyScore = (x: Tensor) => Tensor | ArrayLike<number> | Promise<Tensor | ArrayLike<number>>;

/**
 * The threshold that flags (score > threshold) at most `falseAlarmRate` of the normal scores: the
 * floor(rate * n)-th largest score counted from the top, so exactly that many are above it when there
 * are no ties (ties can only lower the rate). NaN scores are refused.
 */
export function thresholdAtFalseAlarmRate(normalScores: ArrayLike<number>, falseAlarmRate: number): number {
  const op = 'thresholdAtFalseAlarmRate';
  if (!(falseAlarmRate >= 0 && falseAlarmRate < 1)) throw new Error(`${op}: falseAlarmRate must be in [0, 1), got ${falseAlarmRate}`);
  if (normalScores.length === 0) throw new Error(`${op}: no normal scores`);
  const sorted = Float64Array.from(normalScores);
  const nan = sorted.findIndex(Number.isNaN);
  if (nan >= 0) throw new Error(`${op}: normal score ${nan} is NaN`);
  sorted.sort();
  return sorted[sorted.length - 1 - Math.floor(falseAlarmRate * sorted.length)];
}

/** What `detectionReport` and `AnomalyDetector.evaluate` return; positives are the anomalies. */
export interface DetectionReport {
  /** Rows flagged when score > threshold. */
  threshold: number;
  /** Area under the ROC curve of the scores (threshold-free; 0.5 is chance). */
  auc: number;
  /** TP / (TP + FP): the share of flagged rows that are anomalies (NaN when nothing is flagged). */
  precision: number;
  /** TP / (TP + FN): the share of anomalies flagged (the detection rate). */
  recall: number;
  /** FP / (FP + TN): the share of normal rows flagged. */
  falseAlarmRate: number;
  /** 2 precision recall / (precision + recall) (NaN when precision is). */
  f1: number;
  /** Anomalies flagged. */
  truePositives: number;
  /** Normal rows flagged (false alarms). */
  falsePositives: number;
  /** Normal rows not flagged. */
  trueNegatives: number;
  /** Anomalies missed. */
  falseNegatives: number;
}

/** How scores at `threshold` separate the labelled rows (labels: true or 1 = anomaly). */
export function detectionReport(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>, threshold: number): DetectionReport {
  if (Number.isNaN(threshold)) throw new Error('detectionReport: threshold is NaN');
  const auc = rocAuc(scores, labels); // checks lengths, NaN scores and that both classes are present
  let [truePositives, falsePositives, trueNegatives, falseNegatives] = [0, 0, 0, 0];
  for (let i = 0; i < scores.length; i++) {
    const anomaly = labels[i] === true || labels[i] === 1;
    const flagged = scores[i] > threshold;
    if (anomaly && flagged) truePositives++;
    else if (anomaly) falseNegatives++;
    else if (flagged) falsePositives++;
    else trueNegatives++;
  }
  const precision = truePositives + falsePositives > 0 ? truePositives / (truePositives + falsePositives) : NaN;
  const recall = truePositives / (truePositives + falseNegatives);
  return {
    threshold, auc, precision, recall,
    falseAlarmRate: falsePositives / (falsePositives + trueNegatives),
    f1: (2 * precision * recall) / (precision + recall),
    truePositives, falsePositives, trueNegatives, falseNegatives,
  };
}

/** Options of {@link AnomalyDetector.scores} and the methods that score. */
export interface ScoringOptions {
  /** Rows scored per call of the score function (default 1000), bounding GPU memory. */
  batchSize?: number;
}

/**
 * A detector: a score function (see src/models/anomaly/scores.ts for the models' scores) plus a
 * threshold fitted on normal rows at a chosen false-alarm rate.
 *
 * ```ts
 * const detector = new gg.anomaly.AnomalyDetector(gg.anomaly.vaeScore(vae, { kind: 'elbo' }));
 * await detector.fitThreshold(heldOutNormal, { falseAlarmRate: 0.05 });
 * const flags = await detector.predict(newRows);            // Uint8Array, 1 = anomaly
 * const report = await detector.evaluate(testRows, labels); // precision, recall, AUC, ...
 * ```
 */
export class AnomalyDetector {
  /** The fitted threshold (rows scoring above it are flagged), or null before fitThreshold. */
  threshold: number | null = null;

  private readonly score: AnomalyScore;

  /** `score` gives each row's score; a tensor it returns is disposed once read. */
  constructor(score: AnomalyScore) {
    this.score = score;
  }

  /** Each row's score, in float64, batch by batch. */
  async scores(x: Tensor, options: ScoringOptions = {}): Promise<Float64Array> {
    const { batchSize = 1000 } = options;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`AnomalyDetector.scores: batchSize must be a positive integer, got ${batchSize}`);
    x.assertAlive('AnomalyDetector.scores');
    if (x.rank < 1) throw new Error(`AnomalyDetector.scores: expected rows [N, ...], got ${formatShape(x.shape)} ${x.dtype}`);
    const n = x.shape[0];
    const out = new Float64Array(n);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const rows = start === 0 && end === n ? x : scope(() => x.slice(0, start, end));
      try {
        const result = await this.score(rows);
        const values = result instanceof Tensor ? await readScores(result, end - start) : result;
        if (values.length !== end - start) throw new Error(`AnomalyDetector.scores: the score function gave ${values.length} scores for ${end - start} rows`);
        out.set(Array.from(values), start);
      } finally {
        if (rows !== x) rows.dispose();
      }
    }
    return out;
  }

  /** Fits the threshold on normal rows so that at most `falseAlarmRate` (default 0.05) of them are flagged; returns it. */
  async fitThreshold(normal: Tensor, options: ScoringOptions & { falseAlarmRate?: number } = {}): Promise<number> {
    const { falseAlarmRate = 0.05 } = options;
    this.threshold = thresholdAtFalseAlarmRate(await this.scores(normal, options), falseAlarmRate);
    return this.threshold;
  }

  /** 1 where a row scores above the threshold, else 0. */
  async predict(x: Tensor, options: ScoringOptions = {}): Promise<Uint8Array> {
    const threshold = this.fitted('AnomalyDetector.predict');
    return Uint8Array.from(await this.scores(x, options), (s) => (s > threshold ? 1 : 0));
  }

  /** The report on labelled rows (labels: true or 1 = anomaly) at the fitted threshold. */
  async evaluate(x: Tensor, labels: ArrayLike<boolean | number>, options: ScoringOptions = {}): Promise<DetectionReport> {
    const threshold = this.fitted('AnomalyDetector.evaluate');
    return detectionReport(await this.scores(x, options), labels, threshold);
  }

  private fitted(op: string): number {
    if (this.threshold === null) throw new Error(`${op}: no threshold; call fitThreshold(normalRows, { falseAlarmRate }) first`);
    return this.threshold;
  }
}

/** An [N] score tensor's values (disposed after reading). */
async function readScores(t: Tensor, rows: number): Promise<Float32Array> {
  try {
    if (t.rank !== 1 || t.shape[0] !== rows) throw new Error(`AnomalyDetector.scores: the score function must give [${rows}] scores, got ${formatShape(t.shape)} ${t.dtype}`);
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}
