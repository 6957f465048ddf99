// Runs cases, one definition for Node and the page: gengpu's implementations first, then each peer,
// checking every library's result against the case's reference before timing it; a peer that
// cannot run a case gets an "n/a" row with the reason, while a failure of gengpu's is fatal.

import * as gg from '../../src/index.js';
import type { CaseList, Case } from './cases.js';
import { NotAvailable, checkAgainst, type PeerLibrary, type Prepared, type Reference, type ResultRow } from './harness.js';
import type { EnvironmentReport } from './report.js';
import { timeIterations } from './timing.js';

export interface SuiteOptions {
  /** Checks only, no timing (CI). */
  quick: boolean;
  /** tinybench's time budget per row, ms. */
  budgetMs: number;
  /** A single iteration slower than this is reported alone instead of sampled. */
  slowMs: number;
  /** package.json's version, for the report. */
  gengpuVersion: string;
  /** Only the cases whose "suite name" contains one of these (all when empty). */
  only: string[];
  /** Run gg.tune() first, so that gengpu's automatic choices are the ones measured on this adapter. */
  tune?: boolean;
  log(line: string): void;
}

/** tinybench's budget per row and the single-iteration time above which a row is not sampled. */
export const timingDefaults = { budgetMs: 1500, slowMs: 4000 };

const throughputOf = (c: Case, ms: number) =>
  c.work === 0 ? undefined : c.unit === 'µs/op' ? (ms * 1000) / c.work : c.work / (ms * 1e6);

/**
 * gengpu's compute dispatches per repetition of a case, over one iteration after its check: a training
 * step's count is what fusion and step replay cut, so the report shows it beside the time. Undefined for
 * an implementation that records none through the runtime (the raw-WebGPU floor).
 */
async function dispatchesPerRepetition(c: Case, prepared: Prepared): Promise<number | undefined> {
  const counters = gg.runtime().counters;
  const before = counters.dispatches;
  await prepared.iterate();
  const dispatches = counters.dispatches - before;
  return dispatches > 0 ? dispatches / c.reps : undefined;
}

/** Checks and times one prepared case; failures of a peer become n/a rows, gengpu's are fatal. */
async function measure(
  c: Case, library: string, role: ResultRow['role'], prepare: () => Promise<Prepared> | Prepared,
  reference: () => Reference, options: SuiteOptions,
): Promise<{ row: ResultRow; output?: ArrayLike<number> }> {
  const base = { suite: c.suite, case: c.name, library, role };
  let prepared: Prepared | undefined;
  try {
    prepared = await prepare();
    const result = await prepared.check();
    const output = c.checked ? c.checked(result) : result;
    const checkError = checkAgainst(`${c.suite} ${c.name} ${library}`, output, reference());
    const dispatches = role === 'gengpu' || role === 'variant' ? await dispatchesPerRepetition(c, prepared) : undefined;
    if (options.quick) return { row: { ...base, checkError, dispatches }, output };
    const timing = await timeIterations(() => prepared!.iterate(), options);
    const ms = { median: timing.median / c.reps, min: timing.min / c.reps, max: timing.max / c.reps, samples: timing.samples };
    return { row: { ...base, ms, throughput: throughputOf(c, ms.median), unit: c.work === 0 ? undefined : c.unit, checkError, dispatches }, output };
  } catch (error) {
    if (role === 'gengpu' || role === 'variant' || !(error instanceof Error)) throw error;
    return { row: { ...base, notAvailable: error instanceof NotAvailable ? error.message : `failed: ${error.message.split('\n')[0]}` } };
  } finally {
    prepared?.dispose();
  }
}

/** Runs the listed cases: gengpu's implementations, then each peer, checking each before timing it. */
export async function runSuites(caseList: CaseList, peers: PeerLibrary[], options: SuiteOptions): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const cases = caseList(options.quick).filter((c) => options.only.length === 0 || options.only.some((s) => `${c.suite} ${c.name}`.includes(s)));
  for (const [index, c] of cases.entries()) {
    const started = performance.now();
    let cached: Reference | undefined;
    const reference = () => (cached ??= c.reference());
    let gengpuOutput: ArrayLike<number> | undefined;
    for (const impl of c.gengpu) {
      const { row, output } = await measure(c, impl.library, impl.role, () => impl.prepare(), reference, options);
      if (impl.role === 'gengpu') gengpuOutput = output;
      rows.push(row);
    }
    for (const peer of peers) {
      const { peer: op } = c;
      if (typeof op === 'string') {
        rows.push({ suite: c.suite, case: c.name, library: peer.name, role: peer.kind, notAvailable: op });
        continue;
      }
      const peerReference = c.peersMatchGengpu && gengpuOutput
        ? () => ({ values: Float64Array.from(gengpuOutput!), tolerance: 2e-3 })
        : reference;
      rows.push((await measure(c, peer.name, peer.kind, () => peer.prepare(op, c.reps), peerReference, options)).row);
    }
    const done = rows.filter((r) => r.case === c.name && r.suite === c.suite);
    const summary = done.map((r) => {
      const result = r.ms ? `${r.ms.median.toFixed(r.ms.median < 1 ? 3 : 1)} ms` : r.notAvailable ? 'n/a' : 'checked';
      return `${r.library} ${result}${r.dispatches === undefined ? '' : ` (${r.dispatches} dispatches)`}`;
    }).join(', ');
    options.log(`[${index + 1}/${cases.length}] ${c.suite}: ${c.name} (${((performance.now() - started) / 1000).toFixed(1)} s) ${summary}`);
  }
  return rows;
}

/** Initialises gengpu, runs the listed cases with the given peers, and describes the environment. */
export async function runEnvironment(
  environment: string, userAgent: string, caseList: CaseList, peers: PeerLibrary[], options: SuiteOptions,
): Promise<EnvironmentReport> {
  const rt = await gg.init();
  const info = rt.adapterInfo;
  const adapter = `${info.vendor} ${info.architecture} (${info.description || 'no description'})${info.isFallbackAdapter ? ', fallback adapter' : ''}, subgroups ${rt.hasSubgroups ? 'yes' : 'no'}`;
  options.log(`${environment}: ${adapter}; peers: ${peers.map((p) => p.name).join(', ') || 'none'}`);
  // A quick run only checks that tuning works, on one small class per family.
  const tuning = options.tune
    ? (await gg.tune(options.quick ? { matmulShapes: [[64, 64, 64]], rowShapes: [[16, 64]], budgetMs: 0 } : {})).table()
    : undefined;
  if (tuning) tuning.split('\n').forEach((line) => options.log(line));
  const rows = await runSuites(caseList, peers, options);
  return {
    environment, userAgent, adapter, tuning,
    libraries: [{ name: 'gengpu', version: options.gengpuVersion, kind: 'gengpu' }, ...peers.map((p) => ({ name: p.name, version: p.version, kind: p.kind }))],
    rows,
  };
}
