// gzip input is inflated with a bound: a small file that expands far past what its format declares is
// refused before it is all in memory, and corrupt or truncated data is named as such.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { gunzip } from '../../src/data/source.js';

const { loadMnist, MNIST_FILES } = gg.data;

/** An IDX header: u8 data of the given shape. */
function idxHeader(shape: number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x0800 + shape.length);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return header;
}

const gzip = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));

describe('gunzip', () => {
  it('inflates within the limit, and refuses to go past it', async () => {
    const data = new Uint8Array(5000).map((_, i) => i % 251);
    expect(await gunzip(gzip(data), 'test', 'data.gz', 5000)).toEqual(data);
    await expect(gunzip(gzip(data), 'test', 'data.gz', 4999)).rejects.toThrow(/test: the gzip data of data.gz expands past 4999 bytes/);
  });

  it('takes the limit from the header the data declares', async () => {
    const bomb = new Uint8Array(16 + (64 << 20)); // 10 labels declared, 64 MiB of zeros behind them
    bomb.set(idxHeader([10]));
    const compressed = gzip(bomb);
    expect(compressed.length).toBeLessThan(128 << 10);
    const limit = { headBytes: 16, maxBytes: () => 18 };
    await expect(gunzip(compressed, 'test', 'bomb.gz', limit)).rejects.toThrow(/expands past 18 bytes/);
  });

  it('names corrupt and truncated data', async () => {
    const compressed = gzip(new Uint8Array(100_000).map((_, i) => (i * 7919) % 256));
    await expect(gunzip(compressed.slice(0, compressed.length / 2), 'test', 'half.gz', Infinity)).rejects.toThrow(/test: the gzip data of half.gz \(\d+ bytes\) is corrupt or truncated after \d+ bytes of output/);
    const garbled = compressed.slice();
    garbled.fill(0xff, 20, 60);
    await expect(gunzip(garbled, 'test', 'garbled.gz', Infinity)).rejects.toThrow(/is corrupt or truncated/);
  });
});

describe('loadMnist with gzip files', () => {
  it('refuses a labels file that inflates past the size its IDX header declares', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'gengpu-gzip-bomb-'));
    try {
      const images = new Uint8Array(16 + 2 * 784);
      images.set(idxHeader([2, 28, 28]));
      const labels = new Uint8Array(8 + (64 << 20));
      labels.set(idxHeader([2]));
      writeFileSync(join(directory, MNIST_FILES.test.images), gzip(images));
      writeFileSync(join(directory, MNIST_FILES.test.labels), gzip(labels));
      await expect(loadMnist({ split: 'test', source: directory })).rejects.toThrow(/loadMnist: the gzip data of .*t10k-labels.* expands past 10 bytes/);
    } finally {
      rmSync(directory, { recursive: true });
    }
  });
});
