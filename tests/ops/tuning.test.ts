// The tuner (src/tune.ts) and its table (src/ops/tuning.ts): tune() records a choice per shape class that
// the automatic choices then follow for that class only; results stay right against float64 whatever the
// table says; a candidate that throws or computes wrong is skipped and named; tables round-trip through
// a file and are kept per adapter; resetTuning restores the hand-picked choices; nothing leaks.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { timeCandidates, type TuningCandidate } from '../../src/tune.js';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gengpu-tuning-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));
afterEach(() => gg.resetTuning());

/** A saved table holding `tables` by adapter identity, written to a file of the test's directory. */
async function savedTables(name: string, tables: Record<string, { matmul: Record<string, string>; rows: Record<string, string> }>): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, JSON.stringify({ format: 'gengpu-tuning', version: 1, adapters: tables }));
  return path;
}

/** The matmul variant other than the hand-picked one that this adapter runs, for a choice a table can override with. */
function otherMatmulVariant(M: number, N: number, K: number): gg.MatmulVariant {
  return gg.defaultMatmulVariant(M, N, K) === 'naive' ? 'blocked' : 'naive';
}

function otherRowVariant(length: number): gg.RowVariant {
  return gg.defaultRowVariant(length) === 'line' ? 'workgroup' : 'line';
}

describe('tuning', () => {
  it('tune() picks a candidate per class, which the automatic choices follow for that class only', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const report = await gg.tune({ matmulShapes: [[8, 8, 8], [33, 40, 20]], rowShapes: [[4, 16], [3, 70]], budgetMs: 0, clock: 'wall' });
    expect(gg.runtime().memory().liveBuffers).toBe(before);
    expect(report.classes.map((c) => `${c.family} ${c.shapeClass}`)).toEqual(['matmul 8x8x8', 'matmul 32x32x16', 'rows 16', 'rows 64']);
    for (const c of report.classes) {
      expect(c.choice).not.toBeNull();
      const timed = c.candidates.filter((r) => r.ms !== null);
      expect(timed.map((r) => r.candidate)).toContain(c.choice);
      // The fastest, unless it beat the default by no more than the margin (5%).
      const fastest = Math.min(...timed.map((r) => r.ms!));
      const defaultMs = c.candidates.find((r) => r.candidate === c.defaultChoice)!.ms!;
      if (c.choice === c.defaultChoice) expect(fastest).toBeGreaterThanOrEqual(defaultMs * 0.95);
      else expect(timed.find((r) => r.candidate === c.choice)!.ms).toBe(fastest);
    }
    const [small, odd, short, long] = report.classes;
    expect(gg.chooseMatmulVariant(8, 8, 8)).toBe(small.choice);
    expect(gg.chooseMatmulVariant(15, 9, 12)).toBe(small.choice);
    expect(gg.chooseMatmulVariant(63, 32, 31)).toBe(odd.choice);
    expect(gg.chooseRowVariant(31)).toBe(short.choice);
    expect(gg.chooseRowVariant(64)).toBe(long.choice);
    expect(gg.tuning()).toEqual({
      adapter: gg.adapterIdentity(),
      matmul: { '8x8x8': small.choice, '32x32x16': odd.choice },
      rows: { 16: short.choice, 64: long.choice },
    });
    const unsupported = gg.runtime().hasSubgroups ? [] : ['quad'];
    expect(small.candidates.filter((r) => r.skipped).map((r) => r.candidate)).toEqual(unsupported);
    const table = report.table();
    expect(table).toContain(gg.adapterIdentity());
    expect(table).toMatch(/matmul 8x8x8 .*\[M 8, N 8, K 8\]/);
    expect(table).toMatch(/rows {3}64 .*\[3 rows of 70\]/);
  });

  it('classes with no entry keep the hand-picked choice, and resetTuning restores it everywhere', async () => {
    const path = await savedTables('override.json', { [gg.adapterIdentity()]: { matmul: { '8x8x8': otherMatmulVariant(8, 8, 8) }, rows: { 64: otherRowVariant(100) } } });
    await gg.loadTuning(path);
    expect(gg.chooseMatmulVariant(9, 10, 11)).toBe(otherMatmulVariant(8, 8, 8));
    expect(gg.chooseMatmulVariant(16, 8, 8)).toBe(gg.defaultMatmulVariant(16, 8, 8));
    expect(gg.chooseMatmulVariant(8, 8, 16)).toBe(gg.defaultMatmulVariant(8, 8, 16));
    expect(gg.chooseRowVariant(100)).toBe(otherRowVariant(100));
    expect(gg.chooseRowVariant(128)).toBe(gg.defaultRowVariant(128));
    gg.resetTuning();
    expect(gg.chooseMatmulVariant(9, 10, 11)).toBe(gg.defaultMatmulVariant(9, 10, 11));
    expect(gg.chooseRowVariant(100)).toBe(gg.defaultRowVariant(100));
    expect(gg.tuning()).toEqual({ adapter: gg.adapterIdentity(), matmul: {}, rows: {} });
  });

  it('results stay right against float64 under a tuned choice', async () => {
    const [M, N, K, length] = [9, 13, 11, 70];
    const path = await savedTables('tuned.json', { [gg.adapterIdentity()]: { matmul: { '8x8x8': otherMatmulVariant(M, N, K) }, rows: { 64: otherRowVariant(length) } } });
    await gg.loadTuning(path);
    const before = gg.runtime().memory().liveBuffers;
    const random = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3) * 2);
    const [aValues, bValues, xValues] = [random(M * K, 1), random(K * N, 2), random(2 * length, 3)];
    const a = gg.tensor(aValues, [M, K]);
    const b = gg.tensor(bValues, [K, N]);
    const x = gg.tensor(xValues, [2, length]);
    const outputs = [a.matmul(b), gg.softmax(x), gg.nn.functional.layerNorm(x, [length])];
    const [product, probabilities, normalized] = await Promise.all(outputs.map((t) => t.data()));
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += aValues[m * K + k] * bValues[k * N + n];
        expect(product[m * N + n]).toBeCloseTo(sum, 4);
      }
    }
    for (let r = 0; r < 2; r++) {
      const row = Array.from(xValues.subarray(r * length, (r + 1) * length));
      const max = Math.max(...row);
      const total = row.reduce((s, v) => s + Math.exp(v - max), 0);
      const mean = row.reduce((s, v) => s + v, 0) / length;
      const deviation = Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / length + 1e-5);
      row.forEach((v, i) => {
        expect(probabilities[r * length + i]).toBeCloseTo(Math.exp(v - max) / total, 6);
        expect(normalized[r * length + i]).toBeCloseTo((v - mean) / deviation, 4);
      });
    }
    for (const t of [a, b, x, ...outputs]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('a candidate that throws or computes wrong is skipped, with the reason', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const a = gg.tensor(Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1), [4, 6]);
    const candidates: TuningCandidate[] = [
      { name: 'good', unsupported: null, run: () => [a.matmul(a, { transB: true })] },
      { name: 'throws', unsupported: null, run: () => { throw new Error('kernel exploded'); } },
      { name: 'wrong', unsupported: null, run: () => [gg.scope(() => a.matmul(a, { transB: true }).mul(1.01))] },
      { name: 'absent', unsupported: 'needs a feature', run: () => [a.matmul(a, { transB: true })] },
    ];
    const { choice, results } = await timeCandidates(candidates, 'good', { budgetMs: 0, clock: 'wall', tolerance: 1e-3, margin: 0.05 });
    expect(choice).toBe('good');
    expect(results.map((r) => [r.candidate, r.ms === null, r.skipped?.split(':')[0]])).toEqual([
      ['good', false, undefined],
      ['throws', true, 'threw'],
      ['wrong', true, 'wrong output'],
      ['absent', true, 'needs a feature'],
    ]);
    expect(results[1].skipped).toContain('kernel exploded');
    a.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('saves and loads the table by adapter identity, ignoring other adapters', async () => {
    const path = join(directory, 'tuning.json');
    expect(await gg.loadTuning(path)).toEqual({ location: path, found: false, entries: 0, otherAdapters: [] });
    await gg.tune({ families: ['rows'], rowShapes: [[2, 8]], budgetMs: 0 });
    const tuned = gg.tuning();
    // A path the caller names must lead to an existing directory (only the default cache directory is made).
    await expect(gg.saveTuning(join(directory, 'no', 'such', 'tuning.json'))).rejects.toThrow(/saveTuning: writing .*no.such.tuning\.json failed: ENOENT/);
    expect(await gg.saveTuning(path)).toBe(path);
    gg.resetTuning();
    expect(await gg.loadTuning(path)).toEqual({ location: path, found: true, entries: 1, otherAdapters: [] });
    expect(gg.tuning()).toEqual(tuned);

    // Another adapter's table, saved into the same file, is kept there and never used here.
    const saved = JSON.parse(await readFile(path, 'utf8'));
    saved.adapters['other vendor | other gpu'] = { matmul: { '8x8x8': 'naive' }, rows: { 8: 'workgroup' } };
    await writeFile(path, JSON.stringify(saved));
    gg.resetTuning();
    expect(await gg.loadTuning(path)).toMatchObject({ found: true, entries: 1, otherAdapters: ['other vendor | other gpu'] });
    expect(gg.tuning()).toEqual(tuned);
    await gg.saveTuning(path);
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).adapters).sort()).toEqual([gg.adapterIdentity(), 'other vendor | other gpu'].sort());

    const elsewhere = await savedTables('elsewhere.json', { 'other vendor | other gpu': { matmul: { '8x8x8': otherMatmulVariant(8, 8, 8) }, rows: {} } });
    gg.resetTuning();
    expect(await gg.loadTuning(elsewhere)).toEqual({ location: elsewhere, found: false, entries: 0, otherAdapters: ['other vendor | other gpu'] });
    expect(gg.chooseMatmulVariant(8, 8, 8)).toBe(gg.defaultMatmulVariant(8, 8, 8));
  });

  it('names what is wrong with a bad table or bad options', async () => {
    const notATable = join(directory, 'not-a-table.json');
    await writeFile(notATable, '{"hello": 1}');
    await expect(gg.loadTuning(notATable)).rejects.toThrow(/loadTuning: .*not-a-table\.json is not a gengpu tuning table/);
    const unknown = await savedTables('unknown.json', { [gg.adapterIdentity()]: { matmul: { '8x8x8': 'warp' }, rows: {} } });
    await expect(gg.loadTuning(unknown)).rejects.toThrow(/unknown variants .*matmul 8x8x8: 'warp'/);
    await expect(gg.tune({ matmulShapes: [[8, 0, 8]] })).rejects.toThrow(/tune: each of matmulShapes must be 3 positive integers, got \[8, 0, 8\]/);
    expect(gg.tuning()).toEqual({ adapter: gg.adapterIdentity(), matmul: {}, rows: {} });
  });
});
