// What a web developer ships and installs (`npm run bench:size`): the gzip size of browser bundles that
// use gengpu as a package (built by vite from the packed library, so package.json's exports and
// sideEffects apply as they do for users), beside the same one-op app written for TensorFlow.js and
// jax-js on WebGPU, and the full demo; then the install size of a browser-only consumer (the packed
// tarball and its dependencies, no peer). Prints a Markdown table; sizes are gzip at level 9.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The apps, each a module that imports what its user would. */
const apps: { name: string; code: string }[] = [
  {
    name: 'gengpu: `tensor().add()` alone',
    code: `import { init, tensor } from 'gengpu';
await init();
console.log(await tensor([1, 2, 3]).add(1).toArray());`,
  },
  {
    name: 'gengpu: minimal MLP app (tests/consumer/train.ts: Linear, ReLU, mseLoss, Adam)',
    code: `import { trainTinyModel } from ${JSON.stringify(join(repoRoot, 'tests/consumer/train.ts'))};
console.log(await trainTinyModel());`,
  },
  {
    name: 'TensorFlow.js core + webgpu backend: `tf.add` alone',
    code: `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
await tf.setBackend('webgpu');
console.log(await tf.add(tf.tensor([1, 2, 3]), 1).array());`,
  },
  {
    name: 'jax-js on webgpu: `np.add` alone',
    code: `import { blockUntilReady, defaultDevice, init, numpy as np } from '@jax-js/jax';
await init();
defaultDevice('webgpu');
const sum = np.add(np.array([1, 2, 3]), 1);
await blockUntilReady(sum);
console.log(sum);`,
  },
];

interface Size {
  files: number;
  bytes: number;
  gzip: number;
}

/** The JS files under `dir` (recursively), their count, bytes and gzip bytes. */
function scriptSizes(dir: string): Size {
  const size: Size = { files: 0, bytes: 0, gzip: 0 };
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name));
    size.files++;
    size.bytes += text.length;
    size.gzip += gzipSync(text, { level: 9 }).length;
  }
  return size;
}

function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

const kB = (bytes: number) => (bytes / 1024).toFixed(1);

async function bundle(root: string, name: string, code: string): Promise<Size> {
  const entry = join(root, `${name}.ts`);
  writeFileSync(entry, code);
  const outDir = join(root, `out-${name}`);
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: entry } },
  });
  return scriptSizes(outDir);
}

async function main(): Promise<void> {
  const run = promisify(execFile);
  const root = mkdtempSync(join(tmpdir(), 'gengpu-bundle-size-'));
  try {
    console.log('building the library (npm run build:lib) ...');
    await run('npm', ['run', 'build:lib', '--silent'], { cwd: repoRoot });
    // 'gengpu' resolves to this repo as an installed package would; the peers to their installs here.
    for (const name of ['gengpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@jax-js/jax']) {
      const link = join(root, 'node_modules', name);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(name === 'gengpu' ? repoRoot : join(repoRoot, 'node_modules', name), link);
    }

    const rows: string[] = [];
    for (const [i, app] of apps.entries()) {
      const size = await bundle(root, `app${i}`, app.code);
      rows.push(`| ${app.name} | ${kB(size.bytes)} | ${kB(size.gzip)} |`);
      console.log(rows.at(-1));
    }
    console.log('building the demo (vite build of demo/) ...');
    const demoOut = join(root, 'demo');
    await build({ configFile: join(repoRoot, 'demo', 'vite.config.ts'), logLevel: 'warn', build: { outDir: demoOut, emptyOutDir: true } });
    const demo = scriptSizes(demoOut);
    rows.push(`| the full demo (demo/, every page; ${demo.files} scripts) | ${kB(demo.bytes)} | ${kB(demo.gzip)} |`);

    console.log('installing the packed library into an empty project, as a browser-only user would ...');
    const consumer = join(root, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'size-probe', private: true, type: 'module' }));
    const packed = JSON.parse((await run('npm', ['pack', '--json', '--pack-destination', root, '--loglevel=error', '--ignore-scripts'], { cwd: repoRoot })).stdout);
    const tarball = join(root, packed[0].filename);
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: consumer });
    const installed = directoryBytes(join(consumer, 'node_modules'));

    console.log('\n| bundle (vite build, minified) | JS kB | gzip kB |\n|---|---|---|');
    console.log(rows.join('\n'));
    console.log(`\nnpm install of the packed gengpu for the browser (no webgpu peer): ${(installed / 1024 / 1024).toFixed(2)} MB in node_modules; tarball ${kB(packed[0].size)} kB, ${packed[0].entryCount} files`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
