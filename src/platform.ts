// What gengpu needs from its host that differs between a browser and Node: where a WebGPU adapter
// comes from, whether there is a local file system, and how to deflate PNG data. The core only talks
// to the Platform held here, so a browser bundle never references a `node:*` module; gengpu's Node
// entry (src/node.ts) installs the Node platform when it is imported.

/**
 * Local files, where the host has them (Node). Paths are the host's; `file:` URLs are accepted
 * wherever a path is.
 */
export interface LocalFileSystem {
  /** The first `maxBytes` bytes of a file (the whole file by default); only those are read. */
  readFile(path: string, maxBytes?: number): Promise<Uint8Array<ArrayBuffer>>;
  /** Writes `bytes` to `<path>.tmp`, then renames it over `path`, so a crash never leaves half a file. */
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
  /** `base` (a directory path or `file:` URL) joined with a file name. */
  joinPath(base: string, name: string): string;
  /** `relative` made absolute from the working directory. */
  resolvePath(relative: string): string;
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

/** The platform of a browser page (or a worker): navigator.gpu, no local files, CompressionStream. */
export const browserPlatform: Platform = {
  name: 'browser',
  async requestAdapter(powerPreference) {
    const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu;
    return gpu ? gpu.requestAdapter({ powerPreference }) : null;
  },
  noAdapterHelp: hostIsNode() ? nodeThroughBrowserEntryHelp : browserHelp,
  files: null,
  deflate: null,
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
