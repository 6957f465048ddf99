// Benchmark: nanoGPT's shakespeare_char CPU configuration on tiny Shakespeare (90/10 split): 4 layers,
// 4 heads, width 128, block 64, batch 12, 2000 iterations, lr 1e-3 (cosine to 1e-4 after 100
// warmup steps, AdamW betas (0.9, 0.99), weight decay 0.1, clip 1.0), no dropout, no biases.
// nanoGPT reports validation loss 1.88 for it; this prints the validation history, tokens/s, total
// time, the final validation loss over the whole split (nats, bits/char, perplexity) and a sample.
//   npx tsx bench/models/gpt.ts                     the 2000-iteration run (long on a software adapter)
//   npx tsx bench/models/gpt.ts --iters 200         a shorter run of the same configuration
//   npx tsx bench/models/gpt.ts --seed 1            another seed for the weights, batches and dropout (default 1337, nanoGPT's)
//   npx tsx bench/models/gpt.ts --checkpoint f.st   save (and with --resume, continue from) a checkpoint
//   npx tsx bench/models/gpt.ts --baby [--iters 3] [--batch 8]
//                                            nanoGPT's baby GPT (6 layers, 6 heads, width 384, block
//                                            256, dropout 0.2): a few iterations, its speed only.
//                                            nanoGPT's batch is 64 (--batch 64): about a teraflop per
//                                            iteration, minutes each on a software adapter, so 8 here
//   npx tsx bench/models/gpt.ts --rnn [--iters 1000] the char-RNN (embedding 64, 2-layer GRU of 256) on the
//                                            same data, block 64, batch 12, lr 2e-3
import * as gg from '../../src/node.js';
import { CharRNN, GPT, evaluate, formatEvaluation, sampleText, trainLanguageModel, type LanguageModel } from '../../src/models/lm/index.js';
import { flag, option } from '../harness/options.js';

await gg.init();
const info = gg.runtime().adapterInfo;
console.log(`adapter: ${info.vendor} ${info.architecture}${info.isFallbackAdapter ? ' (fallback)' : ''}`);
const corpus = await gg.data.tinyShakespeare();
console.log(`tiny Shakespeare: ${corpus.tokens.length.toLocaleString('en-US')} characters, vocabulary ${corpus.vocab.size}, train ${corpus.train.length}, val ${corpus.val.length}`);

const baby = flag('baby');
const rnn = flag('rnn');
const blockSize = baby ? 256 : 64;
const iters = option('iters', baby ? 3 : rnn ? 1000 : 2000);
const batchSize = option('batch', baby ? 8 : 12);
const seed = option('seed', 1337);
const generator = new gg.Generator(seed);
const vocabSize = corpus.vocab.size;
const model: LanguageModel = rnn
  ? new CharRNN({ vocabSize, embeddingDim: 64, hiddenSize: 256, numLayers: 2 }, { generator })
  : new GPT(
      baby
        ? { vocabSize, blockSize, nLayer: 6, nHead: 6, nEmbd: 384, dropout: 0.2, bias: false }
        : { vocabSize, blockSize, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false },
      { generator },
    );
console.log(`${model.toString().split('\n')[0]}): ${(model.numParameters() / 1e6).toFixed(2)}M parameters; batch ${batchSize}, ${iters} iterations`);

const started = performance.now();
const result = await trainLanguageModel(model, corpus, {
  steps: iters,
  batchSize,
  blockSize,
  lr: rnn ? 2e-3 : 1e-3,
  minLr: 1e-4,
  warmupSteps: Math.min(100, Math.floor(iters / 10)),
  betas: [0.9, 0.99],
  weightDecay: 0.1,
  gradClip: 1,
  evalInterval: baby ? iters : 250,
  evalBatches: baby ? 1 : 20,
  logEvery: baby ? 1 : 25,
  generator,
  seed,
  checkpointPath: option('checkpoint', undefined),
  resume: flag('resume'),
});
const last = result.evals[result.evals.length - 1];
console.log(`\ntraining: ${gg.formatDuration(result.seconds)} in all, ${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s while training`);
const target = baby || rnn ? '' : ' (nanoGPT: 1.88)';
console.log(`val loss (nanoGPT-style estimate, ${baby ? 1 : 20} batches) at step ${last.step}: ${last.val.loss.toFixed(4)}${target}`);

if (!baby) {
  const full = await evaluate(model, corpus, { split: 'val', batchSize: 64, blockSize });
  console.log(`val over the whole split (${full.tokens.toLocaleString('en-US')} tokens): ${formatEvaluation(full)}`);
}

const prompt = corpus.vocab.encode('\n');
process.stdout.write('\nsample (temperature 0.8, top-k 200, seed 7):\n');
const sampleStarted = performance.now();
const newTokens = baby ? 100 : 500;
await sampleText(model, prompt, {
  maxNewTokens: newTokens,
  temperature: 0.8,
  topK: 200,
  generator: new gg.Generator(7),
  onToken: (tokens) => process.stdout.write(corpus.vocab.decode(tokens)),
});
const sampleSeconds = (performance.now() - sampleStarted) / 1000;
console.log(`\n\ngeneration: ${newTokens} tokens in ${sampleSeconds.toFixed(1)} s (${(newTokens / sampleSeconds).toFixed(1)} tokens/s, ${rnn ? 'carrying the hidden state' : 'KV cache'})`);
console.log(`total: ${gg.formatDuration((performance.now() - started) / 1000)}`);
model.dispose();
process.exit(0);
