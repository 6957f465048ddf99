// gengpu's public API: import everything from here. Importing this module also attaches the op
// methods (x.add(y), x.sum(1), ...) to Tensor. This entry never touches a `node:*` module, so it is
// the one browsers and bundlers get; Node gets ./node.js, which adds the Node platform.


/// <reference types="@webgpu/types" preserve="true" />

export { init, runtime, shutdown, type InitOptions } from './context.js';
export { Tensor, scope, OpenScope, disposeSymbol, type DType, type NestedArray, type TypedArray, type PendingValues, type SharedStorage } from './tensor.js';
export { backward, grad, noGrad, isGradEnabled, record, sumTo, fusedOrComposed, type BackwardOptions, type BackwardRule, type GradNode } from './autograd.js';
export { platform, setPlatform, browserPlatform, type Platform, type LocalFileSystem, type OpenedFile } from './platform.js';
export { Runtime, BufferSlice, type BufferRef, type DeferredCheck, type KernelLaunch, type KernelBuffers, type KernelTiming, type MemoryStats, type RecordedCall, type ParamWords } from './gpu/runtime.js';
export { Arena } from './gpu/arena.js';
export type { Recording, ReplayPlan, RecordedCommand, RecordedDispatch, RecordedCopy, RecordedWrite } from './gpu/replay.js';
export * from './ops/creation.js';
export * from './ops/elementwise.js';
export { setFusion, isFusionEnabled, fusedKernelSource } from './ops/fusion.js';
export { profile, Profile, type KernelShare } from './profile.js';
export {
  tune, saveTuning, loadTuning, tuning, resetTuning, adapterIdentity, matmulShapeClass, rowShapeClass, TuneReport,
  type TuneOptions, type ClassReport, type CandidateResult, type LoadedTuning, type TuningFamily, type TuningTable,
} from './tune.js';
export * from './ops/movement.js';
export * from './ops/assign.js';
export * from './ops/reduce.js';
export * from './ops/softmax.js';
export { chooseRowVariant, defaultRowVariant, type RowVariant, type RowVariantOptions } from './ops/row-variant.js';
export { chooseAttentionVariant, type AttentionVariant } from './ops/attention.js';
export * from './ops/indexing.js';
export * from './ops/masking.js';
export * from './ops/scan.js';
export * from './ops/sort.js';
export * from './ops/einsum.js';
export * from './ops/half.js';
export * from './ops/matmul.js';
export * from './ops/conv.js';
export * from './ops/random.js';
export * from './train/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export * as data from './data/index.js';
export * as metrics from './metrics/index.js';
export * as models from './models/index.js';
export * as anomaly from './models/anomaly/index.js';
