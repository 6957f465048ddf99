/**
 * The data namespace (`gg.data`): offline datasets in host memory and their trip to the GPU. MNIST
 * from its IDX files, token corpora for language models and character-level text corpora (tiny
 * Shakespeare, any text, the Brown corpus as the default), seeded toy 2-D distributions, and seeded
 * shuffling and batching; files opened as streams (a path, a URL or a File), for those too large to read whole.
 *
 * @module
 */

export { SeededRandom } from './random.js';
export { openStream, readSourceText, type FileSource, type OpenedStream } from './source.js';
export { parseIdx, parseIdxHeader, idxByteLength, type IdxArray, type IdxData, type IdxDtype, type IdxHeader, type ParseIdxOptions } from './idx.js';
export { arrayDataset, batchOrder, batches, DataLoader, type Batch, type BatchOptions, type Dataset, type Field } from './loader.js';
export { loadMnist, MnistDataset, MNIST_FILES, MNIST_IMAGE_SIZE, type MnistOptions, type MnistTensors } from './mnist.js';
export {
  CharVocab,
  TokenCorpus,
  TextCorpus,
  tinyShakespeare,
  defaultCorpus,
  TINY_SHAKESPEARE_PATH,
  type TextCorpusOptions,
  type TokenCorpusOptions,
  type TextSplit,
  type TokenWindows,
} from './text.js';
export { brownCorpusText, detokenizeBrown, type BrownOptions } from './brown.js';
export {
  ToyDataset,
  ringOfGaussians,
  gridOfGaussians,
  twoMoons,
  swissRoll,
  nearestMode,
  modeCoverage,
  type ModeCoverage,
  type RingOptions,
  type GridOptions,
  type NoiseOptions,
} from './toy2d.js';
