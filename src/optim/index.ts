/**
 * gg.optim: optimizers whose updates are fused WGSL kernels that change parameters in place on the
 * GPU (SGD, Adam, AdamW, RMSprop, Adagrad), one launch per run of parameters kept side by side
 * (`foreach`), global-norm gradient clipping, and learning-rate schedules.
 *
 * @module
 */

export {
  Optimizer, setForeach, type UpdateLaunch, type UpdateTarget, type GroupOptions, type OptimizerHyperparameters, type ParamGroup, type ParamGroupInput, type ParamState, type ParamsInput,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from './clip.js';
export {
  LRScheduler, StepLR, CosineWithWarmup, LambdaLR, ExponentialLR, MultiStepLR, OneCycleLR, ReduceLROnPlateau,
  type LrSchedule, type OneCycleLROptions, type ReduceLROnPlateauOptions, type ReduceLROnPlateauState,
} from './schedulers.js';
