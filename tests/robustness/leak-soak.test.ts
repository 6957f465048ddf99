// The leak soak's quick form (bench/robustness/leak-soak.ts runs 1000 steps of each): every model trainer runs
// 20 steps on tiny sizes, in rounds of 5 with checkpoint round trips, evaluation and sampling between
// rounds; the live GPU buffer count must stay exactly flat after the warm-up (the first round plus a
// step) and return to its baseline once the trainer has disposed what it made. See tests/robustness/soak.ts.
import { afterAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { formatSoakTable, runSoak, soakCases, type SoakResult } from './soak.js';

const STEPS = 20;
const ROUND_STEPS = 5;
const results: SoakResult[] = [];

describe('leak soak', () => {
  // runSoak empties the pool before each trainer, often with work still recorded; that work may read a
  // buffer already released to the pool, which emptyPool() must not destroy before it is submitted.
  it('Runtime.emptyPool submits recorded work before destroying the pooled buffers it may read', async () => {
    const a = gg.randn([64]);
    const b = a.mul(2); // recorded, not submitted; reads a
    a.dispose(); // a's buffer goes to the pool while b's work is pending
    gg.runtime().emptyPool();
    expect(gg.runtime().memory().pooledBuffers).toBe(0);
    expect((await b.data()).length).toBe(64);
    b.dispose();
  });

  for (const c of soakCases()) {
    it(`${c.name}: ${STEPS} steps keep the live buffers flat and free them all (${c.detail})`, async () => {
      const result = await runSoak(c, { steps: STEPS, roundSteps: ROUND_STEPS });
      results.push(result);
      if (result.error) console.error(result.error);
      expect(result.problems, result.problems.join('\n')).toEqual([]);
      expect(result.stepsDone).toBe(STEPS);
      expect(result.maxDrift).toBe(0);
      expect(result.final.liveBuffers).toBe(result.start.liveBuffers);
    });
  }
  afterAll(() => {
    console.log(`leak soak, ${STEPS} steps each:\n${formatSoakTable(results)}`);
  });
});
