// OpenAI's GPT-2 (124M, 355M, 774M, 1.5B) from a Hugging Face checkpoint: config.json gives the size,
// model.safetensors the weights. GPT-2 is the architecture of lm/gpt.ts (nanoGPT's), so the weights
// load into a GPT with the tanh GELU and the config's LayerNorm epsilon. Hugging Face's names are
// nanoGPT's without the 'transformer.' prefix; its Conv1D layers store their weights [in, out], the
// transpose of a Linear's, and are transposed on the way in. The causal-mask buffers ('attn.bias',
// 'attn.masked_bias') that older checkpoints hold are skipped, and so is 'lm_head.weight' where a
// file has it: the output head is tied to the token embedding, as in GPT-2.
//
// The file is read as a stream, one tensor at a time, each written into its parameter on the GPU and
// then dropped: host memory holds one tensor (and its transpose), never the file.

import { runtime } from '../../context.js';
import { openStream, readSourceText, joinLocation, sourceName, type FileSource } from '../../data/source.js';
import { openSafetensorsStream } from '../../io/stream.js';
import { loadedDtype, toLoadable } from '../../io/tensors.js';
import type { TensorInfo } from '../../io/format.js';
import { toHalfBits } from '../../ops/half.js';
import { formatShape, type Tensor } from '../../tensor.js';
import { GPT, type GPTConfig } from '../lm/gpt.js';

/** The fields of a Hugging Face GPT-2 config.json that gengpu reads (their names and meanings are Hugging Face's). */
export interface HuggingFaceGPT2Config {
  /** Number of token ids (50257 for GPT-2). */
  vocab_size: number;
  /** The longest context (1024 for GPT-2); older files call it n_ctx. */
  n_positions?: number;
  /** The older name of n_positions. */
  n_ctx?: number;
  /** The width. */
  n_embd: number;
  /** Number of transformer blocks. */
  n_layer: number;
  /** Attention heads per block. */
  n_head: number;
  /** The MLP's hidden width: null or absent for 4 * n_embd, the only width gengpu's GPT has. */
  n_inner?: number | null;
  /** The LayerNorms' epsilon (default 1e-5). */
  layer_norm_epsilon?: number;
  /** 'gelu_new' (GPT-2's tanh GELU, the default), 'gelu_pytorch_tanh' or 'gelu_fast' (the same function), or 'gelu' (exact). */
  activation_function?: string;
  /** Scores divided by sqrt(head size) (default true; false is not supported). */
  scale_attn_weights?: boolean;
  /** Scores further divided by the layer's number (default false; true is not supported). */
  scale_attn_by_inverse_layer_idx?: boolean;
  /** The output head tied to the token embedding (default true; false is not supported). */
  tie_word_embeddings?: boolean;
  /** Any other field of the file (read by other libraries, ignored here). */
  [field: string]: unknown;
}

const tanhGelus = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'];

/**
 * The GPT configuration of a Hugging Face GPT-2 config.json: sizes as the file says, the tanh GELU
 * (or the exact one for 'gelu'), its LayerNorm epsilon, biases, no dropout (for inference). Throws
 * naming the field where the file asks for something gengpu's GPT does not have.
 */
export function configFromHuggingFace(json: HuggingFaceGPT2Config): GPTConfig {
  const op = 'gpt2.configFromHuggingFace';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${op}: expected the object of a config.json, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  const integer = (field: string, value: unknown): number => {
    if (!Number.isInteger(value) || (value as number) < 1) throw new Error(`${op}: config field ${field} must be a positive integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const positions = json.n_positions ?? json.n_ctx;
  const config: GPTConfig = {
    vocabSize: integer('vocab_size', json.vocab_size),
    blockSize: integer(json.n_positions === undefined ? 'n_ctx (or n_positions)' : 'n_positions', positions),
    nLayer: integer('n_layer', json.n_layer),
    nHead: integer('n_head', json.n_head),
    nEmbd: integer('n_embd', json.n_embd),
    dropout: 0,
    bias: true,
  };
  const activation = json.activation_function ?? 'gelu_new';
  if (activation === 'gelu') config.geluApproximate = 'none';
  else if (tanhGelus.includes(activation)) config.geluApproximate = 'tanh';
  else throw new Error(`${op}: activation_function ${JSON.stringify(activation)} is not supported (supported: 'gelu', ${tanhGelus.map((a) => `'${a}'`).join(', ')})`);
  const eps = json.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${op}: layer_norm_epsilon must be a finite number >= 0, got ${JSON.stringify(eps)}`);
  config.layerNormEps = eps;
  const unsupported = (field: string, value: unknown, what: string) => new Error(`${op}: ${field} = ${JSON.stringify(value)} is not supported: ${what}`);
  if (json.n_inner != null && json.n_inner !== 4 * config.nEmbd) throw unsupported('n_inner', json.n_inner, `gengpu's GPT has an MLP of 4 * n_embd = ${4 * config.nEmbd}`);
  if (json.scale_attn_weights === false) throw unsupported('scale_attn_weights', false, 'attention scores are always divided by sqrt(head size)');
  if (json.scale_attn_by_inverse_layer_idx === true) throw unsupported('scale_attn_by_inverse_layer_idx', true, 'attention scores are not scaled by the layer number');
  if (json.tie_word_embeddings === false) throw unsupported('tie_word_embeddings', false, 'the output head is always the token embedding');
  return config;
}

/** Where a checkpoint's files are, when they are not side by side in one directory or URL. */
export interface GPT2Files {
  /** model.safetensors: a path (Node), a URL, or a File / Blob. */
  weights: FileSource;
  /** config.json as a path, URL or File, or its parsed object. */
  config: FileSource | HuggingFaceGPT2Config;
}

/** Options of {@link load}. */
export interface LoadGPT2Options {
  /**
   * How the token embedding's and the linear layers' weights are held on the GPU: 'f16' (the
   * default), packed halves, half the memory, rounded to the nearest half as torch's .half() (every
   * adapter runs them: see linearHalf); or 'f32', as the file's F32 values exactly. The LayerNorms,
   * position embedding and biases are f32 either way, and so is all arithmetic.
   */
  weights?: 'f16' | 'f32';
  /** Called after each tensor is on the GPU, and at the end, with the bytes of the file read so far and the file's size where known. */
  onProgress?: (loadedBytes: number, totalBytes: number | null) => void;
}

/** The Conv1D layers, whose weights Hugging Face stores [in, out]. */
const CONV1D = /^h\.\d+\.(attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj)\.weight$/;
/** Buffers of older checkpoints that hold no weights: the causal mask and its fill value. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

/** How a tensor of the file goes into the model: its state-dict key and whether it is transposed. */
interface Placement {
  key: string;
  transpose: boolean;
}

/**
 * Pairs the file's tensors with the model's parameters: returns where each loaded tensor goes, or
 * throws listing every missing, unknown, misshapen or unloadable tensor. `expected` is the model's
 * state-dict shapes by key.
 */
function plan(tensors: Record<string, TensorInfo>, expected: Map<string, readonly number[]>, file: string): Map<string, Placement> {
  const placements = new Map<string, Placement>();
  const problems: string[] = [];
  const loaded = new Map<string, string>();
  for (const [name, info] of Object.entries(tensors)) {
    // Files saved from GPT2LMHeadModel carry the 'transformer.' prefix; GPT2Model's (GPT-2's own) do not.
    const bare = name.startsWith('transformer.') ? name.slice('transformer.'.length) : name;
    if (MASK_BUFFER.test(bare) || bare === 'lm_head.weight') continue;
    const key = `transformer.${bare}`;
    const shape = expected.get(key);
    if (!shape) {
      problems.push(`${name} ${formatShape(info.shape)} is not a GPT-2 weight`);
      continue;
    }
    if (loaded.has(key)) {
      problems.push(`${name} and ${loaded.get(key)} are the same weight`);
      continue;
    }
    loaded.set(key, name);
    const transpose = CONV1D.test(bare);
    const stored = transpose ? [shape[1], shape[0]] : shape;
    if (formatShape(info.shape) !== formatShape(stored)) {
      problems.push(`${name} is ${formatShape(info.shape)}, but the config makes it ${formatShape(stored)}${transpose ? ' (Conv1D: [in, out])' : ''}`);
    } else if (loadedDtype(info.dtype) !== 'f32') {
      problems.push(`${name} has dtype ${info.dtype}; weights load from F32, F16, BF16 or F64`);
    } else {
      placements.set(name, { key, transpose });
    }
  }
  const missing = [...expected.keys()].filter((key) => !loaded.has(key)).map((key) => key.slice('transformer.'.length));
  if (missing.length > 0) problems.push(`missing from the file: ${missing.join(', ')}`);
  if (problems.length > 0) throw new Error(`gpt2.load: ${file} does not hold the GPT-2 the config describes:\n  ${problems.join('\n  ')}`);
  return placements;
}

/** A row-major [rows, cols] matrix transposed. */
function transposed(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[row + c];
  }
  return out;
}

/**
 * Loads a GPT-2 checkpoint in Hugging Face's format into a GPT (in evaluation mode): `source` is a
 * directory (Node) or base URL holding config.json and model.safetensors, or the two files given
 * apart. The weights are streamed: each tensor is checked, converted to f32 (F16 and BF16 exactly),
 * transposed where Hugging Face's Conv1D stores it [in, out], rounded to halves for f16 weights
 * (options.weights, the default), and written into the model as it arrives. Every name and shape is checked against the config before the model is made; a problem
 * found later (a truncated file) disposes the model before the error goes on. The tokenizer is
 * loaded apart (GPT2Tokenizer.load), from the same directory or URL.
 */
export async function load(source: string | URL | GPT2Files, options: LoadGPT2Options = {}): Promise<GPT> {
  const { weights = 'f16' } = options;
  if (weights !== 'f16' && weights !== 'f32') throw new Error(`gpt2.load: weights must be 'f16' or 'f32', got '${String(weights)}'`);
  const base = source instanceof URL ? source.href : source;
  const files: GPT2Files = typeof base === 'string' ? { weights: joinLocation(base, 'model.safetensors'), config: joinLocation(base, 'config.json') } : base;
  const config = configFromHuggingFace(await readConfig(files.config));
  const opened = await openStream(files.weights, 'gpt2.load');
  const reader = await openSafetensorsStream(opened.stream, opened.size).catch((error: Error) => {
    throw new Error(`gpt2.load: ${opened.name}: ${error.message}`, { cause: error });
  });
  let placements: Map<string, Placement>;
  let model: GPT;
  try {
    placements = plan(reader.header.tensors, expectedShapes(config), opened.name);
    model = new GPT(config, { weightDtype: weights });
  } catch (error) {
    await reader.cancel();
    throw error;
  }
  const rt = runtime();
  const dataStart = 8 + reader.header.headerBytes;
  const fileEnd = dataStart + Math.max(0, ...Object.values(reader.header.tensors).map((t) => t.dataOffsets[1]));
  try {
    const state = model.stateDict();
    for await (const [name, host] of reader.tensors((name) => placements.has(name))) {
      const { key, transpose } = placements.get(name)!;
      const target: Tensor = state[key];
      let { values } = toLoadable('gpt2.load', name, host);
      if (transpose) values = transposed(values as Float32Array, host.shape[0], host.shape[1]);
      const packed = target.dtype === 'u32';
      if (values.length !== target.size * (packed ? 2 : 1)) throw new Error(`${name}: ${values.length} values for the model's ${formatShape(target.shape)} ${target.dtype}`);
      target.bumpVersion();
      rt.write(target.buffer, packed ? toHalfBits(values) : values);
      options.onProgress?.(dataStart + reader.header.tensors[name].dataOffsets[1], opened.size);
    }
  } catch (error) {
    model.dispose();
    throw new Error(`gpt2.load: ${opened.name}: ${(error as Error).message}`, { cause: error });
  }
  // Making the model drew random weights through temporaries of each weight's size, which the pool
  // keeps (the token embedding's alone is a third of GPT-2's weights): give them back to the device.
  rt.emptyPool();
  options.onProgress?.(fileEnd, opened.size);
  return model.eval();
}

/** The model's parameter shapes by state-dict key, from the config alone (no model is made). */
function expectedShapes(config: GPTConfig): Map<string, readonly number[]> {
  const { vocabSize, blockSize, nLayer, nEmbd: C } = config;
  const shapes = new Map<string, readonly number[]>([
    ['transformer.wte.weight', [vocabSize, C]],
    ['transformer.wpe.weight', [blockSize, C]],
  ]);
  const linear = (name: string, inputs: number, outputs: number) => {
    shapes.set(`${name}.weight`, [outputs, inputs]);
    shapes.set(`${name}.bias`, [outputs]);
  };
  for (let i = 0; i < nLayer; i++) {
    const h = `transformer.h.${i}`;
    for (const norm of ['ln_1', 'ln_2']) {
      shapes.set(`${h}.${norm}.weight`, [C]);
      shapes.set(`${h}.${norm}.bias`, [C]);
    }
    linear(`${h}.attn.c_attn`, C, 3 * C);
    linear(`${h}.attn.c_proj`, C, C);
    linear(`${h}.mlp.c_fc`, C, 4 * C);
    linear(`${h}.mlp.c_proj`, 4 * C, C);
  }
  shapes.set('transformer.ln_f.weight', [C]);
  shapes.set('transformer.ln_f.bias', [C]);
  return shapes;
}

async function readConfig(config: GPT2Files['config']): Promise<HuggingFaceGPT2Config> {
  if (!isFileSource(config)) return config;
  const source = config;
  const text = await readSourceText(source, 'gpt2.load');
  try {
    return JSON.parse(text) as HuggingFaceGPT2Config;
  } catch (e) {
    throw new Error(`gpt2.load: the config ${sourceName(source)} is not valid JSON: ${(e as Error).message}`);
  }
}

function isFileSource(value: GPT2Files['config']): value is FileSource {
  return typeof value === 'string' || value instanceof URL || (typeof Blob !== 'undefined' && value instanceof Blob);
}
