// package.json's promises about the sources: every module that runs code when imported (attaching
// Tensor methods, installing the Node platform) is listed in "sideEffects", for the published
// dist/lib files and for src/ (which the demo bundles), since bundlers drop unlisted modules that
// nothing imports by name; and the Node-only code stays behind the Node entry.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { sideEffects: string[] };
const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => `src/${file}`);

/** Statements at the top level that are not declarations: calls and assignments run on import. */
function topLevelEffects(text: string): string[] {
  return text.split('\n').filter((line) => /^[A-Za-z_$][\w$.]*\s*(\(|=[^=>])/.test(line) && !/^(export|import|const|let|var|function|class|interface|type|async|declare|abstract)\b/.test(line));
}

function listed(path: string): boolean {
  return pkg.sideEffects.some((pattern) => new RegExp(`^${pattern.replace(/^\.\//, '').replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`).test(path));
}

describe('package.json', () => {
  it('lists every module with import-time effects in sideEffects, as source and as built file', () => {
    const effectful = sources.filter((file) => topLevelEffects(readFileSync(join(root, file), 'utf8')).length > 0);
    expect(effectful).toContain('src/ops/assign.ts');
    expect(effectful).toContain('src/node.ts');
    for (const file of effectful) {
      expect(listed(file), `${file} runs code on import but is not in sideEffects`).toBe(true);
      const built = file.replace(/^src\//, 'dist/lib/').replace(/\.ts$/, '.js');
      expect(listed(built), `${built} runs code on import but is not in sideEffects`).toBe(true);
    }
    expect(listed('src/index.ts') && listed('dist/lib/index.js')).toBe(true); // it imports them all
  });

  it('keeps node:* imports and @types/node names behind the Node entry', () => {
    const nodeOnly = sources.filter((file) => /from 'node:|import\('node:|\bprocess\.|\bBuffer\.(from|alloc)/.test(readFileSync(join(root, file), 'utf8')));
    expect(nodeOnly.map((file) => relative('src', file)).sort()).toEqual(['node/platform.ts']);
  });
});
