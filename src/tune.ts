// Autotuning: times every candidate launch of the tuned op families (matmul's variants, the row kernels'
// rungs) on this adapter, for representative shapes of each shape class, and records the fastest one
// whose output agrees with the hand-picked choice's in the tuning table (src/ops/tuning.ts), which the
// automatic choices then follow. Tuning runs only when asked (`tune`); the table is kept per adapter
// identity by `saveTuning` / `loadTuning`: a JSON file where the host has files (Node), localStorage in
// a browser.

import { runtime } from './context.js';
import type { Tensor } from './tensor.js';
import { platform } from './platform.js';
import { profile } from './profile.js';
import { layerNorm } from './ops/layernorm.js';
import { defaultMatmulVariant, matmul, matmulVariantSpecs, matmulVariants, type MatmulVariant } from './ops/matmul.js';
import { Generator, uniform } from './ops/random.js';
import { reduceRows } from './ops/reduce.js';
import { defaultRowVariant, type RowVariant } from './ops/row-variant.js';
import { softmax } from './ops/softmax.js';
import {
  adapterIdentity, matmulShapeClass, recordTuning, rowShapeClass, setTuning, tuning,
  type TuningFamily, type TuningTable,
} from './ops/tuning.js';

export { adapterIdentity, matmulShapeClass, resetTuning, rowShapeClass, tuning, type TuningFamily, type TuningTable } from './ops/tuning.js';

/** The row kernels' rungs, the candidates of the 'rows' family. */
const rowVariants: readonly RowVariant[] = ['line', 'workgroup'];

/** Options of {@link tune}. */
export interface TuneOptions {
  /** The families to tune (default both). */
  families?: readonly TuningFamily[];
  /** matmul shapes as [M, N, K], one per class to tune (default: squares of 64 to 1024 and a tall, skinny product). */
  matmulShapes?: readonly (readonly [number, number, number])[];
  /** Row-kernel inputs as [rows, length], one per class to tune (default: 256 rows of 64 to 4096 values). */
  rowShapes?: readonly (readonly [number, number])[];
  /** Time spent timing each candidate of each class, ms, after a first run that is checked and not timed (default 100). */
  budgetMs?: number;
  /** 'gpu': timestamp queries (gg.profile); 'wall': wall-clock time from submit to the GPU's finish; 'auto' (default): 'gpu' where the device offers timestamp queries. */
  clock?: 'auto' | 'gpu' | 'wall';
  /** How far a candidate's output may be from the hand-picked choice's, relative to the largest magnitude of the latter (default 1e-3). */
  tolerance?: number;
  /** The hand-picked choice stays unless another candidate is faster by more than this fraction of its time (default 0.05), so timing noise does not flip it. */
  margin?: number;
}

/** One candidate's result in a class: its time, or why it was not considered. */
export interface CandidateResult {
  /** The variant or rung. */
  candidate: string;
  /** Its median time per run, ms; null when it was skipped. */
  ms: number | null;
  /** Why it was skipped: it is unsupported here, it threw, or its output was wrong. */
  skipped?: string;
}

/** The outcome of tuning one shape class. */
export interface ClassReport {
  /** The family. */
  family: TuningFamily;
  /** The shape class (see matmulShapeClass, rowShapeClass). */
  shapeClass: string;
  /** The shape that was timed: [M, N, K] or [rows, length]. */
  shape: number[];
  /** The hand-picked choice, against whose output the others were checked. */
  defaultChoice: string;
  /** The fastest candidate that ran and agreed (the default unless another beat it by the margin), now in the table; null when none did. */
  choice: string | null;
  /** Every candidate, in the order tried. */
  candidates: CandidateResult[];
}

/** What {@link tune} measured and chose. */
export class TuneReport {
  /** The adapter's identity (the table's key). */
  readonly adapter: string;
  /** How candidates were timed. */
  readonly clock: 'gpu' | 'wall';
  /** One entry per shape class. */
  readonly classes: readonly ClassReport[];
  constructor(adapter: string, clock: 'gpu' | 'wall', classes: readonly ClassReport[]) {
    this.adapter = adapter;
    this.clock = clock;
    this.classes = classes;
  }

  /** A text table: per class, the choice and each candidate's time (or why it was skipped). */
  table(): string {
    const lines = [`tuned on ${this.adapter} (${this.clock === 'gpu' ? 'GPU timestamps' : 'wall clock'})`];
    for (const c of this.classes) {
      const dims = c.family === 'matmul' ? `M ${c.shape[0]}, N ${c.shape[1]}, K ${c.shape[2]}` : `${c.shape[0]} rows of ${c.shape[1]}`;
      const candidates = c.candidates.map((r) => (r.ms === null ? `${r.candidate} skipped (${r.skipped})` : `${r.candidate} ${r.ms.toFixed(3)} ms`));
      const choice = c.choice === null ? 'no choice' : c.choice === c.defaultChoice ? `${c.choice} (the default)` : `${c.choice} (default ${c.defaultChoice})`;
      lines.push(`${c.family.padEnd(6)} ${c.shapeClass.padEnd(14)} ${choice.padEnd(32)} [${dims}] ${candidates.join(', ')}`);
    }
    return lines.join('\n');
  }
}

const defaultMatmulShapes: readonly (readonly [number, number, number])[] = [
  [64, 64, 64], [128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [4096, 64, 256],
];
const defaultRowShapes: readonly (readonly [number, number])[] = [[256, 64], [256, 256], [256, 1024], [256, 4096]];

/** One way of computing a class's outputs. */
export interface TuningCandidate {
  /** The variant or rung it launches. */
  name: string;
  /** Why it cannot run on this adapter, or null. */
  unsupported: string | null;
  /** Records the computation; the caller disposes the outputs. */
  run(): Tensor[];
}

/** A candidate's output values, its outputs disposed afterwards. */
async function runAndRead(candidate: TuningCandidate): Promise<Float32Array[]> {
  const outputs = candidate.run();
  try {
    return await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
  } finally {
    for (const t of outputs) t.dispose();
  }
}

/** The largest |a - b| over the largest |b|, or Infinity where shapes differ or a value is not finite. */
function relativeError(got: Float32Array[], expected: Float32Array[]): number {
  if (got.length !== expected.length) return Infinity;
  let worst = 0;
  for (let o = 0; o < got.length; o++) {
    const [g, e] = [got[o], expected[o]];
    if (g.length !== e.length) return Infinity;
    let scale = 0;
    let difference = 0;
    for (let i = 0; i < e.length; i++) {
      if (!Number.isFinite(g[i])) return Infinity;
      scale = Math.max(scale, Math.abs(e[i]));
      difference = Math.max(difference, Math.abs(g[i] - e[i]));
    }
    worst = Math.max(worst, difference / Math.max(scale, Number.MIN_VALUE));
  }
  return worst;
}

/** One run's time, ms: GPU time of its dispatches, or wall-clock time until the GPU has finished it. */
async function timeOnce(candidate: TuningCandidate, clock: 'gpu' | 'wall'): Promise<number> {
  const dispose = (outputs: Tensor[]) => outputs.forEach((t) => t.dispose());
  // Computed now: a pending output (a deferred matmul, src/ops/fusion.ts) disposed unread never runs.
  const run = () => candidate.run().map((t) => (t.realize(), t));
  if (clock === 'gpu') return (await profile(() => dispose(run()))).totalMs;
  const rt = runtime();
  await rt.sync();
  const start = performance.now();
  const outputs = run();
  await rt.sync();
  const ms = performance.now() - start;
  dispose(outputs);
  return ms;
}

/** At least this many timed runs per candidate, and at most this many, whatever the budget. */
const MIN_RUNS = 3;
const MAX_RUNS = 200;

/**
 * Times each candidate (its median over runs within `budgetMs`) after checking its first run against the
 * reference candidate's, and returns the results and the choice: the fastest candidate that ran and agreed,
 * where it beats the reference by more than `margin` (a fraction of the reference's time), else the
 * reference. A candidate that is unsupported, throws, or is further than `tolerance` from the reference
 * is skipped, with the reason.
 */
export async function timeCandidates(
  candidates: readonly TuningCandidate[], reference: string, options: { budgetMs: number; clock: 'gpu' | 'wall'; tolerance: number; margin: number },
): Promise<{ choice: string | null; results: CandidateResult[] }> {
  const referenceCandidate = candidates.find((c) => c.name === reference);
  if (!referenceCandidate) throw new Error(`tune: the reference candidate '${reference}' is not among ${candidates.map((c) => c.name).join(', ')}`);
  let expected: Float32Array[] | null = null;
  let referenceFailure = '';
  try {
    expected = await runAndRead(referenceCandidate);
  } catch (error) {
    referenceFailure = `the default '${reference}' threw, so nothing could be checked: ${(error as Error).message}`;
  }
  const results: CandidateResult[] = [];
  for (const candidate of candidates) {
    const skip = (why: string) => results.push({ candidate: candidate.name, ms: null, skipped: why });
    if (candidate.unsupported !== null) {
      skip(candidate.unsupported);
      continue;
    }
    if (expected === null) {
      skip(referenceFailure);
      continue;
    }
    try {
      const error = relativeError(await runAndRead(candidate), expected);
      if (!(error <= options.tolerance)) {
        skip(`wrong output: relative error ${error.toExponential(2)} > tolerance ${options.tolerance}`);
        continue;
      }
      const times: number[] = [];
      const start = performance.now();
      while (times.length < MIN_RUNS || (times.length < MAX_RUNS && performance.now() - start < options.budgetMs)) {
        times.push(await timeOnce(candidate, options.clock));
      }
      times.sort((a, b) => a - b);
      results.push({ candidate: candidate.name, ms: times[Math.floor(times.length / 2)] });
    } catch (error) {
      skip(`threw: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const timed = results.filter((r) => r.ms !== null);
  const fastest = timed.reduce<CandidateResult | null>((best, r) => (best === null || r.ms! < best.ms! ? r : best), null);
  const referenceResult = timed.find((r) => r.candidate === reference);
  if (fastest && referenceResult && fastest.ms! >= referenceResult.ms! * (1 - options.margin)) return { choice: reference, results };
  return { choice: fastest?.candidate ?? null, results };
}

/** A shape's dimensions, checked: positive integers, named in the error. */
function checkShape(what: string, shape: readonly number[], length: number): void {
  if (shape.length !== length || !shape.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(`tune: each of ${what} must be ${length} positive integers, got [${shape.join(', ')}]`);
  }
}

/**
 * Times every candidate of each tuned family on this adapter, one representative shape per shape class,
 * and records the fastest candidate whose output agrees with the hand-picked choice's in the tuning table:
 * from then on, chooseMatmulVariant and chooseRowVariant return it for shapes of that class (and the
 * hand-picked choice for classes with no entry). The 'rows' family's candidates are timed on softmax,
 * layerNorm and the row sum together, since one choice serves all the row kernels. Returns what was
 * measured; `report.table()` prints it. Tuning is off until this is called (or a table is loaded, see
 * {@link loadTuning}).
 */
export async function tune(options: TuneOptions = {}): Promise<TuneReport> {
  const rt = runtime();
  const hasTimestamps = rt.device.features.has('timestamp-query');
  const clock = options.clock === undefined || options.clock === 'auto' ? (hasTimestamps ? 'gpu' : 'wall') : options.clock;
  if (clock === 'gpu' && !hasTimestamps) throw new Error(`tune: clock 'gpu' needs timestamp queries, which this device does not offer (use 'wall' or 'auto')`);
  const budgetMs = options.budgetMs ?? 100;
  const tolerance = options.tolerance ?? 1e-3;
  const margin = options.margin ?? 0.05;
  if (!(budgetMs >= 0) || !(tolerance >= 0) || !(margin >= 0 && margin < 1)) {
    throw new Error(`tune: budgetMs and tolerance must be >= 0 and margin in [0, 1), got ${budgetMs}, ${tolerance} and ${margin}`);
  }
  const families = options.families ?? ['matmul', 'rows'];
  const timing = { budgetMs, clock, tolerance, margin } as const;
  const generator = new Generator(0);
  const classes: ClassReport[] = [];

  if (families.includes('matmul')) {
    for (const shape of options.matmulShapes ?? defaultMatmulShapes) {
      checkShape('matmulShapes', shape, 3);
      const [M, N, K] = shape;
      const a = uniform([M, K], -1, 1, { generator });
      const b = uniform([K, N], -1, 1, { generator });
      try {
        const candidates = matmulVariants.map((variant): TuningCandidate => ({
          name: variant,
          unsupported: matmulVariantSpecs[variant].subgroups && !rt.hasSubgroups ? "needs the 'subgroups' feature" : null,
          run: () => [matmul(a, b, { variant })],
        }));
        const defaultChoice = defaultMatmulVariant(M, N, K);
        const { choice, results } = await timeCandidates(candidates, defaultChoice, timing);
        const shapeClass = matmulShapeClass(M, N, K);
        if (choice !== null) recordTuning('matmul', shapeClass, choice as MatmulVariant);
        classes.push({ family: 'matmul', shapeClass, shape: [M, N, K], defaultChoice, choice, candidates: results });
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  }

  if (families.includes('rows')) {
    for (const shape of options.rowShapes ?? defaultRowShapes) {
      checkShape('rowShapes', shape, 2);
      const [rows, length] = shape;
      const x = uniform([rows, length], -4, 4, { generator });
      const weight = uniform([length], 0.5, 1.5, { generator });
      const bias = uniform([length], -1, 1, { generator });
      try {
        const candidates = rowVariants.map((variant): TuningCandidate => ({
          name: variant,
          unsupported: null,
          run: () => {
            const outputs: Tensor[] = [];
            try {
              outputs.push(softmax(x, -1, { variant }));
              outputs.push(layerNorm(x, [length], weight, bias, 1e-5, { variant }));
              outputs.push(reduceRows(x, rows, length, 'sum', 1, { variant }));
              return outputs;
            } catch (error) {
              for (const t of outputs) t.dispose();
              throw error;
            }
          },
        }));
        const defaultChoice = defaultRowVariant(length);
        const { choice, results } = await timeCandidates(candidates, defaultChoice, timing);
        const shapeClass = rowShapeClass(length);
        if (choice !== null) recordTuning('rows', shapeClass, choice as RowVariant);
        classes.push({ family: 'rows', shapeClass, shape: [rows, length], defaultChoice, choice, candidates: results });
      } finally {
        for (const t of [x, weight, bias]) t.dispose();
      }
    }
  }
  return new TuneReport(adapterIdentity(), clock, classes);
}

/** The saved form: each adapter's table under its identity, so one file serves several machines. */
interface TuningFile {
  format: 'gengpu-tuning';
  version: 1;
  adapters: Record<string, { matmul: Record<string, string>; rows: Record<string, string> }>;
}

/** The localStorage key of the table in a browser. */
const STORAGE_KEY = 'gengpu.tuning';

/** Where the table is kept: the given location, else the cache file (Node) or localStorage key (browser). */
function storageLocation(op: string, location: string | undefined): { kind: 'file' | 'localStorage'; location: string } {
  const files = platform().files;
  if (files) return { kind: 'file', location: location ?? files.joinPath(files.cacheDirectory, 'tuning.json') };
  if (typeof localStorage === 'undefined') throw new Error(`${op}: this host has neither local files nor localStorage to keep the tuning table in`);
  return { kind: 'localStorage', location: location ?? STORAGE_KEY };
}

/** The saved tables at `where`, or null where nothing was saved there yet. */
async function readTuningFile(op: string, where: { kind: 'file' | 'localStorage'; location: string }): Promise<TuningFile | null> {
  let text: string | null;
  if (where.kind === 'localStorage') {
    text = localStorage.getItem(where.location);
  } else {
    try {
      text = new TextDecoder().decode(await platform().files!.readFile(where.location));
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return null;
      throw new Error(`${op}: cannot read ${where.location}: ${(error as Error).message}`);
    }
  }
  if (text === null) return null;
  let parsed: TuningFile;
  try {
    parsed = JSON.parse(text) as TuningFile;
  } catch (error) {
    throw new Error(`${op}: ${where.location} is not JSON: ${(error as Error).message}`);
  }
  if (parsed?.format !== 'gengpu-tuning' || parsed.version !== 1 || typeof parsed.adapters !== 'object' || parsed.adapters === null) {
    throw new Error(`${op}: ${where.location} is not a gengpu tuning table (version 1)`);
  }
  return parsed;
}

/**
 * Saves the current adapter's tuning table beside the tables of other adapters already saved there: to
 * `location` (a file path in Node, a localStorage key in a browser), by default the file tuning.json in
 * the platform's cache directory (Node) or the localStorage key 'gengpu.tuning'. Returns where it went.
 */
export async function saveTuning(location?: string): Promise<string> {
  const where = storageLocation('saveTuning', location);
  const saved = (await readTuningFile('saveTuning', where)) ?? { format: 'gengpu-tuning', version: 1, adapters: {} };
  const { adapter, matmul: matmulChoices, rows } = tuning();
  saved.adapters[adapter] = { matmul: matmulChoices, rows };
  const text = `${JSON.stringify(saved, null, 2)}\n`;
  if (where.kind === 'localStorage') localStorage.setItem(where.location, text);
  else {
    try {
      // The default location's directory may not exist yet; a path the caller gives must.
      await platform().files!.writeFile(where.location, new TextEncoder().encode(text), { makeDirectories: location === undefined });
    } catch (error) {
      throw new Error(`saveTuning: writing ${where.location} failed: ${(error as Error).message}`);
    }
  }
  return where.location;
}

/** What {@link loadTuning} found. */
export interface LoadedTuning {
  /** Where it looked. */
  location: string;
  /** Whether a table was saved there for this adapter (false also where nothing was saved there at all). */
  found: boolean;
  /** The shape classes loaded for this adapter. */
  entries: number;
  /** The identities of the other adapters saved there, whose tables were left alone. */
  otherAdapters: string[];
}

/**
 * Loads this adapter's tuning table from where {@link saveTuning} put it (same `location` rules), replacing
 * the current table when one is found. Tables of other adapters are ignored, and listed in the result.
 */
export async function loadTuning(location?: string): Promise<LoadedTuning> {
  const where = storageLocation('loadTuning', location);
  const saved = await readTuningFile('loadTuning', where);
  const adapter = adapterIdentity();
  const otherAdapters = Object.keys(saved?.adapters ?? {}).filter((a) => a !== adapter);
  const entry = saved?.adapters[adapter];
  if (!entry) return { location: where.location, found: false, entries: 0, otherAdapters };
  const rowRungs: readonly string[] = rowVariants;
  const bad = [
    ...Object.entries(entry.matmul ?? {}).filter(([, v]) => !(matmulVariants as readonly string[]).includes(v)).map(([k, v]) => `matmul ${k}: '${v}'`),
    ...Object.entries(entry.rows ?? {}).filter(([, v]) => !rowRungs.includes(v)).map(([k, v]) => `rows ${k}: '${v}'`),
  ];
  if (bad.length) throw new Error(`loadTuning: ${where.location} names unknown variants for this adapter (${bad.join(', ')})`);
  const table: TuningTable = { adapter, matmul: { ...entry.matmul } as Record<string, MatmulVariant>, rows: { ...entry.rows } as Record<string, RowVariant> };
  setTuning(table);
  return { location: where.location, found: true, entries: Object.keys(table.matmul).length + Object.keys(table.rows).length, otherAdapters };
}
