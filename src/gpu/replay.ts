// Recording a step's GPU commands and replaying them: what gg.capture (src/capture.ts) stands on.
// While a recording is open, the runtime notes every dispatch (pipeline, storage buffers, the bytes
// of its uniform parameters, workgroups), copy and write it makes, as well as running them. A
// replay plan made from a recording encodes the same commands again with no op code running: its
// own uniform buffer holds every dispatch's parameters, its bind groups are made once, and one
// submit runs the step. Values that change from step to step (an optimizer's step count and
// learning rate, a random generator's draw counter) come from the code that made them: such code
// runs inside Runtime.replayable(fn), and at each replay fn runs again with the runtime patching the
// parameters of the dispatches it makes into the plan's uniform buffer instead of recording them.

import type { BufferRef, ParamWords } from './runtime.js';

/** One dispatch as recorded. */
export interface RecordedDispatch {
  /** What the command is. */
  kind: 'dispatch';
  /** The compiled kernel. */
  pipeline: GPUComputePipeline;
  /** The kernel's name, for messages. */
  kernel: string;
  /** Binding numbers of the storage buffers, in the order of `buffers`. */
  bindings: readonly number[];
  /** The storage buffers (or slices of them), at `bindings`. */
  buffers: readonly BufferRef[];
  /** The uniform parameters' bytes, or null for a kernel that reads none. */
  params: Uint8Array | null;
  /** Workgroups in x, y and z. */
  workgroups: readonly [number, number, number];
  /** The replayable() call that made it, whose function makes its parameters at each replay; -1 for none. */
  perStep: number;
}

/** A buffer-to-buffer copy as recorded. */
export interface RecordedCopy {
  /** What the command is. */
  kind: 'copy';
  /** Copied from. */
  src: BufferRef;
  /** Byte offset in src. */
  srcOffset: number;
  /** Copied to. */
  dst: BufferRef;
  /** Byte offset in dst. */
  dstOffset: number;
  /** Bytes copied. */
  bytes: number;
}

/** Bytes from JS written into a buffer, as recorded (written again, the same bytes, at each replay). */
export interface RecordedWrite {
  /** What the command is. */
  kind: 'write';
  /** Written to. */
  buffer: BufferRef;
  /** Byte offset in buffer. */
  byteOffset: number;
  /** The bytes (a copy). */
  data: Uint8Array<ArrayBuffer>;
}

/** One recorded GPU command. */
export type RecordedCommand = RecordedDispatch | RecordedCopy | RecordedWrite;

/** The commands of one recorded call, and the functions that remake its per-step parameters. */
export class Recording {
  /** The commands in the order they were made. */
  readonly commands: RecordedCommand[] = [];
  /** The functions passed to replayable() while recording, in order. */
  readonly perStep: (() => unknown)[] = [];
  /** Reads of tensors started while recording (each was refused). */
  reads = 0;
  /** Buffers released while recording, reused by the recording's own allocations first (last released first). */
  readonly released: GPUBuffer[] = [];

  /** The buffer of `size` bytes released last while recording and not reused since, if any. */
  reuse(size: number): GPUBuffer | undefined {
    for (let i = this.released.length - 1; i >= 0; i--) {
      if (this.released[i].size === size) return this.released.splice(i, 1)[0];
    }
    return undefined;
  }

  /** Every buffer or slice the commands touch, each once. */
  buffers(): Set<BufferRef> {
    const all = new Set<BufferRef>();
    for (const c of this.commands) {
      if (c.kind === 'dispatch') c.buffers.forEach((b) => all.add(b));
      else if (c.kind === 'copy') all.add(c.src).add(c.dst);
      else all.add(c.buffer);
    }
    return all;
  }

  /**
   * Null when `other`, a recording of a later call of the same function, does the same work: the
   * same commands with the same kernels, workgroups and parameters (those of per-step dispatches
   * aside), on buffers that correspond one to one (the pool may hand out others, consistently).
   * Otherwise what differs, for the message that says why replay is refused.
   */
  difference(other: Recording): string | null {
    if (other.commands.length !== this.commands.length) {
      return `it made ${this.commands.length} GPU commands on one call and ${other.commands.length} on the next`;
    }
    const forward = new Map<BufferRef, BufferRef>();
    const backward = new Map<BufferRef, BufferRef>();
    const corresponds = (a: BufferRef, b: BufferRef) => {
      if ((forward.get(a) ?? b) !== b || (backward.get(b) ?? a) !== a) return false;
      forward.set(a, b);
      backward.set(b, a);
      return true;
    };
    for (let i = 0; i < this.commands.length; i++) {
      const [a, b] = [this.commands[i], other.commands[i]];
      const what = `GPU command ${i + 1} of ${this.commands.length} (${describeCommand(a)})`;
      if (a.kind !== b.kind) return `${what} became ${describeCommand(b)} on the next call`;
      if (a.kind === 'dispatch' && b.kind === 'dispatch') {
        if (a.pipeline !== b.pipeline) return `${what} became ${b.kernel} on the next call`;
        if (a.workgroups.join() !== b.workgroups.join()) return `${what} ran ${a.workgroups.join(' x ')} workgroups, then ${b.workgroups.join(' x ')}`;
        if (!a.buffers.every((buffer, k) => corresponds(buffer, b.buffers[k]))) return `${what} used other buffers on the next call`;
        if ((a.perStep < 0) !== (b.perStep < 0)) return `${what} changed whether its parameters are per-step`;
        if (a.perStep < 0 && !sameBytes(a.params, b.params)) {
          return `${what} had other uniform parameters on the next call: a number computed in JS that changes from step to step (pass it in a tensor instead)`;
        }
      } else if (a.kind === 'copy' && b.kind === 'copy') {
        if (a.bytes !== b.bytes || a.srcOffset !== b.srcOffset || a.dstOffset !== b.dstOffset || !corresponds(a.src, b.src) || !corresponds(a.dst, b.dst)) {
          return `${what} copied other bytes on the next call`;
        }
      } else if (a.kind === 'write' && b.kind === 'write') {
        if (a.byteOffset !== b.byteOffset || !corresponds(a.buffer, b.buffer) || !sameBytes(a.data, b.data)) {
          return `${what} wrote other data from JS on the next call (a tensor made from JS values that change: pass it as an argument instead)`;
        }
      }
    }
    return null;
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 'the dispatch of unary(op_exp)', 'a copy of 512 bytes', 'a write of 16 bytes from JS'. */
function describeCommand(c: RecordedCommand): string {
  if (c.kind === 'dispatch') return `the dispatch of ${c.kernel}`;
  if (c.kind === 'copy') return `a copy of ${c.bytes} bytes`;
  return `a write of ${c.data.length} bytes from JS`;
}

/**
 * A recording made ready to replay (Runtime.planReplay): one uniform slot and one bind group per
 * dispatch, the buffers held for it, and which dispatches each per-step function remakes.
 */
export class ReplayPlan {
  /** The recording it replays. */
  readonly recording: Recording;
  /** Every dispatch's uniform parameters, at 256-byte slots in command order. */
  readonly paramBuffer: GPUBuffer;
  /** What paramBuffer is written from before each replay. */
  readonly staging: Uint8Array;
  /** staging as 4-byte words of each type, as packParams writes them. */
  readonly words: ParamWords;
  /** Buffers still held by tensors when the plan was made, with their allocation count then. */
  readonly external: ReadonlyMap<GPUBuffer, number>;
  /** Buffers that were free when the plan was made, held out of the pool for it. */
  readonly reserved: readonly GPUBuffer[];
  /** For each per-step function of the recording, the indices of the commands it remakes. */
  readonly perStepCommands: number[][];
  /** Dispatches among the commands. */
  readonly dispatchCount: number;
  /** The command encoder the last replay went into (until it is submitted, the uniforms must not change). */
  encodedIn: GPUCommandEncoder | null = null;
  private readonly offsets = new Map<number, number>();
  private readonly bindGroups = new Map<number, GPUBindGroup>();

  constructor(recording: Recording, paramBuffer: GPUBuffer, external: ReadonlyMap<GPUBuffer, number>, reserved: readonly GPUBuffer[]) {
    this.recording = recording;
    this.paramBuffer = paramBuffer;
    this.staging = new Uint8Array(paramBuffer.size);
    this.words = { u32: new Uint32Array(this.staging.buffer), i32: new Int32Array(this.staging.buffer), f32: new Float32Array(this.staging.buffer) };
    this.external = external;
    this.reserved = reserved;
    this.perStepCommands = recording.perStep.map(() => []);
    recording.commands.forEach((c, i) => {
      if (c.kind === 'dispatch' && c.perStep >= 0) this.perStepCommands[c.perStep].push(i);
    });
    this.dispatchCount = recording.commands.filter((c) => c.kind === 'dispatch').length;
  }

  /** Sets command i's uniform slot and bind group. */
  setDispatch(i: number, paramOffset: number, bindGroup: GPUBindGroup): void {
    this.offsets.set(i, paramOffset);
    this.bindGroups.set(i, bindGroup);
  }

  /** Where command i's uniform parameters lie in paramBuffer. */
  paramOffset(i: number): number {
    return this.offsets.get(i)!;
  }

  /** Command i's bind group (its uniform slot in paramBuffer, then its storage buffers). */
  bindGroup(i: number): GPUBindGroup {
    return this.bindGroups.get(i)!;
  }
}
