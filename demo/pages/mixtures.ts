// The GMM / HMM page: EM on 2-D points, one iteration per frame, drawn as it goes. The Gaussian
// mixture's components appear as 1- and 2-sigma ellipses over points coloured by their most likely
// component, with the points the fitted mixture finds least likely ringed as anomalies. The Gaussian
// HMM fits a sequence drawn from a sticky 3-state chain; below the plane, its Viterbi path runs
// against the states that generated the sequence.
import * as gg from '../../src/index.js';
import { card, choice, element } from '../dom.js';
import type { DemoPage, LoadedCheckpoint, PageModule, ShellApi } from '../page.js';
import { PlaneView, colors, palette, sharpContext } from '../plot.js';

type ModelKind = 'gmm' | 'hmm';
type Covariance = gg.models.GaussianMixtureCovariances;

/** Points a fitted mixture gives the lowest 3% of the training likelihood are flagged. */
const ANOMALY_QUANTILE = 0.03;
/** EM stops when the loss (negative mean log-likelihood) moves less than this in an iteration. */
const CONVERGED = 1e-5;

/** The mixture the GMM's points are drawn from: four elongated clusters. */
const trueMixture: gg.models.GaussianMixtureParameters = {
  weights: [0.3, 0.25, 0.25, 0.2],
  means: [[-2.2, 1.4], [1.8, 1.9], [0.4, -1.8], [3.2, -1.2]],
  covariances: [
    [[0.55, 0.35], [0.35, 0.45]],
    [[0.25, -0.18], [-0.18, 0.35]],
    [[0.8, 0.05], [0.05, 0.12]],
    [[0.12, 0.0], [0.0, 0.4]],
  ],
};

/** The chain behind the HMM's sequence: sticky states with distinct 2-D emissions. */
const trueChain: gg.models.GaussianHMMParameters = {
  startprob: [1, 0, 0],
  transmat: [[0.95, 0.04, 0.01], [0.02, 0.95, 0.03], [0.04, 0.01, 0.95]],
  means: [[-1.5, 0], [1.5, 1], [0.5, -1.6]],
  covars: [[[0.35, 0.1], [0.1, 0.3]], [[0.3, -0.12], [-0.12, 0.25]], [[0.5, 0], [0, 0.15]]],
};

/** Each component's 2 x 2 covariance, whatever the covariance type stored. */
function covarianceMatrices(covariances: Covariance, type: string, k: number): number[][][] {
  switch (type) {
    case 'full':
      return covariances as number[][][];
    case 'tied':
      return Array.from({ length: k }, () => covariances as number[][]);
    case 'diag':
      return (covariances as number[][]).map(([a, d]) => [[a, 0], [0, d]]);
    default:
      return (covariances as number[]).map((v) => [[v, 0], [0, v]]);
  }
}

/** `k` distinct rows of `points` [n, 2], chosen by a seeded generator: EM's starting means. */
function randomRows(points: Float32Array, k: number, seed: number): number[][] {
  const random = new gg.data.SeededRandom(seed);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(random.int(points.length / 2));
  return [...chosen].map((i) => [points[2 * i], points[2 * i + 1]]);
}

/** The relabelling of `decoded` states that agrees most with `truth` (K! tries; K is small). */
function bestRelabelling(decoded: Int32Array, truth: Int32Array, k: number): number[] {
  const permutations = (items: number[]): number[][] =>
    items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
  let best: number[] = [...Array(k).keys()];
  let bestAgreement = -1;
  for (const mapping of permutations([...Array(k).keys()])) {
    let agreement = 0;
    for (let i = 0; i < decoded.length; i++) if (mapping[decoded[i]] === truth[i]) agreement++;
    if (agreement > bestAgreement) [best, bestAgreement] = [mapping, agreement];
  }
  return best;
}

class MixturesPage implements DemoPage {
  readonly lossLabel = 'negative log-likelihood per point (nats)';
  readonly stepName = 'EM iterations';
  readonly minChunkMs = 140;
  readonly checkpoint = {
    fileName: 'gengpu-mixture.safetensors',
    save: (metadata: Record<string, string>) => this.save(metadata),
    load: (bytes: Uint8Array) => this.load(bytes),
  };

  private kind: ModelKind = 'gmm';
  private components = 4;
  private covarianceType: gg.models.GaussianMixtureCovarianceType = 'full';
  private seed = 10;
  private points: Float32Array = new Float32Array(0);
  private trueStates: Int32Array = new Int32Array(0);
  private x: gg.Tensor | null = null;
  private gmm: gg.models.GaussianMixture | null = null;
  private hmm: gg.models.GaussianHMM | null = null;
  private previousLoss = Infinity;
  private readonly plane = element('canvas', { class: 'plane', id: 'plane' });
  private readonly strip = element('canvas', { class: 'strip', id: 'strip' });
  private readonly legend = element('div', { class: 'legend' });
  private readonly stripCard = card('Sequence: generating states (top) and Viterbi path (bottom)', this.strip);
  private readonly caption = element('div', { class: 'caption' });
  private readonly planeTitle = element('h3');
  /** The covariance picker, shown for the mixture only (the HMM's states have full covariances). */
  private covarianceChoice: HTMLElement | null = null;

  async mount(view: HTMLElement, shell: ShellApi): Promise<void> {
    this.covarianceChoice = choice('covariance', 'covariance', [['full', 'full'], ['diag', 'diagonal'], ['spherical', 'spherical'], ['tied', 'tied']], this.covarianceType, (v) => {
      this.covarianceType = v as gg.models.GaussianMixtureCovarianceType;
      void shell.restart();
    });
    const options = element('div', { class: 'options' });
    options.append(
      choice('model', 'model', [['gmm', 'Gaussian mixture (EM)'], ['hmm', 'Gaussian HMM (Baum-Welch)']], this.kind, (v) => {
        this.kind = v as ModelKind;
        void shell.restart();
      }),
      choice('components', 'components', ['2', '3', '4', '5', '6', '8'].map((v) => [v, v] as const), String(this.components), (v) => {
        this.components = Number(v);
        void shell.restart();
      }),
      this.covarianceChoice,
      // EM finds a local optimum: seed 10 reaches the generating mixture, 3 and 6 settle elsewhere.
      choice('start', 'seed', ['10', '5', '3', '6'].map((v) => [v, `random points, seed ${v}`] as const), String(this.seed), (v) => {
        this.seed = Number(v);
        void shell.restart();
      }),
    );
    const planeCard = element('section', { class: 'card' });
    planeCard.append(this.planeTitle, this.plane, this.legend, this.caption);
    view.append(options, planeCard, this.stripCard);
  }

  async reset(): Promise<void> {
    this.x?.dispose();
    this.previousLoss = Infinity;
    this.gmm = null;
    this.hmm = null;
    if (this.kind === 'gmm') {
      const source = new gg.models.GaussianMixture({ nComponents: 4, seed: 7 }).setParameters(trueMixture);
      const drawn = source.sample(1200);
      const inliers = (await drawn.samples.data()) as Float32Array;
      drawn.samples.dispose();
      drawn.labels.dispose();
      // A few points scattered uniformly over a wider box: what the anomaly flags should find.
      const random = new gg.data.SeededRandom(11);
      const outliers = Float32Array.from({ length: 2 * 36 }, (_, i) => (i % 2 === 0 ? -5 + 10 * random.random() : -4.5 + 9 * random.random()));
      this.points = new Float32Array([...inliers, ...outliers]);
      this.trueStates = new Int32Array(0);
      this.gmm = new gg.models.GaussianMixture({
        nComponents: this.components,
        covarianceType: this.covarianceType,
        init: randomRows(this.points, this.components, this.seed),
        warmStart: true,
        maxIter: 1,
        regCovar: 1e-4,
      });
    } else {
      const source = new gg.models.GaussianHMM({ nComponents: 3, covarianceType: 'full', seed: 5 }).setParameters(trueChain);
      const drawn = source.sample(600);
      this.points = (await drawn.samples.data()) as Float32Array;
      this.trueStates = (await drawn.states.data()) as Int32Array;
      drawn.samples.dispose();
      drawn.states.dispose();
      const k = this.components;
      this.hmm = new gg.models.GaussianHMM({ nComponents: k, covarianceType: 'full', nIter: 1, initParams: '', seed: this.seed }).setParameters({
        startprob: Array(k).fill(1 / k),
        transmat: Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 0.6 : 0.4 / (k - 1)))),
        means: randomRows(this.points, k, this.seed),
        covars: Array.from({ length: k }, () => [[1, 0], [0, 1]]),
      });
    }
    this.x = gg.tensor(this.points, [this.points.length / 2, 2]);
    this.stripCard.style.display = this.kind === 'hmm' ? '' : 'none';
    this.covarianceChoice!.style.display = this.kind === 'gmm' ? '' : 'none';
    this.planeTitle.textContent =
      this.kind === 'gmm' ? 'Points by most likely component; fitted Gaussians (1σ, 2σ); anomalies ringed' : 'Frames by Viterbi state; fitted state emissions (1σ, 2σ)';
  }

  async train() {
    const n = this.points.length / 2;
    let loss: number;
    if (this.gmm) {
      await this.gmm.fit(this.x!);
      loss = -this.gmm.lowerBound;
    } else {
      await this.hmm!.fit(this.x!);
      loss = -this.hmm!.monitor.history[0] / n;
    }
    const done = Math.abs(this.previousLoss - loss) < CONVERGED;
    this.previousLoss = loss;
    return { steps: 1, loss, done };
  }

  async render(): Promise<void> {
    const view = new PlaneView(this.plane, this.points);
    if (this.gmm?.isFitted) await this.renderMixture(view, this.gmm);
    else if (this.hmm) await this.renderChain(view, this.hmm);
    else {
      view.dots(this.points, null);
      this.caption.textContent = `${this.points.length / 2} points; press Start to run EM from ${this.components} random points.`;
      this.legend.replaceChildren();
    }
  }

  private async renderMixture(view: PlaneView, gmm: gg.models.GaussianMixture): Promise<void> {
    const x = this.x!;
    const labels = gmm.predict(x);
    await gmm.fitAnomalyThreshold(x, ANOMALY_QUANTILE);
    const flags = gmm.isAnomaly(x);
    const [labelValues, flagValues] = [(await labels.data()) as Int32Array, (await flags.data()) as Float32Array];
    labels.dispose();
    flags.dispose();
    view.dots(this.points, labelValues);
    const matrices = covarianceMatrices(gmm.covariances, gmm.covarianceType, gmm.nComponents);
    gmm.means.forEach((mean, k) => view.gaussian(mean, matrices[k], palette[k % palette.length]));
    view.rings(this.points, flagValues);
    const anomalies = flagValues.reduce((s, v) => s + v, 0);
    this.setLegend(gmm.weights.map((w, k) => `component ${k + 1}: weight ${w.toFixed(2)}`), `${anomalies} anomalies (lowest ${ANOMALY_QUANTILE * 100}% likelihood)`, colors.anomaly);
    this.caption.textContent = `${this.points.length / 2} points (1200 from 4 Gaussians, 36 uniform outliers); mean log-likelihood ${gmm.lowerBound.toFixed(4)}`;
  }

  private async renderChain(view: PlaneView, hmm: gg.models.GaussianHMM): Promise<void> {
    const { states, logProb } = await hmm.decode(this.x!);
    const decoded = (await states.data()) as Int32Array;
    states.dispose();
    const k = hmm.nComponents;
    // Colour the fitted states like the generating states they match best (when K is 3).
    const mapping = k === 3 ? bestRelabelling(decoded, this.trueStates, k) : [...Array(k).keys()];
    const shown = decoded.map((s) => mapping[s]);
    view.dots(this.points, shown);
    const matrices = hmm.covars as number[][][];
    hmm.means.forEach((mean, s) => view.gaussian(mean, matrices[s], palette[mapping[s] % palette.length]));
    const transitions = hmm.transmat;
    this.setLegend(
      // Listed in shown order, so each entry's colour is its state's colour in the plot.
      mapping.map((_, shown) => {
        const s = mapping.indexOf(shown);
        return `state ${shown + 1}: stays with p ${transitions[s][s].toFixed(2)}`;
      }),
      k === 3 ? `Viterbi agrees with the true states on ${((100 * shown.filter((s, i) => s === this.trueStates[i]).length) / shown.length).toFixed(1)}% of frames` : '',
      colors.accent,
    );
    this.caption.textContent = `${this.points.length / 2}-frame sequence from a sticky 3-state chain; Viterbi log-probability ${logProb.toFixed(1)}`;
    this.drawStrip(shown);
  }

  private setLegend(entries: string[], extra: string, extraColor: string): void {
    this.legend.replaceChildren(
      ...entries.map((text, k) => {
        const item = element('span', {}, text);
        const dot = element('i');
        dot.style.background = palette[k % palette.length];
        item.prepend(dot);
        return item;
      }),
    );
    if (extra) this.legend.append(element('span', { style: `color: ${extraColor}` }, extra));
  }

  /** Two bands over time: the generating states, then the decoded ones. */
  private drawStrip(decoded: ArrayLike<number>): void {
    const { context, width, height } = sharpContext(this.strip);
    const n = decoded.length;
    const band = (height - 12) / 2;
    for (const [row, states] of [[0, this.trueStates], [1, decoded]] as const) {
      for (let i = 0; i < n; i++) {
        context.fillStyle = palette[states[i] % palette.length];
        context.fillRect((i / n) * width, row * (band + 12), width / n + 0.5, band);
      }
    }
  }

  private async save(metadata: Record<string, string>): Promise<Uint8Array> {
    const f64 = (values: number[], shape: number[]) => ({ dtype: 'F64' as const, shape, data: Float64Array.from(values) });
    const k = this.components;
    if (this.gmm?.isFitted) {
      const { weights, means, covariances } = this.gmm.getParameters();
      const flat = (covariances as unknown[]).flat(2) as number[];
      return gg.io.serializeArrays(
        { weights: f64(weights, [k]), means: f64(means.flat(), [k, 2]), covariances: f64(flat, [flat.length]) },
        { ...metadata, model: 'gmm', covarianceType: this.covarianceType },
      );
    }
    if (this.hmm) {
      const hmm = this.hmm;
      return gg.io.serializeArrays(
        {
          startprob: f64(hmm.startprob, [k]),
          transmat: f64(hmm.transmat.flat(), [k, k]),
          means: f64(hmm.means.flat(), [k, 2]),
          covars: f64((hmm.covars as number[][][]).flat(2), [k, 2, 2]),
        },
        { ...metadata, model: 'hmm' },
      );
    }
    throw new Error('nothing to save yet: press Start first');
  }

  private async load(bytes: Uint8Array): Promise<LoadedCheckpoint> {
    const file = gg.io.deserialize(bytes);
    const model = file.metadata.model;
    const values = (name: string) => {
      const entry = file.tensors[name];
      if (!entry) throw new Error(`this checkpoint has no tensor '${name}'; it was not saved from this page`);
      return { data: Array.from(entry.data as Float64Array), shape: entry.shape };
    };
    const rows = (data: number[], width: number) => Array.from({ length: data.length / width }, (_, i) => data.slice(i * width, (i + 1) * width));
    if (model !== 'gmm' && model !== 'hmm') throw new Error("this checkpoint was not saved from this page (its metadata has no model 'gmm' or 'hmm')");
    const k = values('means').shape[0];
    const fileType = model === 'gmm' ? (file.metadata.covarianceType as gg.models.GaussianMixtureCovarianceType) : this.covarianceType;
    if (model !== this.kind || k !== this.components || fileType !== this.covarianceType) {
      [this.kind, this.components, this.covarianceType] = [model, k, fileType];
      for (const [id, value] of [['model', model], ['components', String(k)], ['covariance', fileType]]) {
        (document.getElementById(id) as HTMLSelectElement).value = value;
      }
      await this.reset();
    }
    const means = rows(values('means').data, 2);
    if (model === 'gmm') {
      const flat = values('covariances').data;
      const covariances: Covariance = { full: () => rows(flat, 4).map((m) => rows(m, 2)), tied: () => rows(flat, 2), diag: () => rows(flat, 2), spherical: () => flat }[fileType]();
      this.gmm!.setParameters({ weights: values('weights').data, means, covariances });
      this.previousLoss = Infinity;
      return { note: `loaded a ${k}-component ${fileType} Gaussian mixture; Start continues EM from it`, step: 0 };
    }
    this.hmm!.setParameters({
      startprob: values('startprob').data,
      transmat: rows(values('transmat').data, k),
      means,
      covars: rows(values('covars').data, 4).map((m) => rows(m, 2)),
    });
    this.previousLoss = Infinity;
    return { note: `loaded a ${k}-state Gaussian HMM; Start continues Baum-Welch from it`, step: 0 };
  }
}

export const mixturesPage: PageModule = {
  id: 'mixtures',
  label: 'GMM / HMM',
  blurb: 'Expectation-maximisation on the GPU, one iteration per frame: a Gaussian mixture with anomaly flags, or a hidden Markov model decoded by Viterbi.',
  create: () => new MixturesPage(),
};
