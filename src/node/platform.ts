// The Node platform: WebGPU from Dawn's `webgpu` package (an optional peer dependency), files from
// node:fs, PNG data deflated by node:zlib, PNG files decoded by fast-png (loaded on first use). On Linux without a GPU it finds a software Vulkan driver,
// SwiftShader, by itself: Debian's chromium package has one, and so does the npm package
// @sparticuz/chromium, which also brings the Vulkan loader for machines that lack libvulkan1.

import { existsSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, constants as osConstants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import type { LocalFileSystem, Platform } from '../platform.js';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** Where Debian's and Ubuntu's chromium packages keep SwiftShader's Vulkan ICD. */
const systemSwiftShaderIcds = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

const noAdapterHelp = `No WebGPU adapter was found in Node.
  With a GPU: install its Vulkan driver (Linux), or use macOS / Windows, where Dawn uses Metal / Direct3D 12.
  Without one (Linux): npm install @sparticuz/chromium, or apt-get install chromium libvulkan1 (Debian/Ubuntu);
  gengpu then finds their SwiftShader software driver by itself (or set VK_ICD_FILENAMES to a Vulkan ICD json).`;

/**
 * Dawn's GPU instances, held for the life of the process: if one is garbage-collected, Dawn tears
 * the instance down under its live device and the process aborts.
 */
const dawnInstances: GPU[] = [];

async function importDawn(): Promise<DawnModule> {
  const packageName = 'webgpu'; // in a variable, so that bundlers leave this optional import alone
  try {
    return (await import(packageName)) as DawnModule;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const missing = code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${packageName}'`);
    throw new Error(`gengpu needs Dawn, the 'webgpu' package, to reach the GPU from Node: npm install webgpu${missing ? '' : ` (importing it failed: ${message})`}`);
  }
}

/** True where the kernel shows a GPU device node (Linux DRM, NVIDIA, WSL). */
function hasGpuDeviceNode(): boolean {
  return ['/dev/dri', '/dev/nvidiactl', '/dev/dxg'].some((path) => existsSync(path));
}

/**
 * Loads the Vulkan loader into the process so that Dawn's later dlopen("libvulkan.so.1") finds it:
 * the system's if there is one, else the copy in `fallbackDirectory` (that copy first when
 * GENGPU_SWIFTSHADER=bundled, so a machine with libvulkan1 can still prove that none is needed).
 * `process.dlopen` refuses a library that is not a Node addon, but with RTLD_NODELETE the library
 * stays loaded all the same, and a later dlopen of its soname finds it.
 */
function loadVulkanLoader(fallbackDirectory: string | null): void {
  const RTLD_NODELETE = 0x1000; // glibc's value; not in os.constants
  const flags = osConstants.dlopen.RTLD_NOW! | osConstants.dlopen.RTLD_GLOBAL! | RTLD_NODELETE;
  const loaded = (file: string): boolean => {
    try {
      process.dlopen({ exports: {} }, file, flags);
      return true;
    } catch (error) {
      return (error as Error).message.includes('did not self-register');
    }
  };
  const bundled = fallbackDirectory && join(fallbackDirectory, 'libvulkan.so.1');
  const hasBundled = bundled !== null && existsSync(bundled);
  if (hasBundled && process.env.GENGPU_SWIFTSHADER === 'bundled' && loaded(bundled)) return;
  if (loaded('libvulkan.so.1')) return;
  if (hasBundled) loaded(bundled);
}

/** SwiftShader's ICD from @sparticuz/chromium, unpacked into the temporary directory on first use. */
async function bundledSwiftShaderIcd(): Promise<string | null> {
  const packageName = '@sparticuz/chromium'; // optional: found only if the application installed it
  let chromium: { executablePath(): Promise<string> };
  try {
    chromium = ((await import(packageName)) as { default: typeof chromium }).default;
  } catch {
    return null;
  }
  const icd = join(dirname(await chromium.executablePath()), 'vk_swiftshader_icd.json');
  return existsSync(icd) ? icd : null;
}

/** A SwiftShader Vulkan ICD: `GENGPU_SWIFTSHADER=bundled` skips the system's for the npm-shipped one. */
async function swiftShaderIcd(): Promise<string | null> {
  const system = process.env.GENGPU_SWIFTSHADER === 'bundled' ? undefined : systemSwiftShaderIcds.find((path) => existsSync(path));
  return system ?? (await bundledSwiftShaderIcd());
}

/**
 * Runs `request` so that a Vulkan driver probing for a Wayland display (Debian's SwiftShader does) cannot
 * print "error: XDG_RUNTIME_DIR is invalid or not set": with neither variable set there is no display
 * to find anyway, so for the duration WAYLAND_DISPLAY names an absolute path that does not exist, which
 * libwayland tries quietly instead of complaining about XDG_RUNTIME_DIR.
 */
async function withoutWaylandProbe<T>(request: () => Promise<T>): Promise<T> {
  if (process.env.XDG_RUNTIME_DIR || process.env.WAYLAND_DISPLAY) return request();
  process.env.WAYLAND_DISPLAY = '/nonexistent/gengpu-no-wayland';
  try {
    return await request();
  } finally {
    delete process.env.WAYLAND_DISPLAY;
  }
}

/**
 * Dawn's flags for an instance on the Vulkan driver `icd`. WebGPU zero-fills workgroup memory; through
 * Vulkan's VK_KHR_zero_initialize_workgroup_memory, SwiftShader compiles that fill one element at a
 * time, so a kernel with a workgroup array of thousands of entries (index_add's sort) takes seconds to
 * compile. Without the extension Dawn writes the fill into the shader as a loop.
 */
function dawnFlags(icd: string | null): string[] {
  const swiftShader = icd !== null && /swiftshader/i.test(basename(icd));
  return swiftShader ? ['disable-dawn-features=use_vulkan_zero_initialize_workgroup_memory_extension'] : [];
}

async function requestAdapter(powerPreference: GPUPowerPreference): Promise<GPUAdapter | null> {
  const dawn = await importDawn();
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUShaderStage, ... as in a browser
  const requestFromNewInstance = async (icd: string | null = null): Promise<GPUAdapter | null> => {
    const gpu = dawn.create(dawnFlags(icd));
    dawnInstances.push(gpu);
    return withoutWaylandProbe(() => gpu.requestAdapter({ powerPreference }));
  };
  if (process.platform !== 'linux') return requestFromNewInstance();

  const chosenIcd = process.env.VK_ICD_FILENAMES;
  if (chosenIcd) {
    loadVulkanLoader(dirname(chosenIcd));
    return requestFromNewInstance(chosenIcd);
  }
  if (hasGpuDeviceNode()) {
    loadVulkanLoader(null);
    const adapter = await requestFromNewInstance();
    if (adapter) return adapter;
  }
  const icd = await swiftShaderIcd();
  if (!icd) return null;
  process.env.VK_ICD_FILENAMES = icd; // read by the Vulkan loader when the next instance is made
  loadVulkanLoader(dirname(icd));
  return requestFromNewInstance(icd);
}

function toPath(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location;
}

/** How much of a file openRead's stream reads at a time. */
const READ_PIECE_BYTES = 4 * 1024 * 1024;

const nodeFiles: LocalFileSystem = {
  async readFile(location, maxBytes = Infinity) {
    const path = toPath(location);
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const bytes = new Uint8Array(Math.min(size, maxBytes));
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return bytes.subarray(0, filled);
    } finally {
      await handle.close();
    }
  },
  async openRead(location) {
    const handle = await open(toPath(location), 'r');
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    let position = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const piece = new Uint8Array(Math.min(READ_PIECE_BYTES, Math.max(1, size - position)));
          const { bytesRead } = await handle.read(piece, 0, piece.length, position);
          if (bytesRead === 0) {
            await handle.close();
            controller.close();
            return;
          }
          position += bytesRead;
          controller.enqueue(piece.subarray(0, bytesRead));
        } catch (error) {
          await handle.close().catch(() => undefined);
          controller.error(error);
        }
      },
      cancel: () => handle.close(),
    });
    return { size, stream };
  },
  async writeFile(location, bytes, options) {
    const path = toPath(location);
    const temporary = `${path}.tmp`;
    try {
      if (options?.makeDirectories) await mkdir(dirname(path), { recursive: true });
      await writeFile(temporary, bytes);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  },
  joinPath: (base, name) => join(toPath(base), name),
  resolvePath: (relative) => resolve(process.cwd(), relative),
  // The XDG base directory convention on Linux (and elsewhere, for want of one), LOCALAPPDATA on Windows.
  cacheDirectory: join(
    process.env.XDG_CACHE_HOME || (process.platform === 'win32' && process.env.LOCALAPPDATA) || join(homedir(), '.cache'),
    'gengpu',
  ),
  packageDirectory(packageName) {
    try {
      return dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
    } catch {
      return null;
    }
  },
};

/** The platform that gengpu's Node entry installs. */
export const nodePlatform: Platform = {
  name: 'node',
  requestAdapter,
  noAdapterHelp,
  files: nodeFiles,
  deflate: async (data) => new Uint8Array(deflateSync(data, { level: 9 })),
  decodeImage: async (bytes) => (await import('./decode-png.js')).decodePngFile(bytes),
};
