// gengpu's Node entry point: the whole public API of ./index.js, with the Node platform (Dawn's
// `webgpu` package for the GPU, node:fs for files, node:zlib for PNGs) installed on import.
// `import 'gengpu'` resolves here in Node through package.json's "node" export condition, and
// 'gengpu/node' names it explicitly.

import { nodePlatform } from './node/platform.js';
import { setPlatform } from './platform.js';

setPlatform(nodePlatform);

export * from './index.js';
