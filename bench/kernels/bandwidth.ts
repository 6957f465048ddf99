// The adapter's floor under the bandwidth-bound rows (reductions, RNG, elementwise chains on large
// tensors): how long moving N bytes takes with no library at all, a buffer-to-buffer copy and a
// one-line WGSL copy kernel, beside gengpu's sum of all values and its uniform sampling of the same
// bytes, in one run on one adapter. A copy reads and writes every byte; a sum only reads them and a
// sampler only writes them, so neither can beat about half a copy's time.
// `npx tsx bench/kernels/bandwidth.ts [--mib 4,16] [--samples 15]`

import * as gg from '../../src/node.js';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const sizesMiB = (option('--mib') ?? '4,16').split(',').map(Number);
const samples = Number(option('--samples') ?? 15);

await gg.init();
const rt = gg.runtime();
const device = rt.device;
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The median wall-clock ms of `run` (which records GPU work and waits for it), after one warm-up run. */
async function median(run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[samples >> 1];
}

/** Records one compute or copy pass with the raw device and waits until the GPU has finished it. */
async function raw(record: (encoder: GPUCommandEncoder) => void): Promise<void> {
  const encoder = device.createCommandEncoder();
  record(encoder);
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

const copyKernel = device.createComputePipeline({
  layout: 'auto',
  compute: {
    module: device.createShaderModule({
      code: `@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> o: array<vec4<f32>>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&o)) { o[g.x] = a[g.x]; }
}`,
    }),
    entryPoint: 'main',
  },
});

console.log(`${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`.trim());
console.log('| bytes | copyBufferToBuffer | WGSL copy kernel | gengpu sum of all values | gengpu uniform sample |');
console.log('|---|---|---|---|---|');
for (const mib of sizesMiB) {
  const bytes = mib * 2 ** 20;
  const [src, dst] = [0, 1].map(() => device.createBuffer({ size: bytes, usage }));
  const bindGroup = device.createBindGroup({
    layout: copyKernel.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }],
  });
  const copyMs = await median(() => raw((encoder) => encoder.copyBufferToBuffer(src, 0, dst, 0, bytes)));
  const kernelMs = await median(() => raw((encoder) => {
    const pass = encoder.beginComputePass();
    pass.setPipeline(copyKernel);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(bytes / 16 / 256);
    pass.end();
  }));
  const x = gg.uniform([bytes / 4], 0, 1, { generator: new gg.Generator(1) });
  const generator = new gg.Generator(2);
  const gengpu = async (record: () => gg.Tensor) => {
    const t = record();
    t.realize();
    await rt.sync();
    t.dispose();
  };
  const sumMs = await median(() => gengpu(() => gg.sum(x)));
  const uniformMs = await median(() => gengpu(() => gg.uniform([bytes / 4], 0, 1, { generator })));
  // GB/s of the bytes each one moves: a copy reads and writes them, a sum reads them, a sampler writes them.
  const cell = (ms: number, moved: number) => `${ms.toFixed(2)} ms (${(moved / ms / 1e6).toFixed(2)} GB/s)`;
  console.log(`| ${mib} MiB | ${cell(copyMs, 2 * bytes)} | ${cell(kernelMs, 2 * bytes)} | ${cell(sumMs, bytes)} | ${cell(uniformMs, bytes)} |`);
  for (const t of [x]) t.dispose();
  src.destroy();
  dst.destroy();
}
gg.shutdown();
