// The hidden Markov model family (gg.models.GaussianHMM, gg.models.CategoricalHMM): the models and
// their public types.

export { MAX_STATES } from './base.js';
export type {
  ConvergenceMonitor, DecodeAlgorithm, DecodeOptions, DecodeResult, HMMOptions, HMMParameters, HMMSample, HMMSampleOptions, ScoreSamplesResult,
} from './base.js';
export * from './gaussian.js';
export * from './categorical.js';
