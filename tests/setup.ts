// Runs before every test file: acquires the GPU once (SwiftShader in Node on machines without one).
// GENGPU_FUSION=1 runs every test with elementwise fusion on (src/ops/fusion.ts), which must change no result.
import { init, setFusion } from '../src/node.js';

await init();
if (process.env.GENGPU_FUSION === '1') setFusion(true);
