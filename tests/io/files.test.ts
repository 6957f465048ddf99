// Moving checkpoint bytes: files in Node (through a temporary directory, written atomically) and the
// browser helpers, a Blob download through a stand-in document and reading a File/Blob back.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { resolveObjectURL } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { saveFile, readFile, downloadBlob, readBrowserFile, serialize, loadTensors } = gg.io;

describe('files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gengpu-io-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and reads a safetensors file in Node, replacing an older one whole', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const w = gg.tensor([[1, -2], [3.5, 0]]);
    const path = join(dir, 'weights.safetensors');
    await saveFile(path, new Uint8Array([1, 2, 3])); // an older, different file at the same path
    const bytes = await serialize({ w });
    await saveFile(path, bytes);
    expect(await readdir(dir)).toEqual(['weights.safetensors']); // no temporary file left behind
    const read = await readFile(path);
    expect(read).toEqual(bytes);
    const { w: loaded } = loadTensors(read);
    expect(await loaded.toArray()).toEqual([[1, -2], [3.5, 0]]);
    loaded.dispose();
    w.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('names the path when the file system refuses', async () => {
    await expect(readFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/readFile: reading .*missing\.safetensors failed: ENOENT/);
    await expect(saveFile(join(dir, 'no', 'such', 'dir.safetensors'), new Uint8Array(1))).rejects.toThrow(/saveFile: writing 1 bytes to .*dir\.safetensors failed/);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('offers a download through a Blob link, and reads a File or Blob back', async () => {
    const bytes = new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const clicked: { href: string; download: string; attached: boolean }[] = [];
    const blobs: Blob[] = [];
    const link = {
      href: '',
      download: '',
      style: { display: '' },
      click() {
        clicked.push({ href: this.href, download: this.download, attached: attached.has(this) });
        blobs.push(resolveObjectURL(this.href) as Blob);
      },
      remove() {
        attached.delete(this);
      },
    };
    const attached = new Set<object>();
    const fakeDocument = { createElement: () => link, body: { appendChild: (node: object) => attached.add(node) } };
    Object.assign(globalThis, { document: fakeDocument });
    try {
      downloadBlob(bytes, 'model.safetensors');
    } finally {
      delete (globalThis as { document?: unknown }).document;
    }
    expect(clicked).toEqual([{ href: expect.stringMatching(/^blob:/), download: 'model.safetensors', attached: true }]);
    expect(attached.size).toBe(0);
    expect(link.style.display).toBe('none');
    expect(await readBrowserFile(blobs[0])).toEqual(bytes);
    expect(gg.io.deserialize(await readBrowserFile(new Blob([bytes]))).tensors).toEqual({});
  });

  it('says where to turn when there is no document', () => {
    expect(() => downloadBlob(new Uint8Array(1), 'x')).toThrow(/downloadBlob: needs a browser page .* in Node use saveFile/);
  });
});
