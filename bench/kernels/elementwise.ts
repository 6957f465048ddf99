// The elementwise family: chains of x + 1 ops, on a small vector for the per-op overhead (beside a
// raw WebGPU chain with no library at all, the adapter's floor) and on a large one for bandwidth,
// fused into generated kernels (the default), each op as its own kernel (setFusion(false)), and
// captured and replayed by gg.capture (as jax.jit compiles the chain once);
// checked against x + length in float64, then timed beside the peers' chains.
// Alone, in Node: `npx tsx bench/kernels/elementwise.ts [--quick]`.

import * as gg from '../../src/index.js';
import { gengpuCase, isEntryPoint, upload, type Case } from '../harness/cases.js';
import { HostRandom, type HostTensor, type Prepared } from '../harness/harness.js';

/** `length` x + 1 ops on x, each intermediate disposed once the next op has it. */
function chainOf(x: gg.Tensor, length: number): gg.Tensor {
  let y = x.add(1);
  for (let i = 1; i < length; i++) {
    const next = y.add(1);
    y.dispose();
    y = next;
  }
  return y;
}

/** gengpu's x + 1 chain, each op its own kernel or, with `fused`, recorded into generated kernels. */
function addChain(x: HostTensor, length: number, fused: boolean): Prepared {
  const gx = upload(x);
  return gengpuCase(() => {
    const previous = gg.isFusionEnabled();
    gg.setFusion(fused);
    try {
      return chainOf(gx, length);
    } finally {
      gg.setFusion(previous);
    }
  }, 1, [gx]);
}

/** The fused chain captured with gg.capture and replayed: jax.jit's way (record once, call many). */
function capturedChain(x: HostTensor, length: number): Prepared {
  const gx = upload(x);
  const captured = gg.capture((input: gg.Tensor) => chainOf(input, length));
  const prepared = gengpuCase(() => captured(gx), 1, [gx]);
  return { ...prepared, dispose: () => { captured.dispose(); prepared.dispose(); } };
}

/** A chain of x + 1 ops: on a small vector it measures per-op overhead, on a large one bandwidth. */
function chainCase(size: number, length: number, random: HostRandom): Case {
  const x = random.uniform([size]);
  const perOp = size <= 4096;
  return {
    suite: 'elementwise chain',
    name: `${length} x (x + 1) on [${size}]${perOp ? ' (per-op overhead)' : ''}`,
    unit: perOp ? 'µs/op' : 'GB/s',
    work: perOp ? length : 2 * 4 * size * length,
    reps: 1,
    reference: () => ({ values: Float64Array.from(x.data, (v) => v + length), tolerance: 1e-6 }),
    gengpu: [
      { library: 'gengpu', role: 'gengpu', prepare: () => addChain(x, length, true) },
      { library: 'gengpu, unfused (setFusion(false))', role: 'variant', prepare: () => addChain(x, length, false) },
      { library: 'gengpu, captured (gg.capture)', role: 'variant', prepare: () => capturedChain(x, length) },
      ...(perOp ? [{ library: 'raw WebGPU (the adapter\'s floor)', role: 'variant' as const, prepare: () => rawDispatchChain(x.data, length) }] : []),
    ],
    peer: { kind: 'addChain', x, length },
  };
}

/**
 * The same chain with no library at all: one `o = a + 1` pipeline and two bind groups made in advance,
 * then `length` dispatches ping-ponging between two buffers. What one dependent dispatch costs on this
 * adapter, the floor under every library's per-op figure.
 */
function rawDispatchChain(input: ArrayLike<number>, length: number): Prepared {
  const device = gg.runtime().device;
  const values = Float32Array.from(input);
  const code = `@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&o)) { o[g.x] = a[g.x] + 1.0; }
}`;
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [0, 1].map(() => device.createBuffer({ size: values.byteLength, usage }));
  const bindGroups = [0, 1].map((k) =>
    device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buffers[k] } }, { binding: 1, resource: { buffer: buffers[1 - k] } }] }),
  );
  const run = async () => {
    device.queue.writeBuffer(buffers[0], 0, values);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    for (let i = 0; i < length; i++) {
      pass.setBindGroup(0, bindGroups[i % 2]);
      pass.dispatchWorkgroups(Math.ceil(values.length / 64));
    }
    pass.end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  return {
    async check() {
      await run();
      const staging = device.createBuffer({ size: values.byteLength, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffers[length % 2], 0, staging, 0, values.byteLength);
      device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const result = new Float32Array(staging.getMappedRange().slice(0));
      staging.destroy();
      return result;
    },
    iterate: run,
    dispose() {
      for (const buffer of buffers) buffer.destroy();
    },
  };
}

export function chainCases(quick: boolean): Case[] {
  const random = new HostRandom(2030);
  return (quick ? [256] : [256, 1 << 20]).map((size) => chainCase(size, size <= 4096 ? 1000 : 16, random));
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(chainCases);
