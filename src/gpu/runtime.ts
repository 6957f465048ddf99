// The GPU runtime: one device, a buffer pool, a pipeline cache, and one pending command encoder
// that every op records into. Work is submitted in batches or when JS needs numbers back (readback),
// never once per op. Counters of live buffers and bytes let tests prove that memory is released.

/// <reference types="@webgpu/types" />
import { acquireDevice, type AcquiredDevice } from './device.js';
import { Recording, ReplayPlan, type RecordedDispatch } from './replay.js';
import type { Binding, ParamField, Shader } from './shaders.generated.js';

/** Uniform parameter blocks are written into one arena buffer per batch, each at a 256-byte slot. */
const PARAM_SLOT_BYTES = 256;
const PARAM_ARENA_SLOTS = 512;
/** Submit the pending encoder after this many dispatches even if no one waits for the result. */
const DISPATCHES_PER_SUBMIT = 256;
const BIND_GROUP_CACHE_SIZE = 8192;
/** Timestamps per query set while profiling (two per dispatch). */
const QUERIES_PER_SET = 512;

/** The runtime that allocated each pooled buffer, to name a buffer that reaches another runtime. */
const bufferOwners = new WeakMap<GPUBuffer, Runtime>();

/** What Runtime.record returns. */
export interface RecordedCall<T> {
  /** What the function returned. */
  result: T;
  /** The GPU commands it made. */
  recording: Recording;
}

/** One profiled dispatch: its kernel's name and the GPU time it took (see Runtime.startProfile). */
export interface KernelTiming {
  /** The kernel's name ('unary(op_exp)', 'matmul_4_quad'). */
  kernel: string;
  /** Its GPU time, ms. */
  ms: number;
}

/**
 * A byte range of a pooled buffer, bound and copied as if it were a buffer of its own: how tensors that live
 * side by side in one buffer (an optimizer's parameters, gradients and states: src/gpu/arena.ts) reach the
 * kernels, which index from the start of their binding as usual. `offset` is a multiple of 256 bytes (every
 * device's storage binding alignment) and `size` of 16, so vec4 kernels may read a slice's last vec4 whole.
 */
export class BufferSlice {
  /** The pooled buffer the range lies in. */
  readonly buffer: GPUBuffer;
  /** Where the range starts, in bytes. */
  readonly offset: number;
  /** Its length in bytes. */
  readonly size: number;
  constructor(buffer: GPUBuffer, offset: number, size: number) {
    this.buffer = buffer;
    this.offset = offset;
    this.size = size;
  }
}

/** What a tensor's memory is: a pooled buffer of its own, or a slice of one it shares (see BufferSlice). */
export type BufferRef = GPUBuffer | BufferSlice;

/** The GPU buffer a BufferRef lies in. */
export function bufferOf(ref: BufferRef): GPUBuffer {
  return ref instanceof BufferSlice ? ref.buffer : ref;
}

/** Where a BufferRef starts in its GPU buffer, in bytes. */
export function offsetOf(ref: BufferRef): number {
  return ref instanceof BufferSlice ? ref.offset : 0;
}

/** A launch's storage buffers (or slices of them), keyed by the WGSL variable names of the shader's bindings. */
export type KernelBuffers<B extends string = string> = { readonly [Name in B]?: BufferRef };

/** The buffers argument of a launch of shader `S`. */
export type BuffersOf<S> = S extends Shader<any, infer B> ? KernelBuffers<B> : never;

/**
 * One compute dispatch as ops describe it to `Runtime.dispatch`: the shader and how to specialize it, its
 * uniform parameters, its storage buffers and the grid size. `P` and `B` come from the shader: its Params
 * struct's fields and its storage variables' names, as shaders/bundle.mjs read them from the WGSL.
 */
export interface KernelLaunch<P = any, B extends string = string> {
  /** The kernel family (an export of shaders.generated.ts, one per file in shaders/). */
  shader: Shader<P, B>;
  /** Replaces each `{{NAME}}` in the WGSL text: a small, explicit template step (e.g. an op name or type). */
  template?: Record<string, string | number>;
  /** Values for the shader's `override` constants (workgroup sizes, tiles). */
  constants?: Record<string, number>;
  /** The WGSL entry point (default 'main'). */
  entryPoint?: string;
  /**
   * Every field of the shader's Params struct, by name: the runtime packs them with the shader's uniform
   * layout into the block bound at @binding(0). Vector and array fields take up to their element count
   * of numbers (the rest are zero).
   */
  params: NoInfer<P>;
  /**
   * The storage buffers by variable name, bound at their `@binding` numbers: exactly the variables the entry
   * point uses (with `layout: 'auto'` a pipeline binds only those). A name given `undefined` counts as absent.
   */
  buffers: KernelBuffers<NoInfer<B>>;
  /** Workgroups to dispatch in x, y and z (y and z default to 1). */
  workgroups: [number, number?, number?];
}

/** What a compiled pipeline binds: whether it reads the Params block, and the storage variables it uses. */
interface PipelineBindings {
  params: boolean;
  storage: readonly Binding[];
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
  /**
   * Buffers held by step captures (gg.capture: their copies of the arguments and results, and the step's
   * temporaries, kept for its replays) until the capture is disposed; not counted as live.
   */
  capturedBuffers: number;
  /** Bytes of those buffers. */
  capturedBytes: number;
}

/** How a bind group entry binds a BufferRef: a whole buffer, or a slice's range of one. */
function bindingResource(ref: BufferRef): GPUBufferBinding {
  return ref instanceof BufferSlice ? { buffer: ref.buffer, offset: ref.offset, size: ref.size } : { buffer: ref };
}

/** Rounds a byte size up to a pool size class: 4 classes per power of two, at least 256 bytes. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

/** Where a checking kernel reports: the check flag buffer it binds and the site number it records. */
export interface DeferredCheck {
  /** The runtime's check flag (four u32 words), bound read-write by the kernel. */
  flag: GPUBuffer;
  /** The number the kernel records on failure (0: do not check); the runtime maps it to the error. */
  site: number;
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
  /** The bindings each pipeline's entry point statically uses, read from its WGSL once when it is compiled. */
  private pipelineBindings = new Map<GPUComputePipeline, PipelineBindings>();
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
  private stats = { liveBuffers: 0, liveBytes: 0, pooledBuffers: 0, pooledBytes: 0 };
  /** Live buffers that step captures hold (see MemoryStats.capturedBuffers). */
  private captureHeld = new Set<GPUBuffer>();
  private captureHeldBytes = 0;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The commands being recorded for a replay (see record), or null. */
  private recorder: Recording | null = null;
  /** While a replay remakes its per-step parameters: the plan, and the commands of the replayable() call running. */
  private patching: { plan: ReplayPlan; commands: readonly number[]; next: number } | null = null;
  /** How many times each buffer has been handed out by allocate(), so a replay sees one that changed hands. */
  private allocations = new WeakMap<GPUBuffer, number>();
  private allocationCount = 0;
  /** While a profile records (startProfile): query sets of begin/end timestamps, and each dispatch's kernel name. */
  private profiling: { sets: GPUQuerySet[]; kernels: string[] } | null = null;
  private pendingDispatches = 0;
  private paramArena: GPUBuffer;
  private paramStaging = new Uint8Array(PARAM_SLOT_BYTES * PARAM_ARENA_SLOTS);
  /** The staging bytes seen as 4-byte words of each Params element type, for packing without allocating. */
  private paramWords = paramWords(this.paramStaging.buffer);
  private paramSlotsUsed = 0;

  private lostReason: string | null = null;
  /** Errors the GPU reported (complete sentences), thrown by the next checkHealthy. */
  private gpuErrors: string[] = [];
  /** Buffers handed out by allocate() and not yet released: the only ones release() and dispatch() accept. */
  private live = new Set<GPUBuffer>();
  private retiredAs: string | null = null;
  /** device.limits.maxComputeWorkgroupsPerDimension, read once (the limits getter is slow in Dawn's Node binding). */
  private readonly maxWorkgroups: number;
  /** device.limits.maxStorageBufferBindingSize, read once: the most bytes one tensor's buffer can hold. */
  readonly maxBufferBytes: number;
  private destroyed = false;
  /** A short name per pipeline ('binary(op_add)', 'optim_adam.adam'), for errors. */
  private kernelNames = new Map<GPUComputePipeline, string>();
  /** The pipelines dispatched in the open command batch, for naming them if the GPU rejects the batch. */
  private batchKernels: GPUComputePipeline[] = [];
  /** Error scopes popped but not yet settled; read() and sync() wait for them before reporting. */
  private unsettledScopes = new Set<Promise<void>>();
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
    this.maxWorkgroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    this.maxBufferBytes = this.device.limits.maxStorageBufferBindingSize;
    this.paramArena = this.device.createBuffer({
      size: this.paramStaging.byteLength,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
      this.retiredAs ??= `whose GPU device was lost (${this.lostReason})`;
    });
    this.device.addEventListener('uncapturederror', (event) => {
      this.gpuErrors.push(`the GPU reported an error: ${(event as GPUUncapturedErrorEvent).error.message}`);
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
      throw new Error(`${where}: ${errors.join('\n')}`);
    }
  }

  /**
   * Null while this runtime is usable; once it is gone, how tensors on it describe it ('that was shut
   * down', 'whose GPU device was lost (...)'): their ops then throw instead of reaching a dead device.
   */
  get retirement(): string | null {
    return this.retiredAs;
  }

  /** True once the device was lost (init() then makes a new runtime). */
  get isLost(): boolean {
    return this.lostReason !== null;
  }

  /** Marks this runtime as gone (see `retirement`) and drops its pool; for init() after device loss. */
  retire(description: string): void {
    this.retiredAs ??= description;
    this.emptyPool();
  }

  // ---- checks reported at the next read ----------------------------------------------------------

  /**
   * Whether gather, indexSelect, Embedding, crossEntropy and their backward kernels check their
   * indices on the GPU (default true). A kernel that meets an index outside its axis still reads a
   * clamped one (never out of bounds), records the first bad index in a small per-runtime flag, and
   * the next read of any tensor throws an error naming the op, the shapes and the index. The flag
   * travels with that read (16 more bytes in its staging copy): no extra sync. Set false to skip the
   * check (and the error) where every index is known good and speed matters.
   */
  checkIndices = true;
  /** Four words (site, value, where, 0): the first failed check since the flag was last cleared; zeros when none. */
  private checkFlag: GPUBuffer | null = null;
  /** Error messages of the checking dispatches, by site number (0 = no check); `{value}` marks the recorded value. */
  private checkMessages: string[] = [''];
  private checkSites = new Map<string, number>();
  /** For sites whose failure is a particular Error subclass: makes it from the message and the value. */
  private checkErrors = new Map<number, (message: string, value: number, where: number) => Error>();
  /** True once a checking dispatch was recorded after the last copy of the flag into a read. */
  private checksPending = false;

  /**
   * For a kernel that reports a failed check at the next read: the flag buffer it binds and the site
   * number it records (atomically, first failure wins) with a value such as the bad index. `message`
   * is the error to throw, `{value}` replaced by the value; `makeError`, if given, makes that error
   * (an Error subclass that carries the value, say) from the message, the value and where the kernel
   * says it failed (include/check_flag.wgsl's report_check_at; 0 from report_check).
   */
  deferredCheck(message: string, makeError?: (message: string, value: number, where: number) => Error): DeferredCheck {
    let site = this.checkSites.get(message);
    if (site === undefined) {
      site = this.checkMessages.push(message) - 1;
      this.checkSites.set(message, site);
    }
    if (makeError) this.checkErrors.set(site, makeError);
    this.checksPending = true;
    return { flag: this.errorFlag(), site };
  }

  /** An index check (see checkIndices): as deferredCheck, or site 0 (no check) when checks are off. */
  indexCheck(message: () => string): DeferredCheck {
    return this.checkIndices ? this.deferredCheck(message()) : { flag: this.errorFlag(), site: 0 };
  }

  /** The check flag buffer, for a kernel that binds it whether or not it checks (site 0: no check). */
  errorFlag(): GPUBuffer {
    // New buffers are zero-filled: no failure recorded.
    this.checkFlag ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    return this.checkFlag;
  }

  /** After a read's flag copy came back: throws the recorded failure (clearing the flag), if any. */
  private throwFailedCheck(words: Uint32Array): void {
    if (words[0] === 0) {
      // Nothing failed and nothing new is waiting to be checked: the site table can start over.
      if (!this.checksPending && this.checkMessages.length > 4096) {
        this.checkMessages = [''];
        this.checkSites.clear();
        this.checkErrors.clear();
      }
      return;
    }
    this.device.queue.writeBuffer(this.checkFlag!, 0, new Uint32Array(4));
    const message = (this.checkMessages[words[0]] ?? 'a GPU check failed (value {value})').replace('{value}', String(words[1] | 0));
    const makeError = this.checkErrors.get(words[0]);
    throw makeError ? makeError(message, words[1] | 0, words[2]) : new Error(message);
  }

  // ---- memory ------------------------------------------------------------------------------------

  /** A storage buffer of at least `bytes` bytes, from the pool when one of its size class is free. */
  allocate(bytes: number): GPUBuffer {
    if (this.lostReason) this.checkHealthy('allocate');
    const size = sizeClass(Math.max(4, bytes));
    const maxSize = this.maxBufferBytes;
    if (size > maxSize) {
      throw new Error(`allocate: ${bytes} bytes exceeds this device's largest storage buffer (${maxSize} bytes)`);
    }
    let buffer = this.recorder?.reuse(size) ?? this.freeBuffers.get(size)?.pop();
    if (buffer) {
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      bufferOwners.set(buffer, this);
    }
    this.live.add(buffer);
    this.allocations.set(buffer, ++this.allocationCount);
    this.stats.liveBuffers++;
    this.stats.liveBytes += size;
    return buffer;
  }

  /**
   * Gives a buffer back to the pool. Safe while recorded work still reads it: later work that reuses
   * the buffer is recorded after that work, and the queue runs commands in order.
   */
  release(buffer: GPUBuffer): void {
    // The pool takes only its own live buffers: another runtime's (a dead device's) would fail later ops.
    if (!this.live.delete(buffer)) {
      throw new Error('release: the buffer is not a live buffer of this runtime (it came from another runtime, or was released twice)');
    }
    const size = buffer.size;
    this.stats.liveBuffers--;
    this.stats.liveBytes -= size;
    if (this.retiredAs !== null) {
      buffer.destroy(); // the runtime is gone: nothing will reuse it
      return;
    }
    this.stats.pooledBuffers++;
    this.stats.pooledBytes += size;
    if (this.recorder) {
      // Reused by the recorded call alone: how its buffers are shared then depends on its own
      // allocations and releases, not on what else the pool holds, so two calls record alike.
      this.recorder.released.push(buffer);
      return;
    }
    this.pool(buffer);
  }

  /** Puts a released buffer in the pool's free list of its size. */
  private pool(buffer: GPUBuffer): void {
    const size = buffer.size;
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
  }

  /** Destroys every pooled buffer (live ones are untouched). */
  emptyPool(): void {
    // Work recorded but not yet submitted may still read a released buffer (release() allows that): a
    // destroyed buffer in a later submit fails the whole batch, so submit first (a submitted buffer may be
    // destroyed; the GPU finishes with it first). A retired runtime has nothing left to submit.
    if (this.retiredAs === null) this.flush();
    for (const list of this.freeBuffers.values()) for (const b of list) b.destroy();
    this.bindGroups.clear();
    this.freeBuffers.clear();
    this.stats.pooledBuffers = 0;
    this.stats.pooledBytes = 0;
  }

  /** A snapshot of live and pooled buffer counts and bytes. */
  memory(): MemoryStats {
    const { liveBuffers, liveBytes, pooledBuffers, pooledBytes } = this.stats;
    const [capturedBuffers, capturedBytes] = [this.captureHeld.size, this.captureHeldBytes];
    return { liveBuffers: liveBuffers - capturedBuffers, liveBytes: liveBytes - capturedBytes, pooledBuffers, pooledBytes, capturedBuffers, capturedBytes };
  }

  /** Counts a live buffer as held by a step capture (MemoryStats.capturedBuffers) instead of live, until releaseFromCapture. */
  holdForCapture(buffer: GPUBuffer): void {
    if (!this.live.has(buffer) || this.captureHeld.has(buffer)) throw new Error('holdForCapture: the buffer is not a live buffer of this runtime, or is already held');
    this.captureHeld.add(buffer);
    this.captureHeldBytes += buffer.size;
  }

  /** Counts a buffer held by a step capture as live again (before it is released or its tensor disposed). */
  releaseFromCapture(buffer: GPUBuffer): void {
    if (!this.captureHeld.delete(buffer)) throw new Error('releaseFromCapture: the buffer is not held by a capture');
    this.captureHeldBytes -= buffer.size;
  }

  /** Copies bytes from JS into a buffer, ordered after every op recorded so far. */
  write(buffer: BufferRef, data: ArrayBufferView, byteOffset = 0): void {
    this.recorder?.commands.push({ kind: 'write', buffer, byteOffset, data: new Uint8Array(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) });
    // queue.writeBuffer runs before any commands still waiting in our encoder, so those must go first.
    if (this.pendingDispatches > 0 || this.encoder) this.flush();
    this.device.queue.writeBuffer(bufferOf(buffer), offsetOf(buffer) + byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Sets a buffer's bytes to zero, ordered after every op recorded so far. */
  clear(buffer: BufferRef): void {
    if (this.recorder) {
      this.write(buffer, new Uint8Array(buffer.size));
      return;
    }
    this.endPass().clearBuffer(bufferOf(buffer), offsetOf(buffer), buffer.size);
  }

  // ---- kernels -----------------------------------------------------------------------------------

  /**
   * The compiled pipeline for a shader, its template values and its override constants. Two caches:
   * by the launch's small description (the hot path: no WGSL text is built or hashed per dispatch)
   * and, on a miss there, by the filled-in WGSL source, so launches that fill in to the same code
   * share one pipeline.
   */
  pipeline(shader: Shader, template: Record<string, string | number> = {}, constants: Record<string, number> = {}, entryPoint = 'main'): GPUComputePipeline {
    const launchKey = `${shader.name}\u0000${entryPoint}\u0000${JSON.stringify(template)}\u0000${JSON.stringify(constants)}`;
    const known = this.pipelinesByLaunch.get(launchKey);
    if (known) return known;
    const code = fillTemplate(shader, template);
    const key = `${entryPoint}\u0000${JSON.stringify(constants)}\u0000${code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const name = kernelName(shader.name, template, entryPoint);
      // Compile errors come back asynchronously: an error scope of its own names this kernel.
      this.device.pushErrorScope('validation');
      try {
        const module = this.device.createShaderModule({ code, label: shader.name });
        pipeline = this.device.createComputePipeline({
          label: `${shader.name}:${JSON.stringify(template)}`,
          layout: 'auto',
          compute: { module, entryPoint, constants },
        });
      } finally {
        this.settle(this.device.popErrorScope(), () => `the GPU could not compile kernel ${name}`);
      }
      this.kernelNames.set(pipeline, name);
      this.pipelines.set(key, pipeline);
      this.bindGroupLayouts.set(pipeline, pipeline.getBindGroupLayout(0));
      this.pipelineBindings.set(pipeline, staticBindings(shader, code, entryPoint));
      this.counters.pipelinesCompiled++;
    }
    this.pipelinesByLaunch.set(launchKey, pipeline);
    return pipeline;
  }

  /**
   * Records one dispatch into the pending encoder. Nothing waits for it.
   *
   * Errors name the kernel. What can be checked on the CPU is checked here, before recording, and throws
   * at once: every storage buffer is live and this runtime's (not released to the pool, not another
   * runtime's, which is how a dead device's buffer would arrive), and the workgroup counts are within the
   * device's limits. The rest (a bind group that does not fit the kernel, a shader that does not compile)
   * only the GPU can see, and it answers asynchronously: each command batch runs inside a device error
   * scope, and an error from it is reported by the next read() or sync() as "the GPU reported an error in a
   * command batch of N dispatches (the kernels in it): ...". One scope per batch (a submit: up to
   * DISPATCHES_PER_SUBMIT dispatches, or a readback) rather than one per dispatch: encoding errors surface
   * only when the batch's encoder is finished anyway, and the cost is per scope. Measured in Node on Dawn
   * with SwiftShader: a pushErrorScope / popErrorScope pair takes 1-3 us to record (and its promise about
   * 4 us more to settle, off the critical path), against 8-9 us for recording one dispatch and 12-19 us for
   * an empty submit; per dispatch it would add a third or more to every op, per batch it is lost in the
   * noise (a small MLP's Adam step took the same ~3 ms with and without the scopes).
   */
  dispatch<P, B extends string>(launch: KernelLaunch<P, B>): void {
    if (this.lostReason) this.checkHealthy(launch.shader.name);
    const [x, y = 1, z = 1] = launch.workgroups;
    const maxGroups = this.maxWorkgroups;
    if (!(x <= maxGroups && y <= maxGroups && z <= maxGroups && x >= 0 && y >= 0 && z >= 0 && Number.isInteger(x + y + z))) {
      const axis = !(x >= 0 && x <= maxGroups && Number.isInteger(x)) ? ['x', x] : !(y >= 0 && y <= maxGroups && Number.isInteger(y)) ? ['y', y] : ['z', z];
      throw new Error(`${kernelName(launch.shader.name, launch.template, launch.entryPoint)}: ${axis[1]} workgroups in ${axis[0]} exceed the device's limit of ${maxGroups} (or are not a whole number >= 0)`);
    }
    const paramBytes = launch.shader.paramBytes;
    if (paramBytes > PARAM_SLOT_BYTES) throw new Error(`${launch.shader.name}: uniform parameters of ${paramBytes} bytes exceed ${PARAM_SLOT_BYTES}`);
    if (this.paramSlotsUsed === PARAM_ARENA_SLOTS) this.flush();
    // The batch's error scope opens before the pipeline and bind group are made: their errors are the batch's.
    if (!this.encoder) this.beginBatch();
    const pipeline = this.pipeline(launch.shader, launch.template, launch.constants, launch.entryPoint);
    const bindings = this.pipelineBindings.get(pipeline)!;
    const buffers = this.namedBuffers(launch, bindings.storage);
    if (this.patching) return this.patchParams(launch, pipeline, buffers);
    const paramOffset = this.paramSlotsUsed * PARAM_SLOT_BYTES;
    packParams(launch.shader, launch.params as object, this.paramWords, paramOffset);
    this.paramSlotsUsed++;
    const bindGroup = this.bindGroup(pipeline, bindings.params ? paramOffset : -1, paramBytes, bindings.storage, buffers);

    if (this.profiling) this.beginTimedPass(pipeline);
    else if (!this.pass) this.pass = this.encoder!.beginComputePass();
    this.pass!.setPipeline(pipeline);
    this.pass!.setBindGroup(0, bindGroup);
    this.pass!.dispatchWorkgroups(x, y, z);
    if (this.profiling) this.endPass();
    this.batchKernels.push(pipeline);
    this.recorder?.commands.push({
      kind: 'dispatch', pipeline, kernel: this.kernelNames.get(pipeline) ?? pipeline.label,
      bindings: bindings.storage.map((b) => b.binding), buffers,
      params: bindings.params ? this.paramStaging.slice(paramOffset, paramOffset + paramBytes) : null,
      workgroups: [x, y, z], perStep: -1,
    });
    this.counters.dispatches++;
    if (++this.pendingDispatches >= DISPATCHES_PER_SUBMIT) this.flush();
  }

  /**
   * A launch's named buffers for the variables its entry point uses, in the order of `used`. Throws, naming
   * the kernel, for a missing, unknown or unused name and for a buffer that is not live.
   */
  private namedBuffers(launch: KernelLaunch, used: readonly Binding[]): BufferRef[] {
    const given = launch.buffers as Record<string, BufferRef | undefined>;
    const buffers = new Array<BufferRef>(used.length);
    for (let i = 0; i < used.length; i++) {
      const buffer = given[used[i].name];
      if (buffer === undefined) throw this.bufferMismatch(launch, used);
      if (!this.live.has(bufferOf(buffer))) this.checkForeignBuffer(launch, bufferOf(buffer), `storage buffer '${used[i].name}' (binding ${used[i].binding})`);
      buffers[i] = buffer;
    }
    let count = 0;
    for (const name in given) if (given[name] !== undefined) count++;
    if (count !== used.length) throw this.bufferMismatch(launch, used);
    return buffers;
  }

  /** The error for a launch whose buffer names are not exactly the variables its entry point uses. */
  private bufferMismatch(launch: KernelLaunch, used: readonly Binding[]): Error {
    const given = Object.keys(launch.buffers).filter((name) => (launch.buffers as Record<string, unknown>)[name] !== undefined);
    const usedNames = used.map((b) => b.name);
    const missing = usedNames.filter((name) => !given.includes(name));
    const extra = given.filter((name) => !usedNames.includes(name));
    const declared = launch.shader.bindings.map((b) => b.name);
    const problems = [
      ...(missing.length ? [`no buffer for ${missing.map((n) => `'${n}'`).join(', ')}`] : []),
      ...extra.map((n) => (declared.includes(n) ? `'${n}' is not used by this entry point` : `'${n}' is not a storage variable of the shader`)),
    ];
    const name = kernelName(launch.shader.name, launch.template, launch.entryPoint);
    return new Error(`${name}: ${problems.join('; ')} (it binds ${usedNames.map((n) => `'${n}'`).join(', ') || 'no storage buffers'}; given ${given.length} buffers)`);
  }

  /** Throws for a storage buffer that is not live in this runtime, unless it is one made outside the pool. */
  private checkForeignBuffer(launch: KernelLaunch, buffer: GPUBuffer, what: string): void {
    const owner = bufferOwners.get(buffer);
    if (owner === undefined) return; // made directly on the device (e.g. the check flag), not by allocate()
    const name = kernelName(launch.shader.name, launch.template, launch.entryPoint);
    const problem = owner === this ? 'was released to the pool (its tensor was disposed)' : 'belongs to another runtime (one that was shut down, or whose device was lost)';
    throw new Error(`${name}: ${what} ${problem}`);
  }

  // ---- recording and replay (src/gpu/replay.ts) ----------------------------------------------------

  /** Runs `fn` as usual and returns, with its result, the GPU commands it made (see src/gpu/replay.ts). */
  record<T>(fn: () => T): RecordedCall<T> {
    if (this.recorder) throw new Error('record: a recording is already open (captured functions do not nest)');
    const recording = (this.recorder = new Recording());
    try {
      return { result: fn(), recording };
    } finally {
      this.recorder = null;
      for (const buffer of recording.released.splice(0)) this.pool(buffer);
    }
  }

  /**
   * Runs `fn`, code whose dispatches take parameters that change from step to step (an optimizer's
   * step count, a generator's draw counter), and which advances the host state they come from. A
   * recording keeps `fn`: each replay calls it again, and its dispatches then only remake their
   * parameters in the replay's uniform buffer. So `fn` may use only what outlives the step (the
   * tensors of a scope that ends are disposed by the time a replay calls it: take their buffers
   * before).
   */
  replayable<T>(fn: () => T): T {
    const recorder = this.recorder;
    if (!recorder) return fn();
    const first = recorder.commands.length;
    const result = fn();
    const index = recorder.perStep.push(fn) - 1;
    for (let i = first; i < recorder.commands.length; i++) {
      const command = recorder.commands[i];
      if (command.kind !== 'dispatch') throw new Error('replayable: only dispatches can remake their parameters at each replay');
      command.perStep = index;
    }
    return result;
  }

  /**
   * A plan that replays `recording`: buffers it used that are now free are taken out of the pool for
   * it (until releasePlan), those still held by tensors are checked at each replay.
   */
  planReplay(recording: Recording): ReplayPlan {
    const external = new Map<GPUBuffer, number>();
    const reserved: GPUBuffer[] = [];
    for (const buffer of new Set([...recording.buffers()].map(bufferOf))) {
      if (buffer === this.checkFlag) {
        external.set(buffer, 0); // the runtime's own, for as long as it lives
        continue;
      }
      if (this.live.has(buffer)) {
        external.set(buffer, this.allocations.get(buffer)!);
        continue;
      }
      const free = this.freeBuffers.get(buffer.size);
      const at = free ? free.indexOf(buffer) : -1;
      if (at < 0) {
        throw new Error('planReplay: a buffer of the recording was destroyed (the pool was emptied) before the plan was made');
      }
      free!.splice(at, 1);
      this.stats.pooledBuffers--;
      this.stats.pooledBytes -= buffer.size;
      this.live.add(buffer);
      this.stats.liveBuffers++;
      this.stats.liveBytes += buffer.size;
      this.holdForCapture(buffer);
      reserved.push(buffer);
    }
    const dispatches = recording.commands.filter((c): c is RecordedDispatch => c.kind === 'dispatch');
    const paramBuffer = this.device.createBuffer({ size: Math.max(1, dispatches.length) * PARAM_SLOT_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    const plan = new ReplayPlan(recording, paramBuffer, external, reserved);
    let slot = 0;
    recording.commands.forEach((c, i) => {
      if (c.kind !== 'dispatch') return;
      const offset = slot++ * PARAM_SLOT_BYTES;
      if (c.params) plan.staging.set(c.params, offset);
      const entries: GPUBindGroupEntry[] = c.params ? [{ binding: 0, resource: { buffer: paramBuffer, offset, size: c.params.length } }] : [];
      c.buffers.forEach((buffer, k) => entries.push({ binding: c.bindings[k], resource: bindingResource(buffer) }));
      plan.setDispatch(i, offset, this.device.createBindGroup({ layout: this.bindGroupLayouts.get(c.pipeline)!, entries }));
    });
    return plan;
  }

  /**
   * Runs a plan's commands once. Returns null, or (running nothing) why it cannot: a buffer it uses
   * was released or changed hands since it was recorded.
   */
  replay(plan: ReplayPlan): string | null {
    if (this.lostReason) this.checkHealthy('replay');
    for (const [buffer, allocation] of plan.external) {
      if (buffer === this.checkFlag) continue;
      if (!this.live.has(buffer) || this.allocations.get(buffer) !== allocation) {
        return 'a tensor it used (a parameter, a gradient, an optimizer state) was disposed or replaced since it was recorded';
      }
    }
    // The per-step code remakes its dispatches' parameters in the plan's uniform bytes.
    plan.perStepCommands.forEach((commands, index) => {
      this.patching = { plan, commands, next: 0 };
      try {
        plan.recording.perStep[index]();
        if (this.patching.next !== commands.length) throw new Error(`replay: per-step code made ${this.patching.next} of its ${commands.length} recorded dispatches`);
      } finally {
        this.patching = null;
      }
    });
    // The uniforms are written now, ahead of the open batch: the plan's previous replay must not wait there.
    if (this.encoder !== null && plan.encodedIn === this.encoder) this.flush();
    this.device.queue.writeBuffer(plan.paramBuffer, 0, plan.staging.buffer, 0, plan.staging.byteLength);
    // Into the open batch, after the eager work before it (the arguments' copies); the results' copies
    // and the next read join it: one submit per call.
    let encoder = this.endPass();
    let pass: GPUComputePassEncoder | null = null;
    plan.recording.commands.forEach((c, i) => {
      if (c.kind === 'dispatch') {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(c.pipeline);
        pass.setBindGroup(0, plan.bindGroup(i));
        pass.dispatchWorkgroups(...c.workgroups);
        this.batchKernels.push(c.pipeline);
        return;
      }
      pass?.end();
      pass = null;
      if (c.kind === 'copy') {
        encoder.copyBufferToBuffer(bufferOf(c.src), offsetOf(c.src) + c.srcOffset, bufferOf(c.dst), offsetOf(c.dst) + c.dstOffset, c.bytes);
        return;
      }
      // Bytes from JS land between the commands before and after them, as when they were recorded.
      this.flush();
      this.device.queue.writeBuffer(bufferOf(c.buffer), offsetOf(c.buffer) + c.byteOffset, c.data);
      encoder = this.endPass();
    });
    (pass as GPUComputePassEncoder | null)?.end();
    plan.encodedIn = encoder;
    this.pendingDispatches += plan.dispatchCount;
    if (this.pendingDispatches >= DISPATCHES_PER_SUBMIT) this.flush();
    this.counters.dispatches += plan.dispatchCount;
    // Checks the replayed kernels made travel with the next read, as after eager work.
    if (this.checkFlag !== null && plan.external.has(this.checkFlag)) this.checksPending = true;
    return null;
  }

  /** Gives the buffers a plan held back to the pool, and frees its uniform buffer. */
  releasePlan(plan: ReplayPlan): void {
    for (const buffer of plan.reserved) {
      this.releaseFromCapture(buffer);
      this.release(buffer);
    }
    plan.paramBuffer.destroy();
  }

  /** A dispatch made while a replay remakes per-step parameters: packs them into the plan's slot. */
  private patchParams(launch: KernelLaunch, pipeline: GPUComputePipeline, buffers: readonly BufferRef[]): void {
    const patching = this.patching!;
    const index = patching.commands[patching.next++];
    const recorded = patching.plan.recording.commands[index] as RecordedDispatch | undefined;
    if (!recorded || recorded.pipeline !== pipeline || !recorded.buffers.every((b, k) => b === buffers[k])) {
      throw new Error(`replay: ${this.kernelNames.get(pipeline) ?? launch.shader.name} made other work at this replay than when it was recorded`);
    }
    if (recorded.params) packParams(launch.shader, launch.params as object, patching.plan.words, patching.plan.paramOffset(index));
  }

  // ---- profiling ---------------------------------------------------------------------------------

  /**
   * Starts timing every dispatch on the GPU (timestamp queries; the device must have 'timestamp-query').
   * Each dispatch then runs in a compute pass of its own, so a profiled run is a little slower than a
   * plain one; stopProfile() returns the times.
   */
  startProfile(): void {
    if (!this.device.features.has('timestamp-query')) {
      throw new Error(`startProfile: this GPU (${this.adapterInfo.description || this.adapterInfo.vendor || 'unknown adapter'}) does not offer timestamp queries`);
    }
    if (this.profiling) throw new Error('startProfile: a profile is already recording');
    this.flush();
    this.profiling = { sets: [], kernels: [] };
  }

  /** Stops the profile startProfile() began and returns each dispatch's kernel and GPU time, in order. */
  async stopProfile(): Promise<KernelTiming[]> {
    const profile = this.profiling;
    if (!profile) throw new Error('stopProfile: no profile is recording (call startProfile first)');
    this.profiling = null;
    const count = profile.kernels.length * 2;
    const bytes = Math.max(8, count * 8);
    const resolved = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.endPass();
    profile.sets.forEach((set, k) => {
      const queries = Math.min(QUERIES_PER_SET, count - k * QUERIES_PER_SET);
      encoder.resolveQuerySet(set, 0, queries, resolved, k * QUERIES_PER_SET * 8);
    });
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ);
      const stamps = new BigInt64Array(staging.getMappedRange().slice(0));
      return profile.kernels.map((kernel, i) => ({ kernel, ms: Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 }));
    } finally {
      staging.destroy();
      resolved.destroy();
      for (const set of profile.sets) set.destroy();
    }
  }

  /** Opens a compute pass for one profiled dispatch, writing timestamps at its start and end. */
  private beginTimedPass(pipeline: GPUComputePipeline): void {
    const profile = this.profiling!;
    const index = (profile.kernels.length * 2) % QUERIES_PER_SET;
    if (index === 0) profile.sets.push(this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET }));
    profile.kernels.push(this.kernelNames.get(pipeline) ?? pipeline.label);
    this.pass = this.endPass().beginComputePass({
      timestampWrites: { querySet: profile.sets[profile.sets.length - 1], beginningOfPassWriteIndex: index, endOfPassWriteIndex: index + 1 },
    });
  }

  /** Opens a command batch: a new encoder, inside a validation error scope that flush() closes. */
  private beginBatch(): GPUCommandEncoder {
    this.device.pushErrorScope('validation');
    return (this.encoder = this.device.createCommandEncoder());
  }

  /** Reports the error a popped error scope resolves with (as `what`: the message), whenever it comes. */
  private settle(popped: Promise<GPUError | null>, what: () => string): void {
    const settled = popped.then(
      (error) => {
        if (error) this.gpuErrors.push(`${what()}: ${error.message}`);
      },
      () => {}, // the device was lost: checkHealthy says so
    );
    this.unsettledScopes.add(settled);
    void settled.then(() => this.unsettledScopes.delete(settled));
  }

  /** Waits for the error scopes already popped, so that their errors are reported now. */
  private async settleScopes(): Promise<void> {
    while (this.unsettledScopes.size) await Promise.all([...this.unsettledScopes]);
  }

  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) this.ids.set(object, (id = this.nextId++));
    return id;
  }

  /**
   * The bind group of one dispatch: its parameter slot at @binding(0) (none when `paramOffset` < 0), then
   * each storage buffer at the binding number of its entry in `bindings`.
   */
  private bindGroup(pipeline: GPUComputePipeline, paramOffset: number, paramBytes: number, bindings: readonly Binding[], buffers: readonly BufferRef[]): GPUBindGroup {
    // A pipeline's bindings are fixed, so the buffers' ids in order identify the bind group.
    let key = `${this.idOf(pipeline)}:${paramOffset}:${paramBytes}`;
    for (let i = 0; i < buffers.length; i++) key += `:${this.idOf(buffers[i])}`;
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      const entries: GPUBindGroupEntry[] = paramOffset < 0 ? [] : [{ binding: 0, resource: { buffer: this.paramArena, offset: paramOffset, size: paramBytes } }];
      buffers.forEach((buffer, i) => entries.push({ binding: bindings[i].binding, resource: bindingResource(buffer) }));
      bindGroup = this.device.createBindGroup({ layout: this.bindGroupLayouts.get(pipeline)!, entries });
      this.counters.bindGroupsCreated++;
      if (this.bindGroups.size >= BIND_GROUP_CACHE_SIZE) this.bindGroups.clear();
      this.bindGroups.set(key, bindGroup);
    }
    return bindGroup;
  }

  /**
   * Records a buffer-to-buffer copy (ordered with the dispatches around it); offsets count from the start of
   * each BufferRef. WebGPU copies between two distinct buffers only: two slices of one buffer go through a
   * pooled buffer.
   */
  copy(src: BufferRef, srcOffset: number, dst: BufferRef, dstOffset: number, bytes: number): void {
    if (bytes > 0 && bufferOf(src) === bufferOf(dst)) {
      const between = this.allocate(bytes);
      this.copy(src, srcOffset, between, 0, bytes);
      this.copy(between, 0, dst, dstOffset, bytes);
      this.release(between);
      return;
    }
    this.recorder?.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
    this.endPass().copyBufferToBuffer(bufferOf(src), offsetOf(src) + srcOffset, bufferOf(dst), offsetOf(dst) + dstOffset, bytes);
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    const kernels = this.batchKernels;
    this.batchKernels = [];
    try {
      if (this.pass) this.pass.end();
      if (this.paramSlotsUsed > 0) {
        // Ordered before this submit on the queue, and after every earlier submit that read the arena.
        this.device.queue.writeBuffer(this.paramArena, 0, this.paramStaging.buffer, 0, this.paramSlotsUsed * PARAM_SLOT_BYTES);
      }
      this.device.queue.submit([this.encoder.finish()]);
    } finally {
      this.settle(this.device.popErrorScope(), () => this.describeBatch(kernels));
    }
    this.encoder = null;
    this.pass = null;
    this.pendingDispatches = 0;
    this.paramSlotsUsed = 0;
    this.counters.submits++;
  }

  /** 'a command batch of 3 dispatches (binary(op_add), unary(op_exp))', for an error the GPU reported for it. */
  private describeBatch(kernels: GPUComputePipeline[]): string {
    const names = [...new Set(kernels.map((k) => this.kernelNames.get(k) ?? k.label))];
    const shown = names.length > 12 ? [...names.slice(0, 12), `and ${names.length - 12} more kernels`] : names;
    const what = kernels.length ? ` (${shown.join(', ')})` : ' (copies only)';
    return `the GPU reported an error in a command batch of ${kernels.length} dispatch${kernels.length === 1 ? '' : 'es'}${what}`;
  }

  /** Reads bytes back to JS: the one place that waits for the GPU. */
  async read(ref: BufferRef, byteOffset: number, byteLength: number): Promise<ArrayBuffer> {
    const [buffer, start] = [bufferOf(ref), offsetOf(ref) + byteOffset];
    this.checkHealthy('read');
    if (this.recorder) {
      this.recorder.reads++;
      throw new Error('read: a captured function cannot read tensors back (data(), item(), ...): return them, and read them after the call');
    }
    const size = Math.ceil(byteLength / 4) * 4;
    // Checks recorded since the last read travel with this one: the flag is copied after the data.
    const withFlag = this.checksPending;
    this.checksPending = false;
    const staging = this.device.createBuffer({ size: Math.max(4, size + (withFlag ? 16 : 0)), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass().copyBufferToBuffer(buffer, start, staging, 0, size);
    if (withFlag) this.endPass().copyBufferToBuffer(this.checkFlag!, 0, staging, size, 16);
    this.flush();
    this.counters.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
    } catch (e) {
      staging.destroy();
      if (withFlag) this.checksPending = true;
      this.checkHealthy('read');
      throw new Error(`read: mapping the result failed: ${(e as Error).message}`);
    }
    const mapped = staging.getMappedRange();
    const bytes = mapped.slice(0, byteLength);
    const flag = withFlag ? new Uint32Array(mapped.slice(size, size + 16)) : null;
    staging.unmap();
    staging.destroy();
    if (this.unsettledScopes.size) await this.settleScopes();
    this.checkHealthy('read');
    if (flag) this.throwFailedCheck(flag);
    return bytes;
  }

  /** Waits until all submitted work has finished (for timing and for tests). */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.settleScopes();
    this.checkHealthy('sync');
  }

  private endPass(): GPUCommandEncoder {
    this.encoder ??= this.beginBatch();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return this.encoder;
  }

  /** Submits pending work, destroys the pooled buffers and the parameter arena, then the device itself. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.retiredAs = 'that was shut down';
    this.flush();
    this.emptyPool();
    this.paramArena.destroy();
    this.checkFlag?.destroy();
    this.device.destroy();
  }
}

/** The WGSL text of a shader with each `{{NAME}}` replaced; a missing or unused value is an error. */
export function fillTemplate(shader: Shader, values: Record<string, string | number>): string {
  const source = shader.wgsl;
  const used = new Set<string>();
  const code = source.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`shader ${shader.name}: no value given for template slot {{${name}}}`);
    used.add(name);
    return String(values[name]);
  });
  for (const name of Object.keys(values)) {
    if (!used.has(name)) throw new Error(`shader ${shader.name}: template value '${name}' matches no {{${name}}} slot`);
  }
  return code;
}

/** The same bytes seen as 4-byte words of each Params element type. */
export interface ParamWords {
  /** The words as u32. */
  u32: Uint32Array;
  /** The words as i32. */
  i32: Int32Array;
  /** The words as f32. */
  f32: Float32Array;
}

/** `bytes` as ParamWords, for packParams. */
export function paramWords(bytes: ArrayBuffer): ParamWords {
  return { u32: new Uint32Array(bytes), i32: new Int32Array(bytes), f32: new Float32Array(bytes) };
}

/**
 * Writes `params` into `words` at `byteOffset` with the shader's uniform layout: what Runtime.dispatch
 * binds at @binding(0). Throws, naming the shader and the field, for a missing or unknown field and for a
 * value its WGSL type cannot hold: u32 and i32 take whole numbers in range, f32 any number (NaN and the
 * infinities are f32 values, and ops such as full() pass them). Vector and array fields take an array of
 * up to their element count; the rest is written as zeros.
 */
export function packParams(shader: Shader, params: object, words: ParamWords, byteOffset: number): void {
  const values = params as Record<string, number | readonly number[] | undefined>;
  const fields = shader.params;
  const base = byteOffset >> 2;
  // Padding between fields is zeroed too: a recording compares the bytes of two calls' parameters.
  words.u32.fill(0, base, base + (shader.paramBytes >> 2));
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const value = values[field.name];
    const target = words[field.element];
    const at = base + (field.offset >> 2);
    if (field.count === 1) {
      if (!fitsElement(field.element, value)) throw paramError(shader, field, value);
      target[at] = value as number;
    } else {
      if (!Array.isArray(value) || value.length > field.count) throw paramError(shader, field, value);
      for (let j = 0; j < field.count; j++) {
        const element = j < value.length ? value[j] : 0;
        if (!fitsElement(field.element, element)) throw paramError(shader, field, value, j);
        target[at + j] = element;
      }
    }
  }
  let count = 0;
  for (const name in values) if (values[name] !== undefined) count++;
  if (count !== fields.length) {
    const unknown = Object.keys(values).filter((name) => !fields.some((f) => f.name === name));
    const list = unknown.map((name) => `'${name}'`).join(', ');
    throw new Error(`${shader.name}: params field${unknown.length === 1 ? '' : 's'} ${list} not in its Params struct (${fields.map((f) => f.name).join(', ')})`);
  }
}

/** Whether `value` is a number the Params element type holds exactly (u32, i32: whole numbers in range). */
function fitsElement(element: ParamField['element'], value: unknown): boolean {
  if (typeof value !== 'number') return false;
  if (element === 'f32') return true;
  if (!Number.isInteger(value)) return false;
  return element === 'u32' ? value >= 0 && value <= 0xffffffff : value >= -0x80000000 && value <= 0x7fffffff;
}

/** The error for a Params value that is missing or that its field's type cannot hold. */
function paramError(shader: Shader, field: ParamField, value: unknown, element?: number): Error {
  const what = value === undefined ? 'is missing' : `cannot be ${describeValue(value)}`;
  const at = element === undefined ? '' : ` (element ${element})`;
  const takes = field.count === 1 ? `a ${field.element}` : `up to ${field.count} ${field.element} values`;
  return new Error(`${shader.name}: params field '${field.name}' (${field.type})${at} ${what}: it takes ${takes}`);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => describeValue(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * The bindings an entry point of filled-in WGSL statically uses: the module-scope variables its body and
 * the functions it calls (transitively) name, less those a function declares locally. A pipeline with
 * `layout: 'auto'` has exactly these in its bind group layout.
 */
function staticBindings(shader: Shader, code: string, entryPoint: string): PipelineBindings {
  const bodies = new Map<string, string>();
  for (const match of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
    const open = code.indexOf('{', match.index);
    let depth = 0;
    let end = open;
    for (; end < code.length; end++) {
      if (code[end] === '{') depth++;
      else if (code[end] === '}' && --depth === 0) break;
    }
    bodies.set(match[1], code.slice(match.index + match[0].length, end));
  }
  const uniformName = /@group\(0\)\s*@binding\(0\)\s*var<uniform>\s*(\w+)/.exec(code)?.[1];
  const used = new Set<string>();
  const seen = new Set([entryPoint]);
  const pending = [entryPoint];
  while (pending.length) {
    const body = bodies.get(pending.pop()!);
    if (body === undefined) continue;
    const locals = new Set<string>();
    for (const [, name] of body.matchAll(/\b(?:let|var|const)\s+(\w+)/g)) locals.add(name);
    for (const [, name] of body.matchAll(/(\w+)\s*:(?!:)/g)) locals.add(name);
    for (const [, name] of body.matchAll(/(?<![.\w])([A-Za-z_]\w*)/g)) {
      if (bodies.has(name)) {
        if (!seen.has(name)) {
          seen.add(name);
          pending.push(name);
        }
      } else if (!locals.has(name)) used.add(name);
    }
  }
  return { params: uniformName !== undefined && used.has(uniformName), storage: shader.bindings.filter((b) => used.has(b.name)) };
}

/** A kernel's short name for errors: 'binary(op_add)', 'optim_adam.adam', 'matmul'. */
function kernelName(shader: string, template: Record<string, string | number> = {}, entryPoint = 'main'): string {
  const op = template.OP;
  return `${shader}${entryPoint === 'main' ? '' : `.${entryPoint}`}${op === undefined ? '' : `(${op})`}`;
}
