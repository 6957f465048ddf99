/**
 * gg.nn: the Module base, the layers, the losses, the initializers (gg.nn.init) and the functional
 * forms of the layers (gg.nn.functional), all with PyTorch's names camelCased.
 *
 * @module
 */
export * from './module.js';
export * from './layers.js';
export * from './containers.js';
export * from './multihead-attention.js';
export * from './rnn.js';
export * from './losses.js';
export * as init from './init.js';
export * as functional from './functional.js';
