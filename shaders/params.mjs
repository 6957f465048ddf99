// Reads a kernel's host contract out of its WGSL (includes already expanded): the fields of its
// `struct Params` with their byte layout under WGSL's uniform rules, and its `@group(0) @binding(N)`
// variables. shaders/bundle.mjs turns both into the typed Shader exports the runtime packs and binds
// with, so a field or buffer added to a kernel changes the host's types instead of shifting silently.

/** Scalar element types a Params field may be built from. */
const SCALARS = new Set(['u32', 'i32', 'f32']);

/**
 * The layout of one Params field type: its element type, how many 4-byte elements it holds, its
 * alignment and size in bytes. Throws for a type the runtime cannot pack.
 */
function fieldType(type, where) {
  if (SCALARS.has(type)) return { element: type, count: 1, vector: false, align: 4, size: 4 };
  const vec4 = /^vec4<(u32|i32|f32)>$/.exec(type);
  if (vec4) return { element: vec4[1], count: 4, vector: true, align: 16, size: 16 };
  const array = /^array<\s*vec4<(u32|i32|f32)>\s*,\s*(\d+)u?\s*>$/.exec(type);
  if (array) {
    const length = Number(array[2]);
    return { element: array[1], count: 4 * length, vector: true, align: 16, size: 16 * length };
  }
  throw new Error(`${where}: Params field type '${type}' is not one the runtime packs (u32, i32, f32, vec4<T> or array<vec4<T>, N> with T one of those)`);
}

/**
 * The fields of the `struct Params` in `wgsl`, each with its WGSL type, byte offset, element type and
 * element count (1 for a scalar, 4 per vec4), and the struct's size rounded up to 16 bytes; null when
 * the shader declares no Params. `where` names the shader in errors.
 */
export function parseParams(wgsl, where) {
  const found = /^struct Params\s*\{([^}]*)\}/m.exec(wgsl);
  if (!found) return null;
  const body = found[1].replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const fields = [];
  let offset = 0;
  for (const declaration of body.split(/,(?![^<]*>)/)) {
    const text = declaration.trim();
    if (!text) continue;
    const field = /^(\w+)\s*:\s*(.+)$/s.exec(text);
    if (!field) throw new Error(`${where}: cannot read Params field '${text}'`);
    const [, name, rawType] = field;
    const type = rawType.replace(/\s+/g, ' ').trim();
    if (fields.some((f) => f.name === name)) throw new Error(`${where}: Params field '${name}' is declared twice`);
    const layout = fieldType(type, `${where}, Params.${name}`);
    offset = Math.ceil(offset / layout.align) * layout.align;
    fields.push({ name, type, offset, element: layout.element, count: layout.count, vector: layout.vector });
    offset += layout.size;
  }
  return { fields, bytes: Math.max(16, Math.ceil(offset / 16) * 16) };
}

/**
 * The `@group(0) @binding(N) var<...> NAME` declarations of `wgsl`, by binding number. Entry points of
 * one file may declare different variables at the same number; the names are unique.
 */
export function parseBindings(wgsl, where) {
  const bindings = [];
  for (const [, binding, space, name] of wgsl.matchAll(/@group\(0\)\s*@binding\((\d+)\)\s*var<([^>]*)>\s*(\w+)/g)) {
    const [addressSpace, access = 'read'] = space.split(',').map((s) => s.trim());
    const entry = { binding: Number(binding), name, access: addressSpace === 'uniform' ? 'uniform' : access };
    if (bindings.some((b) => b.name === name)) throw new Error(`${where}: binding variable '${name}' is declared twice`);
    bindings.push(entry);
  }
  return bindings.sort((a, b) => a.binding - b.binding || a.name.localeCompare(b.name));
}

/** The TypeScript type of a Params field's value: a number, or the elements of a vector or array. */
export function fieldTsType(field) {
  return field.vector ? 'readonly number[]' : 'number';
}
