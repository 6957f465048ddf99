// What gengpu needs from its host that differs between a browser and Node: where a WebGPU adapter
// comes from, whether there is a local file system, how to deflate PNG data and how to decode images. The core only talks
// to the Platform held here, so a browser bundle never references a `node:*` module; gengpu's Node
// entry (src/node.ts) installs the Node platform when it is imported.

import type { RasterImage } from './metrics/png.js';

/** A local file opened for reading (`LocalFileSystem.openRead`). */
export interface OpenedFile {
  /** The file's size in bytes. */
  size: number;
  /** Its bytes, a piece at a time; cancelling it closes the file. */
  stream: ReadableStream<Uint8Array>;
}

/**
 * Local files, where the host has them (Node). Paths are the host's; `file:` URLs are accepted
 * wherever a path is.
 */
export interface LocalFileSystem {
  /** The first `maxBytes` bytes of a file (the whole file by default); only those are read. */
  readFile(path: string, maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * A file opened for reading in pieces: its size, and a stream of its bytes that reads the next piece
   * only when the previous one was taken, so a large file never has to be in memory whole.
   */
  openRead(path: string): Promise<OpenedFile>;
  /**
   * Writes `bytes` to `<path>.tmp`, then renames it over `path`, so a crash never leaves half a file.
   * A missing directory on the way is an error (a mistyped path says so) unless `makeDirectories`.
   */
  writeFile(path: string, bytes: Uint8Array, options?: { makeDirectories?: boolean }): Promise<void>;
  /** `base` (a directory path or `file:` URL) joined with a file name. */
  joinPath(base: string, name: string): string;
  /** `relative` made absolute from the working directory. */
  resolvePath(relative: string): string;
  /** Where gengpu keeps what it caches between runs (the tuning table): a directory of the user's. */
  readonly cacheDirectory: string;
  /** The directory of an installed npm package, found the way `require` finds it; null when absent. */
  packageDirectory(packageName: string): string | null;
}

/** The host services gengpu uses; see {@link setPlatform}. */
export interface Platform {
  /** A short name for messages: 'browser' or 'node'. */
  readonly name: string;
  /** A WebGPU adapter, or null where the host has none. */
  requestAdapter(powerPreference: GPUPowerPreference): Promise<GPUAdapter | null>;
  /** Says what to do when requestAdapter finds nothing: what to install or enable, in a few lines. */
  readonly noAdapterHelp: string;
  /** Local files, or null where there are none (a browser page). */
  readonly files: LocalFileSystem | null;
  /** A zlib stream of `data` at the best compression the host offers, or null to use CompressionStream. */
  readonly deflate: ((data: Uint8Array) => Promise<Uint8Array>) | null;
  /**
   * Decodes an image file (PNG everywhere; in a browser also whatever formats it displays, JPEG
   * included) to 8 bits per channel: 1 channel (grey), 3 (RGB) or 4 (RGBA). Which of these comes back
   * for a given file differs between hosts; see the implementations.
   */
  decodeImage(bytes: Uint8Array): Promise<RasterImage>;
}

/** True in Node (or Deno/Bun's Node layer), told without needing Node's type declarations. */
function hostIsNode(): boolean {
  const host = globalThis as { process?: { versions?: { node?: unknown } } };
  return typeof host.process?.versions?.node === 'string';
}

const browserHelp = `No WebGPU adapter was found.
  In a browser: use a recent Chrome/Edge/Safari (or Chromium with --enable-unsafe-webgpu), with the page served from https or localhost.`;

const nodeThroughBrowserEntryHelp = `No WebGPU adapter was found: gengpu was loaded through its browser entry, which has no GPU in Node.
  In Node, import 'gengpu' (Node's resolution picks gengpu's Node entry) or 'gengpu/node', and install Dawn for Node: npm install webgpu`;

/**
 * An image file decoded by the browser (createImageBitmap, drawn on an OffscreenCanvas and read back):
 * RGBA, or RGB when every pixel is opaque. A grey file comes back as RGB with equal channels, since the
 * canvas does not say what the file held. Colour-space conversion and alpha premultiplication are
 * turned off, so the bytes are the file's own (the canvas may still round translucent pixels, which it
 * stores premultiplied).
 */
async function decodeImageInBrowser(bytes: Uint8Array): Promise<RasterImage> {
  if (typeof createImageBitmap === 'undefined' || typeof OffscreenCanvas === 'undefined') {
    throw new Error('decodeImage: this host has neither createImageBitmap nor OffscreenCanvas; in Node import gengpu through its Node entry');
  }
  // A Blob cannot take a view of shared memory, so such bytes are copied first.
  const part = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([part]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (error) {
    throw new Error(`decodeImage: the browser could not decode these ${bytes.length} bytes as an image: ${(error as Error).message}`);
  }
  try {
    const { width, height } = bitmap;
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('decodeImage: OffscreenCanvas gave no 2d context');
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    let opaque = true;
    for (let i = 3; i < rgba.length && opaque; i += 4) opaque = rgba[i] === 255;
    if (!opaque) return { width, height, channels: 4, pixels: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) };
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) rgb.set(rgba.subarray(4 * p, 4 * p + 3), 3 * p);
    return { width, height, channels: 3, pixels: rgb };
  } finally {
    bitmap.close();
  }
}

/** The platform of a browser page (or a worker): navigator.gpu, no local files, CompressionStream, createImageBitmap. */
export const browserPlatform: Platform = {
  name: 'browser',
  async requestAdapter(powerPreference) {
    const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu;
    return gpu ? gpu.requestAdapter({ powerPreference }) : null;
  },
  noAdapterHelp: hostIsNode() ? nodeThroughBrowserEntryHelp : browserHelp,
  files: null,
  deflate: null,
  decodeImage: decodeImageInBrowser,
};

let current: Platform = browserPlatform;

/** The platform in use: the browser's unless gengpu's Node entry (or a caller) installed another. */
export function platform(): Platform {
  return current;
}

/** Installs the host services gengpu uses; gengpu's Node entry calls this when it is imported. */
export function setPlatform(next: Platform): void {
  current = next;
}
