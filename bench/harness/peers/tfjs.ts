// TensorFlow.js 4.22 as a benchmark peer, in the page only: its webgpu backend (with the small-tensor
// CPU shortcut turned off) and its wasm backend as the CPU reference. The page loads the UMD bundles
// (bench/bench.html), which put `tf` on the window with both backends registered. Convolutions run
// in TensorFlow.js's native NHWC layout (inputs permuted on the host, untimed); each timed
// iteration ends by reading one value of the last result, as gengpu's does.

import type * as TF from '@tensorflow/tfjs';
import { NotAvailable, permuteHost, type HostTensor, type PeerLibrary, type PeerOp, type Prepared } from '../harness.js';

type Tfjs = typeof TF & { wasm: { setWasmPaths(prefix: string): void } };

const tfGlobal = () => (globalThis as unknown as { tf: Tfjs }).tf;

/** A case from a function recording one repetition (inside tf.tidy) and returning its result. */
function tfCase(tf: Tfjs, inputs: TF.Tensor[], record: () => TF.Tensor, reps: number, toHost = (values: Float32Array) => values as ArrayLike<number>): Prepared {
  return {
    async check() {
      const t = tf.tidy(record);
      const values = (await t.data()) as Float32Array;
      t.dispose();
      return toHost(values);
    },
    async iterate() {
      const first = tf.tidy(() => {
        let t = record();
        for (let i = 1; i < reps; i++) {
          t.dispose();
          t = record();
        }
        return t.reshape([-1]).slice(0, 1);
      });
      await first.data();
      first.dispose();
    },
    dispose() {
      for (const t of inputs) t.dispose();
    },
  };
}

/** A training step: check() takes two steps and returns both losses; iterate() takes one. */
function tfTraining(step: () => TF.Scalar, owned: { dispose(): void }[]): Prepared {
  return {
    async check() {
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const loss = step();
        losses.push((await loss.data())[0]);
        loss.dispose();
      }
      return losses;
    },
    async iterate() {
      const loss = step();
      await loss.data();
      loss.dispose();
    },
    dispose() {
      for (const o of owned) o.dispose();
    },
  };
}

/** y = x Wᵀ + b with PyTorch's [out, in] weight layout. */
const linear = (tf: Tfjs, x: TF.Tensor2D, w: TF.Tensor, b: TF.Tensor) => tf.add(tf.matMul(x, w as TF.Tensor2D, false, true), b) as TF.Tensor2D;

/**
 * The DCGAN step in TensorFlow.js's NHWC layout: weights permuted on the host (dense weights stay
 * [out, in]; convolution filters become [kH, kW, ·, ·]), the flattening for the discriminator's
 * dense layer done in NCHW order as PyTorch's. tf's minimize differentiates a closure, so the
 * generator's forward pass runs in both the D and the G closure (gengpu reuses it).
 */
function dcganStep(tf: Tfjs, op: Extract<PeerOp, { kind: 'dcganStep' }>): Prepared {
  const filter = (i: number) => permuteHost(op.weights[i], [2, 3, 1, 0]);
  const host = op.weights.map((w, i) => ([4, 8, 10, 12].includes(i) ? filter(i) : w));
  const vars = host.map((w) => tf.variable(tf.tensor(w.data, w.shape)));
  const [linW, linB, bn1G, bn1B, ct1W, ct1B, bn2G, bn2B, ct2W, ct2B, c1W, c1B, c2W, c2B, dW, dB] = vars;
  const batch = op.z.shape[0];
  const z = tf.tensor2d(op.z.data, op.z.shape as [number, number]);
  const real = tf.tensor(permuteHost(op.real, [0, 2, 3, 1]).data, [batch, 28, 28, 1]) as TF.Tensor4D;
  const normalize = (x: TF.Tensor, axes: number[], gamma: TF.Tensor, beta: TF.Tensor) => {
    const { mean, variance } = tf.moments(x, axes);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
  };
  const generate = () => {
    const h = tf.relu(normalize(linear(tf, z, linW, linB), [0], bn1G, bn1B));
    const grid = tf.transpose(tf.reshape(h, [batch, 128, 7, 7]), [0, 2, 3, 1]) as TF.Tensor4D;
    const up = tf.add(tf.conv2dTranspose(grid, ct1W as TF.Tensor4D, [batch, 14, 14, 64], 2, 'same'), ct1B);
    const h2 = tf.relu(normalize(up, [0, 1, 2], bn2G, bn2B)) as TF.Tensor4D;
    return tf.tanh(tf.add(tf.conv2dTranspose(h2, ct2W as TF.Tensor4D, [batch, 28, 28, 1], 2, 'same'), ct2B)) as TF.Tensor4D;
  };
  const discriminate = (images: TF.Tensor4D) => {
    const h1 = tf.leakyRelu(tf.add(tf.conv2d(images, c1W as TF.Tensor4D, 2, 'same'), c1B), 0.2) as TF.Tensor4D;
    const h2 = tf.leakyRelu(tf.add(tf.conv2d(h1, c2W as TF.Tensor4D, 2, 'same'), c2B), 0.2);
    return linear(tf, tf.reshape(tf.transpose(h2, [0, 3, 1, 2]), [batch, 128 * 7 * 7]), dW, dB);
  };
  // Mean binary cross-entropy on logits against an all-ones or all-zeros target.
  const bce = (logits: TF.Tensor, target: 0 | 1) => tf.mean(target === 1 ? tf.softplus(tf.neg(logits)) : tf.softplus(logits)) as TF.Scalar;
  const optD = tf.train.adam(op.lr, op.beta1, 0.999, 1e-8);
  const optG = tf.train.adam(op.lr, op.beta1, 0.999, 1e-8);
  const gVars = vars.slice(0, 10);
  const dVars = vars.slice(10);
  return tfTraining(() => {
    const lossD = optD.minimize(() => tf.add(bce(discriminate(real), 1), bce(discriminate(generate()), 0)) as TF.Scalar, true, dVars) as TF.Scalar;
    optG.minimize(() => bce(discriminate(generate()), 1), true, gVars)?.dispose();
    return lossD;
  }, [...vars, z, real, optD, optG]);
}

export function tfjsPeer(backend: 'webgpu' | 'wasm'): PeerLibrary {
  const tf = tfGlobal();
  const name = `tfjs-${backend}`;
  const activate = async () => {
    if (tf.getBackend() !== backend) {
      if (!(await tf.setBackend(backend))) throw new NotAvailable(`the ${backend} backend did not initialise`);
    }
    await tf.ready();
  };
  const tensor = (t: HostTensor) => tf.tensor(t.data, t.shape);
  return {
    name,
    version: tf.version.tfjs,
    kind: backend === 'webgpu' ? 'webgpu' : 'cpu',
    async prepare(op: PeerOp, reps: number): Promise<Prepared> {
      await activate();
      switch (op.kind) {
        case 'matmul': {
          const [a, b] = [tensor(op.a), tensor(op.b)];
          return tfCase(tf, [a, b], () => tf.matMul(a as TF.Tensor3D, b as TF.Tensor3D), reps);
        }
        case 'softmax': {
          const x = tensor(op.x);
          return tfCase(tf, [x], () => tf.softmax(x), reps);
        }
        case 'conv2d':
        case 'convTranspose2d': {
          if (op.padding * 2 !== op.w.shape[2] - op.stride) throw new NotAvailable('only "same"-equivalent padding is mapped');
          const x = tensor(permuteHost(op.x, [0, 2, 3, 1])) as TF.Tensor4D;
          // PyTorch [O, C, kH, kW] (conv) and [C, O, kH, kW] (transposed) both become [kH, kW, ·, ·].
          const w = tensor(permuteHost(op.w, [2, 3, 1, 0])) as TF.Tensor4D;
          const [N, , H, W] = op.x.shape;
          const outChannels = op.kind === 'conv2d' ? op.w.shape[0] : op.w.shape[1];
          const [outH, outW] = op.kind === 'conv2d' ? [H / op.stride, W / op.stride] : [H * op.stride, W * op.stride];
          const toNchw = (values: Float32Array) => permuteHost({ data: values, shape: [N, outH, outW, outChannels] }, [0, 3, 1, 2]).data;
          const record = op.kind === 'conv2d'
            ? () => tf.conv2d(x, w, op.stride, 'same')
            : () => tf.conv2dTranspose(x, w, [N, outH, outW, outChannels], op.stride, 'same');
          return tfCase(tf, [x, w], record, reps, toNchw);
        }
        case 'attention': {
          const [q, k, v] = [tensor(op.q), tensor(op.k), tensor(op.v)] as TF.Tensor4D[];
          const T = op.q.shape[2];
          const scale = 1 / Math.sqrt(op.q.shape[3]);
          const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));
          return tfCase(tf, [q, k, v, mask], () => {
            const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask);
            return tf.matMul(tf.softmax(scores) as TF.Tensor4D, v);
          }, reps);
        }
        case 'sumRows': {
          const x = tensor(op.x);
          return tfCase(tf, [x], () => tf.sum(x, 1), reps);
        }
        case 'sumAll': {
          const x = tensor(op.x);
          return tfCase(tf, [x], () => tf.sum(x), reps);
        }
        case 'mlpBlock': {
          const [x, w1, b1, w2, b2] = [op.x, op.w1, op.b1, op.w2, op.b2].map(tensor) as TF.Tensor2D[];
          return tfCase(tf, [x, w1, b1, w2, b2], () => tf.tidy(() => {
            const pre = tf.add(tf.matMul(x, w1, false, true), b1);
            const hidden = tf.mul(tf.mul(pre, 0.5), tf.add(tf.erf(tf.mul(pre, Math.SQRT1_2)), 1));
            return tf.add(tf.add(tf.matMul(hidden, w2, false, true), b2), x);
          }), reps);
        }
        case 'addChain': {
          const x = tensor(op.x);
          return tfCase(tf, [x], () => {
            let y = tf.add(x, 1);
            for (let i = 1; i < op.length; i++) {
              const next = tf.add(y, 1);
              y.dispose();
              y = next;
            }
            return y;
          }, reps);
        }
        case 'uniform':
          return tfCase(tf, [], () => tf.randomUniform([op.size], 0, 1), reps);
        case 'mlpStep':
        case 'vaeStep': {
          const params = op.weights.map((w) => tf.variable(tensor(w)));
          const x = tensor(op.x) as TF.Tensor2D;
          const optimizer = tf.train.adam(op.lr, 0.9, 0.999, 1e-8);
          const owned: { dispose(): void }[] = [...params, x, optimizer];
          let lossOf: () => TF.Scalar;
          if (op.kind === 'mlpStep') {
            const oneHot = tf.oneHot(tf.tensor1d(op.labels, 'int32'), 10);
            owned.push(oneHot);
            lossOf = () => {
              let h = x;
              for (let l = 0; l < params.length; l += 2) {
                h = linear(tf, h, params[l], params[l + 1]);
                if (l + 2 < params.length) h = tf.relu(h);
              }
              return tf.mean(tf.sub(tf.logSumExp(h, 1), tf.sum(tf.mul(oneHot, h), 1)));
            };
          } else {
            const eps = tensor(op.eps);
            owned.push(eps);
            const batch = op.x.shape[0];
            lossOf = () => {
              const hidden = tf.relu(linear(tf, x, params[0], params[1]));
              const mu = linear(tf, hidden, params[2], params[3]);
              const logVar = linear(tf, hidden, params[4], params[5]);
              const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)) as TF.Tensor2D;
              const logits = linear(tf, tf.relu(linear(tf, z, params[6], params[7])), params[8], params[9]);
              const bce = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)));
              const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logVar, 1), tf.square(mu)), tf.exp(logVar))), -0.5);
              return tf.div(tf.add(bce, kl), batch);
            };
          }
          return tfTraining(() => optimizer.minimize(lossOf, true, params) as TF.Scalar, owned);
        }
        case 'dcganStep':
          return dcganStep(tf, op);
      }
    },
  };
}

/**
 * Loads the backends' settings once: WASM files served from node_modules. The webgpu backend's
 * small-tensor CPU shortcut is turned off by the page's URL (?tfjsflags=WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD:0,
 * see bench/run.ts): the backend reads that threshold when its module loads, before any call here.
 */
export function configureTfjs(): void {
  const tf = tfGlobal();
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const threshold = tf.env().getNumber('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD');
  if (threshold !== 0) throw new Error(`bench: TensorFlow.js's WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD is ${threshold}; open the page with ?tfjsflags=WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD:0`);
}
