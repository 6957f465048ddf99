// jax-js 0.1.25 as a benchmark peer, in the page only: its webgpu device eagerly and under jax.jit,
// and its wasm device (jit) as the CPU reference. jax-js arrays are reference-counted and consumed
// by each op (`x.ref` keeps one alive), and eager ops are deferred, so each timed iteration ends with
// blockUntilReady on every repetition's result. Attention uses jax.nn.dotProductAttention, whose layout is
// [B, T, heads, Dh] (inputs permuted on the host, untimed).

import * as jax from '@jax-js/jax';
import { NotAvailable, permuteHost, type HostTensor, type PeerLibrary, type PeerOp, type Prepared } from '../harness.js';

type JaxArray = jax.Array;
const np = jax.numpy;

export interface JaxPeerOptions {
  device: 'webgpu' | 'wasm';
  jit: boolean;
}

/** A case from a function computing one repetition from (borrowed) inputs. */
function jaxCase(inputs: JaxArray[], compute: (...xs: JaxArray[]) => JaxArray, jit: boolean, reps: number, toHost = (v: ArrayLike<number>) => v): Prepared {
  const f = jit ? jax.jit(compute) : compute;
  const once = () => f(...inputs.map((x) => x.ref));
  return {
    async check() {
      return toHost((await once().data()) as Float32Array);
    },
    async iterate() {
      // Every repetition is waited for: a deferred result disposed before it runs would never run.
      const results = Array.from({ length: reps }, once);
      await jax.blockUntilReady(results);
      for (const r of results) r.dispose();
    },
    dispose() {
      for (const x of inputs) x.dispose();
      if (jit) (f as jax.OwnedFunction<typeof compute>).dispose();
    },
  };
}

type Params = JaxArray[];

/** y = x Wᵀ + b with PyTorch's [out, in] weight layout (consumes x, borrows w and b). */
const linear = (x: JaxArray, w: JaxArray, b: JaxArray) => np.add(np.matmul(x, np.transpose(w.ref)), b.ref);

export function jaxPeer({ device, jit }: JaxPeerOptions): PeerLibrary {
  const array = (t: HostTensor) => np.array(t.data, { shape: t.shape, device });
  return {
    name: `jax-${device}${jit ? '-jit' : ''}`,
    version: '0.1.25',
    kind: device === 'webgpu' ? 'webgpu' : 'cpu',
    async prepare(op: PeerOp, reps: number): Promise<Prepared> {
      jax.defaultDevice(device);
      switch (op.kind) {
        case 'matmul':
          return jaxCase([array(op.a), array(op.b)], (a, b) => np.matmul(a, b), jit, reps);
        case 'softmax':
          return jaxCase([array(op.x)], (x) => jax.nn.softmax(x, -1), jit, reps);
        case 'conv2d': {
          const pad: [number, number][] = [[op.padding, op.padding], [op.padding, op.padding]];
          return jaxCase([array(op.x), array(op.w)], (x, w) => jax.lax.conv(x, w, [op.stride, op.stride], pad), jit, reps);
        }
        case 'convTranspose2d': {
          const pad: [number, number][] = [[op.padding, op.padding], [op.padding, op.padding]];
          return jaxCase([array(op.x), array(op.w)], (x, w) => jax.lax.convTranspose(x, w, [op.stride, op.stride], pad, { transposeKernel: true }), jit, reps);
        }
        case 'attention': {
          const [B, H, T, D] = op.q.shape;
          const toBthd = (t: HostTensor) => array(permuteHost(t, [0, 2, 1, 3]));
          const toBhtd = (v: ArrayLike<number>) => permuteHost({ data: Float32Array.from(v), shape: [B, T, H, D] }, [0, 2, 1, 3]).data;
          return jaxCase([toBthd(op.q), toBthd(op.k), toBthd(op.v)], (q, k, v) => jax.nn.dotProductAttention(q, k, v, { isCausal: op.causal }), jit, reps, toBhtd);
        }
        case 'sumRows':
          return jaxCase([array(op.x)], (x) => np.sum(x, 1), jit, reps);
        case 'sumAll':
          return jaxCase([array(op.x)], (x) => np.sum(x), jit, reps);
        case 'addChain':
          return jaxCase([array(op.x)], (x) => {
            let y = np.add(x, 1);
            for (let i = 1; i < op.length; i++) y = np.add(y, 1);
            return y;
          }, jit, reps);
        case 'mlpBlock':
          // Each argument is consumed once (x twice: a reference, then itself).
          return jaxCase([op.x, op.w1, op.b1, op.w2, op.b2].map(array), (x, w1, b1, w2, b2) => {
            const hidden = jax.nn.gelu(np.add(np.matmul(x.ref, np.transpose(w1)), b1), { approximate: false });
            return np.add(np.add(np.matmul(hidden, np.transpose(w2)), b2), x);
          }, jit, reps);
        case 'uniform': {
          let key = jax.random.key(5);
          const draw = () => {
            const [next, sub] = jax.random.split(key, 2) as unknown as [JaxArray, JaxArray];
            key = next;
            return jax.random.uniform(sub, [op.size]);
          };
          return {
            check: async () => (await draw().data()) as Float32Array,
            async iterate() {
              const results = Array.from({ length: reps }, draw);
              await jax.blockUntilReady(results);
              for (const r of results) r.dispose();
            },
            dispose: () => key.dispose(),
          };
        }
        case 'mlpStep':
        case 'vaeStep':
          return trainingStep(op, array, jit);
        case 'dcganStep':
          throw new NotAvailable('not written for jax-js here: its transposed convolution alone took 10-36 s at this shape');
      }
    },
  };
}

/** MLP or VAE training step: loss and gradients by jax.valueAndGrad, then Adam. */
function trainingStep(
  op: Extract<PeerOp, { kind: 'mlpStep' | 'vaeStep' }>, array: (t: HostTensor) => JaxArray, jit: boolean,
): Prepared {
  const x = array(op.x);
  const batch = op.x.shape[0];
  let extra: JaxArray;
  let lossOf: (params: Params, x: JaxArray, extra: JaxArray) => JaxArray;
  if (op.kind === 'mlpStep') {
    extra = jax.nn.oneHot(np.array(op.labels, { dtype: jax.DType.Int32 }), 10);
    lossOf = (params, xIn, oneHot) => {
      let h = xIn;
      for (let l = 0; l < params.length; l += 2) {
        h = linear(h, params[l], params[l + 1]);
        if (l + 2 < params.length) h = jax.nn.relu(h);
      }
      const picked = np.sum(np.multiply(oneHot, h.ref), 1);
      return np.mean(np.subtract(jax.nn.logsumexp(h, 1), picked));
    };
  } else {
    extra = array(op.eps);
    lossOf = (params, xIn, eps) => {
      const hidden = jax.nn.relu(linear(xIn.ref, params[0], params[1]));
      const mu = linear(hidden.ref, params[2], params[3]);
      const logVar = linear(hidden, params[4], params[5]);
      const z = np.add(mu.ref, np.multiply(np.exp(np.multiply(logVar.ref, 0.5)), eps));
      const logits = linear(jax.nn.relu(linear(z, params[6], params[7])), params[8], params[9]);
      const bce = np.sum(np.subtract(jax.nn.softplus(logits.ref), np.multiply(xIn, logits)));
      const kl = np.multiply(np.sum(np.subtract(np.subtract(np.add(logVar.ref, 1), np.square(mu)), np.exp(logVar))), -0.5);
      return np.divide(np.add(bce, kl), batch);
    };
  }
  let params: Params = op.weights.map(array);
  let m: Params = op.weights.map((w) => np.zeros(w.shape));
  let v: Params = op.weights.map((w) => np.zeros(w.shape));
  let stepCount = 0;
  const valueAndGrad = jax.valueAndGrad(lossOf);
  const update = (ps: Params, ms: Params, vs: Params, xIn: JaxArray, extraIn: JaxArray, step: JaxArray) => {
    const [loss, grads] = valueAndGrad(ps.map((p) => p.ref), xIn, extraIn) as unknown as [JaxArray, Params];
    // Bias corrections from the step number, an array so that jit compiles once.
    const [b1, b2, eps, lr] = [0.9, 0.999, 1e-8, op.lr];
    const c1 = np.subtract(1, np.power(b1, step.ref));
    const c2 = np.subtract(1, np.power(b2, step));
    const newM = ms.map((mi, i) => np.add(np.multiply(mi, b1), np.multiply(grads[i].ref, 1 - b1)));
    const newV = vs.map((vi, i) => np.add(np.multiply(vi, b2), np.multiply(np.square(grads[i]), 1 - b2)));
    const newP = ps.map((p, i) => np.subtract(p, np.multiply(
      np.divide(np.divide(newM[i].ref, c1.ref), np.add(np.sqrt(np.divide(newV[i].ref, c2.ref)), eps)), lr)));
    c1.dispose();
    c2.dispose();
    return [loss, newP, newM, newV] as [JaxArray, Params, Params, Params];
  };
  const f = jit ? jax.jit(update) : update;
  const step = () => {
    stepCount++;
    const [loss, newP, newM, newV] = f(params, m, v, x.ref, extra.ref, np.array([stepCount], { shape: [] })) as [JaxArray, Params, Params, Params];
    [params, m, v] = [newP, newM, newV];
    return loss;
  };
  return {
    async check() {
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) losses.push(((await step().data()) as Float32Array)[0]);
      return losses;
    },
    async iterate() {
      const loss = step();
      await jax.blockUntilReady([loss, ...params]);
      loss.dispose();
    },
    dispose() {
      for (const t of [...params, ...m, ...v, x, extra]) t.dispose();
      if (jit) (f as jax.OwnedFunction<typeof update>).dispose();
    },
  };
}
