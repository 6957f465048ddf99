// GPT-2 from a Hugging Face checkpoint (gg.models.gpt2.load), checked against PyTorch without
// downloading GPT-2: bench/reference/pytorch_gpt2.py wrote tests/fixtures/gpt2-tiny/, a GPT-2 at a
// reduced size in Hugging Face's format (its tensor names, Conv1D weights [in, out], the causal-mask
// buffers of older files, data starting at an odd byte) with random weights, and PyTorch's logits.
// The loaded model must give those logits to float32 precision, from a directory, a file: URL and
// Files; the KV-cached decoder must give them too, and greedy decoding PyTorch's tokens; generateText
// streams the text of those tokens (with the fixture's byte-level vocab.json and merges.txt). The configs of the four GPT-2 sizes map to the GPT's; a file that
// does not match its config, or is truncated, throws naming the tensors and leaves no buffer behind.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { configFromHuggingFace, generateText, GPT2Tokenizer, load, type HuggingFaceGPT2Config } from '../../src/models/gpt2/index.js';
import type { GPT } from '../../src/models/lm/index.js';
import { expectClose } from '../helpers/check.js';

const directory = new URL('../fixtures/gpt2-tiny/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, directory));
const config = JSON.parse(fixture('config.json').toString()) as HuggingFaceGPT2Config;
const reference = JSON.parse(fixture('logits.json').toString()) as {
  dataStart: number;
  cases: { tokens: number[]; logits: number[] }[];
  greedy: { prompt: number[]; tokens: number[]; minMargin: number };
};
const V = config.vocab_size;
/** Weights as the file's f32 values, for the comparisons with PyTorch at float32 precision. */
const F32 = { weights: 'f32' } as const;
/** float32 arithmetic against float64: logits of magnitude up to ~20 through two blocks. */
const [ATOL, RTOL] = [2e-4, 2e-5];

async function logitsOf(model: GPT, tokens: number[]): Promise<Float32Array> {
  const logits = gg.scope(() => gg.noGrad(() => model.forward(gg.tensor(Int32Array.from(tokens), [1, tokens.length]))));
  try {
    return (await logits.data()) as Float32Array;
  } finally {
    logits.dispose();
  }
}

async function expectReferenceLogits(model: GPT, what: string): Promise<void> {
  for (const { tokens, logits } of reference.cases) expectClose(await logitsOf(model, tokens), logits, ATOL, RTOL, `${what}, prompt of ${tokens.length}`);
}

/** The IEEE half nearest to x (ties to even), as bits. */
function toHalf(x: number): number {
  const bits = new Uint32Array(Float32Array.of(x).buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  const rounded = (value: number, dropped: number, shift: number) => {
    const half = 1 << (shift - 1);
    return dropped > half || (dropped === half && (value & 1) === 1) ? value + 1 : value;
  };
  if (exponent >= 31) throw new Error(`toHalf: ${x} is beyond the halves`);
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    return sign | rounded(full >>> shift, full & ((1 << shift) - 1), shift);
  }
  return sign | rounded((exponent << 10) | (mantissa >>> 13), mantissa & 0x1fff, 13);
}

/** The fixture's safetensors with `change` applied to its parsed tensors, written again. */
function changedWeights(change: (tensors: Record<string, gg.io.HostTensor>) => void): Blob {
  const { tensors, metadata } = gg.io.deserialize(fixture('model.safetensors'));
  change(tensors);
  return new Blob([gg.io.serializeArrays(tensors, metadata)]);
}

describe('gpt2.load', () => {
  it("matches PyTorch's logits from a directory, a file: URL and Files; data starts at an odd byte", async () => {
    expect(reference.dataStart % 4).toBe(3);
    const baseline = gg.runtime().memory().liveBuffers;
    const progress: number[] = [];
    const model = await load(directory.pathname, { weights: 'f32', onProgress: (loaded, total) => progress.push(loaded / total!) });
    expect(model.training).toBe(false);
    expect(model.config).toMatchObject({ vocabSize: V, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 32, bias: true, geluApproximate: 'tanh', layerNormEps: 1e-3 });
    expect(progress.at(-1)).toBe(1);
    await expectReferenceLogits(model, 'from a directory');
    model.dispose();

    const fromUrl = await load(directory, F32);
    await expectReferenceLogits(fromUrl, 'from a file: URL');
    fromUrl.dispose();

    const files = { weights: new File([fixture('model.safetensors')], 'model.safetensors'), config: new File([fixture('config.json')], 'config.json') };
    const fromFiles = await load(files, F32);
    await expectReferenceLogits(fromFiles, 'from Files');
    fromFiles.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(baseline);
  });

  it('loads weights saved with the transformer. prefix and an lm_head as the same model', async () => {
    const prefixed = changedWeights((tensors) => {
      for (const name of Object.keys(tensors)) {
        tensors[`transformer.${name}`] = tensors[name];
        delete tensors[name];
      }
      tensors['lm_head.weight'] = tensors['transformer.wte.weight'];
    });
    const model = await load({ weights: prefixed, config }, F32);
    await expectReferenceLogits(model, 'with the transformer. prefix');
    model.dispose();
  });

  it('loads an F16 file as the f32 model of the same values', async () => {
    const halves = new Map<string, Uint16Array>();
    const f16 = changedWeights((tensors) => {
      for (const [name, t] of Object.entries(tensors)) {
        const bits = Uint16Array.from(t.data as Float32Array, toHalf);
        halves.set(name, bits);
        tensors[name] = { dtype: 'F16', shape: t.shape, data: bits };
      }
    });
    const widened = changedWeights((tensors) => {
      for (const [name, t] of Object.entries(tensors)) tensors[name] = { ...t, data: gg.io.toLoadable('test', name, { dtype: 'F16', shape: t.shape, data: halves.get(name)! }).values as Float32Array };
    });
    const [fromHalves, fromFloats] = [await load({ weights: f16, config }, F32), await load({ weights: widened, config }, F32)];
    for (const { tokens } of reference.cases) expectClose(await logitsOf(fromHalves, tokens), await logitsOf(fromFloats, tokens), 0, 0, 'F16 file against its f32 values');
    fromHalves.dispose();
    fromFloats.dispose();
  });

  it('holds weights as halves by default: the f32 model of the rounded weights, in half the memory', async () => {
    const baseline = gg.runtime().memory();
    const model = await load(directory.pathname);
    expect(model.weightDtype).toBe('f16');
    const halfBytes = gg.runtime().memory().liveBytes - baseline.liveBytes;
    expect(model.stateDict()['transformer.h.0.attn.c_attn.weight'].shape).toEqual([96, 16]); // [3C, C] as [3C, C / 2] words
    expect(model.parameters().every((p) => !p.requiresGrad)).toBe(true);
    // The weights it holds as halves, rounded: the token embedding and the linear layers' weights (not biases, LayerNorms or wpe).
    const rounded = changedWeights((tensors) => {
      for (const [name, t] of Object.entries(tensors)) {
        if (!(name === 'wte.weight' || (t.shape.length === 2 && name.startsWith('h.')))) continue;
        const halves = gg.toHalfBits(t.data as Float32Array);
        tensors[name] = { ...t, data: gg.io.toLoadable('test', name, { dtype: 'F16', shape: t.shape, data: halves }).values as Float32Array };
      }
    });
    const exact = await load({ weights: rounded, config }, F32);
    const floatBytes = gg.runtime().memory().liveBytes - baseline.liveBytes - halfBytes;
    for (const { tokens, logits } of reference.cases) {
      const half = await logitsOf(model, tokens);
      expectClose(half, await logitsOf(exact, tokens), ATOL, RTOL, `f16 weights against f32 of the same values, prompt of ${tokens.length}`);
      expectClose(half, logits, 0.1, 0.01, `f16 weights against PyTorch's f32, prompt of ${tokens.length}`);
    }
    // Decoding reads the halves directly (one row), prefill widens them (many rows): both as the f32 model.
    const [greedy] = await gg.models.sampleText(model, reference.greedy.prompt, { maxNewTokens: reference.greedy.tokens.length, temperature: 0 });
    expect([...greedy]).toEqual(reference.greedy.tokens);
    // The tiny model's LayerNorms, biases and position embedding (f32 either way) are a large share of it.
    expect(halfBytes).toBeLessThan(0.75 * floatBytes);
    model.dispose();
    exact.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(baseline.liveBuffers);
  });

  it('streams the checkpoint from an http URL, and frees the model when the download ends early', async () => {
    const whole = fixture('model.safetensors');
    const served: Record<string, Uint8Array> = {
      '/good/config.json': fixture('config.json'),
      '/good/model.safetensors': whole,
      '/cut/config.json': fixture('config.json'),
      '/cut/model.safetensors': whole.subarray(0, whole.length - 1000),
    };
    const server = createServer((request, response) => {
      const body = served[request.url ?? ''];
      response.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const baseline = gg.runtime().memory().liveBuffers;
      const model = await load(`${url}/good`, F32);
      await expectReferenceLogits(model, 'from an http URL');
      model.dispose();
      // The size of a download is not known up front: the missing end shows after the model was made.
      await expect(load(`${url}/cut`)).rejects.toThrow(/gpt2.load: http:.*\/cut\/model.safetensors: safetensors: the file ends at byte \d+, inside tensor/);
      await expect(load(`${url}/missing`)).rejects.toThrow(/gpt2.load: cannot fetch http:.*\/missing\/config.json: HTTP 404/);
      expect(gg.runtime().memory().liveBuffers).toBe(baseline);
    } finally {
      server.close();
    }
  });

  it('decodes with the KV cache: the same logits, and greedy decoding gives PyTorch\'s tokens', async () => {
    const model = await load(directory.pathname, F32);
    const baseline = gg.runtime().memory().liveBuffers;
    const { tokens, logits } = reference.cases[2];
    const decoder = model.decoder(1);
    // The prompt's first 12 tokens in one pass (prefill), then one at a time.
    const prefill = decoder.feed(Int32Array.from(tokens.slice(0, 12)), 12);
    expectClose((await prefill.data()) as Float32Array, logits.slice(11 * V, 12 * V), ATOL, RTOL, 'prefill');
    prefill.dispose();
    for (let t = 12; t < tokens.length; t++) {
      const step = decoder.feed(Int32Array.from([tokens[t]]), 1);
      expectClose((await step.data()) as Float32Array, logits.slice(t * V, (t + 1) * V), ATOL, RTOL, `decoding position ${t}`);
      step.dispose();
    }
    decoder.dispose();

    expect(reference.greedy.minMargin).toBeGreaterThan(0.01); // far above float32 noise: argmax cannot flip
    const [greedy] = await gg.models.sampleText(model, reference.greedy.prompt, { maxNewTokens: reference.greedy.tokens.length, temperature: 0 });
    expect([...greedy]).toEqual(reference.greedy.tokens);
    expect(gg.runtime().memory().liveBuffers).toBe(baseline);
    model.dispose();
  });

  it('generateText streams the text of the decoded tokens; top-k 1 is greedy; a seed repeats a sample', async () => {
    const model = await load(directory.pathname);
    // The fixture's tokenizer: GPT-2's 256 byte tokens with id = the byte and no merges, so the model's 96 ids are ASCII.
    const tokenizer = await GPT2Tokenizer.load(directory.pathname);
    expect([tokenizer.vocabSize, tokenizer.eosTokenId, tokenizer.encode('A b')]).toEqual([257, 256, [65, 32, 98]]);
    const prompt = tokenizer.decode(reference.greedy.prompt);
    expect(tokenizer.encode(prompt)).toEqual(reference.greedy.prompt);

    const streamed: string[] = [];
    const greedy = await generateText(model, tokenizer, prompt, { maxNewTokens: reference.greedy.tokens.length, temperature: 0, onText: (text) => streamed.push(text) });
    expect([...greedy.tokens]).toEqual(reference.greedy.tokens);
    expect(greedy.text).toBe(tokenizer.decode(reference.greedy.tokens));
    expect(streamed.join('')).toBe(greedy.text);
    expect(greedy.promptTokens).toBe(reference.greedy.prompt.length);
    expect(greedy.prefillSeconds).toBeGreaterThan(0);

    const topK1 = await generateText(model, tokenizer, prompt, { maxNewTokens: 6, topK: 1 });
    expect([...topK1.tokens]).toEqual(reference.greedy.tokens.slice(0, 6));
    const sample = () => generateText(model, tokenizer, prompt, { maxNewTokens: 8, temperature: 0.9, topP: 0.95, generator: new gg.Generator(3) });
    const [a, b] = [await sample(), await sample()];
    expect(a.text).toBe(b.text);
    model.dispose();
  });
});

describe('gpt2.configFromHuggingFace', () => {
  it("maps the four GPT-2 sizes' config.json to the GPT's configuration", () => {
    const base = { vocab_size: 50257, n_positions: 1024, n_ctx: 1024, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5, n_inner: null, model_type: 'gpt2' };
    const sizes: [string, number, number, number][] = [['124M', 12, 768, 12], ['355M', 24, 1024, 16], ['774M', 36, 1280, 20], ['1.5B', 48, 1600, 25]];
    for (const [, n_layer, n_embd, n_head] of sizes) {
      expect(configFromHuggingFace({ ...base, n_layer, n_embd, n_head })).toEqual({
        vocabSize: 50257, blockSize: 1024, nLayer: n_layer, nHead: n_head, nEmbd: n_embd, dropout: 0, bias: true, geluApproximate: 'tanh', layerNormEps: 1e-5,
      });
    }
    const old = configFromHuggingFace({ vocab_size: 50257, n_ctx: 1024, n_layer: 12, n_embd: 768, n_head: 12, activation_function: 'gelu' });
    expect([old.blockSize, old.geluApproximate, old.layerNormEps]).toEqual([1024, 'none', 1e-5]);
  });

  it('names the field it cannot follow', () => {
    const good = { vocab_size: 50257, n_positions: 1024, n_layer: 12, n_embd: 768, n_head: 12 };
    expect(() => configFromHuggingFace({ ...good, n_layer: 0 })).toThrow(/n_layer must be a positive integer, got 0/);
    expect(() => configFromHuggingFace({ ...good, n_positions: undefined })).toThrow(/n_ctx \(or n_positions\) must be a positive integer/);
    expect(() => configFromHuggingFace({ ...good, activation_function: 'relu' })).toThrow(/activation_function "relu" is not supported/);
    expect(() => configFromHuggingFace({ ...good, n_inner: 1000 })).toThrow(/n_inner = 1000 is not supported/);
    expect(() => configFromHuggingFace({ ...good, scale_attn_by_inverse_layer_idx: true })).toThrow(/scale_attn_by_inverse_layer_idx/);
    expect(() => configFromHuggingFace({ ...good, tie_word_embeddings: false })).toThrow(/tie_word_embeddings/);
    expect(() => configFromHuggingFace({ ...good, layer_norm_epsilon: -1 })).toThrow(/layer_norm_epsilon must be a finite number >= 0, got -1/);
  });
});

describe('gpt2.load on files that do not match', () => {
  it('lists missing, unknown and misshapen tensors before making the model, and frees everything on a truncated file', async () => {
    const baseline = gg.runtime().memory().liveBuffers;
    const broken = changedWeights((tensors) => {
      delete tensors['h.1.mlp.c_fc.bias'];
      tensors['h.0.attn.extra'] = tensors['ln_f.bias'];
      tensors['h.0.attn.c_attn.weight'] = { ...tensors['h.0.attn.c_attn.weight'], shape: [96, 32] };
    });
    const error = await load({ weights: broken, config }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/gpt2.load: a Blob of \d+ bytes does not hold the GPT-2 the config describes/);
    expect((error as Error).message).toMatch(/h.0.attn.extra \[32\] is not a GPT-2 weight/);
    expect((error as Error).message).toMatch(/h.0.attn.c_attn.weight is \[96, 32\], but the config makes it \[32, 96\] \(Conv1D: \[in, out\]\)/);
    expect((error as Error).message).toMatch(/missing from the file: h.1.mlp.c_fc.bias/);

    const whole = fixture('model.safetensors');
    const truncated = new File([whole.subarray(0, whole.length - 1000)], 'model.safetensors');
    await expect(load({ weights: truncated, config })).rejects.toThrow(/gpt2.load: the file model.safetensors: .*(truncated|MetadataIncompleteBuffer)/);
    await expect(load({ weights: new File(['{}'], 'config.json'), config })).rejects.toThrow(/gpt2.load: the file config.json: safetensors: the file has 2 bytes/);
    await expect(load({ weights: new File([whole], 'model.safetensors'), config: { ...config, n_layer: 3 } })).rejects.toThrow(/missing from the file: h.2.ln_1.weight/);
    await expect(load('/nonexistent/gpt2')).rejects.toThrow(/gpt2.load: cannot read \/nonexistent\/gpt2\/config.json/);
    expect(gg.runtime().memory().liveBuffers).toBe(baseline);
  });
});
