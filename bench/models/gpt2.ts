// Benchmark: GPT-2 inference at batch 1, through the same path as a real checkpoint. The weights are
// random (seeded) unless --from names a checkpoint, written in memory as a Hugging Face
// model.safetensors of the chosen size and loaded by gg.models.gpt2.load, so loading is measured
// too. Prints the load time, prefill tokens/s (the whole prompt in one pass through the fused
// attention), decode tokens/s (one token at a time with the KV cache, greedy), and GPU memory: the
// runtime's live plus pooled bytes (all the buffers it holds) after each tensor loads and at each
// stage after, and their peak, against the weights' bytes.
//   npx tsx bench/models/gpt2.ts                       124M, a 128-token prompt, 8 decoded tokens
//   npx tsx bench/models/gpt2.ts --size 355M --prompt 64 --decode 4
//   npx tsx bench/models/gpt2.ts --from path/to/gpt2   a Hugging Face checkpoint directory (config.json, model.safetensors)
//   npx tsx bench/models/gpt2.ts --weights f32         f32 weights instead of packed halves (gpt2.load's default, f16)
// On a software adapter the 124M model is slow: keep --decode small.
import * as gg from '../../src/node.js';
import { generate } from '../../src/models/lm/index.js';
import { option } from '../harness/options.js';

/** The config.json of each GPT-2 size (Hugging Face's fields). */
const sizes: Record<string, gg.models.gpt2.HuggingFaceGPT2Config> = {
  '124M': { vocab_size: 50257, n_positions: 1024, n_layer: 12, n_embd: 768, n_head: 12 },
  '355M': { vocab_size: 50257, n_positions: 1024, n_layer: 24, n_embd: 1024, n_head: 16 },
  '774M': { vocab_size: 50257, n_positions: 1024, n_layer: 36, n_embd: 1280, n_head: 20 },
  '1.5B': { vocab_size: 50257, n_positions: 1024, n_layer: 48, n_embd: 1600, n_head: 25 },
};

/**
 * A model.safetensors of `config`'s GPT-2 with seeded random weights, in Hugging Face's layout
 * (Conv1D weights [in, out], the causal-mask buffers included), its header unpadded as GPT-2's is.
 */
function randomCheckpoint(config: gg.models.gpt2.HuggingFaceGPT2Config, seed: number): Blob {
  const { vocab_size: V, n_positions: T = 1024, n_layer: L, n_embd: C } = config;
  const shapes: [string, number[]][] = [['wte.weight', [V, C]], ['wpe.weight', [T, C]]];
  for (let i = 0; i < L; i++) {
    const h = `h.${i}.`;
    shapes.push(
      [`${h}ln_1.weight`, [C]], [`${h}ln_1.bias`, [C]], [`${h}attn.bias`, [1, 1, T, T]],
      [`${h}attn.c_attn.weight`, [C, 3 * C]], [`${h}attn.c_attn.bias`, [3 * C]], [`${h}attn.c_proj.weight`, [C, C]], [`${h}attn.c_proj.bias`, [C]],
      [`${h}ln_2.weight`, [C]], [`${h}ln_2.bias`, [C]],
      [`${h}mlp.c_fc.weight`, [C, 4 * C]], [`${h}mlp.c_fc.bias`, [4 * C]], [`${h}mlp.c_proj.weight`, [4 * C, C]], [`${h}mlp.c_proj.bias`, [C]],
    );
  }
  shapes.push(['ln_f.weight', [C]], ['ln_f.bias', [C]]);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(8);
  new DataView(length.buffer).setUint32(0, json.length, true);
  let state = seed >>> 0;
  const parts: BlobPart[] = [length, json];
  for (const [name, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('attn.bias')) {
      for (let r = 0; r < T; r++) values.fill(1, r * T, r * T + r + 1);
    } else if (name.includes('ln_') && name.endsWith('.weight')) {
      values.fill(1);
    } else {
      // Uniform with GPT-2's initial standard deviation, 0.02.
      for (let i = 0; i < values.length; i++) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        values[i] = (state / 2 ** 32 - 0.5) * 0.02 * Math.sqrt(12);
      }
    }
    parts.push(values);
  }
  return new Blob(parts);
}

await gg.init();
const info = gg.runtime().adapterInfo;
console.log(`adapter: ${info.vendor} ${info.architecture}${info.isFallbackAdapter ? ' (fallback)' : ''}`);
const from = option('from', undefined);
const size = option('size', '124M')!;
const promptLength = option('prompt', 128);
const decodeTokens = option('decode', 8);
const weights = option('weights', 'f16') as 'f16' | 'f32';
if (!from && !sizes[size]) throw new Error(`--size must be one of ${Object.keys(sizes).join(', ')}, got ${size}`);

const held = () => {
  const m = gg.runtime().memory();
  return m.liveBytes + m.pooledBytes;
};
let peak = 0;
const note = (stage: string) => {
  const bytes = held();
  peak = Math.max(peak, bytes);
  console.log(`  GPU memory after ${stage}: ${(bytes / 2 ** 20).toFixed(1)} MiB held (live ${(gg.runtime().memory().liveBytes / 2 ** 20).toFixed(1)} MiB)`);
};

let started = performance.now();
const source = from ?? { weights: randomCheckpoint(sizes[size], 1234), config: sizes[size] };
if (!from) console.log(`random ${size} checkpoint written in memory in ${((performance.now() - started) / 1000).toFixed(1)} s`);
started = performance.now();
let lastReport = 0;
const model = await gg.models.gpt2.load(source, {
  weights,
  onProgress: (loaded, total) => {
    peak = Math.max(peak, held()); // while loading, the pool still holds the temporaries of the model's random initialisation
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      console.log(`  loading: ${(loaded / 2 ** 20).toFixed(0)} MiB${total ? ` of ${(total / 2 ** 20).toFixed(0)}` : ''}`);
    }
  },
});
await gg.runtime().sync();
// Counted from the state dict: an f16 model's packed weights are buffers (two halves per u32), not parameters.
const stored = Object.values(model.stateDict());
const weightCount = stored.reduce((n, t) => n + (t.dtype === 'u32' ? 2 : 1) * t.size, 0);
const weightBytes = stored.reduce((n, t) => n + 4 * t.size, 0);
console.log(`${model.toString().split('\n')[0]}): ${(weightCount / 1e6).toFixed(1)}M weights, ${(weightBytes / 2 ** 20).toFixed(1)} MiB as ${weights}; loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
note('loading');

const { vocabSize } = model.config;
const prompt = Array.from({ length: promptLength }, (_, i) => (i * 7919 + 13) % vocabSize);

/** Greedy generation of `count` tokens after `tokens`: seconds to the first token, and per later token. */
async function timed(tokens: number[], count: number): Promise<{ prefill: number; perToken: number[] }> {
  const decoder = model.decoder(1);
  const times: number[] = [];
  const start = performance.now();
  try {
    await generate(decoder, tokens, {
      maxNewTokens: count,
      temperature: 0,
      onToken: (_, step) => {
        times.push(performance.now());
        console.log(`  token ${step + 1} of ${count} at ${((times[step] - start) / 1000).toFixed(2)} s`);
      },
    });
    note(`a prompt of ${tokens.length} tokens and ${count} more`);
  } finally {
    decoder.dispose();
  }
  return { prefill: (times[0] - start) / 1000, perToken: times.slice(1).map((t, i) => (t - times[i]) / 1000) };
}

console.log(`warm-up (compiles the kernels for these shapes): the ${promptLength}-token prompt, 2 tokens`);
await timed(prompt, 2);
console.log(`measured: a ${promptLength}-token prompt, then ${decodeTokens} tokens`);
const { prefill, perToken } = await timed(prompt, decodeTokens);
const decodeSeconds = perToken.reduce((a, b) => a + b, 0);
console.log(`prefill: ${promptLength} tokens in ${prefill.toFixed(2)} s = ${(promptLength / prefill).toFixed(1)} tokens/s (the prompt's pass and the first draw)`);
if (perToken.length > 0) console.log(`decode: ${perToken.length} tokens in ${decodeSeconds.toFixed(2)} s = ${(perToken.length / decodeSeconds).toFixed(2)} tokens/s (KV cache, batch 1)`);
console.log(`peak GPU memory held: ${(peak / 2 ** 20).toFixed(1)} MiB = ${(peak / weightBytes).toFixed(2)}x the weights (${(weightBytes / 2 ** 20).toFixed(1)} MiB)`);
model.dispose();
