// Benchmark (not a test): single-image super-resolution trained on CBSD68 and scored on Set5 and Set14
// the way the literature scores it. Each evaluation image is cropped to a multiple of the scale, its
// low-resolution input made by MATLAB-style bicubic downscaling (antialiased imresize) and rounded to
// 8 bits; PSNR and SSIM are computed on the Y channel (BT.601) of the 8-bit output against the
// original's, with `scale` pixels shaved from each side. Bicubic upscaling is the baseline row.
// SRCNN and ESPCN upscale the luminance (as their papers), SRResNet and the SRGAN the RGB image; the
// SRGAN starts from the trained SRResNet of its scale and is fine-tuned with the adversarial and
// feature-matching losses. Training patches come from the 68 CBSD68 photographs (random crops, flips
// and rotations, low-resolution patches cut from each photograph's bicubic downscale).
//
// Writes bench/results/sr-<model>-x<scale>.safetensors (with its scores in the metadata), merges the
// scores into bench/results/sr.json and prints the table; with srgan at x4, bench/results/sr-crops.png
// (a crop of six colour Set14 images: bicubic, SRResNet, SRGAN, original; --crops alone remakes it from the
// saved weights). --ship copies the ESPCN weights
// into demo/assets/ for the demo's super-resolution page.
//
// Run: npx tsx bench/models/sr.ts [--models=espcn,srcnn,srresnet,srgan] [--scales=2,3,4] [--steps=N]
//        [--espcn-steps=N] (likewise per model) [--batch=16] [--patch=24] [--lr=1e-3] [--skip] [--ship] [--crops]
// --skip trains SRCNN and ESPCN with the bicubic skip (rows named 'srcnn+skip', 'espcn+skip'; the SRResNet always
// has it); --ship copies that run's ESPCN weights into demo/assets/.

import { mkdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { encodePng } from '../../src/metrics/png.js';
import {
  SrDiscriminator, SrTrainer, createSuperResolver, defaultSrConfig, imresize, imageToPlanes, loadImage, loadSrCheckpoint, planesToImage,
  psnr, randomPatches, rgbToY, roundToUint8, saveSrCheckpoint, ssim, upscaleTiled, cropToMultiple, type PatchSource, type Plane, type SrArchitecture, type SuperResolver,
} from '../../src/models/sr/index.js';

type ModelName = SrArchitecture | 'srgan';
const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const list = (name: string, fallback: string) => (flags[name] ?? fallback).split(',').filter(Boolean);
const models = list('models', 'espcn,srcnn,srresnet,srgan') as ModelName[];
const scales = list('scales', '2,3,4').map(Number);
const batchSize = Number(flags.batch ?? 16);
const lowResPatch = Number(flags.patch ?? 24);
const baseLr = Number(flags.lr ?? 1e-3);
/** Train SRCNN and ESPCN with the bicubic skip (their rows are named 'srcnn+skip', 'espcn+skip'). */
const skip = 'skip' in flags;
/** Steps per model: the budget each trains for on a software adapter (override with --steps). */
const defaultSteps: Record<ModelName, number> = { espcn: 3000, srcnn: 1500, srresnet: 1500, srgan: 500 };
for (const model of models) if (!(model in defaultSteps)) throw new Error(`bench/models/sr: unknown model '${model}' (espcn, srcnn, srresnet, srgan)`);

const dataDir = new URL('../../../shared/data/sr/', import.meta.url).pathname;
const resultsDir = new URL('../results/', import.meta.url).pathname;
const shipDir = new URL('../../demo/assets/', import.meta.url).pathname;
await mkdir(resultsDir, { recursive: true });

const rt = await gg.init();
const adapter = `${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim();
console.log(`adapter: ${adapter}`);

/** The planes (R, G, B, or one grey plane: Set14 has two grey images) of every PNG in a folder of the SR data. */
async function loadSet(name: string): Promise<{ name: string; planes: Plane[] }[]> {
  const folder = `${dataDir}${name}/`;
  const files = readdirSync(folder).filter((file) => file.endsWith('.png')).sort();
  return Promise.all(files.map(async (file) => {
    const planes = imageToPlanes(await loadImage(folder + file));
    if (planes.length !== 3 && planes.length !== 1) throw new Error(`bench/models/sr: ${name}/${file} has ${planes.length} channels; expected RGB or grey`);
    return { name: file.replace('.png', ''), planes };
  }));
}

/** MATLAB's imresize of an 8-bit image: every channel resized, then rounded to 8 bits. */
const resize8 = (planes: readonly Plane[], target: number) => planes.map((plane) => roundToUint8(imresize(plane, target)));

/** A high-resolution image cropped to the scale and its 8-bit bicubic downscale. */
function pair(planes: readonly Plane[], scale: number): { highRes: Plane[]; lowRes: Plane[] } {
  const highRes = planes.map((plane) => cropToMultiple(plane, scale));
  return { highRes, lowRes: resize8(highRes, 1 / scale) };
}

/** The luminance the scores are computed on: Y of an RGB image, a grey image itself (as the usual MATLAB scripts do). */
const lumaOf = (planes: Plane[]) => (planes.length === 1 ? planes[0] : rgbToY(planes));

/** The channels a model sees: the luminance (luminance models) or R, G, B (a grey image repeated). */
const channelsFor = (planes: Plane[], channels: number) => (channels === 1 ? [lumaOf(planes)] : planes.length === 1 ? [planes[0], planes[0], planes[0]] : planes);

/** The luminance of a model's 8-bit output planes for an image of `inputChannels` (a grey image's is the channels' mean). */
function outputLuma(planes: Plane[], inputChannels: number): Plane {
  if (planes.length === 1) return planes[0];
  if (inputChannels === 3) return rgbToY(planes);
  const { width, height } = planes[0];
  return { width, height, data: planes[0].data.map((v, i) => (v + planes[1].data[i] + planes[2].data[i]) / 3) };
}

/** Planes at pixel scale -> [1, C, H, W] in [0, 1]. */
function toTensor(planes: readonly Plane[]): gg.Tensor {
  const { width, height } = planes[0];
  const values = new Float32Array(planes.length * width * height);
  planes.forEach((plane, c) => values.set(Float32Array.from(plane.data, (v) => v / 255), c * width * height));
  return gg.tensor(values, [1, planes.length, height, width]);
}

/** [1, C, H, W] in [0, 1] -> planes at pixel scale, rounded to 8 bits as the protocol saves outputs. */
async function toPlanes(t: gg.Tensor): Promise<Plane[]> {
  const [, c, height, width] = t.shape;
  const values = await t.data();
  return Array.from({ length: c }, (_, k) => roundToUint8({ width, height, data: Float64Array.from(values.subarray(k * width * height, (k + 1) * width * height), (v) => v * 255) }));
}

interface Scores { psnr: number; ssim: number }
interface Row { model: string; scale: number; set5: Scores; set14: Scores; trainSeconds: number | null; msPerMegapixel: number | null; steps: number | null; parameters: number | null }

/** Mean PSNR and SSIM over a set; `upscale` gives the 8-bit Y plane of the output. */
async function score(set: { planes: Plane[] }[], scale: number, upscale: (lowRes: Plane[], size: { width: number; height: number }) => Promise<Plane>): Promise<Scores> {
  let [p, s] = [0, 0];
  for (const image of set) {
    const { highRes, lowRes } = pair(image.planes, scale);
    const truth = lumaOf(highRes);
    const output = await upscale(lowRes, truth);
    p += psnr(output, truth, { border: scale });
    s += ssim(output, truth, { border: scale });
  }
  return { psnr: p / set.length, ssim: s / set.length };
}

/** The bicubic baseline: each 8-bit channel upscaled by imresize and rounded, then Y. */
const bicubicY = async (lowRes: Plane[], scale: number) => lumaOf(resize8(lowRes, scale));

/** A network's 8-bit Y output for an 8-bit low-resolution RGB image (tiled, so any size fits). */
async function networkY(model: SuperResolver, lowRes: Plane[]): Promise<Plane> {
  const input = toTensor(channelsFor(lowRes, model.channels));
  const output = await upscaleTiled(model, input, { tileSize: 128 });
  const planes = await toPlanes(output);
  input.dispose();
  output.dispose();
  return outputLuma(planes, lowRes.length);
}

const [set5, set14, training] = [await loadSet('CSet5'), await loadSet('CSet14'), await loadSet('CBSD68')];
console.log(`data: Set5 ${set5.length}, Set14 ${set14.length}, CBSD68 ${training.length} images`);

const resultsFile = `${resultsDir}sr.json`;
const readRows = async (): Promise<Row[]> => (existsSync(resultsFile) ? JSON.parse(await readFile(resultsFile, 'utf8')) : []);

/** Merges a row into the results file, read afresh (runs for other models may write it meanwhile). */
async function keep(row: Row): Promise<void> {
  const rows = (await readRows()).filter((r) => !(r.model === row.model && r.scale === row.scale));
  await writeFile(resultsFile, JSON.stringify([...rows, row], null, 1));
}

/** Trains one network (or fine-tunes an SRGAN) at one scale; returns its row. */
async function trainAndScore(name: ModelName, scale: number): Promise<Row> {
  const architecture: SrArchitecture = name === 'srgan' ? 'srresnet' : name;
  const steps = Number(flags[`${name}-steps`] ?? flags.steps ?? defaultSteps[name]);
  let model: SuperResolver;
  if (name === 'srgan') {
    const base = `${resultsDir}sr-srresnet-x${scale}.safetensors`;
    if (!existsSync(base)) throw new Error(`bench/models/sr: the SRGAN starts from ${base}; train srresnet at x${scale} first`);
    model = await loadSrCheckpoint(new Uint8Array(await readFile(base)));
  } else {
    // The SRResNet, and SRCNN and ESPCN with --skip, learn what bicubic misses (bicubicSkip): from scratch a short
    // budget leaves them below bicubic.
    const config = defaultSrConfig(architecture, scale);
    const bicubicSkip = architecture === 'srresnet' || skip;
    model = createSuperResolver(bicubicSkip ? { ...config, bicubicSkip } : config, { generator: new gg.Generator(scale) });
  }
  const sources: PatchSource[] = training.map(({ planes }) => {
    const { highRes, lowRes } = pair(planes, scale);
    return { highRes: channelsFor(highRes, model.channels), lowRes: channelsFor(lowRes, model.channels) };
  });
  const discriminator = name === 'srgan' ? new SrDiscriminator({ channels: model.channels, generator: new gg.Generator(1) }) : null;
  const trainer = new SrTrainer(model, {
    lr: name === 'srgan' ? 1e-4 : baseLr,
    decaySteps: name === 'srgan' ? undefined : steps,
    adversarial: discriminator ? { discriminator, weight: 5e-3, featureWeight: 1 } : undefined,
  });
  const random = new gg.data.SeededRandom(1000 + scale);
  console.log(`\n${name} x${scale}: ${model.numParameters()} parameters, ${steps} steps of ${batchSize} patches ${lowResPatch * scale}px`);
  const history = await gg.trainLoop({
    trainer,
    steps,
    examplesPerStep: batchSize,
    unit: 'patches',
    logEvery: Math.max(1, Math.round(steps / 15)),
    watch: () => trainer.namedParameters(),
    batches: () => {
      const patches = randomPatches(sources, batchSize, lowResPatch * scale, random);
      return { lowRes: gg.tensor(patches.lowRes!, patches.lowResShape), highRes: gg.tensor(patches.highRes, patches.highResShape) };
    },
  });
  trainer.dispose();
  discriminator?.dispose();
  model.eval();
  const label = name !== 'srresnet' && name !== 'srgan' && skip ? `${name}+skip` : name;
  const started = performance.now();
  let megapixels = 0;
  const upscale = async (lowRes: Plane[], size: { width: number; height: number }) => {
    megapixels += (size.width * size.height) / 1e6;
    return networkY(model, lowRes);
  };
  const set14Scores = await score(set14, scale, upscale);
  const msPerMegapixel = (performance.now() - started) / megapixels;
  const row: Row = {
    model: label, scale, set5: await score(set5, scale, upscale), set14: set14Scores,
    trainSeconds: history.seconds, msPerMegapixel, steps, parameters: model.numParameters(),
  };
  const file = `${resultsDir}sr-${label}-x${scale}.safetensors`;
  await writeFile(file, await saveSrCheckpoint(model, { scores: JSON.stringify({ set5: row.set5, set14: row.set14 }), steps: String(steps), adapter }));
  console.log(`${label} x${scale}: Set5 ${row.set5.psnr.toFixed(2)} dB / ${row.set5.ssim.toFixed(4)}, Set14 ${row.set14.psnr.toFixed(2)} dB / ${row.set14.ssim.toFixed(4)}, ` +
    `${(history.seconds / 60).toFixed(1)} min training, ${msPerMegapixel.toFixed(0)} ms per output megapixel; wrote ${file}`);
  if (name === 'espcn' && 'ship' in flags) {
    await mkdir(shipDir, { recursive: true });
    await copyFile(file, `${shipDir}espcn-x${scale}.safetensors`);
  }
  model.dispose();
  return row;
}

/** Crops of each Set14 image at x4 side by side: bicubic, SRResNet, SRGAN, original. */
async function cropComparison(): Promise<void> {
  const scale = 4;
  const networks = await Promise.all(['srresnet', 'srgan'].map(async (name) => loadSrCheckpoint(new Uint8Array(await readFile(`${resultsDir}sr-${name}-x${scale}.safetensors`)))));
  const side = 96;
  const strips: Plane[][] = [];
  for (const image of set14.filter(({ planes }) => planes.length === 3).slice(0, 6)) {
    const { highRes, lowRes } = pair(image.planes, scale);
    const outputs = [resize8(lowRes, scale)];
    for (const model of networks) {
      const input = toTensor(lowRes);
      const output = await upscaleTiled(model, input, { tileSize: 128 });
      outputs.push(await toPlanes(output));
      input.dispose();
      output.dispose();
    }
    outputs.push(highRes);
    // One row of the picture per image: the outputs' centre crops side by side, per colour channel.
    const [top, left] = [Math.floor((highRes[0].height - side) / 2), Math.floor((highRes[0].width - side) / 2)];
    strips.push([0, 1, 2].map((c) => {
      const row = new Float64Array(side * side * outputs.length);
      outputs.forEach((planes, o) => {
        for (let y = 0; y < side; y++) {
          const from = (top + y) * planes[c].width + left;
          row.set(planes[c].data.subarray(from, from + side), (y * outputs.length + o) * side);
        }
      });
      return { width: side * outputs.length, height: side, data: row };
    }));
  }
  const width = strips[0][0].width;
  const height = side * strips.length;
  const picture = [0, 1, 2].map((c) => {
    const data = new Float64Array(width * height);
    strips.forEach((strip, i) => data.set(strip[c].data, i * side * width));
    return { width, height, data };
  });
  const file = `${resultsDir}sr-crops.png`;
  await writeFile(file, await encodePng(planesToImage(picture)));
  console.log(`wrote ${file} (columns: bicubic, SRResNet, SRGAN, original; x4 crops of Set14's colour images)`);
  for (const model of networks) model.dispose();
}

for (const scale of scales) {
  const bicubic: Row = {
    model: 'bicubic', scale, set5: await score(set5, scale, (lr) => bicubicY(lr, scale)), set14: await score(set14, scale, (lr) => bicubicY(lr, scale)),
    trainSeconds: null, msPerMegapixel: null, steps: null, parameters: null,
  };
  await keep(bicubic);
  console.log(`bicubic x${scale}: Set5 ${bicubic.set5.psnr.toFixed(2)} dB / ${bicubic.set5.ssim.toFixed(4)}, Set14 ${bicubic.set14.psnr.toFixed(2)} dB / ${bicubic.set14.ssim.toFixed(4)}`);
}
for (const name of models) {
  for (const scale of scales) {
    await keep(await trainAndScore(name, scale));
  }
}
if ((models.includes('srgan') && scales.includes(4)) || 'crops' in flags) await cropComparison();

const order = ['bicubic', 'srcnn', 'srcnn+skip', 'espcn', 'espcn+skip', 'srresnet', 'srgan'];
const rows = await readRows();
rows.sort((a, b) => a.scale - b.scale || order.indexOf(a.model) - order.indexOf(b.model));
console.log(`\n| scale | model | Set5 PSNR / SSIM | Set14 PSNR / SSIM | parameters | training | ms per output MP |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const r of rows) {
  const cell = (s: Scores) => `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}`;
  const training = r.trainSeconds === null ? '' : `${r.steps} steps, ${(r.trainSeconds / 60).toFixed(1)} min`;
  console.log(`| x${r.scale} | ${r.model} | ${cell(r.set5)} | ${cell(r.set14)} | ${r.parameters ?? ''} | ${training} | ${r.msPerMegapixel?.toFixed(0) ?? ''} |`);
}
