// The PNG encoder (decoded back with node:zlib, checksums against their published check values,
// stored blocks byte for byte), image grids from arrays and tensors, PNG files, and canvas drawing
// through a stand-in context.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  adler32,
  crc32,
  drawImageOnCanvas,
  encodePng,
  imageGrid,
  tensorGrid,
  writePng,
  zlibCompressionStream,
  zlibStored,
  type RasterImage,
} from '../../src/metrics/index.js';

const ascii = (text: string) => new TextEncoder().encode(text);

/** Parses a PNG (8-bit, filter 0 rows, as encodePng writes them), checking every chunk's CRC. */
function decodePng(bytes: Uint8Array): RasterImage & { chunks: string[] } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: string[] = [];
  let header: DataView | null = null;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length), `CRC of ${type}`).toBe(crc32(bytes.subarray(at + 4, at + 8 + length)));
    chunks.push(type);
    if (type === 'IHDR') header = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  const width = header!.getUint32(0);
  const height = header!.getUint32(4);
  expect(header!.getUint8(8)).toBe(8);
  const channels = ({ 0: 1, 2: 3, 6: 4 } as const)[header!.getUint8(9) as 0 | 2 | 6];
  const rows = inflateSync(Buffer.concat(idat));
  const rowBytes = width * channels;
  expect(rows.length).toBe(height * (rowBytes + 1));
  const pixels = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    expect(rows[y * (rowBytes + 1)], 'filter byte').toBe(0);
    pixels.set(rows.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1)), y * rowBytes);
  }
  return { width, height, channels, pixels, chunks };
}

function randomImage(width: number, height: number, channels: 1 | 3 | 4, seed: number): RasterImage {
  const pixels = new Uint8Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < pixels.length; i++) pixels[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width, height, channels, pixels };
}

describe('PNG encoder', () => {
  it('computes CRC-32 and Adler-32 as published', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(ascii('IEND'))).toBe(0xae426082);
    expect(adler32(ascii('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(adler32Slow(new Uint8Array(100_000).fill(255)));
  });

  it("compresses through the browser's CompressionStream into a stream node:zlib inflates", async () => {
    const data = randomImage(300, 20, 1, 4).pixels.map((v) => v & 0xf0);
    const stream = await zlibCompressionStream(data);
    expect(stream[0]).toBe(0x78); // a zlib header, as PNG needs
    expect(stream.length).toBeLessThan(data.length);
    expect(new Uint8Array(inflateSync(stream))).toEqual(data);
  });

  it('writes stored zlib blocks byte for byte, and node:zlib inflates them', () => {
    expect([...zlibStored(new Uint8Array([0, 0]))]).toEqual([0x78, 0x01, 0x01, 0x02, 0x00, 0xfd, 0xff, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
    expect([...zlibStored(new Uint8Array(0))]).toEqual([0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01]);
    const big = randomImage(70_000, 1, 1, 9).pixels; // two blocks: 65535 + 4465 bytes
    const stream = zlibStored(big);
    expect(stream.length).toBe(2 + 2 * 5 + big.length + 4);
    expect(new Uint8Array(inflateSync(stream))).toEqual(big);
  });

  it('encodes grey, RGB and RGBA images that decode back to the same pixels, deflated or stored', async () => {
    for (const [channels, compression] of [[1, 'deflate'], [3, 'deflate'], [4, 'store'], [1, 'store']] as const) {
      const image = randomImage(13, 7, channels, channels);
      const decoded = decodePng(await encodePng(image, { compression }));
      expect(decoded.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect([decoded.width, decoded.height, decoded.channels]).toEqual([13, 7, channels]);
      expect(decoded.pixels).toEqual(image.pixels);
    }
    const flat = { width: 300, height: 300, channels: 1 as const, pixels: new Uint8Array(90_000).fill(128) };
    expect((await encodePng(flat)).length).toBeLessThan(1000); // deflate compresses a flat image
  });

  it('rejects malformed images', async () => {
    await expect(encodePng({ width: 2, height: 2, channels: 1, pixels: new Uint8Array(3) })).rejects.toThrow(
      'encodePng: expected a Uint8Array of 2 x 2 x 1 = 4 bytes, got 3 values',
    );
    await expect(encodePng({ width: 0, height: 2, channels: 1, pixels: new Uint8Array(0) })).rejects.toThrow('width and height must be integers');
    await expect(encodePng({ width: 1, height: 1, channels: 2 as 1, pixels: new Uint8Array(2) })).rejects.toThrow('channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got 2');
  });
});

function adler32Slow(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const v of bytes) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('image grids', () => {
  it('tiles images with padding, clamping values into bytes', () => {
    // Three 2 x 2 images, two per row, padding 1, black background.
    const values = [0, 1, 0.5, 2, /**/ 0.2, 0.2, 0.2, 0.2, /**/ -1, NaN, 1, 1];
    const grid = imageGrid(values, 3, { columns: 2, padding: 1, background: 0 });
    expect([grid.width, grid.height, grid.channels]).toEqual([7, 7, 1]);
    // prettier-ignore
    expect([...grid.pixels]).toEqual([
      0, 0, 0, 0, 0, 0, 0,
      0, 0, 255, 0, 51, 51, 0,
      0, 128, 255, 0, 51, 51, 0,
      0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0,
      0, 255, 255, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(() => imageGrid(new Float32Array(10), 3)).toThrow('imageGrid: 10 values cannot be split into 3 images of equal size');
    expect(() => imageGrid(new Float32Array(12), 2)).toThrow('imageGrid: 6 pixels per image is not a square; pass imageSize [height, width]');
    expect(imageGrid(new Float32Array(12), 2, { imageSize: [2, 3] }).width).toBe(2 * 3 + 3 * 2);
  });

  it('builds a grid from a tensor and writes it as a PNG file', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const images = gg.scope(() => gg.linspace(0, 1, 4 * 9).reshape([4, 1, 3, 3]));
    const grid = await tensorGrid(images);
    expect([grid.width, grid.height]).toEqual([2 * 5 + 2, 2 * 5 + 2]);
    expect(grid.pixels[2 * grid.width + 2]).toBe(0); // the first pixel of the first image
    expect(grid.pixels[(2 + 5 + 2) * grid.width + 2 + 5 + 2]).toBe(255); // the last pixel of the last image
    const dir = await mkdtemp(join(tmpdir(), 'gengpu-png-'));
    try {
      await writePng(join(dir, 'grid.png'), grid);
      const decoded = decodePng(new Uint8Array(await readFile(join(dir, 'grid.png'))));
      expect(decoded.pixels).toEqual(grid.pixels);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const colour = gg.zeros([2, 3, 4, 4]);
    await expect(tensorGrid(colour)).rejects.toThrow('tensorGrid: expected f32 images [N, pixels] or [N, 1, H, W] with N >= 1, got [2, 3, 4, 4] f32');
    colour.dispose();
    images.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('draws onto a canvas context, magnified by whole pixels', () => {
    const calls: [number, number][] = [];
    let drawn: { width: number; height: number; data: Uint8ClampedArray } | null = null;
    const context = {
      createImageData: (width: number, height: number) => ({ width, height, data: new Uint8ClampedArray(width * height * 4) }) as ImageData,
      putImageData: (data: ImageData, dx: number, dy: number) => {
        drawn = data;
        calls.push([dx, dy]);
      },
    };
    drawImageOnCanvas(context, { width: 2, height: 1, channels: 1, pixels: new Uint8Array([10, 200]) }, { x: 3, y: 4, scale: 2 });
    expect(calls).toEqual([[3, 4]]);
    expect([drawn!.width, drawn!.height]).toEqual([4, 2]);
    const row = [10, 10, 10, 255, 10, 10, 10, 255, 200, 200, 200, 255, 200, 200, 200, 255];
    expect([...drawn!.data]).toEqual([...row, ...row]);
    drawImageOnCanvas(context, { width: 1, height: 1, channels: 3, pixels: new Uint8Array([1, 2, 3]) });
    expect([...drawn!.data]).toEqual([1, 2, 3, 255]);
    expect(() => drawImageOnCanvas(context, { width: 1, height: 1, channels: 1, pixels: new Uint8Array(1) }, { scale: 1.5 })).toThrow(
      'drawImageOnCanvas: scale must be a positive integer, got 1.5',
    );
  });
});
