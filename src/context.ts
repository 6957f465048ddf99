// The one GPU runtime that every tensor lives on: `await init()` once, then ops run eagerly.

import { Runtime } from './gpu/runtime.js';

let current: Runtime | null = null;
let pending: Promise<Runtime> | null = null;

/** How {@link init} picks the GPU. */
export interface InitOptions {
  /** Which adapter to ask for where there are several (default 'high-performance', the discrete GPU). */
  powerPreference?: GPUPowerPreference;
}

/** Acquires the GPU (browser or Node). Safe to call more than once; later calls return the same runtime. */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  if (current) return current;
  pending ??= Runtime.create(options.powerPreference).then((rt) => (current = rt));
  try {
    return await pending;
  } catch (error) {
    pending = null;
    throw error;
  }
}

/** The runtime made by init(); a clear error if init() has not finished. */
export function runtime(): Runtime {
  if (!current) throw new Error('gengpu: call `await init()` before creating tensors or running ops');
  return current;
}

/** Releases the device (pooled buffers included). A later init() acquires a new one. */
export function shutdown(): void {
  current?.destroy();
  current = null;
  pending = null;
}
