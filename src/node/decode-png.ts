// PNG decoding in Node: fast-png (pure JS) parses and inflates the file, and this module brings every
// PNG pixel format to the 8-bit grey, RGB or RGBA of a RasterImage. The Node platform imports it only
// when an image is first decoded, so programs that never decode one never load fast-png.

import { decode, type DecodedPng } from 'fast-png';
import type { RasterImage } from '../metrics/png.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Sample `index` of row `row` of 1-, 2- or 4-bit samples packed most significant bits first, each row starting on a byte. */
function packedSample(data: ArrayLike<number>, depth: number, rowBytes: number, row: number, index: number): number {
  const bit = index * depth;
  const byte = data[row * rowBytes + (bit >> 3)];
  return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
}

/**
 * A decoded PNG as 8-bit pixels. Palette images become RGB, or RGBA when the file gives the palette
 * transparency. Grey stays 1 channel; grey with alpha becomes RGBA (a RasterImage has no 2-channel
 * form). A transparent colour key (tRNS on a grey or RGB image) adds an alpha channel: 0 on the key,
 * 255 elsewhere. Samples of 1, 2 or 4 bits scale to the full byte (a 1-bit 1 is 255); 16-bit samples
 * round to round(v / 257), as MATLAB's im2uint8 does.
 */
function toRaster(png: DecodedPng): RasterImage {
  const { width, height, depth, channels, data, palette, transparency } = png;
  const pixels = width * height;
  const samplesPerRow = width * channels;
  const rowBytes = Math.ceil((samplesPerRow * depth) / 8);
  // fast-png gives 8- and 16-bit samples one per array element, and smaller ones packed as in the file.
  const sample = depth >= 8 ? (row: number, index: number) => data[row * samplesPerRow + index] : (row: number, index: number) => packedSample(data, depth, rowBytes, row, index);

  if (palette) {
    const outChannels = palette[0]?.length === 4 ? 4 : 3;
    const out = new Uint8Array(pixels * outChannels);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const entry = palette[sample(y, x)];
        if (!entry) throw new Error(`decodeImage: pixel (${x}, ${y}) names palette entry ${sample(y, x)} of ${palette.length}`);
        for (let c = 0; c < outChannels; c++) out[(y * width + x) * outChannels + c] = c < entry.length ? entry[c] : 255;
      }
    }
    return { width, height, channels: outChannels, pixels: out };
  }

  const maxValue = 2 ** depth - 1;
  const to8 = depth === 16 ? (v: number) => Math.round(v / 257) : depth === 8 ? (v: number) => v : (v: number) => (v * 255) / maxValue;
  const colour = channels === 1 || channels === 2 ? 1 : 3;
  const hasAlpha = channels === 2 || channels === 4;
  const colourKey = !hasAlpha && transparency && transparency.length >= colour ? transparency : null;
  const outChannels: 1 | 3 | 4 = hasAlpha || colourKey ? 4 : colour === 1 ? 1 : 3;
  const out = new Uint8Array(pixels * outChannels);
  const values = new Array<number>(channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) values[c] = sample(y, x * channels + c);
      const at = (y * width + x) * outChannels;
      for (let c = 0; c < 3 && c < outChannels; c++) out[at + c] = to8(values[colour === 1 ? 0 : c]);
      if (outChannels === 4) {
        if (hasAlpha) out[at + 3] = to8(values[channels - 1]);
        else out[at + 3] = values.every((v, c) => v === colourKey![c]) ? 0 : 255;
      }
    }
  }
  return { width, height, channels: outChannels, pixels: out };
}

/** A PNG file's pixels at 8 bits per channel (see toRaster for how each pixel format maps). */
export function decodePngFile(bytes: Uint8Array): RasterImage {
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    const start = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`decodeImage: in Node only PNG files are decoded, and these ${bytes.length} bytes (starting ${start}) do not start with the PNG signature`);
  }
  let png: DecodedPng;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    throw new Error(`decodeImage: the PNG decoder (fast-png) rejected these ${bytes.length} bytes: ${(error as Error).message}`);
  }
  return toRaster(png);
}
