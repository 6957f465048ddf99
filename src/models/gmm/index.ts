// The Gaussian mixture family (gg.models.GaussianMixture): the model and its public types.

export * from './model.js';
