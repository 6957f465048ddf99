// The molecule family: SMILES tokens (two-letter atoms, bracket atoms, ring closures) and the
// vocabulary's round trip; RDKit's validity, canonical forms, descriptors, fingerprints and the
// Bemis-Murcko scaffolds cut here, on molecules whose answers are known; MOSES's metrics on sets small
// enough to check by hand; and a tiny GPT that learns packed SMILES and samples until its end token.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { CharRNN, GPT, trainLanguageModel } from '../../src/models/lm/index.js';
import {
  SmilesVocab,
  countCosine,
  internalDiversity,
  loadChemistry,
  moleculeMetrics,
  sampleSmiles,
  smilesCorpus,
  tanimoto,
  tokenizeSmiles,
  wasserstein1d,
} from '../../src/models/molecules/index.js';

/** Drug molecules and simple building blocks, written for these tests. */
const MOLECULES = [
  'CC(=O)Oc1ccccc1C(=O)O', // aspirin
  'CC(=O)Nc1ccc(O)cc1', // paracetamol
  'CC(C)Cc1ccc(C(C)C(=O)O)cc1', // ibuprofen
  'Cn1cnc2c1c(=O)n(C)c(=O)n2C', // caffeine
  'CN1CCC[C@H]1c1cccnc1', // nicotine
  'OC(=O)c1ccccc1O', // salicylic acid
  'COc1ccc2[nH]cc(CCN)c2c1', // 5-methoxytryptamine
  'NCCc1ccc(O)c(O)c1', // dopamine
  'CN(C)CCCN1c2ccccc2CCc2ccccc21', // imipramine
  'Clc1ccc(cc1)C(c1ccccc1)N1CCNCC1', // norchlorcyclizine
  'O=C(O)Cc1ccccc1Nc1c(Cl)cccc1Cl', // diclofenac
  'CC(C)NCC(O)COc1cccc2ccccc12', // propranolol
  'CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21', // diazepam
  'NS(=O)(=O)c1cc(C(=O)O)c(NCc2ccco2)cc1Cl', // furosemide
  'CCOC(=O)C1=C(C)NC(C)=C(C(=O)OC)C1c1cccc([N+](=O)[O-])c1', // nitrendipine
  'Brc1ccc(cc1)C(=O)N1CCOCC1',
  'Fc1ccc(cc1)S(=O)(=O)N1CCCC1',
  'CC1=CC(=O)c2ccccc2C1=O', // menadione
  'O=C1CCCN1',
  'c1ccc2c(c1)[nH]c1ccccc12', // carbazole
  'CC(C)(C)OC(=O)N1CCC(CC1)C(=O)O',
  'COC(=O)c1ccc(Br)cc1',
  'Cc1ccc(cc1)S(=O)(=O)Nc1ccccn1',
  'OCC1OC(O)C(O)C(O)C1O', // glucose
  'CCN(CC)C(=O)c1cccc(C)c1', // DEET
  'c1ccc(cc1)-c1nc2ccccc2s1',
  'C1CCC2(CC1)OCCO2',
  'CC(=O)N1CCN(CC1)c1ccc(F)cc1',
  'N#Cc1ccc(cc1)C(=O)N',
  'C=CC(=O)N1CCC(CC1)Oc1ccc(Cl)cc1',
  'COc1cc(C=O)ccc1O', // vanillin
  'O=C(Nc1ccccc1)c1cccs1',
];

describe('SMILES tokens', () => {
  it('keeps two-letter atoms, bracket atoms and ring closures whole, and joins back to the string', () => {
    expect(tokenizeSmiles('CC[C@@H](Cl)c1cc[nH]c1Br')).toEqual(['C', 'C', '[C@@H]', '(', 'Cl', ')', 'c', '1', 'c', 'c', '[nH]', 'c', '1', 'Br']);
    expect(tokenizeSmiles('C[N+](=O)[O-].C%12CC%12')).toEqual(['C', '[N+]', '(', '=', 'O', ')', '[O-]', '.', 'C', '%12', 'C', 'C', '%12']);
    expect(tokenizeSmiles('N#CC=C/C\\F')).toEqual(['N', '#', 'C', 'C', '=', 'C', '/', 'C', '\\', 'F']);
    for (const s of MOLECULES) expect(tokenizeSmiles(s).join('')).toBe(s);
    expect(() => tokenizeSmiles('CCx')).toThrow('tokenizeSmiles: no SMILES token starts at position 2 of "CCx"');
    expect(() => tokenizeSmiles('C[NH')).toThrow('tokenizeSmiles: no SMILES token starts at position 1 of "C[NH"');
  });

  it('a vocabulary of a training set encodes start, tokens, end and decodes back; padding fills rows', () => {
    const vocab = SmilesVocab.fromSmiles(MOLECULES);
    expect(vocab.tokens.slice(0, 3)).toEqual(['<pad>', '<start>', '<end>']);
    expect(vocab.tokens).toContain('Cl');
    expect(vocab.tokens).toContain('[nH]');
    expect(vocab.tokens).toContain('[N+]');
    for (const s of MOLECULES) {
      const ids = vocab.encode(s);
      expect(ids[0]).toBe(vocab.start);
      expect(ids[ids.length - 1]).toBe(vocab.end);
      expect(vocab.decode(ids)).toBe(s);
    }
    expect(vocab.decode([vocab.start, vocab.id('C'), vocab.id('O'), vocab.end, vocab.id('C')])).toBe('CO');
    expect(vocab.decode([vocab.id('C'), vocab.start, vocab.id('C')])).toBe('C<start>C');
    const rows = vocab.encodeBatch(['CO', 'C'], 5);
    expect(Array.from(rows)).toEqual([1, vocab.id('C'), vocab.id('O'), 2, 0, 1, vocab.id('C'), 2, 0, 0]);
    expect(SmilesVocab.fromJSON(vocab.toJSON()).tokens).toEqual(vocab.tokens);
    expect(() => vocab.encode('CI')).toThrow('SmilesVocab.encode: token "I" of "CI" is not in the vocabulary of');
    expect(() => vocab.encodeBatch(['CCCC'], 5)).toThrow('SmilesVocab.encodeBatch: "CCCC" needs 6 ids with start and end; rows have 5');
    expect(() => vocab.decode([999])).toThrow(`SmilesVocab.decode: id 999 at position 0 is outside the vocabulary of ${vocab.size}`);
  });
});

describe('chemistry through RDKit', () => {
  it('validity, canonical SMILES, descriptors and Tanimoto similarity', async () => {
    const chem = await loadChemistry();
    for (const s of MOLECULES) expect(chem.isValid(s), s).toBe(true);
    // An unclosed ring, an unclosed branch, a stray parenthesis, five bonds on carbon, a non-aromatic ring written aromatic, nothing.
    for (const s of ['C1CC', 'C(C', 'CC)', 'C(C)(C)(C)(C)C', 'c1cccc1', '']) expect(chem.isValid(s), s).toBe(false);
    expect(chem.canonical('OCC')).toBe(chem.canonical('CCO'));
    expect(chem.canonical('C1=CC=CC=C1O')).toBe(chem.canonical('Oc1ccccc1'));
    expect(chem.canonical('C(C')).toBeNull();
    const aspirin = chem.descriptors('CC(=O)Oc1ccccc1C(=O)O')!;
    expect(aspirin.molecularWeight).toBeCloseTo(180.159, 3);
    expect(aspirin.logP).toBeCloseTo(1.3101, 4);
    expect(aspirin.tpsa).toBeCloseTo(63.6, 2);
    expect([aspirin.hbd, aspirin.rings, aspirin.aromaticRings, aspirin.heavyAtoms]).toEqual([1, 1, 1, 13]);
    const phenol = chem.fingerprint('Oc1ccccc1')!;
    expect(phenol.length).toBe(128);
    expect(tanimoto(phenol, chem.fingerprint('C1=CC=CC=C1O')!)).toBe(1);
    const cresol = tanimoto(phenol, chem.fingerprint('Cc1ccc(O)cc1')!);
    expect(cresol).toBeGreaterThan(0.2);
    expect(cresol).toBeLessThan(1);
    expect(tanimoto(phenol, chem.fingerprint('CCN')!)).toBe(0);
    expect(() => tanimoto(phenol, chem.fingerprint('CCN', { nBits: 2048 })!)).toThrow('tanimoto: the fingerprints have 1024 and 2048 bits');
    expect(chem.svg('CCO', 120, 90)).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*width='120px'/);
  });

  it('Bemis-Murcko scaffolds: ring systems and linkers, exocyclic double bonds kept, side chains gone', async () => {
    const chem = await loadChemistry();
    const scaffolds: [string, string][] = [
      ['CC(=O)Oc1ccccc1C(=O)O', 'c1ccccc1'],
      ['CCCC', ''],
      ['Cn1cccc1C(=O)O', 'c1cc[nH]c1'], // the ring nitrogen takes a hydrogen for its methyl
      ['CC1CCCCC1=O', 'O=C1CCCCC1'],
      ['c1ccc(CCc2ccccc2)cc1', 'c1ccc(CCc2ccccc2)cc1'],
      ['CN(C)CCCN1c2ccccc2CCc2ccccc21', 'c1ccc2c(c1)CCc1ccccc1N2'],
      ['CC1=CC(=O)c2ccccc2C1=O', 'O=C1C=CC(=O)c2ccccc21'],
      ['O=C(O)Cc1ccccc1Nc1c(Cl)cccc1Cl', 'c1ccc(Nc2ccccc2)cc1'],
    ];
    for (const [molecule, scaffold] of scaffolds) expect(chem.scaffold(molecule), molecule).toBe(scaffold === '' ? '' : chem.canonical(scaffold));
    expect(chem.scaffold('C(C')).toBeNull();
  });
});

describe('MOSES metrics', () => {
  it('pieces: 1-D Wasserstein, internal diversity and count cosine on known values', async () => {
    expect(wasserstein1d([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
    expect(wasserstein1d([0, 1], [0, 0, 1, 1])).toBe(0);
    expect(wasserstein1d([3.4, 3.9, 7.5, 7.8], [4.5, 1.4])).toBeCloseTo(2.7, 12); // scipy's documented example
    expect(() => wasserstein1d([], [1])).toThrow('wasserstein1d: both samples need values, got 0 and 1');
    const chem = await loadChemistry();
    const fp = (s: string) => chem.fingerprint(s)!;
    expect(internalDiversity([fp('CCO'), fp('OCC'), fp('CCO')])).toBe(0);
    // Two molecules with no bit in common: the pairs (a, a) and (b, b) have T = 1, (a, b) and (b, a) T = 0.
    expect(internalDiversity([fp('Oc1ccccc1'), fp('CCN')])).toBeCloseTo(0.5, 12);
    const t = tanimoto(fp('Oc1ccccc1'), fp('Cc1ccc(O)cc1'));
    expect(internalDiversity([fp('Oc1ccccc1'), fp('Cc1ccc(O)cc1')])).toBeCloseTo(1 - (2 + 2 * t) / 4, 12);
    expect(internalDiversity([fp('Oc1ccccc1'), fp('Cc1ccc(O)cc1')], 2)).toBeCloseTo(1 - Math.sqrt((2 + 2 * t * t) / 4), 12);
    expect(countCosine(new Map([['a', 1], ['b', 1]]), new Map([['a', 2]]))).toBeCloseTo(Math.SQRT1_2, 12);
    expect(countCosine(new Map(), new Map([['a', 2]]))).toBeNaN();
  });

  it('validity, uniqueness, novelty, property distances and scaffolds of a small hand-checked set', async () => {
    const samples = ['CCO', 'OCC', 'C(C', 'c1ccccc1CCc1ccccc1', '', 'CC(=O)Oc1ccccc1C(=O)O', 'C1CC'];
    const train = ['CCO', 'CCN'];
    const test = ['CCO', 'CC(=O)Oc1ccccc1C(=O)O'];
    const testScaffolds = ['c1ccc(CCc2ccccc2)cc1CC'];
    const m = await moleculeMetrics(samples, { train, test, testScaffolds, uniquenessAt: [2, 3, 10] });
    expect(m.valid).toBe(4);
    expect(m.validity).toBeCloseTo(4 / 7, 12);
    // Valid, canonical, in order: CCO, CCO, the bibenzyl, aspirin.
    expect(m.uniqueness).toEqual([
      { k: 2, molecules: 2, value: 0.5 },
      { k: 3, molecules: 3, value: 2 / 3 },
      { k: 10, molecules: 4, value: 0.75 },
    ]);
    expect(m.novelty).toBeCloseTo(2 / 3, 12); // of CCO, the bibenzyl and aspirin, CCO is in train
    const chem = await loadChemistry();
    const weights = ['CCO', 'CCO', 'c1ccccc1CCc1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O'].map((s) => chem.descriptors(s)!.molecularWeight);
    const testWeights = test.map((s) => chem.descriptors(s)!.molecularWeight);
    expect(m.propertyDistances!.molecularWeight).toBeCloseTo(wasserstein1d(weights, testWeights), 9);
    expect(m.propertyMeans.samples.molecularWeight).toBeCloseTo(weights.reduce((a, b) => a + b) / 4, 9);
    // Scaffolds of two rings or more: only the bibenzyl's (aspirin's has one ring); the test set has none, the
    // scaffold test set has the same one.
    expect(m.sampleScaffolds).toBe(1);
    expect(m.scafTest).toBeNaN();
    expect(m.scafTestSF).toBeCloseTo(1, 12);
    expect(m.scaffoldNovelty).toBe(1);
    expect(m.intDiv1).toBeGreaterThan(0);
    expect(m.intDiv1).toBeLessThan(1);
  });
});

describe('SMILES language models', () => {
  it('a tiny GPT learns packed SMILES (the loss falls), then samples SMILES from the start token', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const vocab = SmilesVocab.fromSmiles(MOLECULES);
    const corpus = smilesCorpus(MOLECULES, vocab, { valFraction: 0.1 });
    const stream = Array.from(corpus.tokens);
    expect(stream.filter((id) => id === vocab.start).length).toBe(MOLECULES.length);
    expect(stream.slice(0, vocab.encode(MOLECULES[0]).length)).toEqual(Array.from(vocab.encode(MOLECULES[0])));
    const model = new GPT({ vocabSize: vocab.size, blockSize: 32, nLayer: 1, nHead: 2, nEmbd: 32 }, { generator: new gg.Generator(3) });
    const result = await trainLanguageModel(model, corpus, {
      steps: 40, batchSize: 8, blockSize: 32, lr: 1e-2, warmupSteps: 0, weightDecay: 0, evalInterval: 40, evalBatches: 2,
      onProgress: () => {}, onEval: () => {},
    });
    const [first, last] = [result.evals[0], result.evals[result.evals.length - 1]];
    expect(last.train.loss).toBeLessThan(first.train.loss - 0.8);
    const samples = await sampleSmiles(model, vocab, { count: 6, batchSize: 3, maxLength: 30, temperature: 0.8, generator: new gg.Generator(9) });
    expect(samples).toHaveLength(6);
    for (const s of samples) expect(typeof s).toBe('string');
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  }, 180_000);

  it('sampleSmiles drives the char-RNN too, and refuses a model of another vocabulary', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const vocab = SmilesVocab.fromSmiles(MOLECULES);
    const model = new CharRNN({ vocabSize: vocab.size, hiddenSize: 16 }, { generator: new gg.Generator(4) });
    const progress: number[] = [];
    const samples = await sampleSmiles(model, vocab, { count: 5, batchSize: 2, maxLength: 8, generator: new gg.Generator(1), onProgress: (done) => progress.push(done) });
    expect(samples).toHaveLength(5);
    expect(progress).toEqual([2, 4, 5]);
    for (const s of samples) expect(tokenizeSmiles(s.replace(/<pad>|<start>/g, '')).length).toBeLessThanOrEqual(8);
    const other = new CharRNN({ vocabSize: vocab.size + 1, hiddenSize: 4 });
    await expect(sampleSmiles(other, vocab, { count: 1 })).rejects.toThrow(`sampleSmiles: the model has vocabSize ${vocab.size + 1} but the vocabulary has ${vocab.size} tokens`);
    other.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  }, 120_000);
});
