// Types of shaders/params.mjs, for the TypeScript that imports it (its unit test).

/** One field of a Params struct with its layout. */
export interface ParsedField {
  name: string;
  type: string;
  offset: number;
  element: 'u32' | 'i32' | 'f32';
  count: number;
  vector: boolean;
}

/** A `@group(0) @binding(N) var<...> NAME` declaration. */
export interface ParsedBinding {
  binding: number;
  name: string;
  access: string;
}

export function parseParams(wgsl: string, where: string): { fields: ParsedField[]; bytes: number } | null;
export function parseBindings(wgsl: string, where: string): ParsedBinding[];
export function fieldTsType(field: ParsedField): string;
