// The SR image pipeline's plumbing: PNG decoding in Node (our encoder's files round trip, and fast-png's
// encoder makes the formats ours does not write: 16-bit, palette, grey with alpha, packed bits,
// interlaced), files by path, planes, tensors and 8-bit rounding, modcrop, and random training patches.
import { encode } from 'fast-png';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { crc32, encodePng, type RasterImage } from '../../src/metrics/index.js';
import {
  cropToMultiple,
  decodeImage,
  imageToPlanes,
  imageToTensor,
  loadImage,
  planesToImage,
  planesToTensor,
  randomPatches,
  roundToUint8,
  tensorToImage,
  tensorToPlanes,
  type Plane,
} from '../../src/models/sr/index.js';

function randomImage(width: number, height: number, channels: 1 | 3 | 4, seed: number): RasterImage {
  const random = new gg.data.SeededRandom(seed);
  return { width, height, channels, pixels: Uint8Array.from({ length: width * height * channels }, () => random.int(256)) };
}

/** `png` with a chunk inserted after IHDR (which is 8 + 25 bytes in). */
function withChunk(png: Uint8Array, type: string, data: number[]): Uint8Array {
  const body = Uint8Array.from([...type].map((c) => c.charCodeAt(0)).concat(data));
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(body, 4);
  view.setUint32(8 + data.length, crc32(body));
  return Uint8Array.from([...png.subarray(0, 33), ...chunk, ...png.subarray(33)]);
}

describe('decodeImage (Node: fast-png)', () => {
  it("round-trips our encoder's grey, RGB and RGBA files, compressed and stored", async () => {
    for (const channels of [1, 3, 4] as const) {
      for (const compression of ['deflate', 'store'] as const) {
        const image = randomImage(7, 5, channels, channels);
        expect(await decodeImage(await encodePng(image, { compression })), `${channels} channels, ${compression}`).toEqual(image);
      }
    }
  });

  it('brings 16-bit, palette, grey-alpha, packed-bit, interlaced and colour-key files to 8 bits', async () => {
    const [width, height] = [5, 3];
    const n = width * height;
    const rgb = randomImage(width, height, 3, 9);

    // 16-bit RGB, interlaced: v / 257 rounds back to the byte whatever the low byte holds.
    const wide = Uint16Array.from(rgb.pixels, (v, i) => Math.min(65535, Math.max(0, v * 257 + ((i * 37) % 129) - 64)));
    const decoded16 = await decodeImage(encode({ width, height, channels: 3, depth: 16, data: wide }, { interlace: 'Adam7' }));
    expect(decoded16).toEqual(rgb);

    // Palette, without and with transparency.
    const palette = [[255, 0, 0], [0, 128, 255], [10, 20, 30]];
    const indices = Uint8Array.from({ length: n }, (_, i) => i % 3);
    const paletted = await decodeImage(encode({ width, height, channels: 1, depth: 8, data: indices, palette }));
    expect(paletted.channels).toBe(3);
    expect([...paletted.pixels]).toEqual([...indices].flatMap((i) => palette[i]));
    // fast-png's encoder writes tRNS for the translucent entries only, so those come first, as tRNS needs.
    const translucent = [[0, 128, 255, 0], [10, 20, 30, 128], [255, 0, 0, 255]];
    const withAlpha = await decodeImage(encode({ width, height, channels: 1, depth: 8, data: indices, palette: translucent }));
    expect(withAlpha.channels).toBe(4);
    expect([...withAlpha.pixels]).toEqual([...indices].flatMap((i) => translucent[i]));

    // Grey with alpha becomes RGBA.
    const greyAlpha = Uint8Array.from({ length: 2 * n }, (_, i) => (i * 41) % 256);
    const ga = await decodeImage(encode({ width, height, channels: 2, depth: 8, data: greyAlpha }));
    expect(ga.channels).toBe(4);
    expect([...ga.pixels]).toEqual(Array.from({ length: n }, (_, p) => [greyAlpha[2 * p], greyAlpha[2 * p], greyAlpha[2 * p], greyAlpha[2 * p + 1]]).flat());

    // 1-bit and 4-bit grey, rows packed from the most significant bit: levels scale to the full byte.
    const bits = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0];
    const packed1 = Uint8Array.from({ length: height }, (_, y) => bits.slice(y * width, (y + 1) * width).reduce((byte, bit, x) => byte | (bit << (7 - x)), 0));
    expect([...(await decodeImage(encode({ width, height, channels: 1, depth: 1, data: packed1 }))).pixels]).toEqual(bits.map((b) => b * 255));
    const nibbles = Array.from({ length: n }, (_, i) => i % 16);
    const packed4 = Uint8Array.from({ length: 3 * height }, (_, k) => {
      const [y, pair] = [Math.floor(k / 3), k % 3];
      const at = (x: number) => (x < width ? nibbles[y * width + x] : 0);
      return (at(2 * pair) << 4) | at(2 * pair + 1);
    });
    const grey4 = await decodeImage(encode({ width, height, channels: 1, depth: 4, data: packed4 }));
    expect(grey4.channels).toBe(1);
    expect([...grey4.pixels]).toEqual(nibbles.map((v) => v * 17));

    // A grey colour key (tRNS) adds alpha: 0 where the pixel is the key.
    const grey = randomImage(width, height, 1, 4);
    const keyed = await decodeImage(withChunk(await encodePng(grey), 'tRNS', [0, grey.pixels[0]]));
    expect(keyed.channels).toBe(4);
    expect([...keyed.pixels]).toEqual([...grey.pixels].flatMap((v) => [v, v, v, v === grey.pixels[0] ? 0 : 255]));
  });

  it('names what is wrong with bytes it cannot decode', async () => {
    await expect(decodeImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0]))).rejects.toThrow(/decodeImage: in Node only PNG files are decoded.*starting ff d8 ff e0/);
    const png = await encodePng(randomImage(3, 3, 3, 1));
    png[40] ^= 0xff; // inside IDAT: the CRC no longer matches
    await expect(decodeImage(png)).rejects.toThrow(/decodeImage: the PNG decoder \(fast-png\) rejected these/);
  });

  it('loads an image file by path', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'gengpu-sr-'));
    try {
      const image = randomImage(6, 4, 3, 2);
      const path = join(directory, 'image.png');
      await writeFile(path, await encodePng(image));
      expect(await loadImage(path)).toEqual(image);
      await writeFile(join(directory, 'bad.png'), 'not a png');
      await expect(loadImage(join(directory, 'bad.png'))).rejects.toThrow(/loadImage: .*bad\.png: decodeImage: in Node only PNG/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('planes, tensors and crops', () => {
  it('splits images into planes at pixel scale and back, dropping alpha', () => {
    const rgba = randomImage(4, 3, 4, 5);
    const planes = imageToPlanes(rgba);
    expect(planes.length).toBe(3);
    expect(planes[2].data[5]).toBe(rgba.pixels[5 * 4 + 2]);
    const rgb = planesToImage(planes);
    expect(rgb.channels).toBe(3);
    expect([...rgb.pixels]).toEqual([...rgba.pixels].filter((_, i) => i % 4 !== 3));
    expect(imageToPlanes(randomImage(2, 2, 1, 1)).length).toBe(1);
  });

  it("rounds to 8 bits as MATLAB's uint8: half away from zero, saturated, NaN refused", () => {
    const plane: Plane = { width: 7, height: 1, data: Float64Array.from([-3, -0.5, 0.49, 0.5, 2.5, 254.5, 300]) };
    expect([...roundToUint8(plane).data]).toEqual([0, 0, 0, 1, 3, 255, 255]);
    expect(() => planesToImage([{ width: 1, height: 1, data: Float64Array.from([NaN]) }])).toThrow(/planesToImage: a value is NaN/);
  });

  it('moves images to tensors [1, C, H, W] in [0, 1] and back', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const image = randomImage(5, 3, 3, 8);
    const t = imageToTensor(image);
    expect(t.shape).toEqual([1, 3, 3, 5]);
    const values = await t.data();
    expect(values[1 * 15 + 2 * 5 + 4]).toBeCloseTo(image.pixels[(2 * 5 + 4) * 3 + 1] / 255, 7);
    expect(await tensorToImage(t)).toEqual(image);
    const planes = await tensorToPlanes(t);
    expect(planes[0].data[0]).toBeCloseTo(image.pixels[0], 4);
    t.dispose();
    const grey = planesToTensor([{ width: 2, height: 1, data: Float64Array.from([-10, 510]) }]);
    expect(await tensorToImage(grey)).toEqual({ width: 2, height: 1, channels: 1, pixels: Uint8Array.from([0, 255]) });
    grey.dispose();
    const wrong = gg.zeros([1, 2, 3, 3]);
    await expect(tensorToImage(wrong)).rejects.toThrow(/tensorToImage: expected 1 \(grey\) or 3 \(RGB\) channels, got \[1, 2, 3, 3\]/);
    wrong.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('crops images and planes to a multiple of the scale from the top-left (modcrop)', () => {
    const image = randomImage(7, 5, 3, 3);
    const cropped = cropToMultiple(image, 3);
    expect([cropped.width, cropped.height]).toEqual([6, 3]);
    expect([...cropped.pixels.subarray(18, 21)]).toEqual([...image.pixels.subarray(21, 24)]);
    const plane = cropToMultiple(imageToPlanes(image)[1], 2);
    expect([plane.width, plane.height, plane.data[6]]).toEqual([6, 4, image.pixels[7 * 3 + 1]]);
    expect(() => cropToMultiple(image, 8)).toThrow(/cropToMultiple: a 5 x 7 image has no whole 8 x 8 block/);
  });
});

describe('randomPatches', () => {
  // High-res planes whose every scale x scale block is constant, at the low-res plane's value.
  function pairedSource(lowWidth: number, lowHeight: number, scale: number, seed: number) {
    const random = new gg.data.SeededRandom(seed);
    const lowRes = [0, 1].map(() => ({ width: lowWidth, height: lowHeight, data: Float64Array.from({ length: lowWidth * lowHeight }, () => random.int(256)) }));
    const highRes = lowRes.map((p) => ({
      width: lowWidth * scale,
      height: lowHeight * scale,
      data: Float64Array.from({ length: lowWidth * lowHeight * scale * scale }, (_, i) => p.data[Math.floor(Math.floor(i / (lowWidth * scale)) / scale) * lowWidth + Math.floor((i % (lowWidth * scale)) / scale)]),
    }));
    return { highRes, lowRes };
  }

  it('cuts matching low- and high-res patches, transformed alike, reproducibly for a seed', () => {
    const scale = 3;
    const sources = [pairedSource(9, 7, scale, 1), pairedSource(6, 8, scale, 2)];
    const patches = randomPatches(sources, 40, 12, 7);
    expect(patches.highResShape).toEqual([40, 2, 12, 12]);
    expect(patches.lowResShape).toEqual([40, 2, 4, 4]);
    expect(patches.scale).toBe(3);
    const low = patches.lowRes!;
    for (let n = 0; n < 40; n++) {
      for (let c = 0; c < 2; c++) {
        for (let y = 0; y < 12; y++) {
          for (let x = 0; x < 12; x++) {
            const high = patches.highRes[((n * 2 + c) * 12 + y) * 12 + x];
            expect(high).toBe(low[((n * 2 + c) * 4 + Math.floor(y / 3)) * 4 + Math.floor(x / 3)]);
          }
        }
      }
    }
    expect(randomPatches(sources, 40, 12, 7)).toEqual(patches);
    expect(randomPatches(sources, 40, 12, 8).highRes).not.toEqual(patches.highRes);
  });

  it('uses all eight flips and rotations, and none without augment; gives high-res patches alone without low-res planes', () => {
    // A 2 x 2 patch of a 2 x 2 image with distinct pixels shows which symmetry was applied.
    const plane: Plane = { width: 2, height: 2, data: Float64Array.from([0, 51, 102, 153]) };
    const patches = randomPatches([{ highRes: [plane] }], 200, 2, new gg.data.SeededRandom(3));
    expect(patches.lowRes).toBeNull();
    expect(patches.scale).toBe(1);
    const seen = new Set<string>();
    for (let n = 0; n < 200; n++) seen.add([...patches.highRes.subarray(4 * n, 4 * n + 4)].map((v) => Math.round(v * 255)).join(','));
    expect([...seen].sort()).toEqual(['0,102,51,153', '0,51,102,153', '102,0,153,51', '102,153,0,51', '153,102,51,0', '153,51,102,0', '51,0,153,102', '51,153,0,102']);
    const plain = randomPatches([{ highRes: [plane] }], 5, 2, 3, { augment: false });
    expect([...plain.highRes].map((v) => Math.round(v * 255))).toEqual(new Array(5).fill([0, 51, 102, 153]).flat());
  });

  it('names what is wrong with its sources', () => {
    const hr: Plane = { width: 8, height: 8, data: new Float64Array(64) };
    const lr: Plane = { width: 3, height: 3, data: new Float64Array(9) };
    expect(() => randomPatches([{ highRes: [hr], lowRes: [lr] }], 1, 4, 1)).toThrow(/randomPatches: source 0 is 8 x 8 high-res over 3 x 3 low-res, not a whole scale/);
    expect(() => randomPatches([{ highRes: [hr], lowRes: [{ width: 4, height: 4, data: new Float64Array(16) }] }], 1, 3, 1)).toThrow(/patchSize must be a positive integer multiple of the scale 2, got 3/);
    expect(() => randomPatches([{ highRes: [hr] }], 1, 9, 1)).toThrow(/source 0 \(8 x 8\) is smaller than a 9-pixel patch/);
  });
});
