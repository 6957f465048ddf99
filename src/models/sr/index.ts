/**
 * Super-resolution: the image pipeline of the SR literature's evaluation protocol, exact. Images are
 * decoded to 8-bit rasters, cropped to a multiple of the scale, split into float64 planes at pixel
 * scale [0, 255], converted to Y (MATLAB's rgb2ycbcr), resized as MATLAB's imresize 'bicubic', and
 * scored by PSNR and SSIM with the border shaved; tensors [1, C, H, W] in [0, 1] carry them to models,
 * and randomPatches samples training crops. The networks and their training complete it:
 *   networks.ts      SRCNN, ESPCN and SRResNet (SuperResolver), their configs, createSuperResolver;
 *   discriminator.ts SrDiscriminator, an SRGAN's (narrower, no BatchNorm), with its hidden features;
 *   trainer.ts       SrTrainer, a Trainer: Adam on a pixel loss, or an SRGAN with a discriminator;
 *   tiles.ts         tiled inference with overlapping tiles, equal to the whole-image pass;
 *   upscale.ts       upscaleImage: an 8-bit image in, a larger one out (Y or RGB networks), and the bicubic baseline;
 *   checkpoint.ts    safetensors checkpoints of a network with its architecture.
 *
 * @module
 */
export {
  decodeImage,
  loadImage,
  imageToPlanes,
  planesToImage,
  planesToTensor,
  imageToTensor,
  tensorToPlanes,
  tensorToImage,
  roundToUint8,
  cropToMultiple,
  shave,
  checkPlane,
  type Plane,
} from './image.js';
export { rgbToYCbCr, rgbToY, yCbCrToRgb, rgbToYCbCrTensor, rgbToYTensor, yCbCrToRgbTensor } from './color.js';
export { cubicKernel, resizeWeights, resamplingMatrix, imresize, resizeBicubic, type ResizeWeights, type ResizeOptions, type ResizeTarget, type ResizeSize } from './resize.js';
export { psnr, ssim, type PsnrOptions, type SsimOptions } from './quality.js';
export { randomPatches, type PatchSource, type PatchOptions, type Patches } from './patches.js';
export { SuperResolver, Srcnn, Espcn, SrResNet, createSuperResolver, defaultSrConfig, type SrArchitecture, type SrConfig, type SrcnnConfig, type EspcnConfig, type SrResNetConfig, type SrInitOptions } from './networks.js';
export { SrDiscriminator, type SrDiscriminatorOptions, type DiscriminatorFeatures } from './discriminator.js';
export { SrTrainer, type SrTrainerOptions, type SrBatch, type PixelLoss, type AdversarialOptions } from './trainer.js';
export { upscaleTiled, type TileOptions } from './tiles.js';
export { upscaleImage, upscaleBicubic } from './upscale.js';
export { saveSrCheckpoint, loadSrCheckpoint, readSrConfig } from './checkpoint.js';
