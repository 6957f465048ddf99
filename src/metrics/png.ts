// A dependency-free PNG encoder for 8-bit grey, RGB and RGBA images. A PNG is the 8-byte signature
// and then chunks [length][type][data][CRC-32 of type and data]: IHDR (size and pixel format), IDAT
// (the zlib stream of the rows, each prefixed with its filter byte, 0 = none) and IEND. The zlib
// stream comes from the platform's deflate (node:zlib in Node), from CompressionStream('deflate') in
// browsers, or is written as stored (uncompressed) deflate blocks, which any decoder reads and which
// needs nothing at all.

import { platform } from '../platform.js';

/** Pixels row-major from the top-left, `channels` interleaved bytes each (1 grey, 3 RGB, 4 RGBA). */
export interface RasterImage {
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
  /** Bytes per pixel: 1 grey, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
  /** width x height x channels bytes, row-major from the top-left. */
  pixels: Uint8Array;
}

/** How {@link encodePng} writes the image data. */
export interface PngOptions {
  /** 'deflate' (default) compresses with the platform's zlib; 'store' writes uncompressed blocks. */
  compression?: 'deflate' | 'store';
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;
/** The most bytes one stored deflate block holds (its length field is 16 bits). */
const STORED_BLOCK_MAX = 65535;

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as PNG and zlib use it) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Adler-32, the checksum that ends a zlib stream. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  // 5552 bytes is the longest run before the sums must be reduced to stay exact in 32 bits.
  for (let start = 0; start < bytes.length; start += 5552) {
    const end = Math.min(bytes.length, start + 5552);
    for (let i = start; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream of stored deflate blocks: header 78 01, blocks of at most 65535 bytes, Adler-32. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK_MAX));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  const view = new DataView(out.buffer);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let block = 0; block < blocks; block++) {
    const start = block * STORED_BLOCK_MAX;
    const length = Math.min(STORED_BLOCK_MAX, data.length - start);
    out[at] = block === blocks - 1 ? 1 : 0; // BFINAL, and BTYPE 00 (stored)
    view.setUint16(at + 1, length, true);
    view.setUint16(at + 3, ~length & 0xffff, true);
    out.set(data.subarray(start, start + length), at + 5);
    at += 5 + length;
  }
  view.setUint32(at, adler32(data));
  return out;
}

/** A zlib stream through the web platform's CompressionStream('deflate') (browsers; Node has it too). */
export async function zlibCompressionStream(data: Uint8Array): Promise<Uint8Array> {
  const input = data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : data.slice();
  const stream = new Blob([input]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A zlib stream of `data` compressed by the platform: its own deflate (Node's zlib), else CompressionStream, else stored blocks. */
async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  const deflate = platform().deflate;
  if (deflate) return deflate(data);
  return typeof CompressionStream === 'undefined' ? zlibStored(data) : zlibCompressionStream(data);
}

function checkImage(op: string, image: RasterImage): void {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 2 ** 31 - 1 || height > 2 ** 31 - 1) {
    throw new Error(`${op}: width and height must be integers from 1 to 2^31 - 1, got ${width} x ${height}`);
  }
  if (!(channels in COLOR_TYPE)) throw new Error(`${op}: channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${channels}`);
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels) {
    throw new Error(`${op}: expected a Uint8Array of ${width} x ${height} x ${channels} = ${width * height * channels} bytes, got ${pixels?.length} values`);
  }
}

/** One chunk: length, type, data, CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The PNG file of an image (8 bits per channel, no interlacing, filter type 0 on every row). */
export async function encodePng(image: RasterImage, options: PngOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  checkImage('encodePng', image);
  const { compression = 'deflate' } = options;
  if (compression !== 'deflate' && compression !== 'store') throw new Error(`encodePng: compression must be 'deflate' or 'store', got '${String(compression)}'`);
  const { width, height, channels, pixels } = image;
  const header = new Uint8Array(13);
  const headerView = new DataView(header.buffer);
  headerView.setUint32(0, width);
  headerView.setUint32(4, height);
  header.set([8, COLOR_TYPE[channels], 0, 0, 0], 8); // bit depth, colour type, compression, filter, interlace

  const rowBytes = width * channels;
  const rows = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) rows.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  const compressed = compression === 'store' ? zlibStored(rows) : await zlibDeflate(rows);

  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
