// The bad-input suite in CI: every case of ./cases.ts (each public op family, nn module, loss,
// optimizer, io and data function and model given wrong shapes, dtypes, axes, indices, options,
// NaN / Inf, empty and huge tensors) through ./run.ts: a clear error naming the op (or, for the cases
// that must work, the right output, NaN in and NaN out as in PyTorch), no GPU buffer leaked, and a
// runtime that still works afterwards. One test per category; a failure lists each failing case by
// name with what went wrong. The same table with a printed summary: `npx tsx bench/robustness/bad-input.ts`.
import { describe, expect, it } from 'vitest';
import { CATEGORIES, badInputCases } from './cases.js';
import { describeFailure, passed, runCase } from './run.js';

describe(`bad input: ${badInputCases.length} cases`, () => {
  it('has unique case names and cases in every category', () => {
    const names = badInputCases.map((c) => `${c.category}: ${c.name}`);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(new Set(badInputCases.map((c) => c.category))).toEqual(new Set(CATEGORIES));
  });

  for (const category of CATEGORIES) {
    const mine = badInputCases.filter((c) => c.category === category);
    it(`${category}: ${mine.length} cases give clear errors (or the right output), leak nothing and leave the runtime working`, async () => {
      const failures: string[] = [];
      for (const c of mine) {
        const outcome = await runCase(c);
        if (!passed(outcome)) failures.push(describeFailure(outcome));
      }
      expect(failures, `${failures.length} of ${mine.length} ${category} cases failed:\n${failures.join('\n')}`).toEqual([]);
    }, 120_000);
  }
});
