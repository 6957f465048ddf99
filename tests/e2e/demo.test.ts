// End-to-end tests of the demo web app (demo/): build it with vite into a temporary folder, serve
// the build with vite preview on 127.0.0.1 (a free port), and drive every page in headless Chromium
// on WebGPU (SwiftShader without a GPU). Each page loads, trains a few steps with the loss shown and
// falling while the main thread stays free, and produces its output, and its checkpoint survives a download and an upload (the
// Gallery, which trains nothing, walks and downloads its art and walks a saved VAE; Super-resolution,
// which upscales its sample and a picked file with the shipped ESPCN weights; GPT-2, which trains
// nothing and writes with a tiny random GPT-2, loaded from its URL and then from picked files; Time
// series, which fits, forecasts and finds regimes once, then stops, and has no checkpoint); a screenshot
// of each goes to tests/e2e/screenshots/<page>.png
// (ignored by git) and must not be blank. A page without navigator.gpu must say how to enable it.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type ElementHandle, type HTTPRequest, type Page } from 'puppeteer';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFlags, chromiumPath } from '../../bench/harness/browser.js';
import { encodePng } from '../../src/metrics/png.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(repoRoot, 'demo', 'vite.config.ts');
const screenshots = join(repoRoot, 'tests', 'e2e', 'screenshots');

let outDir: string;
let profile: string;
let downloads: string;
let server: PreviewServer;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'gengpu-demo-build-'));
  profile = mkdtempSync(join(tmpdir(), 'gengpu-demo-chromium-'));
  downloads = mkdtempSync(join(tmpdir(), 'gengpu-demo-downloads-'));
  mkdirSync(screenshots, { recursive: true });
  await build({ configFile, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  server = await preview({ configFile, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview has no TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;
  browser = await puppeteer.launch({ executablePath: await chromiumPath(), headless: true, args: [...chromiumFlags, `--user-data-dir=${profile}`] });
  const session = await browser.target().createCDPSession();
  await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.httpServer.close(() => resolve()) : resolve()));
  rmSync(outDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
  rmSync(downloads, { recursive: true, force: true });
});

/** Opens a page of the demo and waits until its shell is mounted; page errors fail the test. */
async function open(id: string, setup?: (page: Page) => Promise<unknown>): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await setup?.(page);
  await page.goto(`${baseUrl}/?page=${id}`);
  return { page, errors };
}

async function waitReady(page: Page, errors: string[]): Promise<void> {
  try {
    await page.waitForFunction('document.body.dataset.ready === "true"', { timeout: 60_000, polling: 200 });
  } catch (error) {
    throw new Error(`the page did not finish loading: ${(error as Error).message}\n${errors.join('\n')}`);
  }
}

interface TrainingStatus {
  state: string;
  step: number;
  /** The mean of the first three loss readings, and of the latest three. */
  earlyLoss: number;
  recentLoss: number;
  lossCount: number;
  note: string;
}

async function status(page: Page): Promise<TrainingStatus> {
  return page.evaluate(() => {
    const data = document.getElementById('status')!.dataset;
    return {
      state: data.state ?? '',
      step: Number(data.step),
      earlyLoss: Number(data.earlyLoss),
      recentLoss: Number(data.recentLoss),
      lossCount: Number(data.lossCount),
      note: document.getElementById('note')!.textContent ?? '',
    };
  });
}

/** Presses Start, waits for `steps` steps and `chunks` loss readings (or the page finishing), presses Pause. */
async function train(page: Page, steps: number, chunks: number, timeoutMs: number): Promise<TrainingStatus> {
  await page.click('#start');
  await page.waitForFunction(
    (s: number, c: number) => {
      const data = document.getElementById('status')!.dataset;
      return (Number(data.step) >= s && Number(data.lossCount ?? 0) >= c) || data.state !== 'running' || document.querySelector('.note.error') !== null;
    },
    { timeout: timeoutMs, polling: 250 },
    steps,
    chunks,
  );
  if (await page.$('#pause:not([disabled])')) await page.click('#pause');
  await page.waitForFunction('document.getElementById("status").dataset.state !== "running"', { timeout: timeoutMs, polling: 250 });
  const result = await status(page);
  if (await page.$('.note.error')) throw new Error(`the page reported: ${result.note}`);
  return result;
}

/** Starts timing the page's main thread: a 50 ms interval records how late each tick comes. */
async function watchMainThread(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe = window as unknown as { longestStallMs: number };
    probe.longestStallMs = 0;
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      probe.longestStallMs = Math.max(probe.longestStallMs, now - last - 50);
      last = now;
    }, 50);
  });
}

/** The longest the main thread was busy (ms) since watchMainThread. */
async function longestStall(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { longestStallMs: number }).longestStallMs);
}

/** Waits until the browser has finished downloading the file at `path`. */
async function waitForDownload(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(path) && !readdirSync(downloads).some((f) => f.endsWith('.crdownload')))) {
    if (Date.now() > deadline) throw new Error(`no download of ${path} (the folder holds: ${readdirSync(downloads).join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Presses Save checkpoint, waits for the download, loads that file back; the note the page shows. */
async function checkpointRoundTrip(page: Page, fileName: string): Promise<string> {
  const path = join(downloads, fileName);
  rmSync(path, { force: true });
  await page.click('#save');
  await waitForDownload(path, 30_000);
  const input = (await page.$('input#load')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(path);
  await page.waitForFunction('/^loaded /.test(document.getElementById("note").textContent) || document.querySelector(".note.error")', { timeout: 30_000 });
  return page.$eval('#note', (e) => e.textContent ?? '');
}

/** Saves a screenshot of the page and returns the standard deviation of its grey levels (0 = blank). */
async function screenshot(page: Page, name: string): Promise<number> {
  const png = await page.screenshot({ fullPage: true, type: 'png' });
  writeFileSync(join(screenshots, `${name}.png`), png);
  const dataUrl = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  return page.evaluate(async (url: string) => {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let sum = 0;
    let squares = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const grey = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      sum += grey;
      squares += grey * grey;
    }
    return Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2));
  }, dataUrl);
}

/** The standard deviation of a canvas's grey levels: 0 when nothing was drawn on it. */
async function canvasSpread(page: Page, selector: string): Promise<number> {
  return page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let sum = 0;
    let squares = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const grey = (data[i] + data[i + 1] + data[i + 2]) / 3;
      sum += grey;
      squares += grey * grey;
    }
    return n ? Math.sqrt(Math.max(0, squares / n - (sum / n) ** 2)) : 0;
  });
}

describe('demo web app', () => {
  it('GMM / HMM: EM fits the mixture, ellipses and anomalies drawn; the HMM decodes its sequence', async () => {
    const { page, errors } = await open('mixtures');
    await waitReady(page, errors);
    expect(await page.$eval('#adapter', (e) => e.textContent)).toMatch(/^GPU: .+/);
    const gmm = await train(page, 20, 20, 60_000);
    expect(gmm.recentLoss).toBeLessThan(gmm.earlyLoss);
    expect(await page.$eval('.legend', (e) => e.textContent)).toMatch(/component 1: weight .*anomalies/);
    expect(await canvasSpread(page, '#plane')).toBeGreaterThan(5);
    expect(await canvasSpread(page, '#loss-chart')).toBeGreaterThan(1);
    expect(await checkpointRoundTrip(page, 'gengpu-mixture.safetensors')).toMatch(/^loaded a 4-component full Gaussian mixture/);
    expect(await screenshot(page, 'gmm')).toBeGreaterThan(10);

    await page.select('#components', '3');
    await page.select('#model', 'hmm');
    await page.waitForFunction('document.getElementById("status").dataset.step === "0"', { timeout: 30_000 });
    const hmm = await train(page, 6, 6, 60_000);
    expect(hmm.recentLoss).toBeLessThan(hmm.earlyLoss);
    expect(await page.$eval('.legend', (e) => e.textContent)).toMatch(/Viterbi agrees with the true states on [\d.]+% of frames/);
    expect(await canvasSpread(page, '#strip')).toBeGreaterThan(5);
    expect(await screenshot(page, 'hmm')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('VAE: MNIST loads, the -ELBO falls, reconstructions, samples, manifold and interpolation appear', async () => {
    const { page, errors } = await open('vae');
    await waitReady(page, errors);
    await watchMainThread(page);
    const result = await train(page, 40, 8, 120_000);
    const stall = await longestStall(page);
    console.log(`VAE: ${result.step} steps, -ELBO ${result.earlyLoss.toFixed(1)} -> ${result.recentLoss.toFixed(1)}, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(1000);
    expect(result.recentLoss).toBeLessThan(result.earlyLoss);
    for (const canvas of ['#reconstructions', '#samples', '#manifold', '#interpolation', '#interpolated']) {
      expect(await canvasSpread(page, canvas), canvas).toBeGreaterThan(5);
    }
    expect(await checkpointRoundTrip(page, 'gengpu-vae.safetensors')).toBe(`loaded a VAE after ${result.step} steps of training (MLP 784-128-2 (fast anywhere))`);
    const restored = await status(page);
    expect([restored.step, restored.lossCount, restored.recentLoss]).toEqual([result.step, result.lossCount, result.recentLoss]);
    expect(await screenshot(page, 'vae')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('VAE: the controls stay disabled while MNIST loads, so an early Start cannot fail', async () => {
    // MNIST's requests are held until the test has looked at the page mid-load.
    const held: HTTPRequest[] = [];
    let released = false;
    const { page, errors } = await open('vae', async (p) => {
      await p.setRequestInterception(true);
      p.on('request', (request) => (request.url().includes('/data/mnist/') && !released ? held.push(request) : void request.continue()));
    });
    await page.waitForFunction(() => document.querySelector('.note')?.textContent?.includes('loading MNIST'), { timeout: 60_000 });
    const disabled = await page.$$eval('#start, #reset, #save', (buttons) => buttons.map((b) => (b as HTMLButtonElement).disabled));
    expect(disabled).toEqual([true, true, true]);
    await page.click('#start');
    released = true;
    for (const request of held.splice(0)) void request.continue();
    await waitReady(page, errors);
    expect((await status(page)).step).toBe(0);
    expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('GAN: the lab counts modes live under the chosen loss; the DCGAN draws digits and keeps earlier grids', async () => {
    const { page, errors } = await open('gan');
    await waitReady(page, errors);
    await watchMainThread(page);
    const lab = await train(page, 60, 6, 120_000);
    const stall = await longestStall(page);
    console.log(`GAN lab: ${lab.step} steps, discriminator loss ${lab.earlyLoss.toFixed(3)} -> ${lab.recentLoss.toFixed(3)}, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(1000);
    // The discriminator learns: its loss falls from chance, 2 ln 2 for the non-saturating loss.
    expect(lab.earlyLoss).toBeLessThan(2 * Math.log(2) + 0.05);
    expect(lab.recentLoss).toBeLessThan(lab.earlyLoss);
    expect(await page.$eval('#modes', (e) => e.textContent)).toMatch(/^modes covered \d of 8 \(best so far \d\)/);
    expect(await canvasSpread(page, '#plane')).toBeGreaterThan(5);
    expect(await canvasSpread(page, '#mode-chart')).toBeGreaterThan(1);
    expect(await checkpointRoundTrip(page, 'gengpu-gan.safetensors')).toBe(
      `loaded a GAN (2-D mode-collapse lab, non-saturating loss, stabilizer none) after ${lab.step} steps`,
    );
    expect(await screenshot(page, 'gan-lab')).toBeGreaterThan(10);

    // Label smoothing is dropped, with a note, for a loss without targets; the visitor's choice trains.
    await page.select('#stabilizer', 'smoothing');
    await page.waitForFunction('document.getElementById("status").dataset.step === "0"', { timeout: 30_000 });
    await page.select('#loss', 'hinge');
    await page.waitForFunction('document.getElementById("stabilizer").value === "none"', { timeout: 30_000 });
    expect(await page.$eval('#note', (e) => e.textContent)).toMatch(/label smoothing needs real targets/);
    expect((await train(page, 2, 1, 60_000)).lossCount).toBeGreaterThan(0);

    await page.select('#loss', 'nonSaturating');
    await page.select('#task', 'mnist');
    await page.waitForFunction('document.getElementById("status").dataset.step === "0" && document.getElementById("recipe").textContent.includes("real targets 0.9")', { timeout: 60_000 });
    const digits = await train(page, 4, 2, 120_000);
    expect(digits.lossCount).toBeGreaterThan(0);
    expect(await canvasSpread(page, '#samples')).toBeGreaterThan(5);
    expect(await page.$$eval('#snapshots figcaption', (f) => f.map((e) => e.textContent))).toContain('step 0');
    expect(await screenshot(page, 'gan-mnist')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('Diffusion: the VAE trains, then the latent denoiser; the reverse process is drawn, and samples survive a checkpoint', async () => {
    const { page, errors } = await open('diffusion');
    await waitReady(page, errors);
    await watchMainThread(page);
    // Phase 1, the VAE's 240 steps, reports no loss: the chart's readings are all the denoiser's.
    const result = await train(page, 250, 8, 420_000);
    const stall = await longestStall(page);
    console.log(`Diffusion: ${result.step} steps, loss ${result.earlyLoss.toFixed(3)} -> ${result.recentLoss.toFixed(3)}, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(1000);
    expect(result.note).toMatch(/^phase 2 of 2: the denoiser learns the VAE's latents/);
    expect(result.recentLoss).toBeLessThan(result.earlyLoss);
    for (const canvas of ['#reconstructions', '#process', '#samples']) {
      expect(await canvasSpread(page, canvas), canvas).toBeGreaterThan(5);
    }
    const samples = () => page.$eval('#samples', (c) => (c as HTMLCanvasElement).toDataURL());
    const before = await samples();
    expect(await checkpointRoundTrip(page, 'gengpu-diffusion.safetensors')).toMatch(/^loaded a latent diffusion model \(the VAE after \d+ steps, the denoiser after \d+\)$/);
    const restored = await status(page);
    expect([restored.step, restored.lossCount, restored.recentLoss]).toEqual([result.step, result.lossCount, result.recentLoss]);
    expect(await samples()).toBe(before);

    await page.select('#sampler', 'ddpm');
    await page.select('#class', '3');
    await page.click('#sample');
    await page.waitForFunction('/^sampled 20 digits in 200 steps/.test(document.getElementById("note").textContent) || document.querySelector(".note.error")', { timeout: 120_000 });
    expect(await page.$eval('#sampling', (e) => e.textContent)).toMatch(/^DDPM, 200 steps, class 3, guidance 2 /);
    expect(await screenshot(page, 'diffusion')).toBeGreaterThan(10);

    // The pixel U-Net is built (a step of it takes minutes on SwiftShader in Chromium: it is for a real GPU).
    await page.select('#model', 'pixel');
    await page.waitForFunction('document.getElementById("status").dataset.step === "0" && document.getElementById("process-title").textContent.includes("x_t itself")', { timeout: 60_000 });
    expect(await page.$eval('#sampling', (e) => e.textContent)).toBe('samples appear here once the denoiser has trained (press Start)');
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('Gallery: CPPN art draws, walks, keeps a favourite and downloads a PNG; a saved VAE is walked', async () => {
    const { page, errors } = await open('gallery');
    await waitReady(page, errors);
    expect(await canvasSpread(page, '#art')).toBeGreaterThan(5);
    const info = () => page.$eval('#art-info', (e) => e.textContent ?? '');
    const first = await info();
    expect(first).toMatch(/^network seed 1 · colour · zoom 1\.5 · z = \[/);
    await page.click('#new-seed');
    await page.waitForFunction((before: string) => document.getElementById('art-info')!.textContent !== before, { timeout: 30_000 }, first);
    expect(await canvasSpread(page, '#art')).toBeGreaterThan(5);

    // Start walks the latent, one frame per step; the sliders follow it. (All of them: the new network's
    // seed is random, and any one coordinate may sit at the sliders' end, -3 or 3, throughout.)
    const sliders = () => page.$$eval('input[id^="latent-"]', (inputs) => inputs.map((e) => (e as HTMLInputElement).value).join(' '));
    const before = await sliders();
    expect((await train(page, 3, 0, 60_000)).step).toBeGreaterThanOrEqual(3);
    expect(await sliders()).not.toBe(before);

    await page.click('#keep');
    await page.waitForFunction('document.querySelectorAll("#favourites canvas").length === 1', { timeout: 30_000 });
    expect(await canvasSpread(page, '#favourites canvas')).toBeGreaterThan(5);

    // The download is a real PNG of the chosen size.
    await page.select('#download-size', '512');
    const seed = /network seed (\d+)/.exec(await info())![1];
    const path = join(downloads, `cppn-seed${seed}-512.png`);
    rmSync(path, { force: true });
    await page.click('#download');
    await waitForDownload(path, 60_000);
    const png = readFileSync(path);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    expect(await page.$eval('#note', (e) => e.textContent)).toMatch(new RegExp(`^downloaded cppn-seed${seed}-512\\.png`));

    // A checkpoint saved on the VAE page (untrained is enough) is walked here.
    const vae = await open('vae');
    await waitReady(vae.page, vae.errors);
    const checkpoint = join(downloads, 'gengpu-vae.safetensors');
    rmSync(checkpoint, { force: true });
    await vae.page.click('#save');
    await waitForDownload(checkpoint, 30_000);
    await vae.page.close();
    await ((await page.$('input#model-file')) as ElementHandle<HTMLInputElement>).uploadFile(checkpoint);
    await page.waitForFunction('/^loaded /.test(document.getElementById("note").textContent) || document.querySelector(".note.error")', { timeout: 60_000 });
    expect(await page.$eval('#note', (e) => e.textContent)).toBe('loaded a VAE (mlp, latent 2)');
    expect(await page.$eval('#model-info', (e) => e.textContent)).toMatch(/^a VAE \(mlp, latent 2\): 10 frames/);
    expect(await canvasSpread(page, '#model-frames')).toBeGreaterThan(5);
    expect(await screenshot(page, 'gallery')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('Super-resolution: the shipped ESPCN upscales the sample and a picked PNG; the result downloads', async () => {
    const { page, errors } = await open('sr');
    await waitReady(page, errors);
    expect(await canvasSpread(page, '#sr-input')).toBeGreaterThan(5);
    const upscale = async () => {
      await page.click('#start');
      await page.waitForFunction('document.getElementById("status").dataset.state !== "running"', { timeout: 120_000, polling: 250 });
      if (await page.$('.note.error')) throw new Error(`the page reported: ${(await status(page)).note}`);
      return page.$eval('#sr-info', (e) => e.textContent ?? '');
    };
    expect(await upscale()).toMatch(/^sample: 160 x 120 -> 480 x 360 \(x3\); ESPCN on the GPU \d+ ms .*12 tiles\), bicubic on the CPU/);
    expect(await canvasSpread(page, '#sr-network')).toBeGreaterThan(5);
    expect(await canvasSpread(page, '#sr-bicubic')).toBeGreaterThan(5);

    // A PNG the visitor picks, at x2; the download is the network's image at twice its size.
    const picked = join(downloads, 'stripes.png');
    const pixels = Uint8Array.from({ length: 30 * 40 * 3 }, (_, i) => ((Math.floor(i / 3) % 40) % 6 < 3 ? 30 : 220) + (i % 3) * 10);
    writeFileSync(picked, await encodePng({ width: 40, height: 30, channels: 3, pixels }));
    await page.select('#sr-scale', '2');
    await ((await page.$('input#sr-file')) as ElementHandle<HTMLInputElement>).uploadFile(picked);
    await page.waitForFunction('/^stripes.png: 40 x 30/.test(document.getElementById("note").textContent)', { timeout: 30_000 });
    expect(await upscale()).toMatch(/^stripes: 40 x 30 -> 80 x 60 \(x2\)/);
    const path = join(downloads, 'stripes-espcn-x2.png');
    rmSync(path, { force: true });
    await page.click('#sr-download');
    await waitForDownload(path, 30_000);
    const png = readFileSync(path);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([80, 60]);
    expect(await screenshot(page, 'sr')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it('Text: the GPT learns the Brown corpus, streams generated text, and trains on a file the visitor picks', async () => {
    const { page, errors } = await open('text');
    await waitReady(page, errors);
    expect(await page.$eval('#corpus-info', (e) => e.textContent)).toMatch(/Brown corpus, science fiction: [\d,]+ characters/);
    await watchMainThread(page);
    const result = await train(page, 20, 8, 120_000);
    const stall = await longestStall(page);
    console.log(`Text: ${result.step} steps, loss ${result.earlyLoss.toFixed(3)} -> ${result.recentLoss.toFixed(3)}, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(1000);
    expect(result.recentLoss).toBeLessThan(result.earlyLoss);
    expect(await checkpointRoundTrip(page, 'gengpu-text.safetensors')).toBe(`loaded a GPT 2 layers, 64 wide (fast anywhere) trained for ${result.step} steps`);
    await page.$eval('#length', (e) => ((e as HTMLInputElement).value = '60'));
    await page.click('#generate');
    await page.waitForFunction('document.querySelector("#generated span:not(.prompt)")?.textContent.length >= 60', { timeout: 60_000, polling: 200 });
    expect(await screenshot(page, 'text')).toBeGreaterThan(10);

    // A text file of the visitor's own replaces the corpus and starts a fresh model on it.
    const ownText = join(downloads, 'own-corpus.txt');
    writeFileSync(ownText, 'the quick brown fox jumps over the lazy dog. '.repeat(100));
    await ((await page.$('input#corpus-file')) as ElementHandle<HTMLInputElement>).uploadFile(ownText);
    await page.waitForFunction('/^own-corpus.txt: 4,500 characters, 28 distinct/.test(document.getElementById("corpus-info").textContent)', { timeout: 30_000 });
    const fresh = await train(page, 2, 1, 60_000);
    expect(fresh.lossCount).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('GPT-2: the tiny random GPT-2 writes greedily with its speeds shown; picked files load, as f16 and as f32', async () => {
    const { page, errors } = await open('gpt2');
    await waitReady(page, errors);
    expect(await page.$eval('#model-info', (e) => e.textContent)).toMatch(/^the tiny random GPT-2: [\d.]+K parameters \(2 layers, 2 heads, width 32, context 32, vocabulary 96\), \d+ KiB as f16, loaded in/);
    // The tiny model's tokenizer spells byte b as id b and knows no merges: 'GPT' is 3 tokens, and every id it writes is one ASCII byte.
    await page.$eval('#prompt', (e) => ((e as HTMLTextAreaElement).value = 'GPT'));
    await page.$eval('#max-tokens', (e) => ((e as HTMLInputElement).value = '6'));
    await page.$eval('#temperature', (e) => {
      (e as HTMLInputElement).value = '0';
      e.dispatchEvent(new Event('input'));
    });
    const result = await train(page, 6, 0, 60_000);
    expect([result.step, result.note]).toEqual([6, 'finished after 6 tokens']);
    expect(await page.$eval('#speed', (e) => e.textContent)).toMatch(/^prefill: 3 prompt tokens in [\d.]+ s \([\d.]+ tokens\/s\) · decoding: 5 tokens at [\d.]+ tokens\/s \(KV cache\)$/);
    const written = await page.$eval('#generated', (e) => e.textContent ?? '');
    expect([written.slice(0, 3), written.length]).toEqual(['GPT', 9]);
    expect(await screenshot(page, 'gpt2')).toBeGreaterThan(10);

    // The same checkpoint picked as four files, as a visitor with a downloaded GPT-2 would.
    const fixture = join(repoRoot, 'tests', 'fixtures', 'gpt2-tiny');
    const picker = (await page.$('input#checkpoint-files')) as ElementHandle<HTMLInputElement>;
    await picker.uploadFile(...['model.safetensors', 'config.json', 'vocab.json', 'merges.txt'].map((name) => join(fixture, name)));
    await page.waitForFunction('document.getElementById("note").textContent === "loaded model.safetensors" || document.querySelector(".note.error")', { timeout: 30_000 });
    const again = await train(page, 6, 0, 60_000);
    expect(again.step).toBe(6);
    expect(await page.$eval('#generated', (e) => e.textContent)).toBe(written); // greedy: the same text

    // The same files held as f32.
    await page.select('#weights', 'f32');
    await page.waitForFunction('/ as f32, loaded in/.test(document.getElementById("model-info").textContent) || document.querySelector(".note.error")', { timeout: 30_000 });
    expect((await train(page, 6, 0, 60_000)).step).toBe(6);
    expect(await page.$eval('#generated', (e) => e.textContent)).toBe(written);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('Molecules: RDKit draws the training set, the GPT learns SMILES, and its molecules are drawn with their properties', async () => {
    const { page, errors } = await open('molecules');
    await waitReady(page, errors);
    expect(await page.$eval('#dataset-info', (e) => e.textContent)).toMatch(/^\d+ drug-like molecules written for this demo, [\d,]+ SMILES tokens .*RDKit 20\d\d/);
    expect(await page.$$eval('#examples figure.molecule svg', (e) => e.length)).toBe(4);
    await watchMainThread(page);
    const result = await train(page, 20, 8, 120_000);
    const stall = await longestStall(page);
    console.log(`Molecules: ${result.step} steps, loss ${result.earlyLoss.toFixed(3)} -> ${result.recentLoss.toFixed(3)}, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(stall).toBeLessThan(1000);
    expect(result.recentLoss).toBeLessThan(result.earlyLoss);
    expect(await checkpointRoundTrip(page, 'gengpu-molecules.safetensors')).toBe(`loaded a GPT 2 layers, 64 wide trained for ${result.step} steps`);
    await page.$eval('#count', (e) => ((e as HTMLInputElement).value = '4'));
    await page.$eval('#temperature', (e) => {
      (e as HTMLInputElement).value = '0.5';
      e.dispatchEvent(new Event('input'));
    });
    await page.click('#generate');
    await page.waitForFunction('document.querySelectorAll("#molecules figure.molecule").length === 4', { timeout: 60_000, polling: 200 });
    expect(await page.$eval('#generated-summary', (e) => e.textContent)).toMatch(/^\d of 4 valid, \d distinct, \d not in the training set \(temperature 0\.50\)$/);
    // A valid molecule is drawn (RDKit's SVG) with its properties; an invalid one is marked.
    const cards = await page.$$eval('#molecules figure.molecule', (figures) =>
      figures.map((f) => ({ valid: f.classList.contains('valid'), drawn: f.querySelector('svg') !== null, text: f.textContent ?? '' })),
    );
    for (const c of cards) {
      expect(c.drawn).toBe(c.valid);
      expect(c.text).toMatch(c.valid ? /MW \d+\.\d · logP -?\d+\.\d\d · TPSA \d+\.\d/ : /not a molecule/);
    }
    expect(await screenshot(page, 'molecules')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('Time series: the forecaster fits daily births, forecasts the held-out days against the truth, scores them and finds regimes', async () => {
    const { page, errors } = await open('timeseries');
    await waitReady(page, errors);
    expect((await status(page)).note).toBe('7,305 days of US births from Wed 1 Jan 1969 (CDC / NCHS)');
    // A tiny budget: 150 steps (chunks enough for the loss readings to fall), 28 days held out, 20 paths;
    // each change starts a fresh model.
    await page.$eval('#steps', (e) => {
      (e as HTMLInputElement).value = '150';
      e.dispatchEvent(new Event('change'));
    });
    await page.select('#horizon', '28');
    await page.select('#paths', '20');
    await page.waitForFunction('/^press Start to fit the forecaster on 7,277 days \\(150 steps of 256 rows\\), then forecast the 28 days from Sun 4 Dec 1988 on$/.test(document.getElementById("fit-info").textContent)', { timeout: 30_000 });
    expect(await page.$$eval('#scores td', (cells) => cells.slice(0, 2).map((c) => c.textContent))).toEqual(['GaussianForecaster (the mixture over 20 paths)', 'after training']);

    // Start runs the fit, the forecast and the regimes, then stops by itself; a pause waits between chunks of the fit.
    await watchMainThread(page);
    const paused = await train(page, 10, 1, 120_000);
    expect(paused.state).toBe('paused');
    expect(await page.$eval('#fit-info', (e) => e.textContent)).toMatch(/^step \d+ of 150 · loss -?\d+\.\d{3} · [\d.]+ steps\/s( · ETA \d+s|, trained in \d+s; next: the forecast)/);
    await page.click('#start');
    await page.waitForFunction('document.getElementById("status").dataset.state !== "running" || document.querySelector(".note.error") !== null', { timeout: 240_000, polling: 250 });
    const result = await status(page);
    const stall = await longestStall(page);
    const fitInfo = await page.$eval('#fit-info', (e) => e.textContent ?? '');
    console.log(`Time series: ${fitInfo}; loss ${result.earlyLoss.toFixed(3)} -> ${result.recentLoss.toFixed(3)} over ${result.lossCount} readings, longest main-thread stall ${stall.toFixed(0)} ms`);
    expect(result.note).toBe('finished after 150 steps');
    expect(result.step).toBe(150);
    expect(result.lossCount).toBeGreaterThanOrEqual(6);
    expect(result.recentLoss).toBeLessThan(result.earlyLoss);
    expect(stall).toBeLessThan(1000);
    expect(fitInfo).toMatch(/^step 150 of 150 · loss -?\d+\.\d{3} · [\d.]+ steps\/s, trained in \d+s; 28 days forecast over 20 paths in \d+s\. Reset trains a fresh model\.$/);
    // The model and both seasonal-naive forecasts are scored on the 28 held-out days.
    const rows = await page.$$eval('#scores tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent ?? '')));
    expect(rows.map((row) => row[0])).toEqual([
      'GaussianForecaster (the mixture over 20 paths)',
      'seasonal naive (last week repeated), variance constant',
      'seasonal naive (last week repeated), variance growing with the horizon',
    ]);
    for (const [, mase, logLikelihood, covered] of rows) {
      expect(Number(mase)).toBeGreaterThan(0);
      expect(Number.isFinite(Number(logLikelihood))).toBe(true);
      expect(covered).toMatch(/^\d+\.\d%$/);
    }
    expect(await page.$$eval('#regime-legend span', (spans) => spans.map((s) => /^state \d: [\d.]+% of the yearly mean, [\d,]+ births\/day/.test(s.textContent ?? '')))).toEqual([true, true, true]);
    expect(await canvasSpread(page, '#forecast-chart')).toBeGreaterThan(5);
    expect(await canvasSpread(page, '#regimes')).toBeGreaterThan(5);
    expect(await canvasSpread(page, '#loss-chart')).toBeGreaterThan(1);

    // Pointing at a forecast day reads out the truth, the forecast and the regime there.
    const box = (await page.$('#forecast-chart'))!;
    const bounds = (await box.boundingBox())!;
    await page.mouse.move(bounds.x + bounds.width - 20, bounds.y + bounds.height / 2);
    expect(await page.$eval('#readout', (e) => e.textContent)).toMatch(/^\w{3} \d+ Dec 1988: [\d,]+ births · forecast [\d,]+ \(80%: [\d,]+–[\d,]+\) · state \d$/);
    expect(await screenshot(page, 'timeseries')).toBeGreaterThan(10);
    await page.select('#chart-view', 'all');
    expect(await canvasSpread(page, '#forecast-chart')).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('Kernels: the quick matmul ladder and the tuning run on this adapter', async () => {
    const { page, errors } = await open('kernels');
    await waitReady(page, errors);
    await page.click('#start');
    await page.waitForFunction('document.getElementById("status").dataset.state !== "running"', { timeout: 120_000, polling: 500 });
    const result = await status(page);
    expect(result.note).toMatch(/finished after 5 stages/);
    const rows = await page.$$eval('#ladder-table tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows[0]).toMatch(/128: GFLOPS.*256: GFLOPS/);
    expect(rows.some((row) => row.startsWith('naive'))).toBe(true);
    expect(await page.$eval('#dispatch', (e) => e.textContent)).toMatch(/µs per op/);
    expect(await page.$eval('#tuning', (e) => e.textContent)).toMatch(/tuned on .*\nmatmul 128x128x128 .*\nmatmul 256x256x256 .*\nrows +256 /);
    expect(await canvasSpread(page, '#ladder-bars')).toBeGreaterThan(5);
    expect(await screenshot(page, 'kernels')).toBeGreaterThan(10);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);

  it('says how to enable WebGPU when the browser has none', async () => {
    const { page } = await open('vae', (p) => p.evaluateOnNewDocument(() => delete (Navigator.prototype as { gpu?: unknown }).gpu));
    await page.waitForSelector('#no-webgpu', { timeout: 30_000 });
    const text = await page.$eval('#no-webgpu', (e) => e.textContent ?? '');
    expect(text).toMatch(/This browser has no WebGPU/);
    expect(text).toMatch(/enable-unsafe-webgpu/);
    expect(await page.$('#start')).toBeNull();
    expect(await screenshot(page, 'no-webgpu')).toBeGreaterThan(10);
    await page.close();
  }, 60_000);
});
