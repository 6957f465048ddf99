/**
 * The metrics namespace (gg.metrics): ROC analysis for detectors, the Fréchet distance between
 * feature distributions, and images for looking at samples (grids, a PNG encoder, canvas drawing).
 *
 * @module
 */
export { rocAuc, rocCurve, type RocCurve } from './roc.js';
export { gaussianStatistics, frechetDistance, symmetricEigen, type GaussianStatistics } from './frechet.js';
export { encodePng, crc32, adler32, zlibStored, zlibCompressionStream, type RasterImage, type PngOptions } from './png.js';
export { imageGrid, tensorGrid, writePng, drawImageOnCanvas, type GridOptions, type PixelCanvas, type DrawOptions } from './images.js';
