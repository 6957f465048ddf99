// The progress line of every training run (trainLoop, and through it the VAE, GAN and language-model
// trainers, the benchmarks and the demo): step/total, each named loss, extra numbers, throughput and ETA.

/** The numbers of one progress line of `trainLoop`. */
export interface Progress {
  /** The step just finished (counted from 1, continuing a resumed run's count). */
  step: number;
  /** The step the run ends at. */
  totalSteps: number;
  /** Mean of each named loss over the steps since the previous progress line. */
  losses: Record<string, number>;
  /** Further numbers for the line (the learning rate, an evaluation's results). */
  metrics: Record<string, number>;
  /** Warnings to print under the line (a GAN's divergence reports). */
  warnings: string[];
  /** What examples are counted in, for the line: 'ex', 'img', 'tokens'. */
  unit: string;
  /** `examplesPerStep` times the steps per second (0 without `examplesPerStep`). */
  examplesPerSecond: number;
  /** Steps per second of training since the start of the run (evaluation excluded). */
  stepsPerSecond: number;
  /** Seconds of training since the start of the run (evaluation and progress callbacks excluded). */
  elapsedSeconds: number;
  /** Estimated seconds left, at the average rate so far. */
  etaSeconds: number;
}

/** Formats seconds for a progress line: '42s', '3m07s' or '1h05m' ('?' when not finite). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A metric as written on a line: integers whole, small or huge values in exponent form, others to 3 decimals. */
function formatMetric(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const size = Math.abs(value);
  return size < 0.01 || size >= 1e6 ? value.toExponential(2) : value.toFixed(3);
}

/**
 * The progress line: 'step 10/40  loss 0.1234  lr 1.00e-3  5,120 ex/s  ETA 12s' (steps/s without
 * examplesPerStep), each named loss to 4 decimals, then one line per warning.
 */
export function formatProgress(p: Progress): string {
  const width = String(p.totalSteps).length;
  const losses = Object.entries(p.losses).map(([name, value]) => `  ${name} ${value.toFixed(4)}`);
  const metrics = Object.entries(p.metrics).map(([name, value]) => `  ${name} ${formatMetric(value)}`);
  const rate = p.examplesPerSecond > 0 ? `${Math.round(p.examplesPerSecond).toLocaleString('en-US')} ${p.unit}/s` : `${p.stepsPerSecond.toFixed(1)} steps/s`;
  const warnings = p.warnings.map((warning) => `\n  ! ${warning}`);
  return `step ${String(p.step).padStart(width)}/${p.totalSteps}${losses.join('')}${metrics.join('')}  ${rate}  ETA ${formatDuration(p.etaSeconds)}${warnings.join('')}`;
}
