// Attaches op functions to Tensor.prototype as methods: `x.add(y)` calls `add(x, y)`. Each op file
// declares its methods' types (declaration merging) and registers them here, beside the op itself.

import { Tensor } from '../tensor.js';

type OpFunction = (self: Tensor, ...args: never[]) => unknown;

export function defineMethods(functions: Record<string, OpFunction>): void {
  for (const [name, fn] of Object.entries(functions)) {
    Object.defineProperty(Tensor.prototype, name, {
      value: function (this: Tensor, ...args: never[]) {
        return fn(this, ...args);
      },
      writable: true,
      configurable: true,
    });
  }
}
