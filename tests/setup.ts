// Runs before every test file: acquires the GPU once (SwiftShader in Node on machines without one).
import { init } from '../src/index.js';

await init();
