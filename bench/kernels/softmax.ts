// The softmax family: row softmax over the last axis of a square and of a wide-short matrix, checked
// against tests/helpers/op-references.ts's float64 softmax of every row, then timed beside the
// peers' softmax: gengpu's automatic choice and both of its rungs ('line': one invocation per row;
// 'workgroup': one workgroup per row). Alone, in Node: `npx tsx bench/kernels/softmax.ts [--quick]`.

import * as gg from '../../src/index.js';
import { mapLines, softmaxLine } from '../../tests/helpers/op-references.js';
import { gengpuCase, isEntryPoint, repsFor, upload, type Case } from '../harness/cases.js';
import { HostRandom, hostRef } from '../harness/harness.js';

function softmaxCase(rows: number, cols: number, random: HostRandom): Case {
  const x = random.uniform([rows, cols], -4, 4);
  const bytes = 2 * 4 * rows * cols;
  const reps = repsFor(bytes, 2 ** 26);
  return {
    suite: 'softmax', name: `rows ${rows}x${cols}`, unit: 'GB/s', work: bytes, reps,
    reference: () => ({ values: mapLines(hostRef(x), -1, softmaxLine).data, tolerance: 1e-5 }),
    gengpu: ([undefined, 'line', 'workgroup'] as const).map((variant) => ({
      library: variant ? `gengpu ${variant}` : `gengpu (auto: ${gg.chooseRowVariant(cols)})`,
      role: variant ? 'variant' : 'gengpu',
      prepare() {
        const gx = upload(x);
        return gengpuCase(() => gg.softmax(gx, -1, { variant }), reps, [gx]);
      },
    })),
    peer: { kind: 'softmax', x },
  };
}

export function softmaxCases(quick: boolean): Case[] {
  const random = new HostRandom(2027);
  const sizes = [[1024, 1024], [4096, 256]];
  return (quick ? sizes.slice(0, 1) : sizes).map(([rows, cols]) => softmaxCase(rows, cols, random));
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(softmaxCases);
