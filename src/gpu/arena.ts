// Arenas: many tensors side by side in one pooled buffer, each in a slice of its own that starts at a
// 256-byte boundary (the storage binding alignment every device accepts). An optimizer keeps its
// parameters, their gradients and each state (Adam's moments, ...) in arenas of one layout, so that
// one dispatch over a range of slices updates, clips or watches every tensor in it: on a GPU a
// dispatch costs tens of microseconds whatever its size, and a step of a model with 100 parameters
// would otherwise spend 300 on them. The bytes between slices are zero and stay zero: the kernels
// that run over a range see zero gradients and zero states there, which leave zeros.

import { BufferSlice, type BufferRef, type Runtime } from './runtime.js';

/** Slices start at multiples of this many bytes (WebGPU's largest minStorageBufferOffsetAlignment). */
const SLICE_ALIGNMENT = 256;

/** A run of runsOf: what one dispatch covers. */
export interface Run<T> {
  /** The arena's range over the run's members, or the one tensor's own buffer. */
  buffer: BufferRef;
  /** Elements the buffer holds (gaps between members included). */
  n: number;
  /** The tensors, in order. */
  tensors: T[];
  /** The arena and the members first..last the run spans; arena null for a tensor outside an arena. */
  arena: Arena | null;
  first: number;
  last: number;
}

/**
 * `tensors` (in order) cut into runs that one dispatch can cover: neighbouring members of one arena, each
 * in its own slice. A run's buffer is the arena's range over them (gaps included, zeros there), or a
 * tensor's own buffer for one outside an arena.
 */
export function runsOf<T extends { arena: Arena | null; buffer: BufferRef; size: number }>(tensors: readonly T[]): Run<T>[] {
  const runs: Run<T>[] = [];
  for (const t of tensors) {
    const arena = t.arena;
    const member = arena ? arena.memberOf(t.buffer) : -1;
    const open = runs[runs.length - 1];
    if (arena && member >= 0 && open && open.arena === arena && member === open.last + 1) {
      open.tensors.push(t);
      open.last = member;
    } else {
      runs.push({ buffer: t.buffer, n: t.size, tensors: [t], arena: member >= 0 ? arena : null, first: member, last: member });
    }
  }
  return runs.map((run) => {
    if (!run.arena) return run;
    const range = run.arena.range(run.first, run.last);
    return { ...run, buffer: range, n: range.size / 4 };
  });
}

/**
 * `byteSizes` cut, in order, into groups whose arenas take at most `limit` bytes each (a device's largest
 * storage buffer); a member larger than `limit` on its own is a group of its own.
 */
export function arenaGroups(byteSizes: readonly number[], limit: number): number[][] {
  const groups: number[][] = [];
  let used = Infinity;
  byteSizes.forEach((bytes, i) => {
    const size = Math.ceil(Math.max(16, Math.ceil(bytes / 16) * 16) / SLICE_ALIGNMENT) * SLICE_ALIGNMENT;
    if (used + size > limit) {
      groups.push([]);
      used = 0;
    }
    groups[groups.length - 1].push(i);
    used += size;
  });
  return groups;
}

/** Where each of `byteSizes` goes in an arena, and the arena's size. */
function layout(byteSizes: readonly number[]): { offsets: number[]; sizes: number[]; total: number } {
  const offsets: number[] = [];
  const sizes: number[] = [];
  let next = 0;
  for (const bytes of byteSizes) {
    offsets.push(next);
    // Multiples of 16 bytes: vec4 kernels read a tensor's last vec4 whole.
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    sizes.push(size);
    next += Math.ceil(size / SLICE_ALIGNMENT) * SLICE_ALIGNMENT;
  }
  return { offsets, sizes, total: Math.max(next, 16) };
}

/**
 * One pooled buffer holding member tensors in slices (see the file comment), zero-filled when made.
 * Reference-counted: the maker holds one reference and each tensor in a slice another; the buffer
 * returns to the pool with the last release.
 */
export class Arena {
  /** The buffer the slices lie in. */
  readonly buffer: GPUBuffer;
  /** Member i's slice. */
  readonly slices: readonly BufferSlice[];
  /** Member i's size in bytes as given (its slice may be longer). */
  readonly memberBytes: readonly number[];
  private readonly runtime: Runtime;
  private readonly ranges = new Map<number, BufferSlice>();
  /** Each slice's member index (runsOf asks for every gradient at every clipping). */
  private readonly members: Map<BufferSlice, number>;
  private refs = 1;

  /** An arena for members of `memberBytes` bytes each, in that order. */
  constructor(runtime: Runtime, memberBytes: readonly number[]) {
    const { offsets, sizes, total } = layout(memberBytes);
    this.runtime = runtime;
    this.memberBytes = [...memberBytes];
    this.buffer = runtime.allocate(total);
    runtime.clear(this.buffer);
    this.slices = offsets.map((offset, i) => new BufferSlice(this.buffer, offset, sizes[i]));
    this.members = new Map(this.slices.map((slice, i) => [slice, i]));
  }

  /** An arena with the same members' sizes and places as this one (for another state of the same tensors). */
  twin(): Arena {
    return new Arena(this.runtime, this.memberBytes);
  }

  /**
   * The slice from member `first`'s start to member `last`'s end, gaps included: what a dispatch over
   * members first..last binds. The same object each time, so bind groups and replays see one buffer.
   */
  range(first: number, last: number): BufferSlice {
    const key = first * this.slices.length + last;
    let range = this.ranges.get(key);
    if (!range) {
      const [start, end] = [this.slices[first], this.slices[last]];
      this.ranges.set(key, (range = new BufferSlice(this.buffer, start.offset, end.offset + end.size - start.offset)));
    }
    return range;
  }

  /** The member whose slice holds byte `byteOffset` of range(first, ...), or -1 for a gap. */
  memberAt(first: number, byteOffset: number): number {
    const at = this.slices[first].offset + byteOffset;
    for (let i = first; i < this.slices.length; i++) {
      const slice = this.slices[i];
      if (at < slice.offset) return -1;
      if (at < slice.offset + this.memberBytes[i]) return i;
    }
    return -1;
  }

  /** The member whose slice `ref` is, or -1. */
  memberOf(ref: BufferRef): number {
    return ref instanceof BufferSlice ? (this.members.get(ref) ?? -1) : -1;
  }

  /** Takes one more reference (a tensor made in a slice). */
  retain(): this {
    this.refs++;
    return this;
  }

  /** Drops one reference; the last returns the buffer to the pool. */
  release(): void {
    if (--this.refs === 0) this.runtime.release(this.buffer);
  }
}
