// The frame every demo page shares: start / pause / reset, the training loop (short chunks that
// yield to the browser between them, so the page never freezes), the loss chart, steps/s, and the
// checkpoint buttons. The page itself (demo/page.ts) only trains a chunk and draws its outputs.
import * as gg from '../src/index.js';
import { element } from './dom.js';
import type { DemoPage, ShellApi } from './page.js';
import { drawLossChart, shortNumber } from './plot.js';

/** The safetensors metadata key under which checkpoints carry the loss curve. */
const LOSSES_KEY = 'demo.losses';
/** The most loss readings a checkpoint carries; longer histories keep every n-th one. */
const MAX_SAVED_LOSSES = 2000;

function thinned<T>(points: readonly T[]): T[] {
  const stride = Math.ceil(points.length / MAX_SAVED_LOSSES);
  return points.filter((_, i) => i % stride === 0 || i === points.length - 1);
}

/** Lets the browser paint and handle input between chunks. */
const yieldToBrowser = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Shell implements ShellApi {
  private readonly page: DemoPage;
  private readonly host: HTMLElement;
  private readonly startButton = element('button', { id: 'start', class: 'primary' }, 'Start');
  private readonly pauseButton = element('button', { id: 'pause' }, 'Pause');
  private readonly resetButton = element('button', { id: 'reset' }, 'Reset');
  private readonly status = element('div', { id: 'status', class: 'status', 'data-state': 'idle', 'data-step': '0' });
  private readonly message = element('div', { id: 'note', class: 'note' });
  private readonly chart = element('canvas', { id: 'loss-chart', class: 'loss-chart' });
  private losses: { step: number; loss: number }[] = [];
  private step = 0;
  private trainingSeconds = 0;
  private running = false;
  /** False until the page has mounted (its data loaded), made its first model and drawn it: the controls wait. */
  private ready = false;
  /** The checkpoint controls (save button, file picker), disabled with the others until the page is ready. */
  private checkpointControls: (HTMLButtonElement | HTMLInputElement)[] = [];
  private loop: Promise<void> | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(page: DemoPage, host: HTMLElement) {
    this.page = page;
    this.host = host;
  }

  /** Builds the controls, then mounts the page below them and draws its first state. */
  async mount(): Promise<void> {
    const controls = element('div', { class: 'controls' });
    controls.append(this.startButton, this.pauseButton, this.resetButton);
    this.startButton.onclick = () => this.start();
    this.pauseButton.onclick = () => void this.pause();
    this.resetButton.onclick = () => void this.restart();
    const checkpoint = this.page.checkpoint;
    if (checkpoint) {
      const save = element('button', { id: 'save' }, 'Save checkpoint');
      const load = element('label', { class: 'button', title: 'a .safetensors file saved from this page' }, 'Load checkpoint');
      const picker = element('input', { type: 'file', accept: '.safetensors', id: 'load' });
      load.append(picker);
      save.onclick = () => void this.run(async () => gg.io.downloadBlob(await checkpoint.save({ [LOSSES_KEY]: JSON.stringify(thinned(this.losses)) }), checkpoint.fileName));
      picker.onchange = () => {
        const file = picker.files?.[0];
        picker.value = '';
        if (!file) return;
        void this.run(async () => {
          const bytes = await gg.io.readBrowserFile(file);
          const loaded = await checkpoint.load(bytes);
          const history = gg.io.readHeader(bytes).metadata[LOSSES_KEY];
          this.step = loaded.step;
          this.losses = history ? (JSON.parse(history) as { step: number; loss: number }[]) : [];
          this.trainingSeconds = 0;
          await this.page.render();
          this.update();
          this.note(loaded.note);
        });
      };
      controls.append(element('span', { class: 'spacer' }), save, load);
      this.checkpointControls = [save, picker];
    }
    controls.append(this.status);
    const top = element('section', { class: 'card shell' });
    top.append(controls, this.message);
    if (this.page.lossLabel) top.append(this.chart);
    const view = element('div', { class: 'page-view' });
    this.host.append(top, view);
    this.update(); // every control disabled while the page loads its data (MNIST, a corpus): nothing to train yet
    await this.page.mount(view, this);
    await this.page.reset();
    await this.page.render();
    this.ready = true;
    this.update();
  }

  note(text: string, kind: 'info' | 'error' = 'info'): void {
    this.message.textContent = text;
    this.message.className = `note ${kind}`;
  }

  start(): void {
    if (this.running || !this.ready) return;
    this.running = true;
    this.note('');
    this.update();
    this.loop = this.exclusive(() => this.trainUntilPaused());
  }

  async pause(): Promise<void> {
    this.running = false;
    await this.loop;
    this.update();
  }

  async run(task: () => Promise<void>): Promise<void> {
    if (!this.ready) return; // nothing to save or sample before the first model exists
    await this.pause();
    await this.exclusive(task);
  }

  async restart(): Promise<void> {
    if (!this.ready) return; // an option changed while loading: the first reset, after mount, uses it
    await this.pause();
    await this.exclusive(async () => {
      this.losses = [];
      this.step = 0;
      this.trainingSeconds = 0;
      await this.page.reset();
      await this.page.render();
      this.update();
    });
  }

  /** Runs one GPU task at a time (training, a reset, a checkpoint); errors go to the note line. */
  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.busy.then(task).catch((error: unknown) => {
      this.running = false;
      this.note((error as Error).message ?? String(error), 'error');
      console.error(error);
    });
    this.busy = run.then(() => this.update());
    return run;
  }

  private async trainUntilPaused(): Promise<void> {
    const { renderIntervalMs = 0, minChunkMs = 0 } = this.page;
    let lastRender = performance.now();
    while (this.running) {
      const started = performance.now();
      const chunk = await this.page.train();
      // A chunk without steps (a forecast after the fit, say) is not training: it stays out of steps/s.
      if (chunk.steps > 0) this.trainingSeconds += (performance.now() - started) / 1000;
      this.step += chunk.steps;
      if (chunk.loss !== null) {
        if (!Number.isFinite(chunk.loss)) throw new Error(`training diverged: the loss became ${chunk.loss} at step ${this.step}; press Reset`);
        this.losses.push({ step: this.step, loss: chunk.loss });
      }
      if (chunk.done) {
        this.running = false;
        this.note(`finished after ${this.step} ${this.page.stepName}`);
      }
      if (!this.running || performance.now() - lastRender >= renderIntervalMs) {
        await this.page.render();
        lastRender = performance.now();
      }
      this.update();
      const left = minChunkMs - (performance.now() - started);
      await (left > 0 ? sleep(left) : yieldToBrowser());
    }
  }

  /** The status line, the buttons' states and the loss chart. */
  private update(): void {
    const state = this.running ? 'running' : this.step > 0 ? 'paused' : 'idle';
    const rate = this.trainingSeconds > 0 ? this.step / this.trainingSeconds : 0;
    const parts = [`${this.step} ${this.page.stepName}`];
    const last = this.losses[this.losses.length - 1];
    if (last) parts.push(`loss ${shortNumber(last.loss)}`);
    if (rate > 0) parts.push(`${rate.toFixed(rate < 10 ? 2 : 1)} ${this.page.stepName}/s`);
    this.status.textContent = parts.join(' · ');
    const mean = (points: { loss: number }[]) => (points.length ? String(points.reduce((sum, p) => sum + p.loss, 0) / points.length) : '');
    // For scripts and tests: the mean of the first and of the latest three loss readings.
    Object.assign(this.status.dataset, {
      state,
      step: String(this.step),
      earlyLoss: mean(this.losses.slice(0, 3)),
      recentLoss: mean(this.losses.slice(-3)),
      lossCount: String(this.losses.length),
    });
    this.startButton.disabled = this.running || !this.ready;
    this.pauseButton.disabled = !this.running;
    this.resetButton.disabled = !this.ready;
    for (const control of this.checkpointControls) control.disabled = !this.ready;
    if (this.page.lossLabel) drawLossChart(this.chart, this.losses, this.page.lossLabel);
  }
}
