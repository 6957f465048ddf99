// The consumer check (`npm run check:consumer`, run by .ci/run): gengpu used as an npm dependency, the
// way a newcomer meets it. Packs the library (prepack builds dist/lib), installs the tarball offline
// from npm's cache into temporary projects, then
//   (a) runs a plain Node ESM program that trains a tiny model (tests/consumer/node/app.mjs),
//   (b) typechecks a strict Node TypeScript consumer (node/app.ts, module nodenext, @types/node),
//   (c) typechecks and builds a vite vanilla-ts app under a strict tsconfig (DOM lib only,
//       erasableSyntaxOnly, no @types/node; web/), then loads it in headless Chromium, where it trains.
// Each step prints what it did; the first failure exits non-zero with the command's output.

import { execFile } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer';
import { chromiumFlags, chromiumPath } from '../../bench/harness/browser.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));

interface TrainingReport {
  adapter: string;
  firstLoss: number;
  lastLoss: number;
}

/** Runs a command; its output (standard output, then standard error) comes back, or the error carries all of it. */
async function run(command: string, args: string[], cwd: string, options: { stdoutOnly?: boolean } = {}): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd, maxBuffer: 64 << 20 });
    return options.stdoutOnly ? stdout : stdout + stderr;
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${message}\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** The version of a package installed in the repo, so the offline install finds it in npm's cache. */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
}

function withVersions(...names: string[]): string[] {
  return names.map((name) => `${name}@${installedVersion(name)}`);
}

function expectLearned(where: string, report: TrainingReport): void {
  const { firstLoss, lastLoss } = report;
  if (!(Number.isFinite(firstLoss) && Number.isFinite(lastLoss) && lastLoss < 0.5 * firstLoss)) {
    throw new Error(`${where}: the tiny model did not learn (loss ${firstLoss} -> ${lastLoss})`);
  }
  console.log(`  ${where}: loss ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)} on ${report.adapter}`);
}

/** A project folder with package.json and the given files copied from tests/consumer. */
function makeProject(root: string, name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `gengpu-consumer-${name}`, private: true, type: 'module' }, null, 2));
  for (const [target, source] of Object.entries(files)) {
    mkdirSync(join(dir, target, '..'), { recursive: true });
    copyFileSync(join(here, source), join(dir, target));
  }
  return dir;
}

async function npmInstall(dir: string, packages: string[]): Promise<void> {
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...packages], dir);
}

/** Serves `dir` on 127.0.0.1 (a free port); resolves to its URL and a function that stops it. */
async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((request, response) => {
    const path = join(dir, decodeURIComponent((request.url ?? '/').split('?')[0]).replace(/\/$/, '/index.html'));
    if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) {
      response.statusCode = 404;
      response.end();
      return;
    }
    response.setHeader('Content-Type', types[extname(path)] ?? 'application/octet-stream');
    createReadStream(path).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('serveStatic: no TCP address');
  return { url: `http://127.0.0.1:${address.port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function trainInBrowser(dist: string): Promise<TrainingReport> {
  const server = await serveStatic(dist);
  const profile = mkdtempSync(join(tmpdir(), 'gengpu-consumer-chromium-'));
  const browser = await puppeteer.launch({ executablePath: await chromiumPath(), headless: true, args: [...chromiumFlags, `--user-data-dir=${profile}`] });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(server.url);
    await page.waitForFunction('window.__gengpuResult !== undefined || window.__gengpuError !== undefined', { timeout: 180_000, polling: 100 });
    const error = await page.evaluate('window.__gengpuError');
    if (error !== undefined || pageErrors.length) throw new Error(`the vite app failed in Chromium: ${String(error ?? '')} ${pageErrors.join('\n')}`);
    return (await page.evaluate('window.__gengpuResult')) as TrainingReport;
  } finally {
    await browser.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'gengpu-consumer-'));
  try {
    console.log('consumer check: npm pack (prepack builds dist/lib)');
    const packOutput = await run('npm', ['pack', '--json', '--pack-destination', root, '--loglevel=error'], repoRoot, { stdoutOnly: true });
    const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[/m)));
    const tarball = join(root, packed[0].filename);
    console.log(`  ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(1)} kB packed, ${(packed[0].unpackedSize / 1024).toFixed(1)} kB unpacked`);

    console.log('consumer check: Node project (npm install --prefer-offline gengpu webgpu @sparticuz/chromium typescript @types/node)');
    const nodeProject = makeProject(root, 'node', { 'app.mjs': 'node/app.mjs', 'app.ts': 'node/app.ts', 'train.ts': 'train.ts', 'tsconfig.json': 'node/tsconfig.json' });
    await npmInstall(nodeProject, [tarball, ...withVersions('webgpu', '@sparticuz/chromium', 'typescript', '@types/node')]);
    const nodeOutput = await run('node', ['app.mjs'], nodeProject);
    expectLearned('(a) node app.mjs', JSON.parse(nodeOutput.trim().split('\n').at(-1)!));
    await run('npx', ['tsc', '-p', 'tsconfig.json'], nodeProject);
    console.log('  (b) strict Node TypeScript consumer: tsc --noEmit, 0 errors');

    console.log('consumer check: vite vanilla-ts app (npm install --prefer-offline gengpu vite typescript)');
    const webProject = makeProject(root, 'web', { 'index.html': 'web/index.html', 'src/main.ts': 'web/main.ts', 'src/train.ts': 'train.ts', 'tsconfig.json': 'web/tsconfig.json' });
    await npmInstall(webProject, [tarball, ...withVersions('vite', 'typescript')]);
    await run('npx', ['tsc', '-p', 'tsconfig.json'], webProject);
    const buildOutput = await run('npx', ['vite', 'build'], webProject);
    const warnings = buildOutput.split('\n').filter((line) => /externalized|warn|\[plugin/i.test(line));
    if (warnings.length) throw new Error(`vite build warned:\n${warnings.join('\n')}`);
    const assets = join(webProject, 'dist', 'assets');
    const scripts = readdirSync(assets).filter((file) => file.endsWith('.js'));
    const code = scripts.map((file) => readFileSync(join(assets, file), 'utf8')).join('\n');
    if (/["']node:/.test(code)) throw new Error('the browser bundle references a node: module');
    console.log(`  (c) tsc --noEmit (DOM lib only, erasableSyntaxOnly, no @types/node): 0 errors; vite build: no warnings, ${scripts.length} script(s), ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(1)} kB gzip`);
    expectLearned('(c) the app in headless Chromium', await trainInBrowser(join(webProject, 'dist')));
    console.log(`consumer check passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(`consumer check failed: ${error.message}`);
  process.exit(1);
});
