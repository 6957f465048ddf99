// Reading a safetensors file as it arrives (a download, a File, a local file in pieces), for models
// too large to hold twice: the header first, then one tensor at a time in file order, each copied out
// of the stream's pieces into an array of its own. That array starts at offset 0 of its own buffer, so
// its typed view is aligned whatever the file's alignment: GPT-2's own file, written before the format
// padded its header, starts its data at an odd byte. Peak host memory is the largest tensor, not the file.

import { MAX_HEADER_BYTES, SafetensorsError, checkDataEnd, hostArrayTypes, readHeader, type HostTensor, type SafetensorsHeader, type TensorInfo } from './format.js';

/** Reads exact byte counts out of a stream whose pieces have any sizes. */
class ByteReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private piece: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** Bytes taken out so far (the position in the file). */
  position = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }

  /** Fills `target` from the stream; returns how many bytes it got (fewer only at the stream's end). */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      if (this.at === this.piece.length && !(await this.nextPiece())) break;
      const n = Math.min(target.length - filled, this.piece.length - this.at);
      target.set(this.piece.subarray(this.at, this.at + n), filled);
      this.at += n;
      filled += n;
    }
    this.position += filled;
    return filled;
  }

  /** Passes over `bytes` bytes without keeping them; returns how many there were. */
  async skip(bytes: number): Promise<number> {
    let skipped = 0;
    while (skipped < bytes) {
      if (this.at === this.piece.length && !(await this.nextPiece())) break;
      const n = Math.min(bytes - skipped, this.piece.length - this.at);
      this.at += n;
      skipped += n;
    }
    this.position += skipped;
    return skipped;
  }

  /** True when the stream has no bytes left. */
  async atEnd(): Promise<boolean> {
    return this.at === this.piece.length && !(await this.nextPiece());
  }

  private async nextPiece(): Promise<boolean> {
    for (;;) {
      const { done, value } = await this.reader.read();
      if (done) return false;
      if (value.length > 0) {
        this.piece = value;
        this.at = 0;
        return true;
      }
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/** A safetensors file being read from a stream: its header, then its tensors in file order. */
export interface SafetensorsStream {
  /** The parsed and validated header. */
  readonly header: SafetensorsHeader;
  /**
   * The tensors in the order of their data in the file, each in an array of its own (only one at a time
   * is held here). Tensors for which `keep(name, info)` returns false are passed over without being
   * copied. After the last tensor the stream must end: a truncated file or trailing bytes throw a
   * SafetensorsError. Call once.
   */
  tensors(keep?: (name: string, info: TensorInfo) => boolean): AsyncGenerator<[string, HostTensor]>;
  /** Stops reading and releases the stream (after an error of the caller's, or to read no further). */
  cancel(): Promise<void>;
}

function truncated(where: string, position: number): SafetensorsError {
  return new SafetensorsError('MetadataIncompleteBuffer', `the file ends at byte ${position}, inside ${where}: it is truncated`);
}

/**
 * Opens a safetensors file from a stream of its bytes: reads and validates the header (with the
 * file's size when known, `fileBytes`, the data section's size is checked at once, as readHeader
 * does; otherwise at the end of the stream) and returns a reader of its tensors. A file that is not
 * valid safetensors throws a SafetensorsError naming the rule it breaks, and the stream is cancelled.
 */
export async function openSafetensorsStream(stream: ReadableStream<Uint8Array>, fileBytes: number | null = null): Promise<SafetensorsStream> {
  const bytes = new ByteReader(stream);
  let header: SafetensorsHeader;
  try {
    const length = new Uint8Array(8);
    const got = await bytes.readInto(length);
    if (got < 8) throw new SafetensorsError('HeaderTooSmall', `the file has ${got} bytes; it must start with an 8-byte header length`);
    const view = new DataView(length.buffer);
    const headerBytes = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
    if (headerBytes > MAX_HEADER_BYTES) {
      throw new SafetensorsError('HeaderTooLarge', `the header length is ${headerBytes} bytes, above the limit of ${MAX_HEADER_BYTES}`);
    }
    if (fileBytes !== null && 8 + headerBytes > fileBytes) {
      throw new SafetensorsError('InvalidHeaderLength', `the header length is ${headerBytes} bytes but only ${fileBytes - 8} follow it`);
    }
    const start = new Uint8Array(8 + headerBytes);
    start.set(length);
    if ((await bytes.readInto(start.subarray(8))) < headerBytes) {
      throw new SafetensorsError('InvalidHeaderLength', `the header length is ${headerBytes} bytes but only ${bytes.position - 8} follow it`);
    }
    header = readHeader(start, fileBytes);
  } catch (error) {
    await bytes.cancel();
    throw error;
  }
  const dataStart = 8 + header.headerBytes;
  let started = false;
  async function* tensors(keep: (name: string, info: TensorInfo) => boolean = () => true): AsyncGenerator<[string, HostTensor]> {
    if (started) throw new Error('openSafetensorsStream: tensors() reads the stream once and was already called');
    started = true;
    const inOrder = Object.entries(header.tensors).sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
    let finished = false;
    try {
      for (const [name, info] of inOrder) {
        const [begin, end] = info.dataOffsets;
        const where = `tensor ${JSON.stringify(name)} (bytes ${dataStart + begin} to ${dataStart + end})`;
        if (!keep(name, info)) {
          if ((await bytes.skip(end - begin)) < end - begin) throw truncated(where, bytes.position);
          continue;
        }
        const data = new Uint8Array(end - begin);
        if ((await bytes.readInto(data)) < data.length) throw truncated(where, bytes.position);
        const type = hostArrayTypes[info.dtype];
        yield [name, { dtype: info.dtype, shape: info.shape, data: new type(data.buffer, 0, data.length / type.BYTES_PER_ELEMENT) }];
      }
      const covered = bytes.position - dataStart;
      let trailing = 0;
      while (!(await bytes.atEnd())) trailing += await bytes.skip(1 << 20);
      checkDataEnd(covered, covered + trailing);
      finished = true;
    } finally {
      // An error, or a caller that stopped early (its `return` runs this), leaves the rest unread.
      if (!finished) await bytes.cancel();
    }
  }
  return { header, tensors, cancel: () => bytes.cancel() };
}
