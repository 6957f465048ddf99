/**
 * The models namespace (gg.models): every generative model built on the engine, with its training
 * and evaluation helpers. One module per family; this file only gathers them.
 *
 * @module
 */
export * from './gmm/index.js';
export * from './hmm/index.js';
export * from './vae/index.js';
export * from './gan/index.js';
export * from './lm/index.js';
export * from './diffusion/index.js';
export * from './sr/index.js';
export * from './art/index.js';
export * from './molecules/index.js';
export * from './timeseries/index.js';
export * as gpt2 from './gpt2/index.js';
