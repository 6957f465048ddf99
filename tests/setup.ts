// Runs before every test file: acquires the GPU once (SwiftShader in Node on machines without one).
// Elementwise fusion (src/ops/fusion.ts) is on by default, as for users; GENGPU_FUSION=0 runs the tests
// with it off, on the hand-written kernels alone (CI runs the op suites both ways).
import { init, setFusion } from '../src/node.js';

await init();
if (process.env.GENGPU_FUSION === '0') setFusion(false);
