// The contract between the demo's shell (nav, start / pause / reset, the loss chart, steps/s, the
// adapter, checkpoint buttons) and one page of the demo. A new page (the GAN page, say) is one
// module that exports a PageModule and one line in demo/pages/registry.ts.

/** What one call of DemoPage.train did. */
export interface TrainingChunk {
  /** Optimizer steps (or EM iterations, or benchmark stages) done in this call. */
  steps: number;
  /** The mean training loss over those steps; null where the page has no loss (the kernel ladder). */
  loss: number | null;
  /** True when there is nothing left to train (EM converged, the ladder finished): the shell pauses. */
  done?: boolean;
}

export interface LoadedCheckpoint {
  note: string;
  /** The step count the shell continues from. */
  step: number;
}

/** Saving and restoring a page's model as a safetensors file. */
export interface PageCheckpoint {
  /** The download's file name. */
  fileName: string;
  /** The file's bytes; `metadata` (the shell's loss history) goes into the safetensors header. */
  save(metadata: Record<string, string>): Promise<Uint8Array>;
  /** Restores the page from a file: a line for the status area, and the steps the model had trained. */
  load(bytes: Uint8Array): Promise<LoadedCheckpoint>;
}

/** What the shell offers a page. */
export interface ShellApi {
  /** Pauses training and starts from a fresh model (the page's reset), e.g. after an option changed. */
  restart(): Promise<void>;
  /** Pauses training (if running) and resolves once the current chunk has finished. */
  pause(): Promise<void>;
  /** Pauses training, then runs a task that uses the model (sampling, say) before anything else touches it. */
  run(task: () => Promise<void>): Promise<void>;
  /** A line under the controls: what is happening, or what went wrong. */
  note(text: string, kind?: 'info' | 'error'): void;
}

export interface DemoPage {
  /** What the y axis of the loss chart is, e.g. '-ELBO (nats per image)'; null hides the chart. */
  readonly lossLabel: string | null;
  /** The name of one step, plural, for the status line: 'steps', 'EM iterations'. */
  readonly stepName: string;
  /** Calls to render() at most this often while training (default: after every chunk). */
  readonly renderIntervalMs?: number;
  /** Training chunks are spread to take at least this long, so fast animations stay visible (default 0). */
  readonly minChunkMs?: number;
  readonly checkpoint?: PageCheckpoint;
  /** Builds the page's controls and outputs in `view` and loads its data. */
  mount(view: HTMLElement, shell: ShellApi): Promise<void>;
  /** A fresh model from the page's current options (the previous one's GPU memory freed). */
  reset(): Promise<void>;
  /** A short burst of training (a few hundred ms at most, so the page stays responsive). */
  train(): Promise<TrainingChunk>;
  /** Draws the page's outputs from the current model. */
  render(): Promise<void>;
}

export interface PageModule {
  /** The ?page= value. */
  id: string;
  /** The nav label. */
  label: string;
  /** One line under the page title. */
  blurb: string;
  create(): DemoPage;
}
