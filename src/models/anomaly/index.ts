/**
 * Anomaly detection (gg.anomaly): any model's score of a row (higher = more anomalous), a threshold
 * fitted on normal rows at a chosen false-alarm rate, and precision, recall and ROC-AUC on labelled
 * rows; the scores of the VAE, the Gaussian mixture and PCA, and PCA itself (scikit-learn's shape,
 * with the probabilistic PCA likelihood), and a diffusion model's denoising error.
 *
 * @module
 */
export { AnomalyDetector, detectionReport, thresholdAtFalseAlarmRate, type AnomalyScore, type DetectionReport, type ScoringOptions } from './detector.js';
export { Pca, type PcaOptions } from './pca.js';
export { vaeScore, pcaScore, gmmScore, diffusionScore, type VaeScoreKind, type VaeScoreOptions, type DiffusionScoreOptions } from './scores.js';
