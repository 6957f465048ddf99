// Bundles shaders/*.wgsl and shaders/<family>/*.wgsl (model kernels) into src/gpu/shaders.generated.ts, one export per kernel family, so the
// same WGSL text loads identically in the browser (vite), in vitest, in plain Node scripts and in the
// published package. A line `#include "name"` is replaced by shaders/include/name.wgsl, so kernels of
// one family share their parameter struct and helpers instead of repeating them. Comments and blank
// lines are stripped (they are ~40% of the text, and every page that uses gengpu downloads it): the
// commented .wgsl files are the source to read, and the tests run exactly the text that ships.
// Each export also carries the kernel's host contract, read by shaders/params.mjs: an interface of
// its Params fields (what a launch must pass), their uniform byte layout (what the runtime packs) and
// its storage bindings by name.
// Runs automatically from npm's prepare/pretest/prestart/prebench/typecheck scripts.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fieldTsType, parseBindings, parseParams } from './params.mjs';

const shaderDir = dirname(fileURLToPath(import.meta.url));
const outFile = join(shaderDir, '..', 'src', 'gpu', 'shaders.generated.ts');

const includeDir = join(shaderDir, 'include');

/** The WGSL text of `file` with every `#include "name"` line replaced by include/name.wgsl. */
function expandIncludes(file) {
  return readFileSync(file, 'utf8').replace(/^#include "([\w-]+)"$/gm, (_, name) => {
    const included = join(includeDir, `${name}.wgsl`);
    if (!existsSync(included)) throw new Error(`shaders/bundle.mjs: ${file} includes "${name}", but ${included} does not exist`);
    return readFileSync(included, 'utf8').trimEnd();
  });
}

const templateSlots = (wgsl) => [...new Set(wgsl.match(/\{\{\w+\}\}/g) ?? [])].sort().join(' ');

/** `wgsl` without comments, trailing spaces and blank lines; refuses to drop a {{template}} slot. */
function stripComments(wgsl, file) {
  const stripped = wgsl
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{2,}/g, '\n')
    .replace(/^\n/, '');
  if (templateSlots(stripped) !== templateSlots(wgsl)) {
    throw new Error(`shaders/bundle.mjs: ${file} has a template slot inside a comment (${templateSlots(wgsl)} vs ${templateSlots(stripped)})`);
  }
  return stripped;
}

/** The kernel files under shaders/ (the engine's at the top, models' in sub-folders), as paths relative to it. */
function kernelFiles(dir = '') {
  return readdirSync(join(shaderDir, dir), { withFileTypes: true })
    .flatMap((entry) => {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return path === 'include' ? [] : kernelFiles(path);
      return entry.name.endsWith('.wgsl') ? [path] : [];
    })
    .sort();
}

/** 'conv2d_col2im' -> 'Conv2dCol2imParams'. */
const paramsTypeName = (name) => `${name.replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase())}Params`;

/** The interface of a kernel's Params fields, or the type of a kernel without Params. */
function paramsInterface(name, params) {
  if (!params) return `/** shaders/${name}: no Params struct. */\nexport type ${paramsTypeName(name)} = Record<string, never>;`;
  const fields = params.fields.map((f) => `  /** ${f.type} */\n  ${f.name}: ${fieldTsType(f)};`);
  return `/** The Params struct of ${name}. */\nexport interface ${paramsTypeName(name)} {\n${fields.join('\n')}\n}`;
}

const files = kernelFiles();
const seen = new Map();
// One export per kernel family, so that a bundler keeps only the kernels an app's ops launch.
const entries = files.map((f) => {
  const name = basename(f, '.wgsl');
  if (seen.has(name)) throw new Error(`shaders/bundle.mjs: shaders/${f} and shaders/${seen.get(name)} have the same kernel name "${name}"`);
  seen.set(name, f);
  const expanded = expandIncludes(join(shaderDir, f));
  const params = parseParams(expanded, `shaders/${f}`);
  const bindings = parseBindings(expanded, `shaders/${f}`);
  const uniform = bindings.find((b) => b.access === 'uniform');
  if (params && uniform?.binding !== 0) throw new Error(`shaders/bundle.mjs: shaders/${f} must bind its Params at @binding(0)`);
  const storage = bindings.filter((b) => b.access !== 'uniform');
  const bufferNames = storage.length ? storage.map((b) => JSON.stringify(b.name)).join(' | ') : 'never';
  const layout = {
    name,
    wgsl: stripComments(expanded, f),
    params: (params?.fields ?? []).map(({ name, type, offset, element, count }) => ({ name, type, offset, element, count })),
    paramBytes: params?.bytes ?? 0,
    bindings: storage,
  };
  return `${paramsInterface(name, params)}\n/** shaders/${f} */\nexport const ${name}: Shader<${paramsTypeName(name)}, ${bufferNames}> = ${JSON.stringify(layout)};`;
});
// Includes that src/ops/fusion.ts copies into the kernels it generates, exported as text.
const exportedIncludes = ['binary_ops', 'coords_rank', 'ieee', 'unary_ops'];
const includeEntries = exportedIncludes.map((name) => {
  const text = stripComments(readFileSync(join(includeDir, `${name}.wgsl`), 'utf8'), `include/${name}.wgsl`);
  return `/** shaders/include/${name}.wgsl, for kernels generated at run time. */\nexport const include_${name}: string = ${JSON.stringify(text)};`;
});
const text =
  '// Generated by shaders/bundle.mjs from shaders/*.wgsl. Do not edit: edit the .wgsl files.\n\n' +
  "/** One field of a kernel's Params struct, where the runtime writes it. */\n" +
  'export interface ParamField<Name extends string = string> {\n  /** The field name in WGSL. */\n  readonly name: Name;\n' +
  "  /** Its WGSL type, for errors ('u32', 'array<vec4<u32>, 2>'). */\n  readonly type: string;\n" +
  '  /** Byte offset in the uniform block. */\n  readonly offset: number;\n' +
  "  /** The type of each 4-byte element. */\n  readonly element: 'u32' | 'i32' | 'f32';\n" +
  '  /** Elements: 1 for a scalar (passed as a number), 4 per vec4 (passed as an array, zero-padded). */\n  readonly count: number;\n}\n\n' +
  '/** A storage buffer variable of a kernel. */\n' +
  'export interface Binding<Name extends string = string> {\n  /** Its @binding(N) number. */\n  readonly binding: number;\n' +
  '  /** The variable name in WGSL: the key a launch passes its buffer under. */\n  readonly name: Name;\n' +
  "  /** How the kernel may access it. */\n  readonly access: string;\n}\n\n" +
  '/**\n * A kernel family: its file in shaders/ without .wgsl, its WGSL (includes expanded, comments stripped),\n' +
  ' * the layout of its Params struct `P` (bound at @binding(0)) and its storage buffers, named `B`.\n */\n' +
  'export interface Shader<P = any, B extends string = string> {\n  /** The file name without .wgsl, used in errors and pipeline labels. */\n  readonly name: string;\n' +
  '  /** The WGSL text, with {{NAME}} template slots. */\n  readonly wgsl: string;\n' +
  '  /** The Params fields in declaration order. */\n  readonly params: readonly ParamField<Extract<keyof P, string>>[];\n' +
  '  /** The size of the Params block in bytes, a multiple of 16 (0 without Params). */\n  readonly paramBytes: number;\n' +
  '  /** The storage buffer bindings, by binding number. */\n  readonly bindings: readonly Binding<B>[];\n}\n\n' +
  `${[...entries, ...includeEntries].join('\n\n')}\n`;
if (!existsSync(outFile) || readFileSync(outFile, 'utf8') !== text) writeFileSync(outFile, text);
