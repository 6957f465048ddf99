// The runtime: pipelines compiled once, ops batched into few submits, device loss and missing WebGPU
// reported clearly.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { sizeClass } from '../../src/gpu/runtime.js';

describe('runtime', () => {
  // These count the hand-written kernels' pipelines, dispatches and bind groups, so they run unfused
  // (tests/setup.ts may turn fusion on for a whole run).
  let fusion = false;
  beforeAll(() => {
    fusion = gg.isFusionEnabled();
    gg.setFusion(false);
  });
  afterAll(() => gg.setFusion(fusion));

  it('compiles each pipeline once per (WGSL source, constants)', () => {
    const rt = gg.runtime();
    gg.scope(() => gg.tensor([1, 2]).exp());
    const compiled = rt.counters.pipelinesCompiled;
    gg.scope(() => gg.tensor([3, 4, 5]).exp().exp());
    expect(rt.counters.pipelinesCompiled).toBe(compiled);
  });

  it('records many ops into one submit instead of one per op', async () => {
    const rt = gg.runtime();
    const x = gg.ones([64]);
    await rt.sync();
    const submits = rt.counters.submits;
    const dispatches = rt.counters.dispatches;
    const y = gg.scope(() => {
      let t = x;
      for (let i = 0; i < 100; i++) t = t.mul(1.01);
      return t;
    });
    expect(rt.counters.dispatches - dispatches).toBe(100);
    expect(rt.counters.submits - submits).toBe(0);
    expect((await y.data())[0]).toBeCloseTo(1.01 ** 100, 3);
    expect(rt.counters.submits - submits).toBe(1);
    x.dispose();
    y.dispose();
  });

  it('a repeated training step finds its bind groups again instead of creating new ones', async () => {
    const rt = gg.runtime();
    const model = new gg.nn.Sequential(new gg.nn.Linear(5, 7, { generator: new gg.Generator(0) }), new gg.nn.ReLU(), new gg.nn.Linear(7, 1, { generator: new gg.Generator(1) }));
    const optimizer = new gg.optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = gg.randn([9, 5], { generator: new gg.Generator(2) });
    const step = async () => {
      const loss = gg.scope(() => {
        optimizer.zeroGrad();
        const l = model.forward(x).square().mean();
        l.backward();
        optimizer.step();
        return l;
      });
      const value = await loss.item();
      loss.dispose();
      return value;
    };
    const first = await step();
    await step(); // Adam's state is created in the first step, so the second is the steady state
    const created = rt.counters.bindGroupsCreated;
    const dispatches = rt.counters.dispatches;
    const last = await step();
    expect(rt.counters.dispatches - dispatches).toBeGreaterThan(10);
    expect(rt.counters.bindGroupsCreated - created).toBe(0);
    expect(last).toBeLessThan(first);
    optimizer.dispose();
    model.dispose();
    x.dispose();
  });

  it('pools buffers by size class (4 per power of two)', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(256)).toBe(256);
    expect(sizeClass(257)).toBe(320);
    expect(sizeClass(1000)).toBe(1024);
    expect(sizeClass(1025)).toBe(1280);
    expect(sizeClass(4096)).toBe(4096);
  });

  it('reports a lost device with its reason instead of failing silently', async () => {
    const rt = await gg.Runtime.create();
    rt.device.destroy();
    await rt.device.lost;
    expect(() => rt.allocate(16)).toThrow(/the GPU device was lost \(destroyed/);
    await expect(rt.read(rt.device.createBuffer({ size: 4, usage: GPUBufferUsage.COPY_SRC }), 0, 4)).rejects.toThrow(/device was lost/);
  });

  /** Runs `init()` in a fresh Node process started with `env` (and `nodeOptions`): its output and errors. */
  async function initOutput(entry: string, env: Record<string, string>, nodeOptions: string[] = []): Promise<{ stdout: string; stderr: string }> {
    const script = `import('${entry}').then((gg) => gg.init()).then(() => console.log('found'), (e) => console.log(e.message)).finally(() => process.exit(0));`;
    return promisify(execFile)('node', ['--import', 'tsx', ...nodeOptions, '-e', script], {
      env: { ...process.env, ...env },
      cwd: new URL('../..', import.meta.url).pathname,
    });
  }

  /** What `init()` says in a fresh Node process, or 'found'. */
  const initMessage = async (entry: string, env: Record<string, string>, nodeOptions: string[] = []) => (await initOutput(entry, env, nodeOptions)).stdout;

  it.runIf(process.platform === 'linux')('GENGPU_SWIFTSHADER=bundled runs on the npm-shipped SwiftShader and Vulkan loader, even beside system ones', async () => {
    const script = `import('./src/node.ts').then((gg) => gg.init()).then(async () => {
      const { readFileSync } = await import('node:fs');
      const libraries = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((line) => line.split(/\\s+/).pop()).filter((path) => /libvulkan|swiftshader/.test(path));
      console.log(JSON.stringify([...new Set(libraries)]));
    }).finally(() => process.exit(0));`;
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', '-e', script], {
      env: { ...process.env, GENGPU_SWIFTSHADER: 'bundled', VK_ICD_FILENAMES: '' },
      cwd: new URL('../..', import.meta.url).pathname,
    });
    const libraries: string[] = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const bundledDirectory = dirname(await chromium.executablePath());
    expect(libraries.sort()).toEqual([join(bundledDirectory, 'libvk_swiftshader.so'), join(bundledDirectory, 'libvulkan.so.1')]);
  });

  const debianSwiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
  it.skipIf(!existsSync(debianSwiftShader))("finds Debian's SwiftShader without its Wayland complaint on stderr (skipped: no Debian chromium here)", async () => {
    const noDisplay = { XDG_RUNTIME_DIR: '', WAYLAND_DISPLAY: '', VK_ICD_FILENAMES: '', GENGPU_SWIFTSHADER: '' };
    const { stdout, stderr } = await initOutput('./src/node.ts', noDisplay);
    expect(stdout.trim()).toBe('found');
    expect(stderr).toBe('');
  });

  it('says what to install when no WebGPU adapter exists', async () => {
    const stdout = await initMessage('./src/node.ts', { VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(stdout).toMatch(/No WebGPU adapter was found in Node/);
    expect(stdout).toMatch(/npm install @sparticuz\/chromium, or apt-get install chromium libvulkan1/);
  });

  it('says in one sentence to install Dawn when the webgpu package is missing', async () => {
    // A module hook that makes 'webgpu' unresolvable, as in a project that never installed it.
    const hook = `export async function resolve(specifier, context, next) {
      if (specifier !== 'webgpu') return next(specifier, context);
      throw Object.assign(new Error("Cannot find package 'webgpu' imported from the test"), { code: 'ERR_MODULE_NOT_FOUND' });
    }`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const stdout = await initMessage('./src/node.ts', {}, ['--import', `data:text/javascript,${encodeURIComponent(register)}`]);
    expect(stdout.trim()).toBe("gengpu needs Dawn, the 'webgpu' package, to reach the GPU from Node: npm install webgpu");
  });

  it('points Node users of the browser entry to the Node entry', async () => {
    const stdout = await initMessage('./src/index.ts', {});
    expect(stdout).toMatch(/loaded through its browser entry.*\n.*import 'gengpu'.*'gengpu\/node'.*npm install webgpu/);
  });
});
