// The runtime's life cycle: tensors belong to the runtime that made them and say so when
// used after shutdown() or device loss; the pool never takes another runtime's buffers; init() after
// device loss gives a new working runtime; a failing dispatch is reported naming its op.
import { afterAll, describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const values = async (t: gg.Tensor) => Array.from(await t.data());

/** A small op on the current runtime, read back: proves the runtime works. */
async function works(): Promise<void> {
  const y = gg.scope(() => gg.tensor([1, 2]).add(gg.tensor([10, 20])));
  expect(await values(y)).toEqual([11, 22]);
  y.dispose();
}

describe('runtime life cycle', () => {
  afterAll(async () => {
    await gg.init(); // leave a working runtime for whatever runs next in this process
  });

  it('after shutdown() and init(), old tensors say they belong to the old runtime, and their buffers stay out of the new pool', async () => {
    const a = gg.tensor([1, 2]);
    const b = gg.tensor([3, 4]);
    const old = gg.runtime();
    gg.shutdown();
    const rt = await gg.init();
    expect(rt).not.toBe(old);
    const shutDown = /belongs to a runtime that was shut down; tensors do not move between init\(\) calls/;
    expect(() => a.add(b)).toThrow(new RegExp(`add: tensor #${a.id} \\[2\\] f32 ${shutDown.source}`));
    expect(() => a.exp()).toThrow(/exp: tensor #\d+ \[2\] f32 belongs to a runtime that was shut down/);
    await expect(a.data()).rejects.toThrow(shutDown);
    const before = rt.memory();
    a.dispose();
    b.dispose();
    expect(rt.memory()).toEqual(before);
    // The new pool hands out only its own buffers: a run of ops that reuses pooled buffers works.
    for (let i = 0; i < 3; i++) await works();
  });

  it('the pool refuses a buffer it did not hand out', async () => {
    const rt = gg.runtime();
    const other = await gg.Runtime.create();
    const foreign = other.allocate(16);
    const before = rt.memory();
    expect(() => rt.release(foreign)).toThrow(/release: the buffer is not a live buffer of this runtime/);
    expect(rt.memory()).toEqual(before);
    other.release(foreign);
    expect(() => other.release(foreign)).toThrow(/not a live buffer of this runtime/);
    other.destroy();
  });

  it('init() after device loss gives a new working runtime; old tensors name the loss', async () => {
    const t = gg.tensor([1, 2]);
    const lost = gg.runtime();
    lost.device.destroy();
    await lost.device.lost;
    const rt = await gg.init();
    expect(rt).not.toBe(lost);
    expect(gg.runtime()).toBe(rt);
    expect(() => t.mul(2)).toThrow(/mul: tensor #\d+ \[2\] f32 belongs to a runtime whose GPU device was lost \(destroyed/);
    t.dispose();
    await works();
  });

  it('shutdown() during init() leaves no runtime behind', async () => {
    gg.shutdown();
    const pending = gg.init();
    gg.shutdown();
    await expect(pending).rejects.toThrow(/init: shutdown\(\) was called before the GPU was ready/);
    expect(() => gg.runtime()).toThrow(/call `await init\(\)`/);
    await gg.init();
    await works();
  });
});

describe('dispatch errors name their op', () => {
  /** The launch that x.neg() makes for a [4] tensor (captured, so the test follows the kernel's template), with other buffers. */
  const launch = (buffers: gg.KernelBuffers, workgroups: [number, number?, number?] = [1]): gg.KernelLaunch => {
    const rt = gg.runtime();
    let captured: gg.KernelLaunch | null = null;
    const dispatch = rt.dispatch;
    const fusion = gg.isFusionEnabled();
    rt.dispatch = ((l: gg.KernelLaunch) => void (captured = l)) as typeof rt.dispatch;
    gg.setFusion(false); // the hand-written unary kernel's launch, not a generated one
    try {
      gg.scope(() => gg.zeros([4]).neg());
    } finally {
      rt.dispatch = dispatch;
      gg.setFusion(fusion);
    }
    return { ...captured!, buffers, workgroups };
  };

  it('refuses, before dispatching, a buffer that was released to the pool or belongs to another runtime', async () => {
    const rt = gg.runtime();
    const x = gg.tensor([1, 2, 3, 4]);
    const out = gg.zeros([4]);
    const released = rt.allocate(16);
    rt.release(released);
    expect(() => rt.dispatch(launch({ x: released, out: out.buffer }))).toThrow(/unary\(op_neg\): storage buffer 'x' \(binding 1\) was released to the pool/);
    const other = await gg.Runtime.create();
    const foreign = other.allocate(16);
    expect(() => rt.dispatch(launch({ x: x.buffer, out: foreign }))).toThrow(/unary\(op_neg\): storage buffer 'out' \(binding 2\) belongs to another runtime/);
    other.destroy();
    rt.dispatch(launch({ x: x.buffer, out: out.buffer }));
    expect(await values(out)).toEqual([-1, -2, -3, -4]);
    x.dispose();
    out.dispose();
  });

  it('refuses more workgroups than the device allows, naming the kernel', () => {
    const rt = gg.runtime();
    const x = gg.zeros([4]);
    const limit = rt.device.limits.maxComputeWorkgroupsPerDimension;
    expect(() => rt.dispatch(launch({ x: x.buffer, out: x.buffer }, [limit + 1]))).toThrow(
      new RegExp(`unary\\(op_neg\\): ${limit + 1} workgroups in x exceed the device's limit of ${limit}`),
    );
    x.dispose();
  });

  it('an error the GPU reports for a command batch names the ops in that batch, and is reported once', async () => {
    const rt = gg.runtime();
    const x = gg.tensor([1, 2, 3, 4]);
    // One buffer both read and written by one dispatch: the GPU rejects the usage.
    rt.dispatch(launch({ x: x.buffer, out: x.buffer }));
    await expect(rt.sync()).rejects.toThrow(/the GPU reported an error in a command batch of 1 dispatch \(unary\(op_neg\)\)/);
    x.dispose();
    await works();
  });
});
