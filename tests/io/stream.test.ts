// Reading safetensors from a stream (gg.io.openSafetensorsStream): the same tensors as deserialize()
// whatever the stream's piece sizes, each in an aligned array of its own even when the file's data
// starts at an odd byte; tensors passed over unread; the format's errors for a truncated file,
// trailing bytes and a header longer than the file; the stream released on an error. Also
// gg.data.openStream on a local file, a file: URL and a Blob.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

/** The bytes as a stream of pieces of `size` bytes (the last may be shorter); counts cancellations. */
function streamOf(bytes: Uint8Array, size: number): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean } {
  let at = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

/** A file whose data starts at an offset that is 3 modulo 4: its header is hand-padded, as GPT-2's is not. */
function oddlyAlignedFile(): Uint8Array {
  const bytes = gg.io.serializeArrays({
    a: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    b: { dtype: 'I64', shape: [2], data: BigInt64Array.from([7n, -8n]) },
    c: { dtype: 'F16', shape: [3], data: Uint16Array.from([0x3c00, 0x4000, 0xc000]) },
  });
  const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes)).trimEnd();
  const padded = json + ' '.repeat((3 - ((8 + json.length) % 4) + 4) % 4);
  const out = new Uint8Array(8 + padded.length + bytes.length - 8 - headerBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
  out.set(new TextEncoder().encode(padded), 8);
  out.set(bytes.subarray(8 + headerBytes), 8 + padded.length);
  return out;
}

async function collect(reader: gg.io.SafetensorsStream, keep?: (name: string) => boolean): Promise<Record<string, gg.io.HostTensor>> {
  const out: Record<string, gg.io.HostTensor> = {};
  for await (const [name, t] of reader.tensors(keep)) out[name] = t;
  return out;
}

describe('openSafetensorsStream', () => {
  it('gives deserialize()\'s tensors, aligned, for any piece size, from data that starts at an odd byte', async () => {
    const file = oddlyAlignedFile();
    expect((8 + Number(new DataView(file.buffer).getBigUint64(0, true))) % 4).toBe(3);
    const expected = gg.io.deserialize(file);
    for (const size of [1, 3, 7, 64, file.length]) {
      for (const fileBytes of [file.length, null]) {
        const reader = await gg.io.openSafetensorsStream(streamOf(file, size).stream, fileBytes);
        expect(reader.header).toEqual(expected.header);
        const got = await collect(reader);
        expect(Object.keys(got).sort()).toEqual(['a', 'b', 'c']);
        for (const [name, t] of Object.entries(got)) {
          expect(t.data.byteOffset).toBe(0);
          expect(t.data.constructor).toBe(expected.tensors[name].data.constructor);
          expect(Array.from(t.data as ArrayLike<number | bigint>)).toEqual(Array.from(expected.tensors[name].data as ArrayLike<number | bigint>));
          expect(t.shape).toEqual(expected.tensors[name].shape);
        }
      }
    }
  });

  it('passes over the tensors it is told not to keep', async () => {
    const file = oddlyAlignedFile();
    const got = await collect(await gg.io.openSafetensorsStream(streamOf(file, 5).stream), (name) => name !== 'b');
    expect(Object.keys(got).sort()).toEqual(['a', 'c']);
    expect([...(got.c.data as Uint16Array)]).toEqual([0x3c00, 0x4000, 0xc000]);
  });

  it('refuses a truncated file, trailing bytes and a header longer than the file, and cancels the stream', async () => {
    const file = oddlyAlignedFile();
    const truncated = streamOf(file.subarray(0, file.length - 3), 4);
    await expect(collect(await gg.io.openSafetensorsStream(truncated.stream))).rejects.toThrow(/truncated.*MetadataIncompleteBuffer/);
    expect(truncated.cancelled()).toBe(false); // it had ended already: nothing to cancel

    const trailing = new Uint8Array(file.length + 5);
    trailing.set(file);
    await expect(collect(await gg.io.openSafetensorsStream(streamOf(trailing, 6).stream))).rejects.toThrow(/5 bytes trail the last tensor/);
    await expect(gg.io.openSafetensorsStream(streamOf(trailing, 6).stream, trailing.length)).rejects.toThrow(/5 bytes trail/);

    const cut = streamOf(file.subarray(0, 20), 4);
    await expect(gg.io.openSafetensorsStream(cut.stream)).rejects.toThrow(/InvalidHeaderLength/);
    await expect(gg.io.openSafetensorsStream(streamOf(file.subarray(0, 5), 4).stream)).rejects.toThrow(/HeaderTooSmall/);

    const stopped = streamOf(file, 2);
    const reader = await gg.io.openSafetensorsStream(stopped.stream);
    for await (const [name] of reader.tensors()) {
      expect(name).toBe('b'); // the first in file order (I64 first, as the reference writer orders by dtype)
      break;
    }
    expect(stopped.cancelled()).toBe(true);
  });
});

describe('openStream', () => {
  it('streams a local file (by path and by file: URL) and a Blob, with their sizes', async () => {
    const path = new URL('../fixtures/mha.json', import.meta.url);
    const expected = readFileSync(path);
    const read = async (source: gg.data.FileSource) => {
      const { stream, size } = await gg.data.openStream(source, 'test');
      const text = await new Response(stream).arrayBuffer();
      return { bytes: new Uint8Array(text), size };
    };
    for (const source of [path.pathname, path, path.href, new Blob([expected])]) {
      const { bytes, size } = await read(source);
      expect(size).toBe(expected.length);
      expect(Buffer.from(bytes).equals(expected)).toBe(true);
    }
    await expect(read('/nonexistent/model.safetensors')).rejects.toThrow(/test: cannot read \/nonexistent\/model.safetensors/);
  });
});
