/**
 * Molecule generation (drug discovery): SMILES strings learned by the language models of the lm
 * family and judged by MOSES's metrics through RDKit's WebAssembly build.
 *   tokenizer.ts   tokenizeSmiles and SmilesVocab (padding, start and end ids; encode / decode);
 *   generation.ts  smilesCorpus (molecules packed for the LM trainer) and sampleSmiles;
 *   chemistry.ts   loadChemistry and Chemistry: validity, canonical SMILES, descriptors, Morgan
 *                  fingerprints, Bemis-Murcko scaffolds and SVG drawings; tanimoto;
 *   metrics.ts     moleculeMetrics (validity, uniqueness@k, novelty, IntDiv, property distances,
 *                  scaffold similarity and novelty) and its pieces.
 *
 * @module
 */
export { tokenizeSmiles, SmilesVocab, SMILES_SPECIAL_TOKENS } from './tokenizer.js';
export { smilesCorpus, sampleSmiles, type SampleSmilesOptions } from './generation.js';
export {
  loadChemistry,
  Chemistry,
  tanimoto,
  bitCount,
  murckoMolblock,
  type RDKitMol,
  type RDKitModule,
  type InitRDKitModule,
  type LoadChemistryOptions,
  type MolecularDescriptors,
  type FingerprintOptions,
  type MoleculeRecord,
  type DescribeOptions,
} from './chemistry.js';
export {
  moleculeMetrics,
  formatMoleculeMetrics,
  wasserstein1d,
  internalDiversity,
  countCosine,
  MOLECULE_PROPERTIES,
  type MoleculeProperty,
  type MoleculeMetrics,
  type MoleculeMetricsOptions,
  type UniquenessAt,
} from './metrics.js';
