// examples/art-walk.ts: generative art with a CPPN (gg.models.Cppn, a network with seeded random weights
// that colours each pixel from its coordinates and a latent vector). Walks a closed loop through a few
// seeded random latents (spherical interpolation) and writes each frame as a PNG, printing progress. The
// frames loop without a seam: play them in order, over and over (e.g. ffmpeg -framerate 24 -i
// frame-%04d.png walk.mp4).
//
//   npm run example -- art-walk                          (writes bench/results/art-walk/frame-0000.png ...)
//   npm run example -- art-walk out/walk 96 512 7        (folder, frames, side in pixels, network seed)
//   npx tsx examples/art-walk.ts [folder] [frames] [side] [seed]
//
// Frames are rendered at any size: the picture is a function of continuous coordinates, so a larger side
// is the same picture, finer (a 4096 x 4096 frame goes through the GPU in bands of rows).

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as gg from 'gengpu';

const KEYFRAMES = 4; // seeded random latents the loop passes through

async function main(): Promise<void> {
  const [folderArg, framesArg = '48', sideArg = '256', seedArg = '0'] = process.argv.slice(2);
  const folder = resolve(folderArg ?? join('bench', 'results', 'art-walk'));
  const [frames, side, seed] = [Number(framesArg), Number(sideArg), Number(seedArg)];
  for (const [name, value] of Object.entries({ frames, side, seed })) {
    if (!Number.isInteger(value) || value < (name === 'seed' ? 0 : 2)) throw new Error(`art-walk: ${name} must be an integer (at least 2), got '${value}'`);
  }
  const rt = await gg.init();
  console.log(`GPU adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim());
  mkdirSync(folder, { recursive: true });

  const cppn = new gg.models.Cppn({ seed });
  console.log(`CPPN: ${cppn.config.depth} layers of ${cppn.config.hidden} (${cppn.config.activations.join(', ')}), latent ${cppn.config.latentDim}, seed ${seed}`);
  const keyframes = gg.randn([KEYFRAMES, cppn.config.latentDim], { generator: new gg.Generator(seed + 1) });
  const latents = await gg.models.interpolateLatents(keyframes, { steps: frames, path: 'slerp', loop: true });
  const started = performance.now();
  try {
    await gg.models.renderWalkPngs(cppn, latents, { width: side, height: side }, async (png, i) => {
      const file = join(folder, `frame-${String(i).padStart(4, '0')}.png`);
      await gg.io.saveFile(file, png);
      const seconds = (performance.now() - started) / 1000;
      console.log(`frame ${i + 1}/${frames}: ${file} (${(png.length / 1024).toFixed(0)} KiB, ${((i + 1) / seconds).toFixed(2)} frames/s)`);
    });
  } finally {
    for (const t of [keyframes, latents]) t.dispose();
    cppn.dispose();
  }
  console.log(`wrote ${frames} frames of ${side} x ${side} to ${folder} in ${gg.formatDuration((performance.now() - started) / 1000)}`);
  console.log(`live GPU buffers at the end: ${rt.memory().liveBuffers}`);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => gg.shutdown()); // releases the GPU device so the process can exit
