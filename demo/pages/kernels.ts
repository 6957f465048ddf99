// The Kernels page: the engine's benchmark ladder (demo/kernel-suite.ts) on the visitor's own GPU.
// Each training "step" is one stage: the pipelines' first-run times, then matmul GFLOPS of every
// kernel variant at one size after another, then the per-op dispatch overhead, then gg.tune() on the
// ladder's sizes and on rows for softmax and layer norm (each candidate timed by the GPU's timestamp
// queries where the adapter offers them), whose choices the engine follows in this tab from then on.
// The bars fill in as the stages finish; pause stops between stages.
import * as gg from '../../src/index.js';
import { availableVariants, measureCompile, measureDispatch, measureMatmul, type CompileRow, type DispatchResult, type MatmulRow, type SuiteTiming } from '../kernel-suite.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, PageModule, ShellApi } from '../page.js';
import { drawBars, palette, shortNumber } from '../plot.js';

type Ladder = 'quick' | 'full';
const ladders: Record<Ladder, { label: string; sizes: number[]; timing: SuiteTiming; rows: [number, number][]; tuneMs: number }> = {
  quick: { label: 'quick: 128 and 256, a fraction of a second per kernel', sizes: [128, 256], timing: { taskMs: 150, iterations: 2, workScale: 1 / 8 }, rows: [[64, 256]], tuneMs: 30 },
  full: { label: 'full: 256, 512 and 1024, 1.5 s per kernel (as npm run bench)', sizes: [256, 512, 1024], timing: {}, rows: [[256, 256], [64, 4096]], tuneMs: 150 },
};

class KernelsPage implements DemoPage {
  readonly lossLabel = null;
  readonly stepName = 'stages';

  private ladder: Ladder = 'quick';
  private stage = 0;
  private compile: CompileRow[] = [];
  private matmul: MatmulRow[] = [];
  private dispatch: DispatchResult | null = null;
  private tuned: gg.TuneReport | null = null;
  private readonly bars = element('canvas', { class: 'bars', id: 'ladder-bars' });
  private readonly table = element('table', { class: 'ladder', id: 'ladder-table' });
  private readonly compileInfo = element('div', { class: 'caption', id: 'compile' });
  private readonly dispatchInfo = element('div', { class: 'caption', id: 'dispatch' });
  private readonly tuneTable = element('pre', { class: 'caption', id: 'tuning' });

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    const options = element('div', { class: 'options' });
    options.append(
      choice('ladder', 'ladder', Object.entries(ladders).map(([id, l]) => [id, l.label] as const), this.ladder, (v) => {
        this.ladder = v as Ladder;
        void shell.restart();
      }),
    );
    const variants = availableVariants(gg.runtime()).map((v) => `${v}: ${gg.matmulVariantSpecs[v].summary}`);
    view.append(
      options,
      card('Matmul GFLOPS per kernel variant (median), largest size so far', this.bars, this.compileInfo, this.dispatchInfo),
      card('All sizes', this.table, element('div', { class: 'caption' }, `kernels on this adapter — ${variants.join('; ')}`)),
      card('Tuned for this adapter (gg.tune): the choice per shape class, every candidate timed', this.tuneTable),
    );
  }

  async reset(): Promise<void> {
    this.stage = 0;
    this.compile = [];
    this.matmul = [];
    this.dispatch = null;
    this.tuned = null;
  }

  async train() {
    const rt = gg.runtime();
    const { sizes, timing, rows, tuneMs } = ladders[this.ladder];
    const stages = sizes.length + 3;
    if (this.stage >= stages) await this.reset(); // Start after a finished ladder runs it again
    if (this.stage === 0) this.compile = await measureCompile(rt);
    else if (this.stage <= sizes.length) this.matmul.push(...(await measureMatmul(rt, sizes[this.stage - 1], timing)));
    else if (this.stage === sizes.length + 1) this.dispatch = await measureDispatch(rt, timing);
    else this.tuned = await gg.tune({ matmulShapes: sizes.map((n) => [n, n, n] as const), rowShapes: rows, budgetMs: tuneMs });
    this.stage++;
    return { steps: 1, loss: null, done: this.stage >= stages };
  }

  async render(): Promise<void> {
    const largest = Math.max(0, ...this.matmul.map((row) => row.n));
    const rows = this.matmul.filter((row) => row.n === largest);
    this.bars.style.height = `${Math.max(1, rows.length) * 26 + 12}px`;
    drawBars(
      this.bars,
      rows.map((row, i) => ({ label: `${row.variant} @ ${row.n}`, value: row.gflopsMedian, color: palette[i % palette.length], text: `${shortNumber(row.gflopsMedian)} GFLOPS` })),
    );
    if (rows.length === 0) this.compileInfo.textContent = 'press Start to run the ladder on this GPU';
    else this.compileInfo.textContent = '';
    if (this.compile.length) {
      this.compileInfo.textContent = `first run (pipeline compile + one product): ${this.compile.map((c) => `${c.variant} ${c.ms.toFixed(0)} ms`).join(', ')}`;
    }
    this.dispatchInfo.textContent = this.dispatch
      ? `dispatch overhead: ${this.dispatch.usPerOpMedian.toFixed(1)} µs per op in a chain of ${this.dispatch.chain} (${this.dispatch.usRecordingPerOp.toFixed(1)} µs of it recording in JS, ${this.dispatch.submits} submits)`
      : '';
    this.tuneTable.textContent = this.tuned ? this.tuned.table() : 'the last stage tunes the kernel choices on this adapter';
    const sizes = [...new Set(this.matmul.map((row) => row.n))];
    const variants = [...new Set(this.matmul.map((row) => row.variant.replace(/ \(.*/, '')))];
    const header = element('tr');
    header.append(element('th', {}, 'variant'), ...sizes.map((n) => element('th', {}, `${n}: GFLOPS / ms`)));
    const body = variants.map((variant) => {
      const tr = element('tr');
      tr.append(element('td', {}, variant));
      for (const n of sizes) {
        const row = this.matmul.find((r) => r.n === n && r.variant.replace(/ \(.*/, '') === variant)!;
        tr.append(element('td', {}, `${shortNumber(row.gflopsMedian)} / ${row.msPerProduct.toFixed(2)}${row.variant.startsWith('auto') ? ` ${row.variant.slice(4)}` : ''}`));
      }
      return tr;
    });
    this.table.replaceChildren(header, ...body);
  }
}

export const kernelsPage: PageModule = {
  id: 'kernels',
  label: 'Kernels',
  blurb: "The engine's matmul kernel ladder — naive, register-blocked, workgroup-tiled, subgroup-shared — measured on your GPU, then the kernel choices tuned for it.",
  create: () => new KernelsPage(),
};
