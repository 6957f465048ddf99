// The fused-block family: a transformer's MLP block, y = GELU(x W1ᵀ + b1) W2ᵀ + b2 + x (exact GELU), at
// the GPT step's shapes (12 x 64 tokens, 128 wide, 512 hidden): two matmuls with the bias, the
// activation and the residual around them. gengpu runs it with fusion (the default: each matmul runs
// the ops after it as its epilogue, two dispatches), without (setFusion(false): six), and captured
// (gg.capture); the peers run the same expression (jax-js's jit fuses it its own way). Checked against
// float64; the throughput counts the two products' flops.
// Alone, in Node: `npx tsx bench/kernels/blocks.ts [--quick]`.

import * as gg from '../../src/index.js';
import { gengpuCase, isEntryPoint, upload, type Case } from '../harness/cases.js';
import { HostRandom, type HostTensor, type Prepared } from '../harness/harness.js';
import { erfc } from '../../tests/helpers/reference.js';

/** The block's inputs: x [tokens, width], W1 [hidden, width], b1 [hidden], W2 [width, hidden], b2 [width]. */
interface BlockInputs {
  x: HostTensor;
  w1: HostTensor;
  b1: HostTensor;
  w2: HostTensor;
  b2: HostTensor;
}

/** The block in float64, as the check's reference. */
function referenceBlock({ x, w1, b1, w2, b2 }: BlockInputs): Float64Array {
  const [tokens, width] = x.shape;
  const hidden = w1.shape[0];
  const out = new Float64Array(tokens * width);
  const h = new Float64Array(hidden);
  for (let r = 0; r < tokens; r++) {
    for (let j = 0; j < hidden; j++) {
      let s = b1.data[j];
      for (let k = 0; k < width; k++) s += x.data[r * width + k] * w1.data[j * width + k];
      h[j] = 0.5 * s * erfc(-s / Math.SQRT2);
    }
    for (let c = 0; c < width; c++) {
      let s = b2.data[c] + x.data[r * width + c];
      for (let j = 0; j < hidden; j++) s += h[j] * w2.data[c * hidden + j];
      out[r * width + c] = s;
    }
  }
  return out;
}

/** gengpu's block: fused (the default) or each op its own kernel, or captured and replayed. */
function gengpuBlock(inputs: BlockInputs, mode: 'fused' | 'unfused' | 'captured'): Prepared {
  const [x, w1, b1, w2, b2] = [inputs.x, inputs.w1, inputs.b1, inputs.w2, inputs.b2].map(upload);
  const block = (input: gg.Tensor) => {
    const hidden = gg.nn.functional.linear(input, w1, b1).gelu();
    return gg.nn.functional.linear(hidden, w2, b2).add(input);
  };
  if (mode === 'captured') {
    const captured = gg.capture(block);
    const prepared = gengpuCase(() => captured(x), 1, [x, w1, b1, w2, b2]);
    return { ...prepared, dispose: () => { captured.dispose(); prepared.dispose(); } };
  }
  return gengpuCase(() => {
    const previous = gg.isFusionEnabled();
    gg.setFusion(mode === 'fused');
    try {
      return block(x);
    } finally {
      gg.setFusion(previous);
    }
  }, 1, [x, w1, b1, w2, b2]);
}

function blockCase(tokens: number, width: number, hidden: number, random: HostRandom): Case {
  const inputs: BlockInputs = {
    x: random.normal([tokens, width]),
    w1: random.normal([hidden, width], 1 / Math.sqrt(width)),
    b1: random.normal([hidden], 0.1),
    w2: random.normal([width, hidden], 1 / Math.sqrt(hidden)),
    b2: random.normal([width], 0.1),
  };
  return {
    suite: 'fused block',
    name: `GELU MLP: GELU(x W1ᵀ + b1) W2ᵀ + b2 + x, x [${tokens}, ${width}], hidden ${hidden}`,
    unit: 'GFLOPS',
    work: 2 * 2 * tokens * width * hidden,
    reps: 1,
    reference: () => ({ values: referenceBlock(inputs), tolerance: 1e-5 }),
    gengpu: [
      { library: 'gengpu', role: 'gengpu', prepare: () => gengpuBlock(inputs, 'fused') },
      { library: 'gengpu, unfused (setFusion(false))', role: 'variant', prepare: () => gengpuBlock(inputs, 'unfused') },
      { library: 'gengpu, captured (gg.capture)', role: 'variant', prepare: () => gengpuBlock(inputs, 'captured') },
    ],
    peer: { kind: 'mlpBlock', ...inputs },
  };
}

export function blockCases(quick: boolean): Case[] {
  const random = new HostRandom(2031);
  return quick ? [blockCase(64, 32, 128, random)] : [blockCase(768, 128, 512, random)];
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(blockCases);
