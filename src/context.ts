// The one GPU runtime that every tensor lives on: `await init()` once, then ops run eagerly.
//
// Life cycle: shutdown() destroys the runtime; a later init() makes a new one. A device lost by the
// browser or driver makes init() build a new runtime too. Tensors belong to the runtime that made them:
// on a runtime that is gone, their ops throw an error saying so, and dispose() frees them without
// touching the new runtime's pool.

import { Runtime } from './gpu/runtime.js';

let current: Runtime | null = null;
let pending: Promise<Runtime> | null = null;
/** Counts shutdown() calls, so that an init() still under way when one comes does not install its runtime. */
let generation = 0;

/** How {@link init} picks the GPU. */
export interface InitOptions {
  /** Which adapter to ask for where there are several (default 'high-performance', the discrete GPU). */
  powerPreference?: GPUPowerPreference;
}

/**
 * Acquires the GPU (browser or Node). Safe to call more than once; later calls return the same runtime, unless
 * its device was lost: then a new runtime replaces it (tensors of the old one cannot be used on the new one).
 */
export async function init(options: InitOptions = {}): Promise<Runtime> {
  if (current && !current.isLost) return current;
  if (current) {
    current.retire('whose GPU device was lost');
    current = null;
    pending = null;
  }
  const started = generation;
  const made = (pending ??= Runtime.create(options.powerPreference).then((rt) => {
    if (started !== generation) {
      rt.destroy();
      throw new Error('init: shutdown() was called before the GPU was ready; call init() again');
    }
    return (current = rt);
  }));
  try {
    return await made;
  } catch (error) {
    if (pending === made) pending = null;
    throw error;
  }
}

/** The runtime made by init(); a clear error if init() has not finished. */
export function runtime(): Runtime {
  if (!current) throw new Error('gengpu: call `await init()` before creating tensors or running ops');
  return current;
}

/**
 * Releases the device (pooled buffers included). A later init() acquires a new one; tensors made before stay
 * tied to the old runtime (disposing them is fine, using them throws).
 */
export function shutdown(): void {
  generation++;
  current?.destroy();
  current = null;
  pending = null;
}
