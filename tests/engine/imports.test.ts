// The shape of src/'s import graph: imports point down the layers (gpu -> tensor -> autograd and ops ->
// nn/optim/io/data/metrics/train -> models) and no module imports itself back at run time. Autograd
// shares the ops' layer: its backward walk makes gradients with ops (creation, the Tensor methods),
// as the ops' backward rules do. Each file is transpiled as tsc would emit it, so type-only imports,
// which vanish, do not count.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const src = join(root, 'src');
const modules = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.replace(/\\/g, '/'));

/** The src/ modules `file` imports at run time, as paths relative to src/. */
function runtimeImports(file: string): string[] {
  const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const specifiers = [...outputText.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(src, normalize(join(src, dirname(file), s))).replace(/\\/g, '/').replace(/\.js$/, '.ts'));
}

const graph = new Map(modules.map((file) => [file, runtimeImports(file)]));

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function cycles(): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Each module's layer; a module may import only from its own layer or a lower one. */
function layer(file: string): number {
  const top = file.split('/')[0].replace(/\.ts$/, '');
  if (top === 'gpu' || top === 'platform') return 0;
  if (top === 'tensor' || top === 'context') return 1;
  if (top === 'ops' || top === 'autograd') return 2;
  if (['nn', 'optim', 'io', 'data', 'metrics', 'train'].includes(top)) return 3;
  if (top === 'models') return 4;
  return 5; // the entries: index.ts, node.ts, node/
}

describe('src/ import graph', () => {
  it('reads every module', () => {
    expect(graph.get('ops/elementwise.ts')).toContain('autograd.ts');
    expect(graph.size).toBeGreaterThan(60);
  });

  it('has no run-time import cycle', () => {
    expect(cycles()).toEqual([]);
  });

  it('imports only down the layers', () => {
    const upward = [...graph].flatMap(([file, imports]) => imports.filter((target) => graph.has(target) && layer(target) > layer(file)).map((target) => `${file} -> ${target}`));
    expect(upward).toEqual([]);
  });
});
