// MOSES's metrics of generated molecules (Polykovskiy et al. 2020, "Molecular Sets (MOSES)"), computed
// as its get_all_metrics does: validity over all samples; then, on the valid ones in canonical form,
// uniqueness in the first k, novelty against the training set, internal diversity from Morgan
// fingerprints, the 1-D Wasserstein distance to the test set of each property's distribution, and the
// cosine similarity of scaffold counts to the test sets' (Scaf/Test, Scaf/TestSF). Scaffold novelty
// (the share of the samples' distinct scaffolds never seen in training) goes with them. MOSES's
// property distances use MW, logP, SA and QED; RDKit's WebAssembly build computes neither QED nor SA,
// so the distances here are of MW, logP and TPSA. FCD, SNN and Frag (which need ChemNet or more
// than RDKit MinimalLib offers) are not computed.

import { bitCount, loadChemistry, type Chemistry, type MolecularDescriptors } from './chemistry.js';

/**
 * The 1-D Wasserstein (earth mover's) distance between two samples' empirical distributions, the
 * integral of |F_u - F_v| over the line (scipy.stats.wasserstein_distance, which MOSES uses).
 */
export function wasserstein1d(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length === 0 || v.length === 0) throw new Error(`wasserstein1d: both samples need values, got ${u.length} and ${v.length}`);
  for (const [name, values] of [['u', u], ['v', v]] as const) {
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new Error(`wasserstein1d: ${name}[${i}] is ${values[i]}; the values must be finite`);
  }
  const a = Float64Array.from(u).sort();
  const b = Float64Array.from(v).sort();
  // Walk the merged values; between consecutive ones both CDFs are constant.
  let i = 0;
  let j = 0;
  let distance = 0;
  let previous = Math.min(a[0], b[0]);
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i] : b[j];
    distance += Math.abs(i / a.length - j / b.length) * (next - previous);
    while (i < a.length && a[i] === next) i++;
    while (j < b.length && b[j] === next) j++;
    previous = next;
  }
  return distance;
}

/** Bits set in a 32-bit word. */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
}

/**
 * MOSES's internal diversity IntDiv_p of packed fingerprints: 1 - (mean of T^p over all ordered pairs,
 * each molecule with itself included)^(1/p), T the Tanimoto similarity. p = 1 gives IntDiv1, p = 2
 * IntDiv2. An empty list has no diversity to measure and throws.
 */
export function internalDiversity(fingerprints: readonly Uint8Array[], p = 1): number {
  const n = fingerprints.length;
  if (n === 0) throw new Error('internalDiversity: no fingerprints given');
  if (!(p > 0)) throw new Error(`internalDiversity: p must be > 0, got ${p}`);
  const bytes = fingerprints[0].length;
  if (bytes % 4 !== 0) throw new Error(`internalDiversity: fingerprints of ${bytes * 8} bits; the length must be a multiple of 32`);
  const words = bytes / 4;
  const packed = new Uint32Array(n * words);
  const counts = new Int32Array(n);
  fingerprints.forEach((fp, i) => {
    if (fp.length !== bytes) throw new Error(`internalDiversity: fingerprint ${i} has ${fp.length * 8} bits, the first ${bytes * 8}`);
    packed.set(new Uint32Array(fp.buffer.slice(fp.byteOffset, fp.byteOffset + bytes)), i * words);
    counts[i] = bitCount(fp);
  });
  let sum = n; // each molecule with itself: T = 1
  for (let i = 0; i < n; i++) {
    const base = i * words;
    for (let j = i + 1; j < n; j++) {
      let both = 0;
      const other = j * words;
      for (let w = 0; w < words; w++) both += popcount32(packed[base + w] & packed[other + w]);
      const either = counts[i] + counts[j] - both;
      const t = either === 0 ? 1 : both / either;
      sum += 2 * (p === 1 ? t : t ** p);
    }
  }
  return 1 - (sum / (n * n)) ** (1 / p);
}

/** Cosine similarity of two count tables (absent keys count 0), MOSES's cos_similarity; NaN when one is empty. */
export function countCosine(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  if (a.size === 0 || b.size === 0) return NaN;
  let dot = 0;
  for (const [key, count] of a) dot += count * (b.get(key) ?? 0);
  const norm = (m: ReadonlyMap<string, number>) => Math.sqrt([...m.values()].reduce((s, c) => s + c * c, 0));
  return dot / (norm(a) * norm(b));
}

/** The properties whose distributions are compared with the test set's. */
export const MOLECULE_PROPERTIES = ['molecularWeight', 'logP', 'tpsa'] as const;

/** One of {@link MOLECULE_PROPERTIES}. */
export type MoleculeProperty = (typeof MOLECULE_PROPERTIES)[number];

/** Options of {@link moleculeMetrics}: the reference sets and the k of uniqueness. */
export interface MoleculeMetricsOptions {
  /** The training molecules: novelty and scaffold novelty are measured against them. */
  train?: readonly string[];
  /** The test molecules: property distances and Scaf/Test. */
  test?: readonly string[];
  /** MOSES's scaffold test set (molecules whose scaffolds training lacks): Scaf/TestSF. */
  testScaffolds?: readonly string[];
  /** Uniqueness is measured in the first k valid samples for each k (default [1000, 10000], MOSES's). */
  uniquenessAt?: readonly number[];
  /** Scaffolds with fewer rings are not counted (default 2, MOSES's compute_scaffold). */
  minScaffoldRings?: number;
  /** The chemistry to use (default: loadChemistry()). */
  chemistry?: Chemistry;
  /** Called as each stage starts (the reference sets take a while). */
  onStage?: (stage: string) => void;
}

/** Uniqueness in the first k valid samples. */
export interface UniquenessAt {
  /** The k asked for. */
  k: number;
  /** Valid samples it was measured on: k, or all of them when fewer are valid (MOSES warns then). */
  molecules: number;
  /** Distinct canonical SMILES among them over their number. */
  value: number;
}

/** What {@link moleculeMetrics} returns; a metric whose reference set was not given is null. */
export interface MoleculeMetrics {
  /** Samples given. */
  samples: number;
  /** Samples RDKit parses. */
  valid: number;
  /** valid / samples. */
  validity: number;
  /** Uniqueness@k for each k. */
  uniqueness: UniquenessAt[];
  /** Distinct valid samples that are not in the training set, over the distinct valid samples. */
  novelty: number | null;
  /** 1 - mean pairwise Tanimoto similarity of Morgan fingerprints (radius 2, 1024 bits) of the valid samples. */
  intDiv1: number;
  /** 1 - root mean square pairwise Tanimoto similarity. */
  intDiv2: number;
  /** Wasserstein distance between the valid samples' and the test set's distribution of each property. */
  propertyDistances: Record<MoleculeProperty, number> | null;
  /** The valid samples' mean of each property, and the test set's (for reading the distances). */
  propertyMeans: {
    /** Means over the valid samples. */
    samples: Record<MoleculeProperty, number>;
    /** Means over the test set (null without one). */
    test: Record<MoleculeProperty, number> | null;
  };
  /** Cosine similarity of the valid samples' scaffold counts and the test set's (MOSES's Scaf/Test). */
  scafTest: number | null;
  /** The same against the scaffold test set (MOSES's Scaf/TestSF). */
  scafTestSF: number | null;
  /** Distinct scaffolds of the valid samples that no training molecule has, over their distinct scaffolds. */
  scaffoldNovelty: number | null;
  /** Distinct scaffolds of the valid samples (with at least minScaffoldRings rings). */
  sampleScaffolds: number;
}

interface Described {
  canonical: string[];
  fingerprints: Uint8Array[];
  properties: Record<MoleculeProperty, number[]>;
  scaffolds: Map<string, number>;
}

/** Canonical SMILES, fingerprints, properties and scaffold counts of the molecules RDKit parses. */
function describeAll(chemistry: Chemistry, smiles: readonly string[], minRings: number, want: { fingerprints?: boolean; properties?: boolean }): Described {
  const out: Described = { canonical: [], fingerprints: [], properties: { molecularWeight: [], logP: [], tpsa: [] }, scaffolds: new Map() };
  for (const s of smiles) {
    const record = chemistry.describe(s, { fingerprint: want.fingerprints ?? false, scaffold: true });
    if (!record) continue;
    out.canonical.push(record.canonical);
    if (record.fingerprint) out.fingerprints.push(record.fingerprint);
    if (want.properties) for (const name of MOLECULE_PROPERTIES) out.properties[name].push(record.descriptors[name as keyof MolecularDescriptors]);
    const scaffold = record.scaffold!;
    if (scaffold !== '' && ringCount(chemistry, scaffold) >= minRings) out.scaffolds.set(scaffold, (out.scaffolds.get(scaffold) ?? 0) + 1);
  }
  return out;
}

const ringCounts = new Map<string, number>();

/** Rings of a scaffold (remembered: scaffolds repeat). */
function ringCount(chemistry: Chemistry, scaffold: string): number {
  let rings = ringCounts.get(scaffold);
  if (rings === undefined) {
    rings = chemistry.descriptors(scaffold)?.rings ?? 0;
    if (ringCounts.size > 100_000) ringCounts.clear();
    ringCounts.set(scaffold, rings);
  }
  return rings;
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/**
 * MOSES's metrics of generated SMILES strings (see {@link MoleculeMetrics}), against the training and
 * test sets where given. Everything after validity is measured on the valid samples in canonical
 * form, duplicates kept, as MOSES does; with no valid sample those metrics are NaN.
 */
export async function moleculeMetrics(samples: readonly string[], options: MoleculeMetricsOptions = {}): Promise<MoleculeMetrics> {
  const { uniquenessAt = [1000, 10000], minScaffoldRings = 2, onStage } = options;
  if (samples.length === 0) throw new Error('moleculeMetrics: no samples given');
  for (const k of uniquenessAt) if (!Number.isInteger(k) || k < 1) throw new Error(`moleculeMetrics: uniquenessAt holds ${k}; each k must be an integer >= 1`);
  const chemistry = options.chemistry ?? (await loadChemistry());
  onStage?.(`samples: ${samples.length}`);
  const generated = describeAll(chemistry, samples, minScaffoldRings, { fingerprints: true, properties: true });
  const valid = generated.canonical.length;
  const distinct = new Set(generated.canonical);
  const uniqueness = uniquenessAt.map((k) => {
    const first = generated.canonical.slice(0, k);
    return { k, molecules: first.length, value: first.length > 0 ? new Set(first).size / first.length : NaN };
  });
  const nan = <T>(value: () => T): T | number => (valid > 0 ? value() : NaN);
  const samplesMeans = Object.fromEntries(MOLECULE_PROPERTIES.map((name) => [name, nan(() => mean(generated.properties[name]))])) as Record<MoleculeProperty, number>;
  const result: MoleculeMetrics = {
    samples: samples.length,
    valid,
    validity: valid / samples.length,
    uniqueness,
    novelty: null,
    intDiv1: nan(() => internalDiversity(generated.fingerprints, 1)) as number,
    intDiv2: nan(() => internalDiversity(generated.fingerprints, 2)) as number,
    propertyDistances: null,
    propertyMeans: { samples: samplesMeans, test: null },
    scafTest: null,
    scafTestSF: null,
    scaffoldNovelty: null,
    sampleScaffolds: generated.scaffolds.size,
  };
  if (options.train) {
    onStage?.(`train: ${options.train.length}`);
    const train = describeAll(chemistry, options.train, minScaffoldRings, {});
    const known = new Set(train.canonical);
    result.novelty = distinct.size > 0 ? [...distinct].filter((s) => !known.has(s)).length / distinct.size : NaN;
    result.scaffoldNovelty = generated.scaffolds.size > 0 ? [...generated.scaffolds.keys()].filter((s) => !train.scaffolds.has(s)).length / generated.scaffolds.size : NaN;
  }
  if (options.test) {
    onStage?.(`test: ${options.test.length}`);
    const test = describeAll(chemistry, options.test, minScaffoldRings, { properties: true });
    result.propertyDistances = Object.fromEntries(
      MOLECULE_PROPERTIES.map((name) => [name, valid > 0 ? wasserstein1d(generated.properties[name], test.properties[name]) : NaN]),
    ) as Record<MoleculeProperty, number>;
    result.propertyMeans.test = Object.fromEntries(MOLECULE_PROPERTIES.map((name) => [name, mean(test.properties[name])])) as Record<MoleculeProperty, number>;
    result.scafTest = countCosine(test.scaffolds, generated.scaffolds);
  }
  if (options.testScaffolds) {
    onStage?.(`test scaffolds: ${options.testScaffolds.length}`);
    const testSF = describeAll(chemistry, options.testScaffolds, minScaffoldRings, {});
    result.scafTestSF = countCosine(testSF.scaffolds, generated.scaffolds);
  }
  return result;
}

/** The metrics as aligned 'name value' lines, for logs and reports. */
export function formatMoleculeMetrics(m: MoleculeMetrics): string {
  const f = (v: number | null, digits = 3) => (v === null ? 'n/a' : Number.isNaN(v) ? 'NaN' : v.toFixed(digits));
  const lines: [string, string][] = [
    ['samples', String(m.samples)],
    ['validity', `${f(m.validity)} (${m.valid} valid)`],
    ...m.uniqueness.map((u): [string, string] => [`uniqueness@${u.k >= 1000 && u.k % 1000 === 0 ? `${u.k / 1000}k` : u.k}`, `${f(u.value)}${u.molecules < u.k ? ` (on ${u.molecules} valid samples, fewer than ${u.k})` : ''}`]),
    ['novelty', f(m.novelty)],
    ['IntDiv1', f(m.intDiv1)],
    ['IntDiv2', f(m.intDiv2)],
  ];
  for (const name of MOLECULE_PROPERTIES) {
    const distance = m.propertyDistances ? f(m.propertyDistances[name]) : 'n/a';
    const test = m.propertyMeans.test ? f(m.propertyMeans.test[name], 2) : 'n/a';
    lines.push([`W1 ${name}`, `${distance} (mean ${f(m.propertyMeans.samples[name], 2)} vs test ${test})`]);
  }
  lines.push(['Scaf/Test', f(m.scafTest)], ['Scaf/TestSF', f(m.scafTestSF)], ['scaffold novelty', `${f(m.scaffoldNovelty)} (of ${m.sampleScaffolds} distinct scaffolds)`]);
  const width = Math.max(...lines.map(([name]) => name.length));
  return lines.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
