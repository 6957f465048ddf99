/**
 * The io namespace (gg.io): safetensors files, training checkpoints, and moving their bytes to and
 * from files (Node) or downloads and file pickers (browser).
 *
 * @module
 */

export {
  deserialize,
  readHeader,
  serializeArrays,
  planLayout,
  safetensorsDtypes,
  dtypeBits,
  hostArrayTypes,
  MAX_HEADER_BYTES,
  MAX_TENSORS,
  SafetensorsError,
  type SafetensorsDtype,
  type SafetensorsErrorCode,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
  type HostTensor,
  type HostArray,
  type FileLayout,
  type PlannedTensor,
} from './format.js';
export { openSafetensorsStream, type SafetensorsStream } from './stream.js';
export { serialize, loadTensors, loadedDtype, toLoadable, type LoadableTensor } from './tensors.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  HYPERPARAMETERS_KEY,
  type Stateful,
  type StatefulOptimizer,
  type CheckpointContents,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
} from './checkpoint.js';
export { saveFile, readFile, downloadBlob, readBrowserFile } from './files.js';
