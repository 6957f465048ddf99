// Generative art, the public entry: import everything art from here.
//   cppn.ts  Cppn, a compositional pattern-producing network with seeded random weights rendered at any
//            resolution (in bands of rows), to tensors, 8-bit images or PNG bytes; randomLatent;
//   walk.ts  latent walks for any decoder: interpolateLatents (slerp, lerp, a closed great circle),
//            latentWalk (decoded frames), renderWalkPngs (a CPPN walk as PNG files' bytes).

export {
  Cppn,
  randomLatent,
  pixelCoordinates,
  type CppnConfig,
  type CppnActivation,
  type CppnRenderOptions,
  type CppnLatent,
} from './cppn.js';
export {
  interpolateLatents,
  latentWalk,
  renderWalkPngs,
  type LatentPath,
  type InterpolateOptions,
  type LatentWalkOptions,
  type LatentDecoder,
} from './walk.js';
