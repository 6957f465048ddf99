// The reductions family: the sum over each row and the sum of every value, checked against
// tests/helpers/op-references.ts's float64 reductions, then timed beside the peers' sums.
// Alone, in Node: `npx tsx bench/kernels/reduce.ts [--quick]`.

import * as gg from '../../src/index.js';
import { reduceRef, total } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case } from '../harness/cases.js';
import { HostRandom, hostRef, type HostTensor, type PeerOp } from '../harness/harness.js';

function reductionCase(name: string, x: HostTensor, axis: number | undefined, tolerance: number, peer: PeerOp): Case {
  const bytes = 4 * x.data.length;
  const reps = repsFor(bytes, 2 ** 26);
  return {
    suite: 'reductions', name, unit: 'GB/s', work: bytes, reps,
    reference: () => ({ values: reduceRef(hostRef(x), axis, false, total).data, tolerance }),
    gengpu: [{
      library: 'gengpu', role: 'gengpu',
      prepare() {
        const gx = upload(x);
        return gengpuCase(() => gg.sum(gx, axis), reps, [gx]);
      },
    }],
    peer,
  };
}

export function reductionCases(quick: boolean): Case[] {
  const random = new HostRandom(2028);
  const sizes = [[1024, 1024], [4096, 1024]];
  return (quick ? sizes.slice(0, 1) : sizes).flatMap(([rows, cols]) => {
    const x = random.uniform([rows, cols]);
    return [
      reductionCase(`sum over rows ${rows}x${cols} -> ${rows}`, x, 1, 1e-5, { kind: 'sumRows', x }),
      reductionCase(`sum of all ${rows * cols} values`, x, undefined, 1e-4, { kind: 'sumAll', x }),
    ];
  });
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(reductionCases);
