// The GPT-2 page: OpenAI's GPT-2 from a Hugging Face checkpoint (a base URL, or the visitor's own
// model.safetensors, config.json, vocab.json and merges.txt), run in the browser. Start writes a
// continuation of the prompt one token per step: the prompt goes through the model in one pass (the
// fused attention fills the KV cache), then each drawn token alone; the text streams in as its
// characters complete, with the prefill and decoding speeds. Weights are held as packed halves
// (half the memory) or as f32, the visitor's choice. The page opens on a tiny GPT-2 with
// random weights (the tests' fixture, served under data/gpt2), so it works without a download.
import * as gg from '../../src/index.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, PageModule, ShellApi } from '../page.js';

/** The tiny random GPT-2 the page opens with. */
const TINY_SOURCE = 'data/gpt2';
/** Where Hugging Face serves OpenAI's GPT-2 (124M) files. */
const HUB_GPT2 = 'https://huggingface.co/openai-community/gpt2/resolve/main';

/** The checkpoint's files by their roles, from a multiple-file pick (Hugging Face's or OpenAI's names). */
function pickedFiles(files: readonly File[]): { weights: File; config: File; vocab: File; merges: File } {
  const find = (...names: string[]) => files.find((f) => names.some((n) => (n.startsWith('.') ? f.name.endsWith(n) : f.name === n)));
  const found = { weights: find('.safetensors'), config: find('config.json'), vocab: find('vocab.json', 'encoder.json'), merges: find('merges.txt', 'vocab.bpe') };
  const missing = Object.entries(found).filter(([, f]) => !f).map(([role]) => ({ weights: 'model.safetensors', config: 'config.json', vocab: 'vocab.json', merges: 'merges.txt' })[role]);
  if (missing.length > 0) throw new Error(`pick all four files of the checkpoint at once; missing: ${missing.join(', ')}`);
  return found as { weights: File; config: File; vocab: File; merges: File };
}

const MiB = (bytes: number) => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : `${(bytes / 2 ** 10).toFixed(0)} KiB`);
const parameterCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(1)}K`);

/** A model's weights and their bytes on the GPU, from its state dict (packed halves count two per word). */
function weightsOf(model: gg.models.GPT): { count: number; bytes: number } {
  const stored = Object.values(model.stateDict());
  return { count: stored.reduce((n, t) => n + (t.dtype === 'u32' ? 2 : 1) * t.size, 0), bytes: stored.reduce((n, t) => n + 4 * t.size, 0) };
}

class Gpt2Page implements DemoPage {
  readonly lossLabel = null;
  readonly stepName = 'tokens';

  private shell!: ShellApi;
  private model: gg.models.GPT | null = null;
  private tokenizer: gg.models.gpt2.GPT2Tokenizer | null = null;
  private modelName = '';
  private weightDtype: 'f16' | 'f32' = 'f16';
  private source: string | { weights: File; config: File; vocab: File; merges: File } = TINY_SOURCE;
  private decoder: gg.models.GPTDecoder | null = null;
  private lastToken = 0;
  private produced = 0;
  private utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  private generator = new gg.Generator(1);
  private prefill: { tokens: number; seconds: number } | null = null;
  private decodeSeconds = 0;
  private readonly modelInfo = element('div', { class: 'caption', id: 'model-info' });
  private readonly url = element('input', { type: 'text', value: HUB_GPT2, id: 'checkpoint-url' });
  private readonly prompt = element('textarea', { id: 'prompt', rows: '3' });
  private readonly temperature = element('input', { type: 'range', min: '0', max: '1.5', step: '0.05', value: '0.8', id: 'temperature' });
  private readonly temperatureValue = element('span', {}, '0.80');
  private readonly topK = element('input', { type: 'number', min: '0', max: '50257', value: '40', id: 'top-k' });
  private readonly topP = element('input', { type: 'number', min: '0.05', max: '1', step: '0.05', value: '0.95', id: 'top-p' });
  private readonly maxTokens = element('input', { type: 'number', min: '1', max: '2000', value: '100', id: 'max-tokens' });
  private readonly output = element('pre', { class: 'generated', id: 'generated' });
  private readonly continuation = element('span');
  private readonly speed = element('div', { class: 'caption', id: 'speed' });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    this.prompt.value = 'The meaning of life is';
    this.prompt.style.width = '100%';
    this.url.style.width = '420px';
    this.temperature.oninput = () => (this.temperatureValue.textContent = Number(this.temperature.value).toFixed(2));
    const labelled = (text: string, ...inputs: HTMLElement[]) => {
      const label = element('label', {}, text);
      label.append(...inputs);
      return label;
    };
    const fromUrl = element('button', { id: 'load-url' }, 'Load from URL');
    fromUrl.onclick = () => void this.switchTo(this.url.value.trim(), this.url.value.trim());
    const tiny = element('button', { id: 'load-tiny' }, 'Tiny random GPT-2');
    tiny.onclick = () => void this.switchTo(TINY_SOURCE, 'the tiny random GPT-2');
    const picker = element('input', { type: 'file', multiple: '', accept: '.safetensors,.json,.txt,.bpe', id: 'checkpoint-files' });
    const pickerLabel = element('label', { class: 'button', title: 'model.safetensors, config.json, vocab.json and merges.txt, together' }, 'Use files…');
    pickerLabel.append(picker);
    picker.onchange = () => {
      const files = Array.from(picker.files ?? []);
      picker.value = '';
      if (files.length === 0) return;
      try {
        const picked = pickedFiles(files);
        void this.switchTo(picked, picked.weights.name);
      } catch (error) {
        shell.note((error as Error).message, 'error');
      }
    };
    const storage = choice('weights', 'weights', [['f16', 'f16 (half the memory)'], ['f32', 'f32 (the file\'s values)']], this.weightDtype, (v) => {
      this.weightDtype = v as 'f16' | 'f32';
      void this.switchTo(this.source, this.modelName);
    });
    const source = element('div', { class: 'options' });
    source.append(labelled('checkpoint (a folder of config.json, model.safetensors, vocab.json, merges.txt)', this.url), fromUrl, pickerLabel, tiny, storage);
    const sampling = element('div', { class: 'options' });
    sampling.append(
      labelled('temperature (0 = greedy)', this.temperature, this.temperatureValue),
      labelled('top-k (0 = all)', this.topK),
      labelled('top-p', this.topP),
      labelled('new tokens', this.maxTokens),
    );
    view.append(
      card('Checkpoint', source, this.modelInfo),
      card('Prompt (Start writes, Pause stops, Reset clears)', this.prompt, sampling, this.output, this.speed),
    );
    await this.loadModel(TINY_SOURCE, 'the tiny random GPT-2');
  }

  /** Loads a checkpoint in place of the current one, then starts over from the prompt. */
  private async switchTo(source: string | { weights: File; config: File; vocab: File; merges: File }, name: string): Promise<void> {
    await this.shell.run(() => this.loadModel(source, name));
    await this.shell.restart();
  }

  private async loadModel(source: string | { weights: File; config: File; vocab: File; merges: File }, name: string): Promise<void> {
    this.decoder?.dispose();
    this.decoder = null;
    this.model?.dispose();
    this.model = null;
    this.modelInfo.textContent = '';
    const started = performance.now();
    this.shell.note(`loading ${name}…`);
    const [model, tokenizer] = await Promise.all([
      gg.models.gpt2.load(typeof source === 'string' ? source : { weights: source.weights, config: source.config }, {
        weights: this.weightDtype,
        onProgress: (loaded, total) => this.shell.note(`loading ${name}: ${MiB(loaded)}${total ? ` of ${MiB(total)}` : ''}`),
      }),
      gg.models.gpt2.GPT2Tokenizer.load(typeof source === 'string' ? source : { vocab: source.vocab, merges: source.merges }),
    ]);
    this.model = model;
    this.tokenizer = tokenizer;
    this.modelName = name;
    this.source = source;
    const c = model.config;
    const weights = weightsOf(model);
    this.modelInfo.textContent =
      `${name}: ${parameterCount(weights.count)} parameters (${c.nLayer} layers, ${c.nHead} heads, width ${c.nEmbd}, ` +
      `context ${c.blockSize}, vocabulary ${c.vocabSize}), ${MiB(weights.bytes)} as ${this.weightDtype}, loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    this.shell.note(`loaded ${name}`);
  }

  async reset(): Promise<void> {
    this.decoder?.dispose();
    this.decoder = null;
    this.produced = 0;
    this.prefill = null;
    this.decodeSeconds = 0;
    this.utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
    this.generator = new gg.Generator(Date.now() % 1_000_000);
    this.continuation.textContent = '';
    this.output.replaceChildren(element('span', { class: 'prompt' }, this.prompt.value), this.continuation);
  }

  /** One token: the first call runs the whole prompt through the model (prefill), later ones one token each. */
  async train() {
    const model = this.model;
    const tokenizer = this.tokenizer;
    if (!model || !tokenizer) throw new Error('no checkpoint is loaded');
    const started = performance.now();
    let logits: gg.Tensor;
    if (!this.decoder) {
      let ids = tokenizer.encode(this.prompt.value);
      if (ids.length === 0) {
        if (tokenizer.eosTokenId === null) throw new Error('write a prompt: this vocabulary has no <|endoftext|> to start from');
        ids = [tokenizer.eosTokenId];
      }
      gg.models.checkTokens('GPT-2 page', ids, model.config.vocabSize);
      this.output.replaceChildren(element('span', { class: 'prompt' }, this.prompt.value), this.continuation);
      this.decoder = model.decoder(1);
      logits = this.decoder.feed(Int32Array.from(ids), ids.length);
      this.prefill = { tokens: Math.min(ids.length, model.config.blockSize), seconds: 0 };
    } else {
      logits = this.decoder.feed(Int32Array.of(this.lastToken), 1);
    }
    let token: number;
    try {
      const temperature = Number(this.temperature.value);
      const topK = Number(this.topK.value);
      const topP = Number(this.topP.value);
      [token] = await gg.models.sampleNext(logits, {
        temperature,
        topK: temperature > 0 && topK > 0 ? topK : undefined,
        topP: temperature > 0 && topP > 0 && topP < 1 ? topP : undefined,
        generator: this.generator,
      });
    } finally {
      logits.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    if (this.produced === 0) this.prefill!.seconds = seconds;
    else this.decodeSeconds += seconds;
    this.produced++;
    this.lastToken = token;
    const end = token === tokenizer.eosTokenId;
    this.continuation.textContent += end ? this.utf8.decode() : this.utf8.decode(tokenizer.decodeBytes([token]), { stream: true });
    const limit = Math.max(1, Number(this.maxTokens.value) || 100);
    return { steps: 1, loss: null, done: end || this.produced >= limit };
  }

  async render(): Promise<void> {
    if (!this.prefill) {
      this.speed.textContent = this.model ? `${this.modelName}: press Start to write` : '';
      return;
    }
    const parts = [`prefill: ${this.prefill.tokens} prompt tokens in ${this.prefill.seconds.toFixed(2)} s (${(this.prefill.tokens / this.prefill.seconds).toFixed(1)} tokens/s)`];
    if (this.produced > 1) parts.push(`decoding: ${this.produced - 1} tokens at ${((this.produced - 1) / this.decodeSeconds).toFixed(2)} tokens/s (KV cache)`);
    this.speed.textContent = parts.join(' · ');
  }
}

export const gpt2Page: PageModule = {
  id: 'gpt2',
  label: 'GPT-2',
  blurb: "OpenAI's GPT-2 from a Hugging Face checkpoint (a URL or your files), writing in your browser with temperature, top-k and top-p.",
  create: () => new Gpt2Page(),
};
