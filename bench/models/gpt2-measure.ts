// GPT-2 inference at batch 1, measured the same way in Node and in a page: the body of the GPT-2
// benchmark (bench/models/gpt2.ts runs it in Node, or with --browser in headless Chromium through
// bench/models/gpt2.html), so it imports the browser entry and nothing from node:*. The weights are
// random (seeded) unless `from` names a checkpoint, written in memory as a Hugging Face
// model.safetensors of the chosen size and loaded by gg.models.gpt2.load, so loading is measured
// too. It logs the load time, prefill tokens/s (the whole prompt in one pass through the fused
// attention), decode tokens/s (one token at a time with the KV cache, greedy), and GPU memory: the
// runtime's live plus pooled bytes (all the buffers it holds) after each tensor loads and at each
// stage after, and their peak, against the weights' bytes.
import * as gg from '../../src/index.js';
import { generate } from '../../src/models/lm/index.js';

/** The config.json of each GPT-2 size (Hugging Face's fields). */
export const gpt2Sizes: Record<string, gg.models.gpt2.HuggingFaceGPT2Config> = {
  '124M': { vocab_size: 50257, n_positions: 1024, n_layer: 12, n_embd: 768, n_head: 12 },
  '355M': { vocab_size: 50257, n_positions: 1024, n_layer: 24, n_embd: 1024, n_head: 16 },
  '774M': { vocab_size: 50257, n_positions: 1024, n_layer: 36, n_embd: 1280, n_head: 20 },
  '1.5B': { vocab_size: 50257, n_positions: 1024, n_layer: 48, n_embd: 1600, n_head: 25 },
};

/**
 * A model.safetensors of `config`'s GPT-2 with seeded random weights, in Hugging Face's layout
 * (Conv1D weights [in, out], the causal-mask buffers included), its header unpadded as GPT-2's is.
 */
export function randomCheckpoint(config: gg.models.gpt2.HuggingFaceGPT2Config, seed: number): Blob {
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

/** What to measure; every field has the Node CLI's default. */
export interface GPT2BenchOptions {
  /**
   * A checkpoint to load instead of random weights (gpt2.load's source: a directory in Node, a URL in
   * a page, where a Blob of GPT-2's size is more than Chromium's blob storage will read back).
   */
  from?: string;
  /** The GPT-2 size (124M, 355M, 774M or 1.5B) whose random weights are written, when `from` is absent. */
  size?: string;
  /** Tokens in the prompt. */
  prompt?: number;
  /** Tokens decoded after the prompt, greedily. */
  decode?: number;
  /** How gpt2.load holds the weights. */
  weights?: 'f16' | 'f32';
}

/**
 * Loads GPT-2 (random weights of `size`, or `from`) and times prefill and decode after a warm-up that
 * compiles the kernels for these shapes; every progress line and figure goes to `log`.
 */
export async function measureGPT2(options: GPT2BenchOptions, log: (line: string) => void): Promise<void> {
  const { from, size = '124M', prompt: promptLength = 128, decode: decodeTokens = 8, weights = 'f16' } = options;
  if (!from && !gpt2Sizes[size]) throw new Error(`gpt2 bench: size must be one of ${Object.keys(gpt2Sizes).join(', ')}, got ${size}`);
  await gg.init();
  const info = gg.runtime().adapterInfo;
  log(`adapter: ${info.vendor} ${info.architecture}${info.isFallbackAdapter ? ' (fallback)' : ''}`);

  const held = () => {
    const m = gg.runtime().memory();
    return m.liveBytes + m.pooledBytes;
  };
  let peak = 0;
  const note = (stage: string) => {
    const bytes = held();
    peak = Math.max(peak, bytes);
    log(`  GPU memory after ${stage}: ${(bytes / 2 ** 20).toFixed(1)} MiB held (live ${(gg.runtime().memory().liveBytes / 2 ** 20).toFixed(1)} MiB)`);
  };

  let started = performance.now();
  const source = from ?? { weights: randomCheckpoint(gpt2Sizes[size], 1234), config: gpt2Sizes[size] };
  if (!from) log(`random ${size} checkpoint written in memory in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  let lastReport = 0;
  const model = await gg.models.gpt2.load(source, {
    weights,
    onProgress: (loaded, total) => {
      peak = Math.max(peak, held()); // while loading, the pool still holds the temporaries of the model's random initialisation
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  loading: ${(loaded / 2 ** 20).toFixed(0)} MiB${total ? ` of ${(total / 2 ** 20).toFixed(0)}` : ''}`);
      }
    },
  });
  try {
    await gg.runtime().sync();
    // Counted from the state dict: an f16 model's packed weights are buffers (two halves per u32), not parameters.
    const stored = Object.values(model.stateDict());
    const weightCount = stored.reduce((n, t) => n + (t.dtype === 'u32' ? 2 : 1) * t.size, 0);
    const weightBytes = stored.reduce((n, t) => n + 4 * t.size, 0);
    log(`${model.toString().split('\n')[0]}): ${(weightCount / 1e6).toFixed(1)}M weights, ${(weightBytes / 2 ** 20).toFixed(1)} MiB as ${weights}; loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    note('loading');

    const { vocabSize } = model.config;
    const prompt = Array.from({ length: promptLength }, (_, i) => (i * 7919 + 13) % vocabSize);

    /** Greedy generation of `count` tokens after `tokens`: seconds to the first token, and per later token. */
    const timed = async (tokens: number[], count: number): Promise<{ prefill: number; perToken: number[] }> => {
      const decoder = model.decoder(1);
      const times: number[] = [];
      const start = performance.now();
      try {
        await generate(decoder, tokens, {
          maxNewTokens: count,
          temperature: 0,
          onToken: (_, step) => {
            times.push(performance.now());
            log(`  token ${step + 1} of ${count} at ${((times[step] - start) / 1000).toFixed(2)} s`);
          },
        });
        note(`a prompt of ${tokens.length} tokens and ${count} more`);
      } finally {
        decoder.dispose();
      }
      return { prefill: (times[0] - start) / 1000, perToken: times.slice(1).map((t, i) => (t - times[i]) / 1000) };
    };

    log(`warm-up (compiles the kernels for these shapes): the ${promptLength}-token prompt, 2 tokens`);
    await timed(prompt, 2);
    log(`measured: a ${promptLength}-token prompt, then ${decodeTokens} tokens`);
    const { prefill, perToken } = await timed(prompt, decodeTokens);
    const decodeSeconds = perToken.reduce((a, b) => a + b, 0);
    log(`prefill: ${promptLength} tokens in ${prefill.toFixed(2)} s = ${(promptLength / prefill).toFixed(1)} tokens/s (the prompt's pass and the first draw)`);
    if (perToken.length > 0) log(`decode: ${perToken.length} tokens in ${decodeSeconds.toFixed(2)} s = ${(perToken.length / decodeSeconds).toFixed(2)} tokens/s (KV cache, batch 1)`);
    log(`peak GPU memory held: ${(peak / 2 ** 20).toFixed(1)} MiB = ${(peak / weightBytes).toFixed(2)}x the weights (${(weightBytes / 2 ** 20).toFixed(1)} MiB)`);
  } finally {
    model.dispose();
  }
}
