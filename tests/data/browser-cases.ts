// Data loading that must work the same in a browser as in Node: MNIST and the Brown corpus fetched
// from a base URL (the vite server in tests/data/browser.test.ts serves the repo, node_modules
// included), the seeded toy data, and an upload through the batch iterator.

import * as gg from '../../src/index.js';

export interface DataCaseResults {
  labels: number[];
  pixelSum: number;
  batchPixelSum: number;
  corpusLength: number;
  corpusStart: string;
  vocabSize: number;
  ring: number[];
  missingSourceError: string;
}

/** `mnistSource` and `brownSource`: where the files are (URLs in the browser, paths in Node). */
export async function runDataCases(mnistSource: string, brownSource: string): Promise<DataCaseResults> {
  await gg.init();
  const mnist = await gg.data.loadMnist({ split: 'test', limit: 8, source: mnistSource });
  let batchPixelSum = 0;
  for (const batch of gg.data.batches(mnist, { batchSize: 3, seed: 1 })) {
    for (const v of await batch.images.data()) batchPixelSum += v;
  }
  const corpus = await gg.data.defaultCorpus({ categories: ['science_fiction'], source: brownSource });
  let missingSourceError = '';
  try {
    await gg.data.loadMnist({ split: 'test' });
  } catch (error) {
    missingSourceError = (error as Error).message;
  }
  return {
    labels: Array.from(mnist.labels),
    pixelSum: mnist.images.reduce((sum, v) => sum + v, 0),
    batchPixelSum,
    corpusLength: corpus.text.length,
    corpusStart: corpus.text.slice(0, 300),
    vocabSize: corpus.vocab.size,
    ring: Array.from(gg.data.ringOfGaussians(16, { seed: 1 }).points),
    missingSourceError,
  };
}
