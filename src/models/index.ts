/**
 * The models namespace (gg.models): every generative model built on the engine, with its training
 * and evaluation helpers. One module per family; this file only gathers them.
 *
 * @module
 */
export * from './gmm.js';
export * from './hmm.js';
export * from './vae.js';
export * from './gan.js';
export * from './gpt.js';
export * from './rnn.js';
export * from './language-model.js';
export * from './sampling.js';
