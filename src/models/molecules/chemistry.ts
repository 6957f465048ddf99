// Chemistry for the molecule models, through RDKit's WebAssembly build (the npm package
// `@rdkit/rdkit`, RDKit's MinimalLib): whether a SMILES is a molecule, its canonical SMILES, its
// descriptors, Morgan fingerprints and Tanimoto similarity, Bemis-Murcko scaffolds and SVG drawings.
// RDKit is loaded on first use. In Node the package is imported by name and finds its .wasm beside
// its script; the import's specifier is a variable so that bundlers of the library (which need not
// install RDKit) leave it alone, and a browser app passes the factory it imported itself and a
// locateFile that returns the URL its bundler gave the .wasm. MinimalLib has no QED and no Murcko
// decomposition: scaffolds are cut here from the molecule's graph, as RDKit's MurckoDecompose cuts them.

/** The part of an RDKit MinimalLib molecule (`JSMol`) this module uses; it lives in WebAssembly memory until delete(). */
export interface RDKitMol {
  /** False when parsing or sanitizing failed (get_mol usually returns null then). */
  is_valid(): boolean;
  /** Canonical (isomeric) SMILES. */
  get_smiles(): string;
  /** The descriptors as JSON: amw, CrippenClogP, tpsa, NumHBD, NumRings and more. */
  get_descriptors(): string;
  /** A Morgan fingerprint's bits packed into bytes; details is JSON { radius, nBits }. */
  get_morgan_fp_as_uint8array(details: string): Uint8Array;
  /** A V2000 molblock (Kekulé form, with 2-D coordinates). */
  get_molblock(): string;
  /** An SVG drawing of this size in pixels. */
  get_svg(width: number, height: number): string;
  /** Frees the molecule's WebAssembly memory. */
  delete(): void;
}

/** The part of RDKit MinimalLib's module (what `initRDKitModule()` resolves to) this module uses. */
export interface RDKitModule {
  /** Parses and sanitizes a SMILES or molblock; null when it is not a molecule. */
  get_mol(input: string): RDKitMol | null;
  /** RDKit's version. */
  version(): string;
}

/** `initRDKitModule`, the default export of `@rdkit/rdkit`. */
export type InitRDKitModule = (options?: { locateFile?: (file: string, scriptDirectory: string) => string }) => Promise<RDKitModule>;

/** Options of {@link loadChemistry}. */
export interface LoadChemistryOptions {
  /**
   * RDKit's factory, the default export of `@rdkit/rdkit`. Default: imported by name at the first
   * call, which works in Node; a browser app imports it itself (`(await import('@rdkit/rdkit')).default`)
   * so that its bundler sees the package.
   */
  initRDKitModule?: InitRDKitModule;
  /**
   * Where RDKit_minimal.wasm is, given its file name and the script's folder. Default: beside the
   * script (right in Node); a bundled app returns the URL its bundler gave the file (with vite,
   * `import wasmUrl from '@rdkit/rdkit/RDKit_minimal.wasm?url'`).
   */
  locateFile?: (file: string, scriptDirectory: string) => string;
}

/** What RDKit computes of a molecule that the metrics and the demo use. */
export interface MolecularDescriptors {
  /** Average molecular weight (RDKit's MolWt: `amw`), in daltons. */
  molecularWeight: number;
  /** Wildman-Crippen logP (RDKit's MolLogP: `CrippenClogP`). */
  logP: number;
  /** Topological polar surface area (`tpsa`), in square angstroms. */
  tpsa: number;
  /** Hydrogen-bond donors (`NumHBD`). */
  hbd: number;
  /** Hydrogen-bond acceptors (`NumHBA`). */
  hba: number;
  /** Rotatable bonds (`NumRotatableBonds`). */
  rotatableBonds: number;
  /** Rings (`NumRings`). */
  rings: number;
  /** Aromatic rings (`NumAromaticRings`). */
  aromaticRings: number;
  /** Heavy atoms (`NumHeavyAtoms`). */
  heavyAtoms: number;
}

/** Options of a Morgan fingerprint (RDKit's GetMorganFingerprintAsBitVect). */
export interface FingerprintOptions {
  /** Radius in bonds (default 2: ECFP4, as MOSES). */
  radius?: number;
  /** Length in bits, a multiple of 8 (default 1024, as MOSES). */
  nBits?: number;
}

/** One molecule described at once by {@link Chemistry.describe}. */
export interface MoleculeRecord {
  /** Canonical SMILES. */
  canonical: string;
  /** Its descriptors. */
  descriptors: MolecularDescriptors;
  /** Morgan fingerprint bits packed in bytes (when asked for). */
  fingerprint?: Uint8Array;
  /** Canonical SMILES of its Bemis-Murcko scaffold, '' without rings (when asked for). */
  scaffold?: string;
}

/** Options of {@link Chemistry.describe}: the parts that cost extra. */
export interface DescribeOptions {
  /** Compute the Morgan fingerprint with these options (true: the defaults). */
  fingerprint?: boolean | FingerprintOptions;
  /** Compute the Bemis-Murcko scaffold. */
  scaffold?: boolean;
}

let defaultChemistry: Promise<Chemistry> | null = null;

/**
 * Loads RDKit's WebAssembly build and returns the chemistry functions on it. Without options the
 * module is loaded once per process (later calls share it).
 */
export function loadChemistry(options: LoadChemistryOptions = {}): Promise<Chemistry> {
  if (options.initRDKitModule || options.locateFile) return instantiate(options);
  defaultChemistry ??= instantiate(options).catch((error: Error) => {
    defaultChemistry = null;
    throw error;
  });
  return defaultChemistry;
}

async function instantiate(options: LoadChemistryOptions): Promise<Chemistry> {
  let init = options.initRDKitModule;
  if (!init) {
    const specifier = '@rdkit/rdkit';
    try {
      const imported = (await import(/* @vite-ignore */ specifier)) as { default: InitRDKitModule };
      init = imported.default;
    } catch (error) {
      throw new Error(
        `loadChemistry: could not import ${specifier} (${(error as Error).message}); install it (npm install @rdkit/rdkit), ` +
          'and in a browser bundle pass its default export as initRDKitModule with a locateFile for RDKit_minimal.wasm',
      );
    }
  }
  const rdkit = await init(options.locateFile ? { locateFile: options.locateFile } : {});
  return new Chemistry(rdkit);
}

/**
 * Chemistry on one loaded RDKit module. Every method takes a SMILES string, parses it (as MOSES
 * does: an empty string, or one RDKit cannot parse and sanitize, is not a molecule), and frees what
 * it parsed; those that describe a molecule return null for a string that is not one.
 */
export class Chemistry {
  /** The RDKit module underneath. */
  readonly rdkit: RDKitModule;

  constructor(rdkit: RDKitModule) {
    this.rdkit = rdkit;
  }

  /** RDKit's version. */
  get version(): string {
    return this.rdkit.version();
  }

  /** Runs `use` on the parsed molecule and frees it; null when the SMILES is not a molecule. */
  private withMol<T>(smiles: string, use: (mol: RDKitMol) => T): T | null {
    if (typeof smiles !== 'string') throw new Error(`Chemistry: expected a SMILES string, got ${typeof smiles}`);
    if (smiles.length === 0) return null;
    const mol = this.rdkit.get_mol(smiles);
    if (!mol) return null;
    try {
      return mol.is_valid() ? use(mol) : null;
    } finally {
      mol.delete();
    }
  }

  /** Whether RDKit parses and sanitizes the SMILES (MOSES's validity); the empty string is not valid. */
  isValid(smiles: string): boolean {
    return this.withMol(smiles, () => true) ?? false;
  }

  /** RDKit's canonical SMILES, the same for every spelling of a molecule; null when it is not one. */
  canonical(smiles: string): string | null {
    return this.withMol(smiles, (mol) => mol.get_smiles());
  }

  /** Molecular weight, logP, TPSA and counts; null when the SMILES is not a molecule. */
  descriptors(smiles: string): MolecularDescriptors | null {
    return this.withMol(smiles, readDescriptors);
  }

  /** The Morgan fingerprint's bits packed in nBits / 8 bytes; null when the SMILES is not a molecule. */
  fingerprint(smiles: string, options: FingerprintOptions = {}): Uint8Array | null {
    const details = fingerprintDetails(options);
    return this.withMol(smiles, (mol) => Uint8Array.from(mol.get_morgan_fp_as_uint8array(details)));
  }

  /**
   * The canonical SMILES of the Bemis-Murcko scaffold (ring systems and the linkers between them,
   * with atoms double-bonded to those); '' for a molecule without rings, null when it is not one.
   */
  scaffold(smiles: string): string | null {
    return this.withMol(smiles, (mol) => this.scaffoldOf(mol));
  }

  /** An SVG drawing of the molecule, width x height pixels (RDKit's depiction); null when it is not one. */
  svg(smiles: string, width = 250, height = 200): string | null {
    return this.withMol(smiles, (mol) => mol.get_svg(width, height));
  }

  /** The canonical SMILES and descriptors, and the fingerprint and scaffold if asked, from one parse; null when not a molecule. */
  describe(smiles: string, options: DescribeOptions = {}): MoleculeRecord | null {
    const details = options.fingerprint ? fingerprintDetails(options.fingerprint === true ? {} : options.fingerprint) : null;
    return this.withMol(smiles, (mol) => {
      const record: MoleculeRecord = { canonical: mol.get_smiles(), descriptors: readDescriptors(mol) };
      if (details) record.fingerprint = Uint8Array.from(mol.get_morgan_fp_as_uint8array(details));
      if (options.scaffold) record.scaffold = this.scaffoldOf(mol);
      return record;
    });
  }

  private scaffoldOf(mol: RDKitMol): string {
    const block = murckoMolblock(mol.get_molblock());
    if (block === null) return '';
    const scaffold = this.rdkit.get_mol(block);
    if (!scaffold) throw new Error(`Chemistry.scaffold: RDKit rejected the scaffold cut from ${mol.get_smiles()}`);
    try {
      return scaffold.get_smiles();
    } finally {
      scaffold.delete();
    }
  }
}

function fingerprintDetails({ radius = 2, nBits = 1024 }: FingerprintOptions): string {
  if (!Number.isInteger(radius) || radius < 0) throw new Error(`Chemistry.fingerprint: radius must be an integer >= 0, got ${radius}`);
  if (!Number.isInteger(nBits) || nBits < 8 || nBits % 8 !== 0) throw new Error(`Chemistry.fingerprint: nBits must be a positive multiple of 8, got ${nBits}`);
  return JSON.stringify({ radius, nBits });
}

function readDescriptors(mol: RDKitMol): MolecularDescriptors {
  const d = JSON.parse(mol.get_descriptors()) as Record<string, number>;
  return {
    molecularWeight: d.amw,
    logP: d.CrippenClogP,
    tpsa: d.tpsa,
    hbd: d.NumHBD,
    hba: d.NumHBA,
    rotatableBonds: d.NumRotatableBonds,
    rings: d.NumRings,
    aromaticRings: d.NumAromaticRings,
    heavyAtoms: d.NumHeavyAtoms,
  };
}

/** Bits set in a byte, for Tanimoto's counts. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v; v &= v - 1) n++;
  return n;
});

/** Bits set in a packed fingerprint. */
export function bitCount(fingerprint: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < fingerprint.length; i++) n += POPCOUNT[fingerprint[i]];
  return n;
}

/**
 * Tanimoto (Jaccard) similarity of two packed fingerprints of one length: bits set in both over bits
 * set in either; 1 for two empty fingerprints, as RDKit's TanimotoSimilarity.
 */
export function tanimoto(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`tanimoto: the fingerprints have ${a.length * 8} and ${b.length * 8} bits; they must have the same length`);
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += POPCOUNT[a[i] & b[i]];
    either += POPCOUNT[a[i] | b[i]];
  }
  return either === 0 ? 1 : both / either;
}

/** The V2000 property lines whose entries are (atom, value) pairs, renumbered when atoms are dropped. */
const ATOM_VALUE_PROPERTIES = new Set(['M  CHG', 'M  ISO', 'M  RAD']);

/**
 * The molblock of the Bemis-Murcko scaffold of a molecule's V2000 molblock, or null when it has no
 * ring. As RDKit's MurckoDecompose: the kept atoms are the ring atoms and the linkers between rings
 * (the graph's 2-core: atoms left after side chains are pruned from their free ends), plus any atom
 * double-bonded to one of those (a carbonyl's oxygen); the rest go, and the bonds to them. Hydrogens
 * are left to RDKit's valence rules, so an aromatic nitrogen that lost its substituent becomes [nH].
 */
export function murckoMolblock(molblock: string): string | null {
  const lines = molblock.split('\n');
  const countsAt = lines.findIndex((line) => /V2000\s*$/.test(line));
  if (countsAt < 0) throw new Error('murckoMolblock: expected a V2000 molblock (no counts line ending in V2000)');
  const atomCount = Number(lines[countsAt].slice(0, 3));
  const bondCount = Number(lines[countsAt].slice(3, 6));
  const atomLines = lines.slice(countsAt + 1, countsAt + 1 + atomCount);
  const bondLines = lines.slice(countsAt + 1 + atomCount, countsAt + 1 + atomCount + bondCount);
  const properties = lines.slice(countsAt + 1 + atomCount + bondCount);
  const bonds = bondLines.map((line) => ({ a: Number(line.slice(0, 3)) - 1, b: Number(line.slice(3, 6)) - 1, order: Number(line.slice(6, 9)) }));
  const neighbors: number[][] = Array.from({ length: atomCount }, () => []);
  for (const { a, b } of bonds) {
    neighbors[a].push(b);
    neighbors[b].push(a);
  }
  // Prune free ends until none is left: what remains is the rings and the paths between them.
  const degree = neighbors.map((n) => n.length);
  const core = new Uint8Array(atomCount).fill(1);
  const ends = [...degree.keys()].filter((i) => degree[i] <= 1);
  while (ends.length > 0) {
    const atom = ends.pop()!;
    if (!core[atom]) continue;
    core[atom] = 0;
    for (const next of neighbors[atom]) if (core[next] && --degree[next] <= 1) ends.push(next);
  }
  if (!core.includes(1)) return null;
  const keep = Uint8Array.from(core);
  for (const { a, b, order } of bonds) {
    if (order !== 2) continue;
    if (core[a] && !core[b]) keep[b] = 1;
    if (core[b] && !core[a]) keep[a] = 1;
  }
  const newIndex = new Int32Array(atomCount).fill(-1);
  let kept = 0;
  for (let i = 0; i < atomCount; i++) if (keep[i]) newIndex[i] = kept++;
  const keptBonds = bonds.map((bond, i) => ({ ...bond, line: bondLines[i] })).filter(({ a, b }) => keep[a] && keep[b]);
  const pad3 = (n: number) => String(n).padStart(3);
  const out = [...lines.slice(0, countsAt), pad3(kept) + pad3(keptBonds.length) + lines[countsAt].slice(6)];
  for (let i = 0; i < atomCount; i++) if (keep[i]) out.push(atomLines[i]);
  for (const { a, b, line } of keptBonds) out.push(pad3(newIndex[a] + 1) + pad3(newIndex[b] + 1) + line.slice(6));
  for (const line of properties) {
    const kind = line.slice(0, 6);
    if (kind === 'M  END') {
      out.push(line);
      break;
    }
    if (!ATOM_VALUE_PROPERTIES.has(kind)) continue;
    const fields = line.slice(9).trim().split(/\s+/).map(Number);
    const pairs: [number, number][] = [];
    for (let f = 0; f + 1 < fields.length; f += 2) if (keep[fields[f] - 1]) pairs.push([newIndex[fields[f] - 1] + 1, fields[f + 1]]);
    if (pairs.length > 0) out.push(kind + pad3(pairs.length) + pairs.map(([atom, value]) => ` ${pad3(atom)} ${pad3(value)}`).join(''));
  }
  return out.join('\n');
}
