// The GPU runtime: one device, a buffer pool, a pipeline cache, and one pending command encoder
// that every op records into. Work is submitted in batches or when JS needs numbers back (readback),
// never once per op. Counters of live buffers and bytes let tests prove that memory is released.

/// <reference types="@webgpu/types" />
import { acquireDevice, type AcquiredDevice } from './device.js';
import { shaderSources, type ShaderName } from './shaders.generated.js';

/** Uniform parameter blocks are written into one arena buffer per batch, each at a 256-byte slot. */
const PARAM_SLOT_BYTES = 256;
const PARAM_ARENA_SLOTS = 512;
/** Submit the pending encoder after this many dispatches even if no one waits for the result. */
const DISPATCHES_PER_SUBMIT = 256;
const BIND_GROUP_CACHE_SIZE = 8192;

/**
 * One compute dispatch as ops describe it to `Runtime.dispatch`: the shader and how to specialize it, its
 * uniform parameters, its storage buffers and the grid size.
 */
export interface KernelLaunch {
  /** Which file in shaders/ (without .wgsl). */
  shader: ShaderName;
  /** Replaces each `{{NAME}}` in the WGSL text: a small, explicit template step (e.g. an op name or type). */
  template?: Record<string, string | number>;
  /** Values for the shader's `override` constants (workgroup sizes, tiles). */
  constants?: Record<string, number>;
  /** The WGSL entry point (default 'main'). */
  entryPoint?: string;
  /** Contents of the uniform block bound at @binding(0); see ParamWriter. */
  params: ArrayBuffer;
  /** Storage buffers bound at @binding(1), @binding(2), ... in this order. */
  buffers: GPUBuffer[];
  /** Workgroups to dispatch in x, y and z (y and z default to 1). */
  workgroups: [number, number?, number?];
}

/**
 * GPU buffer counts and bytes held by live tensors and by the pool (`Runtime.memory()`). Bytes are pool size
 * classes, not requested sizes.
 */
export interface MemoryStats {
  /** Buffers held by live tensors. */
  liveBuffers: number;
  /** Bytes of those buffers. */
  liveBytes: number;
  /** Buffers kept by the pool for reuse (not counted as live). */
  pooledBuffers: number;
  /** Bytes of those buffers. */
  pooledBytes: number;
}

/** Rounds a byte size up to a pool size class: 4 classes per power of two, at least 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

/**
 * The GPU runtime: one device, a buffer pool, a pipeline cache and one pending command encoder that every op
 * records into. Work is submitted in batches or when JS needs numbers back, never once per op. `init()`
 * creates it; `runtime()` returns it.
 */
export class Runtime {
  /** The WebGPU device every op runs on. */
  readonly device: GPUDevice;
  /** The adapter the device came from. */
  readonly adapter: GPUAdapter;
  /** Vendor, architecture and description of the adapter, for display and for choosing kernel variants. */
  readonly adapterInfo: AcquiredDevice['adapterInfo'];

  private pipelines = new Map<string, GPUComputePipeline>();
  private pipelinesByLaunch = new Map<string, GPUComputePipeline>();
  /** Each pipeline's bind group layout, asked for once (every call of getBindGroupLayout makes a new object). */
  private bindGroupLayouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  /** Small ids for pipelines and buffers, to key the bind group cache. */
  private ids = new WeakMap<object, number>();
  private nextId = 0;
  /**
   * Bind groups by pipeline, parameter slot and buffers. A training step's ops get the same pool
   * buffers and slots step after step, so most dispatches find their bind group here instead of
   * creating one. Cleared when it grows past BIND_GROUP_CACHE_SIZE and when pooled buffers are destroyed.
   */
  private bindGroups = new Map<string, GPUBindGroup>();
  private freeBuffers = new Map<number, GPUBuffer[]>();
  private stats: MemoryStats = { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0 };

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private pendingDispatches = 0;
  private paramArena: GPUBuffer;
  private paramStaging = new Uint8Array(PARAM_SLOT_BYTES * PARAM_ARENA_SLOTS);
  private paramSlotsUsed = 0;

  private lostReason: string | null = null;
  private gpuErrors: string[] = [];
  /** Dispatches recorded, submits made and objects created, for the benchmarks and for tests of batching and caching. */
  counters = {
    /** Compute dispatches recorded. */
    dispatches: 0,
    /** Command buffers submitted to the queue. */
    submits: 0,
    /** Buffer reads back to JS (each one waits for the GPU). */
    readbacks: 0,
    /** Compute pipelines compiled (cache misses). */
    pipelinesCompiled: 0,
    /** Bind groups created (bind group cache misses). */
    bindGroupsCreated: 0,
  };

  constructor(acquired: AcquiredDevice) {
    this.device = acquired.device;
    this.adapter = acquired.adapter;
    this.adapterInfo = acquired.adapterInfo;
    this.paramArena = this.device.createBuffer({
      size: this.paramStaging.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
    this.device.addEventListener('uncapturederror', (event) => {
      this.gpuErrors.push((event as GPUUncapturedErrorEvent).error.message);
    });
  }

  /**
   * Requests an adapter and device (navigator.gpu in the browser, the platform's WebGPU in Node) and wraps
   * them.
   */
  static async create(powerPreference?: GPUPowerPreference): Promise<Runtime> {
    return new Runtime(await acquireDevice(powerPreference));
  }

  /** True when the device supports the 'subgroups' feature (enables the subgroup kernel variants). */
  get hasSubgroups(): boolean {
    return this.device.features.has('subgroups' as GPUFeatureName);
  }

  /** Throws if the device was lost or a GPU validation error was reported since the last check. */
  checkHealthy(where: string): void {
    if (this.lostReason) throw new Error(`${where}: the GPU device was lost (${this.lostReason})`);
    if (this.gpuErrors.length) {
      const errors = this.gpuErrors.splice(0);
      throw new Error(`${where}: the GPU reported an error: ${errors.join('\n')}`);
    }
  }

  // ---- memory ------------------------------------------------------------------------------------

  /** A storage buffer of at least `bytes` bytes, from the pool when one of its size class is free. */
  allocate(bytes: number): GPUBuffer {
    if (this.lostReason) this.checkHealthy('allocate');
    const size = sizeClass(Math.max(4, bytes));
    const maxSize = this.device.limits.maxStorageBufferBindingSize;
    if (size > maxSize) {
      throw new Error(`allocate: ${bytes} bytes exceeds this device's largest storage buffer (${maxSize} bytes)`);
    }
    let buffer = this.freeBuffers.get(size)?.pop();
    if (buffer) {
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
    }
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    return buffer;
  }

  /**
   * Gives a buffer back to the pool. Safe while recorded work still reads it: later work that reuses
   * the buffer is recorded after that work, and the queue runs commands in order.
   */
  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    let list = this.freeBuffers.get(size);
    if (!list) this.freeBuffers.set(size, (list = []));
    // Kept in descending id order, so allocate() pops the oldest free buffer of the class: the same
    // set of free buffers then always hands out the same buffers in the same order, and a repeated
    // training step meets its cached bind groups again (a last-in-first-out pool would permute them).
    const id = this.idOf(buffer);
    let [low, high] = [0, list.length];
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.idOf(list[middle]) > id) low = middle + 1;
      else high = middle;
    }
    list.splice(low, 0, buffer);
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
  }

  /** Destroys every pooled buffer (live ones are untouched). */
  emptyPool(): void {
    for (const list of this.freeBuffers.values()) for (const b of list) b.destroy();
    this.bindGroups.clear();
    this.freeBuffers.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  /** A snapshot of live and pooled buffer counts and bytes. */
  memory(): MemoryStats {
    return { ...this.stats };
  }

  /** Copies bytes from JS into a buffer, ordered after every op recorded so far. */
  write(buffer: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    // queue.writeBuffer runs before any commands still waiting in our encoder, so those must go first.
    if (this.pendingDispatches > 0 || this.encoder) this.flush();
    this.device.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  // ---- kernels -----------------------------------------------------------------------------------

  /**
   * The compiled pipeline for a shader, its template values and its override constants. Two caches:
   * by the launch's small description (the hot path: no WGSL text is built or hashed per dispatch)
   * and, on a miss there, by the filled-in WGSL source, so launches that fill in to the same code
   * share one pipeline.
   */
  pipeline(shader: ShaderName, template: Record<string, string | number> = {}, constants: Record<string, number> = {}, entryPoint = 'main'): GPUComputePipeline {
    const launchKey = `${shader}\u0000${entryPoint}\u0000${JSON.stringify(template)}\u0000${JSON.stringify(constants)}`;
    const known = this.pipelinesByLaunch.get(launchKey);
    if (known) return known;
    const code = fillTemplate(shader, template);
    const key = `${entryPoint}\u0000${JSON.stringify(constants)}\u0000${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code, label: shader });
      pipeline = this.device.createComputePipeline({
        label: `${shader}:${JSON.stringify(template)}`,
        layout: 'auto',
        compute: { module, entryPoint, constants },
      });
      this.pipelines.set(key, pipeline);
      this.bindGroupLayouts.set(pipeline, pipeline.getBindGroupLayout(0));
      this.counters.pipelinesCompiled++;
    }
    this.pipelinesByLaunch.set(launchKey, pipeline);
    return pipeline;
  }

  /** Records one dispatch into the pending encoder. Nothing waits for it. */
  dispatch(launch: KernelLaunch): void {
    if (this.lostReason) this.checkHealthy(launch.shader);
    const pipeline = this.pipeline(launch.shader, launch.template, launch.constants, launch.entryPoint);
    if (launch.params.byteLength > PARAM_SLOT_BYTES) {
      throw new Error(`${launch.shader}: uniform parameters of ${launch.params.byteLength} bytes exceed ${PARAM_SLOT_BYTES}`);
    }
    if (this.paramSlotsUsed === PARAM_ARENA_SLOTS) this.flush();
    const paramOffset = this.paramSlotsUsed++ * PARAM_SLOT_BYTES;
    this.paramStaging.set(new Uint8Array(launch.params), paramOffset);

    const bindGroup = this.bindGroup(pipeline, paramOffset, Math.max(16, launch.params.byteLength), launch.buffers);

    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = launch.workgroups;
    this.pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (++this.pendingDispatches >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) this.ids.set(object, (id = this.nextId++));
    return id;
  }

  /** The bind group of one dispatch: its parameter slot at @binding(0), then its storage buffers. */
  private bindGroup(pipeline: GPUComputePipeline, paramOffset: number, paramBytes: number, buffers: GPUBuffer[]): GPUBindGroup {
    let key = `${this.idOf(pipeline)}:${paramOffset}:${paramBytes}`;
    for (const buffer of buffers) key += `:${this.idOf(buffer)}`;
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.paramArena, offset: paramOffset, size: paramBytes } }];
      buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
      bindGroup = this.device.createBindGroup({ layout: this.bindGroupLayouts.get(pipeline)!, entries });
      this.counters.bindGroupsCreated++;
      if (this.bindGroups.size >= BIND_GROUP_CACHE_SIZE) this.bindGroups.clear();
      this.bindGroups.set(key, bindGroup);
    }
    return bindGroup;
  }

  /** Records a buffer-to-buffer copy (ordered with the dispatches around it). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    if (this.pass) this.pass.end();
    if (this.paramSlotsUsed > 0) {
      // Ordered before this submit on the queue, and after every earlier submit that read the arena.
      this.device.queue.writeBuffer(this.paramArena, 0, this.paramStaging.buffer, 0, this.paramSlotsUsed * PARAM_SLOT_BYTES);
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.pass = null;
    this.pendingDispatches = 0;
    this.paramSlotsUsed = 0;
    this.counters.submits++;
  }

  /** Reads bytes back to JS: the one place that waits for the GPU. */
  async read(buffer: GPUBuffer, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    this.checkHealthy('read');
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({ size: Math.max(4, size), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass().copyBufferToBuffer(buffer, byteOffset, staging, 0, size);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      staging.destroy();
      this.checkHealthy('read');
      throw new Error(`read: mapping the result failed: ${(e as Error).message}`);
    }
    const bytes = staging.getMappedRange().slice(0, byteLength);
    staging.unmap();
    staging.destroy();
    this.checkHealthy('read');
    return bytes;
  }

  /** Waits until all submitted work has finished (for timing and for tests). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.checkHealthy('sync');
  }

  private endPass(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return this.encoder;
  }

  /** Submits pending work, destroys the pooled buffers and the parameter arena, then the device itself. */
  destroy(): void {
    this.flush();
    this.emptyPool();
    this.paramArena.destroy();
    this.device.destroy();
  }
}

/** The WGSL text of a shader with each `{{NAME}}` replaced; a missing or unused value is an error. */
export function fillTemplate(shader: ShaderName, values: Record<string, string | number>): string {
  const source: string = shaderSources[shader];
  const used = new Set<string>();
  const code = source.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`shader ${shader}: no value given for template slot {{${name}}}`);
    used.add(name);
    return String(values[name]);
  });
  for (const name of Object.keys(values)) {
    if (!used.has(name)) throw new Error(`shader ${shader}: template value '${name}' matches no {{${name}}} slot`);
  }
  return code;
}

/**
 * Packs a uniform block the way WGSL lays it out: 4-byte scalars in order, then vec4 arrays aligned
 * to 16 bytes. Write fields in the order the shader's Params struct declares them.
 */
export class ParamWriter {
  private view = new DataView(new ArrayBuffer(PARAM_SLOT_BYTES));
  private offset = 0;

  /** Appends a u32 (4 bytes). */
  u32(value: number): this {
    this.view.setUint32(this.offset, value >>> 0, true);
    this.offset += 4;
    return this;
  }
  /** Appends an i32 (4 bytes). */
  i32(value: number): this {
    this.view.setInt32(this.offset, value | 0, true);
    this.offset += 4;
    return this;
  }
  /** Appends an f32 (4 bytes). */
  f32(value: number): this {
    this.view.setFloat32(this.offset, value, true);
    this.offset += 4;
    return this;
  }
  /** `array<vec4<u32>, vec4s>`: the values, zero-padded to 4 * vec4s entries. */
  u32Array(values: readonly number[], vec4s: number): this {
    if (values.length > vec4s * 4) throw new Error(`ParamWriter: ${values.length} values do not fit in ${vec4s} vec4s`);
    this.offset = Math.ceil(this.offset / 16) * 16;
    for (let i = 0; i < vec4s * 4; i++) this.view.setUint32(this.offset + 4 * i, (values[i] ?? 0) >>> 0, true);
    this.offset += vec4s * 16;
    return this;
  }
  /** The block written so far, padded to a multiple of 16 bytes (at least 16). */
  finish(): ArrayBuffer {
    const size = Math.max(16, Math.ceil(this.offset / 16) * 16);
    return this.view.buffer.slice(0, size);
  }
}
