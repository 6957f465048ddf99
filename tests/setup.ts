// Runs before every test file: acquires the GPU once (SwiftShader in Node on machines without one).
import { init } from '../src/node.js';

await init();
