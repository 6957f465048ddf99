// The Molecules page: a small GPT or char-RNN learns SMILES strings in the browser, then generates
// molecules with the visitor's temperature, drawn by RDKit (its WebAssembly build, loaded when the
// page opens) with their molecular weight, logP and TPSA. The training set ships with the demo
// (demo/assets/drug-like.smi: a few hundred drug-like molecules written for it, bundled as text):
// MOSES's data may not be redistributed with the demo. The library's LanguageModelTrainer takes the
// steps on SMILES tokens packed as <start> tokens <end>, one chunk at a time.
import * as gg from '../../src/index.js';
import rdkitWasmUrl from '@rdkit/rdkit/RDKit_minimal.wasm?url';
import drugLike from '../assets/drug-like.smi?raw';
import { ChunkSizer } from '../chunks.js';
import { card, choice, element } from '../dom.js';
import { readLanguageModelPage, saveLanguageModelPage } from '../lm-checkpoint.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';

const SAMPLE_EVERY_MS = 8000;
/** The longest molecule sampled, in SMILES tokens. */
const MAX_TOKENS = 80;

type ModelKind = 'gpt' | 'rnn';
interface ModelChoice {
  label: string;
  blockSize: number;
  batchSize: number;
  lr: number;
  build(vocabSize: number): gg.models.LanguageModel;
}
const models: Record<ModelKind, ModelChoice> = {
  gpt: {
    label: 'GPT 2 layers, 64 wide',
    blockSize: 64,
    batchSize: 16,
    lr: 3e-3,
    build: (vocabSize) => new gg.models.GPT({ vocabSize, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 64 }, { generator: new gg.Generator(0) }),
  },
  rnn: {
    label: 'char-RNN, GRU 128',
    blockSize: 64,
    batchSize: 16,
    lr: 3e-3,
    build: (vocabSize) => new gg.models.CharRNN({ vocabSize, hiddenSize: 128 }, { generator: new gg.Generator(0) }),
  },
};

/** RDKit, loaded once: the page imports the package itself so that vite bundles it and serves its .wasm. */
let chemistry: Promise<gg.models.Chemistry> | null = null;
function loadChemistry(): Promise<gg.models.Chemistry> {
  chemistry ??= import('@rdkit/rdkit').then((module) =>
    gg.models.loadChemistry({ initRDKitModule: module.default as unknown as gg.models.InitRDKitModule, locateFile: () => rdkitWasmUrl }),
  );
  return chemistry;
}

class MoleculesPage implements DemoPage {
  readonly lossLabel = 'cross-entropy (nats per SMILES token)';
  readonly stepName = 'steps';
  readonly renderIntervalMs = SAMPLE_EVERY_MS;
  readonly checkpoint = {
    fileName: 'gengpu-molecules.safetensors',
    save: (metadata: Record<string, string>) => this.save(metadata),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private kind: ModelKind = 'gpt';
  private chem!: gg.models.Chemistry;
  private training: string[] = [];
  private known = new Set<string>();
  private vocab!: gg.models.SmilesVocab;
  private corpus!: gg.data.TokenCorpus;
  private model: gg.models.LanguageModel | null = null;
  private trainer: gg.models.LanguageModelTrainer | null = null;
  /** The trainer's step, recorded and replayed (gg.capture). */
  private captured: gg.CapturedFunction<[gg.Tensor, gg.Tensor], gg.Tensor> | null = null;
  private random = new gg.data.SeededRandom(1337);
  private sizer = new ChunkSizer();
  private steps = 0;
  private shell!: ShellApi;
  private readonly datasetInfo = element('div', { class: 'caption', id: 'dataset-info' });
  private readonly examples = element('div', { class: 'molecules', id: 'examples' });
  private readonly samples = element('ol', { class: 'samples', id: 'training-samples' });
  private readonly gallery = element('div', { class: 'molecules', id: 'molecules' });
  private readonly summary = element('div', { class: 'caption', id: 'generated-summary' });
  private readonly temperature = element('input', { type: 'range', min: '0.3', max: '1.5', step: '0.05', value: '0.8', id: 'temperature' });
  private readonly temperatureValue = element('span', {}, '0.80');
  private readonly count = element('input', { type: 'number', min: '1', max: '48', value: '12', id: 'count' });
  private readonly generateButton = element('button', { id: 'generate', class: 'primary' }, 'Generate');

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.shell = shell;
    const options = element('div', { class: 'options' });
    options.append(
      choice('model', 'model', Object.entries(models).map(([id, m]) => [id, m.label] as const), this.kind, (v) => {
        this.kind = v as ModelKind;
        void shell.restart();
      }),
    );
    this.temperature.oninput = () => (this.temperatureValue.textContent = Number(this.temperature.value).toFixed(2));
    this.generateButton.onclick = () => void this.generate();
    const labelled = (text: string, ...inputs: HTMLElement[]) => {
      const label = element('label', {}, text);
      label.append(...inputs);
      return label;
    };
    const sampling = element('div', { class: 'options' });
    sampling.append(labelled('temperature', this.temperature, this.temperatureValue), labelled('molecules', this.count), this.generateButton);
    const grid = element('div', { class: 'grid-2' });
    grid.append(
      card('Training set', this.datasetInfo, this.examples),
      card('Samples while training (temperature 0.8; ✓ parses, ✗ does not)', this.samples),
    );
    view.append(options, grid, card('Generate (pauses training)', sampling, this.summary, this.gallery));
    shell.note('loading RDKit (WebAssembly)…');
    this.chem = await loadChemistry();
    this.training = drugLike.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    this.known = new Set(this.training.map((s) => this.chem.canonical(s) ?? s));
    this.vocab = gg.models.SmilesVocab.fromSmiles(this.training);
    this.corpus = gg.models.smilesCorpus(this.training, this.vocab, { valFraction: 0 });
    this.datasetInfo.textContent =
      `${this.training.length} drug-like molecules written for this demo, ${this.corpus.tokens.length.toLocaleString('en-US')} SMILES tokens ` +
      `(vocabulary ${this.vocab.size}: ${this.vocab.tokens.slice(3).join(' ')}); RDKit ${this.chem.version}. A few:`;
    this.examples.replaceChildren(...this.training.slice(0, 4).map((s) => this.moleculeCard(s)));
    shell.note('');
  }

  async reset(): Promise<void> {
    this.captured?.dispose();
    this.trainer?.dispose();
    this.model?.dispose();
    this.model = models[this.kind].build(this.vocab.size);
    this.trainer = new gg.models.LanguageModelTrainer(this.model, { lr: models[this.kind].lr });
    const trainer = this.trainer;
    this.captured = gg.capture((x: gg.Tensor, y: gg.Tensor) => trainer.step({ x, y }).loss);
    this.random = new gg.data.SeededRandom(1337);
    this.sizer = new ChunkSizer();
    this.steps = 0;
    this.samples.replaceChildren();
    this.gallery.replaceChildren();
    this.summary.textContent = '';
  }

  async train() {
    const { batchSize, blockSize } = models[this.kind];
    const chunk = await this.sizer.run(() =>
      gg.scope(() => {
        const { x, y } = this.corpus.sampleBatch('train', batchSize, blockSize, this.random);
        return this.captured!(x, y);
      }),
    );
    this.steps += chunk.steps;
    return chunk;
  }

  /** While training: a few samples as SMILES, marked by whether RDKit parses them. */
  async render(): Promise<void> {
    if (this.steps === 0) return;
    const drawn = await this.sample(3, 0.8);
    const line = element('li', {}, `step ${this.steps}: ${drawn.map((s) => `${this.chem.isValid(s) ? '✓' : '✗'} ${s || '(empty)'}`).join('   ')}`);
    this.samples.prepend(line);
    while (this.samples.children.length > 6) this.samples.lastElementChild!.remove();
  }

  private sample(count: number, temperature: number): Promise<string[]> {
    return gg.models.sampleSmiles(this.model!, this.vocab, { count, temperature, maxLength: MAX_TOKENS, generator: new gg.Generator(Date.now() % 1_000_000) });
  }

  /** Pauses training, samples the chosen number of molecules and draws the valid ones with their properties. */
  private async generate(): Promise<void> {
    this.generateButton.disabled = true;
    try {
      await this.shell.run(async () => {
        const count = Math.max(1, Math.min(48, Math.round(Number(this.count.value)) || 12));
        this.summary.textContent = `sampling ${count} molecules…`;
        const drawn = await this.sample(count, Number(this.temperature.value));
        const canonical = drawn.map((s) => this.chem.canonical(s));
        const valid = canonical.filter((c): c is string => c !== null);
        const unique = new Set(valid);
        const novel = [...unique].filter((c) => !this.known.has(c));
        this.summary.textContent = `${valid.length} of ${count} valid, ${unique.size} distinct, ${novel.length} not in the training set (temperature ${Number(this.temperature.value).toFixed(2)})`;
        this.gallery.replaceChildren(...drawn.map((s, i) => (canonical[i] === null ? this.invalidCard(s) : this.moleculeCard(s, !this.known.has(canonical[i]!)))));
      });
    } finally {
      this.generateButton.disabled = false;
    }
  }

  /** A molecule drawn by RDKit, with its SMILES and properties. */
  private moleculeCard(smiles: string, novel = false): HTMLElement {
    const box = element('figure', { class: 'molecule valid' });
    const picture = element('div', { class: 'depiction' });
    picture.innerHTML = this.chem.svg(smiles, 200, 150) ?? '';
    const d = this.chem.descriptors(smiles)!;
    box.append(
      picture,
      element('figcaption', {}, smiles),
      element('div', { class: 'caption' }, `MW ${d.molecularWeight.toFixed(1)} · logP ${d.logP.toFixed(2)} · TPSA ${d.tpsa.toFixed(1)}${novel ? ' · new' : ''}`),
    );
    return box;
  }

  private invalidCard(smiles: string): HTMLElement {
    const box = element('figure', { class: 'molecule invalid' });
    box.append(element('div', { class: 'depiction' }, 'not a molecule'), element('figcaption', {}, smiles || '(empty)'));
    return box;
  }

  private save(extra: Record<string, string>): Promise<Uint8Array> {
    return saveLanguageModelPage(this.trainer!, { kind: this.kind, vocab: this.vocab.toJSON(), steps: this.steps }, extra);
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const file = readLanguageModelPage(bytes, 'Molecules', Object.keys(models));
    if (file.vocab.join(' ') !== this.vocab.tokens.join(' ')) throw new Error(`this checkpoint was trained with another SMILES vocabulary (${file.vocab.length} tokens, this page has ${this.vocab.size})`);
    this.kind = file.kind as ModelKind;
    (document.getElementById('model') as HTMLSelectElement).value = file.kind;
    await this.reset();
    await gg.models.loadLanguageModelCheckpoint(bytes, this.trainer!);
    this.steps = file.steps;
    return { note: `loaded a ${models[this.kind].label} trained for ${this.steps} steps`, step: this.steps };
  }
}

export const moleculesPage: PageModule = {
  id: 'molecules',
  label: 'Molecules',
  blurb: 'A small GPT or char-RNN learns drug-like SMILES, then generates molecules at your temperature, drawn by RDKit with their weight, logP and TPSA.',
  create: () => new MoleculesPage(),
};
