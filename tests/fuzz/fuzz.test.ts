// The differential fuzzer's quick form for CI: 500 cases from a fixed seed (tests/fuzz/cases.ts),
// every op family against float64, values and gradients, each case through checkOp. All must pass;
// a failure names each failing case's seed, index and description, and the command that reruns it
// alone. The full run is bench/robustness/fuzz.ts (`npx tsx bench/robustness/fuzz.ts --cases 10000 --seed 1`).
import { describe, expect, it } from 'vitest';
import { FAMILIES, fuzzCases, type FuzzCase } from './cases.js';
import { reproduceCommand, runCase } from './run.js';

const SEED = 1;
const COUNT = 500;

const cases = fuzzCases(SEED, COUNT);

describe(`differential fuzzer: ${COUNT} cases from seed ${SEED} against float64`, () => {
  it('draws every family', () => {
    expect(new Set(cases.map((c) => c.family))).toEqual(new Set(FAMILIES));
  });

  for (const family of FAMILIES) {
    const mine = cases.filter((c) => c.family === family);
    it(`${family}: ${mine.length} cases, values and gradients`, async () => {
      const failures: string[] = [];
      for (const c of mine) {
        const outcome = await runCase(c);
        if (!outcome.ok) failures.push(describeFailure(c, outcome.kind, outcome.message));
      }
      expect(failures, `${failures.length} of ${mine.length} ${family} cases failed:\n${failures.join('\n')}`).toEqual([]);
    }, 120_000);
  }
});

function describeFailure(c: FuzzCase, kind: string, message: string): string {
  return `${c.description}\n  ${kind} mismatch: ${message}\n  rerun: ${reproduceCommand(c)}`;
}
